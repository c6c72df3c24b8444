"""Escalations of serious concerns: raise, list, detail (audited), respond, refer, close; the
directory of referral services (admin and leadership) and the school's holidays (admin)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..context import require_year, selected_year
from ..exceptions import RuleError
from ..extensions import db
from ..forms import version_conflict
from ..models import Holiday, MonthlyNote, Referral, ReferralService, SchoolYear, Student
from ..params import int_arg
from ..permissions import (
    can_manage_directory,
    can_manage_holidays,
    can_raise_escalation,
    can_respond_escalation,
    can_update_escalation,
    get_escalation_or_404,
    get_in_school_or_404,
)
from ..roster.services import enrollment_in
from ..timeutil import format_datetime, local_today
from . import services
from .forms import (
    CloseForm,
    HolidayForm,
    NationalHolidaysForm,
    OutcomeForm,
    RaiseForm,
    ReferralForm,
    ServiceForm,
    UpdateForm,
)

bp = Blueprint("escalations", __name__)


# --- raising ------------------------------------------------------------------------------

def _note_of(student: Student) -> int | None:
    """The monthly note the concern comes from (?note_id=), which must be this student's."""
    note_id = int_arg("note_id")
    if note_id is None:
        return None
    note = get_in_school_or_404(MonthlyNote, note_id)
    if note.student_id != student.id:
        abort(404)
    return note.id


@bp.route("/students/<int:student_id>/new", methods=["GET", "POST"])
@login_required
def new(student_id: int):
    year = require_year()
    student = get_in_school_or_404(Student, student_id)
    if not can_raise_escalation(current_user, student, year):
        abort(403)
    note_id = _note_of(student)
    form = RaiseForm()
    if form.validate_on_submit():
        escalation = services.raise_escalation(student, year, kind=form.kind.data, description=form.description.data,
                                               by=current_user, note_id=note_id)
        db.session.commit()
        flash(_("Đã báo cáo vụ việc. Ban giám hiệu và đầu mối công tác xã hội phải phản hồi trước %(d)s.",
                d=format_datetime(escalation.respond_by)), "success")
        if services.notify_raised(escalation) is False:
            flash(_("Vụ việc đã được lưu nhưng chưa gửi được thư báo; Ban giám hiệu vẫn thấy vụ việc trên "
                    "trang chủ. Hãy báo trực tiếp nếu việc gấp."), "warning")
        return redirect(url_for("escalations.detail", escalation_id=escalation.id))
    audit.viewed(student, via="escalation_form")  # the student the concern is about
    return render_template("escalations/new.html", form=form, student=student, year=year, note_id=note_id,
                           enrollment=enrollment_in(student, year))


# --- reading ------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    year = require_year()
    audit.viewed(year)
    return render_template("escalations/index.html", year=year, rows=services.list_for(current_user, year))


def _detail_page(escalation, *, update_form=None, referral_form=None, close_form=None, outcome_form=None,
                 outcome_for: int | None = None):
    """The detail page (also shown again with a form's errors): every showing is a logged view."""
    audit.viewed(escalation, student_id=escalation.student_id)  # written once the page is built
    escalation = services.load_detail(escalation)
    referral_form = referral_form or ReferralForm(formdata=None, referred_on=local_today())
    referral_form.service_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(s.id), s.name) for s in services.directory(escalation.school_id, active_only=True)]
    close_form = close_form or CloseForm(formdata=None)
    if close_form.version.data is None:
        close_form.version.data = escalation.version
    outcome_forms = {}
    for r in escalation.referrals:
        if r.id == outcome_for and outcome_form is not None:
            outcome_forms[r.id] = outcome_form
        else:
            outcome_forms[r.id] = OutcomeForm(formdata=None, prefix=f"r{r.id}", status=r.status.value,
                                              outcome=r.outcome, outcome_on=r.outcome_on or local_today())
    holidays = services.holidays_of(escalation.school_id)
    return render_template("escalations/detail.html", e=escalation, clock=services.clock(escalation, holidays),
                           enrollment=enrollment_in(escalation.student, escalation.school_year),
                           update_form=update_form or UpdateForm(formdata=None), referral_form=referral_form,
                           close_form=close_form, outcome_forms=outcome_forms)


