"""Session lifetimes (ASVS 7.3.1 / 7.3.2): an idle timeout and an absolute lifetime.

The session cookie carries when the login happened and when the user was last seen; every
request checks both against SESSION_IDLE_TIMEOUT and PERMANENT_SESSION_LIFETIME and ends an
expired session (the user logs in again; their form input is lost, so the idle timeout is
generous). "Last seen" is rewritten at most once a minute, so the cookie does not change on
every request. A "remember me" cookie (opt-in, REMEMBER_COOKIE_DURATION) starts a new session
after an expired one, until it expires itself or the user logs out or changes the password.
"""

import time

from flask import flash, g, request, session
from flask_babel import gettext as _
from flask_login import user_loaded_from_cookie, user_logged_in

STARTED = "_auth_started"
SEEN = "_auth_seen"
TOUCH_EVERY = 60  # seconds between rewrites of "last seen"
KEPT_ON_EXPIRY = ("lang",)


def clock() -> float:
    """Seconds since the epoch (tests replace this to move time forward)."""
    return time.time()


def _stamp(*_args, **_kwargs) -> None:
    now = clock()
    session[STARTED] = now
    session[SEEN] = now


def expired(now: float, config) -> bool:
    started, seen = session.get(STARTED), session.get(SEEN)
    return (now - seen > config["SESSION_IDLE_TIMEOUT"].total_seconds()
            or now - started > config["PERMANENT_SESSION_LIFETIME"].total_seconds())


def init_app(app) -> None:
    user_logged_in.connect(_stamp, app)
    user_loaded_from_cookie.connect(_stamp, app)

    @app.before_request
    def enforce_session_lifetime():
        if "_user_id" not in session:
            return
        now = clock()
        if not isinstance(session.get(STARTED), int | float) or not isinstance(session.get(SEEN), int | float):
            _stamp()  # a login from before these stamps existed (signed by us): its lifetime starts now
        elif expired(now, app.config):
            kept = {k: session[k] for k in KEPT_ON_EXPIRY if k in session}
            session.clear()
            session.update(kept)
            g.pop("_login_user", None)
            if not request.cookies.get(app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
                flash(_("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại."), "info")
        elif now - session[SEEN] >= TOUCH_EVERY:
            session[SEEN] = now
