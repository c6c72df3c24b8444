"""Where the app may send a browser: the one check every redirect target taken from a request passes."""

import unicodedata
from urllib.parse import urlsplit

from flask import request

MAX_TARGET_LENGTH = 2000


def _unsafe(ch: str) -> bool:
    """A control, format, surrogate, private or unassigned character, or a line/paragraph separator."""
    category = unicodedata.category(ch)
    return category[0] == "C" or category in ("Zl", "Zp")


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site ("/roster/classes?q=a"), else None.

    Refused: anything with a scheme or a host ("https://evil.example", "//evil.example"), a path
    that does not start with "/", any backslash ("/\\evil.example": browsers read it as "//"), any
    control or format character (CR/LF would split the Location header — a server error before;
    a TAB or NUL is dropped by browsers, turning "/\\t/evil.example" into "//evil.example"), and
    anything longer than MAX_TARGET_LENGTH.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_TARGET_LENGTH:
        return None
    if "\\" in target or any(_unsafe(ch) for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def same_site_referrer() -> str | None:
    """The page the request came from, as a path on this site that passes `safe_next`, or None."""
    referrer = request.referrer
    if not referrer or not referrer.startswith(request.host_url):
        return None
    parts = urlsplit(referrer)
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
