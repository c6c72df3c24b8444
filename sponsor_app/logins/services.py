"""First logins for the whole staff (issue 21): one-time codes on printed slips, or invitation e-mails.

A slip's code is 8 characters from an alphabet without look-alikes, printed "K7QM-3XPA"; it is typed
into the login form's password field with the username. An invitation e-mail carries a link with a
long random token instead. Either way only a hash is stored (werkzeug's, as the passwords'), the
code or link is shown once, it is valid until `LOGIN_CODE_DAYS` have passed, works once, and issuing
again for an account (or the person setting their own password) revokes the previous one. Using it
logs the person in and sends them to set a password (must_change_password). Each issue is audited
with the accounts it names, never with a code.

Functions add and flush; the request commits.
"""

import enum
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..extensions import db
from ..mail import MailError, send_mail
from ..models import LoginCode, LoginCodePurpose, School, User
from ..timeutil import format_date, utcnow

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I/1, L, O/0: typed from paper without doubt
CODE_LENGTH = 8
TOKEN_BYTES = 32
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})  # noqa: S104 — compared, not bound


# --- codes ----------------------------------------------------------------------------------------

def new_code() -> str:
    """A random code of CODE_LENGTH characters (about 40 bits), as stored (before its hash): no dash."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """The code as printed: K7QM-3XPA."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_code(typed: str) -> str:
    """What was typed, as the code is hashed: capitals, without the dash and spaces (k7qm 3xpa works)."""
    return "".join(ch for ch in (typed or "").upper() if ch not in "- \t\u00a0")


def _hash(secret: str) -> str:
    return generate_password_hash(secret, method=current_app.config["LOGIN_CODE_HASH_METHOD"])


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=current_app.config["LOGIN_CODE_DAYS"])


def _live(stmt, now: datetime):
    return stmt.where(LoginCode.used_at.is_(None), LoginCode.revoked_at.is_(None), LoginCode.expires_at > now)


def live_codes(school_id: int) -> dict[int, LoginCode]:
    """The live code of each account of the school that has one (user id → code)."""
    rows = db.session.scalars(_live(select(LoginCode).where(LoginCode.school_id == school_id), utcnow())
                              .order_by(LoginCode.id))
    return {row.user_id: row for row in rows}


def code_holders(school_id: int):
    """A subquery: the accounts of the school holding a live code (they can log in: the setup
    checklist does not count them as accounts nobody can log in to)."""
    return _live(select(LoginCode.user_id).where(LoginCode.school_id == school_id), utcnow())


