"""Pledges, mentor suggestions, assignments and coverage. Functions add and flush; the request commits."""

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from .. import audit
from ..exceptions import RuleError
from ..extensions import db
from ..models import (
    Assignment,
    ClassGroup,
    ClassTeacher,
    Decision,
    Department,
    Enrollment,
    MentorRole,
    Pledge,
    Role,
    SchoolYear,
    Screening,
    Student,
    StudentStatus,
    User,
    UserRole,
)
from ..timeutil import local_today, utcnow

# --- pledges -------------------------------------------------------------------------------

# Reasons the app writes into the record itself: stored in Vietnamese whatever the UI language.
REASON_BECAME_MAIN = "Chuyển thành GV đỡ đầu chính"
REASON_STUDENT_LEFT = "Học sinh không còn học ở trường"
REASON_NOT_AT_RISK = "Học sinh không còn thuộc diện cần đỡ đầu"

PLEDGE_FIELDS = ("willing", "capacity", "preferred_grade", "preferred_class_id", "preferred_commune",
                 "help_subject", "help_home_visits", "help_material", "note")


def pledge_of(user: User, year: SchoolYear) -> Pledge | None:
    return db.session.scalar(select(Pledge).where(Pledge.user_id == user.id, Pledge.school_year_id == year.id))


def save_pledge(user: User, year: SchoolYear, data: dict) -> Pledge:
    """Register (or change) the user's pledge for `year`; not willing means capacity 0."""
    pledge = pledge_of(user, year)
    if pledge is None:
        pledge = Pledge(school_id=user.school_id, school_year_id=year.id, user_id=user.id, pledged_on=local_today())
        db.session.add(pledge)
    for name in PLEDGE_FIELDS:
        if name in data:
            setattr(pledge, name, data[name])
    if not pledge.willing:
        pledge.capacity = 0
    elif not pledge.capacity:
        pledge.capacity = 1
    db.session.flush()
    audit.record("pledge_saved", pledge, willing=pledge.willing, capacity=pledge.capacity)
    return pledge


def staff_query(school_id: int):
    """Active staff members (anyone with the teacher role) of a school."""
    return staff_where(User.school_id == school_id)


def staff_where(condition):
    """Active staff members (anyone with the teacher role) meeting `condition` (several schools' staff)."""
    return (select(User).join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.TEACHER))
            .where(condition, User.active.is_(True)))


@dataclass
class StaffLoad:
    user: User
    department: Department | None
    pledge: Pledge | None
    main: int = 0
    support: int = 0

    @property
    def capacity(self) -> int:
        return self.pledge.effective_capacity if self.pledge else 0

    @property
    def load(self) -> int:
        return self.main  # capacity counts main mentees; supporting is extra help

    @property
    def over_capacity(self) -> bool:
        return self.load > self.capacity

    @property
    def pledged_without_mentee(self) -> bool:
        return bool(self.pledge and self.pledge.willing and not self.has_mentee)

    @property
    def has_mentee(self) -> bool:
        return self.main + self.support > 0

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.load)


def staff_loads(school_id: int, year: SchoolYear, department_ids: list[int] | None = None) -> list[StaffLoad]:
    """Every active staff member with pledge, department and active mentee counts, in one statement
    (whatever the number of staff: the assignment board and coverage run it on every view)."""
    counts = (select(Assignment.mentor_id,
                     func.count().filter(Assignment.role == MentorRole.MAIN).label("main"),
                     func.count().filter(Assignment.role == MentorRole.SUPPORT).label("support"))
              .where(Assignment.school_year_id == year.id, Assignment.ended_on.is_(None))
              .group_by(Assignment.mentor_id).subquery())
    stmt = (staff_query(school_id)
            .outerjoin(Pledge, and_(Pledge.user_id == User.id, Pledge.school_year_id == year.id))
            .outerjoin(counts, counts.c.mentor_id == User.id)
            .add_columns(Pledge, func.coalesce(counts.c.main, 0), func.coalesce(counts.c.support, 0))
            .options(joinedload(User.department), lazyload(User.role_rows))
            .order_by(User.sort_key, User.id))
    if department_ids is not None:
        stmt = stmt.where(User.department_id.in_(department_ids))
    return [StaffLoad(user, user.department, pledge, main, support)
            for user, pledge, main, support in db.session.execute(stmt)]


