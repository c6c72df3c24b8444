"""The school dashboard: how the whole school is doing (leadership; the union without names)."""


from types import SimpleNamespace

from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import audit
from ..context import require_year, school_years_viewed
from ..documents.model import missing_header_fields
from ..extensions import db
from ..pagecache import cached_page
from ..periods import Period, parse_period, year_months
from ..permissions import can_see_names_on_dashboard, can_view_dashboard
from ..reports.services import home_status as report_deadlines
from ..timeutil import local_today
from . import services

bp = Blueprint("dashboard", __name__)


def _authorise() -> None:
    if not can_view_dashboard(current_user):
        abort(403)


def _load() -> tuple:
    year = require_year()
    period = parse_period(request.args, year)
    dash = services.build(current_user.school_id, year, period, local_today(),
                          with_names=can_see_names_on_dashboard(current_user), years=school_years_viewed())
    return year, period, dash


def period_text(period: Period) -> str:
    if period.month:
        return _("Tháng %(m)s", m=period.month.strftime("%m/%Y"))
    if period.semester:
        return _("Học kỳ %(s)s", s="I" if period.semester == 1 else "II")
    return _("Cả năm học %(y)s", y=period.year.name)


@bp.get("/")
@login_required
def index():
    _authorise()  # on every view, before the page store is asked
    audit.viewed(None, with_names=can_see_names_on_dashboard(current_user))  # every view, from the store or not

    def render() -> str:
        year, period, dash = _load()
        today = local_today()
        return render_template("dashboard/index.html", year=year, period=period, dash=dash,
                               months=year_months(year), chart_data=services.charts(dash),
                               period_text=period_text(period), today=today,
                               semester_reports=report_deadlines(year, today),
                               doc=SimpleNamespace(missing=missing_header_fields(current_user.school)))
    return cached_page(render)


def _export(fmt: str):
    """The dashboard's tables as a workbook (one sheet each) or a PDF, in Vietnamese whatever the
    interface language."""
    from ..documents.web import send_document

    _authorise()
    year, period, dash = _load()
    with force_locale("vi"):
        doc = services.dashboard_document(dash, current_user.school, year, period_text(period), local_today())
    suffix = "-".join(str(v) for v in period.query_args().values())
    doc.filename = f"tong-quan-{year.name}{'-' + suffix if suffix else ''}"
    response = send_document(doc, fmt)
    audit.record("export_dashboard", year, period=period.query_args(), with_names=dash.with_names,
                 sheets={p.sheet: len(p.tables[0].rows) for p in doc.parts}, format=fmt)
    db.session.commit()
    return response


@bp.get("/export.xlsx")
@login_required
def export():
    return _export("xlsx")


@bp.get("/export.pdf")
@login_required
def overview_pdf():
    return _export("pdf")
