"""Pledges, the assignment board, assigning and reassigning mentors, coverage, the official list."""


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..context import require_year
from ..exceptions import RuleError
from ..extensions import db
from ..forms import version_conflict
from ..models import (
    Assignment,
    ClassGroup,
    Department,
    MentorRole,
    Role,
    SchoolYear,
    Screening,
    Student,
    User,
)
from ..pagecache import cached_page
from ..permissions import can_view_coverage, can_view_pledges, get_in_school_or_404, role_required
from ..roster.services import enrollment_in
from . import services
from .forms import AssignForm, EndForm, PlanNumberForm, PledgeForm, ReassignForm

bp = Blueprint("assignments", __name__)



# --- pledges ----------------------------------------------------------------------------

@bp.route("/pledge", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def pledge():
    year = require_year()
    existing = services.pledge_of(current_user, year)
    form = PledgeForm(obj=existing)
    classes = db.session.scalars(select(ClassGroup).where(ClassGroup.school_year_id == year.id)
                                 .order_by(ClassGroup.grade, ClassGroup.name)).all()
    form.preferred_grade.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(g), str(g)) for g in sorted({c.grade for c in classes})]
    form.preferred_class_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(c.id), c.name) for c in classes]
    if request.method == "GET" and existing is not None:
        form.willing.data = "1" if existing.willing else "0"
        form.version.data = existing.version
    if form.validate_on_submit() and not (existing and version_conflict(form, existing)):
        if form.preferred_class_id.data and form.preferred_class_id.data not in {c.id for c in classes}:
            abort(400)
        services.save_pledge(current_user, year, form.pledge_data())
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            form.form_errors.append(_("Đăng ký vừa được sửa ở nơi khác. Hãy mở lại trang."))
        else:
            flash(_("Đã lưu đăng ký nhận đỡ đầu."), "success")
            return redirect(url_for("main.index"))
    return render_template("assignments/pledge.html", form=form, year=year, pledge=existing)


@bp.get("/pledges")
@login_required
def pledges():
    if not can_view_pledges(current_user):
        abort(403)
    year = require_year()
    department_ids = None
    if not current_user.has_role(Role.LEADER):  # a department head sees the departments they head
        department_ids = list(db.session.scalars(select(Department.id).where(Department.head_id == current_user.id)))
    loads = services.staff_loads(current_user.school_id, year, department_ids)
    return render_template("assignments/pledges.html", year=year, groups=services.pledges_by_department(loads),
                           loads=loads)


# --- the assignment board ---------------------------------------------------------------

@bp.get("/board")
@role_required(Role.LEADER)
def board():
    year = require_year()
    audit.viewed(year)  # every view is on record, from the store or not
    return cached_page(lambda: _render_board(year))


def _render_board(year) -> str:
    students = services.unassigned_students(current_user.school_id, year)
    loads = services.staff_loads(current_user.school_id, year)
    teachers = services.teachers_by_class({c.id for _s, _sc, c in students})
    coverage = services.department_coverage(loads)
    suggestions = {s.id: services.suggest_mentors(s, c, loads, teachers.get(c.id, {}), coverage, limit=3)
                   for s, _sc, c in students}
    return render_template("assignments/board.html", year=year, students=students, loads=loads,
                           suggestions=suggestions, assign_form=AssignForm(),
                           over=[lo for lo in loads if lo.over_capacity],
                           idle=[lo for lo in loads if lo.pledged_without_mentee],
                           summary=services.coverage(current_user.school_id, year, loads))


def _staff_choices(loads) -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [
        SelectChoice(str(lo.user.id), f"{lo.user.full_name} ({lo.main}/{lo.capacity})") for lo in loads
        if not (lo.pledge and not lo.pledge.willing)]


def _student_page(student: Student, year: SchoolYear, *, assign_form=None, reassign_form=None, end_form=None,
                  status=200):
    audit.viewed(student, via="assignments")  # also when a refused form shows the page again
    enrollment = enrollment_in(student, year)
    screening = db.session.scalar(select(Screening).where(Screening.student_id == student.id,
                                                          Screening.school_year_id == year.id))
    history = db.session.scalars(
        select(Assignment).where(Assignment.student_id == student.id, Assignment.school_year_id == year.id)
        .options(selectinload(Assignment.mentor), selectinload(Assignment.assigned_by),
                 selectinload(Assignment.ended_by))
        .order_by(Assignment.started_on, Assignment.id)).all()
    loads = services.staff_loads(current_user.school_id, year)
    suggestions = []
    if enrollment is not None:
        teachers = services.teachers_by_class([enrollment.class_group_id]).get(enrollment.class_group_id, {})
        suggestions = services.suggest_mentors(student, enrollment.class_group, loads, teachers,
                                               services.department_coverage(loads))
    choices = _staff_choices(loads)
    assign_form = assign_form or AssignForm(formdata=None, prefix="assign")
    reassign_form = reassign_form or ReassignForm(formdata=None, prefix="reassign")
    assign_form.mentor_id.choices = choices
    reassign_form.mentor_id.choices = choices
    active = [a for a in history if a.active]
    # One end form per active assignment (distinct field ids); the one posted keeps its errors.
    end_forms = {a.id: EndForm(formdata=None, prefix=f"end-{a.id}") for a in active}
    if end_form is not None:
        end_forms[int(end_form._prefix.split("-")[1])] = end_form
    return render_template("assignments/student.html", student=student, year=year, enrollment=enrollment,
                           screening=screening, history=history, suggestions=suggestions,
                           assign_form=assign_form, reassign_form=reassign_form, end_forms=end_forms,
                           active=active), status


