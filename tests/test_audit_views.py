"""Every view of a record or list that names students is audited by one mechanism (issue 19, item 6).

sponsor_app/auditviews.py classifies every endpoint answering GET: a page naming students (VIEWS,
its row written by the one hook audit.record_page_view), an export (EXPORTS, its row written by the
export itself) or a page naming no student (NAMES_NO_STUDENT, with the reason). These tests read
app.url_map and the permission matrix (tests/test_permissions.py), so a route added later is covered:
- an endpoint answering GET that is not classified fails `test_every_get_endpoint_is_classified`;
- every page of VIEWS and EXPORTS is opened by every role the matrix lets open it, twice (the second
  time from the page store when the page is kept there) and once with HEAD: exactly one row of the
  declared action each time, naming the user; a refused request (302, 403, 404) writes none;
- the classification is honest: a page declared as naming no student shows no student of the world,
  and a form shown again after a POST that names a student is a declared view, with its one row.
"""

import pytest
import sqlalchemy as sa

from sponsor_app import auditviews
from sponsor_app.extensions import db as _db
from sponsor_app.labels import AUDIT_ACTION_LABELS
from sponsor_app.models import AuditLog, Student, User
from tests.figures import record
from tests.security_world import plant_records
from tests.test_permissions import MATRIX, ROLES

pytestmark = pytest.mark.reliability

# The sensitive views an outside probe found writing no audit row (issue 19), with their actions.
PROBED = {"progress.plan": "plan_viewed", "screening.at_risk_list": "at_risk_list_viewed",
          "attention.index": "attention_list_viewed", "progress.note_queue": "note_queue_viewed",
          "departments.report": "department_report_viewed",
          "departments.dashboard": "department_dashboard_viewed"}
# A declared endpoint's response that shows no record: the empty form of a new student.
SHOWS_NO_RECORD = {"/admin/students/new"}
DECLARED = (auditviews.VIEWS, auditviews.EXPORTS, auditviews.NAMES_NO_STUDENT)


def _get_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}


def _last_id() -> int:
    _db.session.commit()
    return _db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditLog.id), 0)))


def _new_rows(since: int) -> list[AuditLog]:
    _db.session.expire_all()
    return list(_db.session.scalars(sa.select(AuditLog).where(AuditLog.id > since).order_by(AuditLog.id)))


def _user_ids() -> dict[str, int]:
    return {role: _db.session.scalar(sa.select(User.id).where(User.username == role))
            for role in ROLES if role != "anon"}


def _student_names() -> list[str]:
    return [student.full_name for student in _db.session.scalars(sa.select(Student))]


def test_every_get_endpoint_is_classified(app):
    gets = _get_endpoints(app)
    unclassified = sorted(e for e in gets if not any(e in d for d in DECLARED))
    twice = sorted(e for e in gets if sum(e in d for d in DECLARED) > 1)
    stale = sorted(e for d in DECLARED for e in d if e not in app.view_functions)
    not_pages = sorted(e for e in auditviews.NAMES_NO_STUDENT.keys() | auditviews.EXPORTS.keys() if e not in gets)
    assert not unclassified, ("endpoints answering GET in none of VIEWS, EXPORTS, NAMES_NO_STUDENT "
                              f"(sponsor_app/auditviews.py): {unclassified}")
    assert not twice, f"classified twice: {twice}"
    assert not stale, f"declared but not an endpoint: {stale}"
    assert not not_pages, f"exports and pages naming no student answer GET: {not_pages}"
    assert all(reason.strip() for reason in auditviews.NAMES_NO_STUDENT.values())
    actions = set(auditviews.VIEWS.values()) | set(auditviews.EXPORTS.values())
    assert not actions - AUDIT_ACTION_LABELS.keys(), "actions without a label for the audit log page"
    assert PROBED.items() <= auditviews.VIEWS.items()


