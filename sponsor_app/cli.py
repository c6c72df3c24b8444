"""Flask CLI commands: create-admin, seed-demo, import, backup, restore, check-deploy, send-reminders."""

import sqlite3
import unicodedata
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import make_url

from .admin.services import temporary_password
from .extensions import db
from .identity import login_name
from .models import Role, School, User


def register(app) -> None:
    from .assignments import cli as _assignments_cli  # noqa: F401 — adds `flask report assignment-list`
    from .departments import cli as _departments_cli  # noqa: F401 — adds `flask report department-monthly`
    from .deploycheck import check_deploy_command
    from .emulation import cli as _emulation_cli  # noqa: F401 — adds `flask report emulation`
    from .imports.cli import import_group
    from .progress.cli import send_reminders_command
    from .reports import cli as _reports_cli  # noqa: F401 — adds `flask report semester`
    from .screening.cli import report_group
    from .seed import seed_demo_command

    app.cli.add_command(create_admin)
    app.cli.add_command(start_school)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    app.cli.add_command(check_deploy_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(import_group)
    app.cli.add_command(report_group)
    app.cli.add_command(send_reminders_command)


@click.command("create-admin")
@click.option("--username", required=True, help="Login name, e.g. admin")
@click.option("--name", "full_name", default="Quản trị viên", show_default=True, help="Full name")
@click.option("--school", "school_name", default=None,
              help="The school's exact name; may be omitted when the database has at most one school")
@click.option("--new-school", is_flag=True, default=False,
              help="Create the school named by --school (refused if it exists)")
@click.option("--password", default=None, help="Password; a temporary one is generated when omitted")
def create_admin(username: str, full_name: str, school_name: str | None, new_school: bool, password: str | None):
    """Create an administrator account of a school.

    On an empty database the school is created (named by --school). Otherwise the admin joins the
    school named by --school, which must exist: a name that matches no school is refused (a typo
    must not make someone the admin of another school) unless --new-school asks for it to be created.
    """
    username = login_name(username)
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"User {username!r} already exists.")
    school_name = unicodedata.normalize("NFC", school_name).strip() if school_name else None
    school = _school_for_admin(school_name or None, new_school)
    password, temporary = _add_admin(school, username, full_name, password)
    db.session.commit()
    click.echo(f"Admin {username!r} created for {school.name}.")
    if temporary:
        click.echo(f"Temporary password (change it at first login): {password}")


def _add_admin(school: School, username: str, full_name: str, password: str | None) -> tuple[str, bool]:
    """An admin (and teacher) account of `school`: (its password, whether it is a temporary one)."""
    user = User(school_id=school.id, username=username)
    user.set_full_name(full_name)
    user.set_roles([Role.ADMIN, Role.TEACHER])
    temporary = password is None
    password = password or temporary_password()
    user.set_password(password)
    user.must_change_password = temporary
    db.session.add(user)
    return password, temporary


@click.command("start-school")
@click.option("--school", "school_name", default="", help="Your school's name, e.g. \"Trường THPT Nguyễn Du\"")
@click.option("--username", default="admin", show_default=True, help="The first admin's login name")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Where the app will be served")
def start_school(school_name: str, username: str, url: str):
    """A real school from nothing (`make school`): on an empty database, create the school and its first
    admin with a temporary password, and say where to go next; on a database that has a school, say how
    to log in. Never touches an existing school."""
    schools = db.session.scalars(select(School).order_by(School.id)).all()
    if schools:
        click.echo(f"This database already has {', '.join(s.name for s in schools)}.\n"
                   f"Open {url}/login and log in with your admin account (forgotten password: another admin "
                   f"resets it, or `flask create-admin --username NEW --school NAME`).")
        return
    school_name = unicodedata.normalize("NFC", school_name or "").strip()
    if not school_name:
        raise click.ClickException('Name your school: make school SCHOOL="Trường THPT Nguyễn Du" (ADMIN=admin PORT=5000)')
    username = login_name(username)
    school = School(name=school_name)
    db.session.add(school)
    db.session.flush()
    password, _temporary = _add_admin(school, username, "Quản trị viên", None)
    db.session.commit()
    click.echo(f"""
{school.name} is ready, with no data yet.

  1. Open {url}/login
  2. Log in as {username!r} with the temporary password {password}
     (you choose your own right after).
  3. On the home page, "Các bước thiết lập" lists what is missing, in order, each with a link:
     the school's details printed on documents, the school year, staff (import the staff list from
     CSDL ngành / vnEdu / SMAS: Thiết lập → Nhập từ Excel), departments and heads, classes and homeroom
     teachers, students (the class lists).
""")


