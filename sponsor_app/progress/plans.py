"""Support plans: drafting, goals at three horizons, agreement, submission and review.

Functions add and flush; the request commits. After approval the mentor may still add monthly
targets and weekly actions (plans grow month by month) and even semester goals; the page marks
a semester goal added after the review.
"""

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..exceptions import RuleError
from ..extensions import db
from ..models import (
    Assignment,
    Department,
    Domain,
    Horizon,
    MentorRole,
    PlanGoal,
    PlanStatus,
    Role,
    SchoolYear,
    Student,
    SupportPlan,
    User,
)
from ..timeutil import local_today, utcnow
from .calendar import month_start

PARENT_HORIZON = {Horizon.SEMESTER: None, Horizon.MONTH: Horizon.SEMESTER, Horizon.WEEK: Horizon.MONTH}
EDITABLE = (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED, PlanStatus.APPROVED)


def active_main(student: Student, year: SchoolYear) -> Assignment | None:
    return db.session.scalar(select(Assignment).where(
        Assignment.student_id == student.id, Assignment.school_year_id == year.id,
        Assignment.role == MentorRole.MAIN, Assignment.ended_on.is_(None)))


def plan_for(student: Student, year: SchoolYear) -> SupportPlan | None:
    return db.session.scalar(
        select(SupportPlan).where(SupportPlan.student_id == student.id, SupportPlan.school_year_id == year.id)
        .options(selectinload(SupportPlan.goals), joinedload(SupportPlan.reviewed_by).lazyload(User.role_rows)))


def start_plan(student: Student, year: SchoolYear, *, by: User) -> SupportPlan:
    """Open the student's plan for the year (a draft), due `plan_due_days` after the assignment.

    :raises RuleError: the user is not the student's main mentor, or a plan exists.
    """
    main = active_main(student, year)
    if main is None or main.mentor_id != by.id:
        raise RuleError(_("Chỉ GV đỡ đầu chính lập kế hoạch giúp đỡ."))
    if plan_for(student, year) is not None:
        raise RuleError(_("Học sinh đã có kế hoạch giúp đỡ trong năm học này."))
    plan = SupportPlan(school_id=student.school_id, school_year_id=year.id, student_id=student.id,
                       assignment_id=main.id, author_id=by.id,
                       due_on=main.started_on + timedelta(days=year.plan_due_days))
    db.session.add(plan)
    db.session.flush()
    audit.record("plan_started", plan, student_id=student.id)
    return plan


def period_start(year: SchoolYear, horizon: Horizon, *, semester: int | None = None,
                 day: date | None = None) -> date:
    """Where a goal's period starts: the semester's first day, the month's first day, the week's Monday.

    :raises RuleError: the period is outside the school year.
    """
    if horizon == Horizon.SEMESTER:
        return year.start_date if semester != 2 else year.semester2_start
    if day is None or not (year.start_date - timedelta(days=31) <= day <= year.end_date):
        raise RuleError(_("Thời gian phải nằm trong năm học %(y)s.", y=year.name))
    if horizon == Horizon.MONTH:
        return month_start(day)
    return day - timedelta(days=day.weekday())


def add_goal(plan: SupportPlan, data: dict, *, by: User) -> PlanGoal:
    """Add a semester goal, a monthly target (under a goal) or a weekly action (under a target).

    :raises RuleError: the plan is waiting for review, or the parent does not fit.
    """
    if plan.status not in EDITABLE:
        raise RuleError(_("Kế hoạch đang chờ tổ trưởng duyệt; chưa sửa được."))
    horizon, domain = Horizon(data["horizon"]), Domain(data["domain"])
    parent = None
    if PARENT_HORIZON[horizon] is not None:
        parent = db.session.get(PlanGoal, data.get("parent_id") or 0)
        if parent is None or parent.plan_id != plan.id or parent.horizon != PARENT_HORIZON[horizon] \
                or parent.archived:
            raise RuleError(_("Mục tiêu tháng phải thuộc một mục tiêu học kỳ; việc làm tuần thuộc một mục tiêu tháng."))
        domain = parent.domain
    start = period_start(plan.school_year, horizon, semester=data.get("semester"), day=data.get("day"))
    goal = PlanGoal(plan_id=plan.id, parent_id=parent.id if parent else None, horizon=horizon, domain=domain,
                    strategy=data.get("strategy") or None, text=data["text"], period_start=start,
                    position=len(plan.goals))
    db.session.add(goal)
    db.session.flush()
    audit.record("plan_goal_added", plan, goal_id=goal.id, horizon=horizon.value)
    return goal