def test_every_audited_page_writes_exactly_one_row_of_its_action(app, mentoring, client_for, db_url):
    world = mentoring
    plant_records(world)  # a record of every kind: the queues and reports have something to show
    _db.session.commit()
    users, clients = _user_ids(), {}
    pages = app.extensions["pagecache"]
    hits_before = pages.hits
    opened, failures = set(), []
    counts = {"views": 0, "heads": 0, "exports": 0, "refused": 0, "exempt": 0}
    for endpoint, method, url, expected, _data in MATRIX:
        if method != "GET":
            continue
        action = auditviews.VIEWS.get(endpoint) or auditviews.EXPORTS.get(endpoint)
        target = url(world)
        for role in ROLES:
            if role == "anon":
                client = app.test_client()
            else:
                client = clients.get(role) or clients.setdefault(role, client_for(role))
            wanted = 0 if target in SHOWS_NO_RECORD or expected[role] != 200 else 1
            if action is None:
                wanted = 0  # a page naming no student writes no row
            repeats = [("GET", 1), ("GET", 2), ("HEAD", 1)] if endpoint in auditviews.VIEWS else [("GET", 1)]
            for verb, attempt in repeats:
                since = _last_id()
                response = client.open(target, method=verb)
                rows = _new_rows(since)
                where = f"{role} {verb} {target} ({endpoint}, view {attempt})"
                if response.status_code != expected[role]:
                    failures.append(f"{where}: status {response.status_code}, the matrix says {expected[role]}")
                    continue
                ok = len(rows) == wanted and all(
                    r.action == action and r.user_id == users[role] and r.ip and r.at for r in rows)
                if ok and rows and verb == "HEAD":
                    ok = rows[0].details and rows[0].details.get("method") == "HEAD"
                if not ok:
                    failures.append(f"{where}: {len(rows)} audit rows {[(r.action, r.user_id) for r in rows]}, "
                                    f"expected {wanted} of {action}")
                if action is None:
                    counts["exempt"] += expected[role] == 200
                elif expected[role] != 200:
                    counts["refused"] += 1
                elif wanted:
                    opened.add(endpoint)
                    kind = "heads" if verb == "HEAD" else "views" if endpoint in auditviews.VIEWS else "exports"
                    counts[kind] += 1
    audited_gets = (auditviews.VIEWS.keys() | auditviews.EXPORTS.keys()) & _get_endpoints(app)
    served = pages.hits - hits_before
    record(db_url, "audit_declared_views",
           f"Audited views: {len(auditviews.VIEWS)} view endpoints and {len(auditviews.EXPORTS)} exports declared, "
           f"{len(auditviews.NAMES_NO_STUDENT)} GET endpoints naming no student; {counts['views']} page views "
           f"({served} from the page store), {counts['heads']} HEAD and {counts['exports']} exports over "
           f"{len(opened)} endpoints, {sum(counts.values()) - counts['refused'] - counts['exempt'] - len(failures)} "
           f"with exactly one row of the declared action; {counts['refused']} refused requests wrote none",
           **counts, served_from_store=served, endpoints=sorted(opened), failures=failures)
    assert not failures, "\n".join(failures)
    assert not audited_gets - opened, f"audited pages no role opened: {sorted(audited_gets - opened)}"
    assert served > 0  # the store did serve repeat views, and each one wrote its row


def test_the_classification_is_honest_and_forms_shown_again_are_views(app, mentoring, client_for):
    """A page declared as naming no student shows no student of the world (every role allowed); a POST
    answered with a page (a refused form, a conflict) that names a student is a declared view, with
    exactly one row of its action."""
    world = mentoring
    plant_records(world)
    _db.session.commit()
    names, users, clients = _student_names(), _user_ids(), {}
    failures, shown_again = [], set()
    for endpoint, method, url, expected, data in MATRIX:
        if endpoint in {"auth.logout", "auth.login"}:
            continue
        target = url(world)
        for role in ROLES:
            if role == "anon" or expected[role] in (403, 404, 302):
                continue
            client = clients.get(role) or clients.setdefault(role, client_for(role))
            if method == "GET" and endpoint not in auditviews.NAMES_NO_STUDENT:
                continue
            since = _last_id()
            response = client.open(target, method=method, data=data(world) if data else None)
            rows = _new_rows(since)
            page = response.get_data(as_text=True) if "html" in (response.content_type or "") else ""
            named = [n for n in names if n in page]
            if method == "GET":
                if named:
                    failures.append(f"{role} GET {target}: declared as naming no student, shows {named}")
                continue
            if response.status_code not in (200, 409):
                continue
            action = auditviews.VIEWS.get(endpoint)
            if named and action is None:
                failures.append(f"{role} {method} {target} ({endpoint}): a page naming {named}, not a declared view")
            elif action is not None and target not in SHOWS_NO_RECORD:
                shown_again.add(endpoint)
                if [(r.action, r.user_id) for r in rows] != [(action, users[role])]:
                    failures.append(f"{role} {method} {target}: {[r.action for r in rows]}, expected one {action}")
    assert not failures, "\n".join(failures)
    assert len(shown_again) >= 10  # the check was not vacuous


def test_a_view_whose_row_cannot_be_written_is_not_shown(app, mentoring, client_for, monkeypatch):
    """The row is committed before the page leaves: when it cannot be written the user gets the error
    page, not the plan."""
    world = mentoring
    client = client_for("leader")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def unavailable(*_args, **_kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr("sponsor_app.audit.record", unavailable)
    since = _last_id()
    response = client.get(f"/progress/plans/{world.plan.id}")
    assert response.status_code == 500
    assert world.mentee.full_name not in response.get_data(as_text=True)
    assert _new_rows(since) == []
