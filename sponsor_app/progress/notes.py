"""Monthly notes: the main mentor's record of a mentee's month, its submission (on time or late,
stored), corrections and amendments, the department head's sign-off, supporting mentors'
contributions, and the mentor's overview.

Rules (calendar.py has the pure ones):
- one note per mentee per month, for the months from the assignment to today within the year;
- a draft is edited freely; submitting stores on time / late (before the year's note day);
- a submitted note is never silently overwritten: each later change is a NoteRevision keeping
  the old and new values — a correction until the month locks (due day + grace), an amendment
  with a required reason after it;
- a note missing when the month locks can still be written: it is stored as late;
- the head of the author's department marks a submitted note "đã xem" or "cần bổ sung" (with a
  comment the mentor sees); the mentor's next change puts it back in the queue.

Functions add and flush; the request commits.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..exceptions import RuleError
from ..extensions import db
from ..models import (
    Assignment,
    ClassGroup,
    ContactWith,
    Department,
    Enrollment,
    Horizon,
    MentorRole,
    MonthlyNote,
    NoteContact,
    NoteContactMethod,
    NoteContribution,
    NoteReview,
    NoteRevision,
    NoteStatus,
    NoteSupport,
    NoteTarget,
    PlanGoal,
    Rating,
    ReviewStatus,
    Role,
    SchoolYear,
    Student,
    SupportPlan,
    TargetProgress,
    Trend,
    User,
)
from ..timeutil import utcnow
from .calendar import MonthState, add_months, campaign_months, is_locked, is_on_time, month_start, month_state

SCALARS = ("absences", "learning_trend", "conduct_trend", "wellbeing", "rating", "concerns", "next_steps")
ENUMS = {"learning_trend": Trend, "conduct_trend": Trend, "rating": Rating}
RATING_SCORE = {Rating.PROGRESS: 1, Rating.STEADY: 0, Rating.DECLINE: -1}


def parse_month(text: str) -> date | None:
    """'2026-12' → 1 December 2026; None for anything else."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1) if 1900 < year < 2200 else None
    except ValueError:
        return None


def year_of_month(school_id: int, month: date) -> SchoolYear | None:
    """The school year a month belongs to (its first day within the year, or the year's first month)."""
    return db.session.scalar(select(SchoolYear).where(
        SchoolYear.school_id == school_id, SchoolYear.start_date <= add_months(month, 1) - timedelta(days=1),
        SchoolYear.end_date >= month).order_by(SchoolYear.start_date.desc()).limit(1))


def month_key(month: date) -> str:
    return month.strftime("%Y-%m")


def mentee_months(year: SchoolYear, started_on: date, today: date, ended_on: date | None = None) -> list[date]:
    """The months a mentee has (or had) a note to write: from the assignment to today (or to the
    end of the mentoring), within the year."""
    first = max(started_on, year.start_date)
    last = min(today, year.end_date, ended_on or today)
    return campaign_months(first, last) if first <= last else []


def main_assignment(student: Student, year: SchoolYear) -> Assignment | None:
    return db.session.scalar(select(Assignment).where(
        Assignment.student_id == student.id, Assignment.school_year_id == year.id,
        Assignment.role == MentorRole.MAIN, Assignment.ended_on.is_(None)))


def is_writable(main: Assignment | None, user: User, year: SchoolYear, month: date, today: date,
                note: MonthlyNote | None) -> bool:
    """The main mentor writes a note of a month of the mentoring (an existing note stays editable)."""
    from ..permissions import is_year_closed

    if main is None or main.mentor_id != user.id or is_year_closed(year.id):
        return False
    return note is not None or month in mentee_months(year, main.started_on, today)


def last_main_assignment(student: Student, year: SchoolYear) -> Assignment | None:
    """The active main mentoring, else the one that ended last (a student who left, a reassignment)."""
    return db.session.scalar(select(Assignment).where(
        Assignment.student_id == student.id, Assignment.school_year_id == year.id,
        Assignment.role == MentorRole.MAIN).order_by(Assignment.ended_on.is_(None).desc(),
                                                     Assignment.ended_on.desc()).limit(1))


def note_of(student: Student, month: date) -> MonthlyNote | None:
    return db.session.scalar(
        select(MonthlyNote).where(MonthlyNote.student_id == student.id, MonthlyNote.month == month)
        .options(selectinload(MonthlyNote.contacts), selectinload(MonthlyNote.supports),
                 selectinload(MonthlyNote.progress).selectinload(NoteTarget.goal),
                 selectinload(MonthlyNote.revisions).selectinload(NoteRevision.author),
                 selectinload(MonthlyNote.reviews).selectinload(NoteReview.reviewer)))


