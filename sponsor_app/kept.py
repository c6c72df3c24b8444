"""Results computed from a school's data, kept in the database while that data is unchanged.

A draft semester report is computed from the raw data: about twenty statements of figures and the
student table, and the emulation engine over the semester for the proposed commendations. Its page,
print view, workbook and the district's summary of every school all need the same document, and the
data under it changes far less often than it is read. `kept(school, kind, params, compute)` returns
the result `compute()` gives, from the table `kept_results` when it was computed at the school's
current data version (schools.data_version, renewed by every transaction that writes the school's
data, see pagecache.py) with the same `params` (what it depends on besides the data: the data date,
today), else computes it and keeps it, in the caller's transaction (the request commits it).

It is safe because:
- the version is read before the data: a result computed while another transaction commits is kept
  under the older version, which that commit has already replaced, so nobody reads it as current;
- a transaction that has written anything the version covers computes afresh and keeps nothing:
  its own changes are not yet in a version;
- it is a copy in the database, shared by every worker and process: app workers stay stateless,
  and deleting the table's rows loses nothing;
- writing it does not renew the version (`pagecache.UNSHOWN_TABLES`), and it is one row per school
  and kind, replaced in place (INSERT … ON CONFLICT), so the table does not grow with time.

KEPT_RESULTS = False (config) computes every time (the benchmark's "computed" figures).
Nothing here commits.
"""

import json
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import KeptResult, School
from .pagecache import wrote_in_transaction
from .timeutil import utcnow


def _insert(bind):
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert


def _params(params: dict) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)


def kept(school: School, kind: str, params: dict, compute: Callable[[], dict]) -> dict:
    """`compute()`, or the result kept for (`school`, `kind`) at the school's data version with these
    `params` (JSON-ready values; the result must be JSON-ready too)."""
    return kept_many([(school, kind, params)], lambda missing: {0: compute()})[0]


def kept_many(entries: list[tuple[School, str, dict]], compute: Callable[[list[int]], dict[int, dict]]) -> list[dict]:
    """`kept` for several (school, kind, params) at once: one statement reads those kept, `compute`
    gets the indexes of the others (computing them together) and returns index → result, one
    statement keeps them. The results in the order of `entries`."""
    if not entries:
        return []
    if not current_app.config.get("KEPT_RESULTS", True) or wrote_in_transaction(db.session):
        computed = compute(list(range(len(entries))))
        return [computed[i] for i in range(len(entries))]
    # The versions are read (with the schools) before the data the results are computed from.
    keys = [(school.id, kind, school.data_version, _params(params)) for school, kind, params in entries]
    columns = (KeptResult.school_id, KeptResult.kind, KeptResult.data_version, KeptResult.params)
    found = {tuple(row[:4]): row[4] for row in db.session.execute(
        select(*columns, KeptResult.payload).where(tuple_(*columns).in_(keys)))}
    missing = [i for i, key in enumerate(keys) if key not in found]
    computed = compute(missing) if missing else {}
    if missing:
        now = utcnow()
        rows = {keys[i][:2]: {"school_id": keys[i][0], "kind": keys[i][1], "data_version": keys[i][2],
                              "params": keys[i][3], "payload": computed[i], "computed_at": now} for i in missing}
        insert = _insert(db.session.get_bind())(KeptResult).values(list(rows.values()))
        db.session.execute(insert.on_conflict_do_update(
            index_elements=["school_id", "kind"],
            set_={name: insert.excluded[name] for name in ("params", "data_version", "payload", "computed_at")}))
    return [computed[i] if i in computed else found[key] for i, key in enumerate(keys)]
