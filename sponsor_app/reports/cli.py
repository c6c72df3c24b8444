"""`flask report semester --year YYYY-YYYY --term 1|2 --out FILE`: report 1 or 2 of a school year as
xlsx (the submitted snapshot, else the draft generated now), audited with the students it contains."""

from pathlib import Path

import click
from sqlalchemy import select

from ..extensions import db
from ..models import School, SchoolYear
from ..screening.cli import report_group
from . import export, services


@report_group.command("semester")
@click.option("--year", "year_name", required=True, help="The school year, e.g. 2026-2027")
@click.option("--term", type=click.IntRange(1, 2), required=True,
              help="1: the report due 30/12 (semester I); 2: the report due 25/5 (the year)")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write")
@click.option("--school", "school_id", type=int, default=None, help="The school's id (default: the only school)")
def semester(year_name: str, term: int, out: str, school_id: int | None):
    """The twice-yearly report to the Department of Education, as xlsx (audited)."""
    schools = list(db.session.scalars(select(School).order_by(School.id)))
    school = next((s for s in schools if s.id == school_id), None) if school_id else (
        schools[0] if len(schools) == 1 else None)
    if school is None:
        raise click.ClickException("Choose the school with --school: " +
                                   (", ".join(f"{s.id}={s.name}" for s in schools) or "there is no school yet"))
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.school_id == school.id,
                                                      SchoolYear.name == year_name.strip()))
    if year is None:
        known = db.session.scalars(select(SchoolYear.name).where(SchoolYear.school_id == school.id)
                                   .order_by(SchoolYear.start_date)).all()
        raise click.ClickException(f"No school year {year_name!r} in {school.name}. Known: "
                                   + (", ".join(known) or "none"))
    report = services.report_of(year, term)
    doc = services.document(school, year, term, report)
    Path(out).write_bytes(export.build_xlsx(doc))
    services.record_view(doc, year, "exported", school_id=school.id, via="cli")
    db.session.commit()
    state = "submitted" if report and report.locked else ("draft" if report else "not started: generated now")
    click.echo(f"Report {term} of {year.name} ({state}, data as of {doc['as_of']}): "
               f"{len(services.student_ids(doc))} students written to {out}.")
