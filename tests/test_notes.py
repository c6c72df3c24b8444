"""Monthly notes: the main mentor drafts and submits (on time or late stored), corrections and
amendments keep the original, conflicts are reported, the department head signs off, supporting
mentors contribute, the mentor's home shows each mentee's month."""

from datetime import date, timedelta

import pytest

from sponsor_app.extensions import db as _db
from sponsor_app.models import (
    AuditLog,
    Horizon,
    MonthlyNote,
    NoteRevision,
    NoteStatus,
    PlanGoal,
    Rating,
    ReviewStatus,
)
from sponsor_app.progress import notes
from sponsor_app.progress.calendar import month_start
from sponsor_app.timeutil import format_date, local_today
from tests.conftest import count_statements

TODAY = local_today()
MONTH = month_start(TODAY)
KEY = MONTH.strftime("%Y-%m")


def _url(world, key=KEY):
    return f"/progress/students/{world.mentee.id}/notes/{key}"


def _form(**overrides):
    data = {
        "absences": "2", "learning_trend": "better", "conduct_trend": "same",
        "contacts-0-contact_on": format_date(MONTH), "contacts-0-with_whom": "family",
        "contacts-0-method": "home_visit", "contacts-0-summary": "Gặp bà ngoại",
        "supports-0-kind": "do_dung", "supports-0-value_vnd": "350.000", "supports-0-donor": "Công đoàn trường",
        "rating": "progress", "concerns": "Em còn đi làm thêm buổi tối", "next_steps": "Học bù môn Toán",
        "action": "save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _note(world) -> MonthlyNote:
    _db.session.expire_all()
    return _db.session.query(MonthlyNote).filter_by(student_id=world.mentee.id, month=MONTH).one()


@pytest.fixture
def mentee_world(mentoring, db):
    """The mentee's main mentoring started at the start of the year (so this month is a campaign month)."""
    db.session.delete(mentoring.note)  # the matrix's draft: these tests write their own notes
    mentoring.main_assignment.started_on = mentoring.year.start_date
    mentoring.support_assignment.started_on = mentoring.year.start_date
    month_goal = PlanGoal(plan_id=mentoring.plan.id, parent_id=mentoring.goal.id, horizon=Horizon.MONTH,
                          domain=mentoring.goal.domain, text="Nộp đủ bài tập Toán", period_start=MONTH)
    db.session.add(month_goal)
    db.session.commit()
    mentoring.month_goal = month_goal
    return mentoring


def test_draft_then_submit_stores_on_time(teacher_client, mentee_world, db):
    w = mentee_world
    page = teacher_client.get(_url(w))
    assert page.status_code == 200 and "Nộp đủ bài tập Toán" in page.get_data(as_text=True)
    goal_rows = {"targets-0-goal_id": str(w.goal.id), "targets-0-progress": "partly",
                 "targets-1-goal_id": str(w.month_goal.id), "targets-1-progress": "achieved"}
    assert teacher_client.post(_url(w), data=_form(**goal_rows)).status_code == 302
    note = _note(w)
    assert note.status == NoteStatus.DRAFT and note.submitted_on_time is None
    assert [c.with_whom.value for c in note.contacts] == ["family"]
    assert note.supports[0].value_vnd == 350000 and note.absences == 2
    assert {t.goal_id: t.progress.value for t in note.progress} == {w.goal.id: "partly", w.month_goal.id: "achieved"}
    response = teacher_client.post(_url(w), data=_form(version=note.version, action="submit", **goal_rows))
    assert response.status_code == 302
    note = _note(w)
    on_time = TODAY.day < w.year.note_day
    assert note.status == NoteStatus.SUBMITTED and note.submitted_on_time is on_time
    assert note.review_status == ReviewStatus.PENDING


def test_submit_needs_a_rating_and_keeps_the_input(teacher_client, mentee_world):
    w = mentee_world
    page = teacher_client.post(_url(w), data=_form(rating="", action="submit", concerns="Chữ của tôi"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Chọn đánh giá chung" in text and "Chữ của tôi" in text
    assert _db.session.query(MonthlyNote).count() == 0  # nothing half-saved


def test_bad_rows_are_reported_not_saved(teacher_client, mentee_world):
    w = mentee_world
    bad_date = teacher_client.post(_url(w), data=_form(**{"contacts-0-contact_on": "31/02/2026"}))
    assert bad_date.status_code == 200 and "dd/mm/yyyy" in bad_date.get_data(as_text=True)
    partial = teacher_client.post(_url(w), data=_form(**{"contacts-0-method": ""}))
    assert "cần ngày, với ai và hình thức" in partial.get_data(as_text=True)
    other_month = teacher_client.post(_url(w), data=_form(**{"contacts-0-contact_on": "01/01/2020"}))
    assert "không thuộc tháng" in other_month.get_data(as_text=True)
    money = teacher_client.post(_url(w), data=_form(**{"supports-0-value_vnd": "năm trăm"}))
    assert "Số tiền không hợp lệ" in money.get_data(as_text=True)
    words = teacher_client.post(_url(w), data=_form(absences="hai", rating="rất tốt"))
    assert "Hãy nhập một số nguyên." in words.get_data(as_text=True)  # WTForms' message, in Vietnamese
    assert "Lựa chọn không hợp lệ." in words.get_data(as_text=True) and "Not a valid" not in words.get_data(as_text=True)
    assert _db.session.query(MonthlyNote).count() == 0


def test_late_submission_is_stored_late(teacher_client, mentee_world, db):
    """A note of a month whose due day has passed is stored as late, and stays so."""
    w = mentee_world
    past = month_start(MONTH - timedelta(days=1))
    if past < month_start(w.year.start_date):
        pytest.skip("the year starts this month")  # not with the default calendar (September)
    key = past.strftime("%Y-%m")
    contact = {"contacts-0-contact_on": format_date(past)}
    assert teacher_client.post(_url(w, key), data=_form(action="submit", **contact)).status_code == 302
    note = db.session.query(MonthlyNote).filter_by(student_id=w.mentee.id, month=past).one()
    assert note.status == NoteStatus.SUBMITTED and note.submitted_on_time is False


def test_changes_after_the_lock_are_amendments_with_a_reason(teacher_client, mentee_world, db):
    w = mentee_world
    past = month_start(MONTH - timedelta(days=1))
    key = past.strftime("%Y-%m")
    contact = {"contacts-0-contact_on": format_date(past)}
    teacher_client.post(_url(w, key), data=_form(action="submit", **contact))
    note = db.session.query(MonthlyNote).filter_by(student_id=w.mentee.id, month=past).one()
    no_reason = teacher_client.post(_url(w, key), data=_form(rating="decline", version=note.version, **contact))
    assert no_reason.status_code == 200 and "ghi lý do bổ sung" in no_reason.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MonthlyNote, note.id).rating == Rating.PROGRESS
    ok = teacher_client.post(_url(w, key), data=_form(rating="decline", version=note.version,
                                                     reason="Em nghỉ thêm 3 buổi cuối tháng", **contact))
    assert ok.status_code == 302
    db.session.expire_all()
    note = db.session.get(MonthlyNote, note.id)
    revision = db.session.query(NoteRevision).filter_by(note_id=note.id).one()
    assert revision.after_lock and revision.changes == {"rating": ["progress", "decline"]}
    assert note.rating == Rating.DECLINE and note.submitted_on_time is False
    page = teacher_client.get(_url(w, key)).get_data(as_text=True)
    assert "Bổ sung sau khoá sổ" in page and "Em nghỉ thêm 3 buổi cuối tháng" in page
    assert db.session.query(AuditLog).filter_by(action="note_amended", object_id=note.id).count() == 1


def test_a_stale_form_is_a_conflict_not_an_overwrite(teacher_client, mentee_world, db):
    w = mentee_world
    teacher_client.post(_url(w), data=_form())
    note = _note(w)
    opened = note.version
    teacher_client.post(_url(w), data=_form(version=opened, concerns="Bản thứ nhất"))
    stale = teacher_client.post(_url(w), data=_form(version=opened, concerns="Bản thứ hai"))
    text = stale.get_data(as_text=True)
    assert stale.status_code == 200 and "vừa được người khác sửa" in text and "Bản thứ hai" in text
    assert _note(w).concerns == "Bản thứ nhất"


@pytest.mark.parametrize("version", [None, "", "x", "-1", "1.0", str(2**70)])
def test_a_form_without_its_version_is_a_conflict_not_an_overwrite(teacher_client, mentee_world, db, version):
    """A script or a stale offline client saving without `version` (or with a malformed one): the
    note written meanwhile stays, no revision is written, and what was typed is shown again."""
    w = mentee_world
    teacher_client.post(_url(w), data=_form(action="submit"))  # submitted: a change keeps a revision
    note = _note(w)
    before, revisions = note.version, _db.session.query(NoteRevision).count()
    response = teacher_client.post(_url(w), data=_form(version=version, concerns="Bản gõ từ script",
                                                       reason="Sửa bằng script"))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nhận xét vừa được người khác sửa" in text and "Bản gõ từ script" in text
    note = _note(w)
    assert note.concerns == "Em còn đi làm thêm buổi tối" and note.version == before
    assert _db.session.query(NoteRevision).count() == revisions


def test_department_head_asks_for_more_and_the_mentor_amends(teacher_client, dept_head_client, mentee_world, db):
    w = mentee_world
    teacher_client.post(_url(w), data=_form(action="submit"))
    note = _note(w)
    queue = dept_head_client.get("/progress/notes/queue").get_data(as_text=True)
    assert w.mentee.full_name in queue
    empty = dept_head_client.post(f"/progress/notes/{note.id}/review", data={"decision": "needs_more", "comment": ""})
    assert empty.status_code == 200 and "Hãy ghi cần bổ sung gì" in empty.get_data(as_text=True)
    dept_head_client.post(f"/progress/notes/{note.id}/review",
                          data={"decision": "needs_more", "comment": "Ghi rõ số buổi học bù"})
    assert _note(w).review_status == ReviewStatus.NEEDS_MORE
    page = teacher_client.get(_url(w)).get_data(as_text=True)
    assert "Ghi rõ số buổi học bù" in page
    teacher_client.post(_url(w), data=_form(version=_note(w).version, next_steps="Học bù Toán 4 buổi"))
    note = _note(w)
    assert note.review_status == ReviewStatus.PENDING and note.next_steps == "Học bù Toán 4 buổi"
    revision = _db.session.query(NoteRevision).filter_by(note_id=note.id).one()
    assert not revision.after_lock and revision.changes["next_steps"][1] == "Học bù Toán 4 buổi"
    dept_head_client.post(f"/progress/notes/{note.id}/review", data={"decision": "seen", "comment": ""})
    assert _note(w).review_status == ReviewStatus.SEEN
    assert len(_note(w).reviews) == 2


def test_supporting_mentor_contributes_but_does_not_write_the_note(union_client, mentee_world, db):
    w = mentee_world
    assert union_client.post(_url(w), data=_form()).status_code == 403
    response = union_client.post(_url(w) + "/contributions", data={"text": "Đã kèm em môn Văn 2 buổi"})
    assert response.status_code == 302
    assert "Đã kèm em môn Văn 2 buổi" in union_client.get(_url(w)).get_data(as_text=True)


def test_views_are_audited_once(teacher_client, leader_client, mentee_world, db):
    w = mentee_world
    teacher_client.post(_url(w), data=_form(action="submit"))
    note = _note(w)
    before = db.session.query(AuditLog).filter_by(action="note_viewed", object_id=note.id).count()
    leader_client.get(_url(w))
    assert db.session.query(AuditLog).filter_by(action="note_viewed", object_id=note.id).count() == before + 1


def test_unknown_or_foreign_months_are_not_found(teacher_client, mentee_world):
    w = mentee_world
    for key in ("2026-13", "abc", "1800-01", "2010-01"):
        assert teacher_client.get(_url(w, key)).status_code == 404


def test_mentor_home_shows_the_month_and_a_chart(teacher_client, mentee_world, db):
    w = mentee_world
    page = teacher_client.get("/home/teacher").get_data(as_text=True)
    assert w.mentee.full_name in page and "js-progress-chart" in page
    assert "Viết nhận xét" in page or "quá hạn" in page
    teacher_client.post(_url(w), data=_form(action="submit"))
    page = teacher_client.get("/home/teacher").get_data(as_text=True)
    assert "Viết nhận xét" not in page


def test_month_cells_follow_the_calendar(mentee_world, db):
    w = mentee_world
    year = w.year
    today = date(year.first_year, 12, 26)  # after the December due day, before the lock
    cells = notes.month_cells(year, date(year.first_year, 11, 10), today, {})
    assert [c.month for c in cells] == [date(year.first_year, 11, 1), date(year.first_year, 12, 1)]
    assert [c.state.state for c in cells] == ["locked_missing", "overdue"]


def test_concurrent_edits_one_wins_the_other_is_told(app, client_for, mentee_world, db):
    """Two people save the same note at once (same version): one change is stored, the other
    request answers with the conflict message (SQLite and PostgreSQL alike), nothing is mixed."""
    import threading

    w = mentee_world
    first = client_for("teacher")
    first.post(_url(w), data=_form())
    version = _note(w).version
    clients = [client_for("teacher"), client_for("teacher")]
    barrier = threading.Barrier(2)
    results = {}
    url = _url(w)  # read here: the threads must not touch the test's session

    def save(i):
        with app.app_context():
            barrier.wait()
            response = clients[i].post(url, data=_form(version=version, concerns=f"Bản số {i}"))
        results[i] = (response.status_code, response.get_data(as_text=True))

    db.session.commit()  # no transaction of the test itself stays open
    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    codes = sorted(code for code, _ in results.values())
    assert codes == [200, 302], codes
    loser = next(i for i, (code, _) in results.items() if code == 200)
    assert "người khác sửa" in results[loser][1] and f"Bản số {loser}" in results[loser][1]
    assert _note(w).concerns == f"Bản số {1 - loser}"


def test_stale_session_cannot_overwrite(app, mentee_world, db):
    """The version column at the database level: a second session holding the old version fails."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    w = mentee_world
    note = MonthlyNote(school_id=w.school.id, school_year_id=w.year.id, student_id=w.mentee.id,
                       assignment_id=w.main_assignment.id, author_id=w.teacher.id, month=MONTH)
    db.session.add(note)
    db.session.flush()
    note_id = note.id
    db.session.commit()  # the test's own session holds no transaction (SQLite: one writer at a time)
    with Session(db.engine, expire_on_commit=False) as one, Session(db.engine, expire_on_commit=False) as two:
        a = one.get(MonthlyNote, note_id)
        one.commit()  # each read in its own transaction, as two page loads would be
        b = two.get(MonthlyNote, note_id)
        two.commit()
        a.concerns = "Một"
        one.commit()
        b.concerns = "Hai"
        with pytest.raises(StaleDataError):
            two.commit()
    db.session.expire_all()
    assert db.session.get(MonthlyNote, note_id).concerns == "Một"


def _mentees(world, db, n):
    from sponsor_app.models import Assignment, MentorRole
    from tests.factories import make_student

    for i in range(n):
        student = make_student(world.other_class, f"Học Sinh Thêm{i}")
        db.session.add(Assignment(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                                  mentor_id=world.teacher.id, role=MentorRole.MAIN,
                                  started_on=world.year.start_date))
        db.session.flush()
        db.session.add(MonthlyNote(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                                   assignment_id=db.session.query(Assignment).filter_by(
                                       student_id=student.id).one().id,
                                   author_id=world.teacher.id, month=MONTH, status=NoteStatus.SUBMITTED,
                                   submitted_at=notes.utcnow(), submitted_on_time=True,
                                   review_status=ReviewStatus.PENDING, rating=Rating.STEADY))
    db.session.commit()


@pytest.mark.parametrize("url", ["/home/teacher", "/progress/notes/queue"])
def test_pages_issue_a_bounded_number_of_queries(app, client_for, mentee_world, db, url):
    client = client_for("teacher" if "home" in url else "depthead")

    def count():
        with count_statements() as counted:
            response = client.get(url)
            assert response.status_code == 200
        return counted.n

    _mentees(mentee_world, db, 1)
    small = count()
    _mentees(mentee_world, db, 8)
    assert count() == small


def test_a_dropout_ends_the_months_and_shows_on_the_timeline(leader_client, mentee_world, db):
    from sponsor_app.assignments.services import REASON_STUDENT_LEFT, end_student_assignments
    from sponsor_app.models import StudentStatus

    w = mentee_world
    left_on = w.year.start_date + timedelta(days=40)
    w.mentee.status, w.mentee.status_date = StudentStatus.DROPPED_OUT, left_on
    end_student_assignments(w.mentee, REASON_STUDENT_LEFT, by=None)
    for a in (w.main_assignment, w.support_assignment):
        a.ended_on = left_on
    db.session.commit()
    page = leader_client.get(f"/progress/students/{w.mentee.id}/notes").get_data(as_text=True)
    assert "Bỏ học" in page and format_date(left_on) in page and "Việc đỡ đầu đã kết thúc" in page
    shown = {m for m in notes.campaign_months(w.year.start_date, TODAY) if f"Tháng {m:%m/%Y}" in page}
    assert shown == set(notes.campaign_months(w.year.start_date, left_on))


def test_the_note_offers_to_raise_a_serious_concern(teacher_client, mentee_world, db):
    w = mentee_world
    teacher_client.post(_url(w), data=_form())
    page = teacher_client.get(_url(w)).get_data(as_text=True)
    assert f"/escalations/students/{w.mentee.id}/new?note_id={_note(w).id}" in page


def test_the_author_keeps_reading_after_the_mentoring_ends(teacher_client, mentee_world, db):
    w = mentee_world
    teacher_client.post(_url(w), data=_form(action="submit"))
    w.main_assignment.ended_on = TODAY
    w.main_assignment.end_reason = "Chuyển công tác"
    db.session.commit()
    assert teacher_client.get(f"/progress/students/{w.mentee.id}/notes").status_code == 200
    assert teacher_client.get(_url(w)).status_code == 200
    assert teacher_client.post(_url(w), data=_form(version=_note(w).version)).status_code == 403
