"""Admin pages: accounts, departments, classes, school years, the school, students, audit log."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..auth import services as auth_services
from ..context import school_years, selected_year
from ..exceptions import RuleError
from ..extensions import db
from ..forms import version_conflict
from ..models import AuditLog, ClassGroup, Department, Role, SchoolYear, Student, User
from ..pagination import paginate_rows
from ..params import int_arg
from ..permissions import get_in_school_or_404, role_required
from ..roster.services import classes_with_counts, enrollment_in
from ..text import fold
from ..timeutil import local_today
from . import services
from .forms import ClassForm, ConfirmForm, DepartmentForm, SchoolForm, SchoolYearForm, StudentForm, UserForm

bp = Blueprint("admin", __name__)


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only():
    """Every admin page is for admins only (checked before each view)."""


def _staff_choices(blank_label: str):
    staff = db.session.scalars(
        select(User).where(User.school_id == current_user.school_id, User.active.is_(True)).order_by(User.sort_key)
    )
    return [SelectChoice("", blank_label)] + [SelectChoice(str(u.id), u.full_name) for u in staff]


def _commit_or_conflict(form) -> bool:
    """Commit; on a concurrent edit roll back and report it on the form (the typed data stays)."""
    try:
        db.session.commit()
        return True
    except StaleDataError:
        db.session.rollback()
        form.form_errors.append(_("Hồ sơ này vừa được người khác sửa. Hãy mở lại để xem bản mới."))
        return False


def _year_or_redirect():
    year = selected_year()
    if year is None:
        flash(_("Hãy tạo năm học trước."), "warning")
    return year


# --- accounts ---------------------------------------------------------------------------

@bp.get("/users")
def users():
    q = request.args.get("q", "")[:100]
    show = request.args.get("show", "active")
    stmt = (select(User, Department).outerjoin(Department, Department.id == User.department_id)
            .where(User.school_id == current_user.school_id).order_by(User.sort_key))
    if q:
        needle = f"%{fold(q)}%"
        stmt = stmt.where(or_(User.search_text.like(needle), User.username.like(needle)))
    if show == "active":
        stmt = stmt.where(User.active.is_(True))
    elif show == "inactive":
        stmt = stmt.where(User.active.is_(False))
    page = paginate_rows(stmt, int_arg("page", 1), current_app.config["PER_PAGE"])
    return render_template("admin/users.html", page=page, q=q, show=show, confirm=ConfirmForm())


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user)
    if request.method == "GET" and user is not None:
        form.roles.data = [r.value for r in user.roles]
    form.department_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(d.id), f"{d.name} ({d.code})") for d in db.session.scalars(
            select(Department).where(Department.school_id == current_user.school_id).order_by(Department.name))
    ]
    return form


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = _user_form(None)
    if request.method == "GET":
        form.roles.data = [Role.TEACHER.value]
    if form.validate_on_submit():
        if form.department_id.data:
            get_in_school_or_404(Department, form.department_id.data)
        try:
            user, password = services.save_user(None, current_user.school, form.data, roles=form.roles.data)
        except RuleError as err:
            form.username.errors.append(str(err))
        else:
            db.session.commit()
            return render_template("admin/password_shown.html", user=user, password=password, created=True)
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = get_in_school_or_404(User, user_id)
    form = _user_form(user)
    if form.validate_on_submit() and not version_conflict(form, user):
        if form.department_id.data:
            get_in_school_or_404(Department, form.department_id.data)
        if user.id == current_user.id and Role.ADMIN.value not in form.roles.data:
            form.roles.errors.append(_("Bạn không thể bỏ vai trò quản trị của chính mình."))
        else:
            try:
                services.save_user(user, current_user.school, form.data, roles=form.roles.data)
            except RuleError as err:
                form.username.errors.append(str(err))
            else:
                if _commit_or_conflict(form):
                    flash(_("Đã lưu tài khoản %(u)s.", u=user.username), "success")
                    return redirect(url_for("admin.users"))
    if request.method == "GET":
        form.version.data = user.version
    return render_template("admin/user_form.html", form=form, user=user, confirm=ConfirmForm())


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int):
    user = get_in_school_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.deactivate_user(user, by=current_user)
        except RuleError as err:
            flash(str(err), "danger")
        else:
            db.session.commit()
            flash(_("Đã khóa tài khoản %(u)s; mọi phiên đăng nhập của tài khoản này đã kết thúc.", u=user.username),
                  "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reactivate")
def user_reactivate(user_id: int):
    user = get_in_school_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        services.reactivate_user(user)
        db.session.commit()
        flash(_("Đã mở lại tài khoản %(u)s.", u=user.username), "success")
    return redirect(url_for("admin.users", show="all"))


@bp.post("/users/<int:user_id>/unlock-login")
def user_unlock_login(user_id: int):
    """Let an account locked by failed logins try again now (every address and browser)."""
    user = get_in_school_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    auth_services.unlock_login(user)
    db.session.commit()
    flash(_("Đã mở khóa đăng nhập cho tài khoản %(u)s.", u=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/reset-password")
def user_reset_password(user_id: int):
    user = get_in_school_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    password = services.reset_password(user)
    db.session.commit()
    return render_template("admin/password_shown.html", user=user, password=password, created=False)


# --- departments ------------------------------------------------------------------------

@bp.get("/departments")
def departments():
    rows = db.session.scalars(
        select(Department).where(Department.school_id == current_user.school_id)
        .options(selectinload(Department.head)).order_by(Department.name)
    ).all()
    return render_template("admin/departments.html", departments=rows)


@bp.route("/departments/new", methods=["GET", "POST"], defaults={"dept_id": None})
@bp.route("/departments/<int:dept_id>/edit", methods=["GET", "POST"])
def department_edit(dept_id: int | None):
    dept = get_in_school_or_404(Department, dept_id) if dept_id else None
    form = DepartmentForm(obj=dept)
    form.head_id.choices = _staff_choices("—")
    if form.validate_on_submit():
        if form.head_id.data:
            get_in_school_or_404(User, form.head_id.data)
        try:
            services.save_department(dept, current_user.school, form.data)
        except RuleError as err:
            form.code.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã lưu tổ %(c)s.", c=form.code.data), "success")
            return redirect(url_for("admin.departments"))
    return render_template("admin/simple_form.html", form=form,
                           title=_("Sửa tổ chuyên môn") if dept else _("Thêm tổ chuyên môn"),
                           cancel_url=url_for("admin.departments"))


# --- classes ----------------------------------------------------------------------------

@bp.get("/classes")
def classes():
    year = _year_or_redirect()
    if year is None:
        return redirect(url_for("admin.years"))
    return render_template("admin/classes.html", rows=classes_with_counts(current_user, year), year=year)


@bp.route("/classes/new", methods=["GET", "POST"], defaults={"class_id": None})
@bp.route("/classes/<int:class_id>/edit", methods=["GET", "POST"])
def class_edit(class_id: int | None):
    class_group = get_in_school_or_404(ClassGroup, class_id) if class_id else None
    year = class_group.school_year if class_group else _year_or_redirect()
    if year is None:
        return redirect(url_for("admin.years"))
    form = ClassForm(obj=class_group)
    form.homeroom_teacher_id.choices = _staff_choices("—")
    if form.validate_on_submit():
        if form.homeroom_teacher_id.data:
            get_in_school_or_404(User, form.homeroom_teacher_id.data)
        try:
            services.save_class(class_group, year, form.data)
        except RuleError as err:
            form.name.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã lưu lớp %(n)s.", n=form.name.data), "success")
            return redirect(url_for("admin.classes"))
    title = _("Sửa lớp") if class_group else _("Thêm lớp")
    return render_template("admin/simple_form.html", form=form, title=f"{title} — {year.name}",
                           cancel_url=url_for("admin.classes"))


# --- school years -----------------------------------------------------------------------

@bp.get("/years")
def years():
    return render_template("admin/years.html", years=school_years(current_user.school_id), confirm=ConfirmForm())


@bp.route("/years/new", methods=["GET", "POST"], defaults={"year_id": None})
@bp.route("/years/<int:year_id>/edit", methods=["GET", "POST"])
def year_edit(year_id: int | None):
    year = get_in_school_or_404(SchoolYear, year_id) if year_id else None
    if year is None and request.method == "GET":
        today = local_today()
        form = SchoolYearForm(data=services.default_calendar(today.year if today.month >= 8 else today.year - 1)
                              | {"is_current": not services.has_current_year(current_user.school_id)})  # the first year
    else:
        form = SchoolYearForm(obj=year)
    if form.validate_on_submit():
        try:
            services.save_year(year, current_user.school, form.data, make_current=form.is_current.data)
        except RuleError as err:
            form.name.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã lưu năm học %(y)s.", y=form.name.data), "success")
            return redirect(url_for("admin.years"))
    return render_template("admin/simple_form.html", form=form,
                           title=_("Sửa năm học") if year else _("Thêm năm học"),
                           cancel_url=url_for("admin.years"))


@bp.post("/years/<int:year_id>/make-current")
def year_make_current(year_id: int):
    year = get_in_school_or_404(SchoolYear, year_id)
    if ConfirmForm().validate_on_submit():
        services.set_current_year(year)
        db.session.commit()
        flash(_("Năm học hiện tại: %(y)s.", y=year.name), "success")
    return redirect(url_for("admin.years"))


# --- the school -------------------------------------------------------------------------

@bp.route("/school", methods=["GET", "POST"])
def school():
    school = current_user.school
    form = SchoolForm(obj=school)
    form.social_work_focal_id.choices = _staff_choices("—")
    if form.validate_on_submit():
        focal_id = form.social_work_focal_id.data
        if focal_id and not get_in_school_or_404(User, focal_id).active:
            form.social_work_focal_id.errors.append(_("Chọn một cán bộ đang làm việc."))
        else:
            form.populate_obj(school)
            audit.record("school_saved", school)
            db.session.commit()
            flash(_("Đã lưu thông tin trường."), "success")
            return redirect(url_for("admin.school"))
    return render_template("admin/simple_form.html", form=form, title=_("Thông tin trường"),
                           cancel_url=url_for("main.index"))


# --- students ---------------------------------------------------------------------------

def _student_form(student: Student | None, year: SchoolYear) -> StudentForm:
    form = StudentForm(obj=student)
    classes = db.session.scalars(
        select(ClassGroup).where(ClassGroup.school_year_id == year.id).order_by(ClassGroup.grade, ClassGroup.name))
    form.class_group_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(c.id), c.name) for c in classes]
    if request.method == "GET" and student is not None:
        enrollment = enrollment_in(student, year)
        form.class_group_id.data = enrollment.class_group_id if enrollment else None
        form.status.data = student.status.value
        form.version.data = student.version
    return form


@bp.route("/students/new", methods=["GET", "POST"], defaults={"student_id": None})
@bp.route("/students/<int:student_id>/edit", methods=["GET", "POST"])
def student_edit(student_id: int | None):
    student = get_in_school_or_404(Student, student_id) if student_id else None
    year = _year_or_redirect()
    if year is None:
        return redirect(url_for("admin.years"))
    form = _student_form(student, year)
    if form.validate_on_submit() and not (student and version_conflict(form, student)):
        class_group = get_in_school_or_404(ClassGroup, form.class_group_id.data)
        if class_group.school_year_id != year.id:
            abort(400)
        try:
            student = services.save_student(student, year, class_group, form.data)
        except RuleError as err:
            form.code.errors.append(str(err))
        else:
            if _commit_or_conflict(form):
                flash(_("Đã lưu học sinh %(n)s.", n=student.full_name), "success")
                return redirect(url_for("roster.student_detail", student_id=student.id))
    if student_id is None:
        audit.shows_no_record()  # the empty form of a new student
    else:  # the form shows the record (after a refused save, the session is rolled back first)
        audit.viewed(student, via="edit")
    return render_template("admin/simple_form.html", form=form,
                           title=(_("Sửa hồ sơ học sinh") if student else _("Thêm học sinh")) + f" — {year.name}",
                           cancel_url=url_for("roster.students"))


# --- audit log ---------------------------------------------------------------------------

@bp.get("/audit")
def audit_log():
    action = request.args.get("action", "")[:60]
    stmt = (select(AuditLog).where(AuditLog.school_id == current_user.school_id)
            .options(selectinload(AuditLog.user)).order_by(AuditLog.at.desc(), AuditLog.id.desc()))
    if action:
        stmt = stmt.where(AuditLog.action == action)
    page = paginate_rows(stmt, int_arg("page", 1), 100)
    return render_template("admin/audit.html", page=page, action=action)
