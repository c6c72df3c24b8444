"""Closing a school year: the year-end review (tổng kết) and the rollover of open cases.

An *open case* of the closing year Y is a student approved for sponsorship in Y, still enrolled,
whose mentoring has not ended (an active assignment in Y, or never assigned). Leadership decides
each one:

- carry forward: the same main mentor (who must still be on staff) mentors the student in the next
  year N: a new main assignment in N (supporting mentors still on staff follow), the screening
  carried into N as approved, the mentor's pledge copied into N when they have none there yet (the
  pledge stays when the student moves up a grade), and a new draft support plan for N that keeps
  the semester goals of Y's plan and references it;
- hand over: the same, with another mentor, and a handover note (required) kept on the case;
- close, with a reason: no longer at risk, graduated, moved, dropped out (the student's status
  changes for the last three, dated after Y ended).

Nothing of Y changes: its assignments, plans, notes and reports are left as they were. Closing
the year (once every open case is decided) records a YearClosure: Y then takes no more campaign
writes (notes, contributions, plans: see `permissions.is_year_closed`).

Functions add and flush; the request commits.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..admin.services import YEAR_FIELDS, save_year
from ..assignments.official_list import _class_key
from ..assignments.services import staff_query
from ..exceptions import RuleError
from ..extensions import db
from ..models import (
    CIRCUMSTANCE_FLAGS,
    Assignment,
    CaseDecision,
    ClassGroup,
    CloseReason,
    Decision,
    Enrollment,
    Horizon,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    PlanGoal,
    Pledge,
    RolloverCase,
    SchoolYear,
    Screening,
    Student,
    StudentStatus,
    SupportPlan,
    User,
    YearClosure,
)
from ..params import to_int
from ..timeutil import local_today, utcnow
from .services import latest_ratings, progress_text

CARRIED_REASON = "Tiếp tục đỡ đầu từ năm học {year}"
CLOSE_REASON_TEXT = {CloseReason.NOT_AT_RISK: "Không còn nguy cơ", CloseReason.GRADUATED: "Đã ra trường",
                     CloseReason.MOVED: "Chuyển trường, chuyển đi nơi khác", CloseReason.DROPPED_OUT: "Đã bỏ học"}
CLOSE_STATUS = {CloseReason.GRADUATED: StudentStatus.GRADUATED, CloseReason.MOVED: StudentStatus.TRANSFERRED,
                CloseReason.DROPPED_OUT: StudentStatus.DROPPED_OUT}
SCREENING_COPY = (*CIRCUMSTANCE_FLAGS, "other_circumstance_text", "rating_scale", "conduct_rating",
                  "learning_rating", "circumstances_text", "conduct_text", "risk_score", "risk_level",
                  "risk_reasons")


# --- the next year and its classes ----------------------------------------------------------

def next_year_of(year: SchoolYear) -> SchoolYear | None:
    return db.session.scalar(select(SchoolYear).where(
        SchoolYear.school_id == year.school_id, SchoolYear.start_date > year.start_date)
        .order_by(SchoolYear.start_date).limit(1))


def closure_of(year: SchoolYear) -> YearClosure | None:
    return db.session.scalar(select(YearClosure).where(YearClosure.school_year_id == year.id))


def _shift(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def create_next_year(year: SchoolYear, *, by: User) -> SchoolYear:
    """The next school year, its calendar the closing year's shifted by one year.

    :raises RuleError: a later year exists already, or its name is taken.
    """
    if next_year_of(year) is not None:
        raise RuleError(_("Năm học tiếp theo đã có."))
    data = {key: getattr(year, key) for key in YEAR_FIELDS}
    data = {k: (_shift(v) if isinstance(v, date) else v) for k, v in data.items()}
    data["name"] = f"{year.first_year + 1}-{year.first_year + 2}"
    created = save_year(None, year.school, data)
    created.plan_due_days, created.note_grace_days = year.plan_due_days, year.note_grace_days
    created.risk_medium_min, created.risk_high_min = year.risk_medium_min, year.risk_high_min
    audit.record("year_created_by_rollover", created, user=by, from_year=year.name)
    return created


def promoted_name(name: str) -> str:
    """ "10A4" → "11A4", "6/1" → "7/1", "12.6" → "13.6" (the leading grade number plus one)."""
    match = re.match(r"\s*(\d+)(.*)", name)
    return f"{int(match.group(1)) + 1}{match.group(2)}" if match else name


def promote_classes(year: SchoolYear, target: SchoolYear, *, by: User) -> tuple[int, int]:
    """Move the classes of `year` up a grade into `target` (the last grade graduates and is not
    moved): each class below the top grade gets its promoted class in `target` (created when
    missing), and its students still enrolled and without a class in `target` are put in it.

    :returns: (classes created, students enrolled)
    """
    classes = list(db.session.scalars(select(ClassGroup).where(ClassGroup.school_year_id == year.id)))
    if not classes:
        return 0, 0
    top = max(c.grade for c in classes)
    existing = {c.name: c for c in db.session.scalars(select(ClassGroup).where(
        ClassGroup.school_year_id == target.id))}
    placed = set(db.session.scalars(select(Enrollment.student_id).where(Enrollment.school_year_id == target.id)))
    rows = db.session.execute(
        select(Enrollment.student_id, Enrollment.class_group_id).join(Student, Student.id == Enrollment.student_id)
        .where(Enrollment.school_year_id == year.id, Student.status == StudentStatus.ENROLLED)).all()
    by_class: dict[int, list[int]] = defaultdict(list)
    for student_id, class_id in rows:
        by_class[class_id].append(student_id)
    created = enrolled = 0
    for group in sorted(classes, key=lambda c: (c.grade, _class_key(c.name))):
        if group.grade >= top:
            continue
        name = promoted_name(group.name)
        new = existing.get(name)
        if new is None:
            new = ClassGroup(school_id=group.school_id, school_year_id=target.id, name=name, grade=group.grade + 1)
            db.session.add(new)
            db.session.flush()
            existing[name] = new
            created += 1
        for student_id in by_class.get(group.id, []):
            if student_id not in placed:
                db.session.add(Enrollment(student_id=student_id, school_year_id=target.id, class_group_id=new.id))
                placed.add(student_id)
                enrolled += 1
    db.session.flush()
    audit.record("classes_promoted", target, user=by, from_year=year.name, classes=created, students=enrolled)
    return created, enrolled


# --- open cases -----------------------------------------------------------------------------

@dataclass
class Case:
    student: Student
    class_name: str
    next_class: str | None
    main: Assignment | None
    supports: list[Assignment] = field(default_factory=list)
    plan_id: int | None = None
    decided: RolloverCase | None = None

    @property
    def mentor_active(self) -> bool:
        return self.main is not None and self.main.mentor.active

    @property
    def can_carry(self) -> bool:
        return self.decided is None and self.mentor_active and self.next_class is not None


def cases(year: SchoolYear, target: SchoolYear | None) -> list[Case]:
    """The open cases of `year` (undecided first in class order), and those decided already.
    Six queries whatever the number of students."""
    active = select(Assignment.student_id).where(Assignment.school_year_id == year.id, Assignment.ended_on.is_(None))
    any_assignment = select(Assignment.student_id).where(Assignment.school_year_id == year.id)
    decided = {c.student_id: c for c in db.session.scalars(
        select(RolloverCase).where(RolloverCase.from_year_id == year.id)
        .options(selectinload(RolloverCase.new_mentor), selectinload(RolloverCase.previous_mentor)))}
    rows = db.session.execute(
        select(Student, ClassGroup.name, ClassGroup.grade)
        .join(Screening, and_(Screening.student_id == Student.id, Screening.school_year_id == year.id))
        .join(Enrollment, and_(Enrollment.student_id == Student.id, Enrollment.school_year_id == year.id))
        .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(Student.school_id == year.school_id, Screening.decision == Decision.APPROVED,
               (Student.status == StudentStatus.ENROLLED) | Student.id.in_(list(decided) or [-1]),
               Student.id.in_(active) | Student.id.not_in(any_assignment) | Student.id.in_(list(decided) or [-1]))
    ).all()
    ids = [s.id for s, _n, _g in rows]
    assignments: dict[int, list[Assignment]] = defaultdict(list)
    next_classes: dict[int, str] = {}
    plans: dict[int, int] = {}
    if ids:
        for a in db.session.scalars(select(Assignment).where(
                Assignment.school_year_id == year.id, Assignment.student_id.in_(ids), Assignment.ended_on.is_(None))
                .options(selectinload(Assignment.mentor)).order_by(Assignment.started_on, Assignment.id)):
            assignments[a.student_id].append(a)
        if target is not None:
            next_classes = dict(db.session.execute(
                select(Enrollment.student_id, ClassGroup.name).join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
                .where(Enrollment.school_year_id == target.id, Enrollment.student_id.in_(ids))).all())
        plans = dict(db.session.execute(select(SupportPlan.student_id, SupportPlan.id).where(
            SupportPlan.school_year_id == year.id, SupportPlan.student_id.in_(ids))).all())
    result = []
    for student, class_name, grade in rows:
        current = assignments.get(student.id, [])
        main = next((a for a in current if a.role == MentorRole.MAIN), None)
        result.append((grade, class_name, Case(
            student, class_name, next_classes.get(student.id), main,
            [a for a in current if a.role == MentorRole.SUPPORT], plans.get(student.id), decided.get(student.id))))
    result.sort(key=lambda r: (r[2].decided is not None, r[0], _class_key(r[1]), r[2].student.sort_key))
    return [c for _g, _n, c in result]


def case_of(year: SchoolYear, target: SchoolYear, student: Student) -> Case:
    """:raises RuleError: the student is not an open case of the year."""
    found = next((c for c in cases(year, target) if c.student.id == student.id), None)
    if found is None:
        raise RuleError(_("Học sinh này không phải trường hợp đang đỡ đầu của năm học %(y)s.", y=year.name))
    return found


def mentor_choices(school_id: int) -> list[User]:
    return list(db.session.scalars(staff_query(school_id).order_by(User.sort_key)))


# --- deciding -------------------------------------------------------------------------------

def _carry_screening(student: Student, year: SchoolYear, target: SchoolYear, *, by: User) -> Screening:
    """The student's screening in `target`, approved (copied from `year` when there is none)."""
    found = db.session.scalar(select(Screening).where(Screening.student_id == student.id,
                                                      Screening.school_year_id == target.id))
    if found is not None:
        if found.decision == Decision.NOT_NEEDED:
            raise RuleError(_("Năm học %(y)s đã rà soát em là không cần đỡ đầu; hãy kết thúc đỡ đầu.", y=target.name))
        if found.decision is None:
            found.decision, found.decided_by_id, found.decided_at = Decision.APPROVED, by.id, utcnow()
            found.decision_reason = CARRIED_REASON.format(year=year.name)
        return found
    old = db.session.scalar(select(Screening).where(Screening.student_id == student.id,
                                                    Screening.school_year_id == year.id))
    copy = Screening(school_id=student.school_id, school_year_id=target.id, student_id=student.id,
                     proposed_by_id=by.id, proposed_on=max(local_today(), target.start_date),
                     verified_by_id=by.id, verified_at=utcnow(), decision=Decision.APPROVED,
                     decision_reason=CARRIED_REASON.format(year=year.name), decided_by_id=by.id, decided_at=utcnow(),
                     absences=0)
    for name in SCREENING_COPY:
        setattr(copy, name, getattr(old, name))
    db.session.add(copy)
    return copy


