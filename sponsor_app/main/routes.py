"""Home pages per role, the year switcher and the health check."""

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from .. import audit
from ..assignments import services as assignment_services
from ..context import selected_year
from ..escalations import services as escalation_services
from ..extensions import db
from ..models import Role, SchoolYear
from ..pagecache import cached_page
from ..params import to_int
from ..permissions import get_in_school_or_404
from ..progress import notes
from ..screening import services as screening_services
from ..timeutil import local_today
from ..urls import same_site_referrer
from . import services

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/")
@login_required
def index():
    return redirect(url_for("main.home", role=current_user.primary_role.value))


@bp.get("/home/<role>")
@login_required
def home(role: str):
    try:
        role = Role(role)
    except ValueError:
        abort(404)
    if not current_user.has_role(role):
        abort(403)
    audit.viewed(None, role=role.value)  # every view is on record, from the store or not
    return cached_page(lambda: _render_home(role))


def _render_home(role: Role) -> str:
    user = current_user
    year = selected_year()
    ctx = {"role": role, "year": year, "today": local_today()}
    ctx["milestones"] = services.upcoming_milestones(year, ctx["today"])
    ctx["homeroom"] = services.homeroom_classes(user, year)
    if role in (Role.ADMIN, Role.LEADER, Role.UNION):
        ctx["counts"] = services.school_counts(user.school_id, year)
    if role == Role.ADMIN:
        ctx["checklist"] = services.setup_checklist(user.school_id, year, ctx["counts"])
        ctx["role_counts"] = services.role_counts(user.school_id)
    if role in (Role.LEADER, Role.UNION):
        ctx["staff_by_department"] = services.staff_by_department(user.school_id)
    if role == Role.DEPT_HEAD:
        ctx["departments"] = services.department_members(user)
        if year is not None:  # the current month's notes still missing in the department(s)
            from ..progress.reminders import department_missing
            ctx["missing_notes"] = department_missing(user, year, ctx["today"])
            ctx["pledge"] = assignment_services.pledge_of(user, year)  # the head pledges too
    if role == Role.TEACHER and year is not None:
        ctx["mentees"] = assignment_services.mentor_home(user, year)
        ctx["progress"] = notes.mentor_overview(ctx["mentees"], year, ctx["today"])
        ctx["due_soon"] = notes.due_soon(ctx["progress"])
        ctx["missing"] = notes.previous_missing(ctx["progress"])
        ctx["pledge"] = assignment_services.pledge_of(user, year)
        from ..reports.rollover import handover_notes
        ctx["handover_notes"] = handover_notes(user, year)  # mentees handed over at the last year's end
    if role in (Role.LEADER, Role.DEPT_HEAD, Role.UNION) and year is not None:
        ctx["coverage"] = assignment_services.coverage(user.school_id, year)
        ctx["capacity"] = screening_services.capacity(user.school_id, year, ctx["coverage"])
        ctx["screening_counts"] = screening_services.year_counts(user.school_id, year)
    if role in (Role.LEADER, Role.UNION):  # the twice-yearly reports: deadlines and states
        from ..reports.services import home_status
        ctx["semester_reports"] = home_status(year, ctx["today"])
    if role in (Role.LEADER, Role.TEACHER):  # the banner of open escalations (leadership, the focal point)
        ctx["open_escalations"] = escalation_services.open_for(user, year)
    return render_template(f"main/home_{role.value}.html", **ctx)


@bp.post("/year")
@login_required
def choose_year():
    year = get_in_school_or_404(SchoolYear, to_int(request.form.get("year_id"), lo=1) or 0)
    session["year_id"] = year.id
    return redirect(same_site_referrer() or url_for("main.index"))
