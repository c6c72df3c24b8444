"""Monthly-note reminders: who owes a note, what is sent on which day, once, and what a message says.

The `mentoring` world: `teacher` (department TOAN, head `depthead`) is the main mentor of Ksor Hen
(class 11B2) from 30/12/2026, so January 2027 is the first month with a note due (before 25/01).
"""

import socket
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from flask_sqlalchemy.record_queries import get_recorded_queries
from sqlalchemy import func, select

from sponsor_app.models import (
    Assignment,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    ReminderLog,
    Role,
    StudentStatus,
)
from sponsor_app.progress import reminders
from sponsor_app.progress.reminders import (
    DEPT_HEAD_KIND,
    FAILED,
    LEADER_KIND,
    NO_EMAIL,
    NOT_SENT,
    SENT,
    outstanding_notes,
    plan_reminders,
    send_reminders,
)
from tests import factories as f
from tests.conftest import count_statements

JAN = date(2027, 1, 1)
SECRET = "BÍ MẬT: bố mẹ ly hôn, em hay bị đánh"  # a note's narrative: must never be e-mailed


# --- helpers -------------------------------------------------------------------------------

def mentee(world, mentor, full_name, class_group=None, started=date(2026, 12, 30)):
    student = f.make_student(class_group or world.own_class, full_name)
    assignment = Assignment(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                            mentor_id=mentor.id, role=MentorRole.MAIN, started_on=started)
    f.db.session.add(assignment)
    f.db.session.flush()
    return student, assignment


def note(world, student, assignment, status=NoteStatus.DRAFT, month=JAN, concerns=None):
    row = MonthlyNote(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                      assignment_id=assignment.id, author_id=assignment.mentor_id, month=month, status=status,
                      concerns=concerns)
    f.db.session.add(row)
    f.db.session.flush()
    return row


def names(items):
    return [(i.mentor.full_name, i.student.full_name) for i in items]


def kinds(planned):
    return sorted((r.kind, r.recipient.username) for r in planned)


@pytest.fixture
def emails(mentoring, db):
    for user in (mentoring.teacher, mentoring.dept_head, mentoring.leader, mentoring.homeroom):
        user.email = f"{user.username}@truong.test"
    db.session.commit()
    return mentoring


class Inbox:
    """A handler for aiosmtpd: keeps every message; refuses the recipients in `refuse`."""

    def __init__(self):
        self.messages = []
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1 the app is configured to send through."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="dodau@truong.test",
                      PUBLIC_URL="https://dodau.truong.test/")
    yield inbox
    controller.stop()


def decoded(content: str) -> str:
    from email import message_from_string, policy

    message = message_from_string(content, policy=policy.default)
    return f"{message['Subject']}\n{message.get_content()}"


# --- outstanding notes ---------------------------------------------------------------------

def test_outstanding_lists_the_mentee_with_class_department_and_head(mentoring):
    [item] = outstanding_notes(mentoring.school.id, mentoring.year, JAN)
    assert item.mentor == mentoring.teacher and item.student == mentoring.mentee
    assert item.class_group.name == "11B2" and not item.has_draft
    assert item.department == mentoring.dept and item.head == mentoring.dept_head
    assert item.assignment == mentoring.main_assignment  # the supporting mentor owes no note


def test_outstanding_excludes_submitted_and_includes_drafts(mentoring, db):
    second, assignment = mentee(mentoring, mentoring.teacher, "Lò Văn Bình")
    note(mentoring, mentoring.mentee, mentoring.main_assignment, NoteStatus.SUBMITTED)
    note(mentoring, second, assignment, NoteStatus.DRAFT)
    [item] = outstanding_notes(mentoring.school.id, mentoring.year, JAN)
    assert item.student == second and item.has_draft
    # Another month's submitted note does not count for January.
    assert names(outstanding_notes(mentoring.school.id, mentoring.year, date(2027, 2, 1))) == [
        ("Y Khang", "Lò Văn Bình"), ("Y Khang", "Ksor Hen")]


