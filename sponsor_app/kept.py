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
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import KeptResult, School
from .pagecache import wrote_in_transaction
from .timeutil import utcnow


def _insert(bind):
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert


def kept(school: School, kind: str, params: dict, compute: Callable[[], dict]) -> dict:
    """`compute()`, or the result kept for (`school`, `kind`) at the school's data version with these
    `params` (JSON-ready values; the result must be JSON-ready too)."""
    if not current_app.config.get("KEPT_RESULTS", True) or wrote_in_transaction(db.session):
        return compute()
    version = school.data_version  # read before the data the result is computed from
    key = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    found = db.session.execute(select(KeptResult.payload).where(
        KeptResult.school_id == school.id, KeptResult.kind == kind, KeptResult.data_version == version,
        KeptResult.params == key)).scalar_one_or_none()
    if found is not None:
        return found
    result = compute()
    values = {"school_id": school.id, "kind": kind, "params": key, "data_version": version, "payload": result,
              "computed_at": utcnow()}
    insert = _insert(db.session.get_bind())(KeptResult).values(**values)
    db.session.execute(insert.on_conflict_do_update(
        index_elements=["school_id", "kind"],
        set_={name: insert.excluded[name] for name in ("params", "data_version", "payload", "computed_at")}))
    return result
