"""Write audit-log entries in the current transaction (the request commits them with the change), and
the one hook that records the view of every page that names students (declared in auditviews.py)."""

from flask import Flask, g, has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditLog


def record(action: str, obj=None, *, user=None, school_id: int | None = None, **details) -> AuditLog:
    """Add an audit entry for `action` on `obj` by `user` (default: the logged-in user)."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    if school_id is None:
        school_id = getattr(obj, "school_id", None) or getattr(user, "school_id", None)
    entry = AuditLog(
        school_id=school_id,
        user_id=getattr(user, "id", None),
        action=action,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        ip=request.remote_addr if has_request_context() else None,
        details=details or None,
    )
    db.session.add(entry)
    return entry


def record_view(action: str, obj=None, **details) -> AuditLog:
    """Record the view of a sensitive page once it is rendered, and commit: the view is on record
    before the page leaves. Called last, after the page is built, so nothing loaded for it expires
    and (on SQLite) the write lock is held for this one insert only."""
    entry = record(action, obj, **details)
    db.session.commit()
    return entry


# --- page views: declared per endpoint (auditviews.VIEWS), written here once the page is built ----

SHOWN = frozenset({200, 409})  # the page was shown (409: a conflict shows the record again, with the input)
_SUBJECT = "audit_view_subject"  # g: what the page shows, as its route named it
_NOTHING = object()  # shows_no_record()


def viewed(obj=None, **details) -> None:
    """Name what this page shows (`obj`, its details) for the audit row of its view. The row itself is
    written by `record_page_view` once the page is built, for every view of an endpoint declared in
    auditviews.VIEWS, named or not, from the page store or not; never for a refused or failed request."""
    setattr(g, _SUBJECT, (obj, details))


def shows_no_record() -> None:
    """This response of a declared endpoint shows no record (the empty form of a new student): no row."""
    setattr(g, _SUBJECT, _NOTHING)


def record_page_view(response):
    """After a request: one audit row for a page of auditviews.VIEWS that was shown, committed before the
    page leaves (an error here is the 500 page instead). A page whose route named nothing is recorded
    with its URL, as is one with a query string. A form shown again after a POST first drops what the
    refused request left in the session (the request's teardown would have dropped it anyway)."""
    from .auditviews import VIEWS

    action = VIEWS.get(request.endpoint)
    if action is None or response.status_code not in SHOWN:
        return response
    subject = g.pop(_SUBJECT, None)
    if subject is _NOTHING:
        return response
    obj, details = subject or (None, {})
    if subject is None or request.query_string:  # what the object alone does not say: filters, month, page
        details = {**details, "url": request.full_path.rstrip("?")[:500]}
    if request.method == "HEAD":
        details = {**details, "method": "HEAD"}
    try:
        if request.method not in ("GET", "HEAD"):
            db.session.rollback()  # nothing a refused form left half-done is committed with the row
        record(action, obj, **details)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return response


def init_app(app: Flask) -> None:
    app.after_request(record_page_view)
