"""`flask report assignment-list --year YYYY-YYYY --out FILE.xlsx|FILE.pdf`: the official assignment list."""

import click
from sqlalchemy import select

from .. import audit
from ..documents.web import format_of, write_document
from ..extensions import db
from ..models import School, SchoolYear
from ..screening.cli import report_group
from .official_list import official_document, official_rows


@report_group.command("assignment-list")
@click.option("--year", "year_name", required=True, help="School year, e.g. 2026-2027")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The file to write: .xlsx or .pdf")
@click.option("--school-id", type=int, default=None, help="The school (default: the only school)")
def assignment_list(year_name: str, out: str, school_id: int | None):
    """The official list "Phân công nhiệm vụ hỗ trợ học sinh…" of the year (audited)."""
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
    rows = official_rows(school.id, year)
    doc = official_document(school, year, rows)
    write_document(doc, out)
    audit.record("export_assignment_list", year, school_id=school.id, rows=len(rows), via="cli", format=fmt)
    db.session.commit()
    without = sum(1 for r in rows if not r.has_mentor)
    click.echo(f"{len(rows)} students written to {out}" + (f" ({without} without a mentor yet)." if without else "."))
    for label in doc.missing:
        click.echo(f"Warning: the school's header data is incomplete: {label} is empty (admin → school settings).",
                   err=True)