def pledges_by_department(loads: list[StaffLoad]) -> list[tuple[str, list[StaffLoad]]]:
    """Staff grouped by department name ("—" for none), departments in name order."""
    groups: dict[str, list[StaffLoad]] = defaultdict(list)
    for load in loads:
        groups[load.department.name if load.department else "—"].append(load)
    return sorted(groups.items(), key=lambda item: (item[0] == "—", item[0]))


# --- who needs a mentor ------------------------------------------------------------------

def approved_students(school_id: int, year: SchoolYear):
    """Select of (Student, Screening, ClassGroup) approved for sponsorship in `year`, still at school then."""
    return (select(Student, Screening, ClassGroup)
            .join(Screening, and_(Screening.student_id == Student.id, Screening.school_year_id == year.id))
            .join(Enrollment, and_(Enrollment.student_id == Student.id, Enrollment.school_year_id == year.id))
            .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
            .where(Student.school_id == school_id, Screening.decision == Decision.APPROVED,
                   in_school_during(year)))


def in_school_during(year: SchoolYear):
    """Still at school in `year`: enrolled, graduated (at a year's end), or left only after it."""
    return or_(Student.status.in_([StudentStatus.ENROLLED, StudentStatus.GRADUATED]),
               Student.status_date > year.end_date)


def active_main_subquery(year: SchoolYear):
    return (select(Assignment.student_id).where(Assignment.school_year_id == year.id,
                                                Assignment.role == MentorRole.MAIN,
                                                Assignment.ended_on.is_(None)))


def unassigned_students(school_id: int, year: SchoolYear) -> list[tuple[Student, Screening, ClassGroup]]:
    stmt = (approved_students(school_id, year)
            .where(Student.id.not_in(active_main_subquery(year)))
            .order_by(ClassGroup.grade, ClassGroup.name, Student.sort_key))
    return [tuple(row) for row in db.session.execute(stmt).all()]


def active_assignments(year: SchoolYear, student_ids=None, mentor_id: int | None = None) -> list[Assignment]:
    stmt = (select(Assignment).where(Assignment.school_year_id == year.id, Assignment.ended_on.is_(None))
            .options(selectinload(Assignment.mentor), selectinload(Assignment.student))
            .order_by(Assignment.role, Assignment.started_on))
    if student_ids is not None:
        stmt = stmt.where(Assignment.student_id.in_(student_ids))
    if mentor_id is not None:
        stmt = stmt.where(Assignment.mentor_id == mentor_id)
    return list(db.session.scalars(stmt))


# --- suggestions ------------------------------------------------------------------------

@dataclass
class Suggestion:
    load: StaffLoad
    score: int = 0
    factors: list[tuple[str, int]] = field(default_factory=list)

    def add(self, label: str, points: int) -> None:
        self.factors.append((label, points))
        self.score += points


def suggest_mentors(student: Student, class_group: ClassGroup, loads: list[StaffLoad],
                    teachers_of_class: dict[int, str], dept_coverage: dict[int | None, float],
                    limit: int = 5) -> list[Suggestion]:
    """Rank staff as mentors for one student, each with the factors that gave the points.

    Pure (no queries): teaching and department coverage are passed in, so the board can rank
    every student with the same few queries.
    """
    average = sum(dept_coverage.values()) / len(dept_coverage) if dept_coverage else 0
    ranked = []
    for load in loads:
        if load.pledge is not None and not load.pledge.willing:
            continue
        s = Suggestion(load)
        user, pledge = load.user, load.pledge
        if class_group.homeroom_teacher_id == user.id:
            s.add(_("chủ nhiệm lớp"), 3)
        if user.id in teachers_of_class:
            s.add(_("dạy lớp (%(s)s)", s=teachers_of_class[user.id]) if teachers_of_class[user.id]
                  else _("dạy lớp"), 2)
        if pledge is not None:
            if pledge.preferred_class_id == class_group.id:
                s.add(_("muốn nhận học sinh lớp này"), 2)
            elif pledge.preferred_grade == class_group.grade:
                s.add(_("muốn nhận học sinh khối %(g)d", g=class_group.grade), 1)
            if pledge.preferred_commune and student.commune and \
                    pledge.preferred_commune.strip().lower() == student.commune.strip().lower():
                s.add(_("cùng xã/phường"), 2)
            if load.load < pledge.effective_capacity:
                s.add(_("còn nhận được (%(a)d/%(b)d)", a=load.load, b=pledge.effective_capacity), 2)
            else:
                s.add(_("đã đủ số đăng ký (%(a)d/%(b)d)", a=load.load, b=pledge.effective_capacity), -3)
        else:
            s.add(_("chưa đăng ký nhận đỡ đầu"), -1)
        dept = load.department.id if load.department else None
        if dept in dept_coverage and dept_coverage[dept] < average:
            s.add(_("tổ đang nhận ít hơn trung bình"), 1)
        ranked.append(s)
    ranked.sort(key=lambda s: (-s.score, s.load.load, s.load.user.sort_key))
    return ranked[:limit]


