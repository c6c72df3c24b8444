"""The school dashboard's figures (leadership; the union gets the same totals without names).

Each figure is one set-based query (or an existing helper with a fixed number of queries): no
query per department, month or student. Nothing here commits.

Definitions:
- A monthly note of month M is *due* from a main mentoring of the year that had started by M's
  due day (the year's `note_day`) and had not ended by then (`ended_on` after the due day), for
  the months of the period that have begun by today. It is *on time* or *late* as stored at
  submission; *missing* when not submitted and the due day has passed; *not yet due* otherwise.
  By department: the department of the mentor of that mentoring.
- Dropouts this year against last year: students whose status is "dropped out" with a status
  date from the year's first day to today (or the year's last day, if it is over), against those
  of the previous school year from its first day to the same number of days into it (the
  previous year of the app, else the same dates one calendar year earlier). "At the same point
  in the year" is therefore counted in days since the school year began.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from ..documents.model import Column, Document, Part, Table, missing_header_fields, school_heading
from ..escalations.services import clock, holidays_of
from ..extensions import db
from ..labels import (
    CATEGORY_LABELS,
    CONCERN_KIND_LABELS,
    ESCALATION_STATUS_LABELS,
    LEVEL_LABELS,
    RATING_LABELS,
)
from ..models import (
    Assignment,
    Department,
    Escalation,
    EscalationStatus,
    MonthlyNote,
    NoteStatus,
    Rating,
    RiskLevel,
    SchoolYear,
    Student,
    StudentStatus,
    User,
)
from ..periods import Period
from ..progress.calendar import add_months
from ..progress.due import due_notes
from ..screening.services import CATEGORIES
from ..timeutil import format_datetime

NOTE_KINDS = ("on_time", "late", "missing", "pending")
RATINGS = (Rating.PROGRESS, Rating.STEADY, Rating.DECLINE)


# --- monthly notes on time ----------------------------------------------------------------

@dataclass
class NoteCounts:
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0  # not submitted, due day still ahead

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.missing + self.pending

    def as_list(self) -> list[int]:
        return [self.on_time, self.late, self.missing, self.pending]


def _note_rows(school_id: int, year: SchoolYear, months: list[date], today: date, group_by):
    """(group key..., on_time, late, missing, pending) of the notes due in `months`, one query."""
    stmt, table = due_notes(school_id, year, months)
    mentor = User.__table__.alias("mentor")
    submitted = MonthlyNote.id.is_not(None)
    stmt = (
        stmt.add_columns(
            *group_by(table, mentor),
            func.count(MonthlyNote.id).filter(MonthlyNote.submitted_on_time.is_(True)),
            func.count(MonthlyNote.id).filter(or_(MonthlyNote.submitted_on_time.is_(False),
                                                  MonthlyNote.submitted_on_time.is_(None))),
            func.count().filter(and_(~submitted, table.c.due <= today)),
            func.count().filter(and_(~submitted, table.c.due > today)))
        .join(mentor, mentor.c.id == Assignment.mentor_id)
        .outerjoin(Department, Department.id == mentor.c.department_id)
        .group_by(*group_by(table, mentor))
    )
    return db.session.execute(stmt).all()


def note_counts(school_id: int, year: SchoolYear, months: list[date],
                today: date) -> tuple[list[tuple[date, NoteCounts]], list[tuple[str, NoteCounts]]]:
    """The notes due in `months` (begun by today) by month and by the mentor's department ("—" for
    none, in name order): on time, late, missing, not yet due. One query grouped by both."""
    months = [m for m in months if m <= today]
    by_month: dict[date, NoteCounts] = defaultdict(NoteCounts)
    by_department: dict[int | None, tuple[str, NoteCounts]] = {}
    if months:
        rows = _note_rows(school_id, year, months, today,
                          lambda t, _m: (t.c.month, Department.id, Department.name))
        for month, dept_id, name, *counts in rows:
            _add(by_month[_as_date(month)], counts)
            _add(by_department.setdefault(dept_id, (name or "—", NoteCounts()))[1], counts)
    return ([(m, by_month.get(m, NoteCounts())) for m in months],
            sorted(by_department.values(), key=lambda r: (r[0] == "—", r[0])))


def _add(total: NoteCounts, counts) -> None:
    on_time, late, missing, pending = counts
    total.on_time += on_time
    total.late += late
    total.missing += missing
    total.pending += pending


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- ratings ------------------------------------------------------------------------------

def ratings_by_month(school_id: int, year: SchoolYear, months: list[date]) -> list[tuple[date, dict[Rating, int]]]:
    """Submitted notes' overall ratings (tiến bộ / giữ vững / sa sút) per month, one query."""
    found: dict[date, dict[Rating, int]] = defaultdict(dict)
    if months:
        rows = db.session.execute(
            select(MonthlyNote.month, MonthlyNote.rating, func.count())
            .where(MonthlyNote.school_id == school_id, MonthlyNote.school_year_id == year.id,
                   MonthlyNote.status == NoteStatus.SUBMITTED, MonthlyNote.rating.is_not(None),
                   MonthlyNote.month.in_(months))
            .group_by(MonthlyNote.month, MonthlyNote.rating)).all()
        for month, rating, n in rows:
            found[_as_date(month)][Rating(rating)] = n
    return [(m, {r: found[m].get(r, 0) for r in RATINGS}) for m in months]