def _carry_pledge(mentor: User, year: SchoolYear, target: SchoolYear) -> None:
    if db.session.scalar(select(Pledge.id).where(Pledge.user_id == mentor.id, Pledge.school_year_id == target.id)):
        return
    old = db.session.scalar(select(Pledge).where(Pledge.user_id == mentor.id, Pledge.school_year_id == year.id))
    if old is None:
        return
    db.session.add(Pledge(school_id=old.school_id, school_year_id=target.id, user_id=mentor.id, willing=True,
                          capacity=max(old.capacity, 1), preferred_commune=old.preferred_commune,
                          help_subject=old.help_subject, help_home_visits=old.help_home_visits,
                          help_material=old.help_material, pledged_on=max(local_today(), target.start_date),
                          note=CARRIED_REASON.format(year=year.name)))


def _carry_plan(old_plan_id: int | None, assignment: Assignment, year: SchoolYear, target: SchoolYear) -> int | None:
    """A new draft plan in `target` keeping the semester goals of the old plan (which stays as it was)."""
    if old_plan_id is None or db.session.scalar(select(SupportPlan.id).where(
            SupportPlan.student_id == assignment.student_id, SupportPlan.school_year_id == target.id)):
        return None
    plan = SupportPlan(school_id=assignment.school_id, school_year_id=target.id, student_id=assignment.student_id,
                       assignment_id=assignment.id, author_id=assignment.mentor_id,
                       due_on=assignment.started_on + timedelta(days=target.plan_due_days))
    db.session.add(plan)
    db.session.flush()
    goals = db.session.scalars(select(PlanGoal).where(PlanGoal.plan_id == old_plan_id, PlanGoal.archived.is_(False),
                                                      PlanGoal.horizon == Horizon.SEMESTER)
                               .order_by(PlanGoal.position, PlanGoal.id))
    for goal in goals:
        start = target.semester2_start if goal.period_start >= year.semester2_start else target.start_date
        db.session.add(PlanGoal(plan_id=plan.id, horizon=Horizon.SEMESTER, domain=goal.domain,
                                strategy=goal.strategy, text=goal.text, period_start=start, position=goal.position))
    return plan.id


