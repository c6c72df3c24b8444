"""Time helpers: the school's clock is Asia/Ho_Chi_Minh; the database stores UTC."""

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
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 — a calendar date, no time
        except ValueError:
            continue
    raise ValueError(text)
