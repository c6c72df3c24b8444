"""Failed-login throttling (ASVS 6.3.1): LOGIN_RATE_LIMIT failed attempts per username and address.

An attempt is counted *before* the password is checked, by one atomic increment in the limiter's
storage (Redis when several workers serve), and given back when it was not a wrong password (a
successful login, an incomplete form). So only failures count, and attempts running at the same
time on several workers cannot all pass a check made before any of them was counted — which is
what Flask-Limiter's `deduct_when` does: measured, 6 of 30 concurrent wrong passwords got through
a limit of 5 on 3 gunicorn workers sharing Redis (tests/test_sessions.py).
"""

from flask import current_app, request
from limits import parse

from ..extensions import limiter


def _key() -> tuple[str, ...]:
    username = (request.form.get("username") or "").strip().lower()
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "", "login", request.remote_addr or "", username)


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.initialized


def reserve() -> bool:
    """Count this attempt; False when the limit was already reached (answer 429, check nothing)."""
    if not _enabled():
        return True
    return limiter.limiter.hit(parse(current_app.config["LOGIN_RATE_LIMIT"]), *_key())


def give_back() -> None:
    """This attempt was not a failure: uncount it."""
    if _enabled():
        limiter.limiter.hit(parse(current_app.config["LOGIN_RATE_LIMIT"]), *_key(), cost=-1)
