"""Reminders of monthly notes: who still owes the note of a month, and the e-mails that say so.

The note of month M is due before `note_day` of M (calendar.py). A daily cron job
(`flask send-reminders`) sends:

- on each of the year's `reminder_days` (20 and 24 by default), to every mentor who still owes
  notes of the current month, kind ``mentor_<day>``;
- from the due day until the month locks, once per month, to each department head the notes
  still missing in the department, kind ``dept_head_missing``; the missing notes of mentors
  without a department (or of a department without an active head) go to leadership instead,
  kind ``leader_missing``.

`ReminderLog` keeps what was sent, so each reminder goes once. A reminder that could not be sent
(no e-mail address, the SMTP server refused, e-mail not configured) is not logged: a later run in
its window sends it. Messages name the mentee, the class and the due date and link to the app;
they never carry a note's text, a student's circumstances or any other narrative.

Functions add and flush; the caller commits.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, lazyload

from ..extensions import db
from ..mail import MailError, mail_configured, send_mail
from ..models import (
    Assignment,
    ClassGroup,
    Department,
    Enrollment,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    ReminderLog,
    Role,
    SchoolYear,
    Student,
    StudentStatus,
    User,
    UserRole,
)
from ..permissions import department_member_ids
from ..timeutil import format_date, utcnow
from .calendar import lock_day, month_start, note_due

DEPT_HEAD_KIND = "dept_head_missing"
LEADER_KIND = "leader_missing"


@dataclass(frozen=True)
class Outstanding:
    """A mentee whose note of the month is not submitted yet (a draft may exist)."""

    assignment: Assignment
    mentor: User
    student: Student
    class_group: ClassGroup | None
    has_draft: bool
    department: Department | None
    head: User | None  # the department's head, when the department has an active one


def _in_campaign(year: SchoolYear, month: date) -> bool:
    return month_start(year.start_date) <= month <= month_start(year.end_date)


def outstanding_notes(school_id: int, year: SchoolYear, month: date, *, mentor_ids=None) -> list[Outstanding]:
    """The notes of `month` still owed: one per active main assignment of `year` that started on
    or before the month's due day, whose student is enrolled and has no submitted note that month.

    Ordered by mentor, then student, in Vietnamese name order. `mentor_ids` (a select of user
    ids, e.g. `permissions.department_member_ids`) narrows it to those mentors. One query.
    """
    month = month_start(month)
    if not _in_campaign(year, month):
        return []
    due = note_due(month, year.note_day)
    mentor = aliased(User, name="mentor")
    head = aliased(User, name="head")
    stmt = (
        select(Assignment, mentor, Student, ClassGroup, MonthlyNote.id, Department, head)
        .join(mentor, mentor.id == Assignment.mentor_id)
        .join(Student, Student.id == Assignment.student_id)
        .outerjoin(Enrollment, and_(Enrollment.student_id == Assignment.student_id,
                                    Enrollment.school_year_id == Assignment.school_year_id))
        .outerjoin(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .outerjoin(MonthlyNote, and_(MonthlyNote.student_id == Assignment.student_id, MonthlyNote.month == month))
        .outerjoin(Department, Department.id == mentor.department_id)
        .outerjoin(head, and_(head.id == Department.head_id, head.active.is_(True)))
        .where(Assignment.school_id == school_id, Assignment.school_year_id == year.id,
               Assignment.role == MentorRole.MAIN, Assignment.ended_on.is_(None),
               Assignment.started_on <= due, Student.status == StudentStatus.ENROLLED,
               (MonthlyNote.id.is_(None)) | (MonthlyNote.status != NoteStatus.SUBMITTED))
        .options(lazyload(mentor.role_rows), lazyload(head.role_rows))
        .order_by(mentor.sort_key, mentor.id, Student.sort_key, Student.id)
    )
    if mentor_ids is not None:
        stmt = stmt.where(Assignment.mentor_id.in_(mentor_ids))
    return [Outstanding(assignment=a, mentor=m, student=s, class_group=c, has_draft=note_id is not None,
                        department=d, head=h)
            for a, m, s, c, note_id, d, h in db.session.execute(stmt).all()]


# --- the department head's banner ---------------------------------------------------------

@dataclass(frozen=True)
class MissingNotes:
    """The current month's notes still missing in the departments a user heads (home banner)."""

    month: date
    due: date
    lock: date
    past_due: bool  # from the due day on, the banner lists them
    items: list[Outstanding]

    @property
    def count(self) -> int:
        return len(self.items)


