"""`flask report semester --year YYYY-YYYY --term 1|2 --out FILE.xlsx|FILE.pdf`: report 1 or 2 of a
school year as a workbook or a PDF (the submitted snapshot, else the draft generated now), audited with
the students it contains; `flask report district`: every school's report in one workbook or PDF."""

from pathlib import Path

import click

from ..documents.web import format_of, write_document
from ..extensions import db
from ..screening.cli import choose_school, report_group, school_year_named
from . import district as district_report
from . import export, services


@report_group.command("semester")
@click.option("--year", "year_name", required=True, help="The school year, e.g. 2026-2027")
@click.option("--term", type=click.IntRange(1, 2), required=True,
              help="1: the report due 30/12 (semester I); 2: the report due 25/5 (the year)")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="The file to write: .xlsx or .pdf")
@click.option("--school", "school_id", type=int, default=None, help="The school's id (default: the only school)")
def semester(year_name: str, term: int, out: str, school_id: int | None):
    """The twice-yearly report to the Department of Education, as xlsx or PDF (audited)."""
    fmt = _format(out)
    school = choose_school(school_id)
    year = school_year_named(school, year_name)
    report = services.report_of(year, term)
    doc = services.document(school, year, term, report)
    official = export.report_document(doc)
    write_document(official, out)
    services.record_view(doc, year, "exported", school_id=school.id, via="cli", format=fmt)
    db.session.commit()
    state = "submitted" if report and report.locked else ("draft" if report else "not started: generated now")
    click.echo(f"Report {term} of {year.name} ({state}, data as of {doc['as_of']}): "
               f"{len(services.student_ids(doc))} students written to {out}.")
    for label in official.missing:
        click.echo(f"Warning: the report's header data is incomplete: {label} is empty (admin → school settings).",
                   err=True)


def _format(out: str) -> str:
    try:
        return format_of(out)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@report_group.command("district")
@click.option("--year", "year_name", required=True, help="The school year, e.g. 2026-2027")
@click.option("--term", type=click.IntRange(1, 2), required=True,
              help="1: the report due 30/12 (semester I); 2: the report due 25/5 (the year)")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="The file to write: .xlsx (streamed, any number of schools) or .pdf")
def district(year_name: str, term: int, out: str):
    """Report 1 or 2 of every school having that year, in one workbook or PDF (audited per school)."""
    try:
        fmt = format_of(out)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    parts = district_report.school_parts(year_name, term)
    if fmt == "pdf":
        doc, result = district_report.district_document(year_name, term, parts)
        if result.schools:
            write_document(doc, out)
    else:
        result = district_report.write_district_xlsx(Path(out), year_name, term, parts)
    if not result.schools:
        db.session.rollback()
        Path(out).unlink(missing_ok=True)
        raise click.ClickException(f"No school has the school year {year_name!r}.")
    db.session.commit()
    states = ", ".join(f"{n} {state}" for state, n in sorted(result.states.items()))
    click.echo(f"Report {term} of {year_name}: {result.schools} schools ({states}), "
               f"{result.students} students written to {out}.")
