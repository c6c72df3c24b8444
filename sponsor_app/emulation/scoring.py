"""The arithmetic of emulation scoring (pure: no database, no clock), as a staff member sees it.

A month sheet scores the rubric's month criteria; a semester sheet the semester criteria:

- automatic criteria are computed from the casework (METRIC_FORMULAS says how, in words);
  each gives `max × numerator / denominator` points (nothing to count: the full points);
- manual criteria get the points the evaluation gives (none yet: 0);
- bonuses add and penalties take away (each entry up to its item's maximum, with evidence);
  a total never goes below 0.

Month total = Σ month criteria + bonuses − penalties (out of the month criteria's maxima).
Semester total = the month part (the mean of the evaluated months, or their sum: a setting)
    + Σ semester criteria + the semester's bonuses − penalties.
Year total = (w1 × semester I + w2 × semester II) / (w1 + w2) (default w1 = 1, w2 = 2); with
    only one semester evaluated, that semester.
The classification band is the first band (highest first) whose minimum percent of the maximum
points the total reaches. Only outcomes and timeliness are scored, never how much was written.
"""

from dataclasses import dataclass

from ..models import Metric, SemesterMethod

# A mentee's rating of the month: progress counts fully, steady half, decline nothing.
RATING_WEIGHTS = {"progress": 1.0, "steady": 0.5, "decline": 0.0}

MONTH_METRICS = (Metric.NOTES_ON_TIME, Metric.SIGNOFFS, Metric.FAMILY_CONTACT, Metric.RATING_TREND)
SEMESTER_METRICS = (Metric.PLEDGED, Metric.PLAN_ON_TIME, Metric.RETAINED)


@dataclass(frozen=True)
class MonthInputs:
    """One mentor's notes due in a month (a note is due from the main mentoring active on the due
    day, once the due day has come or the note was sent), and what they show."""

    due: int = 0
    on_time: int = 0
    late: int = 0
    seen: int = 0  # signed off "đã xem" by the department head
    family: int = 0  # the note records a contact with the family
    progress: int = 0
    steady: int = 0
    decline: int = 0

    @property
    def missing(self) -> int:
        return self.due - self.on_time - self.late


@dataclass(frozen=True)
class SemesterInputs:
    """One mentor's semester: the pledge, the support plans due by the cut-off day, the mentees."""

    pledged: bool = False
    plans_due: int = 0
    plans_on_time: int = 0  # submitted on time and approved
    mentees: int = 0  # main mentees of the semester, transfers excluded
    retained: int = 0  # of those, still enrolled on the cut-off day
    transferred: int = 0


def round_points(value: float) -> float:
    return round(value + 0.0, 2)


def metric_fraction(metric: Metric, month: MonthInputs | None, semester: SemesterInputs | None) -> tuple[float, int]:
    """(numerator, denominator) of an automatic criterion; a denominator of 0 means nothing to count."""
    if metric in MONTH_METRICS:
        m = month or MonthInputs()
        numerators = {
            Metric.NOTES_ON_TIME: m.on_time,
            Metric.SIGNOFFS: m.seen,
            Metric.FAMILY_CONTACT: m.family,
            Metric.RATING_TREND: (m.progress * RATING_WEIGHTS["progress"] + m.steady * RATING_WEIGHTS["steady"]
                                  + m.decline * RATING_WEIGHTS["decline"]),
        }
        return numerators[metric], m.due
    s = semester or SemesterInputs()
    if metric == Metric.PLEDGED:
        return (1 if s.pledged else 0), 1
    if metric == Metric.PLAN_ON_TIME:
        return s.plans_on_time, s.plans_due
    return s.retained, s.mentees


def metric_points(metric: Metric, max_points: float, month: MonthInputs | None = None,
                  semester: SemesterInputs | None = None) -> tuple[float, float, int]:
    """(points, numerator, denominator) of an automatic criterion worth `max_points`."""
    numerator, denominator = metric_fraction(metric, month, semester)
    if denominator == 0:
        return round_points(max_points), numerator, denominator
    return round_points(max_points * numerator / denominator), numerator, denominator


def sheet_total(criteria_points, bonus: float = 0.0, penalty: float = 0.0) -> float:
    """Σ points + bonuses − penalties, never below 0."""
    return round_points(max(0.0, sum(criteria_points) + bonus - penalty))


def month_part(month_totals: list[float], method: SemesterMethod) -> float:
    """The semester's month part: the mean (or the sum) of its evaluated months' totals."""
    if not month_totals:
        return 0.0
    if method == SemesterMethod.SUM:
        return round_points(sum(month_totals))
    return round_points(sum(month_totals) / len(month_totals))


def month_part_max(month_max: float, months: int, method: SemesterMethod) -> float:
    if months == 0:
        return 0.0
    return round_points(month_max * months if method == SemesterMethod.SUM else month_max)


def year_total(s1: float | None, s2: float | None, w1: int, w2: int) -> float | None:
    """(w1 × S1 + w2 × S2) / (w1 + w2); one semester alone counts as the year; None for neither."""
    if s1 is None and s2 is None:
        return None
    if s1 is None:
        return round_points(s2)
    if s2 is None:
        return round_points(s1)
    return round_points((w1 * s1 + w2 * s2) / (w1 + w2))


def percent(total: float, maximum: float) -> float:
    return round_points(100 * total / maximum) if maximum else 0.0


def band_for(pct: float, bands: list[dict]) -> dict | None:
    """The first band (by minimum percent, highest first) that `pct` reaches; None below them all."""
    for band in sorted(bands, key=lambda b: -b["min_percent"]):
        if pct >= band["min_percent"]:
            return band
    return None


def competition_ranks(values: list[float]) -> list[int]:
    """Ranks of `values` (highest first), equal values sharing a rank: 90, 85, 85, 80 → 1, 2, 2, 4."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0] * len(values)
    for position, index in enumerate(order):
        if position and values[index] == values[order[position - 1]]:
            ranks[index] = ranks[order[position - 1]]
        else:
            ranks[index] = position + 1
    return ranks
