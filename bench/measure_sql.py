"""SQL statements per key page, counted in-process (run in a fresh process by bench/run.py):

    python -m bench.measure_sql PICKS.json --password P

The app in production configuration on DATABASE_URL, the Flask test client logged in through the
real login form (CSRF token included) as each page's role, and a `before_cursor_execute` listener
on the engine counting the statements of the page request only. Each page is requested once to
warm up (first-request work such as a year's default rubric); the page store is then cleared and
the second request counted: the page built (`statements`, what the ≤ 12 target is judged on), with
the request's time, the time spent in SQL and the slowest statements (where a page's cost grows
with the data). A third request is the repeat view served from the store (`cached_statements`,
`cached_request_ms`; `cached_hit` says whether the store did answer it).
"""

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event

from .common import emit, make_app
from .dataset import database_url
from .load import LOGIN_MARKER, find_form

SHAPE_WIDTH = 90


def _login(client, username: str, password: str) -> None:
    page = client.get("/login")
    form = find_form(page.get_data(as_text=True), "/login")
    if form is None:
        raise SystemExit(f"GET /login answered {page.status_code} without the login form")
    done = client.post("/login", data=dict(form.values(username=username, password=password)))
    if done.status_code != 302 or "/login" in done.headers.get("Location", ""):
        raise SystemExit(f"login of {username} answered {done.status_code}")


def _shape(statement: str) -> str:
    """A statement without its literals, shortened: repeated shapes point at lazy loads in a loop."""
    text = re.sub(r"\s+", " ", statement).strip()
    text = re.sub(r"\b\d+\b", "N", text)
    return text[:SHAPE_WIDTH]


def count_pages(pages: list[dict], password: str) -> dict:
    from sponsor_app.extensions import db

    app = make_app(database_url())
    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    durations: list[tuple[float, str]] = []
    started: list[float] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
        started.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def clock(conn, cursor, statement, parameters, context, executemany):
        if started:
            durations.append((time.perf_counter() - started.pop(), statement))

    pagestore = app.extensions.get("pagecache")
    clients = {}
    results = {}
    for page in pages:
        client = clients.get(page["username"])
        if client is None:
            client = clients[page["username"]] = app.test_client()
            _login(client, page["username"], password)
        seen.clear()
        first = client.get(page["path"])
        warm = len(seen)
        if pagestore is not None:
            pagestore.clear()  # the counted request builds its page
        seen.clear()
        durations.clear()
        start = time.perf_counter()
        response = client.get(page["path"])
        elapsed = time.perf_counter() - start
        statements, timed = list(seen), sorted(durations, reverse=True)
        seen.clear()
        hits = pagestore.hits if pagestore is not None else 0
        start = time.perf_counter()
        repeat = client.get(page["path"])  # the repeat view: from the store while the data is unchanged
        cached_elapsed = time.perf_counter() - start
        cached_statements = len(seen)
        seen.clear()
        durations.clear()
        ok = response.status_code == 200 and LOGIN_MARKER not in response.get_data()
        cached_ok = repeat.status_code == 200 and LOGIN_MARKER not in repeat.get_data()
        repeated = Counter(_shape(s) for s in statements).most_common(3)
        results[page["name"]] = {
            "path": page["path"], "statements": len(statements), "first_request": warm, "status": response.status_code,
            "first_status": first.status_code, "ok": ok,
            "repeated": [{"count": n, "sql": sql} for sql, n in repeated if n > 1],
            "request_ms": round(elapsed * 1000, 1), "sql_ms": round(sum(d for d, _ in timed) * 1000, 1),
            "slowest": [{"ms": round(d * 1000, 1), "sql": _shape(sql)} for d, sql in timed[:2]],
            "cached_statements": cached_statements, "cached_request_ms": round(cached_elapsed * 1000, 1),
            "cached_status": repeat.status_code, "cached_ok": cached_ok,
            "cached_hit": pagestore is not None and pagestore.hits > hits,
        }
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure_sql", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("picks", type=Path, help="the JSON of `python -m bench.dataset picks`")
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    emit(count_pages(json.loads(args.picks.read_text())["pages"], args.password))


if __name__ == "__main__":
    sys.exit(main())