def archive_goal(goal: PlanGoal, *, by: User) -> None:
    """Take a goal (and what hangs under it) out of the plan; kept for the notes that cite it."""
    if goal.plan.status not in EDITABLE:
        raise RuleError(_("Kế hoạch đang chờ tổ trưởng duyệt; chưa sửa được."))
    stack = [goal]
    while stack:
        current = stack.pop()
        current.archived = True
        stack.extend(g for g in goal.plan.goals if g.parent_id == current.id and not g.archived)
    audit.record("plan_goal_archived", goal.plan, goal_id=goal.id)


def save_agreement(plan: SupportPlan, *, student_agreed: bool, family_agreed: bool, agreed_on: date | None) -> None:
    """Record that the student (and family) agreed to the plan, and when.

    :raises RuleError: an agreement without its date, or a date in the future.
    """
    if (student_agreed or family_agreed) and agreed_on is None:
        raise RuleError(_("Ghi ngày học sinh, gia đình đồng ý."))
    if agreed_on and agreed_on > local_today():
        raise RuleError(_("Ngày đồng ý không thể ở tương lai."))
    plan.student_agreed, plan.family_agreed = student_agreed, family_agreed
    plan.agreed_on = agreed_on if (student_agreed or family_agreed) else None
    audit.record("plan_agreement_saved", plan)


def submit(plan: SupportPlan, *, by: User) -> None:
    """Send the plan to the department head. On time or late is stored now.

    :raises RuleError: nothing to review yet (no semester goal), or already waiting.
    """
    if plan.status == PlanStatus.SUBMITTED:
        raise RuleError(_("Kế hoạch đã gửi, đang chờ duyệt."))
    live = [g for g in plan.goals if not g.archived]
    if not any(g.horizon == Horizon.SEMESTER for g in live):
        raise RuleError(_("Cần ít nhất một mục tiêu học kỳ trước khi gửi duyệt."))
    plan.status, plan.submitted_at = PlanStatus.SUBMITTED, utcnow()
    if plan.submitted_on_time is None:  # the first submission decides
        plan.submitted_on_time = local_today() <= plan.due_on
    audit.record("plan_submitted", plan, on_time=plan.submitted_on_time)


def review(plan: SupportPlan, approve: bool, comment: str | None, *, by: User) -> None:
    """Approve the plan, or send it back with a comment the mentor sees.

    :raises RuleError: the plan is not waiting for review, or changes asked without a comment.
    """
    comment = (comment or "").strip() or None
    if plan.status != PlanStatus.SUBMITTED:
        raise RuleError(_("Kế hoạch không ở trạng thái chờ duyệt."))
    if not approve and not comment:
        raise RuleError(_("Hãy ghi cần bổ sung, sửa gì."))
    plan.status = PlanStatus.APPROVED if approve else PlanStatus.CHANGES_REQUESTED
    plan.reviewed_by_id, plan.reviewed_at, plan.review_comment = by.id, utcnow(), comment
    audit.record("plan_reviewed", plan, approved=approve)


def review_queue(user: User, year: SchoolYear) -> list[tuple[SupportPlan, User]]:
    """Plans waiting for review by `user`: those of the mentors of the departments they head
    (leadership: every plan)."""
    stmt = (select(SupportPlan, User).join(Assignment, Assignment.id == SupportPlan.assignment_id)
            .join(User, User.id == Assignment.mentor_id)
            .where(SupportPlan.school_year_id == year.id, SupportPlan.status == PlanStatus.SUBMITTED,
                   SupportPlan.school_id == user.school_id)
            .options(selectinload(SupportPlan.student))
            .order_by(SupportPlan.submitted_at))
    if not user.has_role(Role.LEADER):
        headed = select(Department.id).where(Department.head_id == user.id)
        stmt = stmt.where(User.department_id.in_(headed))
    return [(p, u) for p, u in db.session.execute(stmt).all()]


def plans_by_student(year: SchoolYear, student_ids) -> dict[int, SupportPlan]:
    """The plans of these students in `year` (one query), for the mentor's page."""
    return {p.student_id: p for p in db.session.scalars(
        select(SupportPlan).where(SupportPlan.school_year_id == year.id, SupportPlan.student_id.in_(student_ids)))}
