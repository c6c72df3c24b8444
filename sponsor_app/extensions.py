"""Flask extensions, created unbound here and bound in create_app()."""

import sqlite3

from flask import has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_conn, _record):
    """Make SQLite safe for concurrent writers (measured: default settings lose updates).

    pysqlite's own transaction handling is switched off and we issue BEGIN IMMEDIATE
    ourselves, so a read-modify-write transaction holds the write lock from its start.
    """
    if not isinstance(dbapi_conn, sqlite3.Connection):
        return
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


def _reading_request() -> bool:
    """A GET or HEAD request: it reads, and writes at most its audit rows (and idempotent defaults)."""
    return has_request_context() and request.method in ("GET", "HEAD")


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    """Write transactions hold SQLite's write lock from their first statement (BEGIN IMMEDIATE), so a
    read-modify-write never loses an update. A page view (GET) starts a plain deferred transaction
    instead: readers never wait for each other or for a writer (WAL), so the pages of a school stay
    fast while its staff save notes; its first write takes the lock (see _sqlite_before_write)."""
    if conn.dialect.name == "sqlite":
        reading = _reading_request()
        conn.info["sqlite_reading"] = reading
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_before_write(conn, cursor, statement, _parameters, _context, _executemany):
    """The first write of a page view (its audit row): end the read snapshot and take the write lock
    (BEGIN IMMEDIATE, waiting up to busy_timeout like any writer). Upgrading the snapshot itself would
    fail at once with "database is locked" whenever anyone wrote since the page began reading. What a
    page view writes does not depend on what it read (audit rows; defaults guarded by unique keys)."""
    if conn.info.get("sqlite_reading") and statement.lstrip()[:9].upper().startswith(WRITE_STATEMENTS):
        conn.info["sqlite_reading"] = False
        dbapi = cursor.connection
        dbapi.execute("COMMIT")
        dbapi.execute("BEGIN IMMEDIATE")
