"""Authentication: the session-token user loader, password checks and changes."""

import secrets
from functools import cache

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash

from .. import audit
from ..extensions import db
from ..identity import login_name
from ..models import User
from ..pagecache import UNSHOWN
from ..timeutil import utcnow
from . import throttle

MIN_PASSWORD_LENGTH = 8
# A short list of passwords nobody should use (ASVS 6.2.4 asks for a check like this).
COMMON_PASSWORDS = frozenset({
    "12345678", "123456789", "1234567890", "password", "password1", "matkhau", "matkhau123",
    "11111111", "00000000", "88888888", "abc12345", "qwerty123", "iloveyou", "admin123",
    "giaovien", "giaovien1", "truonghoc", "hocsinh1", "vietnam1", "123123123", "abcd1234",
})


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the cookie holds "<id>:<session token>"; a stale token is refused."""
    uid, _, token = user_id.partition(":")
    if not uid.isdigit() or not token:
        return None
    # One statement per request for the user, their roles and school (the school's focal point and
    # name are read on most pages), not a query each.
    user = db.session.get(User, int(uid), options=[joinedload(User.role_rows), joinedload(User.school)])
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def record_login(user: User) -> None:
    """Stamp the login time outside the account's optimistic lock (its version): a teacher logging in
    on the phone and on the PC at the same moment makes two logins, not an edit conflict (on
    PostgreSQL the second one was a server error)."""
    now = utcnow()
    users = User.__table__
    # No page shows it: the school's pages kept in memory stay valid (pagecache.UNSHOWN).
    db.session.execute(update(users).where(users.c.id == user.id).values(last_login_at=now)
                       .execution_options(**UNSHOWN))
    set_committed_value(user, "last_login_at", now)


def find_login(identity: str) -> User | None:
    """The account with this login identity (usernames are unique across the deployment). The caller
    normalised what was typed with `identity.login_name` (the login form does); applying it again
    changes nothing, so a caller that forgot still finds the same account."""
    return db.session.scalar(select(User).where(User.username == login_name(identity)))


@cache
def _unknown_account_hash() -> str:
    """A password hash for no account, made once per process the way an account's is (User.set_password),
    so of the same algorithm and cost."""
    probe = User()
    probe.set_password(secrets.token_urlsafe(24))
    return probe.password_hash


def authenticate(identity: str, password: str) -> User | None:
    """The user for these credentials, or None (same answer for unknown user and bad password).

    The same work either way: exactly one password-hash check, against a dummy hash when no account
    has this name or it has no password, so the answer's timing does not tell which usernames exist
    (a known username answered about 13 times slower than an unknown one before). A deactivated
    account's password is checked too, for the same reason.
    """
    user = find_login(identity)
    if user is None or not user.password_hash:
        check_password_hash(_unknown_account_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def unlock_login(user: User) -> None:
    """An admin lets the account try again now: its failed-login counters start over (every address
    and device). Recorded in the audit log."""
    throttle.unlock(login_name(user.username))
    audit.record("login_unlocked", user)


def password_problem(password: str, user: User | None = None) -> str | None:
    """Why a new password is not acceptable, or None."""
    from flask_babel import gettext as _

    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH)
    if len(password) > 128:
        return _("Mật khẩu dài quá 128 ký tự.")
    if password.lower() in COMMON_PASSWORDS or (user and password.lower() == user.username.lower()):
        return _("Mật khẩu này quá dễ đoán, hãy chọn mật khẩu khác.")
    return None


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end every other session of the user."""
    user.set_password(new_password)
    user.must_change_password = False
    user.end_sessions()