def revoke_codes(user_ids, *, keep: int | None = None) -> None:
    """Every live code of these accounts stops working (but `keep`)."""
    user_ids = list(user_ids)
    if not user_ids:
        return
    stmt = update(LoginCode).where(LoginCode.user_id.in_(user_ids), LoginCode.used_at.is_(None),
                                   LoginCode.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(LoginCode.id != keep)
    db.session.execute(stmt.values(revoked_at=utcnow()), execution_options={"synchronize_session": False})


def _use(code: LoginCode, user: User, now: datetime) -> bool:
    """Mark the code used, once: of two logins with the same code at the same moment, one wins."""
    done = db.session.execute(
        update(LoginCode).where(LoginCode.id == code.id, LoginCode.used_at.is_(None), LoginCode.revoked_at.is_(None))
        .values(used_at=now), execution_options={"synchronize_session": False})
    if done.rowcount != 1:
        return False
    db.session.expire(code, ["used_at"])
    user.must_change_password = True
    return True


# --- the accounts page ----------------------------------------------------------------------------

@dataclass
class Account:
    user: User
    live: LoginCode | None

    @property
    def has_password(self) -> bool:
        return bool(self.user.password_hash)

    @property
    def waiting(self) -> bool:
        """No password yet, and no code waiting to be used: the accounts chosen by default."""
        return not self.has_password and self.live is None


def accounts(school_id: int) -> list[Account]:
    """The school's active accounts, those without a password first, with their live codes."""
    users = db.session.scalars(select(User).where(User.school_id == school_id, User.active.is_(True))
                               .order_by(User.sort_key))
    live = live_codes(school_id)
    rows = [Account(u, live.get(u.id)) for u in users]
    return sorted(rows, key=lambda a: a.has_password)  # stable: name order within each group


# --- the slips ------------------------------------------------------------------------------------

@dataclass
class Slip:
    user: User
    code: str  # as printed, K7QM-3XPA: exists only in this object, for the one page that shows it
    expires_at: datetime


def public_base() -> str:
    """The app's address for slips and e-mails: PUBLIC_URL, unless it is this machine's own
    (127.0.0.1, the default) and the admin reached the app by another name, which staff can reach too."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if has_request_context() and (not base or urlsplit(base).hostname in LOOPBACK_HOSTS):
        own = request.host_url.rstrip("/")
        if not base or urlsplit(own).hostname not in LOOPBACK_HOSTS:
            return own
    return base


def login_url() -> str:
    return public_base() + url_for("auth.login")


def issue_slips(users: list[User], *, by: User) -> list[Slip]:
    """A new one-time code for each account (their previous ones revoked); audited by username."""
    now = utcnow()
    expires = _expiry(now)
    revoke_codes(u.id for u in users)
    slips = []
    for user in users:
        code = new_code()
        db.session.add(LoginCode(school_id=user.school_id, user_id=user.id, code_hash=_hash(code),
                                 purpose=LoginCodePurpose.SLIP, created_at=now, expires_at=expires,
                                 created_by_id=by.id))
        slips.append(Slip(user, format_code(code), expires))
    db.session.flush()
    audit.record("login_slips_issued", school_id=by.school_id, accounts=[u.username for u in users],
                 expires=format_date(expires))
    return slips


def redeem_slip_code(user: User | None, typed: str) -> User | None:
    """The login form's second chance, after the password did not match: `typed` is this account's
    live slip code. The code is then used up and the person must set a password. None otherwise
    (the caller answers as for a wrong password)."""
    if user is None or not user.active:
        return None
    now = utcnow()
    code = db.session.scalar(_live(select(LoginCode).where(LoginCode.user_id == user.id,
                                                           LoginCode.purpose == LoginCodePurpose.SLIP), now)
                             .order_by(LoginCode.id.desc()).limit(1))
    if code is None:
        return None
    typed = normalize_code(typed)
    if len(typed) != CODE_LENGTH or not check_password_hash(code.code_hash, typed):
        return None
    return user if _use(code, user, now) else None


# --- invitation e-mails ---------------------------------------------------------------------------

@dataclass
class Invitations:
    sent: list[User] = field(default_factory=list)
    no_email: list[User] = field(default_factory=list)
    failed: list[User] = field(default_factory=list)


def _invite_message(user: User, school: School, link: str, expires: datetime) -> tuple[str, str]:
    with force_locale("vi"):
        subject = _("Mời đăng nhập lần đầu — %(school)s", school=school.name)
        body = _("Kính gửi %(name)s,\n\n"
                 "%(school)s mời thầy/cô đăng nhập ứng dụng \"Mỗi cán bộ, giáo viên nhận đỡ đầu một học sinh\".\n"
                 "Tên đăng nhập: %(username)s\n\n"
                 "Mở liên kết dưới đây để đăng nhập lần đầu và đặt mật khẩu của mình. Liên kết chỉ dùng "
                 "được một lần, đến hết ngày %(date)s:\n%(link)s\n\n"
                 "Nếu thầy/cô không chờ thư này, hãy bỏ qua nó và báo cho quản trị viên của trường.",
                 name=user.full_name, school=school.name, username=user.username, date=format_date(expires),
                 link=link)
    return subject, body


def send_invitations(users: list[User], school: School, *, by: User) -> Invitations:
    """An invitation e-mail with a single-use link to each account that has an address. An account
    keeps its previous code when its message could not be sent. Audited by username."""
    now = utcnow()
    expires = _expiry(now)
    result = Invitations()
    for user in users:
        if not user.email:
            result.no_email.append(user)
            continue
        secret = secrets.token_urlsafe(TOKEN_BYTES)
        code = LoginCode(school_id=user.school_id, user_id=user.id, code_hash=_hash(secret),
                         purpose=LoginCodePurpose.EMAIL, created_at=now, expires_at=expires, created_by_id=by.id)
        db.session.add(code)
        db.session.flush()
        link = public_base() + url_for("auth.invite", token=f"{code.id}.{secret}")
        try:
            send_mail([user.email], *_invite_message(user, school, link, expires))
        except MailError:
            db.session.delete(code)
            db.session.flush()
            result.failed.append(user)
            continue
        revoke_codes([user.id], keep=code.id)
        result.sent.append(user)
    audit.record("login_invitations_sent", school_id=by.school_id, sent=[u.username for u in result.sent],
                 no_email=[u.username for u in result.no_email], failed=[u.username for u in result.failed],
                 expires=format_date(expires))
    return result


class InviteState(enum.Enum):
    LIVE = "live"
    USED = "used"
    EXPIRED = "expired"
    REPLACED = "replaced"
    UNKNOWN = "unknown"


def find_invitation(token: str) -> tuple[LoginCode | None, InviteState]:
    """The invitation of this link and whether it still works. Its state is told only to the holder of
    the right token (a wrong one is UNKNOWN, whatever the number before the dot names)."""
    number, _dot, secret = (token or "").partition(".")
    if not number.isdigit() or len(number) > 9 or not secret or len(secret) > 100:
        return None, InviteState.UNKNOWN
    code = db.session.get(LoginCode, int(number))
    if code is None or code.purpose != LoginCodePurpose.EMAIL or not check_password_hash(code.code_hash, secret):
        return None, InviteState.UNKNOWN
    if code.used_at is not None:
        return code, InviteState.USED
    if code.revoked_at is not None:
        return code, InviteState.REPLACED
    if utcnow() >= code.expires_at:
        return code, InviteState.EXPIRED
    return code, InviteState.LIVE


def redeem_invitation(code: LoginCode) -> User | None:
    """Use the invitation (live, from find_invitation): its account, which must now set a password."""
    user = code.user
    if not user.active:
        return None
    return user if _use(code, user, utcnow()) else None


def qr_svg(url: str) -> str:
    """The QR code of `url` as an inline SVG element (no style attribute: the CSP allows no inline
    style; its size comes from slips.css)."""
    import segno

    return segno.make(url, error="m", micro=False).svg_inline(
        scale=1, border=2, svgclass="slip-qr", lineclass=None, omitsize=True, title=url)