def test_outstanding_excludes_dropouts_ended_and_late_assignments(mentoring, db):
    dropped, _ = mentee(mentoring, mentoring.teacher, "Đinh Thị Bỏ")
    dropped.status = StudentStatus.DROPPED_OUT
    _, ended = mentee(mentoring, mentoring.teacher, "Lê Văn Kết")
    ended.ended_on = date(2027, 1, 10)
    mentee(mentoring, mentoring.teacher, "Mai Văn Muộn", started=date(2027, 1, 26))  # after January's due day
    mentee(mentoring, mentoring.teacher, "Trần Văn Đúng", started=date(2027, 1, 25))  # on the due day: owes it
    assert names(outstanding_notes(mentoring.school.id, mentoring.year, JAN)) == [
        ("Y Khang", "Trần Văn Đúng"), ("Y Khang", "Ksor Hen")]
    assert ("Y Khang", "Mai Văn Muộn") in names(outstanding_notes(mentoring.school.id, mentoring.year,
                                                                  date(2027, 2, 1)))


def test_outstanding_is_empty_before_the_campaign_and_after_the_year(mentoring):
    year = mentoring.year
    assert outstanding_notes(mentoring.school.id, year, date(2026, 12, 1)) == []  # assigned on 30/12
    assert outstanding_notes(mentoring.school.id, year, date(2026, 8, 1)) == []
    assert outstanding_notes(mentoring.school.id, year, date(2027, 6, 1)) == []
    assert len(outstanding_notes(mentoring.school.id, year, date(2027, 5, 1))) == 1
    assert outstanding_notes(mentoring.other_school_user.school_id, mentoring.other_school_year, JAN) == []


def test_outstanding_orders_mentors_and_students_by_given_name(mentoring, db):
    other = f.make_user(mentoring.school, full_name="Trần Văn An", department=mentoring.other_dept)
    mentee(mentoring, other, "Phạm Thị Yến")
    mentee(mentoring, other, "Nguyễn Đức Anh")
    mentee(mentoring, mentoring.teacher, "Bùi Thị Đào")
    assert names(outstanding_notes(mentoring.school.id, mentoring.year, JAN)) == [
        ("Trần Văn An", "Nguyễn Đức Anh"), ("Trần Văn An", "Phạm Thị Yến"),
        ("Y Khang", "Bùi Thị Đào"), ("Y Khang", "Ksor Hen")]


def test_outstanding_query_count_does_not_grow_with_mentees(app, mentoring, db):
    def count() -> tuple[int, int]:
        db.session.expire_all()
        year = mentoring.year
        year.note_day  # noqa: B018 — loaded before counting, as a request would have it
        before = len(get_recorded_queries())
        items = outstanding_notes(mentoring.school.id, year, JAN)
        # Everything a message or the banner reads is loaded.
        text = [(i.mentor.full_name, i.student.full_name, i.class_group and i.class_group.name,
                 i.department and i.department.name, i.head and i.head.email, i.has_draft) for i in items]
        return len(get_recorded_queries()) - before, len(text)

    with app.test_request_context():
        small, n_small = count()
    for i in range(4):
        dept = f.make_department(mentoring.school, f"T{i}", f"Tổ {i}", head=f.make_user(mentoring.school))
        group = f.make_class(mentoring.year, f"12C{i}")
        for _ in range(2):
            mentor = f.make_user(mentoring.school, department=dept)
            for _ in range(2):
                student, assignment = mentee(mentoring, mentor, None, group)
        note(mentoring, student, assignment)
    db.session.commit()
    with app.test_request_context():
        large, n_large = count()
    assert (n_small, n_large) == (1, 17)
    assert large == small <= 2


# --- planning ------------------------------------------------------------------------------

def test_mentors_are_reminded_on_the_20th_and_the_24th_only(mentoring, db):
    mentee(mentoring, mentoring.homeroom, "Lò Văn Bình")
    school, year = mentoring.school.id, mentoring.year
    assert kinds(plan_reminders(school, year, date(2027, 1, 20))) == [
        ("mentor_20", "homeroom"), ("mentor_20", "teacher")]
    assert kinds(plan_reminders(school, year, date(2027, 1, 24))) == [
        ("mentor_24", "homeroom"), ("mentor_24", "teacher")]
    for day in (1, 19, 21, 23):
        assert plan_reminders(school, year, date(2027, 1, day)) == [], day
    [teacher] = [r for r in plan_reminders(school, year, date(2027, 1, 20)) if r.recipient == mentoring.teacher]
    assert [i.student for i in teacher.items] == [mentoring.mentee] and teacher.due == date(2027, 1, 25)


