"""Support plans: the mentor drafts and submits, the department head approves or asks for more."""

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from ..context import require_year
from ..exceptions import RuleError
from ..extensions import db
from ..forms import version_conflict
from ..models import PlanGoal, Role, Student, SupportPlan
from ..permissions import (
    can_edit_plan,
    can_review_plan,
    can_view_student,
    get_in_school_or_404,
    get_plan_or_404,
    role_required,
)
from ..roster.services import enrollment_in
from . import plans
from .forms import AgreementForm, GoalForm, ReviewForm

bp = Blueprint("progress", __name__)


def _plan_page(plan: SupportPlan, *, goal_form=None, agreement_form=None, review_form=None):
    agreement_form = agreement_form or AgreementForm(formdata=None, obj=plan)
    if agreement_form.version.data is None:
        agreement_form.version.data = plan.version
    return render_template("progress/plan.html", plan=plan, enrollment=enrollment_in(plan.student, plan.school_year),
                           goals=[g for g in plan.goals if not g.archived],
                           goal_form=goal_form or GoalForm(formdata=None), agreement_form=agreement_form,
                           review_form=review_form or ReviewForm(formdata=None))


@bp.get("/students/<int:student_id>/plan")
@login_required
def student_plan(student_id: int):
    """The student's plan of the selected year, or the button to start one (main mentor)."""
    year = require_year()
    student = get_in_school_or_404(Student, student_id)
    if not can_view_student(current_user, student, year):
        abort(403)
    plan = plans.plan_for(student, year)
    if plan is not None:
        return redirect(url_for("progress.plan", plan_id=plan.id))
    main = plans.active_main(student, year)
    return render_template("progress/no_plan.html", student=student, year=year, main=main,
                           can_start=main is not None and main.mentor_id == current_user.id,
                           due=main.started_on + timedelta(days=year.plan_due_days) if main else None)


@bp.post("/students/<int:student_id>/plan")
@login_required
def start(student_id: int):
    year = require_year()
    student = get_in_school_or_404(Student, student_id)
    main = plans.active_main(student, year)
    if main is None or main.mentor_id != current_user.id:
        abort(403)
    try:
        plan = plans.start_plan(student, year, by=current_user)
    except RuleError as err:
        flash(str(err), "warning")
        return redirect(url_for("progress.student_plan", student_id=student.id))
    db.session.commit()
    flash(_("Đã mở kế hoạch giúp đỡ. Hãy thêm mục tiêu học kỳ, rồi mục tiêu tháng và việc làm tuần."), "success")
    return redirect(url_for("progress.plan", plan_id=plan.id))


@bp.get("/plans/<int:plan_id>")
@login_required
def plan(plan_id: int):
    return _plan_page(get_plan_or_404(plan_id))


@bp.post("/plans/<int:plan_id>/goals")
@login_required
def add_goal(plan_id: int):
    plan = get_plan_or_404(plan_id, can_edit_plan)
    form = GoalForm()
    if form.validate_on_submit():
        try:
            plans.add_goal(plan, form.goal_data(), by=current_user)
        except RuleError as err:
            db.session.rollback()
            if plan.status not in plans.EDITABLE:  # the form is not on the page: say it above
                flash(str(err), "warning")
            form.text.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã thêm vào kế hoạch."), "success")
            return redirect(url_for("progress.plan", plan_id=plan.id) + "#goals")
    return _plan_page(plan, goal_form=form)


@bp.post("/goals/<int:goal_id>/archive")
@login_required
def archive_goal(goal_id: int):
    goal = db.session.get(PlanGoal, goal_id)  # the <int:> converter keeps ids in range
    if goal is None or goal.plan.school_id != current_user.school_id:
        abort(404)
    if not can_edit_plan(current_user, goal.plan):
        abort(403)
    try:
        plans.archive_goal(goal, by=current_user)
    except RuleError as err:
        flash(str(err), "warning")
    else:
        db.session.commit()
        flash(_("Đã bỏ mục tiêu khỏi kế hoạch (vẫn lưu lại trong lịch sử)."), "success")
    return redirect(url_for("progress.plan", plan_id=goal.plan_id) + "#goals")


@bp.post("/plans/<int:plan_id>/agreement")
@login_required
def agreement(plan_id: int):
    plan = get_plan_or_404(plan_id, can_edit_plan)
    form = AgreementForm()
    if form.validate_on_submit() and not version_conflict(form, plan):
        try:
            plans.save_agreement(plan, student_agreed=form.student_agreed.data, family_agreed=form.family_agreed.data,
                                 agreed_on=form.agreed_on.data)
            db.session.commit()
        except RuleError as err:
            db.session.rollback()
            form.agreed_on.errors.append(str(err))
        except StaleDataError:
            db.session.rollback()
            form.form_errors.append(_("Kế hoạch vừa được người khác sửa. Hãy mở lại trang."))
        else:
            flash(_("Đã lưu."), "success")
            return redirect(url_for("progress.plan", plan_id=plan.id))
    return _plan_page(plan, agreement_form=form)


@bp.post("/plans/<int:plan_id>/submit")
@login_required
def submit(plan_id: int):
    plan = get_plan_or_404(plan_id, can_edit_plan)
    try:
        plans.submit(plan, by=current_user)
    except RuleError as err:
        flash(str(err), "warning")
    else:
        db.session.commit()
        flash(_("Đã gửi kế hoạch cho tổ trưởng duyệt."), "success")
    return redirect(url_for("progress.plan", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/review")
@login_required
def review(plan_id: int):
    plan = get_plan_or_404(plan_id, can_review_plan)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            plans.review(plan, form.decision.data == "approve", form.comment.data, by=current_user)
        except RuleError as err:
            db.session.rollback()
            form.comment.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã ghi ý kiến duyệt kế hoạch."), "success")
            return redirect(url_for("progress.reviews"))
    return _plan_page(plan, review_form=form)


@bp.get("/reviews")
@role_required(Role.DEPT_HEAD, Role.LEADER)
def reviews():
    year = require_year()
    return render_template("progress/reviews.html", year=year, queue=plans.review_queue(current_user, year))
