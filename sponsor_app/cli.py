"""Flask CLI commands: create-admin, seed-demo, import, backup, send-reminders."""

import sqlite3
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import make_url

from .admin.services import temporary_password
from .extensions import db
from .models import Role, School, User


def register(app) -> None:
    from .assignments import cli as _assignments_cli  # noqa: F401 — adds `flask report assignment-list`
    from .departments import cli as _departments_cli  # noqa: F401 — adds `flask report department-monthly`
    from .emulation import cli as _emulation_cli  # noqa: F401 — adds `flask report emulation`
    from .imports.cli import import_group
    from .progress.cli import send_reminders_command
    from .reports import cli as _reports_cli  # noqa: F401 — adds `flask report semester`
    from .screening.cli import report_group
    from .seed import seed_demo_command

    app.cli.add_command(create_admin)
    app.cli.add_command(backup)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(import_group)
    app.cli.add_command(report_group)
    app.cli.add_command(send_reminders_command)


@click.command("create-admin")
@click.option("--username", required=True, help="Login name, e.g. admin")
@click.option("--name", "full_name", default="Quản trị viên", show_default=True, help="Full name")
@click.option("--school", "school_name", default=None, help="School name (created if there is no school yet)")
@click.option("--password", default=None, help="Password; a temporary one is generated when omitted")
def create_admin(username: str, full_name: str, school_name: str | None, password: str | None):
    """Create an administrator account (and the school, on an empty database)."""
    username = username.strip().lower()
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"User {username!r} already exists.")
    school = db.session.scalar(select(School).where(School.name == school_name)) if school_name else None
    school = school or db.session.scalar(select(School).order_by(School.id))
    if school is None:
        school = School(name=school_name or "Trường của tôi")
        db.session.add(school)
        db.session.flush()
    user = User(school_id=school.id, username=username)
    user.set_full_name(full_name)
    user.set_roles([Role.ADMIN, Role.TEACHER])
    temporary = password is None
    password = password or temporary_password()
    user.set_password(password)
    user.must_change_password = temporary
    db.session.add(user)
    db.session.commit()
    click.echo(f"Admin {username!r} created for {school.name}.")
    if temporary:
        click.echo(f"Temporary password (change it at first login): {password}")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup(path: str):
    """Write a consistent online copy of the SQLite database to PATH (safe while the app runs)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "This database is PostgreSQL: back it up with pg_dump, for example\n"
            f"  pg_dump --format=custom --file={path} '{url.set(drivername='postgresql').render_as_string(hide_password=True)}'"
        )
    source = url.database
    if not source or source == ":memory:":
        raise click.ClickException("The database is in memory; there is nothing to back up.")
    target = Path(path)
    if target.exists():
        raise click.ClickException(f"{target} exists; choose a new file name.")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)  # SQLite's online backup API: consistent even during writes
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if check != "ok":
        raise click.ClickException(f"The copy failed its integrity check: {check}")
    click.echo(f"Backup written to {target} (integrity check: ok).")