# --- dropouts -----------------------------------------------------------------------------

@dataclass
class Dropouts:
    this_start: date
    this_end: date
    last_start: date
    last_end: date
    this_year: int = 0
    last_year: int = 0
    # month offsets from each year's start: [(label index, this year, last year)]
    by_month: list[tuple[int, int, int]] = field(default_factory=list)


def previous_year(year: SchoolYear, years: list[SchoolYear] | None = None) -> SchoolYear | None:
    """The school year before `year`: from `years` (the school's, as the request has them) if given."""
    if years is not None:
        return max((y for y in years if y.school_id == year.school_id and y.start_date < year.start_date),
                   key=lambda y: y.start_date, default=None)
    return db.session.scalar(select(SchoolYear).where(
        SchoolYear.school_id == year.school_id, SchoolYear.start_date < year.start_date)
        .order_by(SchoolYear.start_date.desc()).limit(1))


def _one_year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def dropouts(school_id: int, year: SchoolYear, today: date, years: list[SchoolYear] | None = None) -> Dropouts:
    """Dropouts from the year's start to today against the previous year at the same point (see
    the module docstring), with the months since each start. Two queries (the previous year, unless `years` are given; the counts)."""
    this_end = max(min(today, year.end_date), year.start_date)
    prev = previous_year(year, years)
    last_start = prev.start_date if prev else _one_year_earlier(year.start_date)
    last_end = last_start + (this_end - year.start_date)
    if prev:
        last_end = min(last_end, prev.end_date)
    result = Dropouts(year.start_date, this_end, last_start, last_end)
    rows = db.session.execute(
        select(Student.status_date, func.count())
        .where(Student.school_id == school_id, Student.status == StudentStatus.DROPPED_OUT,
               or_(Student.status_date.between(year.start_date, this_end),
                   Student.status_date.between(last_start, last_end)))
        .group_by(Student.status_date)).all()
    months = _months_between(year.start_date, this_end)
    this_months, last_months = [0] * months, [0] * months
    for day, n in rows:
        day = _as_date(day)
        if year.start_date <= day <= this_end:
            result.this_year += n
            this_months[min(_month_index(year.start_date, day), months - 1)] += n
        if last_start <= day <= last_end:
            result.last_year += n
            last_months[min(_month_index(last_start, day), months - 1)] += n
    result.by_month = [(i, this_months[i], last_months[i]) for i in range(months)]
    return result


