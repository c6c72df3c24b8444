"""Write audit-log entries in the current transaction (the request commits them with the change)."""

from flask import has_request_context, request
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
