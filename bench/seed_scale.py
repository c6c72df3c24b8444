"""Scale data for the performance benchmarks (issue 10): whole schools with three school years of
campaign data, generated fast enough for a district.

    python -m bench.seed_scale --size school|district|tiny [--db-url URL] [--today dd/mm/yyyy] [--seed N]

or, inside an app context on a migrated, empty database, ``generate(size, today=..., seed=...)``.

Sizes
-----
- ``school``: 1 school; ``district``: 60 schools of the same shape; ``tiny``: 2 small schools (~60
  students each), for the test suite only.
- A school (school and district sizes): 80 staff in 8 departments (tổ) plus the office; 30 classes a
  year (10A1–12A10, ~40 students, each with its homeroom teacher and subject teachers); 1,200 students
  a year (grade 12 graduates, a new grade 10 comes in, a few repeat, drop out or transfer).
- Three school years: the two before the current one complete (their semesters and the year locked
  in emulation, both twice-yearly reports submitted, the year closed with its open cases rolled over),
  and the current one (containing ``today``, default the Vietnam date now) up to today.
- Each year: the app's default risk criteria; pledges of the whole staff (most willing, capacities
  1–4 that cover their mentees); about 20 % of the students screened (risk score, level and reasons
  computed by the app's own `compute_risk`), verified and decided; about ``mentees`` (200 a school)
  approved students each with one active main mentor (so 2–3 mentees a mentor; some supporting
  mentors; a few reassignments; mentoring ended when a mentee leaves); support plans (mostly approved;
  semester goals, monthly targets, some weekly actions); a monthly note for every month whose note day
  (the 25th) has passed (mostly on time, some late, a few missing or left as drafts; contacts, progress
  on the plan's goals, supports, the department head's sign-off, a few corrections and amendments);
  supporting mentors' contributions; a few escalations with updates and referrals; an audit log of a
  few rows a note (started, saved, submitted, viewed and signed off by the department head, logins).
- The current year's mentees were carried over from last year's rollover or approved from early
  proposals (September–November); this December's screening has only proposals, so every approved
  student has a main mentor. Nothing is dated after today, and no mentee has a note for a month whose
  due day has not come (on 06/12/2026: notes for September to November, none for December).
- Emulation scoring (every month with notes due scored and published, past semesters and years
  locked, a contest a past year) and the twice-yearly reports (past ones submitted, the current one a
  draft once its deadline nears) through the app's own code: the sheets are emulation.results', and
  publishing, contests, locks and the reports go through emulation.services and reports.services; only
  the manual points and the bonuses/penalties are written as save_scores/add_adjustment write them
  (those recompute the whole sheet for every call). What the services stamp with the clock is then
  dated on the day each action happened in the story.

Accounts
--------
Usernames are unique across the deployment: ``s{NN}_`` (the school's number, 01–60) plus
``leader`` (Hiệu trưởng: leader; also the social-work focal point), ``admin`` (Phó Hiệu trưởng:
leader and admin), ``leader2`` (Phó Hiệu trưởng: leader), ``dept1`` … ``dept8`` (the heads of the
departments, in department order: dept_head), ``union`` and ``union2`` (the union executive:
union), ``t001`` … (the other teachers and the office). Everyone also has the teacher role and the
password ``BENCH_PASSWORD`` ("bench"). The homeroom teachers are ``t…`` accounts
(``ClassGroup.homeroom_teacher_id``). ``mentor_pairs()`` lists the current mentees with their main
mentor's username (the benchmark's "deadline day": each mentor writes this month's note).

How it is built
---------------
School by school: the rows are plain dicts with ids assigned here (counters from each table's
max(id) + 1), inserted in dependency order — SQLite: Core executemany; PostgreSQL: COPY on the
session's connection, each value through SQLAlchemy's bind processor of its column (measured 3–5×
faster than the pipelined executemany SQLAlchemy uses there, and than insertmanyvalues). Then the
PostgreSQL sequences are moved past the new ids (the app's own inserts keep working) and the tables
the services read are analysed; the services run through the ORM; their rows get the story's dates
(`restamp`); the school is committed, so memory stays bounded by one school. A final ANALYZE leaves
PostgreSQL with the statistics autovacuum would have gathered.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import random
import secrets
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
from sqlalchemy import bindparam, func, insert, inspect, literal, or_, select, text, update
from sqlalchemy import case as sql_case
from werkzeug.security import generate_password_hash

from sponsor_app import seed as demo
from sponsor_app.admin.services import default_calendar
from sponsor_app.assignments.services import REASON_BECAME_MAIN, REASON_STUDENT_LEFT
from sponsor_app.audit import record as audit_record
from sponsor_app.emulation import demo as demo_emulation
from sponsor_app.emulation import results as emulation_results
from sponsor_app.emulation import services as emulation_services
from sponsor_app.emulation.rubric import ensure_rubric
from sponsor_app.extensions import db
from sponsor_app.labels import SUPPORT_KIND_LABELS
from sponsor_app.models import (
    CIRCUMSTANCE_FLAGS,
    CaseDecision,
    CloseReason,
    ConcernKind,
    ContactWith,
    CriterionSource,
    Decision,
    Domain,
    EscalationStatus,
    EvaluationAdjustment,
    EvaluationScore,
    Horizon,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    PlanStatus,
    Rating,
    RatingScale,
    ReferralStatus,
    ReviewStatus,
    RiskLevel,
    Role,
    School,
    SchoolYear,
    ServiceKind,
    StudentStatus,
    TargetProgress,
    User,
)
from sponsor_app.periods import year_months
from sponsor_app.progress.calendar import (
    add_months,
    add_working_hours,
    campaign_months,
    is_on_time,
    lock_day,
    month_start,
    note_due,
)
from sponsor_app.reports import demo as demo_reports
from sponsor_app.reports import services as report_services
from sponsor_app.reports.rollover import CARRIED_REASON
from sponsor_app.screening.scoring import DEFAULT_CRITERIA, DEFAULT_THRESHOLDS, RiskResult, Rule, compute_risk
from sponsor_app.text import fold, name_sort_key, nfc, split_full_name
from sponsor_app.timeutil import SCHOOL_TZ, local_today, parse_date

BENCH_PASSWORD = "bench"  # noqa: S105 — every generated account; never load bench data where people work
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHUNK = 10_000  # rows per executemany call

# --- sizes -------------------------------------------------------------------------------------------

# Departments: (code, name, ((subject, teachers), ...)). 76 teachers + 4 office staff = 80.
DEPARTMENTS = (
    ("TOAN", "Toán", (("Toán", 13),)),
    ("VAN", "Ngữ văn", (("Ngữ văn", 11),)),
    ("NN", "Ngoại ngữ", (("Tiếng Anh", 11),)),
    ("LYCN", "Vật lí - Công nghệ", (("Vật lí", 7), ("Công nghệ", 2))),
    ("HOASINH", "Hóa học - Sinh học", (("Hóa học", 6), ("Sinh học", 5))),
    ("SUDIA", "Lịch sử - Địa lí - GDKT&PL", (("Lịch sử", 4), ("Địa lí", 4), ("GD kinh tế và pháp luật", 3))),
    ("TIN", "Tin học", (("Tin học", 4),)),
    ("GDTC", "Giáo dục thể chất - QP-AN", (("Giáo dục thể chất", 4), ("GD quốc phòng và an ninh", 2))),
)
OFFICE = ("Kế toán", "Văn thư", "Nhân viên thư viện, thiết bị", "Nhân viên y tế học đường")
TINY_DEPARTMENTS = (
    ("TOAN", "Toán", (("Toán", 3), ("Tin học", 1))),
    ("VAN", "Ngữ văn", (("Ngữ văn", 3), ("Lịch sử", 1))),
    ("NN", "Ngoại ngữ", (("Tiếng Anh", 4),)),
)


@dataclass(frozen=True)
class Shape:
    schools: int
    departments: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...]  # see DEPARTMENTS
    office: tuple[str, ...]
    classes_per_grade: int
    class_size: tuple[int, int]
    mentees: int  # approved students with a main mentor, per school and year
    dropouts: int  # per school and complete year
    transfers: int
    repeaters: int
    escalations: int  # per school and complete year
    years: int = 3


SCHOOL_SHAPE = Shape(schools=1, departments=DEPARTMENTS, office=OFFICE, classes_per_grade=10, class_size=(39, 41),
                     mentees=200, dropouts=8, transfers=5, repeaters=4, escalations=4)
SIZES = {
    "tiny": Shape(schools=2, departments=TINY_DEPARTMENTS, office=OFFICE[:1], classes_per_grade=1,
                  class_size=(19, 21), mentees=10, dropouts=1, transfers=1, repeaters=1, escalations=1),
    "school": SCHOOL_SHAPE,
    "district": dataclasses.replace(SCHOOL_SHAPE, schools=60),
}
GRADES = (10, 11, 12)

# Invented school names (first part × second part: 64 distinct).
NAME_FIRST = ("Hòa", "Tân", "Phú", "An", "Bình", "Long", "Thuận", "Vĩnh")
NAME_SECOND = ("Lạc", "Thịnh", "Xuân", "Mỹ", "Phước", "Hưng", "Sơn", "Điền")
PROVINCE = "SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH ĐÔNG NGUYÊN"  # the demo's invented province

NOT_NEEDED_REASONS = ("Gia đình đã ổn định, em đi học đều", "Em đã được hội khuyến học xã hỗ trợ",
                      "Kết quả học tập đã tiến bộ, tiếp tục theo dõi")
HANDOVER_NOTES = ("Em cần theo dõi chuyên cần hằng tuần; gia đình hợp tác tốt.",
                  "Em tiến bộ môn Toán, cần tiếp tục kèm môn Ngữ văn; liên hệ mẹ em qua điện thoại.")
REASSIGN_REASONS = ("GV đỡ đầu nghỉ thai sản", "GV đỡ đầu đi học bồi dưỡng dài hạn",
                    "Đổi GV đỡ đầu cho gần nhà học sinh hơn")
PLAN_REVIEW_COMMENTS = ("Đề nghị ghi cụ thể mục tiêu từng tháng", "Bổ sung biện pháp phối hợp với gia đình")
CLOSE_NOTES = ("Em đã tiến bộ rõ, gia đình ổn định", "Em không còn nghỉ học, kết quả học tập đạt")


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SCHOOL_TZ)


def _between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


@functools.lru_cache(maxsize=65536)
def _student_keys(family: str, middle: str, given: str) -> tuple[str, str]:
    """(sort_key, folded full name), as Student.set_name computes them."""
    full = " ".join(p for p in (nfc(family), nfc(middle), nfc(given)) if p)
    return name_sort_key(family, middle, given), fold(full)


def user_name_fields(full_name: str, username: str) -> dict:
    """full_name, sort_key and search_text as User.set_full_name computes them."""
    full = nfc(full_name)
    return {"full_name": full, "sort_key": name_sort_key(*split_full_name(full)),
            "search_text": f"{fold(full)} {fold(username)}"}


def student_name_fields(family: str, middle: str, given: str, code: str) -> dict:
    """The name parts, sort_key and search_text as Student.set_name computes them."""
    sort_key, folded = _student_keys(family, middle, given)
    return {"family_name": family or "", "middle_name": middle or "", "given_name": given, "sort_key": sort_key,
            "search_text": f"{folded} {fold(code)}"}


# --- the rows ----------------------------------------------------------------------------------------

class Rows:
    """Rows per table with ids assigned here, inserted in dependency order (see `flush`). A row may
    leave out a column that is nullable or has a constant default; any other missing column is an error."""

    def __init__(self) -> None:
        self.tables = {t.name: t for t in db.metadata.sorted_tables}
        self.order = [t.name for t in db.metadata.sorted_tables]
        self.next_id: dict[str, int] = {}
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self._defaults: dict[str, tuple[dict, frozenset]] = {}
        for table in self.tables.values():
            defaults, required = {}, set()
            for column in table.columns:
                if column.default is not None and getattr(column.default, "is_scalar", False):
                    defaults[column.name] = column.default.arg
                elif column.nullable and column.default is None:
                    defaults[column.name] = None
                else:
                    required.add(column.name)
            self._defaults[table.name] = (defaults, frozenset(required))

    def load_ids(self) -> None:
        """Continue after the ids already in the database (the services of the last school added some)."""
        for name, table in self.tables.items():
            self.next_id[name] = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1

    def add(self, table: str, **row) -> int:
        return self.put(table, row)

    def put(self, table: str, row: dict) -> int:
        """Add `row` itself (the caller may still complete it before the flush); returns its id."""
        row["id"] = row_id = self.next_id[table]
        self.next_id[table] = row_id + 1
        self.rows[table].append(row)
        return row_id

    def flush(self) -> None:
        """Insert everything collected, parents first: COPY on PostgreSQL (psycopg 3), else Core executemany."""
        copy = db.engine.dialect.name == "postgresql" and db.engine.dialect.driver == "psycopg"
        for name in self.order:
            rows = self.rows.pop(name, None)
            if not rows:
                continue
            defaults, required = self._defaults[name]
            for row in rows:
                missing = required - row.keys()
                if missing:
                    raise KeyError(f"{name}: no value for {sorted(missing)}")
            if copy:
                self._copy(self.tables[name], rows, defaults)
            else:
                table = self.tables[name]
                for start in range(0, len(rows), CHUNK):
                    db.session.execute(table.insert(), [{**defaults, **row} for row in rows[start:start + CHUNK]])
            self.counts[name] += len(rows)

    @staticmethod
    def _copy(table, rows: list[dict], defaults: dict) -> None:
        """COPY the rows into `table` in the session's transaction. Each value goes through the column
        type's SQLAlchemy bind processor first (UTC datetimes, enums by value, JSON), so the stored values
        are those a Core insert stores. (Measured: 3–5× faster than psycopg's pipelined executemany,
        which SQLAlchemy uses for an INSERT without RETURNING, and than insertmanyvalues.)"""
        dialect = db.engine.dialect
        columns = [c.name for c in table.columns]
        processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = db.session.connection().connection.driver_connection.cursor()
        with cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as out:
            for row in rows:
                values = [row[c] if c in row else defaults[c] for c in columns]
                out.write_row([p(v) if p is not None and v is not None else v
                               for p, v in zip(processors, values, strict=True)])


def reset_sequences() -> None:
    """PostgreSQL: move each id sequence past the largest id (rows were inserted with explicit ids)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" not in table.columns:
            continue
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 — our own table names
            f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"))