def _month_index(start: date, day: date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def _months_between(start: date, end: date) -> int:
    return _month_index(start, end) + 1


# --- escalations --------------------------------------------------------------------------

@dataclass
class EscalationSummary:
    by_status: dict[EscalationStatus, int]
    overdue: int  # open (nobody has answered) past the deadline
    rows: list  # leadership only: (Escalation, Clock), the student loaded; empty for the union


def escalations(school_id: int, year: SchoolYear, *, with_names: bool, now=None) -> EscalationSummary:
    """The year's escalations not closed, with their clocks: counts by state for everyone, the
    list (student names) only `with_names`. At most two queries (the year's escalations, with their
    students for leadership; holidays when some are open)."""

    # The year's escalations are few (tens): one query for all, counted here.
    stmt = (select(Escalation).where(Escalation.school_id == school_id, Escalation.school_year_id == year.id)
            .order_by(Escalation.respond_by, Escalation.id))
    if with_names:
        stmt = stmt.options(joinedload(Escalation.student))
    every = list(db.session.scalars(stmt))
    by_status = {s: sum(1 for e in every if e.status == s) for s in EscalationStatus}
    open_rows = [e for e in every if e.status != EscalationStatus.CLOSED]
    holidays = holidays_of(school_id) if open_rows else set()
    clocked = [(e, clock(e, holidays, now)) for e in open_rows]
    overdue = sum(1 for _e, c in clocked if c.state == "overdue")
    return EscalationSummary(by_status, overdue, clocked if with_names else [])


# --- the page ---------------------------------------------------------------------------

@dataclass
class Dashboard:
    period: Period
    months: list[date]
    with_names: bool
    coverage: object
    screening: object
    notes_by_month: list[tuple[date, NoteCounts]]
    notes_by_department: list[tuple[str, NoteCounts]]
    ratings_by_month: list[tuple[date, dict[Rating, int]]]
    dropouts: Dropouts
    escalations: EscalationSummary

    @property
    def notes_total(self) -> NoteCounts:
        total = NoteCounts()
        for _m, c in self.notes_by_month:
            total.on_time += c.on_time
            total.late += c.late
            total.missing += c.missing
            total.pending += c.pending
        return total


def build(school_id: int, year: SchoolYear, period: Period, today: date, *, with_names: bool,
          years: list[SchoolYear] | None = None) -> Dashboard:
    """Every figure of the dashboard for `period` (coverage, risk and escalations are as of today)."""
    from ..assignments.services import coverage
    from ..screening.services import year_counts

    months = period.months(until=today)
    by_month, by_department = note_counts(school_id, year, months, today)
    return Dashboard(
        period=period, months=months, with_names=with_names,
        coverage=coverage(school_id, year), screening=year_counts(school_id, year),
        notes_by_month=by_month, notes_by_department=by_department,
        ratings_by_month=ratings_by_month(school_id, year, months),
        dropouts=dropouts(school_id, year, today, years),
        escalations=escalations(school_id, year, with_names=with_names),
    )


def month_label(year_start: date, index: int) -> str:
    """'Tháng 1', ... of the school year: the index-th month since the year began, as mm."""
    return add_months(year_start.replace(day=1), index).strftime("%m")


# --- charts and the workbook (numbers and labels only; names only `with_names`) --------------

NOTE_COLORS = ("#198754", "#fd7e14", "#dc3545", "#adb5bd")
RATING_COLORS = ("#198754", "#0d6efd", "#dc3545")


def _month_text(month: date) -> str:
    return month.strftime("%m/%Y")


def note_kind_labels() -> list[str]:
    return [_("Đúng hạn"), _("Muộn"), _("Thiếu"), _("Chưa đến hạn")]


def rating_names() -> list[str]:
    return [str(RATING_LABELS[r.value]) for r in RATINGS]


def charts(dash: Dashboard) -> dict[str, dict]:
    """The JSON each canvas draws: {labels, datasets: [{label, data, color}], stacked}."""
    kinds = note_kind_labels()
    notes = {"labels": [_month_text(m) for m, _c in dash.notes_by_month], "stacked": True,
             "datasets": [{"label": kinds[i], "color": NOTE_COLORS[i],
                           "data": [c.as_list()[i] for _m, c in dash.notes_by_month]} for i in range(4)]}
    names = rating_names()
    ratings = {"labels": [_month_text(m) for m, _r in dash.ratings_by_month], "stacked": True,
               "datasets": [{"label": names[i], "color": RATING_COLORS[i],
                             "data": [counts[r] for _m, counts in dash.ratings_by_month]}
                            for i, r in enumerate(RATINGS)]}
    categories = dash.screening.by_category or {}
    risk = {"labels": [str(CATEGORY_LABELS[c]) for c in CATEGORIES], "stacked": False,
            "datasets": [{"label": _("Số học sinh"), "color": "#0d6efd",
                          "data": [categories.get(c, 0) for c in CATEGORIES]}]}
    d = dash.dropouts
    drop = {"labels": [_("Tháng thứ %(n)d", n=i + 1) for i, _a, _b in d.by_month], "stacked": False,
            "datasets": [{"label": _("Năm học này"), "color": "#dc3545", "data": [a for _i, a, _b in d.by_month]},
                         {"label": _("Năm học trước"), "color": "#adb5bd", "data": [b for _i, _a, b in d.by_month]}]}
    return {"notes": notes, "ratings": ratings, "risk": risk, "dropouts": drop}


def _share(part: int, whole: int) -> float | None:
    """A percentage as a fraction (0.875 prints 87,5 %); none when there is nothing to divide by."""
    return part / whole if whole else None


def dashboard_document(dash: Dashboard, school, year: SchoolYear, period_text: str, today: date) -> Document:
    """The dashboard's tables as a working document: one part (sheet) per table of the page, numbers as
    numbers; the escalation list (names) only `with_names`. Vietnamese whatever the interface language
    (the caller builds it under `force_locale("vi")`). Each table's widths put a column boundary near
    42 % of its width, where the workbook splits the two-column heading, leave the national name room
    for one line, and keep LibreOffice's slightly wider columns on one page width."""
    year_text = year.name.replace("-", " - ")
    title = f"TỔNG QUAN CUỘC VẬN ĐỘNG NĂM HỌC {year_text}"
    cov = dash.coverage
    kinds = note_kind_labels()
    parts: list[Part] = []

    def add(sheet: str, columns: list[Column], rows: list[list], empty: str = "Không có số liệu.",
            landscape: bool | None = False) -> None:
        parts.append(Part(sheet=sheet, title=title, subtitle=[period_text], landscape=landscape,
                          blocks=[Table(columns=columns, rows=rows, empty_text=empty, key_columns=1,
                                        caption=sheet)]))

    add("Độ bao phủ", [Column("Chỉ số", 43), Column("Số lượng", 18, "int"), Column("Trên tổng", 18, "int"),
                       Column("Tỉ lệ", 18, "percent")], [
        ["Học sinh được duyệt có GV chính", cov.with_main, cov.approved, _share(cov.with_main, cov.approved)],
        ["Cán bộ có học sinh đỡ đầu", cov.staff_with_mentee, cov.staff, _share(cov.staff_with_mentee, cov.staff)],
        ["Cán bộ đã đăng ký", cov.pledged, cov.staff, _share(cov.pledged, cov.staff)],
        ["Cán bộ đăng ký nhận đỡ đầu", cov.willing, cov.staff, _share(cov.willing, cov.staff)],
    ] + [[f"Tổ {name}: cán bộ có học sinh", w, n, _share(w, n)] for name, n, w in cov.by_department]
      + [[f"Khối {g}: học sinh có GV chính", w, n, _share(w, n)] for g, n, w in cov.by_grade])
    note_columns = [Column("Phải nộp", 12, "int"), *[Column(k, 12, "int") for k in kinds]]
    add("Nhận xét theo tháng", [Column("Tháng", 24, "center"), *note_columns],
        [[_month_text(m), c.due, *c.as_list()] for m, c in dash.notes_by_month])
    add("Nhận xét theo tổ", [Column("Tổ chuyên môn", 24), *note_columns],
        [[name, c.due, *c.as_list()] for name, c in dash.notes_by_department])
    add("Đánh giá theo tháng", [Column("Tháng", 43, "center"), *[Column(r, 18, "int") for r in rating_names()]],
        [[_month_text(m), *[counts[r] for r in RATINGS]] for m, counts in dash.ratings_by_month])
    counts = dash.screening
    levels = counts.by_level or {}
    risk = ([[str(CATEGORY_LABELS[c]), (counts.by_category or {}).get(c, 0)] for c in CATEGORIES]
            + [[f"Mức nguy cơ {LEVEL_LABELS[lv]}", levels.get(lv, 0)]
               for lv in (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)])
    add("Nguy cơ", [Column("Nhóm", 37), Column("Số học sinh", 25, "int"), Column("Tỉ lệ trên số đã rà soát", 25, "percent")],
        [[label, n, _share(n, counts.total)] for label, n in risk] + [["Tổng số đã rà soát", counts.total, None]])
    d = dash.dropouts
    add("Bỏ học", [Column("Năm học", 43), Column("Từ ngày", 18, "date"), Column("Đến ngày", 18, "date"),
                   Column("Số học sinh bỏ học", 18, "int")], [
        ["Năm học này", d.this_start, d.this_end, d.this_year],
        ["Năm học trước (cùng thời điểm)", d.last_start, d.last_end, d.last_year]])
    esc = dash.escalations
    total = sum(esc.by_status.values())
    add("Vụ việc (số lượng)", [Column("Trạng thái", 37), Column("Số vụ việc", 25, "int"),
                               Column("Tỉ lệ", 25, "percent")],
        [[str(ESCALATION_STATUS_LABELS[s]), n, _share(n, total)] for s, n in esc.by_status.items()]
        + [["Quá hạn phản hồi", esc.overdue, _share(esc.overdue, total)]])
    if dash.with_names:
        add("Vụ việc đang mở", [Column("Học sinh", 28), Column("Loại vụ việc", 28), Column("Trạng thái", 16, "center"),
                                Column("Hạn phản hồi", 18, "center"), Column("Thời hạn", 24)],
            [[e.student.full_name, str(CONCERN_KIND_LABELS[e.kind]), str(ESCALATION_STATUS_LABELS[e.status]),
              format_datetime(e.respond_by), clock_text(c)] for e, c in esc.rows],
            empty="Không có vụ việc nào đang mở.", landscape=True)
    return Document(kind="dashboard", filename="", heading=school_heading(school, today), parts=parts,
                    missing=missing_header_fields(school))


def clock_text(c) -> str:
    if c.state == "open":
        return _("còn %(h)s giờ làm việc", h=c.hours_left)
    if c.state == "overdue":
        return _("quá hạn %(n)d giờ làm việc", n=c.overdue_hours)
    if c.state == "responded":
        return _("đã phản hồi")
    return _("đã kết thúc")