def test_reminder_days_are_the_years_setting(mentoring, db):
    mentoring.year.reminder_days = " 15 ; 22, x, 40"
    assert reminders.reminder_days(mentoring.year) == [15, 22]
    assert kinds(plan_reminders(mentoring.school.id, mentoring.year, date(2027, 1, 15))) == [
        ("mentor_15", "teacher")]
    assert plan_reminders(mentoring.school.id, mentoring.year, date(2027, 1, 20)) == []


def test_no_reminder_for_a_submitted_note_or_an_inactive_mentor(mentoring, db):
    note(mentoring, mentoring.mentee, mentoring.main_assignment, NoteStatus.SUBMITTED)
    assert plan_reminders(mentoring.school.id, mentoring.year, date(2027, 1, 20)) == []
    _, other = mentee(mentoring, f.make_user(mentoring.school, active=False, department=mentoring.dept), "Hà Văn Xa")
    assert plan_reminders(mentoring.school.id, mentoring.year, date(2027, 1, 20)) == []
    # … but the department head still learns the note is missing.
    assert kinds(plan_reminders(mentoring.school.id, mentoring.year, date(2027, 1, 25))) == [
        (DEPT_HEAD_KIND, "depthead")]


def test_department_heads_from_the_due_day_until_the_lock(mentoring, db):
    school, year = mentoring.school.id, mentoring.year  # note_day 25, grace 3: locked from 28/01
    assert year.note_grace_days == 3
    for day in (25, 26, 27):
        [reminder] = plan_reminders(school, year, date(2027, 1, day))
        assert (reminder.kind, reminder.recipient, len(reminder.items)) == (DEPT_HEAD_KIND, mentoring.dept_head, 1)
    assert plan_reminders(school, year, date(2027, 1, 28)) == []
    assert plan_reminders(school, year, date(2027, 1, 31)) == []


def test_mentors_without_department_or_head_go_to_leaders(mentoring, db):
    no_dept = f.make_user(mentoring.school, full_name="Lương Văn Tự")
    headless = f.make_user(mentoring.school, full_name="Quách Thị Vân", department=mentoring.other_dept)
    mentee(mentoring, no_dept, "Đặng Văn Một")
    mentee(mentoring, headless, "Đặng Văn Hai")
    second_leader = f.make_user(mentoring.school, Role.LEADER, Role.TEACHER, username="leader2")
    f.make_user(mentoring.school, Role.LEADER, username="oldleader", active=False)
    planned = plan_reminders(mentoring.school.id, mentoring.year, date(2027, 1, 25))
    assert kinds(planned) == [(DEPT_HEAD_KIND, "depthead"), (LEADER_KIND, "leader"), (LEADER_KIND, "leader2")]
    by_user = {r.recipient: r for r in planned}
    assert names(by_user[mentoring.dept_head].items) == [("Y Khang", "Ksor Hen")]
    assert names(by_user[second_leader].items) == [("Lương Văn Tự", "Đặng Văn Một"),
                                                   ("Quách Thị Vân", "Đặng Văn Hai")]
    # A deactivated head is no head: the department's missing notes go to leadership.
    mentoring.dept_head.active = False
    db.session.flush()
    planned = plan_reminders(mentoring.school.id, mentoring.year, date(2027, 1, 25))
    assert kinds(planned) == [(LEADER_KIND, "leader"), (LEADER_KIND, "leader2")]
    assert len(planned[0].items) == 3


def test_logged_reminders_are_not_planned_again(mentoring, db):
    db.session.add(ReminderLog(school_id=mentoring.school.id, kind="mentor_20", user_id=mentoring.teacher.id,
                               month=JAN, notes_count=1))
    db.session.flush()
    assert plan_reminders(mentoring.school.id, mentoring.year, date(2027, 1, 20)) == []
    assert kinds(plan_reminders(mentoring.school.id, mentoring.year, date(2027, 1, 24))) == [
        ("mentor_24", "teacher")]
    # Last month's log does not silence this month.
    assert kinds(plan_reminders(mentoring.school.id, mentoring.year, date(2027, 2, 20))) == [
        ("mentor_20", "teacher")]


# --- sending -------------------------------------------------------------------------------

def test_without_smtp_nothing_is_sent_and_the_report_says_so(emails, db, app):
    assert not app.config.get("MAIL_SERVER")
    report = send_reminders(emails.school.id, emails.year, date(2027, 1, 20))
    assert not report.mail_configured
    assert [(o.reminder.recipient, o.status) for o in report.outcomes] == [(emails.teacher, NOT_SENT)]
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0