def _school_for_admin(name: str | None, new_school: bool) -> School:
    """The school a new admin belongs to: named and existing, or created on an empty database or
    with --new-school. Never another school than the one named."""
    schools = db.session.scalars(select(School).order_by(School.id)).all()
    if new_school and not name:
        raise click.ClickException("--new-school needs --school NAME (the new school's name).")
    named = next((s for s in schools if s.name == name), None) if name else None
    if new_school and named is not None:
        raise click.ClickException(f"School {name!r} already exists; drop --new-school to add an admin to it.")
    if named is not None:
        return named
    if not schools or new_school:
        school = School(name=name or "Trường của tôi")
        db.session.add(school)
        db.session.flush()
        return school
    known = "\n".join(f"  {s.name}" for s in schools)
    if name is None and len(schools) == 1:
        return schools[0]
    if name is None:
        raise click.ClickException(f"There are {len(schools)} schools; name one with --school:\n{known}")
    raise click.ClickException(f"No school is named {name!r}. Known schools:\n{known}\n"
                               "Check the name, or add --new-school to create this school.")


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
        problem = _sqlite_check(dst)
    finally:
        dst.close()
        src.close()
    if problem:
        raise click.ClickException(f"The copy failed its checks: {problem}")
    click.echo(f"Backup written to {target} (integrity and foreign-key checks: ok).")


def _sqlite_check(conn: sqlite3.Connection) -> str | None:
    """What is wrong with this SQLite database (integrity, foreign keys), or None."""
    check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if check != "ok":
        return f"integrity check: {check}"
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        return f"{len(broken)} rows point to missing rows (foreign keys) in {', '.join(tables)}"
    return None


@click.command("restore")
@click.argument("backup_file", metavar="BACKUP", type=click.Path(exists=True, dir_okay=False))
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False),
              help="The new database file to write (must not exist yet)")
def restore(backup_file: str, target: str):
    """Restore a `flask backup` copy of the SQLite database into a new file.

    The backup is checked first (integrity, foreign keys). Then stop the app, point DATABASE_URL at
    the new file (or move it to the old file's place) and start the app again; run `flask db upgrade`
    if the backup is older than the code. For PostgreSQL use pg_restore (see the README).
    """
    dest = Path(target)
    if dest.exists():
        raise click.ClickException(f"{dest} exists; restore into a new file, then switch the app to it.")
    src = sqlite3.connect(f"file:{Path(backup_file).resolve()}?mode=ro", uri=True)
    try:
        try:
            problem = _sqlite_check(src)
        except sqlite3.DatabaseError as err:
            raise click.ClickException(f"{backup_file} is not a SQLite database: {err}") from None
        if problem:
            raise click.ClickException(f"The backup failed its checks, nothing restored: {problem}")
        dst = sqlite3.connect(dest)
        try:
            with dst:
                src.backup(dst)
            problem = _sqlite_check(dst)
            tables = [r[0] for r in dst.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            rows = {t: dst.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
            revision = (dst.execute("SELECT version_num FROM alembic_version").fetchone()
                        if "alembic_version" in tables else None)
        finally:
            dst.close()
    finally:
        src.close()
    if problem:
        dest.unlink()
        raise click.ClickException(f"The restored copy failed its checks and was removed: {problem}")
    click.echo(f"Restored {backup_file} into {dest}: {len(tables)} tables, {sum(rows.values())} rows "
               f"(integrity and foreign-key checks: ok), migration {revision[0] if revision else 'unknown'}.")
    click.echo(f"Next: stop the app, set DATABASE_URL=sqlite:///{dest.resolve()} (or move the file into place), "
               "run `flask db upgrade`, start the app.")
