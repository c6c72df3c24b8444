"""Calendar rules of the monthly notes and of escalations (pure: no database, no clock).

Monthly notes (seed plan: "Trước ngày 25 hằng tháng"): the note for month M is due *before*
day `note_day` of M, so with note_day = 25 it is on time when submitted on the 24th or earlier.
After the due day plus `grace_days` the month locks: the note can no longer be edited, only
amended (an amendment is kept beside the original).

Escalations: the response clock counts working hours only (Monday to Friday, 07:00–11:30 and
13:30–17:00 Vietnam time by default), skipping the school's holidays.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..timeutil import SCHOOL_TZ


def month_start(day: date) -> date:
    """The first day of the month containing `day` (months are stored as their first day)."""
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def note_due(month: date, note_day: int) -> date:
    """The day the note of `month` must be submitted *before*."""
    return month_start(month).replace(day=note_day)


def is_on_time(submitted_on: date, month: date, note_day: int) -> bool:
    """On time: submitted before the due day (a note written ahead of the month counts too)."""
    return submitted_on < note_due(month, note_day)


def lock_day(month: date, note_day: int, grace_days: int) -> date:
    """The first day on which the month is locked (due day plus the grace period)."""
    return note_due(month, note_day) + timedelta(days=grace_days)


def is_locked(month: date, today: date, note_day: int, grace_days: int) -> bool:
    return today >= lock_day(month, note_day, grace_days)


@dataclass(frozen=True)
class MonthState:
    """Where a mentee's note of `month` stands on `today`: what the mentor's page shows."""

    month: date
    due: date
    state: str  # "done" | "late_done" | "draft" | "due" | "overdue" | "locked_missing" | "upcoming"
    days_left: int


def month_state(month: date, today: date, note_day: int, grace_days: int, *,
                submitted_on: date | None = None, on_time: bool | None = None,
                has_draft: bool = False) -> MonthState:
    """The state of one month's note. `on_time` is what was stored at submission, never recomputed."""
    due = note_due(month, note_day)
    days_left = (due - today).days
    if submitted_on is not None:
        state = "done" if on_time else "late_done"
    elif today < month_start(month):
        state = "upcoming"
    elif is_locked(month, today, note_day, grace_days):
        state = "locked_missing"
    elif today >= due:
        state = "overdue"
    elif has_draft:
        state = "draft"
    else:
        state = "due"
    return MonthState(month=month_start(month), due=due, state=state, days_left=days_left)


def campaign_months(first: date, last: date) -> list[date]:
    """The months (first days) from `first` to `last` inclusive."""
    months, month = [], month_start(first)
    while month <= month_start(last):
        months.append(month)
        month = add_months(month, 1)
    return months


# --- working hours ------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkingDay:
    """The working periods of a day (local time) and the working weekdays (0 = Monday)."""

    periods: tuple[tuple[time, time], ...] = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})


DEFAULT_WORKING_DAY = WorkingDay()


def add_working_hours(start: datetime, hours: float, holidays: Iterable[date] = (),
                      working: WorkingDay = DEFAULT_WORKING_DAY) -> datetime:
    """The moment `hours` working hours after `start` (aware; the result is in Vietnam time).

    A start outside working time begins counting at the next working period; weekends and the
    given holidays do not count.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    holidays = set(holidays)
    remaining = timedelta(hours=hours)
    moment = start.astimezone(SCHOOL_TZ)
    for _ in range(3660):  # at most ten years of days: a bound, not a limit anyone meets
        day = moment.date()
        if day.weekday() in working.weekdays and day not in holidays:
            for begin, end in working.periods:
                period_start = datetime.combine(day, begin, SCHOOL_TZ)
                period_end = datetime.combine(day, end, SCHOOL_TZ)
                if moment >= period_end:
                    continue
                moment = max(moment, period_start)
                available = period_end - moment
                if remaining <= available:
                    return moment + remaining
                remaining -= available
                moment = period_end
        moment = datetime.combine(day + timedelta(days=1), time(0, 0), SCHOOL_TZ)
    raise ValueError("no working time within ten years")


def working_hours_between(start: datetime, end: datetime, holidays: Iterable[date] = (),
                          working: WorkingDay = DEFAULT_WORKING_DAY) -> float:
    """Working hours elapsed from `start` to `end` (0 if end is not after start)."""
    if end <= start:
        return 0.0
    holidays = set(holidays)
    start, end = start.astimezone(SCHOOL_TZ), end.astimezone(SCHOOL_TZ)
    total = timedelta()
    day = start.date()
    while day <= end.date():
        if day.weekday() in working.weekdays and day not in holidays:
            for begin, finish in working.periods:
                lo = max(start, datetime.combine(day, begin, SCHOOL_TZ))
                hi = min(end, datetime.combine(day, finish, SCHOOL_TZ))
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600