def test_messages_reach_the_right_people_without_any_note_text(emails, smtp, db):
    second, assignment = mentee(emails, emails.teacher, "Lò Văn Bình")
    note(emails, second, assignment, NoteStatus.DRAFT, concerns=SECRET)
    emails.mentee_screening.circumstances_text = "Hoàn cảnh: mẹ đi làm xa"
    mentee(emails, emails.homeroom, "Đào Thị Cúc")
    db.session.commit()

    report = send_reminders(emails.school.id, emails.year, date(2027, 1, 20))
    assert [(o.reminder.recipient.username, o.status) for o in report.outcomes] == [
        ("teacher", SENT), ("homeroom", SENT)]  # Y Khang before Vũ Ngọc Quỳnh: given names
    assert sorted(rcpts for rcpts, _ in smtp.messages) == [["homeroom@truong.test"], ["teacher@truong.test"]]
    [body] = [decoded(content) for rcpts, content in smtp.messages if rcpts == ["teacher@truong.test"]]
    assert "Nhắc gửi nhận xét tháng 01/2027 (hạn trước 25/01/2027)" in body
    assert "Kính gửi thầy/cô Y Khang" in body
    assert "- Ksor Hen, lớp 11B2\n" in body
    assert "- Lò Văn Bình, lớp 10A1 (đã có bản nháp, chưa gửi)" in body
    assert "https://dodau.truong.test/" in body
    assert "Đào Thị Cúc" not in body  # another mentor's mentee
    for content in (c for _, c in smtp.messages):
        assert SECRET not in decoded(content) and "mẹ đi làm xa" not in decoded(content)
    logged = db.session.execute(select(ReminderLog.kind, ReminderLog.user_id, ReminderLog.notes_count)
                                .order_by(ReminderLog.user_id)).all()
    assert sorted(logged) == sorted([("mentor_20", emails.teacher.id, 2), ("mentor_20", emails.homeroom.id, 1)])


def test_department_head_message_lists_the_departments_missing_notes(emails, smtp, db):
    second, assignment = mentee(emails, emails.teacher, "Lò Văn Bình")
    note(emails, second, assignment, NoteStatus.DRAFT, concerns=SECRET)
    db.session.commit()
    report = send_reminders(emails.school.id, emails.year, date(2027, 1, 26))
    assert [(o.reminder.kind, o.status) for o in report.outcomes] == [(DEPT_HEAD_KIND, SENT)]
    [(rcpts, content)] = smtp.messages
    body = decoded(content)
    assert rcpts == ["depthead@truong.test"]
    assert "Còn 2 nhận xét tháng 01/2027 chưa gửi" in body
    assert "Đến ngày 26/01/2027" in body and "hạn trước 25/01/2027" in body
    assert "- Y Khang: Ksor Hen, lớp 11B2" in body and "- Y Khang: Lò Văn Bình, lớp 10A1" in body
    assert SECRET not in body
    # Once per month: the next days of the window send nothing more.
    db.session.commit()
    assert send_reminders(emails.school.id, emails.year, date(2027, 1, 27)).outcomes == []
    assert len(smtp.messages) == 1


def test_message_in_the_recipients_language(emails, smtp, db):
    emails.teacher.locale = "en"
    db.session.commit()
    send_reminders(emails.school.id, emails.year, date(2027, 1, 20))
    body = decoded(smtp.messages[0][1])
    assert "Ksor Hen, class 11B2" in body and "25/01/2027" in body
    assert "Kính gửi" not in body


def test_users_without_email_are_skipped_and_not_logged(emails, smtp, db):
    emails.teacher.email = None
    db.session.commit()
    report = send_reminders(emails.school.id, emails.year, date(2027, 1, 20))
    assert [o.status for o in report.outcomes] == [NO_EMAIL] and report.skipped == report.outcomes
    assert smtp.messages == [] and db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0
    # Once the address is added, a later run of the same day sends it.
    emails.teacher.email = "teacher@truong.test"
    db.session.commit()
    assert [o.status for o in send_reminders(emails.school.id, emails.year, date(2027, 1, 20)).outcomes] == [SENT]