def decide(year: SchoolYear, target: SchoolYear, student: Student, data: dict, *, by: User) -> RolloverCase:
    """Record leadership's decision on one open case and carry it out in `target` (see the module).

    :raises RuleError: the year is closed, the case decided already or not open, the mentor gone
        (carry) or not on staff (handover), no handover note, no class in the next year, ...
    """
    if closure_of(year) is not None:
        raise RuleError(_("Năm học %(y)s đã kết thúc; không thay đổi được nữa.", y=year.name))
    if target.start_date <= year.start_date:
        raise RuleError(_("Hãy chọn năm học tiếp theo."))
    case = case_of(year, target, student)
    if case.decided is not None:
        raise RuleError(_("Trường hợp này đã có quyết định."))
    decision = CaseDecision(data["decision"])
    note = (data.get("note") or "").strip() or None
    row = RolloverCase(school_id=year.school_id, from_year_id=year.id, to_year_id=target.id, student_id=student.id,
                       decision=decision, note=note, decided_by_id=by.id, decided_at=utcnow(),
                       previous_mentor_id=case.main.mentor_id if case.main else None, previous_plan_id=case.plan_id)
    if decision == CaseDecision.CLOSE:
        reason = CloseReason(data.get("close_reason") or "")
        row.close_reason = reason
        if reason in CLOSE_STATUS and student.status == StudentStatus.ENROLLED:
            # dated after the closing year: its figures and lists stay as they were
            student.status = CLOSE_STATUS[reason]
            student.status_date = max(local_today(), year.end_date + timedelta(days=1))
            student.status_note = (note or CLOSE_REASON_TEXT[reason])[:300]
    else:
        if decision == CaseDecision.CARRY:
            if case.main is None:
                raise RuleError(_("Học sinh chưa có GV đỡ đầu chính: hãy chọn bàn giao cho một GV."))
            mentor = case.main.mentor
            if not mentor.active:
                raise RuleError(_("%(n)s không còn công tác ở trường: hãy bàn giao cho GV khác, kèm ghi chú bàn giao.",
                                  n=mentor.full_name))
        else:
            mentor_id = to_int(data.get("mentor_id"), lo=1)
            mentor = next((u for u in mentor_choices(year.school_id) if u.id == mentor_id), None)
            if mentor is None:
                raise RuleError(_("Hãy chọn GV nhận bàn giao trong danh sách cán bộ của trường."))
            if not note:
                raise RuleError(_("Bàn giao cần có ghi chú bàn giao cho GV mới."))
        if case.next_class is None:
            raise RuleError(_("Em chưa có lớp trong năm học %(y)s: hãy nhập danh sách lớp hoặc cho lên lớp trước.",
                              y=target.name))
        if db.session.scalar(select(Assignment.id).where(
                Assignment.student_id == student.id, Assignment.school_year_id == target.id,
                Assignment.role == MentorRole.MAIN, Assignment.ended_on.is_(None))):
            raise RuleError(_("Em đã có GV đỡ đầu chính trong năm học %(y)s.", y=target.name))
        _carry_screening(student, year, target, by=by)
        started = max(local_today(), target.start_date)
        new = Assignment(school_id=student.school_id, school_year_id=target.id, student_id=student.id,
                         mentor_id=mentor.id, role=MentorRole.MAIN, started_on=started, assigned_by_id=by.id)
        db.session.add(new)
        for support in case.supports:
            if support.mentor.active and support.mentor_id != mentor.id:
                db.session.add(Assignment(school_id=student.school_id, school_year_id=target.id,
                                          student_id=student.id, mentor_id=support.mentor_id, role=MentorRole.SUPPORT,
                                          started_on=started, assigned_by_id=by.id))
        db.session.flush()
        _carry_pledge(mentor, year, target)
        row.new_mentor_id, row.new_assignment_id = mentor.id, new.id
        row.new_plan_id = _carry_plan(case.plan_id, new, year, target)
    db.session.add(row)
    db.session.flush()
    audit.record("rollover_case_decided", row, user=by, student_id=student.id, decision=decision.value,
                 from_year=year.name, to_year=target.name, mentor_id=row.new_mentor_id,
                 close_reason=row.close_reason.value if row.close_reason else None)
    return row


