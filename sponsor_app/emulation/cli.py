"""`flask report emulation --year YYYY-YYYY [--term 1|2] --out FILE.xlsx|FILE.pdf`: the emulation result
for the emulation council (the locked snapshot when the result is locked, else as computed today)."""

import click

from ..documents.web import format_of, write_document
from ..extensions import db
from ..screening.cli import choose_school, report_group, school_year_named
from ..timeutil import local_today
from . import export, results


@report_group.command("emulation")
@click.option("--year", "year_name", required=True, help="The school year, e.g. 2026-2027")
@click.option("--term", type=click.Choice(["1", "2"]), default=None, help="A semester (default: the whole year)")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The file to write: .xlsx or .pdf")
@click.option("--school", "school_id", type=int, default=None, help="The school's id (default: the only school)")
def emulation_report(year_name: str, term: str | None, out: str, school_id: int | None):
    """The emulation ranking, departments and commendations of a semester or a year, as xlsx or PDF (audited)."""
    try:
        fmt = format_of(out)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    school = choose_school(school_id)
    year = school_year_named(school, year_name)
    today = local_today()
    result = results.semester_sheet(year, int(term), today) if term else results.year_sheet(year, today)
    doc = export.document(result, school, year, today)
    write_document(doc, out)
    export.record_export(result, year, fmt, via="cli")
    db.session.commit()
    state = "locked" if result["evaluation"]["status"] == "locked" else "not locked, as of today"
    click.echo(f"{len(result['rows'])} staff, {len(result['departments'])} departments, "
               f"{len(result.get('commendations', []))} proposed commendations ({state}) written to {out}.")
    for label in doc.missing:
        click.echo(f"Warning: the school's header data is incomplete: {label} is empty (admin → school settings).",
                   err=True)
