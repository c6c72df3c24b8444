"""`flask send-reminders`: the daily reminder e-mails of monthly notes (run it from cron)."""

from datetime import date

import click
from sqlalchemy import select

from ..context import current_year
from ..extensions import db
from ..mail import mail_configured
from ..models import School
from ..timeutil import format_date, local_today, parse_date
from . import reminders
from .reminders import ALREADY_SENT, FAILED, NO_EMAIL, NOT_SENT, SENT, Outcome, Report

STATUS_LABELS = {SENT: "đã gửi", NO_EMAIL: "không có e-mail", FAILED: "lỗi", NOT_SENT: "chưa gửi",
                 ALREADY_SENT: "đã gửi trước đó"}


def _parse_day(_ctx, _param, value: str | None) -> date | None:
    try:
        return parse_date(value)
    except ValueError:
        raise click.BadParameter(f"“{value}” không phải ngày dd/mm/yyyy (ví dụ 20/12/2026).") from None


def _counts(outcomes: list[Outcome]) -> str:
    parts = []
    for status in (SENT, NOT_SENT, NO_EMAIL, ALREADY_SENT, FAILED):
        n = sum(1 for o in outcomes if o.status == status)
        if n:
            parts.append(f"{n} {STATUS_LABELS[status]}")
    return f" ({', '.join(parts)})" if parts else ""


def _summary(school: School, report: Report) -> None:
    mentors = [o for o in report.outcomes if o.reminder.to_mentor]
    heads = [o for o in report.outcomes if not o.reminder.to_mentor]
    click.echo(f"{school.name}, {report.year.name}, {format_date(report.today)}: "
               f"{len(mentors)} nhắc GV{_counts(mentors)}, {len(heads)} nhắc tổ trưởng/BGH{_counts(heads)}")
    for outcome in report.outcomes:
        r = outcome.reminder
        who = "GV" if r.to_mentor else ("BGH" if r.kind == reminders.LEADER_KIND else "Tổ trưởng")
        line = (f"  - [{r.kind}] {who} {r.recipient.full_name} <{r.recipient.email or 'không có e-mail'}>: "
                f"{len(r.items)} nhận xét tháng {r.month:%m/%Y} chưa gửi — {STATUS_LABELS[outcome.status]}")
        if outcome.error:
            line += f": {outcome.error}"
        click.echo(line, err=outcome.status == FAILED)


@click.command("send-reminders")
@click.option("--date", "day", callback=_parse_day, default=None, metavar="dd/mm/yyyy",
              help="Run as on this day (default: today, Vietnam time).")
@click.option("--school", "--school-id", "school_id", type=int, default=None,
              help="Only this school (id); default: every school, each in its current school year.")
@click.option("--dry-run", is_flag=True, help="List what would be sent; send and record nothing.")
def send_reminders_command(day: date | None, school_id: int | None, dry_run: bool):
    """E-mail today's reminders of monthly notes (safe to run daily from cron).

    On the year's reminder days (20 and 24 by default) each mentor gets the list of mentees whose
    note of the month is not submitted; from the due day (the 25th) until the month locks, each
    department head gets the department's missing notes once (mentors without a department:
    leadership). Each reminder is sent once: running again the same day sends nothing new.
    Without MAIL_SERVER nothing is sent and the list of what would be sent is printed.
    Exits with status 1 when a message could not be sent.
    """
    today = day or local_today()
    if school_id is not None:
        school = db.session.get(School, school_id)
        if school is None:
            raise click.ClickException(f"Không có trường có id {school_id}.")
        schools = [school]
    else:
        schools = list(db.session.scalars(select(School).order_by(School.id)))
        if not schools:
            raise click.ClickException("Chưa có trường nào: chạy `flask create-admin` hoặc `flask seed-demo` trước.")
    failed = 0
    for school in schools:
        year = current_year(school.id)
        if year is None:
            click.echo(f"{school.name}: chưa có năm học — bỏ qua.")
            continue
        report = reminders.send_reminders(school.id, year, today, dry_run=dry_run)
        failed += len(report.failed)
        _summary(school, report)
    if dry_run:
        db.session.rollback()
        click.echo("Chạy thử (--dry-run): không gửi, không ghi gì; trên đây là những nhắc nhở sẽ gửi.")
    else:
        db.session.commit()  # the log of what was sent, even when some sends failed
    if not mail_configured():
        click.echo("Chưa cấu hình e-mail (MAIL_SERVER): không gửi thư nào; trên đây là những nhắc nhở sẽ gửi.")
    if failed:
        click.echo(f"{failed} thư không gửi được; chạy lại lệnh để gửi lại những thư này.", err=True)
        raise SystemExit(1)
