"""The period a monitoring page looks at: a school year, optionally one semester or one month.

Read from the query string (`?semester=1|2`, `?month=YYYY-MM`) against the selected school year;
anything unknown falls back to the whole year (never an error page for a bad filter).
"""

from dataclasses import dataclass
from datetime import date

from .models import SchoolYear
from .progress.calendar import add_months, campaign_months, month_start


@dataclass(frozen=True)
class Period:
    year: SchoolYear
    semester: int | None = None  # 1 or 2
    month: date | None = None  # a month's first day

    @property
    def start(self) -> date:
        if self.month:
            return self.month
        if self.semester == 2:
            return self.year.semester2_start
        return self.year.start_date

    @property
    def last_day(self) -> date:
        """The last day of the period (the month's last day for a month)."""
        if self.month:
            return date.fromordinal(add_months(self.month, 1).toordinal() - 1)
        if self.semester == 1:
            return self.year.semester1_end
        return self.year.end_date

    def months(self, until: date | None = None) -> list[date]:
        """The months of the period (first days), up to `until` (e.g. today) when given."""
        last = min(self.last_day, until) if until else self.last_day
        return campaign_months(self.start, last) if self.start <= last else []

    def query_args(self) -> dict:
        """The filter as query-string arguments (for links and export URLs)."""
        if self.month:
            return {"month": self.month.strftime("%Y-%m")}
        if self.semester:
            return {"semester": self.semester}
        return {}


def year_months(year: SchoolYear) -> list[date]:
    return campaign_months(year.start_date, year.end_date)


def parse_period(args, year: SchoolYear) -> Period:
    """The period asked for in `args` (request.args), within `year`; the whole year otherwise."""
    month_text = (args.get("month") or "").strip()
    if month_text:
        try:
            y, m = (int(part) for part in month_text.split("-"))
            month = date(y, m, 1)
        except ValueError:
            month = None
        if month is not None and month in year_months(year):
            return Period(year, month=month)
    semester = (args.get("semester") or "").strip()
    if semester in ("1", "2"):
        return Period(year, semester=int(semester))
    return Period(year)


def current_month(year: SchoolYear, today: date) -> date:
    """This month if it is in the year, else the year's nearest month (summer: May; before: September)."""
    months = year_months(year)
    this = month_start(today)
    if this in months:
        return this
    return months[-1] if this > months[-1] else months[0]
