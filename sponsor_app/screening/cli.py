"""`flask report at-risk --year YYYY-YYYY --out FILE`: the at-risk list as a spreadsheet."""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import School, SchoolYear, Screening
from ..xlsx import build_workbook
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
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write")
@click.option("--school-id", type=int, default=None, help="The school (default: the only school)")
def at_risk(year_name: str, out: str, school_id: int | None):
    """The year's screened students with level, score, reasons and status (audited)."""
    schools = list(db.session.scalars(select(School).order_by(School.id)))
    school = next((s for s in schools if s.id == school_id), None) if school_id else (
        schools[0] if len(schools) == 1 else None)
    if school is None:
        raise click.ClickException("Choose the school with --school-id: " +
                                   ", ".join(f"{s.id}={s.name}" for s in schools))
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.school_id == school.id,
                                                      SchoolYear.name == year_name.replace(" ", "")))
    if year is None:
        raise click.ClickException(f"No school year {year_name!r} for {school.name}.")
    base = select(Screening).where(Screening.school_id == school.id,
                                            Screening.school_year_id == year.id)
    rows = db.session.execute(services.filtered_list(base, year, services.ListFilters())).all()
    Path(out).write_bytes(build_workbook([services.export_sheet(rows, year, school.name)]))
    audit.record("export_at_risk_list", year, school_id=school.id, rows=len(rows), via="cli")
    db.session.commit()
    click.echo(f"{len(rows)} students written to {out}.")
