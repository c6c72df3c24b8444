"""Failed-login throttling (ASVS 6.3.1, 6.3.5): guessing stops, the real user keeps a way in.

Who is counted. Every attempt is keyed by the login identity (`identity.login_name()`, the same
form the account lookup and the audit use, so "depthead\\x00" or " DEPTHEAD " are the account
"depthead" here too) and counted on several counters at once, each with its own limit from the
configuration (a setting may hold several limits, "30 per hour; 100 per day"):

- address + account (LOGIN_RATE_LIMIT): one machine guessing one account's password (an IPv6
  address counts by its /64 network, which one subscriber holds whole);
- account, from every address (LOGIN_ACCOUNT_RATE_LIMIT): guessing spread over many addresses.
  It is higher than the per-address limit, so one address alone (a school's shared one, where a
  pupil may type wrong passwords for a teacher) cannot lock the account for everyone: that
  address is stopped first, and a second address can still log in until the account's own cap;
- address, across accounts (LOGIN_ADDRESS_RATE_LIMIT): spraying one password over many accounts.

A browser the account has logged in from before carries a signed cookie naming it as known for
that account (its "device"). Its attempts are counted per device + account instead of by address,
so wrong passwords typed by someone else on the school's shared address do not lock the teacher
out of their own phone or PC; the per-account cap still applies to it. An admin can unlock an
account (`unlock`): every per-account counter starts again (an "epoch" in their keys moves on).

How it is counted. An attempt is counted *before* the password is checked, by one atomic
increment per counter in the limiter's storage (Redis when several workers serve), and given back
when it was not a wrong password. If any counter is over its limit, the increments already made
for this attempt are given back too (a refused attempt checks no password and uses up no other
budget) and the answer is 429 with the time the lock ends. So only failures count, and attempts
running at the same time on several workers cannot all pass a check made before any of them was
counted — which is what Flask-Limiter's `deduct_when` does: measured, 6 of 30 concurrent wrong
passwords got through a limit of 5 on 3 gunicorn workers sharing Redis (tests/test_sessions.py).
The counting is the fixed-window strategy whatever RATELIMIT_STRATEGY says: giving an attempt back
is a negative increment, which only a fixed window has.

When the storage is unreachable (Redis down), the counters move to this process's memory for
STORE_RETRY_SECONDS, then the storage is tried again: logins go on, throttled per worker (with
N workers an address gets at most N times its limit) and never unthrottled, never a server error.
"""

import hashlib
import hmac
import ipaddress
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from ..extensions import limiter

log = logging.getLogger(__name__)

STORE_RETRY_SECONDS = 30
DEVICE_COOKIE = "login_device"
DEVICE_ACCOUNTS = 5  # a shared staff-room PC may be known for a few accounts
EPOCH_MIN_SECONDS = 30 * 24 * 3600


@dataclass
class _Stores:
    """The app's view of the limiter's storage, and this process's memory used while it is down."""

    fallback: FixedWindowRateLimiter = field(default_factory=lambda: FixedWindowRateLimiter(MemoryStorage()))
    down_until: float = 0.0
    main: FixedWindowRateLimiter | None = None
    main_storage: object = None


@dataclass
class Reservation:
    """One attempt counted on its counters: allowed, or refused until `retry_at`."""

    allowed: bool
    retry_at: datetime | None = None
    taken: list[tuple[RateLimitItem, tuple[str, ...]]] = field(default_factory=list)
    counter: FixedWindowRateLimiter | None = None


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.initialized


def _stores() -> _Stores:
    stores = current_app.extensions.get("login_throttle")
    if stores is None:
        stores = current_app.extensions.setdefault("login_throttle", _Stores())
    if stores.main_storage is not limiter.storage:  # the limiter (a module singleton) was set up again
        stores.main, stores.main_storage = FixedWindowRateLimiter(limiter.storage), limiter.storage
    return stores


def _store_errors() -> tuple[type[Exception], ...]:
    base = limiter.storage.base_exceptions
    return (StorageError, *(base if isinstance(base, tuple) else (base,)))


def _with_counter(operation):
    """Run `operation(counter)` on the limiter's storage, or on this process's memory while it is down."""
    stores = _stores()
    if time.monotonic() >= stores.down_until:
        try:
            return operation(stores.main)
        except _store_errors() as err:
            stores.down_until = time.monotonic() + STORE_RETRY_SECONDS
            log.error("Login throttling: the limiter's storage is unreachable (%s: %s); counting failed "
                      "logins in this process's memory for %d s", type(err).__name__, err, STORE_RETRY_SECONDS)
    return operation(stores.fallback)


def _limits(setting: str) -> list[RateLimitItem]:
    return list(parse_many(current_app.config[setting]))


