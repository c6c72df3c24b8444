"""Students needing attention: the list (filtered by reason and month) and its export."""


from types import SimpleNamespace

from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import audit
from ..context import require_year
from ..documents.model import missing_header_fields
from ..extensions import db
from ..models import Role
from ..periods import current_month, parse_period, year_months
from ..permissions import role_required
from ..timeutil import local_today
from . import services
from .export import attention_document

bp = Blueprint("attention", __name__)


def _query():
    year = require_year()
    today = local_today()
    period = parse_period(request.args, year)
    if period.month:
        month = period.month
    else:  # a semester or the year: its last month so far
        months = period.months(until=today) or [current_month(year, today)]
        month = months[-1]
    reason = request.args.get("reason")
    reason = reason if reason in services.REASONS else None
    rows = services.students_needing_attention(current_user, year, month, today)
    return year, period, month, reason, rows


@bp.get("/")
@role_required(Role.LEADER, Role.DEPT_HEAD)
def index():
    year, period, month, reason, rows = _query()
    shown = [r for r in rows if reason is None or reason in r.reasons]
    audit.viewed(year, month=month.strftime("%Y-%m"), students=[r.student.id for r in shown])
    return render_template("attention/index.html", year=year, period=period, month=month, reason=reason,
                           rows=shown, doc=SimpleNamespace(missing=missing_header_fields(current_user.school)), counts=services.counts(rows), months=year_months(year),
                           limit=services.ABSENCE_LIMIT, warning=services.ABSENCE_WARNING)


def _export(fmt: str):
    from ..documents.web import send_document

    year, _period, month, reason, rows = _query()
    shown = [r for r in rows if reason is None or reason in r.reasons]
    response = send_document(attention_document(shown, year, month, current_user.school, reason), fmt)
    audit.record("export_attention", None, school_id=current_user.school_id, year=year.name,
                 month=month.strftime("%Y-%m"), students=[r.student.id for r in shown], format=fmt)
    db.session.commit()
    return response


@bp.get("/export.xlsx")
@role_required(Role.LEADER, Role.DEPT_HEAD)
def export():
    return _export("xlsx")


@bp.get("/export.pdf")
@role_required(Role.LEADER, Role.DEPT_HEAD)
def list_pdf():
    return _export("pdf")
