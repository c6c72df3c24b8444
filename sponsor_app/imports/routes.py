"""Upload, preview and confirm Excel imports (admins only).

The uploaded bytes stay on the server between the preview and the confirmation, in a file
under instance/imports named by a random token that only its uploader can use; the
confirmation reads, checks and plans the file again, so the browser sends back nothing but
the token.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..context import school_years, selected_year
from ..extensions import db
from ..models import Role, School, SchoolYear
from ..params import int_arg
from ..permissions import get_in_school_or_404, role_required
from ..xlsx import send_workbook
from . import services, teachers
from .forms import ConfirmForm, UploadForm
from .services import HOMEROOM, STUDENTS, TEACHING, YEAR_KINDS
from .xlsx import ImportFileError

bp = Blueprint("imports", __name__)


def _kind(value) -> str:
    return value if value in services.KINDS else STUDENTS


def _filename(name: str | None) -> str | None:
    """The uploaded file's own name (no folders), for the page and the audit log."""
    if not name:
        return None
    return name.replace("\\", "/").rsplit("/", 1)[-1][:200] or None


def _parse_and_plan(kind: str, data: bytes, year: SchoolYear | None, class_name: str | None):
    """:raises ImportFileError: the file cannot be used."""
    if kind == STUDENTS:
        return services.plan_students(services.parse_students(data, class_name=class_name), year)
    if kind == HOMEROOM:
        return teachers.plan_homeroom(teachers.parse_homeroom(data), year)
    if kind == TEACHING:
        return teachers.plan_teaching(teachers.parse_teaching(data), year)
    return services.plan_staff(services.parse_staff(data), db.session.get(School, current_user.school_id))


def _preview(kind, result, year, filename, token, status=200):
    return render_template("imports/preview.html", kind=kind, result=result, year=year, filename=filename,
                           confirm_form=ConfirmForm(token=token) if token else None,
                           field_labels=services.FIELD_LABELS), status


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def upload():
    kind = _kind(request.form.get("kind") if request.method == "POST" else request.args.get("kind"))
    years = school_years(current_user.school_id)
    form = UploadForm(kind=kind).for_kind(kind, years)
    if request.method == "GET" and kind in YEAR_KINDS:
        year = selected_year()
        form.year_id.data = year.id if year else None
    import_error = None
    if form.validate_on_submit():
        year = get_in_school_or_404(SchoolYear, form.year_id.data) if kind in YEAR_KINDS else None
        class_name = form.class_name.data if kind == STUDENTS else None
        filename = _filename(form.file.data.filename)
        data = form.file.data.read()
        try:
            result = _parse_and_plan(kind, data, year, class_name)
        except ImportFileError as err:
            import_error = str(err)
        else:
            token = None
            if not result.has_errors:
                token = services.store_pending(data, user=current_user, kind=kind,
                                               year_id=year.id if year else None, class_name=class_name,
                                               filename=filename)
            return _preview(kind, result, year, filename, token)
    status = 400 if request.method == "POST" else 200
    return render_template("imports/upload.html", form=form, kind=kind, years=years,
                           import_error=import_error, template_year=selected_year()), status


@bp.get("/teaching-template.xlsx")
@role_required(Role.ADMIN)
def teaching_template():
    """The teaching assignments template (Lớp | Môn | Giáo viên) with the year's assignments as stored."""
    year_id = int_arg("year_id")
    year = get_in_school_or_404(SchoolYear, year_id) if year_id else selected_year()
    if year is None:
        flash(_("Chưa có năm học nào. Hãy tạo năm học trước."), "warning")
        return redirect(url_for("admin.years"))
    data = teachers.teaching_template(year)
    audit.record("export_teaching_template", year)  # staff names: every export is audited
    db.session.commit()
    return send_workbook(data, f"phan_cong_giang_day_{year.name}.xlsx")