def test_a_refused_recipient_is_reported_and_the_others_still_go(emails, smtp, db):
    mentee(emails, emails.homeroom, "Đào Thị Cúc")
    db.session.commit()
    smtp.refuse.add("homeroom@truong.test")
    report = send_reminders(emails.school.id, emails.year, date(2027, 1, 20))
    assert [(o.reminder.recipient.username, o.status) for o in report.outcomes] == [
        ("teacher", SENT), ("homeroom", FAILED)]
    assert report.failed[0].error
    assert [rcpts for rcpts, _ in smtp.messages] == [["teacher@truong.test"]]
    assert db.session.execute(select(ReminderLog.user_id)).scalars().all() == [emails.teacher.id]


def test_an_unreachable_server_is_reported_per_recipient_and_logs_nothing(emails, app, db, runner):
    mentee(emails, emails.homeroom, "Đào Thị Cúc")
    db.session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)  # nothing listens
    report = send_reminders(emails.school.id, emails.year, date(2027, 1, 20))
    # The first failure does not stop the run: every recipient is tried and reported.
    assert [(o.reminder.recipient.username, o.status) for o in report.outcomes] == [
        ("teacher", FAILED), ("homeroom", FAILED)]
    assert all(o.error for o in report.failed)
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0
    db.session.rollback()
    result = runner.invoke(args=["send-reminders", "--date", "20/01/2027"])
    assert result.exit_code == 1 and "2 nhắc GV (2 lỗi)" in result.output and "Traceback" not in result.output


def test_dry_run_sends_and_logs_nothing(emails, smtp, db):
    report = send_reminders(emails.school.id, emails.year, date(2027, 1, 20), dry_run=True)
    assert [o.status for o in report.outcomes] == [NOT_SENT] and report.dry_run
    assert smtp.messages == [] and db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0


# --- the command ---------------------------------------------------------------------------

def test_cli_sends_prints_a_summary_and_twice_sends_nothing(emails, smtp, runner, db):
    result = runner.invoke(args=["send-reminders", "--date", "20/01/2027"])
    assert result.exit_code == 0, result.output
    assert ("Trường THPT Thử Nghiệm, 2026-2027, 20/01/2027: 1 nhắc GV (1 đã gửi), 0 nhắc tổ trưởng/BGH"
            in result.output)
    assert "Y Khang <teacher@truong.test>: 1 nhận xét tháng 01/2027 chưa gửi — đã gửi" in result.output
    assert "Trường THCS Khác, 2026-2027, 20/01/2027: 0 nhắc GV, 0 nhắc tổ trưởng/BGH" in result.output
    assert len(smtp.messages) == 1
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 1  # committed by the command

    again = runner.invoke(args=["send-reminders", "--date", "20/01/2027"])
    assert again.exit_code == 0, again.output
    assert "0 nhắc GV, 0 nhắc tổ trưởng/BGH" in again.output
    assert len(smtp.messages) == 1


def test_cli_one_school_and_the_dept_head_reminder(emails, smtp, runner):
    emails.homeroom.email = None
    mentee(emails, emails.homeroom, "Đào Thị Cúc")  # department VAN has no head: leadership
    f.db.session.commit()
    result = runner.invoke(args=["send-reminders", "--date", "25/01/2027", "--school", str(emails.school.id)])
    assert result.exit_code == 0, result.output
    assert "20/01" not in result.output and "Trường THCS Khác" not in result.output
    assert "0 nhắc GV, 2 nhắc tổ trưởng/BGH (2 đã gửi)" in result.output
    assert sorted(r for rcpts, _ in smtp.messages for r in rcpts) == ["depthead@truong.test", "leader@truong.test"]


