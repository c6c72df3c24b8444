"""`flask report department-monthly --department CODE --month YYYY-MM --out FILE.xlsx|FILE.pdf`: the department's
monthly campaign report (the head's edited summary if any, else the generated one)."""

import click
from sqlalchemy import func, select

from ..documents.web import format_of, write_document
from ..extensions import db
from ..models import Department
from ..progress.notes import parse_month, year_of_month
from ..screening.cli import choose_school, report_group
from ..timeutil import local_today
from .report import month_report, record_export, report_document, stored_report, summary_of


@report_group.command("department-monthly")
@click.option("--department", "code", required=True, help="The department's code, e.g. TOAN")
@click.option("--month", "month_text", required=True, help="The month, YYYY-MM (e.g. 2026-12)")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The file to write: .xlsx or .pdf")
@click.option("--school", "school_id", type=int, default=None, help="The school's id (default: the only school)")
def department_monthly(code: str, month_text: str, out: str, school_id: int | None):
    """The campaign section of a department's monthly report, as xlsx or PDF (audited)."""
    try:
        fmt = format_of(out)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    school = choose_school(school_id)
    month = parse_month(month_text.strip())
    if month is None:
        raise click.ClickException(f"Bad month {month_text!r}: write it as YYYY-MM, e.g. 2026-12.")
    department = db.session.scalar(select(Department).where(Department.school_id == school.id,
                                                            func.upper(Department.code) == code.strip().upper()))
    if department is None:
        known = db.session.scalars(select(Department.code).where(Department.school_id == school.id)
                                   .order_by(Department.code)).all()
        raise click.ClickException(f"No department {code!r} in {school.name}. Known codes: "
                                   + (", ".join(known) or "none"))
    year = year_of_month(school.id, month)
    if year is None:
        raise click.ClickException(f"{month_text} is not in any school year of {school.name}.")
    report = month_report(department, year, month, local_today())
    doc = report_document(report, summary_of(report, stored_report(department, month)))
    write_document(doc, out)
    record_export(report, "xlsx", via="cli", format=fmt)  # a PDF is audited as its workbook twin
    db.session.commit()
    click.echo(f"{report.mentees} mentees of {report.mentors} mentors written to {out}.")
    for label in doc.missing:
        click.echo(f"Warning: the school's header data is incomplete: {label} is empty (admin → school settings).",
                   err=True)