@bp.get("/<int:escalation_id>")
@login_required
def detail(escalation_id: int):
    return _detail_page(get_escalation_or_404(escalation_id))


# --- following up -------------------------------------------------------------------------

@bp.post("/<int:escalation_id>/updates")
@login_required
def add_update(escalation_id: int):
    escalation = get_escalation_or_404(escalation_id, can_update_escalation)
    form = UpdateForm()
    if form.validate_on_submit():
        try:
            services.add_update(escalation, form.text.data, by=current_user)
            db.session.commit()
        except RuleError as err:
            db.session.rollback()
            form.text.errors.append(str(err))
        except StaleDataError:
            db.session.rollback()
            form.text.errors.append(_("Vụ việc vừa được người khác cập nhật. Hãy lưu lại."))
        else:
            flash(_("Đã ghi cập nhật."), "success")
            return redirect(url_for("escalations.detail", escalation_id=escalation.id) + "#timeline")
    return _detail_page(escalation, update_form=form)


@bp.post("/<int:escalation_id>/referrals")
@login_required
def refer(escalation_id: int):
    escalation = get_escalation_or_404(escalation_id, can_respond_escalation)
    form = ReferralForm()
    form.service_id.choices = []  # checked below against the directory of the school
    if form.validate_on_submit():
        service = get_in_school_or_404(ReferralService, form.service_id.data)
        try:
            services.refer(escalation, service, referred_on=form.referred_on.data, note=form.note.data,
                           by=current_user)
            db.session.commit()
        except RuleError as err:
            db.session.rollback()
            form.service_id.errors.append(str(err))
        except StaleDataError:
            db.session.rollback()
            form.service_id.errors.append(_("Vụ việc vừa được người khác cập nhật. Hãy lưu lại."))
        else:
            flash(_("Đã ghi chuyển gửi đến %(s)s.", s=service.name), "success")
            return redirect(url_for("escalations.detail", escalation_id=escalation.id) + "#referrals")
    return _detail_page(escalation, referral_form=form)


@bp.post("/referrals/<int:referral_id>/outcome")
@login_required
def referral_outcome(referral_id: int):
    referral = db.session.get(Referral, referral_id)  # the <int:> converter keeps ids in range
    if referral is None or referral.escalation.school_id != current_user.school_id:
        abort(404)
    escalation = get_escalation_or_404(referral.escalation_id, can_respond_escalation)
    form = OutcomeForm(prefix=f"r{referral.id}")
    if form.validate_on_submit():
        try:
            services.record_outcome(referral, status=form.status.data, outcome=form.outcome.data,
                                    outcome_on=form.outcome_on.data, by=current_user)
        except RuleError as err:
            db.session.rollback()
            form.outcome_on.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã ghi kết quả chuyển gửi."), "success")
            return redirect(url_for("escalations.detail", escalation_id=escalation.id) + "#referrals")
    return _detail_page(escalation, outcome_form=form, outcome_for=referral.id)


@bp.post("/<int:escalation_id>/close")
@login_required
def close(escalation_id: int):
    escalation = get_escalation_or_404(escalation_id, can_respond_escalation)
    form = CloseForm()
    if form.validate_on_submit():
        if version_conflict(form, escalation):
            form.version.data = escalation.version  # the page now shows the new state: saving again is deliberate
            return _detail_page(escalation, close_form=form)
        try:
            services.close(escalation, form.outcome.data, by=current_user)
            db.session.commit()
        except RuleError as err:
            db.session.rollback()
            form.outcome.errors.append(str(err))
        except StaleDataError:
            db.session.rollback()
            form.form_errors.append(_("Vụ việc vừa được người khác cập nhật. Nội dung bạn nhập vẫn còn bên dưới; "
                                      "hãy xem lại rồi lưu."))
        else:
            flash(_("Đã kết thúc vụ việc; hồ sơ vẫn được lưu."), "success")
            return redirect(url_for("escalations.detail", escalation_id=escalation.id))
    return _detail_page(escalation, close_form=form)


# --- the directory of referral services ------------------------------------------------------

def _directory_manager():
    if not can_manage_directory(current_user):
        abort(403)