def test_cli_dry_run_and_without_smtp(emails, runner, db, app, smtp):
    result = runner.invoke(args=["send-reminders", "--date", "20/01/2027", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 nhắc GV (1 chưa gửi)" in result.output and "--dry-run" in result.output
    assert smtp.messages == [] and db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0

    app.config["MAIL_SERVER"] = None
    result = runner.invoke(args=["send-reminders", "--date", "20/01/2027"])
    assert result.exit_code == 0, result.output
    assert "Chưa cấu hình e-mail (MAIL_SERVER)" in result.output and "1 nhắc GV (1 chưa gửi)" in result.output
    assert smtp.messages == [] and db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0


def test_cli_exits_non_zero_when_a_send_fails_and_keeps_the_others(emails, smtp, runner, db):
    mentee(emails, emails.homeroom, "Đào Thị Cúc")
    db.session.commit()
    smtp.refuse.add("homeroom@truong.test")
    result = runner.invoke(args=["send-reminders", "--date", "20/01/2027"])
    assert result.exit_code == 1, result.output
    assert "2 nhắc GV (1 đã gửi, 1 lỗi)" in result.output
    assert "1 thư không gửi được" in result.output
    assert db.session.execute(select(ReminderLog.user_id)).scalars().all() == [emails.teacher.id]
    smtp.refuse.clear()
    retry = runner.invoke(args=["send-reminders", "--date", "20/01/2027"])
    assert retry.exit_code == 0, retry.output
    assert "1 nhắc GV (1 đã gửi)" in retry.output and len(smtp.messages) == 2


def test_cli_bad_input_gets_a_message_not_a_traceback(world, runner):
    result = runner.invoke(args=["send-reminders", "--date", "32/13/2027"])
    assert result.exit_code == 2 and "dd/mm/yyyy" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["send-reminders", "--school", "999999"])
    assert result.exit_code == 1 and "Không có trường có id 999999" in result.output
    result = runner.invoke(args=["send-reminders", "--school", "abc"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_cli_help_is_current(app, runner):
    result = runner.invoke(args=["send-reminders", "--help"])
    assert result.exit_code == 0
    for text in ("--date", "--school", "--dry-run", "cron", "MAIL_SERVER"):
        assert text in result.output


# --- the department head's banner ----------------------------------------------------------

def test_dept_head_banner_before_the_due_day_counts(mentoring, dept_head_client, monkeypatch):
    monkeypatch.setattr("sponsor_app.main.routes.local_today", lambda: date(2027, 1, 18))
    html = dept_head_client.get("/home/dept_head").get_data(as_text=True)
    assert "1 nhận xét tháng 01/2027 chưa gửi, hạn trước 25/01/2027" in html
    assert "Ksor Hen" not in html


def test_dept_head_banner_from_the_due_day_lists_the_missing(mentoring, dept_head_client, db, monkeypatch):
    other = f.make_user(mentoring.school, full_name="Trần Văn An", department=mentoring.other_dept)
    mentee(mentoring, other, "Phạm Thị Yến")  # another department: not shown
    second, assignment = mentee(mentoring, mentoring.teacher, "Lò Văn Bình")
    note(mentoring, second, assignment, NoteStatus.DRAFT, concerns=SECRET)
    monkeypatch.setattr("sponsor_app.main.routes.local_today", lambda: date(2027, 1, 26))
    html = dept_head_client.get("/home/dept_head").get_data(as_text=True)
    assert "Còn 2 nhận xét tháng 01/2027 chưa gửi (hạn trước 25/01/2027)." in html
    assert "Tháng khóa từ 28/01/2027." in html
    assert "Y Khang → Ksor Hen, lớp 11B2" in html and "Y Khang → Lò Văn Bình, lớp 10A1" in html
    assert "Phạm Thị Yến" not in html and SECRET not in html


def test_dept_head_banner_hidden_when_all_submitted_and_queries_bounded(app, mentoring, dept_head_client, db,
                                                                      monkeypatch):
    monkeypatch.setattr("sponsor_app.main.routes.local_today", lambda: date(2027, 1, 26))
    note(mentoring, mentoring.mentee, mentoring.main_assignment, NoteStatus.SUBMITTED)
    db.session.commit()

    def page() -> tuple[int, str]:
        with count_statements() as counted:
            html = dept_head_client.get("/home/dept_head").get_data(as_text=True)
        return counted.n, html

    small, html = page()
    assert 'id="missing-notes"' not in html
    for _ in range(6):
        mentor = f.make_user(mentoring.school, department=mentoring.dept)
        mentee(mentoring, mentor, None)
    db.session.commit()
    large, html = page()
    assert "Còn 6 nhận xét tháng 01/2027 chưa gửi" in html
    assert large == small


def test_a_reminder_logged_meanwhile_by_another_run_is_not_sent_twice(emails, smtp, db):
    school_id, teacher_id = emails.school.id, emails.teacher.id
    [planned] = plan_reminders(school_id, emails.year, date(2027, 1, 20))
    db.session.commit()
    with db.engine.begin() as conn:  # another cron run, on its own connection, sent it first
        conn.execute(ReminderLog.__table__.insert().values(
            school_id=school_id, kind="mentor_20", user_id=teacher_id, month=JAN, notes_count=1))
    outcome = reminders._send_one(school_id, planned, date(2027, 1, 20))
    assert outcome.status == reminders.ALREADY_SENT
    assert smtp.messages == []
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 1
