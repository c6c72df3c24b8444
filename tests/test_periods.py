"""The monitoring filter: year, semester or month, with a fallback to the whole year."""

from datetime import date

from sponsor_app.periods import current_month, parse_period


def test_periods(world):
    year = world.year  # 2026-2027: 05/09/2026 – 31/05/2027, semester II from 19/01/2027
    whole = parse_period({}, year)
    assert (whole.start, whole.last_day) == (year.start_date, year.end_date) and whole.query_args() == {}
    first = parse_period({"semester": "1"}, year)
    assert first.last_day == year.semester1_end and first.months()[0] == date(2026, 9, 1)
    assert first.months()[-1] == date(2027, 1, 1)
    second = parse_period({"semester": "2"}, year)
    assert second.start == year.semester2_start and second.months()[0] == date(2027, 1, 1)
    december = parse_period({"month": "2026-12"}, year)
    assert (december.start, december.last_day) == (date(2026, 12, 1), date(2026, 12, 31))
    assert december.query_args() == {"month": "2026-12"} and december.months() == [date(2026, 12, 1)]
    assert whole.months(until=date(2026, 11, 3))[-1] == date(2026, 11, 1)
    for bad in ({"month": "2025-12"}, {"month": "xx"}, {"semester": "3"}, {"month": "2026-13"}):
        assert parse_period(bad, year) == whole, bad
    assert current_month(year, date(2026, 12, 2)) == date(2026, 12, 1)
    assert current_month(year, date(2027, 7, 1)) == date(2027, 5, 1)
    assert current_month(year, date(2026, 8, 1)) == date(2026, 9, 1)