def targets_for(plan: SupportPlan | None, month: date, note: MonthlyNote | None = None) -> list[PlanGoal]:
    """The goals a note of `month` reports on: the month's targets and the semester's goals
    (plus any goal the note already reported on, even if archived since)."""
    if plan is None:
        return []
    year = plan.school_year
    semester_start = year.semester2_start if month >= month_start(year.semester2_start) else year.start_date
    reported = {t.goal_id for t in note.progress} if note else set()
    chosen = [g for g in plan.goals if g.id in reported or (not g.archived and (
        (g.horizon == Horizon.MONTH and g.period_start == month)
        or (g.horizon == Horizon.SEMESTER and g.period_start == semester_start)))]
    return sorted(chosen, key=lambda g: (g.horizon != Horizon.SEMESTER, g.domain.value, g.position))


def open_note(student: Student, year: SchoolYear, month: date, *, by: User, today: date) -> MonthlyNote:
    """Start the note of `month` (a draft) for the student's main mentor.

    :raises RuleError: not the main mentor, a month outside the mentoring, or in the future.
    """
    main = main_assignment(student, year)
    if main is None or main.mentor_id != by.id:
        raise RuleError(_("Chỉ GV đỡ đầu chính viết nhận xét hằng tháng."))
    if month not in mentee_months(year, main.started_on, today):
        raise RuleError(_("Tháng %(m)s không nằm trong thời gian đỡ đầu (từ khi được phân công đến nay).",
                          m=month.strftime("%m/%Y")))
    note = MonthlyNote(school_id=student.school_id, school_year_id=year.id, student_id=student.id,
                       assignment_id=main.id, author_id=by.id, month=month)
    note.student, note.school_year = student, year
    db.session.add(note)
    db.session.flush()
    audit.record("note_started", note, student_id=student.id, month=month_key(month))
    return note


def snapshot(note: MonthlyNote) -> dict:
    """The note's content as plain values (what a revision compares and keeps)."""
    data = {}
    for name in SCALARS:
        value = getattr(note, name)
        data[name] = value.value if hasattr(value, "value") else value
    data["contacts"] = [{"contact_on": c.contact_on.isoformat(), "with_whom": c.with_whom.value,
                         "method": c.method.value, "summary": c.summary} for c in note.contacts]
    data["supports"] = [{"kind": s.kind, "value_vnd": s.value_vnd, "donor": s.donor} for s in note.supports]
    data["progress"] = sorted(({"goal_id": t.goal_id, "progress": t.progress.value, "comment": t.comment}
                               for t in note.progress), key=lambda t: t["goal_id"])
    return data


def _apply(note: MonthlyNote, data: dict, allowed_goals: set[int]) -> None:
    note.updated_at = utcnow()  # the row (and its version) changes even when only child rows do
    for name in SCALARS:
        if name in data:
            value = data[name]
            if name in ENUMS and value is not None:
                value = ENUMS[name](value)
            setattr(note, name, value)
    if "contacts" in data:
        note.contacts = [NoteContact(contact_on=c["contact_on"], with_whom=ContactWith(c["with_whom"]),
                                     method=NoteContactMethod(c["method"]), summary=c.get("summary") or None,
                                     position=i) for i, c in enumerate(data["contacts"])]
    if "supports" in data:
        note.supports = [NoteSupport(kind=s["kind"], value_vnd=s.get("value_vnd") or 0,
                                     donor=s.get("donor") or None, position=i)
                         for i, s in enumerate(data["supports"])]
    if "progress" in data:
        if note.progress:  # orphans go first: a goal is reported once per note (unique)
            note.progress = []
            db.session.flush()
        note.progress = [NoteTarget(goal_id=p["goal_id"], progress=TargetProgress(p["progress"]),
                                    comment=p.get("comment") or None)
                         for p in data["progress"] if p["goal_id"] in allowed_goals and p.get("progress")]


def validate_contacts(contacts: list[dict], month: date, today: date) -> None:
    """:raises RuleError: a contact outside the month or in the future."""
    for contact in contacts:
        day = contact["contact_on"]
        if month_start(day) != month:
            raise RuleError(_("Ngày liên hệ %(d)s không thuộc tháng %(m)s.", d=day.strftime("%d/%m/%Y"),
                              m=month.strftime("%m/%Y")))
        if day > today:
            raise RuleError(_("Ngày liên hệ %(d)s ở tương lai.", d=day.strftime("%d/%m/%Y")))


