"""Repeat views of the heaviest pages, served from memory while their school's data is unchanged.

A dashboard or list costs tens of milliseconds to build (queries, then Jinja rendering hundreds of
rows and translated strings) and is read far more often than the data under it changes: the
leadership reopens the school dashboard, a department head goes back and forth between the
department dashboard and a student. `cached_page()` keeps the finished HTML of such a page per
user, URL, language, day and chosen year, and per *data version* of the user's school.

The data version (schools.data_version) is what makes it safe:
- every transaction that writes anything but audit rows gives its school a new version in the same
  transaction, just before COMMIT (`_bump_on_commit`), so a page never outlives the data it shows:
  the next request reads the new version with the user (one statement, joined) and misses;
- the new version is a random 62-bit number, not the old one plus one: a database restored from a
  backup can never bring back a version a worker holds pages for;
- a transaction outside a request (command line, import, seed) renews every school's version;
- a writer in one school leaves the pages of the other schools of a district cached;
- a write no page shows opts out with `execution_options(**UNSHOWN)` (a login's time stamp).

What varies per request is not cached: the CSRF token is stored as a placeholder and replaced by
the request's own; a page with a pending flash message is rendered afresh. What changes with the
clock rather than the data (an escalation's "2,5 working hours left") is kept PAGE_CACHE_SECONDS
(60 s) at most: no staler than a page left open in the browser for a minute.

Entries are per user, so one person never sees a page built for another (permissions, names,
language). The route's permission decorator and the audit of a sensitive view run on every request;
finer checks inside `render` (a department's 404) hold for the stored copy, because a change of
roles, assignments or departments is a change of the school's data. The store is a bounded LRU in
each worker process, so app workers stay stateless: the version comes from the database, and a
worker that has not seen a page simply builds it.
"""

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .context import ui_locale
from .models import School
from .timeutil import local_today

CHANGED = "pagecache_changed"  # connection.info: this transaction wrote data that pages show
CONNECTION = "pagecache_connection"  # session.info: the connection of the session's transaction
# Writes that no cached page shows: the audit trail of views (written by page views themselves) and
# the results kept at a data version (kept.py), which are copies of what the data already says.
UNSHOWN_TABLES = frozenset({"audit_log", "kept_results"})
_WRITE = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+\"?(\w+)", re.I)


class PageStore:
    """A thread-safe LRU of rendered pages, bounded by the total size of the stored text; a page is
    kept `seconds` at most."""

    def __init__(self, max_chars: int, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.max_chars, self.seconds, self.clock = max_chars, seconds, clock
        self._items: OrderedDict[tuple, tuple[str, float]] = OrderedDict()  # key → (page, stored at)
        self._chars = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> str | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None and self.clock() - item[1] > self.seconds:
                self._drop(key)
                item = None
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: tuple, value: str) -> None:
        if len(value) > self.max_chars // 4:  # one huge page must not empty the store
            return
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (value, self.clock())
            self._chars += len(value)
            while self._chars > self.max_chars:
                self._drop(next(iter(self._items)))

    def _drop(self, key: tuple) -> None:
        value, _stored_at = self._items.pop(key)
        self._chars -= len(value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._chars = 0

    def __len__(self) -> int:
        return len(self._items)


def init_app(app: Flask) -> None:
    app.extensions["pagecache"] = PageStore(app.config.get("PAGE_CACHE_MAX_CHARS", 0),
                                            app.config.get("PAGE_CACHE_SECONDS", 60))
    # What stands for the CSRF token in a stored page: random per process, so no page text matches it.
    app.extensions["pagecache_token"] = f"csrf-{secrets.token_hex(16)}"


def _key() -> tuple | None:
    """What the page depends on besides its school's data; None when it must not be cached."""
    if request.method != "GET" or "_flashes" in session or not current_user.is_authenticated:
        return None
    user = current_user
    return (user.id, user.school_id, user.school.data_version, request.full_path, ui_locale(),
            local_today(), session.get("year_id"))


def cached_page(render: Callable[[], str]) -> str:
    """The page `render()` builds, from the store when this user saw it (same URL with its query,
    language, day and chosen year) since the school's data last changed."""
    pages = current_app.extensions["pagecache"]
    key = _key() if pages.max_chars else None
    if key is None:
        return render()
    placeholder = current_app.extensions["pagecache_token"]
    token = generate_csrf()
    stored = pages.get(key)
    if stored is not None:
        return stored.replace(placeholder, token)
    html = render()
    pages.put(key, html.replace(token, placeholder))
    return html


# --- the data version: bumped in the transaction that changes the data ------------------------------

# The execution option of a write that no page shows (a login's time stamp), so it leaves pages cached:
# `stmt.execution_options(**UNSHOWN)`.
UNSHOWN = {"pagecache_unshown": True}


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn, _cursor, statement, _parameters, context, _executemany):
    if CHANGED in conn.info or (context is not None and context.execution_options.get("pagecache_unshown")):
        return
    match = _WRITE.match(statement)
    if match and match.group(1).lower() not in UNSHOWN_TABLES:
        conn.info[CHANGED] = True


@event.listens_for(Engine, "begin")
@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget(conn):
    conn.info.pop(CHANGED, None)


def _changed_school() -> int | None:
    """The school whose data a request changes: its user's (users act in their own school only, the
    permission layer sees to it). None outside a request, or without a user: every school."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.school_id
    return None


@event.listens_for(Session, "after_begin")
def _remember_connection(session: Session, _transaction, connection) -> None:
    session.info[CONNECTION] = connection


@event.listens_for(Session, "after_transaction_end")
def _forget_connection(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(CONNECTION, None)


def wrote_in_transaction(session: Session) -> bool:
    """Has the session's transaction changed data (pending or written) that a new version would cover?"""
    if session.dirty or session.deleted or any(obj.__table__.name not in UNSHOWN_TABLES for obj in session.new):
        return True
    conn = session.info.get(CONNECTION)
    return conn is not None and bool(conn.info.get(CHANGED))


@event.listens_for(Session, "before_commit")
def _bump_on_commit(session: Session) -> None:
    if not session.in_transaction() or session.in_nested_transaction():
        return
    session.flush()  # pending changes are written now, so they count
    conn = session.info.get(CONNECTION)  # None: the transaction never reached the database
    if conn is None or not conn.info.pop(CHANGED, False):
        return
    schools = School.__table__
    # updated_at is kept: the school's own record did not change (its onupdate would stamp it).
    bump = update(schools).values(data_version=secrets.randbits(62), updated_at=schools.c.updated_at)
    school_id = _changed_school()
    if school_id is not None:
        bump = bump.where(schools.c.id == school_id)
    conn.execute(bump)