def carry_all(year: SchoolYear, target: SchoolYear, *, by: User) -> tuple[int, int]:
    """Carry forward every undecided case whose main mentor is still on staff and who has a class in
    `target`. :returns: (carried, left for a decision one by one)"""
    carried = left = 0
    for case in cases(year, target):
        if case.decided is not None:
            continue
        if not case.can_carry:
            left += 1
            continue
        try:
            with db.session.begin_nested():  # a case that cannot be carried is left for a decision
                decide(year, target, case.student, {"decision": "carry"}, by=by)
            carried += 1
        except RuleError:
            left += 1
    return carried, left


def close_year(year: SchoolYear, target: SchoolYear | None, *, by: User) -> YearClosure:
    """:raises RuleError: closed already, or open cases still without a decision."""
    if closure_of(year) is not None:
        raise RuleError(_("Năm học %(y)s đã kết thúc.", y=year.name))
    undecided = sum(1 for c in cases(year, target) if c.decided is None)
    if undecided:
        raise RuleError(_("Còn %(n)d trường hợp chưa có quyết định: hãy quyết định từng em trước khi kết thúc năm học.",
                          n=undecided))
    closure = YearClosure(school_id=year.school_id, school_year_id=year.id,
                          next_year_id=target.id if target else None, closed_at=utcnow(), closed_by_id=by.id)
    db.session.add(closure)
    db.session.flush()
    audit.record("year_closed", closure, user=by, year=year.name)
    return closure