def save_note(note: MonthlyNote, data: dict, *, by: User, today: date, allowed_goals: set[int],
              reason: str | None = None) -> NoteRevision | None:
    """Save the note's content. A draft is simply updated; a submitted note keeps a revision of
    what changed (an amendment with a required reason once the month is locked).

    :raises RuleError: a contact outside the month, or an amendment without a reason.
    """
    validate_contacts(data.get("contacts", []), note.month, today)
    reason = (reason or "").strip() or None
    if note.status == NoteStatus.DRAFT:
        _apply(note, data, allowed_goals)
        db.session.flush()
        audit.record("note_saved", note, month=month_key(note.month))
        return None
    before = snapshot(note)
    _apply(note, data, allowed_goals)
    db.session.flush()
    after = snapshot(note)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changes:
        return None
    year = note.school_year
    locked = is_locked(note.month, today, year.note_day, year.note_grace_days)
    if locked and not reason:
        raise RuleError(_("Tháng đã khoá sổ: thay đổi là một lần bổ sung, hãy ghi lý do bổ sung."))
    revision = NoteRevision(note_id=note.id, author_id=by.id, after_lock=locked, reason=reason, changes=changes)
    db.session.add(revision)
    if note.review_status == ReviewStatus.NEEDS_MORE:
        note.review_status = ReviewStatus.PENDING  # back in the department head's queue
    db.session.flush()
    audit.record("note_amended" if locked else "note_corrected", note, month=month_key(note.month),
                 fields=sorted(changes))
    return revision


def submit_note(note: MonthlyNote, *, by: User, today: date) -> None:
    """Submit the note: on time (before the note day) or late is stored now.

    :raises RuleError: already submitted, or no overall rating.
    """
    if note.status == NoteStatus.SUBMITTED:
        raise RuleError(_("Nhận xét tháng này đã gửi."))
    if note.rating is None:
        raise RuleError(_("Chọn đánh giá chung của tháng (tiến bộ, giữ vững hay sa sút) trước khi gửi."))
    note.status, note.submitted_at = NoteStatus.SUBMITTED, utcnow()
    note.submitted_on_time = is_on_time(today, note.month, note.school_year.note_day)
    note.review_status = ReviewStatus.PENDING
    db.session.flush()
    audit.record("note_submitted", note, month=month_key(note.month), on_time=note.submitted_on_time)


def review_note(note: MonthlyNote, decision: ReviewStatus, comment: str | None, *, by: User) -> None:
    """The department head's sign-off: seen, or needs more (a comment is required).

    :raises RuleError: the note is not submitted, or "needs more" without a comment.
    """
    comment = (comment or "").strip() or None
    if note.status != NoteStatus.SUBMITTED:
        raise RuleError(_("Nhận xét chưa được gửi."))
    if decision == ReviewStatus.NEEDS_MORE and not comment:
        raise RuleError(_("Hãy ghi cần bổ sung gì."))
    note.review_status, note.reviewed_by_id, note.reviewed_at = decision, by.id, utcnow()
    note.review_comment = comment
    db.session.add(NoteReview(note_id=note.id, reviewer_id=by.id, decision=decision, comment=comment))
    db.session.flush()
    audit.record("note_reviewed", note, decision=decision.value)


def add_contribution(student: Student, month: date, text: str, *, by: User) -> NoteContribution:
    """A supporting mentor's contribution to the mentee's month."""
    contribution = NoteContribution(school_id=student.school_id, student_id=student.id, month=month,
                                    author_id=by.id, text=text)
    db.session.add(contribution)
    db.session.flush()
    audit.record("note_contribution_added", contribution, student_id=student.id, month=month_key(month))
    return contribution


def contributions_for(student: Student, month: date) -> list[NoteContribution]:
    return list(db.session.scalars(
        select(NoteContribution).where(NoteContribution.student_id == student.id, NoteContribution.month == month)
        .options(joinedload(NoteContribution.author).lazyload(User.role_rows)).order_by(NoteContribution.id)))


# --- review queue ------------------------------------------------------------------------------

@dataclass
class QueueRow:
    note: MonthlyNote
    mentor: User
    class_name: str | None


