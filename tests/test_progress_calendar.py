"""Calendar rules of monthly notes (due day, grace, lock, late flag) and the working-hours clock."""

from datetime import UTC, date, datetime, time

import pytest

from sponsor_app.progress.calendar import (
    add_months,
    add_working_hours,
    campaign_months,
    is_locked,
    is_on_time,
    lock_day,
    month_state,
    note_due,
    working_hours_between,
)
from sponsor_app.timeutil import SCHOOL_TZ

DEC = date(2026, 12, 1)


def vn(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SCHOOL_TZ)


def test_due_before_the_25th():
    assert note_due(date(2026, 12, 17), 25) == date(2026, 12, 25)
    assert is_on_time(date(2026, 12, 24), DEC, 25)
    assert not is_on_time(date(2026, 12, 25), DEC, 25)  # "trước ngày 25": the 25th is late
    assert is_on_time(date(2026, 11, 30), DEC, 25)  # written ahead of the month


def test_grace_and_lock():
    assert lock_day(DEC, 25, 3) == date(2026, 12, 28)
    assert not is_locked(DEC, date(2026, 12, 27), 25, 3)
    assert is_locked(DEC, date(2026, 12, 28), 25, 3)
    assert is_locked(DEC, date(2027, 1, 2), 25, 0) and not is_locked(DEC, date(2026, 12, 24), 25, 0)


@pytest.mark.parametrize(("today", "kwargs", "state"), [
    (date(2026, 11, 20), {}, "upcoming"),
    (date(2026, 12, 10), {}, "due"),
    (date(2026, 12, 10), {"has_draft": True}, "draft"),
    (date(2026, 12, 26), {}, "overdue"),
    (date(2026, 12, 29), {}, "locked_missing"),
    (date(2026, 12, 29), {"submitted_on": date(2026, 12, 20), "on_time": True}, "done"),
    # the stored flag decides, not the clock: a late note stays late even if re-read early
    (date(2026, 12, 2), {"submitted_on": date(2026, 12, 26), "on_time": False}, "late_done"),
])
def test_month_state(today, kwargs, state):
    assert month_state(DEC, today, 25, 3, **kwargs).state == state


def test_months():
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert add_months(date(2027, 1, 1), -1) == date(2026, 12, 1)
    assert campaign_months(date(2026, 12, 15), date(2027, 3, 2)) == [
        date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]


def test_working_hours_within_a_day():
    assert add_working_hours(vn(2026, 12, 1, 8), 2) == vn(2026, 12, 1, 10)
    # 10:00 + 3h: 1.5h until 11:30, lunch, 1.5h from 13:30
    assert add_working_hours(vn(2026, 12, 1, 10), 3) == vn(2026, 12, 1, 15)


def test_working_hours_start_outside_working_time():
    assert add_working_hours(vn(2026, 12, 1, 20), 1) == vn(2026, 12, 2, 8)  # evening → next morning
    assert add_working_hours(vn(2026, 12, 1, 12), 1) == vn(2026, 12, 1, 14, 30)  # lunch break


def test_working_hours_skip_weekends_and_holidays():
    friday = vn(2026, 12, 4, 16)  # Friday 16:00: 1h left that day
    assert add_working_hours(friday, 2) == vn(2026, 12, 7, 8)  # Monday 08:00
    # Tết: the holidays are skipped too
    tet = [date(2027, 2, d) for d in range(5, 12)]
    assert add_working_hours(vn(2027, 2, 4, 16), 2, holidays=tet) == vn(2027, 2, 12, 8)
    # 12 working hours from Thursday 14:00 (a day has 8h): Thursday 3h, Friday 8h, Monday 1h
    assert add_working_hours(vn(2026, 12, 3, 14), 12) == vn(2026, 12, 7, 8)


def test_working_hours_between_matches_adding():
    start = vn(2026, 12, 3, 14)
    end = add_working_hours(start, 12)
    assert working_hours_between(start, end) == pytest.approx(12)
    assert working_hours_between(end, start) == 0
    assert working_hours_between(vn(2026, 12, 5, 9), vn(2026, 12, 6, 17)) == 0  # a weekend


def test_utc_input_is_read_in_vietnam_time():
    utc_midnight = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 07:00 in Vietnam
    assert add_working_hours(utc_midnight, 1) == vn(2026, 12, 1, 8)
    assert add_working_hours(utc_midnight, 1).time() == time(8, 0)
    with pytest.raises(ValueError, match="aware"):
        add_working_hours(datetime(2026, 12, 1, 8), 1)  # noqa: DTZ001 — the point of the test
