"""Migrations build the same schema as the models, on SQLite and on PostgreSQL."""

import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def _flask(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {"FLASK_APP": "wsgi", "SPONSOR_ENV": "development", "DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _check_upgrade_and_drift(url: str) -> None:
    up = _flask(url, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    check = _flask(url, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    down = _flask(url, "db", "downgrade", "base")
    assert down.returncode == 0, down.stderr


def test_migrations_match_models(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        _check_upgrade_and_drift(f"sqlite:///{tmp_path / 'migrated.sqlite'}")
        return
    # PostgreSQL: a throwaway database next to the test database
    base = make_url(db_url)
    name = f"sponsor_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        _check_upgrade_and_drift(base.set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
