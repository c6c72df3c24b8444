"""Migrations build the same schema as the models, on SQLite and on PostgreSQL, and go down to an
empty database and up again: upgrade → `flask db check` → downgrade base → upgrade → check."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parent.parent


def _flask(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {"FLASK_APP": "wsgi", "SPONSOR_ENV": "development", "DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _check(url: str) -> None:
    check = _flask(url, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _check_upgrade_and_drift(url: str, db_url: str) -> None:
    from sponsor_app.extensions import db
    from tests.figures import record

    up = _flask(url, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    _check(url)
    model_tables = {t.name for t in db.metadata.sorted_tables}
    assert _tables(url) == model_tables
    down = _flask(url, "db", "downgrade", "base")
    assert down.returncode == 0, down.stderr
    assert _tables(url) == set()  # every migration's downgrade undoes it
    again = _flask(url, "db", "upgrade")
    assert again.returncode == 0, again.stderr
    _check(url)
    assert _tables(url) == model_tables
    revisions = len(list((ROOT / "migrations" / "versions").glob("*.py")))
    record(db_url, "migrations",
           f"Migrations ({make_url(url).get_backend_name()}): {revisions} revisions, upgrade → db check clean → "
           f"downgrade base (0 tables left) → upgrade → db check clean; {len(model_tables)} tables",
           revisions=revisions, tables=len(model_tables))


def test_migrations_match_models(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        _check_upgrade_and_drift(f"sqlite:///{tmp_path / 'migrated.sqlite'}", db_url)
        return
    # PostgreSQL: a throwaway database next to the test database
    base = make_url(db_url)
    name = f"sponsor_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        _check_upgrade_and_drift(base.set(database=name).render_as_string(hide_password=False), db_url)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
