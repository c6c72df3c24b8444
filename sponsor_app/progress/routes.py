"""Support plans and monthly notes: the mentor writes, the department head signs off."""

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..context import require_year
from ..exceptions import RuleError
from ..extensions import db
from ..forms import version_conflict
from ..models import MonthlyNote, NoteStatus, PlanGoal, ReviewStatus, Role, SchoolYear, Student, SupportPlan
from ..permissions import (
    can_contribute_note,
    can_edit_plan,
    can_review_note,
    can_review_plan,
    can_view_notes,
    can_view_student,
    can_write_note,
    get_in_school_or_404,
    get_note_or_404,
    get_plan_or_404,
    role_required,
)
from ..roster.services import enrollment_in
from ..timeutil import local_today
from . import notes, plans
from .calendar import is_locked, note_due
from .forms import AgreementForm, ContributionForm, GoalForm, NoteForm, NoteReviewForm, ReviewForm

bp = Blueprint("progress", __name__)


def _plan_changed() -> str:
    """The conflict of a plan edit: a stale or missing version, or a StaleDataError at commit."""
    return _("Kế hoạch vừa được người khác sửa. Hãy mở lại trang.")


def _note_changed() -> str:
    """The conflict of a note edit: a stale or missing version, or a StaleDataError at commit."""
    return _("Nhận xét vừa được người khác sửa. Nội dung bạn nhập vẫn còn bên dưới; "
             "hãy mở lại trang trong thẻ khác để xem bản mới.")


def _plan_page(plan: SupportPlan, *, goal_form=None, agreement_form=None, review_form=None):
    audit.viewed(plan, student_id=plan.student_id)  # also when a refused form shows the plan again
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
    audit.viewed(student, year=year.name)  # the student has no plan yet
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
    if form.validate_on_submit() and not version_conflict(form, plan, _plan_changed()):
        try:
            plans.save_agreement(plan, student_agreed=form.student_agreed.data, family_agreed=form.family_agreed.data,
                                 agreed_on=form.agreed_on.data)
            db.session.commit()
        except RuleError as err:
            db.session.rollback()
            form.agreed_on.errors.append(str(err))
        except StaleDataError:
            db.session.rollback()
            form.form_errors.append(_plan_changed())
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
    audit.viewed(year)
    return render_template("progress/reviews.html", year=year, queue=plans.review_queue(current_user, year))


# --- monthly notes -----------------------------------------------------------------------------

def _year_of(month_text: str) -> tuple[date, SchoolYear]:
    """The month in the URL and the school year it belongs to (404 for anything else)."""
    month = notes.parse_month(month_text)
    year = notes.year_of_month(current_user.school_id, month) if month else None
    if year is None:
        abort(404)
    return month, year


def _note_form_data(note: MonthlyNote | None, targets) -> dict:
    reported = {t.goal_id: t for t in note.progress} if note else {}
    data = {"targets": [{"goal_id": g.id, "progress": reported[g.id].progress.value if g.id in reported else "",
                         "comment": reported[g.id].comment if g.id in reported else ""} for g in targets]}
    if note is None:
        return data | {"contacts": [{}, {}], "supports": [{}]}
    for name in notes.SCALARS:
        value = getattr(note, name)
        data[name] = value.value if hasattr(value, "value") else value
    data["contacts"] = [{"contact_on": c.contact_on, "with_whom": c.with_whom.value, "method": c.method.value,
                         "summary": c.summary} for c in note.contacts] + [{}, {}]
    data["supports"] = [{"kind": s.kind, "value_vnd": s.value_vnd, "donor": s.donor} for s in note.supports] + [{}]
    data["version"] = note.version
    return data


def _note_page(student: Student, year: SchoolYear, month: date, note: MonthlyNote | None, *, form=None,
               review_form=None, contribution_form=None, status: int = 200):
    today = local_today()
    if note is not None:  # also when a refused form shows the note again
        audit.viewed(note, student_id=student.id)
    else:  # the month without a note: the student, the plan's targets, the contributions
        audit.viewed(student, month=month.strftime("%Y-%m"))
    plan = plans.plan_for(student, year)
    targets = notes.targets_for(plan, month, note)
    main = notes.main_assignment(student, year)
    writable = notes.is_writable(main, current_user, year, month, today, note)
    if form is None:
        form = NoteForm(formdata=None, data=_note_form_data(note, targets))
    state = notes.month_cells(year, main.started_on if main else year.start_date, today,
                              {month: note} if note else {})
    return render_template(
        "progress/note.html", student=student, year=year, month=month, note=note, form=form, plan=plan,
        goals={g.id: g for g in targets}, writable=writable,
        locked=is_locked(month, today, year.note_day, year.note_grace_days),
        due=note_due(month, year.note_day), state=next((c.state for c in state if c.month == month), None),
        enrollment=enrollment_in(student, year), contributions=notes.contributions_for(student, month),
        review_form=review_form or NoteReviewForm(formdata=None),
        contribution_form=contribution_form or ContributionForm(formdata=None)), status


