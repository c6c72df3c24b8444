"""Students needing attention: approved (at-risk) students for whom something should be done now.

Reasons, as of a reference month (this month by default):
- no main mentor;
- no note submitted for the month, once its due day has passed (earlier months: always);
- two months of decline: the two latest submitted notes up to the month, in consecutive months,
  both rated "sa sút";
- absences approaching the 45-session limit (Circular 22: more than 45 blocks promotion): the
  screening's count (the year so far when screened) plus the notes' monthly absences of the months
  after the screening month, from ABSENCE_WARNING sessions on;
- an open escalation (only for those who may follow escalations: leadership, the focal point).

Three queries whatever the number of students (students with mentors and classes; notes;
escalations). Functions read only.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, select

from ..assignments.services import approved_students
from ..extensions import db
from ..models import (
    Assignment,
    ClassGroup,
    Escalation,
    EscalationStatus,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    Rating,
    SchoolYear,
    Screening,
    Student,
    User,
)
from ..permissions import department_member_ids, is_escalation_responder
from ..progress.calendar import add_months, month_start, note_due

ABSENCE_LIMIT = 45  # more than this many sessions absent in a year blocks promotion
ABSENCE_WARNING = 30  # from here on the student is listed

REASONS = ("no_mentor", "no_note", "decline", "absences", "escalation")

# Written into exports in Vietnamese whatever the UI language (as the other official exports).
EXPORT_HEADERS = ("TT", "Họ và tên", "Lớp", "GV đỡ đầu chính", "Cần quan tâm", "Số buổi nghỉ trong năm")
REASON_TEXT = {"no_mentor": "Chưa có GV đỡ đầu", "no_note": "Chưa có nhận xét tháng", "decline": "Sa sút 2 tháng liền",
               "absences": "Nghỉ nhiều buổi", "escalation": "Vụ việc đang mở"}


@dataclass
class AttentionRow:
    student: Student
    class_group: ClassGroup
    screening: Screening
    mentor: User | None = None
    reasons: list[str] = field(default_factory=list)
    absences: int = 0
    escalation_id: int | None = None
    note_state: str | None = None  # of the reference month: "draft" or "missing"

    @property
    def critical(self) -> bool:
        return self.absences > ABSENCE_LIMIT or "escalation" in self.reasons


def students_needing_attention(user: User, year: SchoolYear, month: date, today: date,
                               reason: str | None = None) -> list[AttentionRow]:
    """The approved students of `year` the user may follow that need attention in `month`.

    Leadership: the whole school; a department head: the students whose active main mentor is in
    a department they head. `reason` keeps only rows with that reason.
    """
    stmt = (approved_students(user.school_id, year)
            .add_columns(User)
            .outerjoin(Assignment, and_(Assignment.student_id == Student.id, Assignment.school_year_id == year.id,
                                        Assignment.role == MentorRole.MAIN, Assignment.ended_on.is_(None)))
            .outerjoin(User, User.id == Assignment.mentor_id)
            .order_by(ClassGroup.grade, ClassGroup.name, Student.sort_key))
    if not user.has_role("leader"):
        stmt = stmt.where(Assignment.mentor_id.in_(department_member_ids(user)))
    rows = {s.id: AttentionRow(s, c, sc, mentor=m) for s, sc, c, m in db.session.execute(stmt).all()}
    if not rows:
        return []
    notes: dict[int, list[tuple[date, NoteStatus, Rating | None, int | None]]] = {}
    for student_id, note_month, status, rating, absences in db.session.execute(
            select(MonthlyNote.student_id, MonthlyNote.month, MonthlyNote.status, MonthlyNote.rating,
                   MonthlyNote.absences)
            .where(MonthlyNote.school_year_id == year.id, MonthlyNote.student_id.in_(list(rows)),
                   MonthlyNote.month <= month)):
        notes.setdefault(student_id, []).append((note_month, status, rating, absences))
    open_escalations = {}
    if is_escalation_responder(user):
        open_escalations = dict(db.session.execute(
            select(Escalation.student_id, Escalation.id)
            .where(Escalation.school_year_id == year.id, Escalation.student_id.in_(list(rows)),
                   Escalation.status != EscalationStatus.CLOSED).order_by(Escalation.raised_at)).all())
    overdue = today >= note_due(month, year.note_day)
    for student_id, row in rows.items():
        mine = sorted(notes.get(student_id, []))
        submitted = [n for n in mine if n[1] == NoteStatus.SUBMITTED]
        if row.mentor is None:
            row.reasons.append("no_mentor")
        elif overdue and not any(n[0] == month for n in submitted):
            row.reasons.append("no_note")
            row.note_state = "draft" if any(n[0] == month for n in mine) else "missing"
        if len(submitted) >= 2:
            (m1, _, r1, _), (m2, _, r2, _) = submitted[-2], submitted[-1]
            if r1 == r2 == Rating.DECLINE and add_months(m1, 1) == m2:
                row.reasons.append("decline")
        screened_month = month_start(row.screening.proposed_on)
        row.absences = (row.screening.absences or 0) + sum(a or 0 for m, _, _, a in submitted if m > screened_month)
        if row.absences >= ABSENCE_WARNING:
            row.reasons.append("absences")
        if student_id in open_escalations:
            row.reasons.append("escalation")
            row.escalation_id = open_escalations[student_id]
    found = [r for r in rows.values() if r.reasons and (reason is None or reason in r.reasons)]
    return sorted(found, key=lambda r: (not r.critical, -len(r.reasons)))


def counts(rows: list[AttentionRow]) -> dict[str, int]:
    return {key: sum(1 for r in rows if key in r.reasons) for key in REASONS}