@bp.post("/confirm")
@role_required(Role.ADMIN)
def confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    pending = services.load_pending(form.token.data, current_user)
    if pending is None:
        flash(_("Không còn tệp đã tải lên (quá 1 giờ hoặc đã nhập xong). Hãy tải tệp lên lại."), "warning")
        return redirect(url_for(".upload"))
    meta = pending.meta
    kind = meta["kind"]
    year = get_in_school_or_404(SchoolYear, meta["year_id"]) if kind in YEAR_KINDS else None
    try:
        if kind == STUDENTS:
            result = services.parse_students(pending.data, class_name=meta.get("class_name"))
            summary = services.apply_students(result, year, by=current_user, source=meta.get("filename"))
        elif kind == HOMEROOM:
            summary = teachers.apply_homeroom(teachers.parse_homeroom(pending.data), year, by=current_user,
                                              source=meta.get("filename"))
        elif kind == TEACHING:
            summary = teachers.apply_teaching(teachers.parse_teaching(pending.data), year, by=current_user,
                                              source=meta.get("filename"))
        else:
            result = services.parse_staff(pending.data)
            school = db.session.get(School, current_user.school_id)
            summary = services.apply_staff(result, school, by=current_user, source=meta.get("filename"))
        db.session.commit()
    except ImportFileError as err:
        services.discard_pending(pending.token)
        flash(str(err), "danger")
        return redirect(url_for(".upload", kind=kind))
    except services.ImportRejected as rejected:
        # The database changed since the preview: show the problems as they are now.
        db.session.rollback()
        services.discard_pending(pending.token)
        return _preview(kind, rejected.result, year, meta.get("filename"), None, status=409)
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        flash(_("Dữ liệu vừa được người khác thay đổi trong lúc nhập nên chưa lưu gì. Hãy tải tệp lên lại."),
              "warning")
        return redirect(url_for(".upload", kind=kind))
    services.discard_pending(pending.token)
    if kind == STUDENTS:
        message = _("Đã nhập %(n)d học sinh vào năm học %(y)s: %(new)d mới, %(upd)d cập nhật.",
                    n=summary.rows, y=year.name, new=summary.created, upd=summary.updated)
        if summary.classes_created:
            message += " " + _("Đã tạo %(k)d lớp mới: %(names)s.", k=len(summary.classes_created),
                               names=", ".join(summary.classes_created))
        if summary.homerooms_set:
            message += " " + _("Đã đặt GVCN cho %(k)d lớp.", k=len(summary.homerooms_set))
        flash(message, "success")
        session["year_id"] = year.id  # show the classes of the year just imported
        return redirect(url_for("admin.classes"))
    if kind == HOMEROOM:
        flash(_("Đã cập nhật GVCN của %(n)d lớp: %(new)d lớp có GVCN mới, %(upd)d lớp đổi GVCN, "
                "%(same)d lớp giữ nguyên.", n=summary.added + summary.removed, new=summary.added,
                upd=summary.removed, same=summary.unchanged), "success")
        session["year_id"] = year.id
        return redirect(url_for("admin.classes"))
    if kind == TEACHING:
        flash(_("Đã nhập phân công giảng dạy năm học %(y)s cho %(k)d lớp: %(a)d thêm, %(r)d bỏ, %(u)d giữ "
                "nguyên.", y=year.name, k=len(summary.classes), a=summary.added, r=summary.removed,
                u=summary.unchanged), "success")
        return redirect(url_for(".upload", kind=TEACHING))
    message = _("Đã nhập %(n)d cán bộ: %(new)d tài khoản mới, %(upd)d cập nhật.",
                n=summary.rows, new=summary.created, upd=summary.updated)
    if summary.departments_created:
        message += " " + _("Đã tạo %(k)d tổ mới: %(codes)s.", k=len(summary.departments_created),
                           codes=", ".join(summary.departments_created))
    if summary.created:
        message += " " + _("Tài khoản mới chưa có mật khẩu: dùng “Đặt lại mật khẩu” để cấp mật khẩu tạm "
                           "cho từng người.")
    flash(message, "success")
    return redirect(url_for("admin.users"))