@bp.get("/students/<int:student_id>/notes")
@login_required
def notes_timeline(student_id: int):
    """The mentee's months of the selected year: state of each note, chart of absences and ratings."""
    year = require_year()
    student = get_in_school_or_404(Student, student_id)
    found = notes.notes_by_student(year, [student.id]).get(student.id, {})
    # The author keeps reading what they wrote after the mentoring ended (as on each note's page).
    if not (can_view_notes(current_user, student, year)
            or any(n.author_id == current_user.id for n in found.values())):
        abort(403)
    main = notes.last_main_assignment(student, year)
    started = main.started_on if main else min(found, default=year.start_date)
    row = notes.MenteeProgress(main, None, months=notes.month_cells(year, started, local_today(), found,
                                                                     main.ended_on if main else None))
    audit.viewed(student, year=year.name)  # the row is written once the page is built
    return render_template("progress/notes.html", student=student, year=year, row=row, main=main,
                           enrollment=enrollment_in(student, year))


@bp.get("/students/<int:student_id>/notes/<month_text>")
@login_required
def note(student_id: int, month_text: str):
    month, year = _year_of(month_text)
    student = get_in_school_or_404(Student, student_id)
    found = notes.note_of(student, month)
    if not (can_view_notes(current_user, student, year) or (found and found.author_id == current_user.id)):
        abort(403)
    return _note_page(student, year, month, found)


@bp.post("/students/<int:student_id>/notes/<month_text>")
@login_required
def save_note(student_id: int, month_text: str):
    month, year = _year_of(month_text)
    student = get_in_school_or_404(Student, student_id)
    if not can_write_note(current_user, student, year):
        abort(403)
    today = local_today()
    found = notes.note_of(student, month)
    if not notes.is_writable(notes.main_assignment(student, year), current_user, year, month, today, found):
        flash(_("Tháng %(m)s không nằm trong thời gian đỡ đầu (từ khi được phân công đến nay).",
                m=month.strftime("%m/%Y")), "warning")
        return redirect(url_for("progress.note", student_id=student.id, month_text=month_text))
    form = NoteForm()
    submitting = request.form.get("action") == "submit"
    if not form.validate_on_submit() or (found is not None and version_conflict(form, found, _note_changed())):
        return _note_page(student, year, month, found, form=form)
    targets = notes.targets_for(plans.plan_for(student, year), month, found)
    try:
        note = found or notes.open_note(student, year, month, by=current_user, today=today)
        notes.save_note(note, form.note_data(), by=current_user, today=today,
                        allowed_goals={g.id for g in targets}, reason=form.reason.data)
        submitted_now = submitting and note.status == NoteStatus.DRAFT
        if submitted_now:
            notes.submit_note(note, by=current_user, today=today)
        db.session.commit()
    except RuleError as err:
        db.session.rollback()
        form.form_errors.append(str(err))
        return _note_page(student, year, month, notes.note_of(student, month), form=form)
    except StaleDataError:
        db.session.rollback()
        form.form_errors.append(_note_changed())
        return _note_page(student, year, month, notes.note_of(student, month), form=form)
    if submitted_now:
        flash(_("Đã gửi nhận xét tháng %(m)s.", m=month.strftime("%m/%Y")) if note.submitted_on_time
              else _("Đã gửi nhận xét tháng %(m)s (gửi muộn).", m=month.strftime("%m/%Y")), "success")
    else:
        flash(_("Đã lưu."), "success")
    return redirect(url_for("progress.note", student_id=student.id, month_text=month_text))


@bp.post("/notes/<int:note_id>/review")
@login_required
def review_note(note_id: int):
    note = get_note_or_404(note_id, can_review_note)
    form = NoteReviewForm()
    if form.validate_on_submit():
        try:
            notes.review_note(note, ReviewStatus(form.decision.data), form.comment.data, by=current_user)
        except RuleError as err:
            db.session.rollback()
            form.comment.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã ghi ý kiến của tổ trưởng."), "success")
            return redirect(url_for("progress.note_queue"))
    return _note_page(note.student, note.school_year, note.month, notes.note_of(note.student, note.month),
                      review_form=form)


@bp.post("/students/<int:student_id>/notes/<month_text>/contributions")
@login_required
def contribute(student_id: int, month_text: str):
    month, year = _year_of(month_text)
    student = get_in_school_or_404(Student, student_id)
    if not can_contribute_note(current_user, student, year):
        abort(403)
    form = ContributionForm()
    if form.validate_on_submit():
        notes.add_contribution(student, month, form.text.data, by=current_user)
        db.session.commit()
        flash(_("Đã ghi đóng góp của bạn."), "success")
        return redirect(url_for("progress.note", student_id=student.id, month_text=month_text) + "#contributions")
    return _note_page(student, year, month, notes.note_of(student, month), contribution_form=form)


@bp.get("/notes/queue")
@role_required(Role.DEPT_HEAD, Role.LEADER)
def note_queue():
    """The department head's sign-off queue: submitted notes to mark "đã xem" or "cần bổ sung"."""
    year = require_year()
    audit.viewed(year)
    return render_template("progress/note_queue.html", year=year,
                           pending=notes.review_queue(current_user, year),
                           waiting=notes.review_queue(current_user, year, ReviewStatus.NEEDS_MORE))