def department_missing(user: User, year: SchoolYear, today: date) -> MissingNotes:
    """The notes of `today`'s month not yet submitted by the mentors of the user's departments."""
    month = month_start(today)
    due = note_due(month, year.note_day)
    items = outstanding_notes(user.school_id, year, month, mentor_ids=department_member_ids(user))
    return MissingNotes(month=month, due=due, lock=lock_day(month, year.note_day, year.note_grace_days),
                        past_due=today >= due, items=items)


# --- planning -----------------------------------------------------------------------------

@dataclass
class Reminder:
    """One e-mail to send: to a mentor (their mentees) or to a department head / leader (the
    department's missing notes)."""

    kind: str
    recipient: User
    month: date
    due: date
    items: list[Outstanding] = field(default_factory=list)

    @property
    def to_mentor(self) -> bool:
        return self.kind.startswith("mentor_")


def reminder_days(year: SchoolYear) -> list[int]:
    """The year's mentor reminder days ("20,24" → [20, 24]); entries that are not days are ignored."""
    days = set()
    for part in (year.reminder_days or "").replace(";", ",").split(","):
        part = part.strip()
        if part.isdecimal() and 1 <= int(part) <= 31:  # "²" passes isdigit(), not int()
            days.add(int(part))
    return sorted(days)


def _leaders(school_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.school_id == school_id, User.active.is_(True), UserRole.role == Role.LEADER)
        .order_by(User.sort_key, User.id)))


def _group(items: Iterable[Outstanding], key) -> dict[int, tuple[User, list[Outstanding]]]:
    groups: dict[int, tuple[User, list[Outstanding]]] = {}
    for item in items:
        user = key(item)
        groups.setdefault(user.id, (user, []))[1].append(item)
    return groups


def plan_reminders(school_id: int, year: SchoolYear, today: date) -> list[Reminder]:
    """What to send on `today`, less what the reminder log says was already sent."""
    month = month_start(today)
    due = note_due(month, year.note_day)
    mentor_day = today.day in reminder_days(year)
    heads_window = due <= today < lock_day(month, year.note_day, year.note_grace_days)
    if not (mentor_day or heads_window):
        return []
    items = outstanding_notes(school_id, year, month)
    if not items:
        return []
    planned: list[Reminder] = []
    if mentor_day:
        kind = f"mentor_{today.day}"
        for mentor, owed in _group((i for i in items if i.mentor.active), lambda i: i.mentor).values():
            planned.append(Reminder(kind, mentor, month, due, owed))
    if heads_window:
        for head, missing in _group((i for i in items if i.head), lambda i: i.head).values():
            planned.append(Reminder(DEPT_HEAD_KIND, head, month, due, missing))
        unrouted = [i for i in items if i.head is None]
        if unrouted:
            for leader in _leaders(school_id):
                planned.append(Reminder(LEADER_KIND, leader, month, due, unrouted))
    logged = {(kind, user_id) for kind, user_id in db.session.execute(
        select(ReminderLog.kind, ReminderLog.user_id)
        .where(ReminderLog.school_id == school_id, ReminderLog.month == month,
               ReminderLog.kind.in_({r.kind for r in planned})))}
    return [r for r in planned if (r.kind, r.recipient.id) not in logged]


# --- the messages -------------------------------------------------------------------------

def _app_link() -> str:
    return (current_app.config.get("PUBLIC_URL") or "").rstrip("/") + "/"


def _mentee_line(item: Outstanding) -> str:
    class_name = item.class_group.name if item.class_group else "—"
    if item.has_draft:
        return _("%(student)s, lớp %(class_name)s (đã có bản nháp, chưa gửi)",
                 student=item.student.full_name, class_name=class_name)
    return _("%(student)s, lớp %(class_name)s", student=item.student.full_name, class_name=class_name)