def handover_notes(user: User, year: SchoolYear | None) -> dict[int, tuple[str, str]]:
    """For the mentor's home: new assignment id → (handover note, the previous mentor's name) of the
    cases handed over to `user` into `year` (one query)."""
    if year is None:
        return {}
    rows = db.session.execute(
        select(RolloverCase.new_assignment_id, RolloverCase.note, User.full_name)
        .outerjoin(User, User.id == RolloverCase.previous_mentor_id)
        .where(RolloverCase.new_mentor_id == user.id, RolloverCase.to_year_id == year.id,
               RolloverCase.decision == CaseDecision.HANDOVER)).all()
    return {assignment_id: (note or "", name or "") for assignment_id, note, name in rows}


# --- the year-end review ----------------------------------------------------------------------

@dataclass
class ReviewRow:
    tt: int
    student_id: int
    name: str
    class_name: str
    mentors: str
    notes: int
    progress: str
    outcome: str
    outcome_key: str


OUTCOME_TEXT = {"carried": "Tiếp tục đỡ đầu năm học {year} (GV {mentor})",
                "handed_over": "Bàn giao cho GV {mentor} năm học {year}",
                "closed": "Kết thúc đỡ đầu: {reason}", "dropped_out": "Bỏ học ({day})",
                "transferred": "Chuyển trường ({day})", "graduated": "Đã ra trường",
                "ended": "Kết thúc đỡ đầu: {reason}", "open": "Đang đỡ đầu, chưa có quyết định cuối năm"}


