"""Time helpers: the school's clock is Asia/Ho_Chi_Minh; the database stores UTC."""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SCHOOL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in Vietnam (what deadlines are compared with)."""
    return datetime.now(SCHOOL_TZ).date()


def to_local(value: datetime | None) -> datetime | None:
    """An aware datetime converted to Vietnam time for display."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SCHOOL_TZ)


def format_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy (Babel's Vietnamese short date has a two-digit year, so not Babel)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def parse_date(text: str | None) -> date | None:
    """Parse dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy and ISO yyyy-mm-dd).

    Returns None for empty input; raises ValueError for anything else that is not a date.
    """
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    # A pattern, not strptime: a 2,000-row class list parses a date per row (strptime was a sixth of
    # the import's parsing). date() itself refuses 31/02 and the like.
    found = _DMY.match(text) or _ISO.match(text)
    if found:
        try:
            return date(int(found["y"]), int(found["m"]), int(found["d"]))
        except ValueError:
            pass
    raise ValueError(text)


_DMY = re.compile(r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})\Z", re.ASCII)
_ISO = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\Z", re.ASCII)