def compose(reminder: Reminder, today: date) -> tuple[str, str]:
    """The subject and plain-text body of a reminder, in the recipient's language (Vietnamese by
    default). Names, classes and dates only: never a note's text or a student's circumstances."""
    month = reminder.month.strftime("%m/%Y")
    due = format_date(reminder.due)
    with force_locale(reminder.recipient.locale or "vi"):
        lines = [_("Kính gửi thầy/cô %(name)s,", name=reminder.recipient.full_name), ""]
        if reminder.to_mentor:
            subject = _("Nhắc gửi nhận xét tháng %(month)s (hạn trước %(due)s)", month=month, due=due)
            lines.append(_("Nhận xét tháng %(month)s của các học sinh thầy/cô đỡ đầu cần gửi trước ngày "
                           "%(due)s. Còn chưa gửi:", month=month, due=due))
            lines += [f"- {_mentee_line(i)}" for i in reminder.items]
        else:
            subject = _("Còn %(n)d nhận xét tháng %(month)s chưa gửi", n=len(reminder.items), month=month)
            if reminder.kind == LEADER_KIND:
                intro = _("Đến ngày %(today)s, còn %(n)d nhận xét tháng %(month)s (hạn trước %(due)s) chưa "
                          "gửi của GV chưa thuộc tổ nào hoặc thuộc tổ chưa có tổ trưởng:",
                          today=format_date(today), n=len(reminder.items), month=month, due=due)
            else:
                intro = _("Đến ngày %(today)s, còn %(n)d nhận xét tháng %(month)s (hạn trước %(due)s) chưa "
                          "gửi trong tổ của thầy/cô:",
                          today=format_date(today), n=len(reminder.items), month=month, due=due)
            lines.append(intro)
            lines += [f"- {i.mentor.full_name}: {_mentee_line(i)}" for i in reminder.items]
        lines += ["", _("Mở ứng dụng: %(url)s", url=_app_link()), "",
                  _("Thư tự động của ứng dụng Đỡ đầu học sinh. Thư không chứa nội dung nhận xét hay "
                    "thông tin hoàn cảnh của học sinh: xem trong ứng dụng.")]
    return subject, "\n".join(lines)


# --- sending ------------------------------------------------------------------------------

SENT, NO_EMAIL, FAILED, NOT_SENT, ALREADY_SENT = "sent", "no_email", "failed", "not_sent", "already_sent"


@dataclass
class Outcome:
    reminder: Reminder
    status: str  # SENT | NO_EMAIL | FAILED | NOT_SENT (mail not configured, or a dry run) | ALREADY_SENT
    error: str | None = None


@dataclass
class Report:
    """What a run sent, skipped and failed for one school year on one day."""

    year: SchoolYear
    today: date
    mail_configured: bool
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)

    def with_status(self, status: str, *, to_mentor: bool | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status
                and (to_mentor is None or o.reminder.to_mentor == to_mentor)]

    @property
    def sent(self) -> list[Outcome]:
        return self.with_status(SENT)

    @property
    def skipped(self) -> list[Outcome]:
        return self.with_status(NO_EMAIL)

    @property
    def failed(self) -> list[Outcome]:
        return self.with_status(FAILED)


def send_reminders(school_id: int, year: SchoolYear, today: date, *, dry_run: bool = False) -> Report:
    """Send the reminders planned for `today` and log each one sent.

    Without e-mail configured, or with `dry_run`, nothing is sent or logged: the report lists what
    would be sent. A recipient without an address is skipped; an SMTP failure is reported for that
    recipient and the others still go. Neither is logged, so a later run in the window retries.
    """
    report = Report(year=year, today=today, mail_configured=mail_configured(), dry_run=dry_run)
    for reminder in plan_reminders(school_id, year, today):
        if not reminder.recipient.email:
            report.outcomes.append(Outcome(reminder, NO_EMAIL))
        elif dry_run or not report.mail_configured:
            report.outcomes.append(Outcome(reminder, NOT_SENT))
        else:
            report.outcomes.append(_send_one(school_id, reminder, today))
    return report


def _send_one(school_id: int, reminder: Reminder, today: date) -> Outcome:
    """Log first (in a savepoint), then send: a second run at the same moment meets the unique
    log row and does not send again; a failed send rolls its log row back."""
    subject, body = compose(reminder, today)
    savepoint = db.session.begin_nested()
    try:
        db.session.add(ReminderLog(school_id=school_id, kind=reminder.kind, user_id=reminder.recipient.id,
                                   month=reminder.month, sent_at=utcnow(), notes_count=len(reminder.items)))
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return Outcome(reminder, ALREADY_SENT)
    try:
        send_mail([reminder.recipient.email], subject, body)
    except MailError as err:
        savepoint.rollback()
        return Outcome(reminder, FAILED, str(err))
    savepoint.commit()
    return Outcome(reminder, SENT)