def review_queue(user: User, year: SchoolYear, status: ReviewStatus = ReviewStatus.PENDING) -> list[QueueRow]:
    """Submitted notes of the mentors of the departments `user` heads (leadership: all), by review status."""
    stmt = (select(MonthlyNote, User, ClassGroup.name)
            .join(User, User.id == MonthlyNote.author_id)
            .outerjoin(Enrollment, and_(Enrollment.student_id == MonthlyNote.student_id,
                                        Enrollment.school_year_id == MonthlyNote.school_year_id))
            .outerjoin(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
            .where(MonthlyNote.school_id == user.school_id, MonthlyNote.school_year_id == year.id,
                   MonthlyNote.status == NoteStatus.SUBMITTED, MonthlyNote.review_status == status)
            .options(selectinload(MonthlyNote.student))
            .order_by(MonthlyNote.month, User.sort_key, MonthlyNote.submitted_at))
    if not user.has_role(Role.LEADER):
        stmt = stmt.where(User.department_id.in_(select(Department.id).where(Department.head_id == user.id)))
    return [QueueRow(n, u, c) for n, u, c in db.session.execute(stmt).all()]


# --- the mentor's overview -------------------------------------------------------------------

@dataclass
class MonthCell:
    month: date
    state: MonthState
    note: MonthlyNote | None


@dataclass
class MenteeProgress:
    """What the mentor's page shows for one mentee."""

    assignment: Assignment
    class_group: ClassGroup | None
    months: list[MonthCell] = field(default_factory=list)
    plan: SupportPlan | None = None
    current: MonthCell | None = None
    targets_achieved: int = 0
    targets_reported: int = 0

    @property
    def chart(self) -> dict:
        """Absences and ratings by month (JSON for the chart; no narrative)."""
        return {"labels": [c.month.strftime("%m/%Y") for c in self.months],
                "absences": [c.note.absences if c.note and c.note.status == NoteStatus.SUBMITTED else None
                             for c in self.months],
                "ratings": [RATING_SCORE.get(c.note.rating) if c.note and c.note.status == NoteStatus.SUBMITTED
                            and c.note.rating else None for c in self.months]}


def month_cells(year: SchoolYear, started_on: date, today: date, notes: dict[date, MonthlyNote],
                ended_on: date | None = None) -> list[MonthCell]:
    cells = []
    for month in mentee_months(year, started_on, today, ended_on):
        note = notes.get(month)
        submitted = note is not None and note.status == NoteStatus.SUBMITTED
        state = month_state(month, today, year.note_day, year.note_grace_days,
                            submitted_on=note.submitted_at.date() if submitted else None,
                            on_time=note.submitted_on_time if submitted else None,
                            has_draft=note is not None and not submitted)
        cells.append(MonthCell(month, state, note))
    return cells


def notes_by_student(year: SchoolYear, student_ids) -> dict[int, dict[date, MonthlyNote]]:
    """The notes of these students in `year` (one query), with their reported targets."""
    found: dict[int, dict[date, MonthlyNote]] = {}
    if not student_ids:
        return found
    for note in db.session.scalars(select(MonthlyNote).where(MonthlyNote.school_year_id == year.id,
                                                             MonthlyNote.student_id.in_(list(student_ids)))
                                   .options(selectinload(MonthlyNote.progress))):
        found.setdefault(note.student_id, {})[note.month] = note
    return found


def mentor_overview(mentees: list[tuple[Assignment, ClassGroup | None]], year: SchoolYear,
                    today: date) -> list[MenteeProgress]:
    """Each mentee with this month's note state, the months so far, plan status and progress.

    Three queries whatever the number of mentees (the mentees come from assignments.mentor_home).
    """
    from .plans import plans_by_student

    ids = [a.student_id for a, _ in mentees]
    notes = notes_by_student(year, ids)
    plans = plans_by_student(year, ids) if ids else {}
    this_month = month_start(today)
    rows = []
    for assignment, class_group in mentees:
        row = MenteeProgress(assignment, class_group, plan=plans.get(assignment.student_id))
        if assignment.role == MentorRole.MAIN:
            row.months = month_cells(year, assignment.started_on, today, notes.get(assignment.student_id, {}))
            row.current = next((c for c in row.months if c.month == this_month), None)
            last = next((c.note for c in reversed(row.months)
                         if c.note and c.note.status == NoteStatus.SUBMITTED), None)
            if last:
                row.targets_reported = len(last.progress)
                row.targets_achieved = sum(1 for t in last.progress if t.progress == TargetProgress.ACHIEVED)
        rows.append(row)
    return rows


def due_soon(rows: list[MenteeProgress]) -> list[MenteeProgress]:
    """Mentees whose note of this month still has to be sent (for the banner)."""
    return [r for r in rows if r.current and r.current.state.state in ("due", "draft", "overdue")]


def previous_missing(rows: list[MenteeProgress]) -> list[tuple[MenteeProgress, MonthCell]]:
    """Earlier months whose note is missing (locked): they can still be written, late."""
    return [(r, c) for r in rows for c in r.months if c.state.state == "locked_missing"]
