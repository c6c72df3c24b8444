"""Per-request context: the school year being viewed."""

from flask import g, has_request_context, session
from flask_login import current_user
from sqlalchemy import select

from .extensions import db
from .models import SchoolYear


def ui_locale() -> str:
    """The request's interface language ("vi" or "en"), looked up once per request (number filters
    run hundreds of times on a sheet); "vi" outside requests (commands, exports)."""
    if not has_request_context():
        return "vi"
    if "ui_locale" not in g:
        from flask_babel import get_locale

        g.ui_locale = str(get_locale())
    return g.ui_locale


def school_years(school_id: int) -> list[SchoolYear]:
    """The school's years, newest first."""
    stmt = select(SchoolYear).where(SchoolYear.school_id == school_id).order_by(SchoolYear.start_date.desc())
    return list(db.session.scalars(stmt))


def current_year(school_id: int) -> SchoolYear | None:
    """The year marked current, else the newest."""
    years = school_years(school_id)
    return next((y for y in years if y.is_current), years[0] if years else None)


def selected_year() -> SchoolYear | None:
    """The year the user chose to view (session), else the current year. Cached per request."""
    if "selected_year" in g:
        return g.selected_year
    year = None
    years = school_years(current_user.school_id)
    wanted = session.get("year_id")
    if wanted:
        year = next((y for y in years if y.id == wanted), None)
    if year is None:
        year = next((y for y in years if y.is_current), years[0] if years else None)
    g.selected_year = year
    g.school_years = years
    return year


def school_years_viewed() -> list[SchoolYear]:
    """The user's school's years as this request loaded them with `selected_year`, newest first."""
    selected_year()
    return g.school_years


class NoSchoolYear(Exception):
    """The school has no school year yet (handled app-wide: a message and the home page)."""


def require_year() -> SchoolYear:
    """The selected year; raises NoSchoolYear when the school has none yet."""
    year = selected_year()
    if year is None:
        raise NoSchoolYear
    return year