@bp.get("/services")
@login_required
def directory():
    _directory_manager()
    return render_template("escalations/services.html", rows=services.directory(current_user.school_id))


@bp.route("/services/new", methods=["GET", "POST"], defaults={"service_id": None})
@bp.route("/services/<int:service_id>/edit", methods=["GET", "POST"])
@login_required
def service_edit(service_id: int | None):
    _directory_manager()
    service = get_in_school_or_404(ReferralService, service_id) if service_id else None
    form = ServiceForm(obj=service)
    if form.validate_on_submit():
        services.save_service(service, current_user.school_id, form.data)
        db.session.commit()
        flash(_("Đã lưu đơn vị %(n)s.", n=form.name.data), "success")
        return redirect(url_for("escalations.directory"))
    return render_template("escalations/service_form.html", form=form, service=service)


@bp.post("/services/<int:service_id>/deactivate")
@login_required
def service_deactivate(service_id: int):
    _directory_manager()
    service = get_in_school_or_404(ReferralService, service_id)
    services.set_service_active(service, False)
    db.session.commit()
    flash(_("Đã ngừng dùng %(n)s (các lần chuyển gửi cũ vẫn giữ).", n=service.name), "success")
    return redirect(url_for("escalations.directory"))


@bp.post("/services/<int:service_id>/reactivate")
@login_required
def service_reactivate(service_id: int):
    _directory_manager()
    service = get_in_school_or_404(ReferralService, service_id)
    services.set_service_active(service, True)
    db.session.commit()
    flash(_("Đã dùng lại %(n)s.", n=service.name), "success")
    return redirect(url_for("escalations.directory"))


@bp.post("/services/defaults")
@login_required
def service_defaults():
    _directory_manager()
    added = services.add_default_services(current_user.school_id)
    db.session.commit()
    if added:
        flash(_("Đã thêm Tổng đài quốc gia bảo vệ trẻ em 111. Hãy thêm UBND xã, Hội Phụ nữ, trạm y tế "
                "bằng tên thật của địa phương."), "success")
    else:
        flash(_("Danh bạ đã có Tổng đài 111."), "info")
    return redirect(url_for("escalations.directory"))


# --- holidays ------------------------------------------------------------------------------

def _holidays_admin():
    if not can_manage_holidays(current_user):
        abort(403)


def _holidays_page(form=None, national_form=None):
    national_form = national_form or NationalHolidaysForm(formdata=None, year=_next_holiday_year(selected_year()))
    return render_template("escalations/holidays.html", rows=services.holidays(current_user.school_id),
                           form=form or HolidayForm(formdata=None), national_form=national_form)


def _next_holiday_year(year: SchoolYear | None) -> int:
    """The calendar year whose fixed holidays lie ahead in the school year (1/1 onwards)."""
    return year.first_year + 1 if year else local_today().year


@bp.route("/holidays", methods=["GET", "POST"])
@login_required
def holidays():
    _holidays_admin()
    form = HolidayForm()
    if form.validate_on_submit():
        try:
            services.add_holiday(current_user.school_id, form.day.data, form.name.data)
        except RuleError as err:
            db.session.rollback()
            form.day.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã thêm ngày nghỉ."), "success")
            return redirect(url_for("escalations.holidays"))
    return _holidays_page(form=form if request.method == "POST" else None)


@bp.post("/holidays/<int:holiday_id>/remove")
@login_required
def holiday_remove(holiday_id: int):
    _holidays_admin()
    holiday = get_in_school_or_404(Holiday, holiday_id)
    services.remove_holiday(holiday)
    db.session.commit()
    flash(_("Đã bỏ ngày nghỉ."), "success")
    return redirect(url_for("escalations.holidays"))


@bp.post("/holidays/national")
@login_required
def holidays_national():
    _holidays_admin()
    form = NationalHolidaysForm()
    if form.validate_on_submit():
        added = services.add_national_holidays(current_user.school_id, form.year.data)
        db.session.commit()
        flash(_("Đã thêm %(n)d ngày lễ của năm %(y)d. Tết Nguyên đán (âm lịch) và ngày nghỉ bù do trường tự thêm.",
                n=added, y=form.year.data), "success")
        return redirect(url_for("escalations.holidays"))
    return _holidays_page(national_form=form)