def review(year: SchoolYear) -> list[ReviewRow]:
    """Every student mentored in `year` (a main mentoring), with mentors, notes, progress and the
    outcome. Five queries whatever the number of students."""
    mains = list(db.session.scalars(
        select(Assignment).where(Assignment.school_year_id == year.id, Assignment.role == MentorRole.MAIN)
        .options(selectinload(Assignment.mentor), selectinload(Assignment.student))
        .order_by(Assignment.started_on, Assignment.id)))
    by_student: dict[int, list[Assignment]] = defaultdict(list)
    for a in mains:
        by_student[a.student_id].append(a)
    ids = list(by_student)
    if not ids:
        return []
    classes = {sid: (name, grade) for sid, name, grade in db.session.execute(
        select(Enrollment.student_id, ClassGroup.name, ClassGroup.grade)
        .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(Enrollment.school_year_id == year.id, Enrollment.student_id.in_(ids))).all()}
    notes = dict(db.session.execute(
        select(MonthlyNote.student_id, func.count()).where(
            MonthlyNote.school_year_id == year.id, MonthlyNote.student_id.in_(ids),
            MonthlyNote.status == NoteStatus.SUBMITTED).group_by(MonthlyNote.student_id)).all())
    latest = latest_ratings(year.school_id, year, year.end_date + timedelta(days=366))
    decided = {c.student_id: c for c in db.session.scalars(
        select(RolloverCase).where(RolloverCase.from_year_id == year.id)
        .options(selectinload(RolloverCase.new_mentor)))}
    target_names = dict(db.session.execute(select(SchoolYear.id, SchoolYear.name).where(
        SchoolYear.school_id == year.school_id)).all())
    ordered = sorted(ids, key=lambda i: (classes.get(i, ("", 99))[1], _class_key(classes.get(i, ("", 0))[0]),
                                         by_student[i][0].student.sort_key, i))
    rows = []
    for n, sid in enumerate(ordered, start=1):
        history = by_student[sid]
        student = history[0].student
        names = []
        for a in history:
            if a.mentor.full_name not in names:
                names.append(a.mentor.full_name)
        key, outcome = _outcome(student, history, decided.get(sid), year, target_names)
        rows.append(ReviewRow(n, sid, student.full_name, classes.get(sid, ("", 0))[0], "; ".join(names),
                              notes.get(sid, 0), progress_text(latest.get(sid)), outcome, key))
    return rows


def _outcome(student: Student, history: list[Assignment], case: RolloverCase | None, year: SchoolYear,
             year_names: dict[int, str]) -> tuple[str, str]:
    left_in_year = student.status_date is not None and student.status_date <= year.end_date
    if student.status == StudentStatus.DROPPED_OUT and left_in_year:
        return "dropped_out", OUTCOME_TEXT["dropped_out"].format(day=student.status_date.strftime("%d/%m/%Y"))
    if student.status == StudentStatus.TRANSFERRED and left_in_year:
        return "transferred", OUTCOME_TEXT["transferred"].format(day=student.status_date.strftime("%d/%m/%Y"))
    if case is not None:
        target = year_names.get(case.to_year_id, "")
        if case.decision == CaseDecision.CARRY:
            return "carried", OUTCOME_TEXT["carried"].format(year=target, mentor=case.new_mentor.full_name)
        if case.decision == CaseDecision.HANDOVER:
            return "handed_over", OUTCOME_TEXT["handed_over"].format(year=target, mentor=case.new_mentor.full_name)
        reason = CLOSE_REASON_TEXT[case.close_reason] + (f" — {case.note}" if case.note else "")
        return "closed", OUTCOME_TEXT["closed"].format(reason=reason)
    if any(a.ended_on is None for a in history):
        return "open", OUTCOME_TEXT["open"]
    if student.status == StudentStatus.GRADUATED:
        return "graduated", OUTCOME_TEXT["graduated"]
    return "ended", OUTCOME_TEXT["ended"].format(reason=history[-1].end_reason or "")


def review_counts(rows: list[ReviewRow]) -> Counter:
    return Counter(r.outcome_key for r in rows)