@bp.get("/students/<int:student_id>")
@role_required(Role.LEADER)
def student(student_id: int):
    student = get_in_school_or_404(Student, student_id)
    return _student_page(student, require_year())


@bp.post("/students/<int:student_id>/assign")
@role_required(Role.LEADER)
def assign(student_id: int):
    student = get_in_school_or_404(Student, student_id)
    year = require_year()
    form = AssignForm(prefix="assign")
    if form.validate_on_submit():
        mentor = get_in_school_or_404(User, form.mentor_id.data)
        try:
            services.assign(student, year, mentor, MentorRole(form.role.data), by=current_user)
        except RuleError as err:
            form.mentor_id.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã phân công %(m)s đỡ đầu em %(s)s.", m=mentor.full_name, s=student.full_name), "success")
            if request.form.get("next") == "board":
                return redirect(url_for("assignments.board"))
            return redirect(url_for("assignments.student", student_id=student.id))
    return _student_page(student, year, assign_form=form)


def _assignment_or_404(assignment_id: int) -> Assignment:
    return get_in_school_or_404(Assignment, assignment_id)


@bp.post("/<int:assignment_id>/reassign")
@role_required(Role.LEADER)
def reassign(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    form = ReassignForm(prefix="reassign")
    if form.validate_on_submit():
        mentor = get_in_school_or_404(User, form.mentor_id.data)
        try:
            services.reassign_main(assignment, mentor, form.reason.data, by=current_user)
        except RuleError as err:
            db.session.rollback()
            form.reason.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã thay GV đỡ đầu chính."), "success")
            return redirect(url_for("assignments.student", student_id=assignment.student_id))
    return _student_page(assignment.student, assignment.school_year, reassign_form=form)


@bp.post("/<int:assignment_id>/end")
@role_required(Role.LEADER)
def end(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    form = EndForm(prefix=f"end-{assignment.id}")
    if form.validate_on_submit():
        try:
            services.end_assignment(assignment, form.reason.data, by=current_user)
        except RuleError as err:
            form.reason.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã kết thúc phân công."), "success")
            return redirect(url_for("assignments.student", student_id=assignment.student_id))
    return _student_page(assignment.student, assignment.school_year, end_form=form)


@bp.post("/<int:assignment_id>/seen")
@login_required
def seen(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    if assignment.mentor_id != current_user.id:
        abort(403)
    services.mark_seen(assignment)
    db.session.commit()
    return redirect(url_for("main.index"))


# --- coverage and the official list -------------------------------------------------------

@bp.get("/coverage")
@login_required
def coverage():
    if not can_view_coverage(current_user):
        abort(403)
    year = require_year()
    return render_template("assignments/coverage.html", year=year,
                           summary=services.coverage(current_user.school_id, year))


@bp.get("/official-list")
@role_required(Role.LEADER)
def official_list():
    from ..documents.web import render_html
    from .official_list import official_document, official_rows

    year = require_year()
    form = PlanNumberForm(plan_number=year.plan_number)
    rows = official_rows(current_user.school_id, year)
    doc = official_document(current_user.school, year, rows)
    page = render_template("assignments/official_list.html", school=current_user.school, year=year,
                           rows=rows, doc=doc, document=render_html(doc), plan_form=form, can_edit_plan=True)
    # The print view of the official list: an export like its xlsx (names and circumstances), recorded
    # once the page is built.
    audit.record_view("export_assignment_list_print", year, rows=len(rows))
    return page


def _official_list_file(fmt: str):
    from ..documents.web import send_document
    from .official_list import official_document, official_rows

    year = require_year()
    rows = official_rows(current_user.school_id, year)
    response = send_document(official_document(current_user.school, year, rows), fmt)
    audit.record("export_assignment_list", year, rows=len(rows), format=fmt)
    db.session.commit()
    return response


@bp.get("/official-list.xlsx")
@role_required(Role.LEADER)
def official_list_xlsx():
    return _official_list_file("xlsx")


@bp.get("/official-list.pdf")
@role_required(Role.LEADER)
def official_list_pdf():
    return _official_list_file("pdf")


@bp.post("/plan-number")
@role_required(Role.LEADER)
def plan_number():
    year = require_year()
    form = PlanNumberForm()
    if form.validate_on_submit():
        year.plan_number = form.plan_number.data or None
        audit.record("plan_number_saved", year, plan_number=year.plan_number)
        db.session.commit()
        flash(_("Đã lưu số kế hoạch."), "success")
    else:
        flash(" ".join(str(e) for e in form.plan_number.errors) or _("Số kế hoạch không hợp lệ."), "danger")
    return redirect(url_for("assignments.official_list"))