# The tables the services' queries read (emulation results, the reports' figures): what the per-school
# ANALYZE refreshes (audit_log, note_targets, plan_goals, ... are left to the final one).
SERVICE_TABLES = ("schools", "school_years", "departments", "users", "user_roles", "class_groups", "enrollments",
                  "students", "screenings", "pledges", "assignments", "support_plans", "monthly_notes",
                  "note_contacts", "note_supports", "escalations", "referrals", "evaluations", "evaluation_scores",
                  "evaluation_adjustments", "evaluation_contests", "semester_reports", "emulation_criteria",
                  "emulation_settings", "emulation_bands")


def refresh_statistics(quick: bool = False) -> None:
    """PostgreSQL: ANALYZE, so the planner knows the rows just inserted (bulk inserts leave no statistics
    until autovacuum gets to them; without them, or with statistics from before the school was added, the
    emulation's queries for the new school ran 5–10× slower)."""
    if db.engine.dialect.name == "postgresql":
        if not quick:
            db.session.execute(text("ANALYZE"))
            return
        # the services' tables, on a tenth of the default sample: enough for the row counts per school
        db.session.execute(text("SET LOCAL default_statistics_target = 10"))
        db.session.execute(text(f"ANALYZE {', '.join(SERVICE_TABLES)}"))
        db.session.execute(text("RESET default_statistics_target"))


# --- the school being built --------------------------------------------------------------------------

@dataclass
class Year:
    idx: int
    id: int
    name: str
    first: int
    start_date: date
    semester1_end: date
    semester2_start: date
    end_date: date
    pledge_deadline: date
    screening_start: date
    screening_end: date
    assignment_deadline: date
    note_day: int
    note_grace_days: int
    plan_due_days: int
    report1_deadline: date
    report2_deadline: date
    is_current: bool


@dataclass(eq=False)
class Staff:
    id: int
    username: str
    full_name: str
    dept: str | None
    subject: str | None
    position: str
    roles: tuple[Role, ...]


@dataclass(eq=False)
class Pupil:
    id: int
    code: str
    given: str
    ethnicity: str
    policy: str | None
    boarding: str | None
    intake: int
    status: StudentStatus = StudentStatus.ENROLLED
    status_date: date | None = None
    status_note: str | None = None
    classes: dict[int, Klass] = field(default_factory=dict)  # year index → class
    row: dict = field(default_factory=dict)  # the students row, finished once the history is known

    def left_by(self, day: date) -> bool:
        """Not at school any more on `day` (graduated, transferred or dropped out by then)."""
        return self.status != StudentStatus.ENROLLED and self.status_date is not None and self.status_date <= day


@dataclass(eq=False)
class Klass:
    id: int
    name: str
    grade: int
    homeroom: Staff
    teachers: dict[str, Staff] = field(default_factory=dict)  # subject → teacher


@dataclass(eq=False)
class Mentoring:
    id: int
    student: Pupil
    mentor: Staff
    role: MentorRole
    started_on: date
    ended_on: date | None = None
    end_reason: str | None = None
    carried_at: datetime | None = None  # created by the rollover (not assigned on the board)


@dataclass(frozen=True)
class Goal:
    id: int
    horizon: Horizon
    domain: Domain
    start: date
    strategy: str | None
    text: str


@dataclass(eq=False)
class Case:
    """An approved student of a year: the screening, the mentorings, the plan."""

    student: Pupil
    values: dict
    risk: RiskResult
    screening_id: int = 0
    mains: list[Mentoring] = field(default_factory=list)
    supports: list[Mentoring] = field(default_factory=list)
    carried_from: Case | None = None  # last year's case, when rolled over
    decision: CaseDecision | None = None  # carry or handover, when rolled over
    decided_at: datetime | None = None
    plan_id: int | None = None
    goals: list[Goal] = field(default_factory=list)

    @property
    def main(self) -> Mentoring | None:
        return self.mains[-1] if self.mains else None