def teachers_by_class(class_ids) -> dict[int, dict[int, str]]:
    rows = db.session.execute(select(ClassTeacher.class_group_id, ClassTeacher.user_id, ClassTeacher.subject)
                              .where(ClassTeacher.class_group_id.in_(class_ids))).all()
    result: dict[int, dict[int, str]] = defaultdict(dict)
    for class_id, user_id, subject in rows:
        result[class_id][user_id] = subject or ""
    return result


def department_coverage(loads: list[StaffLoad]) -> dict[int | None, float]:
    """Share of each department's staff who already mentor someone."""
    totals: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for load in loads:
        key = load.department.id if load.department else None
        totals[key][0] += 1
        totals[key][1] += load.has_mentee
    return {k: (with_ / n if n else 0) for k, (n, with_) in totals.items()}


# --- assigning --------------------------------------------------------------------------

def assign(student: Student, year: SchoolYear, mentor: User, role: MentorRole, *, by: User) -> Assignment:
    """Give the student a main or a supporting mentor.

    :raises RuleError: the student is not approved for sponsorship, already has a main mentor
        (use reassign), or the mentor already mentors this student.
    """
    from ..permissions import is_year_closed

    if is_year_closed(year.id):
        raise RuleError(_("Năm học %(y)s đã kết thúc; không phân công thêm được.", y=year.name))
    if student.status != StudentStatus.ENROLLED:
        raise RuleError(_("Học sinh không còn đang học."))
    approved = db.session.scalar(select(Screening.id).where(
        Screening.student_id == student.id, Screening.school_year_id == year.id,
        Screening.decision == Decision.APPROVED))
    if approved is None:
        raise RuleError(_("Học sinh chưa được duyệt đỡ đầu trong năm học này."))
    current = active_assignments(year, [student.id])
    if any(a.mentor_id == mentor.id for a in current):
        raise RuleError(_("%(n)s đã đỡ đầu học sinh này.", n=mentor.full_name))
    if role == MentorRole.MAIN and any(a.role == MentorRole.MAIN for a in current):
        raise RuleError(_("Học sinh đã có GV đỡ đầu chính; hãy dùng “Thay GV đỡ đầu chính” và ghi lý do."))
    assignment = Assignment(school_id=student.school_id, school_year_id=year.id, student_id=student.id,
                            mentor_id=mentor.id, role=role, started_on=local_today(), assigned_by_id=by.id)
    db.session.add(assignment)
    db.session.flush()
    audit.record("mentor_assigned", assignment, student_id=student.id, mentor_id=mentor.id, role=role.value)
    return assignment


