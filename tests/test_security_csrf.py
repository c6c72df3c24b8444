"""CSRF (ASVS 3.5.1): every state-changing route refuses a request without a valid token.

The routes come from app.url_map (every rule answering POST, PUT, PATCH or DELETE), so a route
added later is covered without touching this file. Each is called, with CSRF protection on as in
production, by a user whose role may use it (the permission matrix of test_permissions.py says
which; a route not in the matrix yet, which that file's own test already fails, is tried as
leadership and as admin) — once without a token and once with a forged one: each answer must be
400 with the "missing protection code" page, and no table may gain, lose or change a row.
"""

import re

import pytest
import sqlalchemy as sa

from sponsor_app.extensions import db as _db
from tests.factories import PASSWORD
from tests.figures import record
from tests.test_permissions import MATRIX

pytestmark = pytest.mark.reliability

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Routes deliberately without CSRF protection (none today). Each entry needs a reason.
EXEMPT: dict[str, str] = {}
REFUSAL = "thiếu mã bảo vệ"
FALLBACK_ROLES = ("leader", "admin")


def state_changing_rules(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            yield rule, method


def _allowed(expected: dict) -> list[str]:
    """Roles for whom the matrix expects the route to work (neither 403 nor 404)."""
    users = [r for r, code in expected.items() if r != "anon" and code not in (403, 404)]
    if expected.get("anon") not in (302, 403, 404):  # a route for visitors (the login form)
        return ["anon", *users]
    return users


def targets(app, world):
    """(method, url, role, data, in_matrix) for every state-changing rule."""
    adapter = app.url_map.bind("localhost")
    rows = {}
    for _endpoint, method, url, expected, data in MATRIX:
        target = url(world)
        rule, _args = adapter.match(target.split("?")[0], method=method, return_rule=True)
        roles = _allowed(expected)
        if roles and (rule.rule, method) not in rows:
            rows[(rule.rule, method)] = (target, roles[0], data(world) if data else {"submitted": "1"})
    for rule, method in state_changing_rules(app):
        if rule.endpoint in EXEMPT:
            continue
        if (rule.rule, method) in rows:
            target, role, data = rows[(rule.rule, method)]
            yield method, target, role, data, True
        else:
            values = {arg: 1 for arg in rule.arguments}
            target = adapter.build(rule.endpoint, values, method=method)
            for role in FALLBACK_ROLES:
                yield method, target, role, {"submitted": "1"}, False


def table_digest(engine) -> dict[str, tuple]:
    """Per table: row count and a digest of every row (changes as well as inserts show)."""
    digest = {}
    with engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            digest[table.name] = (len(rows), hash(tuple(tuple(map(repr, r)) for r in rows)))
    return digest


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _login(guarded, username: str):
    client = guarded.test_client()
    if username == "anon":
        return client
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def test_every_state_changing_route_refuses_a_request_without_a_valid_token(app, guarded, mentoring, db_url):
    world = mentoring
    _db.session.commit()
    clients = {}
    checked, refused, not_in_matrix = 0, 0, []
    failures = []
    for method, url, role, data, in_matrix in targets(guarded, world):
        if not in_matrix:
            not_in_matrix.append(f"{method} {url}")
        client = clients.get(role) or clients.setdefault(role, _login(guarded, role))
        for token in (None, "forged-" + "x" * 80):
            payload = dict(data)
            payload.pop("csrf_token", None)
            if token:
                payload["csrf_token"] = token
            before = table_digest(_db.engine)
            response = client.open(url, method=method, data=payload)
            after = table_digest(_db.engine)
            checked += 1
            body = response.get_data(as_text=True)
            ok = response.status_code in (400, 403) and REFUSAL in body and before == after
            refused += ok
            if not ok:
                changed = sorted(t for t in before if before[t] != after[t])
                failures.append(f"{role} {method} {url} token={'forged' if token else 'none'}: "
                                f"{response.status_code}, tables changed: {changed}")
    # The refusal is CSRF's, not the route's: the same client with a valid token gets through.
    client = clients.setdefault("leader", _login(guarded, "leader"))
    token = _token(client.get("/account/password").get_data(as_text=True))
    assert client.post("/lang/en", data={"csrf_token": token, "next": "/"}).status_code == 302
    routes = len({(m, u) for m, u, *_ in targets(guarded, world)})
    record(db_url, "csrf",
           f"CSRF: {routes} state-changing routes, {checked} requests without a valid token "
           f"(none and forged), {refused} refused with 400 and nothing written; {len(EXEMPT)} exempt",
           routes=routes, requests=checked, refused=refused, exempt=len(EXEMPT), not_in_matrix=not_in_matrix)
    assert not failures, "\n".join(failures)
    assert routes >= 50  # the app has about 60 today: the enumeration did find them


def test_new_routes_are_found_without_a_row_anywhere(app, guarded, mentoring):
    """A state-changing route nobody listed is still checked (as leadership and admin)."""
    guarded.add_url_rule("/x-added-later/<int:thing_id>", "x_added_later",
                         lambda thing_id: ("written", 200), methods=["POST"])
    found = [t for t in targets(guarded, mentoring) if "/x-added-later/" in t[1]]
    assert {(m, role, in_matrix) for m, _u, role, _d, in_matrix in found} == {
        ("POST", "leader", False), ("POST", "admin", False)}
    client = _login(guarded, "leader")
    response = client.post("/x-added-later/1", data={"submitted": "1"})
    assert response.status_code == 400 and REFUSAL in response.get_data(as_text=True)
