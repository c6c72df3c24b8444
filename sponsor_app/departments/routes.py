"""Department monitoring: the head's dashboard and the department's monthly report."""

from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..context import require_year
from ..extensions import db
from ..forms import version_conflict
from ..models import Role
from ..pagecache import cached_page
from ..params import to_int
from ..periods import current_month, year_months
from ..permissions import get_department_or_404, monitored_departments, role_required
from ..progress.notes import parse_month, year_of_month
from ..timeutil import local_today
from . import report as reports
from . import services
from .forms import ReportSummaryForm

bp = Blueprint("departments", __name__)


def _id_or_404(text: str | None) -> int:
    number = to_int(text, lo=1)
    if number is None:
        abort(404)
    return number


@bp.get("/")
@role_required(Role.LEADER, Role.DEPT_HEAD)
def dashboard():
    year = require_year()

    def render() -> str:
        today = local_today()
        departments = list(db.session.scalars(monitored_departments(current_user)))
        wanted = request.args.get("department")
        department = get_department_or_404(_id_or_404(wanted)) if wanted else (departments[0] if departments else None)
        period = services.dashboard_period(request.args, year, today)
        data = services.dashboard(department, year, period, today) if department else None
        return render_template("departments/dashboard.html", year=year, departments=departments,
                               department=department, period=period, months=year_months(year), data=data,
                               charts=False)
    audit.viewed(year)  # with the URL's department and period; every view, from the store or not
    return cached_page(render)


def _month_and_year(department):
    """The report's month (?month=YYYY-MM, default the current month) and its school year (404 if none)."""
    text = (request.args.get("month") or "").strip()
    if text:
        month = parse_month(text)
        year = year_of_month(department.school_id, month) if month else None
        if year is None:
            abort(404)
        return month, year
    year = require_year()
    return current_month(year, local_today()), year


def _report_page(department, month, year, form=None, status=200):
    data = reports.month_report(department, year, month, local_today())
    stored = reports.stored_report(department, month)
    generated = reports.summary_text(data)
    if form is None:
        form = ReportSummaryForm(summary=reports.summary_of(data, stored), version=stored.version if stored else 0)
    audit.viewed(department, month=month.strftime("%Y-%m"), student_ids=data.student_ids)
    return render_template("departments/report.html", department=department, year=year, month=month,
                           report=data, stored=stored, generated=generated, form=form, conflict=status == 409,
                           months=year_months(year)), status


@bp.get("/<int:dept_id>/report")
@login_required
def report(dept_id: int):
    department = get_department_or_404(dept_id)
    month, year = _month_and_year(department)
    return _report_page(department, month, year)


@bp.post("/<int:dept_id>/report")
@login_required
def save_report(dept_id: int):
    department = get_department_or_404(dept_id)
    month, year = _month_and_year(department)
    form = ReportSummaryForm()
    stored = reports.stored_report(department, month)
    current = stored or SimpleNamespace(version=0)
    if not form.validate_on_submit():
        return _report_page(department, month, year, form=form)
    if version_conflict(form, current):
        form.version.data = current.version  # the saved text is shown: saving again replaces it knowingly
        return _report_page(department, month, year, form=form, status=409)
    try:
        if form.regenerate.data:
            reports.regenerate(department, month, by=current_user)
        else:
            reports.save_summary(department, month, form.summary.data, by=current_user)
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        latest = reports.stored_report(department, month)
        form.version.data = latest.version if latest else 0
        form.form_errors.append(_("Bản tóm tắt vừa được người khác sửa. Nội dung bạn nhập vẫn còn bên dưới; "
                                  "hãy mở lại trang trong thẻ khác để xem bản mới."))
        return _report_page(department, month, year, form=form, status=409)
    flash(_("Đã tạo lại tóm tắt từ số liệu.") if form.regenerate.data else _("Đã lưu bản tóm tắt."), "success")
    return redirect(url_for("departments.report", dept_id=department.id, month=month.strftime("%Y-%m")))


def _report_file(dept_id: int, fmt: str):
    from ..documents.web import send_document

    department = get_department_or_404(dept_id)
    month, year = _month_and_year(department)
    data = reports.month_report(department, year, month, local_today())
    doc = reports.report_document(data, reports.summary_of(data, reports.stored_report(department, month)))
    response = send_document(doc, fmt)
    reports.record_export(data, "xlsx", format=fmt)  # the PDF is audited as its workbook twin
    db.session.commit()
    return response


@bp.get("/<int:dept_id>/report.xlsx")
@login_required
def report_xlsx(dept_id: int):
    return _report_file(dept_id, "xlsx")


@bp.get("/<int:dept_id>/report.pdf")
@login_required
def report_pdf(dept_id: int):
    return _report_file(dept_id, "pdf")


@bp.get("/<int:dept_id>/report/print")
@login_required
def report_print(dept_id: int):
    from ..documents.web import render_html

    department = get_department_or_404(dept_id)
    month, year = _month_and_year(department)
    today = local_today()
    data = reports.month_report(department, year, month, today)
    doc = reports.report_document(data, reports.summary_of(data, reports.stored_report(department, month)), today)
    page = render_template("departments/report_print.html", department=department, year=year, month=month,
                           report=data, doc=doc, document=render_html(doc))
    # Recorded once the page is built: a commit before it expired what the page shows, loaded again.
    reports.record_export(data, "print")
    db.session.commit()
    return page