class SchoolBuilder:
    """One school, its three years and their campaign, as rows (no ORM objects)."""

    def __init__(self, number: int, shape: Shape, today: date, seed: int, password_hash: str, rows: Rows):
        self.n, self.shape, self.today, self.seed = number, shape, today, seed
        self.password_hash, self.rows = password_hash, rows
        self.prefix = f"s{number:02d}_"
        self.staff: list[Staff] = []
        self.accounts: dict[str, Staff] = {}  # the readable part of the username → staff
        self.heads: dict[str, Staff] = {}  # department code → head
        self.dept_ids: dict[str, int] = {}
        self.years: list[Year] = []
        self.classes: dict[int, dict[str, Klass]] = {}
        self.enrolled: dict[int, list[Pupil]] = {}
        self.cases: dict[int, list[Case]] = {}
        self.screened: dict[int, set[int]] = defaultdict(set)  # year index → student ids with a screening
        self.mentorings: dict[int, list[Mentoring]] = defaultdict(list)
        self.load: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))  # year → staff id → mains
        self.willing: dict[int, list[Staff]] = {}  # year index → the staff who pledged to mentor
        self.pledge_starts: dict[tuple[int, int], date] = {}  # (year index, staff id) → carried pledge day
        self.notes: dict[int, list[tuple]] = defaultdict(list)  # year index → (note id, case, author, at, rating)
        self.carried_next: list[Case] = []  # cases rolled over into the next year
        self.pending_rollover: list[tuple[dict, Case | None]] = []
        self.pupils: list[Pupil] = []
        self.holidays: set[date] = set()
        self.services: dict[ServiceKind, int] = {}
        self._codes: dict[int, int] = defaultdict(int)
        self._moet = 0

    def rng(self, step: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.n}:{step}")

    def audit(self, action: str, at: datetime, user: Staff | None, object_type: str | None = None,
              object_id: int | None = None, **details) -> None:
        user_id = user.id if user else None
        self.rows.add("audit_log", school_id=self.school_id, user_id=user_id, at=at, action=action,
                      object_type=object_type, object_id=object_id,
                      ip=f"10.{self.n % 250}.{(user_id or 0) // 250 % 250}.{(user_id or 0) % 250}",
                      details=details or None)

    @property
    def leader(self) -> Staff:
        return self.accounts["leader"]

    # --- the school, its years, departments and staff -----------------------------------------------

    def build(self) -> None:
        self.add_school()
        self.add_years()
        self.add_staff()
        self.add_directory()
        self.add_students_and_classes()
        for year in self.years:
            self.add_year_casework(year)
        self.finish_students()
        self.emit_rollover_cases()

    def add_school(self) -> None:
        i = self.n - 1
        place = f"{NAME_FIRST[i % 8]} {NAME_SECOND[(i // 8 + i) % 8]}"
        if i >= 64:
            place += f" {i // 64 + 1}"
        self.commune = list(demo.COMMUNES)[i % len(demo.COMMUNES)]
        current = demo.school_year_firsts(self.today)[1]
        onboard = _moment(date(current - self.shape.years + 1, 8, 10), 9)  # a month before the first year
        self.created = onboard
        self.school_id = self.rows.add(
            "schools", name=f"Trường THPT {place}", code=f"BENCH-S{self.n:02d}", governing_body=PROVINCE,
            place_name=place, address=f"Tổ dân phố 1, phường {place}, tỉnh Đông Nguyên",
            phone="0262" + f"{self.rng('school').randrange(10**6):06d}", principal_name=None,
            social_work_focal_id=None, created_at=onboard, updated_at=onboard)

    def add_years(self) -> None:
        """The three school years with the admin's default calendar (the current one contains today, from
        August on) and, for each, the app's default risk criteria."""
        current = demo.school_year_firsts(self.today)[1]
        firsts = [current - k for k in reversed(range(self.shape.years))]
        for idx, first in enumerate(firsts):
            cal = default_calendar(first)
            is_current = first == current
            created = _moment(cal["start_date"] - timedelta(days=20), 8)
            year_id = self.rows.add(
                "school_years", school_id=self.school_id, is_current=is_current, plan_number=f"{20 + idx}/KH-THPT",
                risk_medium_min=DEFAULT_THRESHOLDS["risk_medium_min"], risk_high_min=DEFAULT_THRESHOLDS["risk_high_min"],
                created_at=created, updated_at=created, **cal)
            self.years.append(Year(idx=idx, id=year_id, first=first, is_current=is_current,
                                   **{k: cal[k] for k in Year.__dataclass_fields__
                                      if k not in ("idx", "id", "first", "is_current")}))
            for position, (key, label, kind, parameter, weight) in enumerate(DEFAULT_CRITERIA):
                self.rows.add("risk_criteria", school_id=self.school_id, school_year_id=year_id, key=key,
                              label=label, kind=kind, parameter=parameter, weight=weight, active=True,
                              position=position, created_at=created, updated_at=created)
        self.rules = [Rule(key, label, kind, parameter, weight) for key, label, kind, parameter, weight
                      in DEFAULT_CRITERIA]
        self.year_names = {y.id: y.name for y in self.years}

    def _staff_plan(self) -> list[tuple[str | None, str | None, str, tuple[Role, ...], str | None, bool]]:
        """(department, subject, position, roles, readable username or None, head) for everyone."""
        depts = self.shape.departments
        slots = {code: [s for s, k in subjects for _ in range(k)] for code, _name, subjects in depts}
        codes = [code for code, _n, _s in depts]

        def take(code: str, subject: str | None = None) -> str:
            pool = slots[code]
            chosen = subject if subject in pool else pool[0]
            pool.remove(chosen)
            return chosen

        admin_dept = next((c for c, _n, subjects in depts if any(s == "Tin học" for s, _k in subjects)), codes[1])
        plan = [
            (codes[0], take(codes[0]), "Hiệu trưởng", (Role.LEADER, Role.TEACHER), "leader", False),
            (admin_dept, take(admin_dept, "Tin học"), "Phó Hiệu trưởng", (Role.LEADER, Role.ADMIN, Role.TEACHER),
             "admin", False),
            (codes[3 % len(codes)], take(codes[3 % len(codes)]), "Phó Hiệu trưởng", (Role.LEADER, Role.TEACHER),
             "leader2", False),
        ]
        for i, code in enumerate(codes):
            plan.append((code, take(code), "Tổ trưởng", (Role.DEPT_HEAD, Role.TEACHER), f"dept{i + 1}", True))
        for code, position, name in ((codes[2 % len(codes)], "Giáo viên, Chủ tịch Công đoàn", "union"),
                                     (codes[4 % len(codes)], "Giáo viên, Phó Chủ tịch Công đoàn", "union2")):
            plan.append((code, take(code), position, (Role.UNION, Role.TEACHER), name, False))
        for code in codes:
            plan.extend((code, subject, "Giáo viên", (Role.TEACHER,), None, False) for subject in slots[code])
        plan.extend((None, None, position, (Role.TEACHER,), None, False) for position in self.shape.office)
        return plan

    def add_staff(self) -> None:
        rng = self.rng("staff")
        for code, name, _subjects in self.shape.departments:
            self.dept_ids[code] = self.rows.add("departments", school_id=self.school_id, code=code, name=name,
                                                head_id=None, created_at=self.created, updated_at=self.created)
        plan = self._staff_plan()
        ethnic = dict(zip(rng.sample(range(len(plan)), len(demo.STAFF_ETHNICITIES)), demo.STAFF_ETHNICITIES,
                          strict=True))
        names: set[str] = set()
        number = 0
        for i, (dept, subject, position, roles, readable, head) in enumerate(plan):
            gender = rng.choice(("Nam", "Nữ", "Nữ"))
            while True:
                full_name = demo.joined(demo.person_name(rng, gender, ethnic.get(i, "Kinh")))
                if full_name not in names:
                    names.add(full_name)
                    break
            if readable is None:
                number += 1
                readable = f"t{number:03d}"
            username = self.prefix + readable
            birth = date(self.today.year - rng.randint(25, 56), 1, 1) + timedelta(days=rng.randint(0, 364))
            user_id = self.rows.add(
                "users", school_id=self.school_id, username=username, password_hash=self.password_hash,
                gender=gender, date_of_birth=birth, position=position, subject=subject,
                phone=demo.phone_number(rng), email=None, department_id=self.dept_ids[dept] if dept else None,
                active=True, must_change_password=False, locale=None, session_token=secrets.token_urlsafe(24),
                last_login_at=None, version=1, created_at=self.created, updated_at=self.created,
                **user_name_fields(full_name, username))
            for role in sorted(roles):
                self.rows.add("user_roles", user_id=user_id, role=role)
            person = Staff(user_id, username, nfc(full_name), dept, subject, position, roles)
            self.staff.append(person)
            self.accounts[readable] = person
            if head:
                self.heads[dept] = person
        self.principal_name = self.leader.full_name
        self.homeroom_pool = [s for s in self.staff if s.position == "Giáo viên" and s.dept is not None]
        self.by_subject: dict[str, list[Staff]] = defaultdict(list)
        for person in self.staff:
            if person.subject:
                self.by_subject[person.subject].append(person)

    def reviewer_of(self, mentor: Staff) -> Staff:
        """Who signs off the mentor's notes and plans: the department head, else the principal."""
        head = self.heads.get(mentor.dept) if mentor.dept else None
        return head if head is not None and head is not mentor else self.leader

    def add_directory(self) -> None:
        """The holidays of the three years and the school's referral services."""
        rng = self.rng("directory")
        holidays: dict[date, str] = {}
        for year in self.years:
            for calendar_year in (year.first, year.first + 1):
                for (month, day), name in demo.FIXED_HOLIDAYS.items():
                    holidays[date(calendar_year, month, day)] = name
            tet = demo.TET.get(year.first + 1)
            if tet is not None:
                for offset, name in demo.TET_DAYS.items():
                    holidays[tet + timedelta(days=offset)] = name
        for day, name in sorted(holidays.items()):
            self.rows.add("holidays", school_id=self.school_id, day=day, name=name)
        self.holidays = set(holidays)
        commune = self.commune[0].lower() + self.commune[1:]  # "xã Ea Lang", "phường Hòa Bình"
        for kind, name, phone in (
                (ServiceKind.HOTLINE, "Tổng đài quốc gia bảo vệ trẻ em 111", "111"),
                (ServiceKind.COMMUNE, f"UBND {commune}", "0262" + f"{rng.randrange(10**6):06d}"),
                (ServiceKind.WOMENS_UNION, f"Hội Liên hiệp Phụ nữ {commune}", demo.phone_number(rng)),
                (ServiceKind.HEALTH, f"Trạm y tế {commune}", "0262" + f"{rng.randrange(10**6):06d}"),
                (ServiceKind.POLICE, f"Công an {commune}", demo.phone_number(rng))):
            self.services[kind] = self.rows.add(
                "referral_services", school_id=self.school_id, kind=kind, name=name, phone=phone, address=None,
                contact_person=demo.joined(demo.person_name(rng, rng.choice(("Nam", "Nữ")))), active=True,
                created_at=self.created, updated_at=self.created)

    # --- classes and students -----------------------------------------------------------------------

    def new_pupil(self, rng: random.Random, intake: int, created: datetime) -> Pupil:
        """An invented student who entered grade 10 in September of `intake` (as the demo's)."""
        gender = rng.choice(("Nam", "Nữ"))
        ethnicity = demo._weighted(rng, demo.ETHNICITIES)
        family, middle, given = demo.person_name(rng, gender, ethnicity)
        commune = rng.choice(demo.HOME_COMMUNES[ethnicity])
        village_pattern, far = demo.COMMUNES[commune]
        village = village_pattern.format(n=rng.randint(1, 12), v=rng.choice(demo.VILLAGES.get(commune, ("",))))
        minority = ethnicity != "Kinh"
        poor_chance, near_poor_chance = (0.22, 0.12) if minority and far else (0.04, 0.05)
        roll = rng.random()
        policy = ("Hộ nghèo" if roll < poor_chance else "Hộ cận nghèo" if roll < poor_chance + near_poor_chance
                  else "Con thương binh" if roll > 0.985 else None)
        father_family = None if ethnicity in ("Ê Đê", "M'Nông") else family
        father = demo.joined(demo.person_name(rng, "Nam", ethnicity, family=father_family))
        mother = demo.joined(demo.person_name(rng, "Nữ", ethnicity if minority else "Kinh"))
        guardian = None
        family_roll = rng.random()
        if family_roll < 0.06:
            father = None
        elif family_roll < 0.085:
            father = mother = None
            guardian = demo.joined(demo.person_name(rng, rng.choice(("Nam", "Nữ")), ethnicity))
        self._codes[intake] += 1
        code = f"HS{intake}{self._codes[intake]:04d}"
        self._moet += 1
        boarding = "Bán trú" if rng.random() < (0.35 if far else 0.03) else None
        birth_year = intake - 15 - (1 if rng.random() < 0.04 else 0)
        pupil = Pupil(0, code, given, ethnicity, policy, boarding, intake)
        pupil.row = dict(
            school_id=self.school_id, code=code, status=StudentStatus.ENROLLED, status_date=None, status_note=None,
            updated_at=created, moet_id=f"79{self.n % 100:02d}{self._moet:06d}",
            date_of_birth=date(birth_year, 1, 1) + timedelta(days=rng.randint(0, 364)), gender=gender,
            ethnicity=ethnicity, commune=commune, address=f"{village}, {commune[0].lower()}{commune[1:]}",
            guardian_name=guardian, guardian_phone=demo.phone_number(rng), father_name=father, mother_name=mother,
            policy=policy, disability="Khuyết tật vận động nhẹ" if rng.random() < 0.005 else None, boarding=boarding,
            version=1, created_at=created, **student_name_fields(family, middle, given, code))
        return pupil

    def add_students_and_classes(self) -> None:
        """Every year's classes (a homeroom teacher follows the class up) and students (graduation, a new
        grade 10, a few repeaters); who leaves during a year is decided with the year's casework."""
        rng = self.rng("classes")
        per_grade = self.shape.classes_per_grade
        names = [f"{g}A{k}" for g in GRADES for k in range(1, per_grade + 1)]
        first_teachers = dict(zip(names, rng.sample(self.homeroom_pool, len(names)), strict=True))
        teachers = first_teachers
        for year in self.years:
            if year.idx > 0:  # the teacher of the class that graduated takes the new grade 10
                teachers = {name: teachers[f"{int(name[:2]) - 1}{name[2:]}" if name[:2] != "10" else f"12{name[2:]}"]
                            for name in names}
            created = _moment(year.start_date - timedelta(days=10), 9)
            self.classes[year.idx] = {}
            for name in names:
                grade, k = int(name[:2]), int(name[3:])
                klass = Klass(0, name, grade, teachers[name])
                klass.id = self.rows.add("class_groups", school_id=self.school_id, school_year_id=year.id, name=name,
                                         grade=grade, homeroom_teacher_id=teachers[name].id, created_at=created,
                                         updated_at=created)
                for subject, pool in self.by_subject.items():
                    teacher = pool[(grade * 7 + k) % len(pool)]
                    klass.teachers[subject] = teacher
                    self.rows.add("class_teachers", class_group_id=klass.id, user_id=teacher.id, subject=subject)
                self.classes[year.idx][name] = klass

    def enroll_year(self, year: Year) -> None:
        """The year's class lists: the first year in full; later ones move up, repeat, or come in."""
        rng = self.rng(f"enroll:{year.idx}")
        classes = self.classes[year.idx]
        created = _moment(year.start_date - timedelta(days=5), 14)
        lo, hi = self.shape.class_size
        rows: list[tuple[Pupil, Klass]] = []
        if year.idx == 0:
            for klass in classes.values():
                for _ in range(rng.randint(lo, hi)):
                    rows.append((self.new_pupil(rng, year.first - (klass.grade - 10), created), klass))
        else:
            before = self.years[year.idx - 1]
            staying = [p for p in self.enrolled[before.idx] if not p.left_by(before.end_date)
                       and p.classes[before.idx].grade < 12]
            repeaters = {id(p) for p in rng.sample(staying, min(self.shape.repeaters, len(staying)))}
            per_grade = self.shape.classes_per_grade
            for pupil in staying:
                old = pupil.classes[before.idx]
                if id(pupil) in repeaters:
                    rows.append((pupil, classes[f"{old.grade}A{rng.randint(1, per_grade)}"]))
                else:
                    rows.append((pupil, classes[f"{old.grade + 1}{old.name[2:]}"]))
            for klass in classes.values():
                if klass.grade == 10:
                    for _ in range(rng.randint(lo - 1, hi - 1)):
                        rows.append((self.new_pupil(rng, year.first, created), klass))
        self.enrolled[year.idx] = []
        for pupil, klass in rows:
            if not pupil.id:
                pupil.id = self.rows.put("students", pupil.row)
                self.pupils.append(pupil)
            pupil.classes[year.idx] = klass
            self.rows.add("enrollments", student_id=pupil.id, school_year_id=year.id, class_group_id=klass.id)
            self.enrolled[year.idx].append(pupil)

    def choose_leavers(self, year: Year) -> None:
        """Dropouts and transfers of the year up to today (students at risk, poor or boarding, likelier)."""
        rng = self.rng(f"leave:{year.idx}")
        last = min(year.end_date, self.today)
        first = year.start_date + timedelta(days=14)
        if last < first:
            return
        share = min(1.0, (last - year.start_date).days / (year.end_date - year.start_date).days)
        dropouts = round(self.shape.dropouts * share)
        transfers = round(self.shape.transfers * share)
        at_risk = {c.student.id for c in self.cases.get(year.idx, [])}
        pool = [p for p in self.enrolled[year.idx] if p.status == StudentStatus.ENROLLED]
        weights = [1 + 3 * (p.policy in ("Hộ nghèo", "Hộ cận nghèo")) + (p.boarding is not None)
                   + (p.classes[year.idx].grade - 10) + 6 * (p.id in at_risk) for p in pool]
        picked = _weighted_order(rng, pool, weights)[:dropouts + transfers]
        for i, pupil in enumerate(picked):
            dropped = i < dropouts
            pupil.status = StudentStatus.DROPPED_OUT if dropped else StudentStatus.TRANSFERRED
            pupil.status_date = _between(rng, first, last)
            pupil.status_note = rng.choice(demo.DROPOUT_NOTES if dropped else demo.TRANSFER_NOTES)

    def graduate(self, year: Year) -> None:
        if year.end_date > self.today:
            return
        for pupil in self.enrolled[year.idx]:
            if pupil.classes[year.idx].grade == 12 and pupil.status == StudentStatus.ENROLLED:
                pupil.status, pupil.status_date = StudentStatus.GRADUATED, year.end_date

    def finish_students(self) -> None:
        """The students' rows get their final status (graduated, left, or still enrolled)."""
        for pupil in self.pupils:
            if pupil.status_date is not None:
                pupil.row.update(status=pupil.status, status_date=pupil.status_date, status_note=pupil.status_note,
                                 updated_at=_moment(pupil.status_date, 16))

    # --- one year's campaign ------------------------------------------------------------------------

    def add_year_casework(self, year: Year) -> None:
        self.enroll_year(year)
        self.cases[year.idx] = self.carry_in(year)
        self.choose_leavers(year)
        self.screen(year)
        self.reassign(year)
        self.end_for_leavers(year)
        self.add_pledges(year)
        self.add_assignment_rows(year)
        self.add_plans(year)
        self.add_notes(year)
        self.add_escalations(year)
        self.graduate(year)
        if year.idx + 1 < len(self.years):
            self.roll_over(year, self.years[year.idx + 1])

    # screening (rà soát) and assignments (phân công)

    def screening_values(self, rng: random.Random, pupil: Pupil) -> tuple[dict, RiskResult]:
        """The record's values (the demo's generator) and the risk computed by the app's scoring."""
        values = demo._screen_values(rng, pupil)
        record = {flag: bool(values.get(flag, False)) for flag in CIRCUMSTANCE_FLAGS}
        record.update(values)
        risk = compute_risk(_Values(record), self.rules, medium_min=DEFAULT_THRESHOLDS["risk_medium_min"],
                            high_min=DEFAULT_THRESHOLDS["risk_high_min"])
        return record, risk

    def add_screening(self, rng: random.Random, year: Year, pupil: Pupil, record: dict, risk: RiskResult,
                      proposer: Staff, proposed_on: date, verifier: Staff | None = None,
                      verified_on: date | None = None, decision: Decision | None = None,
                      decided_on: date | None = None, reason: str | None = None,
                      carried_at: datetime | None = None) -> int:
        """A screening with its contacts and audit rows (a carried one: as the rollover writes it)."""
        verified_at = carried_at or (_moment(verified_on, 9, rng.randrange(60)) if verified_on else None)
        decided_at = carried_at or (_moment(decided_on, 15, rng.randrange(60)) if decided_on else None)
        created = carried_at or _moment(proposed_on, rng.randint(7, 20), rng.randrange(60))
        screening_id = self.rows.add(
            "screenings", school_id=self.school_id, school_year_id=year.id, student_id=pupil.id,
            proposed_by_id=proposer.id, proposed_on=proposed_on, rating_scale=RatingScale.TT22,
            conduct_rating=record["conduct_rating"], learning_rating=record["learning_rating"],
            absences=record["absences"], circumstances_text=record["circumstances_text"],
            conduct_text=record["conduct_text"], other_circumstance_text=record.get("other_circumstance_text"),
            risk_score=risk.score, risk_level=risk.level, risk_reasons=risk.reasons,
            verified_by_id=verifier.id if verifier else None, verified_at=verified_at, decision=decision,
            decision_reason=reason, decided_by_id=self.leader.id if decision else None, decided_at=decided_at,
            version=1, created_at=created, updated_at=decided_at or verified_at or created,
            **{flag: record[flag] for flag in CIRCUMSTANCE_FLAGS})
        self.screened[year.idx].add(pupil.id)
        if carried_at is not None:
            return screening_id
        self.audit("screening_created", created, proposer, "Screening", screening_id, student_id=pupil.id,
                   late=not (year.screening_start <= proposed_on <= year.screening_end))
        last = min(proposed_on + timedelta(days=10), decided_on or verified_on or self.today, self.today)
        for channel in rng.sample(["family", "student", "relationships"], rng.randint(1, 3)):
            day = _between(rng, proposed_on, max(proposed_on, last))
            method = {"family": rng.choice(["home_visit", "phone", "home_visit"]), "student": "meeting",
                      "relationships": rng.choice(["meeting", "message"])}[channel]
            at = _moment(day, rng.randint(7, 19), rng.randrange(60))
            self.rows.add("screening_contacts", screening_id=screening_id, author_id=proposer.id, channel=channel,
                          method=method, contact_date=day, note="", created_at=at, updated_at=at,
                          person=rng.choice(demo.SCREENING_PERSONS[channel]).format(given=pupil.given))
        if verified_at:
            self.audit("screening_verified", verified_at, verifier, "Screening", screening_id)
        if decided_at:
            self.audit("screening_decided", decided_at, self.leader, "Screening", screening_id,
                       decision=decision.value)
        return screening_id

    def screen(self, year: Year) -> None:
        """The year's new approvals, beside the cases carried over, up to `mentees`, each assigned a main
        mentor; the screened students found not to need help; this December's proposals, still open.

        A complete year's approvals come from the December survey. The current year's, while its survey
        runs, come from proposals made earlier (September to November, outside the window), so that
        every approved student has a main mentor and notes of the months already due."""
        rng = self.rng(f"screen:{year.idx}")
        cases = self.cases[year.idx]
        need = self.shape.mentees - len(cases)
        early = year.is_current and self.today < year.screening_end
        if early:
            first = year.start_date + timedelta(days=10)
            last = min(year.screening_start - timedelta(days=1), self.today - timedelta(days=8))
            verify_by = decide_by = assign_by = self.today
        else:
            first, last = year.screening_start, min(year.screening_start + timedelta(days=19), self.today)
            verify_by = year.screening_end - timedelta(days=2)
            decide_by = year.assignment_deadline - timedelta(days=1)
            assign_by = year.assignment_deadline
        leave_limit = year.screening_end + timedelta(days=45)  # mentored a while before leaving, if at all
        pool = [p for p in self.enrolled[year.idx] if p.id not in self.screened[year.idx]
                and not p.left_by(leave_limit)]
        weights = [1 + 4 * (p.policy in ("Hộ nghèo", "Hộ cận nghèo")) + 2 * (p.ethnicity != "Kinh")
                   + 2 * bool(p.boarding) for p in pool]
        order = _weighted_order(rng, pool, weights)
        taken = 0
        while last >= first and need > 0 and taken < len(order):
            pupil = order[taken]
            taken += 1
            homeroom = pupil.classes[year.idx].homeroom
            proposer = homeroom if rng.random() < 0.8 else rng.choice(self.staff)
            proposed_on = _between(rng, first, last)
            verified_on = min(proposed_on + timedelta(days=rng.randint(1, 4)), verify_by)
            decided_on = min(verified_on + timedelta(days=rng.randint(0, 3)), decide_by)
            record, risk = self.screening_values(rng, pupil)
            approved = risk.level != RiskLevel.LOW or rng.random() < 0.3
            screening_id = self.add_screening(
                rng, year, pupil, record, risk, proposer, proposed_on, homeroom, verified_on,
                Decision.APPROVED if approved else Decision.NOT_NEEDED, decided_on,
                None if approved else rng.choice(NOT_NEEDED_REASONS))
            if approved:
                case = Case(pupil, record, risk, screening_id)
                self.assign(rng, year, case, min(decided_on + timedelta(days=rng.randint(0, 4)), assign_by))
                cases.append(case)
                need -= 1
        if year.is_current and year.screening_start <= self.today:  # this December's proposals, still open
            window_end = min(self.today, year.screening_end)
            days = (window_end - year.screening_start).days + 1
            for pupil in order[taken:taken + max(1, self.shape.mentees * min(days, 20) // 40)]:
                homeroom = pupil.classes[year.idx].homeroom
                proposed_on = _between(rng, year.screening_start, window_end)
                verified = proposed_on <= self.today - timedelta(days=2) and rng.random() < 0.5
                record, risk = self.screening_values(rng, pupil)
                self.add_screening(rng, year, pupil, record, risk, homeroom, proposed_on,
                                   homeroom if verified else None, proposed_on + timedelta(days=1) if verified else None)

    def willing_staff(self, year: Year) -> list[Staff]:
        """The staff who pledge to mentor this year (drawn once a year)."""
        if year.idx not in self.willing:
            rng = self.rng(f"willing:{year.idx}")
            self.willing[year.idx] = [s for s in self.staff if rng.random() < 0.92]
        return self.willing[year.idx]

    def pick_mentor(self, rng: random.Random, year: Year, pupil: Pupil, exclude: Staff | None = None) -> Staff:
        """The homeroom teacher now and then, else a willing staff member with the fewest mentees."""
        load = self.load[year.idx]
        willing = [s for s in self.willing_staff(year) if s is not exclude]
        homeroom = pupil.classes[year.idx].homeroom
        if homeroom in willing and load[homeroom.id] < 3 and rng.random() < 0.35:
            return homeroom
        lightest = min(load[s.id] for s in willing)
        return rng.choice([s for s in willing if load[s.id] == lightest])

    def new_mentoring(self, year: Year, case: Case, mentor: Staff, role: MentorRole, start: date,
                      carried_at: datetime | None = None) -> Mentoring:
        mentoring = Mentoring(0, case.student, mentor, role, start, carried_at=carried_at)
        if role == MentorRole.MAIN:
            case.mains.append(mentoring)
            self.load[year.idx][mentor.id] += 1
        else:
            case.supports.append(mentoring)
        self.mentorings[year.idx].append(mentoring)
        return mentoring

    def end_mentoring(self, year: Year, mentoring: Mentoring, day: date, reason: str) -> None:
        mentoring.ended_on, mentoring.end_reason = day, reason
        if mentoring.role == MentorRole.MAIN:
            self.load[year.idx][mentoring.mentor.id] -= 1

    def assign(self, rng: random.Random, year: Year, case: Case, start: date) -> None:
        """A main mentor, and for some a supporting one (a teacher of the class, as the board suggests)."""
        main = self.pick_mentor(rng, year, case.student)
        self.new_mentoring(year, case, main, MentorRole.MAIN, start)
        if rng.random() < 0.2:
            helpers = [t for t in case.student.classes[year.idx].teachers.values() if t is not main]
            self.new_mentoring(year, case, rng.choice(helpers), MentorRole.SUPPORT, start)

    def reassign(self, year: Year) -> None:
        """A few main mentors change during the year (a supporting mentor takes over, or someone else)."""
        rng = self.rng(f"reassign:{year.idx}")
        last = min(year.end_date - timedelta(days=30), self.today - timedelta(days=3))
        for case in self.cases[year.idx]:
            main = case.main
            if rng.random() > 0.015 or main.started_on + timedelta(days=40) > last:
                continue
            day = _between(rng, main.started_on + timedelta(days=30), last)
            if case.student.left_by(day):
                continue
            self.end_mentoring(year, main, day, rng.choice(REASSIGN_REASONS))
            helper = next((s for s in case.supports if s.ended_on is None), None)
            if helper is not None:
                self.end_mentoring(year, helper, day, REASON_BECAME_MAIN)
                mentor = helper.mentor
            else:
                mentor = self.pick_mentor(rng, year, case.student, exclude=main.mentor)
            self.new_mentoring(year, case, mentor, MentorRole.MAIN, day)

    def end_for_leavers(self, year: Year) -> None:
        """Mentoring ends on the day a mentee left (dropped out or transferred)."""
        for case in self.cases[year.idx]:
            pupil = case.student
            if pupil.status in (StudentStatus.DROPPED_OUT, StudentStatus.TRANSFERRED) \
                    and year.start_date <= pupil.status_date <= year.end_date:
                for m in case.mains + case.supports:
                    if m.ended_on is None and m.started_on <= pupil.status_date:
                        self.end_mentoring(year, m, pupil.status_date, REASON_STUDENT_LEFT)

    def add_pledges(self, year: Year) -> None:
        """Everyone who mentors pledged (a capacity covering their mentees); most others pledged too, a
        few declined. Pledges come in the fortnight before the deadline, or when the mentoring began."""
        rng = self.rng(f"pledge:{year.idx}")
        willing = {s.id for s in self.willing_staff(year)}
        mains: dict[int, int] = defaultdict(int)
        first_start: dict[int, date] = {}
        for m in self.mentorings[year.idx]:
            if m.role == MentorRole.MAIN:
                mains[m.mentor.id] += 1
                first_start[m.mentor.id] = min(first_start.get(m.mentor.id, m.started_on), m.started_on)
        for person in self.staff:
            carried = self.pledge_starts.get((year.idx, person.id))
            if not mains[person.id] and rng.random() < 0.08:
                continue  # has not pledged (the leader sees who)
            day = carried or _between(rng, year.pledge_deadline - timedelta(days=14), year.pledge_deadline)
            day = min(day, first_start.get(person.id, day))
            if day > self.today:
                continue
            is_willing = bool(mains[person.id]) or person.id in willing
            capacity = max(mains[person.id], rng.choices((1, 2, 3, 4), weights=(10, 35, 45, 10))[0]) \
                if is_willing else 0
            at = _moment(day, rng.randint(7, 21), rng.randrange(60))
            pledge_id = self.rows.add(
                "pledges", school_id=self.school_id, school_year_id=year.id, user_id=person.id, willing=is_willing,
                capacity=capacity, pledged_on=day, preferred_grade=rng.choice((None, None, 10, 11, 12)),
                preferred_class_id=None, preferred_commune=None,
                help_subject=person.subject if is_willing and person.subject and rng.random() < 0.5 else None,
                help_home_visits=is_willing and rng.random() < 0.4, help_material=is_willing and rng.random() < 0.3,
                note=CARRIED_REASON.format(year=self.years[year.idx - 1].name) if carried else None, version=1,
                created_at=at, updated_at=at)
            self.audit("pledge_saved", at, person, "Pledge", pledge_id, willing=is_willing, capacity=capacity)

    def add_assignment_rows(self, year: Year) -> None:
        leader = self.leader
        for m in self.mentorings[year.idx]:
            at = m.carried_at or _moment(m.started_on, 10, 30)
            ended = _moment(m.ended_on, 11) if m.ended_on else None
            m.id = self.rows.add(
                "assignments", school_id=self.school_id, school_year_id=year.id, student_id=m.student.id,
                mentor_id=m.mentor.id, role=m.role, started_on=m.started_on, assigned_by_id=leader.id,
                ended_on=m.ended_on, end_reason=m.end_reason, ended_by_id=leader.id if m.ended_on else None,
                seen_by_mentor_at=_moment(m.started_on, 17) if m.started_on < self.today else None,
                created_at=at, updated_at=ended or at)
            if m.carried_at is None:  # (a carried one is in the rollover's audit row)
                self.audit("mentor_assigned", at, leader, "Assignment", m.id, student_id=m.student.id,
                           mentor_id=m.mentor.id, role=m.role.value)
            if ended:
                self.audit("assignment_ended", ended, leader, "Assignment", m.id, reason=m.end_reason)

    # support plans (kế hoạch giúp đỡ)

    def add_plans(self, year: Year) -> None:
        """One plan per mentee and year, by the first main mentor: written within the fortnight (some
        late), submitted, approved by the department head (a few sent back); a carried case's plan is
        made by the rollover and keeps last year's semester goals. Monthly targets up to today, some
        weekly actions."""
        rng = self.rng(f"plans:{year.idx}")
        for case in self.cases[year.idx]:
            first = case.mains[0]
            due = first.started_on + timedelta(days=year.plan_due_days)
            mentor = first.mentor
            if case.carried_from is not None:
                created = first.carried_at
                written = _between(rng, first.started_on, first.started_on + timedelta(days=10))
                if written > self.today:
                    written = None  # the rollover's draft, not touched yet
            else:
                if rng.random() < 0.2:
                    written = _between(rng, due + timedelta(days=1), due + timedelta(days=10))
                else:
                    written = _between(rng, first.started_on, max(first.started_on, due - timedelta(days=3)))
                if written > self.today:
                    continue  # not begun yet
                created = _moment(written, rng.randint(7, 20), rng.randrange(60))
            submitted = _between(rng, written, written + timedelta(days=2)) if written else None
            if submitted and (submitted > self.today or (year.is_current and rng.random() < 0.05)):
                submitted = None
            reviewer = self.reviewer_of(mentor)
            reviewed = _between(rng, submitted + timedelta(days=1), submitted + timedelta(days=6)) if submitted else None
            if reviewed and reviewed > self.today:
                reviewed = None
            sent_back = reviewed is not None and rng.random() < 0.05
            status = (PlanStatus.DRAFT if submitted is None else PlanStatus.SUBMITTED if reviewed is None
                      else PlanStatus.CHANGES_REQUESTED if sent_back else PlanStatus.APPROVED)
            submitted_at = _moment(submitted, 20, rng.randrange(60)) if submitted else None
            reviewed_at = _moment(reviewed, 16, rng.randrange(60)) if reviewed else None
            case.plan_id = self.rows.add(
                "support_plans", school_id=self.school_id, school_year_id=year.id, student_id=case.student.id,
                assignment_id=first.id, author_id=mentor.id, status=status, due_on=due, submitted_at=submitted_at,
                submitted_on_time=(submitted <= due) if submitted else None, student_agreed=written is not None,
                family_agreed=written is not None and rng.random() < 0.8, agreed_on=written,
                reviewed_by_id=reviewer.id if reviewed else None, reviewed_at=reviewed_at,
                review_comment=rng.choice(PLAN_REVIEW_COMMENTS) if sent_back else None, version=1,
                created_at=created, updated_at=reviewed_at or submitted_at or created)
            if case.carried_from is None:
                self.audit("plan_started", created, mentor, "SupportPlan", case.plan_id, student_id=case.student.id)
            if submitted_at:
                self.audit("plan_submitted", submitted_at, mentor, "SupportPlan", case.plan_id,
                           on_time=submitted <= due)
            if reviewed_at:
                self.audit("plan_reviewed", reviewed_at, reviewer, "SupportPlan", case.plan_id,
                           approved=not sent_back)
            self.add_goals(rng, year, case, written, created)

    def add_goals(self, rng: random.Random, year: Year, case: Case, written: date | None,
                  created: datetime) -> None:
        """Two semester goals (learning, conduct) for each semester begun by today, then a monthly target
        for each month of the mentoring up to today, a few with a weekly action. Nothing starts after today."""
        kept: dict[tuple[Domain, int], Goal] = {}
        if case.carried_from is not None:
            before = self.years[year.idx - 1]
            for goal in case.carried_from.goals:
                if goal.horizon == Horizon.SEMESTER:
                    kept[(goal.domain, 2 if goal.start >= before.semester2_start else 1)] = goal
        began = written or created.astimezone(SCHOOL_TZ).date()
        parents: dict[tuple[int, Domain], int] = {}
        position = 0
        for term, start in ((1, year.start_date), (2, year.semester2_start)):
            if start > self.today or (term == 1 and case.mains[0].started_on > year.semester1_end):
                continue
            at = created if start <= began else _moment(start, 10)
            for domain, options in demo.PLAN_GOALS.items():
                old = kept.get((domain, term))
                strategy, text_ = (old.strategy, old.text) if old else rng.choice(options)[:2]
                goal_id = self.rows.add("plan_goals", plan_id=case.plan_id, parent_id=None, horizon=Horizon.SEMESTER,
                                        domain=domain, strategy=strategy, text=text_, period_start=start,
                                        position=position, archived=False, created_at=at, updated_at=at)
                case.goals.append(Goal(goal_id, Horizon.SEMESTER, domain, start, strategy, text_))
                parents[(term, domain)] = goal_id
                position += 1
        if written is None:
            return
        domains = list(demo.PLAN_GOALS)
        month = month_start(max(written, year.start_date))
        while month <= min(year.end_date, self.today):
            domain = domains[month.month % 2]
            parent = parents.get((1 if month <= year.semester1_end else 2, domain))
            if parent is not None:
                strategy, _goal, target_text, action_text = rng.choice(demo.PLAN_GOALS[domain])
                at = _moment(max(month, written), 10)
                target = self.rows.add("plan_goals", plan_id=case.plan_id, parent_id=parent, horizon=Horizon.MONTH,
                                       domain=domain, strategy=strategy, text=target_text, period_start=month,
                                       position=position, archived=False, created_at=at, updated_at=at)
                case.goals.append(Goal(target, Horizon.MONTH, domain, month, strategy, target_text))
                position += 1
                monday = month + timedelta(days=rng.randint(0, 20))
                monday -= timedelta(days=monday.weekday())
                if rng.random() < 0.3 and max(month, written) <= monday <= self.today:
                    self.rows.add("plan_goals", plan_id=case.plan_id, parent_id=target, horizon=Horizon.WEEK,
                                  domain=domain, strategy=None, text=action_text, period_start=monday,
                                  position=position, archived=False, created_at=at, updated_at=at)
                    position += 1
            month = add_months(month, 1)

    # monthly notes (nhận xét hằng tháng)

    def add_notes(self, year: Year) -> None:
        """The main mentor's note of every month of the mentoring whose due day has passed (none for a
        month still open, so none for this month before the 25th)."""
        rng = self.rng(f"notes:{year.idx}")
        for case in self.cases[year.idx]:
            base_absences = rng.choice((0, 0, 1, 1, 2, 3))
            tendency = rng.choices(("steady", "better", "worse"), weights=(70, 22, 8))[0]
            done: set[date] = set()
            for mentoring in case.mains:
                last = min(self.today, year.end_date, mentoring.ended_on or year.end_date)
                if mentoring.started_on > last:
                    continue
                for i, month in enumerate(campaign_months(mentoring.started_on, last)):
                    due = note_due(month, year.note_day)
                    if due > self.today or month in done:
                        continue
                    if mentoring.ended_on is not None and mentoring.ended_on <= due:
                        continue  # the next main mentor writes it (or nobody: the mentee left)
                    done.add(month)
                    self.add_note(rng, year, case, mentoring, month, due, i, base_absences, tendency)

    def add_note(self, rng: random.Random, year: Year, case: Case, mentoring: Mentoring, month: date, due: date,
                 i: int, base_absences: int, tendency: str) -> None:
        first_day = max(month, mentoring.started_on)
        roll = rng.random()
        if first_day > due - timedelta(days=2):  # assigned around the due day: written late, or not at all
            if roll < 0.6:
                return
            submitted_on = _between(rng, max(due, first_day), min(_month_end(month), first_day + timedelta(days=5)))
        elif roll < 0.03:
            return  # missing
        elif roll < 0.04:
            submitted_on = None  # begun, never sent
        elif roll < 0.18:
            submitted_on = due + timedelta(days=rng.choice((0, 1, 2, 4, 8, 15)))
        else:
            submitted_on = _between(rng, max(first_day, due - timedelta(days=8)), due - timedelta(days=1))
        if submitted_on is not None:
            submitted_on = min(submitted_on, self.today)
        started_on = _between(rng, first_day, submitted_on or min(due, self.today))
        weights = {"worse": (10, 40, 50) if i >= 2 else (30, 50, 20), "better": (65, 30, 5)}.get(tendency, (45, 45, 10))
        rating = rng.choices(RATINGS, weights=weights)[0]
        absences = max(0, min(8, base_absences + rng.choice((-1, 0, 0, 1)) + (i if tendency == "worse" else 0)))
        next_steps = rng.choice(demo.NEXT_STEPS_TEXTS)
        author = mentoring.mentor
        reviewer = self.reviewer_of(author)
        created = _moment(started_on, rng.randint(7, 21), rng.randrange(60))
        submitted_at = review = None
        if submitted_on is not None:
            submitted_at = _moment(submitted_on, rng.randint(14, 22), rng.randrange(60))
            created = min(created, submitted_at - timedelta(minutes=rng.randint(20, 90)))
            review = self.note_review(rng, submitted_at)
        status, reviewed_at, comment, history, corrected_at = review or (None, None, None, [], None)
        on_time = is_on_time(submitted_on, month, year.note_day) if submitted_on else None
        note_id = self.rows.add(
            "monthly_notes", school_id=self.school_id, school_year_id=year.id, student_id=case.student.id,
            assignment_id=mentoring.id, author_id=author.id, month=month,
            status=NoteStatus.SUBMITTED if submitted_at else NoteStatus.DRAFT, submitted_at=submitted_at,
            submitted_on_time=on_time, absences=absences, learning_trend=rng.choice(demo.TREND_BY_RATING[rating]),
            conduct_trend=rng.choice(demo.TREND_BY_RATING[rating]), wellbeing=rng.choice(demo.WELLBEING_TEXTS[rating]),
            rating=rating, next_steps=next_steps,
            concerns=rng.choice(demo.CONCERN_TEXTS) if rating != Rating.PROGRESS or rng.random() < 0.3 else None,
            review_status=status, reviewed_by_id=reviewer.id if reviewed_at else None, reviewed_at=reviewed_at,
            review_comment=comment, version=1, created_at=created,
            updated_at=max(t for t in (created, submitted_at, reviewed_at, corrected_at) if t is not None))
        month_text = month.strftime("%Y-%m")
        self.audit("note_started", created, author, "MonthlyNote", note_id, student_id=case.student.id,
                   month=month_text)
        if rng.random() < 0.4:
            self.audit("note_saved", created + timedelta(minutes=rng.randint(5, 15)), author, "MonthlyNote", note_id,
                       month=month_text)
        contact_last = max(first_day, min(submitted_on or self.today, _month_end(month)))
        for position in range(rng.choice((1, 1, 2, 2, 3))):
            with_whom = rng.choice(CONTACTS_WITH)
            self.rows.add("note_contacts", note_id=note_id, contact_on=_between(rng, first_day, contact_last),
                          with_whom=with_whom, method=rng.choice(demo.CONTACT_METHODS[with_whom]),
                          summary=rng.choice(demo.CONTACT_SUMMARIES[with_whom]), position=position)
        semester_start = year.semester2_start if month >= month_start(year.semester2_start) else year.start_date
        for goal in case.goals:
            if goal.start == (semester_start if goal.horizon == Horizon.SEMESTER else month) \
                    and goal.horizon != Horizon.WEEK:
                progress = rng.choices(PROGRESS, weights=demo.PROGRESS_BY_RATING[rating])[0]
                self.rows.add("note_targets", note_id=note_id, goal_id=goal.id, progress=progress,
                              comment=rng.choice(demo.TARGET_COMMENTS[progress]))
        if rng.random() < 0.15:
            kind = rng.choice(SUPPORT_KINDS)
            low, high = demo.SUPPORT_VALUES[kind]
            self.rows.add("note_supports", note_id=note_id, kind=kind, position=0,
                          value_vnd=rng.randint(low // 50_000, high // 50_000) * 50_000,
                          donor="GV đỡ đầu" if kind == "hoc_bu" else rng.choice(demo.SUPPORT_DONORS))
        for helper in case.supports:
            if helper.started_on <= _month_end(month) and (helper.ended_on is None or helper.ended_on >= month) \
                    and rng.random() < 0.3:
                day = _between(rng, max(first_day, helper.started_on), min(_month_end(month), self.today))
                at = _moment(day, rng.randint(7, 21), rng.randrange(60))
                contribution = self.rows.add(
                    "note_contributions", school_id=self.school_id, student_id=case.student.id, month=month,
                    author_id=helper.mentor.id, text=rng.choice(demo.CONTRIBUTION_TEXTS), created_at=at, updated_at=at)
                self.audit("note_contribution_added", at, helper.mentor, "NoteContribution", contribution,
                           student_id=case.student.id, month=month_text)
        if submitted_at is None:
            return
        if rng.random() < 0.3:
            self.audit("login", submitted_at - timedelta(minutes=rng.randint(3, 30)), author, "User", author.id)
        self.audit("note_submitted", submitted_at, author, "MonthlyNote", note_id, month=month_text, on_time=on_time)
        for decision, at, said in history:
            self.audit("note_viewed", at - timedelta(minutes=rng.randint(1, 8)), reviewer, "MonthlyNote", note_id,
                       student_id=case.student.id)
            self.rows.add("note_reviews", note_id=note_id, reviewer_id=reviewer.id, at=at, decision=decision,
                          comment=said)
            self.audit("note_reviewed", at, reviewer, "MonthlyNote", note_id, decision=decision.value)
        if corrected_at is not None:  # what the department head asked for, added before the lock
            self.rows.add("note_revisions", note_id=note_id, author_id=author.id, at=corrected_at, after_lock=False,
                          reason=None, changes={"next_steps": [next_steps, f"{next_steps}; {demo.NEXT_STEPS_TEXTS[0]}"]})
            self.audit("note_corrected", corrected_at, author, "MonthlyNote", note_id, month=month_text,
                       fields=["next_steps"])
        lock = lock_day(month, year.note_day, year.note_grace_days)
        roll = rng.random()
        if roll < 0.02 and corrected_at is None and submitted_on < lock - timedelta(days=1):
            day = _between(rng, submitted_on + timedelta(days=1), min(lock - timedelta(days=1), self.today))
            if day <= self.today:  # a correction before the lock
                at = _moment(day, 20, rng.randrange(60))
                self.rows.add("note_revisions", note_id=note_id, author_id=author.id, at=at, after_lock=False,
                              reason=None, changes={"absences": [absences, absences + 1]})
                self.audit("note_corrected", at, author, "MonthlyNote", note_id, month=month_text,
                           fields=["absences"])
        elif roll > 0.995 and lock + timedelta(days=12) <= self.today:  # an amendment after it, with a reason
            at = _moment(_between(rng, lock + timedelta(days=1), lock + timedelta(days=12)), 9, rng.randrange(60))
            self.rows.add("note_revisions", note_id=note_id, author_id=author.id, at=at, after_lock=True,
                          reason=rng.choice(demo.AMENDMENT_REASONS), changes={"absences": [absences, absences + 2]})
            self.audit("note_amended", at, author, "MonthlyNote", note_id, month=month_text, fields=["absences"])
        viewed = submitted_at + timedelta(hours=rng.randint(1, 48))
        if rng.random() < 0.25 and viewed < _moment(self.today + timedelta(days=1), 0):
            viewer = case.student.classes[year.idx].homeroom if rng.random() < 0.6 else self.leader
            self.audit("view_student", viewed, viewer, "Student", case.student.id)
        self.notes[year.idx].append((note_id, case, author, submitted_at, rating))

    def note_review(self, rng: random.Random, submitted_at: datetime):
        """The department head's sign-off of a submitted note, as (final status, reviewed at, comment,
        [(decision, at, comment)], the mentor's correction at): seen within days, a few sent back first,
        the latest ones still in the queue."""
        submitted_on = submitted_at.astimezone(SCHOOL_TZ).date()
        reviewed_on = submitted_on + timedelta(days=rng.randint(1, 6))
        if reviewed_on > self.today or (reviewed_on > self.today - timedelta(days=3) and rng.random() < 0.5):
            return ReviewStatus.PENDING, None, None, [], None
        at = _moment(reviewed_on, rng.randint(7, 17), rng.randrange(60))
        if rng.random() >= 0.05:
            return ReviewStatus.SEEN, at, None, [(ReviewStatus.SEEN, at, None)], None
        comment = rng.choice(demo.REVIEW_COMMENTS)
        history = [(ReviewStatus.NEEDS_MORE, at, comment)]
        corrected_on = reviewed_on + timedelta(days=rng.randint(1, 3))
        if corrected_on > self.today or rng.random() < 0.3:
            return ReviewStatus.NEEDS_MORE, at, comment, history, None
        corrected = _moment(corrected_on, 20, rng.randrange(60))
        seen_on = corrected_on + timedelta(days=rng.randint(1, 4))
        if seen_on > self.today:
            return ReviewStatus.PENDING, None, None, history, corrected
        seen = _moment(seen_on, rng.randint(7, 17), rng.randrange(60))
        return ReviewStatus.SEEN, seen, None, [*history, (ReviewStatus.SEEN, seen, None)], corrected

    # escalations

    def add_escalations(self, year: Year) -> None:
        """A few serious concerns raised from notes rated "decline": a complete year's all dealt with (the
        dropout one answered late, referrals with outcomes), the current year's one open, one being answered."""
        rng = self.rng(f"escalations:{year.idx}")
        worrying = [n for n in self.notes[year.idx] if n[4] == Rating.DECLINE]
        count = self.shape.escalations if not year.is_current else 2
        chosen, students = [], set()
        for note in rng.sample(worrying, min(len(worrying), 3 * count)):
            if note[1].student.id not in students and len(chosen) < count:
                students.add(note[1].student.id)
                chosen.append(note)
        chosen.sort(key=lambda n: n[3])
        deputy = self.accounts["admin"]
        now = _moment(self.today, 23, 59)
        for k, (note_id, case, author, submitted_at, _rating) in enumerate(chosen):
            kind = ESCALATION_KINDS[k % len(ESCALATION_KINDS)]
            raised_at = min(submitted_at + timedelta(minutes=rng.randint(10, 600)), now)
            respond_by = add_working_hours(raised_at, 8, self.holidays)
            story, steps, outcome = demo.ESCALATION_STORIES[kind]
            row = dict(school_id=self.school_id, school_year_id=year.id, student_id=case.student.id, note_id=note_id,
                       raised_by_id=author.id, raised_at=raised_at, kind=kind, description=story, response_hours=8,
                       respond_by=respond_by, status=EscalationStatus.OPEN, responded_at=None, responded_by_id=None,
                       closed_at=None, closed_by_id=None, outcome=None, version=1, created_at=raised_at,
                       updated_at=raised_at)
            updates: list[tuple[datetime, Staff, str]] = []
            referrals: list[dict] = []
            responder = self.leader if kind != ConcernKind.CRISIS else deputy
            late = kind == ConcernKind.DROPOUT
            responded = add_working_hours(respond_by if late else raised_at, rng.choice((2, 4, 6)), self.holidays)
            still_open = year.is_current and k == len(chosen) - 1
            if not still_open and responded <= now:
                row.update(status=EscalationStatus.RESPONDING, responded_at=responded, responded_by_id=responder.id,
                           updated_at=responded)
                updates.append((responded, responder, steps[0]))
                later = add_working_hours(responded, rng.choice((12, 20, 30)), self.holidays)
                closing = add_working_hours(later, 40, self.holidays)
                done = not year.is_current and closing <= now
                service = ESCALATION_SERVICES.get(kind)
                if service is not None:
                    referrals.append(dict(
                        service_id=self.services[service], referred_on=responded.astimezone(SCHOOL_TZ).date(),
                        referred_by_id=responder.id, note="Chuyển gửi theo đề nghị của đầu mối CTXH",
                        status=ReferralStatus.COMPLETED if done else ReferralStatus.SENT,
                        outcome="Đơn vị đã tiếp nhận và phối hợp theo dõi em" if done else None,
                        outcome_on=later.astimezone(SCHOOL_TZ).date() if done else None,
                        created_at=responded, updated_at=later if done else responded))
                if len(steps) > 1 and later <= now:
                    updates.append((later, deputy, steps[1]))
                if done:
                    row.update(status=EscalationStatus.CLOSED, closed_at=closing, closed_by_id=self.leader.id,
                               outcome=outcome or "Đã phối hợp với gia đình và công an xã; em ổn định.",
                               updated_at=closing)
            escalation_id = self.rows.add("escalations", **row)
            self.audit("escalation_raised", raised_at, author, "Escalation", escalation_id,
                       student_id=case.student.id, kind=kind.value, note_id=note_id)
            for at, who, message in updates:
                self.audit("escalation_viewed", at - timedelta(minutes=5), who, "Escalation", escalation_id,
                           student_id=case.student.id)
                self.rows.add("escalation_updates", escalation_id=escalation_id, author_id=who.id, at=at, text=message)
                self.audit("escalation_updated", at, who, "Escalation", escalation_id, first_response=at == responded)
            for referral in referrals:
                referral_id = self.rows.add("referrals", escalation_id=escalation_id, **referral)
                self.audit("escalation_referred", referral["created_at"], responder, "Escalation", escalation_id,
                           referral_id=referral_id, service_id=referral["service_id"])
            if row["closed_at"]:
                self.audit("escalation_closed", row["closed_at"], self.leader, "Escalation", escalation_id)

    # the year-end rollover

    def roll_over(self, year: Year, target: Year) -> None:
        """A week before the next year starts leadership decides each open case (carry most, hand a few
        over, close those no longer at risk) and closes the year, as reports/rollover.py does."""
        day = target.start_date - timedelta(days=7)
        if day > self.today:
            return
        rng = self.rng(f"rollover:{year.idx}")
        moment = _moment(day, 9)
        for k, case in enumerate(self.cases[year.idx]):
            main = case.main
            if main is None or main.ended_on is not None or case.student.left_by(year.end_date):
                continue  # not an open case
            at = moment + timedelta(minutes=2 * k)
            roll = rng.random()
            decision = (CaseDecision.CARRY if roll < 0.85 else CaseDecision.HANDOVER if roll < 0.92
                        else CaseDecision.CLOSE)
            record = {"school_id": self.school_id, "from_year_id": year.id, "to_year_id": target.id,
                      "student_id": case.student.id, "decision": decision, "close_reason": None, "note": None,
                      "previous_mentor_id": main.mentor.id, "new_mentor_id": None, "new_assignment_id": None,
                      "previous_plan_id": case.plan_id, "new_plan_id": None, "decided_by_id": self.leader.id,
                      "decided_at": at, "created_at": at, "updated_at": at}
            new = None
            if decision == CaseDecision.CLOSE:
                record.update(close_reason=CloseReason.NOT_AT_RISK, note=rng.choice(CLOSE_NOTES))
            else:
                if decision == CaseDecision.HANDOVER:
                    record["note"] = rng.choice(HANDOVER_NOTES)
                new = Case(case.student, case.values, case.risk, carried_from=case, decision=decision, decided_at=at)
                self.carried_next.append(new)
            self.pending_rollover.append((record, new))
        closed = moment + timedelta(hours=3)
        closure = self.rows.add("year_closures", school_id=self.school_id, school_year_id=year.id,
                                next_year_id=target.id, closed_at=closed, closed_by_id=self.leader.id,
                                created_at=closed, updated_at=closed)
        self.audit("year_closed", closed, self.leader, "YearClosure", closure, year=year.name)

    def carry_in(self, year: Year) -> list[Case]:
        """The cases rolled over into `year`: the screening copied and approved, a main mentoring from the
        year's first day (the same mentor, or the one handed over to; supporting mentors follow), and the
        mentor's pledge copied."""
        carried, self.carried_next = self.carried_next, []
        if not carried:
            return []
        rng = self.rng(f"carry:{year.idx}")
        reason = CARRIED_REASON.format(year=self.years[year.idx - 1].name)
        for case in carried:
            at = case.decided_at
            case.screening_id = self.add_screening(
                rng, year, case.student, dict(case.values, absences=0), case.risk, self.leader, year.start_date,
                self.leader, decision=Decision.APPROVED, reason=reason, carried_at=at)
            old = case.carried_from.main
            mentor = old.mentor if case.decision == CaseDecision.CARRY else \
                self.pick_mentor(rng, year, case.student, exclude=old.mentor)
            self.new_mentoring(year, case, mentor, MentorRole.MAIN, year.start_date, carried_at=at)
            self.pledge_starts.setdefault((year.idx, mentor.id), year.start_date)
            for support in case.carried_from.supports:
                if support.ended_on is None and support.mentor is not mentor:
                    self.new_mentoring(year, case, support.mentor, MentorRole.SUPPORT, year.start_date, carried_at=at)
        return carried

    def emit_rollover_cases(self) -> None:
        """The decisions, once the next year's mentorings and plans have their ids."""
        for record, new in self.pending_rollover:
            if new is not None:
                main = new.mains[0]
                record.update(new_mentor_id=main.mentor.id, new_assignment_id=main.id, new_plan_id=new.plan_id)
            row_id = self.rows.add("rollover_cases", **record)
            self.audit("rollover_case_decided", record["decided_at"], self.leader, "RolloverCase", row_id,
                       student_id=record["student_id"], decision=record["decision"].value,
                       from_year=self.year_names[record["from_year_id"]],
                       to_year=self.year_names[record["to_year_id"]], mentor_id=record["new_mentor_id"],
                       close_reason=record["close_reason"].value if record["close_reason"] else None)

    def finish(self) -> None:
        """After the rows are in: the links that point both ways (department heads, the focal point)."""
        departments, schools = db.metadata.tables["departments"], db.metadata.tables["schools"]
        # (updated_at given: a Core UPDATE would stamp it with the real clock through its onupdate)
        db.session.execute(update(departments).where(departments.c.id == bindparam("d_id"))
                           .values(head_id=bindparam("d_head"), updated_at=self.created),
                           [{"d_id": self.dept_ids[code], "d_head": head.id} for code, head in self.heads.items()])
        db.session.execute(update(schools).where(schools.c.id == self.school_id).values(
            social_work_focal_id=self.leader.id, principal_name=self.principal_name, updated_at=self.created))


RATINGS = list(Rating)
PROGRESS = list(TargetProgress)
CONTACTS_WITH = list(ContactWith)
SUPPORT_KINDS = list(SUPPORT_KIND_LABELS)
ESCALATION_KINDS = (ConcernKind.DROPOUT, ConcernKind.VIOLENCE, ConcernKind.CRISIS, ConcernKind.OTHER)
ESCALATION_SERVICES = {ConcernKind.VIOLENCE: ServiceKind.WOMENS_UNION, ConcernKind.CRISIS: ServiceKind.HOTLINE,
                       ConcernKind.OTHER: ServiceKind.POLICE}


class _Values:
    """Attribute access to a screening's values, for compute_risk."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


def _weighted_order(rng: random.Random, items: list, weights: list[float]) -> list:
    """`items` in a random order where heavier items tend to come first (weighted sampling without
    replacement, Efraimidis–Spirakis keys)."""
    keyed = sorted(((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _key, i in keyed]


# --- emulation and reports, through the app's services ------------------------------------------------

# The columns the services fill with the real clock, and how to find a school's rows cheaply.
RESTAMP = {
    "emulation_settings": ("school", ("created_at", "updated_at")),
    "emulation_criteria": ("school", ("created_at", "updated_at")),
    "evaluations": ("school", ("created_at", "updated_at", "published_at", "locked_at")),
    "evaluation_contests": ("school", ("created_at", "answered_at")),
    "semester_reports": ("school", ("created_at", "updated_at", "submitted_at", "edited_at")),
    "evaluation_scores": ("new", ("scored_at",)),
    "evaluation_adjustments": ("new", ("created_at",)),
    "evaluation_locks": ("new", ("at",)),
    "audit_log": ("new", ("at",)),
}


def restamp(school_id: int, first_new: dict[str, int], spans: list[tuple[datetime, datetime, datetime]]) -> None:
    """Date what the services wrote at the story's moments instead of the real clock: a value stamped
    between the start and end of an action (a span) becomes that action's moment. One UPDATE per table,
    all its timestamp columns at once (a Core UPDATE would otherwise stamp `updated_at` again through its
    onupdate). The services read none of these timestamps, so this waits until the school's services are
    done."""
    if not spans:
        return
    tables = db.metadata.tables
    first, last = spans[0][0], spans[-1][1]
    for name, (how, columns) in RESTAMP.items():
        table = tables[name]
        scope = table.c.school_id == school_id if how == "school" else table.c.id >= first_new[name]
        values = {}
        for column in columns:
            col = table.c[column]
            values[column] = sql_case(*[(col.between(began, ended), literal(moment, type_=col.type))
                                        for began, ended, moment in spans], else_=col)
        touched = or_(*[table.c[column].between(first, last) for column in columns])
        db.session.execute(update(table).where(scope, touched).values(values))
    db.session.expire_all()


class Services:
    """One school's emulation scoring and twice-yearly reports, in the order they happened."""

    def __init__(self, builder: SchoolBuilder):
        self.b = builder
        self.today = builder.today
        self.rng = builder.rng("services")
        self.school = db.session.get(School, builder.school_id)
        self.union = db.session.get(User, builder.accounts["union"].id)
        self.leader = db.session.get(User, builder.leader.id)

    def run(self) -> None:
        """Each action in date order; what it wrote is then dated on its day (see `restamp`)."""
        tables = db.metadata.tables
        first_new = {name: (db.session.scalar(select(func.max(tables[name].c.id))) or 0) + 1
                     for name, (how, _cols) in RESTAMP.items() if how == "new"}
        actions: list[tuple[datetime, int, Callable[[], None]]] = []
        for y in self.b.years:
            year = db.session.get(SchoolYear, y.id)
            actions += self.emulation(year, y)
            actions += self.reports(year, y)
        spans = []
        for moment, _order, action in sorted(actions, key=lambda a: (a[0], a[1])):
            began = datetime.now(UTC)
            action()
            db.session.flush()
            spans.append((began, datetime.now(UTC), moment))
        restamp(self.b.school_id, first_new, spans)

    # emulation (thi đua)

    def emulation(self, year: SchoolYear, y: Year) -> list:
        """The union scores and publishes every month whose notes fell due (four days after the due day)
        and each semester once over; leadership locks past semesters and past years; one contest a
        complete year, answered."""
        today, order = self.today, 1
        rubric_day = y.start_date + timedelta(days=7)
        if rubric_day > today:
            return []
        actions = [(_moment(rubric_day, 8), 0, lambda: ensure_rubric(year))]
        first_month_key = None
        for month in year_months(year):
            day = note_due(month, y.note_day) + timedelta(days=4)
            if day > today:
                continue
            key = emulation_results.month_key(month)
            actions.append((_moment(day, 9), order, functools.partial(self.score, year, key, day, "month")))
            order += 1
            if first_month_key is None and not y.is_current and month >= y.screening_start:
                first_month_key = key
                contest_day = day + timedelta(days=1)
                actions.append((_moment(contest_day, 20), order, functools.partial(
                    self.contest, year, key, contest_day)))
                order += 1
        for term in (1, 2):
            end = emulation_results.semester_bounds(year, term)[1]
            last_month = emulation_results.semester_months(year, term)[-1]  # January's notes fall due after 15/1
            day = max(end + timedelta(days=3), note_due(last_month, y.note_day) + timedelta(days=5))
            if day > today:
                continue
            key = emulation_results.semester_key(term)
            actions.append((_moment(day, 9), order, functools.partial(self.score, year, key, day, "semester")))
            if day + timedelta(days=2) <= today:
                actions.append((_moment(day + timedelta(days=2), 15), order + 1,
                                functools.partial(self.lock, year, key, day + timedelta(days=2))))
            order += 2
        year_day = y.end_date + timedelta(days=10)
        if year_day <= today:
            actions.append((_moment(year_day, 15), order, functools.partial(self.lock, year, "year", year_day)))
        return actions

    def score(self, year: SchoolYear, key: str, day: date, scope: str) -> None:
        """The union's sheet: the manual criteria scored for everyone on it, a few bonuses and penalties
        with evidence, then published. The sheet (who is on it) is the app's; the scores and adjustments
        are written as emulation.services.save_scores and add_adjustment write them, in one statement each
        (those services recompute the whole sheet for every call)."""
        result = emulation_results.sheet(year, key, day)
        if not result["rows"]:
            return  # nobody had a note due (the first months of the campaign's first year)
        rng = self.rng
        at = _moment(day, 9)
        comments = demo_emulation.MONTH_COMMENTS if scope == "month" else demo_emulation.SEMESTER_COMMENTS
        manual = [c for c in result["criteria"] if c["source"] == CriterionSource.MANUAL]
        evaluation = emulation_services.get_or_create(year, key)
        scores = [{"evaluation_id": evaluation.id, "user_id": row["user_id"], "criterion_id": c["id"],
                   "points": float(min(c["max"], max(0, c["max"] - rng.choice((0, 0, 0, 1, 1, 2, 3))))),
                   "comment": rng.choice(comments), "scored_by_id": self.union.id, "scored_at": at}
                  for row in result["rows"] for c in manual]
        if scores:
            db.session.execute(insert(EvaluationScore.__table__), scores)
            audit_record("emulation_scored", evaluation, user=self.union, key=key, cells=len(scores))
        bonuses = [c for c in result.get("items", []) if c["source"] == CriterionSource.BONUS]
        penalties = [c for c in result.get("items", []) if c["source"] == CriterionSource.PENALTY]
        for row in result["rows"]:
            draw = rng.random()
            item = rng.choice(bonuses) if bonuses and draw < 0.04 else \
                rng.choice(penalties) if penalties and draw > 0.99 else None
            if item is None:
                continue
            bonus = item["source"] == CriterionSource.BONUS
            template = demo_emulation.BONUS_EVIDENCE if bonus else demo_emulation.PENALTY_EVIDENCE
            adjustment = EvaluationAdjustment(
                evaluation_id=evaluation.id, user_id=row["user_id"], criterion_id=item["id"],
                points=float(rng.randint(1, int(item["max"]))) if bonus else 1.0, created_by_id=self.union.id,
                evidence=rng.choice(template).format(d=day.strftime("%d/%m/%Y")))
            db.session.add(adjustment)
            db.session.flush()
            audit_record("emulation_adjustment_added", adjustment, user=self.union, school_id=year.school_id,
                         key=key, staff_id=row["user_id"], points=adjustment.points, kind=CriterionSource(item["source"]).value)
        emulation_services.publish(year, key, by=self.union, today=day)

    def contest(self, year: SchoolYear, key: str, day: date) -> None:
        """A mentor contests a month's score the day after it is published; the union answers."""
        evaluation = emulation_results.evaluations_of(year).get(key)
        if evaluation is None:
            return
        result = emulation_results.sheet(year, key, day)
        user = db.session.get(User, result["rows"][0]["user_id"])
        contest = emulation_services.file_contest(
            year, key, None, "Em đã gửi nhận xét đúng hạn nhưng hệ thống ghi muộn vì mất mạng.", by=user, today=day)
        emulation_services.answer_contest(
            contest, False, "Nhận xét được ghi nhận lúc gửi thật sự (sau hạn). Đề nghị thầy/cô gửi sớm hơn.",
            by=self.union)

    def lock(self, year: SchoolYear, key: str, day: date) -> None:
        stored = emulation_results.evaluations_of(year)
        if key != "year" and key not in stored:
            return  # never published (nobody was on it)
        if key == "year" and not all(stored.get(k) is not None and stored[k].status.value == "locked"
                                     for k in ("s1", "s2")):
            return
        emulation_services.lock(year, key, None, by=self.leader, today=day)

    # the twice-yearly reports

    def reports(self, year: SchoolYear, y: Year) -> list:
        """A report submitted two days before its deadline; the current one a draft once it is near."""
        actions = []
        for term, deadline, number in ((1, y.report1_deadline, 19 + y.idx), (2, y.report2_deadline, 45 + y.idx)):
            as_of = deadline - timedelta(days=2)
            if as_of <= self.today:
                actions.append((_moment(as_of, 9), 50 + term, functools.partial(
                    self.submit_report, year, term, as_of, number)))
            elif y.is_current and deadline - timedelta(days=30) <= self.today:
                actions.append((_moment(self.today, 7), 50 + term, functools.partial(
                    self.draft_report, year, term)))
        return actions

    def submit_report(self, year: SchoolYear, term: int, as_of: date, number: int) -> None:
        report = report_services.start_report(year, term, by=self.leader, today=as_of)
        report.as_of, report.report_date = as_of, as_of
        report.number = f"{number}/BC-{self.school.code}"
        report.difficulties, report.proposals = self.rng.choice(demo_reports.DIFFICULTIES), \
            self.rng.choice(demo_reports.PROPOSALS)
        report_services.submit(report, self.school, by=self.leader, today=as_of)
        report.snapshot = dict(report.snapshot, generated_at=_moment(as_of, 9).isoformat(timespec="seconds"))

    def draft_report(self, year: SchoolYear, term: int) -> None:
        report = report_services.start_report(year, term, by=self.leader, today=self.today)
        report.difficulties = self.rng.choice(demo_reports.DIFFICULTIES)


# --- generate --------------------------------------------------------------------------------------

class DatabaseNotEmptyError(click.ClickException, ValueError):
    """The generator only fills an empty database."""


def generate(size: str, *, today: date | None = None, seed: int = 1,
             progress: Callable[[str], None] | None = None) -> dict:
    """Generate `size` ("school", "district" or "tiny") into the app's database, which must be migrated
    and have no school; commit school by school. Returns the row count of every table and "seconds".

    :raises DatabaseNotEmptyError: the database already has schools (a ClickException and a ValueError).
    :raises ValueError: an unknown size.
    """
    if size not in SIZES:
        raise ValueError(f"Unknown size {size!r}: use one of {', '.join(SIZES)}.")
    shape = SIZES[size]
    today = today or local_today()
    if db.session.scalar(select(School.id).limit(1)) is not None:
        raise DatabaseNotEmptyError(
            "The database already has schools: the scale data is generated only into an empty database "
            "(create a new one, or drop this one's data first).")
    started = time.perf_counter()
    password_hash = generate_password_hash(BENCH_PASSWORD)  # once: the same hash for every account
    rows = Rows()
    for number in range(1, shape.schools + 1):
        t0 = time.perf_counter()
        rows.load_ids()
        builder = SchoolBuilder(number, shape, today, seed, password_hash, rows)
        builder.build()
        t1 = time.perf_counter()
        rows.flush()
        builder.finish()
        reset_sequences()
        ta = time.perf_counter()
        refresh_statistics(quick=True)  # statistics that do not know this school mislead the services' queries
        t2 = time.perf_counter()
        Services(builder).run()
        t3 = time.perf_counter()
        db.session.commit()
        db.session.expunge_all()
        if progress is not None:
            progress(f"school {number}/{shape.schools} done ({time.perf_counter() - started:.0f} s: "
                     f"rows {t1 - t0:.1f} s, insert {ta - t1:.1f} s, analyze {t2 - ta:.1f} s, services {t3 - t2:.1f} s)")
    reset_sequences()
    refresh_statistics()
    db.session.commit()
    summary = {table.name: db.session.scalar(select(func.count()).select_from(table))
               for table in db.metadata.sorted_tables}
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def mentor_pairs(today: date | None = None) -> list[tuple[str, int, int]]:
    """(main mentor's username, student id, school year id) of every current mentee whose note of
    today's month is not written yet: the active main mentorings of each school's current year.
    The benchmark's "deadline day" has these mentors write this month's note."""
    from sponsor_app.models import Assignment

    month = month_start(today or local_today())
    written = select(MonthlyNote.id).where(MonthlyNote.student_id == Assignment.student_id,
                                           MonthlyNote.month == month).exists()
    stmt = (select(User.username, Assignment.student_id, Assignment.school_year_id)
            .join(User, User.id == Assignment.mentor_id)
            .join(SchoolYear, SchoolYear.id == Assignment.school_year_id)
            .where(SchoolYear.is_current.is_(True), Assignment.role == MentorRole.MAIN,
                   Assignment.ended_on.is_(None), ~written)
            .order_by(User.username, Assignment.student_id))
    return [tuple(row) for row in db.session.execute(stmt)]


# --- command line ----------------------------------------------------------------------------------

def _parse_today(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date dd/mm/yyyy") from None


def _migrate() -> None:
    """Bring the schema to the latest migration (nothing to do when it is there already). A schema made
    by create_all (no alembic_version, as in the tests) is used as it is."""
    from flask_migrate import upgrade

    tables = set(inspect(db.engine).get_table_names())
    if "schools" in tables and "alembic_version" not in tables:
        return
    upgrade(directory=str(PROJECT_ROOT / "migrations"))


@click.command()
@click.option("--size", type=click.Choice(list(SIZES)), required=True,
              help="school: 1 school; district: 60 schools; tiny: 2 small schools (tests).")
@click.option("--db-url", help="SQLAlchemy URL of an empty database (default: DATABASE_URL or the instance "
                               "SQLite file).")
@click.option("--today", callback=_parse_today, metavar="DD/MM/YYYY",
              help="The day the data is generated up to (default: today in Vietnam).")
@click.option("--seed", default=1, show_default=True, type=int, help="The same seed gives the same data.")
def main(size: str, db_url: str | None, today: date | None, seed: int) -> None:
    """Generate the benchmarks' scale data into an empty database (migrated first when needed).

    Every account has the password "bench": never into a database that real people use.
    """
    from sponsor_app import create_app

    env = os.environ.get("SPONSOR_ENV") or "development"
    if env == "production":
        raise click.ClickException("SPONSOR_ENV=production: the scale data (every password 'bench') is not "
                                   "generated into a production database.")
    app = create_app(env, {"SQLALCHEMY_DATABASE_URI": db_url} if db_url else None)
    with app.app_context():
        _migrate()
        summary = generate(size, today=today, seed=seed, progress=lambda line: click.echo(line, err=True))
        url = db.engine.url.render_as_string(hide_password=True)
    seconds = summary.pop("seconds")
    click.echo(f"Generated size {size!r} into {url} in {seconds:.1f} s (seed {seed}, today "
               f"{(today or local_today()):%d/%m/%Y}); password of every account: {BENCH_PASSWORD!r}.")
    width = max(len(name) for name in summary)
    for name, count in summary.items():
        if count:
            click.echo(f"  {name.ljust(width)}  {count:>10,}")
    click.echo(f"  {'total rows'.ljust(width)}  {sum(summary.values()):>10,}")


if __name__ == "__main__":
    sys.exit(main())