def _digest(text: str) -> str:
    """A key part for free text: fixed length, and no username stored in clear in Redis."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _prefix() -> str:
    return current_app.config.get("RATELIMIT_KEY_PREFIX") or ""


def _epoch_key(identity: str) -> str:
    return f"{_prefix()}/login-epoch/{_digest(identity)}"


def _epoch_seconds() -> int:
    longest = max(item.get_expiry() for setting in ("LOGIN_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT")
                  for item in _limits(setting))
    return max(EPOCH_MIN_SECONDS, 2 * longest)


def _address() -> str:
    """The client's address as counted: an IPv6 address by its /64 network, which one subscriber
    usually holds whole (else rotating addresses inside it would escape every per-address limit)."""
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def _counters(identity: str, epoch: int, device: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """(limit setting, key) of each counter this attempt is counted on."""
    prefix, account, address = _prefix(), _digest(identity), _address()
    per_account = ("LOGIN_ACCOUNT_RATE_LIMIT", (prefix, "login-account", str(epoch), account))
    if device:
        return [("LOGIN_RATE_LIMIT", (prefix, "login-device", str(epoch), device, account)), per_account]
    return [("LOGIN_RATE_LIMIT", (prefix, "login", str(epoch), address, account)), per_account,
            ("LOGIN_ADDRESS_RATE_LIMIT", (prefix, "login-address", address))]


def reserve(identity: str) -> Reservation:
    """Count this attempt on every counter; refused (allowed False) when one was already at its limit."""
    if not _enabled():
        return Reservation(allowed=True)
    device = _known_device(identity)

    def count(counter: FixedWindowRateLimiter) -> Reservation:
        epoch = counter.storage.get(_epoch_key(identity))
        limits = [(item, key) for setting, key in _counters(identity, epoch, device) for item in _limits(setting)]
        taken = []
        for item, key in limits:
            taken.append((item, key))
            if not counter.hit(item, *key):
                break
        else:
            return Reservation(allowed=True, taken=taken, counter=counter)
        for item, key in taken:
            counter.hit(item, *key, cost=-1)
        # Open again when every counter that is full has started a new window, not only the first found.
        stats = [counter.get_window_stats(item, *key) for item, key in limits]
        reset = max([s.reset_time for s in stats if s.remaining <= 0], default=time.time())
        return Reservation(allowed=False, retry_at=datetime.fromtimestamp(max(reset, time.time()), UTC))

    return _with_counter(count)


def give_back(reservation: Reservation) -> None:
    """This attempt was not a failure: uncount it (where it was counted)."""
    if not reservation.taken or reservation.counter is None:
        return
    try:
        for item, key in reservation.taken:
            reservation.counter.hit(item, *key, cost=-1)
    except _store_errors() as err:  # the storage went down since: the attempt stays counted
        log.error("Login throttling: could not give back an attempt (%s: %s)", type(err).__name__, err)
    reservation.taken = []


def unlock(identity: str) -> None:
    """Start every counter of this account again (from every address and device); not the spraying
    counter of an address, which is about the address, not the account."""
    if not _enabled():
        return
    _with_counter(lambda counter: counter.storage.incr(_epoch_key(identity), _epoch_seconds()))


# --- the browsers an account logged in from ------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="login-device")


def _tag(device: str, identity: str) -> str:
    """Which account a device is known for, without naming it in the cookie."""
    secret = str(current_app.secret_key).encode()
    return hmac.new(secret, f"{device}:{identity}".encode(), hashlib.sha256).hexdigest()[:24]


def _device_cookie() -> dict | None:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        data = _serializer().loads(raw, max_age=current_app.config["LOGIN_DEVICE_DAYS"] * 86400)
    except BadSignature:
        return None
    if (not isinstance(data, dict) or not isinstance(data.get("d"), str)
            or not isinstance(data.get("a"), list)):
        return None
    return data


def _known_device(identity: str) -> str | None:
    """This browser's device id when it has logged in to this account before, else None."""
    data = _device_cookie()
    if data and _tag(data["d"], identity) in data["a"]:
        return data["d"]
    return None


def remember_device(response, identity: str) -> None:
    """After a successful login: this browser is known for this account (a signed cookie, sent to
    the login page only)."""
    if not _enabled():
        return
    data = _device_cookie() or {"d": secrets.token_hex(16), "a": []}
    tag = _tag(data["d"], identity)
    data["a"] = ([tag] + [t for t in data["a"] if t != tag])[:DEVICE_ACCOUNTS]
    response.set_cookie(
        DEVICE_COOKIE, _serializer().dumps(data), max_age=current_app.config["LOGIN_DEVICE_DAYS"] * 86400,
        path=url_for("auth.login"), secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
        samesite="Lax")
