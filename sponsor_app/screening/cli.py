"""`flask report at-risk --year YYYY-YYYY --out FILE.xlsx|FILE.pdf`: the at-risk list (the extension
chooses the format)."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import School, SchoolYear, Screening
from . import services

report_group = AppGroup("report", help="Write reports to files.")


def choose_school(school_id: int | None) -> School:
    """The school a `flask report` command writes for: the one given by --school, else the only one."""
    schools = list(db.session.scalars(select(School).order_by(School.id)))
    school = next((s for s in schools if s.id == school_id), None) if school_id else (
        schools[0] if len(schools) == 1 else None)
    if school is None:
        raise click.ClickException("Choose the school with --school: " +
                                   (", ".join(f"{s.id}={s.name}" for s in schools) or "there is no school yet"))
    return school


def school_year_named(school: School, year_name: str) -> SchoolYear:
    """The school's year called `year_name` (e.g. 2026-2027); an unknown name lists the known ones."""
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.school_id == school.id,
                                                      SchoolYear.name == year_name.strip()))
    if year is None:
        known = db.session.scalars(select(SchoolYear.name).where(SchoolYear.school_id == school.id)
                                   .order_by(SchoolYear.start_date)).all()
        raise click.ClickException(f"No school year {year_name!r} in {school.name}. Known: "
                                   + (", ".join(known) or "none"))
    return year


@report_group.command("at-risk")
@click.option("--year", "year_name", required=True, help="School year, e.g. 2026-2027")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The file to write: .xlsx or .pdf")
@click.option("--school-id", type=int, default=None, help="The school (default: the only school)")
def at_risk(year_name: str, out: str, school_id: int | None):
    """The year's screened students with level, score, reasons and status (audited)."""
    from ..documents.web import format_of, write_document
    from .at_risk_list import at_risk_document

    schools = list(db.session.scalars(select(School).order_by(School.id)))
    school = next((s for s in schools if s.id == school_id), None) if school_id else (
        schools[0] if len(schools) == 1 else None)
    if school is None:
        raise click.ClickException("Choose the school with --school-id: " +
                                   (", ".join(f"{s.id}={s.name}" for s in schools) or "there is no school yet"))
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.school_id == school.id,
                                                      SchoolYear.name == year_name.replace(" ", "")))
    if year is None:
        raise click.ClickException(f"No school year {year_name!r} for {school.name}.")
    try:
        fmt = format_of(out)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    base = select(Screening).where(Screening.school_id == school.id, Screening.school_year_id == year.id)
    rows = db.session.execute(services.filtered_list(base, year, services.ListFilters())).all()
    doc = at_risk_document(school, year, rows)
    write_document(doc, out)
    audit.record("export_at_risk_list", year, school_id=school.id, rows=len(rows), via="cli", format=fmt)
    db.session.commit()
    click.echo(f"{len(rows)} students written to {out}.")
    for label in doc.missing:
        click.echo(f"Warning: the school's header data is incomplete: {label} is empty (admin → school settings).",
                   err=True)