def end_assignment(assignment: Assignment, reason: str, *, by: User | None) -> None:
    """End an assignment (kept as history).

    :raises RuleError: no reason given, or already ended.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(_("Cần ghi lý do kết thúc phân công."))
    if assignment.ended_on is not None:
        raise RuleError(_("Phân công này đã kết thúc."))
    assignment.ended_on, assignment.end_reason = local_today(), reason[:300]
    assignment.ended_by_id = by.id if by else None
    audit.record("assignment_ended", assignment, reason=assignment.end_reason, user=by)


def reassign_main(assignment: Assignment, new_mentor: User, reason: str, *, by: User) -> Assignment:
    """Replace the main mentor: the old assignment ends with the reason, a new one starts.

    :raises RuleError: no reason, not an active main assignment, or the same mentor.
    """
    if assignment.role != MentorRole.MAIN or assignment.ended_on is not None:
        raise RuleError(_("Chỉ thay được GV đỡ đầu chính đang phụ trách."))
    if new_mentor.id == assignment.mentor_id:
        raise RuleError(_("Hãy chọn một người khác."))
    end_assignment(assignment, reason, by=by)
    db.session.flush()  # the partial unique index allows one active main at a time
    # A supporting mentor who becomes the main one stops being supporting.
    for other in active_assignments(assignment.school_year, [assignment.student_id]):
        if other.mentor_id == new_mentor.id:
            end_assignment(other, REASON_BECAME_MAIN, by=by)
    db.session.flush()
    return assign(assignment.student, assignment.school_year, new_mentor, MentorRole.MAIN, by=by)


def end_student_assignments(student: Student, reason: str, *, by: User | None,
                            year: SchoolYear | None = None) -> int:
    """End every active assignment of the student (left, transferred, no longer at risk)."""
    stmt = select(Assignment).where(Assignment.student_id == student.id, Assignment.ended_on.is_(None))
    if year is not None:
        stmt = stmt.where(Assignment.school_year_id == year.id)
    ended = 0
    for assignment in db.session.scalars(stmt):
        end_assignment(assignment, reason, by=by)
        ended += 1
    return ended


def mentor_home(user: User, year: SchoolYear) -> list[tuple[Assignment, ClassGroup | None]]:
    """The user's active mentees of `year` with their class (new ones first: not yet seen)."""
    rows = db.session.execute(
        select(Assignment, ClassGroup)
        .join(Enrollment, and_(Enrollment.student_id == Assignment.student_id,
                               Enrollment.school_year_id == Assignment.school_year_id), isouter=True)
        .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id, isouter=True)
        .where(Assignment.mentor_id == user.id, Assignment.school_year_id == year.id,
               Assignment.ended_on.is_(None))
        .options(joinedload(Assignment.student))
        .order_by(Assignment.seen_by_mentor_at.is_not(None), Assignment.role, Assignment.started_on)).all()
    return [(a, c) for a, c in rows]


def mark_seen(assignment: Assignment) -> None:
    if assignment.seen_by_mentor_at is None:
        assignment.seen_by_mentor_at = utcnow()


# --- coverage ---------------------------------------------------------------------------

@dataclass
class Coverage:
    approved: int
    with_main: int
    staff: int
    staff_with_mentee: int
    by_department: list[tuple[str, int, int]]  # name, staff, staff with a mentee
    by_grade: list[tuple[int, int, int]]  # grade, approved, with a main mentor
    pledged: int
    willing: int
    capacity: int
    places_left: int  # mentees staff can still take (see `coverage`)

    @staticmethod
    def pct(part: int, whole: int) -> float:
        return round(100 * part / whole, 1) if whole else 0.0


def coverage(school_id: int, year: SchoolYear, loads: list[StaffLoad] | None = None) -> Coverage:
    """The pledge in figures: approved students with a main mentor, staff with a mentee (two
    statements; pass the `loads` a page already has to save one)."""
    has_main = Student.id.in_(active_main_subquery(year))
    rows = db.session.execute(
        approved_students(school_id, year).with_only_columns(ClassGroup.grade, has_main)).all()
    grades: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for grade, with_main in rows:
        grades[grade][0] += 1
        grades[grade][1] += bool(with_main)
    loads = staff_loads(school_id, year) if loads is None else loads
    departments: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for load in loads:
        key = load.department.name if load.department else "—"
        departments[key][0] += 1
        departments[key][1] += load.has_mentee
    return Coverage(
        approved=len(rows), with_main=sum(g[1] for g in grades.values()),
        staff=len(loads), staff_with_mentee=sum(1 for lo in loads if lo.has_mentee),
        by_department=sorted(((k, v[0], v[1]) for k, v in departments.items()), key=lambda r: (r[0] == "—", r[0])),
        by_grade=sorted((g, v[0], v[1]) for g, v in grades.items()),
        pledged=sum(1 for lo in loads if lo.pledge), willing=sum(1 for lo in loads if lo.pledge and lo.pledge.willing),
        capacity=sum(lo.capacity for lo in loads),
        # Places come from the pledges (capacity minus main mentees held); before anyone has
        # pledged, every staff member without a mentee counts as one place.
        places_left=(sum(lo.places_left for lo in loads) if any(lo.pledge for lo in loads)
                     else sum(1 for lo in loads if lo.load == 0)),
    )
