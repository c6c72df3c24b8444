"""The demo school: `flask seed-demo`, and the builder the tests and browser journeys call.

An invented upper-secondary school (the school, province, communes, villages and every person
are made up) with two school years derived from "today": the last complete year in full and
the current year up to today. Nothing is dated after today. Every account has the password
``demo`` (config ``DEMO_PASSWORD``), so a tester can log in as anyone.

How it is built
---------------
``build_demo_school(today, seed)`` makes a :class:`Demo` and runs the functions of ``STEPS`` in
order. A step is ``step(demo, rng) -> None``: it adds rows to the session (and may flush),
records what later steps need on ``demo``, and never commits (the command commits once).
Each step gets its own ``random.Random`` derived from the seed and the step's name, so a new
step does not shift the random draws of the existing ones: adding a step leaves the names and
dates the earlier steps made unchanged (and the same seed always gives the same school).

How to extend it (screening, pledges, assignments, support plans, notes, scores, ...)
-------------------------------------------------------------------------------------
1. Write one function per part of the campaign year, e.g. ``add_pledges(demo, rng)``, that
   fills the previous year (``demo.previous``, complete) in full and the current year
   (``demo.current``) only up to ``demo.today``. Take every date from ``demo.random_date(rng,
   start, end)``, which clips to today and returns None when the window has not opened yet
   (then create nothing for that year).
2. Append it to ``STEPS`` in calendar order: pledges (before 20/11), screening (December),
   assignments (by 30/12), support plans, monthly notes (by the 25th), semester review,
   reports (30/12, 25/5), year-end review. ``demo.accounts`` holds the demo users by
   username; ``demo.classes[year.id]`` the classes by name; ``demo.enrolled[year.id]`` the
   (student, class) pairs of a year; ``demo.staff`` everyone on staff.
3. Add its counts and its "nothing after today" check to ``tests/test_seed.py``, and what the
   demo users should now see to the journeys in ``tests/e2e/``.

What the browser journeys can count on (whatever the day): ``teacher`` leaves this year's pledge
open; once the current year has a mentee, ``demo.note_journey_mentor`` (a member of the
``depthead``'s department, not ``depthead``, ``admin`` or ``teacher``) mentors
``demo.note_journey_student``, assigned before today, whose note of this month is not written yet.
Escalations go to leadership and the social-work focal point, the ``leader`` account.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .admin.services import default_calendar, save_year, suggest_username
from .assignments import services as assignment_services
from .audit import record as audit_record
from .emulation.demo import add_emulation
from .extensions import db
from .labels import SUPPORT_KIND_LABELS
from .models import (
    ROLE_ORDER,
    Assignment,
    ClassGroup,
    ClassTeacher,
    ConcernKind,
    ContactWith,
    Decision,
    Department,
    Domain,
    Enrollment,
    Escalation,
    EscalationStatus,
    EscalationUpdate,
    Holiday,
    Horizon,
    MentorRole,
    MonthlyNote,
    NoteContact,
    NoteContactMethod,
    NoteContribution,
    NoteReview,
    NoteRevision,
    NoteStatus,
    NoteSupport,
    NoteTarget,
    PlanGoal,
    PlanStatus,
    Pledge,
    Rating,
    Referral,
    ReferralService,
    ReferralStatus,
    ReviewStatus,
    RiskLevel,
    Role,
    School,
    SchoolYear,
    Screening,
    ScreeningContact,
    ServiceKind,
    Student,
    StudentStatus,
    SupportPlan,
    TargetProgress,
    Trend,
    User,
)
from .progress.calendar import (
    add_months,
    add_working_hours,
    campaign_months,
    is_locked,
    is_on_time,
    lock_day,
    month_start,
    note_due,
)
from .reports.demo import add_semester_reports
from .screening import services as screening_services
from .timeutil import SCHOOL_TZ, local_today, parse_date, utcnow

DEFAULT_SEED = 2026
SCHOOL_NAME = "Trường THPT Hòa Bình"
GRADES = (10, 11, 12)
CLASSES_PER_GRADE = 5

# The demo logins, in the order they are printed: username → (roles, what the account is).
DEMO_ACCOUNTS: dict[str, tuple[tuple[Role, ...], str]] = {
    "admin": ((Role.ADMIN, Role.TEACHER), "quản trị (giáo viên Tin học)"),
    "leader": ((Role.LEADER, Role.TEACHER), "Hiệu trưởng, đầu mối công tác xã hội"),
    "depthead": ((Role.DEPT_HEAD, Role.TEACHER), "Tổ trưởng tổ Toán"),
    "union": ((Role.UNION, Role.TEACHER), "Chủ tịch Công đoàn"),
    "teacher": ((Role.TEACHER,), "giáo viên, không chủ nhiệm"),
    "homeroom": ((Role.TEACHER,), "GVCN lớp 10A1"),
}
HOMEROOM_CLASS = "10A1"  # the class the `homeroom` account has in the current year

# --- invented name material ------------------------------------------------------------

KINH_FAMILIES = {
    "Nguyễn": 30, "Trần": 10, "Lê": 9, "Phạm": 7, "Hoàng": 5, "Huỳnh": 5, "Phan": 4, "Vũ": 4, "Võ": 4,
    "Đặng": 3, "Bùi": 3, "Đỗ": 3, "Hồ": 3, "Ngô": 2, "Dương": 2, "Đinh": 2, "Trương": 2, "Lý": 1,
    "Lương": 1, "Mai": 1, "Cao": 1, "Đoàn": 1, "Tô": 1, "Hà": 1, "Lâm": 1,
}
MIDDLE = {
    "Nam": ("Văn", "Hữu", "Đức", "Quang", "Minh", "Công", "Thành", "Gia", "Anh", "Bảo", "Đình", "Xuân",
            "Trọng", "Nhật", "Tuấn", "Hoàng"),
    "Nữ": ("Thị", "Thị", "Ngọc", "Thu", "Kim", "Thanh", "Mỹ", "Khánh", "Bảo", "Phương", "Hồng", "Thùy",
           "Diệu", "Hoài", "Minh", "Ánh"),
}
GIVEN = {
    "Nam": ("An", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hiếu", "Hùng", "Huy", "Khang", "Khoa",
            "Long", "Minh", "Nam", "Nghĩa", "Phát", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng",
            "Thịnh", "Tuấn", "Việt", "Vinh", "Vũ", "Bảo", "Duy", "Kiên", "Lộc", "Nhân", "Trí", "Toàn"),
    "Nữ": ("Anh", "Ánh", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hân", "Hằng", "Hoa", "Hương", "Lan",
           "Linh", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhi", "Oanh", "Phương", "Quỳnh", "Thảo", "Thư",
           "Trang", "Trâm", "Uyên", "Vy", "Yến", "Châu", "Đào"),
}
# Ê Đê names in the short form class lists use: "Y Khang" (male), "H' Mai" (female).
EDE_GIVEN = {
    "Nam": ("Khang", "Tuấn", "Hùng", "Tài", "Blim", "Moan", "Kuăn", "Nuê", "Thịnh", "Bhin", "Sơn"),
    "Nữ": ("Mai", "Bia", "Hen", "Ra", "Loan", "Nhi", "Ly", "Yơn", "Đa", "Hiên", "Lê"),
}
GIA_RAI_FAMILIES = ("Rơ Châm", "Ksor", "Siu", "Rơ Lan", "Puih", "Nay")
TAY_FAMILIES = ("Hoàng", "Nông", "Lương", "Ma", "Triệu", "Bế", "Hà", "Vi")
NUNG_FAMILIES = ("Nông", "Hoàng", "Lý", "Vi", "Lăng", "Chu", "Triệu", "Mã")

ETHNICITIES = {"Kinh": 72, "Ê Đê": 8, "M'Nông": 7, "Tày": 5, "Nùng": 4, "Gia Rai": 4}

# Invented communes: (commune, how its villages are written, far from school).
COMMUNES = {
    "Phường Hòa Bình": ("Tổ dân phố {n}", False),
    "Xã Hòa Bình Tây": ("Thôn {n}", False),
    "Xã Thuận Nghĩa": ("Thôn {n}", False),
    "Xã Đắk Mây": ("Thôn {n}", True),
    "Xã Ea Lang": ("Buôn {v}", True),
    "Xã Nâm Rơ": ("Bon {v}", True),
    "Xã Cư Pang": ("Plei {v}", True),
}
VILLAGES = {"Xã Ea Lang": ("Ea Lang", "Kmrơng", "Cư Bông", "Ea Ktur"),
            "Xã Nâm Rơ": ("Bu Rơ", "Nâm Rơ", "Bu Đăk", "Đăk Rô"),
            "Xã Cư Pang": ("Pang", "Ia Krêl", "Ia Bông", "Chư Lang")}
HOME_COMMUNES = {  # where students of each ethnicity mostly live
    "Kinh": ("Phường Hòa Bình", "Phường Hòa Bình", "Xã Hòa Bình Tây", "Xã Thuận Nghĩa", "Xã Đắk Mây"),
    "Ê Đê": ("Xã Ea Lang", "Xã Ea Lang", "Xã Hòa Bình Tây"),
    "M'Nông": ("Xã Nâm Rơ", "Xã Nâm Rơ", "Xã Đắk Mây"),
    "Gia Rai": ("Xã Cư Pang",),
    "Tày": ("Xã Đắk Mây", "Xã Thuận Nghĩa"),
    "Nùng": ("Xã Đắk Mây", "Xã Thuận Nghĩa"),
}

DROPOUT_NOTES = ("Nghỉ học đi làm thuê cùng gia đình", "Nghỉ học vì hoàn cảnh gia đình khó khăn",
                 "Nghỉ học do học lực yếu, chán học", "Nghỉ học ở nhà phụ giúp gia đình làm rẫy")
TRANSFER_NOTES = ("Chuyển trường theo gia đình đến tỉnh khác", "Chuyển đến trường THPT gần nhà hơn")

# Departments: code → (name, [(subject, number of teachers incl. the special accounts)]).
DEPARTMENTS = {
    "TOAN": ("Toán", [("Toán", 8), ("Tin học", 2)]),
    "VAN": ("Ngữ văn", [("Ngữ văn", 5), ("Lịch sử", 2), ("Địa lí", 2), ("GD kinh tế và pháp luật", 1)]),
    "NN": ("Ngoại ngữ", [("Tiếng Anh", 7)]),
    "KHTN": ("Khoa học tự nhiên", [("Vật lí", 3), ("Hóa học", 3), ("Sinh học", 3), ("Công nghệ", 1)]),
}
OFFICE_POSITIONS = ("Kế toán", "Văn thư", "Nhân viên thư viện, thiết bị")


@dataclass
class Demo:
    """The demo school being built, and what the steps hand on to each other."""

    today: date
    seed: int
    password_hash: str
    # The demo's clock: the real instant when it is built for today in Vietnam, else the end of
    # `today`. Nothing is stamped later (a demo built at 02:00 has no note sent at 09:00 today).
    now: datetime
    school: School | None = None
    previous: SchoolYear | None = None
    current: SchoolYear | None = None
    departments: dict[str, Department] = field(default_factory=dict)
    staff: list[User] = field(default_factory=list)
    accounts: dict[str, User] = field(default_factory=dict)  # demo username → user
    classes: dict[int, dict[str, ClassGroup]] = field(default_factory=dict)  # year id → name → class
    enrolled: dict[int, list[tuple[Student, ClassGroup]]] = field(default_factory=dict)  # year id → rows
    students: list[Student] = field(default_factory=list)
    # The browser journeys' mentor: a member of the `depthead`'s department (not `depthead`, `admin` or
    # `teacher`) who is the main mentor of a current-year mentee whose note of this month is not written
    # yet (None when the current year has no mentee yet).
    note_journey_mentor: str | None = None  # username
    note_journey_student: int | None = None  # student id
    notes: dict[int, list[MonthlyNote]] = field(default_factory=dict)  # year id → the notes written
    escalations: list[Escalation] = field(default_factory=list)
    # The emulation journey: the previous year's last month is a draft the union scores, and
    # `emulation_mentor` (a username) is on it and may contest it once it is published.
    emulation_year_id: int | None = None
    emulation_month: str | None = None  # "YYYY-MM"
    emulation_mentor: str | None = None
    _codes: dict[int, int] = field(default_factory=dict)
    _moet_ids: set[str] = field(default_factory=set)

    @property
    def years(self) -> list[SchoolYear]:
        return [self.previous, self.current]

    def no_later(self, moment: datetime) -> datetime:
        """`moment`, or the demo's now when `moment` would be after it."""
        return min(moment, self.now)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """`hour:minute` on `day` in Vietnam, never later than the demo's now."""
        return self.no_later(datetime(day.year, day.month, day.day, hour, minute, tzinfo=SCHOOL_TZ))

    def moment(self, rng: random.Random, day: date, first: int = 7, last: int = 21) -> datetime:
        """A random minute between `first`:00 and `last`:59 on `day`, never later than the demo's now."""
        return self.at(day, rng.randint(first, last), rng.randrange(60))

    def random_date(self, rng: random.Random, start: date, end: date) -> date | None:
        """A random day in [start, min(end, today)], or None when that window is empty."""
        end = min(end, self.today)
        if end < start:
            return None
        return start + timedelta(days=rng.randint(0, (end - start).days))

    def new_student_code(self, intake_year: int) -> str:
        """HS + the year the student entered grade 10 + a 4-digit number."""
        self._codes[intake_year] = self._codes.get(intake_year, 0) + 1
        return f"HS{intake_year}{self._codes[intake_year]:04d}"

    def new_moet_id(self, rng: random.Random) -> str:
        """A 10-digit identifier as text (leading zeros kept), unique within the demo."""
        while True:
            value = f"{rng.randrange(10**10):010d}"
            if value not in self._moet_ids:
                self._moet_ids.add(value)
                return value


def school_year_firsts(today: date) -> tuple[int, int]:
    """(first calendar year of the last complete school year, of the current one).

    The current school year contains today; from August the new year counts as current.
    """
    current = today.year if today.month >= 8 else today.year - 1
    return current - 1, current


# --- names -----------------------------------------------------------------------------

def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def person_name(rng: random.Random, gender: str, ethnicity: str = "Kinh",
                family: str | None = None) -> tuple[str, str, str]:
    """An invented (family, middle, given) name in the style of `ethnicity`."""
    given = rng.choice(GIVEN[gender])
    if ethnicity == "Ê Đê":
        return ("Y" if gender == "Nam" else "H'"), "", rng.choice(EDE_GIVEN[gender])
    if ethnicity == "M'Nông":
        if gender == "Nam":
            return "Điểu", rng.choice(("", "", "Văn", "Minh")), given
        return "Thị", "", given
    if ethnicity == "Gia Rai":
        return family or rng.choice(GIA_RAI_FAMILIES), rng.choice(("",) + MIDDLE[gender][:6]), given
    if ethnicity == "Tày":
        family = family or rng.choice(TAY_FAMILIES)
    elif ethnicity == "Nùng":
        family = family or rng.choice(NUNG_FAMILIES)
    return family or _weighted(rng, KINH_FAMILIES), rng.choice(MIDDLE[gender]), given


def joined(parts: tuple[str, str, str]) -> str:
    return " ".join(p for p in parts if p)


def phone_number(rng: random.Random) -> str:
    return rng.choice(("09", "08", "03", "07")) + f"{rng.randrange(10**8):08d}"


# --- steps: the school and its years ---------------------------------------------------

def add_school(demo: Demo, rng: random.Random) -> None:
    demo.school = School(
        name=SCHOOL_NAME,
        code="DEMO-THPT-HB",
        governing_body="SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH ĐÔNG NGUYÊN",
        place_name="Hòa Bình",
        address="Tổ dân phố 1, phường Hòa Bình, tỉnh Đông Nguyên",
        phone="0262" + f"{rng.randrange(10**6):06d}",
    )
    db.session.add(demo.school)
    db.session.flush()


def add_years(demo: Demo, rng: random.Random) -> None:
    """The last complete school year and the current one (the one containing today).

    Through the admin service, so whatever a school year gets when an admin creates one, the demo gets.
    """
    previous_first, current_first = school_year_firsts(demo.today)
    demo.previous = save_year(None, demo.school, default_calendar(previous_first))
    demo.current = save_year(None, demo.school, default_calendar(current_first), make_current=True)


def add_departments(demo: Demo, rng: random.Random) -> None:
    for code, (name, _subjects) in DEPARTMENTS.items():
        demo.departments[code] = Department(school_id=demo.school.id, code=code, name=name)
    db.session.add_all(demo.departments.values())
    db.session.flush()


# --- steps: staff ----------------------------------------------------------------------

@dataclass
class _StaffPlan:
    department: str | None
    subject: str | None
    position: str
    roles: tuple[Role, ...] = (Role.TEACHER,)
    username: str | None = None  # a demo login; others get suggest_username()
    head: bool = False  # head of `department`


def _staff_plans() -> list[_StaffPlan]:
    """40 staff: leaders and department heads, the demo accounts, teachers and the office."""
    special = {  # (department, subject) → the plans that take one of its teacher slots
        ("VAN", "Ngữ văn"): [_StaffPlan("VAN", "Ngữ văn", "Hiệu trưởng", (Role.LEADER, Role.TEACHER), "leader"),
                             _StaffPlan("VAN", "Ngữ văn", "Tổ trưởng", (Role.DEPT_HEAD, Role.TEACHER), head=True),
                             _StaffPlan("VAN", "Ngữ văn", "Giáo viên", username="homeroom")],
        ("KHTN", "Vật lí"): [_StaffPlan("KHTN", "Vật lí", "Phó Hiệu trưởng", (Role.LEADER, Role.TEACHER)),
                             _StaffPlan("KHTN", "Vật lí", "Tổ trưởng", (Role.DEPT_HEAD, Role.TEACHER), head=True)],
        ("KHTN", "Hóa học"): [_StaffPlan("KHTN", "Hóa học", "Giáo viên", username="teacher")],
        ("TOAN", "Toán"): [_StaffPlan("TOAN", "Toán", "Tổ trưởng", (Role.DEPT_HEAD, Role.TEACHER), "depthead",
                                      head=True)],
        ("TOAN", "Tin học"): [_StaffPlan("TOAN", "Tin học", "Giáo viên", (Role.ADMIN, Role.TEACHER), "admin")],
        ("NN", "Tiếng Anh"): [
            _StaffPlan("NN", "Tiếng Anh", "Tổ trưởng", (Role.DEPT_HEAD, Role.TEACHER), head=True),
            _StaffPlan("NN", "Tiếng Anh", "Giáo viên, Chủ tịch Công đoàn", (Role.UNION, Role.TEACHER), "union"),
        ],
        ("KHTN", "Sinh học"): [_StaffPlan("KHTN", "Sinh học", "Giáo viên, Phó Chủ tịch Công đoàn",
                                          (Role.UNION, Role.TEACHER))],
    }
    plans = []
    for code, (_name, subjects) in DEPARTMENTS.items():
        for subject, n in subjects:
            chosen = special.get((code, subject), [])
            plans.extend(chosen)
            plans.extend(_StaffPlan(code, subject, "Giáo viên") for _ in range(n - len(chosen)))
    plans.extend(_StaffPlan(None, None, position) for position in OFFICE_POSITIONS)
    return plans


# A few staff carry ethnic-minority names, as in the schools' own lists.
STAFF_ETHNICITIES = ("Ê Đê", "Ê Đê", "Gia Rai", "M'Nông", "Tày", "Nùng")


def add_staff(demo: Demo, rng: random.Random) -> None:
    """40 staff with invented names; demo logins keep their fixed usernames, others get suggested ones."""
    plans = _staff_plans()
    ethnic = dict(zip(rng.sample(range(len(plans)), len(STAFF_ETHNICITIES)), STAFF_ETHNICITIES, strict=True))
    taken = set(DEMO_ACCOUNTS)
    names: set[str] = set()
    heads: dict[str, User] = {}
    for i, plan in enumerate(plans):
        gender = rng.choice(("Nam", "Nữ", "Nữ"))  # most teachers are women
        while True:
            full_name = joined(person_name(rng, gender, ethnic.get(i, "Kinh")))
            if full_name not in names:
                names.add(full_name)
                break
        username = plan.username or suggest_username(full_name, taken)
        taken.add(username)
        birth_year = rng.randint(demo.today.year - 56, demo.today.year - 25)
        user = User(
            school_id=demo.school.id,
            username=username,
            password_hash=demo.password_hash,
            gender=gender,
            date_of_birth=date(birth_year, 1, 1) + timedelta(days=rng.randint(0, 364)),
            position=plan.position,
            subject=plan.subject,
            phone=phone_number(rng),
            department_id=demo.departments[plan.department].id if plan.department else None,
        )
        user.set_full_name(full_name)
        user.set_roles(plan.roles)
        db.session.add(user)
        demo.staff.append(user)
        if plan.username:
            demo.accounts[plan.username] = user
        if plan.head:
            heads[plan.department] = user
        if plan.position == "Hiệu trưởng":
            demo.school.principal_name = full_name
    db.session.flush()
    for code, head in heads.items():  # after the flush: departments and users refer to each other
        demo.departments[code].head_id = head.id


# --- steps: classes and students -------------------------------------------------------

def add_classes(demo: Demo, rng: random.Random) -> None:
    """15 classes a year (10A1–12A5), each with its own homeroom teacher.

    A homeroom teacher follows the class up (10A1 → 11A1); the teachers whose class has
    graduated take the new grade 10. The `homeroom` account has 10A1 this year; the leaders,
    `admin`, `depthead`, `union` and `teacher` have no class.
    """
    no_class = {u for u in demo.staff if u.department_id is None or u.has_role(Role.LEADER)}
    no_class |= {demo.accounts[name] for name in ("admin", "depthead", "union", "teacher", "homeroom")}
    candidates = [u for u in demo.staff if u not in no_class]
    names = [f"{grade}A{n}" for grade in GRADES for n in range(1, CLASSES_PER_GRADE + 1)]
    chosen = rng.sample(candidates, len(names) - 1)
    # Last year: 12A1 was the `homeroom` teacher's class, so this year they start again with 10A1.
    previous_teachers = dict(zip([n for n in names if n != "12A1"], chosen, strict=True))
    previous_teachers["12A1"] = demo.accounts["homeroom"]
    current_teachers = {}
    for name in names:
        grade, rest = int(name[:2]), name[2:]
        source = f"{grade - 1}{rest}" if grade > 10 else f"12{rest}"
        current_teachers[name] = previous_teachers[source]
    for year, teachers in ((demo.previous, previous_teachers), (demo.current, current_teachers)):
        demo.classes[year.id] = {
            name: ClassGroup(school_id=demo.school.id, school_year_id=year.id, name=name, grade=int(name[:2]),
                             homeroom_teacher=teachers[name])
            for name in names
        }
        demo.enrolled[year.id] = []
        db.session.add_all(demo.classes[year.id].values())
    db.session.flush()


def _new_student(demo: Demo, rng: random.Random, intake_year: int) -> Student:
    """An invented student who entered grade 10 in September of `intake_year`."""
    gender = rng.choice(("Nam", "Nữ"))
    ethnicity = _weighted(rng, ETHNICITIES)
    family, middle, given = person_name(rng, gender, ethnicity)
    birth_year = intake_year - 15 - (1 if rng.random() < 0.04 else 0)  # a few started school late
    commune = rng.choice(HOME_COMMUNES[ethnicity])
    village_pattern, far = COMMUNES[commune]
    village = village_pattern.format(n=rng.randint(1, 12), v=rng.choice(VILLAGES.get(commune, ("",))))
    minority = ethnicity != "Kinh"
    poor_chance, near_poor_chance = (0.22, 0.12) if minority and far else (0.04, 0.05)
    roll = rng.random()
    policy = ("Hộ nghèo" if roll < poor_chance else "Hộ cận nghèo" if roll < poor_chance + near_poor_chance
              else "Con thương binh" if roll > 0.985 else None)

    # Parents: Kinh, Tày, Nùng and Gia Rai children take the father's family name in these lists.
    father_family = None if ethnicity in ("Ê Đê", "M'Nông") else family
    father = joined(person_name(rng, "Nam", ethnicity, family=father_family))
    mother = joined(person_name(rng, "Nữ", ethnicity if minority else "Kinh"))
    guardian = None
    family_roll = rng.random()
    if family_roll < 0.06:
        father = None  # raised by the mother
    elif family_roll < 0.085:
        father = mother = None  # raised by a grandparent
        guardian = joined(person_name(rng, rng.choice(("Nam", "Nữ")), ethnicity))

    student = Student(
        school_id=demo.school.id,
        code=demo.new_student_code(intake_year),
        moet_id=demo.new_moet_id(rng),
        date_of_birth=date(birth_year, 1, 1) + timedelta(days=rng.randint(0, 364)),
        gender=gender,
        ethnicity=ethnicity,
        commune=commune,
        address=f"{village}, {commune[0].lower()}{commune[1:]}",
        father_name=father,
        mother_name=mother,
        guardian_name=guardian,
        guardian_phone=phone_number(rng),
        policy=policy,
        disability="Khuyết tật vận động nhẹ" if rng.random() < 0.005 else None,
        boarding="Bán trú" if rng.random() < (0.35 if far else 0.03) else None,
        status=StudentStatus.ENROLLED,
    )
    student.set_name(family, middle, given)
    db.session.add(student)
    demo.students.append(student)
    return student


def _enroll(demo: Demo, student: Student, year: SchoolYear, class_group: ClassGroup) -> None:
    db.session.add(Enrollment(student=student, school_year=year, class_group=class_group))
    demo.enrolled[year.id].append((student, class_group))


def add_previous_year_students(demo: Demo, rng: random.Random) -> None:
    """About 600 students in last year's 15 classes (grade 12 entered two years before grade 10)."""
    year = demo.previous
    for class_group in demo.classes[year.id].values():
        intake_year = year.first_year - (class_group.grade - 10)
        for _ in range(rng.randint(39, 42)):
            _enroll(demo, _new_student(demo, rng, intake_year), year, class_group)
    db.session.flush()


def _leave(demo: Demo, rng: random.Random, year: SchoolYear, dropouts: int, transfers: int) -> None:
    """Mark some of `year`'s students as dropped out or transferred, on a day of that year up to today.

    Students from poor or near-poor families and boarders are likelier to drop out.
    """
    rows = [(s, c) for s, c in demo.enrolled[year.id] if s.status == StudentStatus.ENROLLED]
    if not rows:
        return
    weights = [1 + 3 * (s.policy in ("Hộ nghèo", "Hộ cận nghèo")) + (s.boarding is not None) + (c.grade - 10)
               for s, c in rows]
    picked: list[Student] = []
    while len(picked) < min(dropouts + transfers, len(rows)):
        student = rng.choices(rows, weights=weights)[0][0]
        if student not in picked:
            picked.append(student)
    for i, student in enumerate(picked):
        day = demo.random_date(rng, year.start_date + timedelta(days=14), year.end_date)
        if day is None:
            return
        dropped = i < dropouts
        student.status = StudentStatus.DROPPED_OUT if dropped else StudentStatus.TRANSFERRED
        student.status_date = day
        student.status_note = rng.choice(DROPOUT_NOTES if dropped else TRANSFER_NOTES)


def add_previous_year_leavers(demo: Demo, rng: random.Random) -> None:
    _leave(demo, rng, demo.previous, dropouts=5, transfers=2)


def move_up_to_current_year(demo: Demo, rng: random.Random) -> None:
    """Last year's grades 10 and 11 move up a grade (same class letter); grade 12 graduated.

    A few students repeat their grade (lưu ban) and join a class of the same grade.
    """
    current_classes = demo.classes[demo.current.id]
    staying = [(s, c) for s, c in demo.enrolled[demo.previous.id]
               if s.status == StudentStatus.ENROLLED and c.grade < 12]
    repeaters = set(rng.sample([s for s, _ in staying], 3))
    for student, old_class in staying:
        if student in repeaters:
            new_class = current_classes[f"{old_class.grade}A{rng.randint(1, CLASSES_PER_GRADE)}"]
        else:
            new_class = current_classes[f"{old_class.grade + 1}{old_class.name[2:]}"]
        _enroll(demo, student, demo.current, new_class)
    db.session.flush()


def add_current_intake(demo: Demo, rng: random.Random) -> None:
    """The new grade 10 of the current year."""
    year = demo.current
    for class_group in demo.classes[year.id].values():
        if class_group.grade != 10:
            continue
        for _ in range(rng.randint(38, 41)):
            _enroll(demo, _new_student(demo, rng, year.first_year), year, class_group)
    db.session.flush()


def add_current_year_leavers(demo: Demo, rng: random.Random) -> None:
    """Dropouts and transfers of the current year so far (none before the year has started)."""
    elapsed = (demo.today - demo.current.start_date).days
    if elapsed < 30:
        return
    months = min(elapsed // 30, 9)
    _leave(demo, rng, demo.current, dropouts=min(3, 1 + months // 2), transfers=1)


def add_graduates(demo: Demo, rng: random.Random) -> None:
    """Last year's grade 12 still enrolled at the end of the year finished school."""
    end = demo.previous.end_date
    if end > demo.today:
        return
    for student, class_group in demo.enrolled[demo.previous.id]:
        if class_group.grade == 12 and student.status == StudentStatus.ENROLLED:
            student.status, student.status_date = StudentStatus.GRADUATED, end


# --- December screening (rà soát) ----------------------------------------------------------

CIRCUMSTANCE_PHRASES = {
    "poor_household": "Gia đình thuộc hộ nghèo, thu nhập chủ yếu từ làm rẫy",
    "near_poor_household": "Gia đình thuộc hộ cận nghèo, kinh tế bấp bênh",
    "orphan": "Em mồ côi cha, sống với mẹ và ông bà",
    "parents_ill": "Bố mẹ thường xuyên đau ốm, không có khả năng lao động",
    "parents_away": "Bố mẹ đi làm ăn xa, em ở với ông bà",
    "family_breakdown": "Bố mẹ ly hôn, em sống với bà nội",
    "disability": "Em bị khuyết tật nhẹ ở chân, đi lại khó khăn",
    "far_from_school": "Nhà cách trường hơn 10 km, em phải ở trọ",
    "works_for_school": "Em thường phải đi làm thêm để có tiền học",
}
CONDUCT_PHRASES = {
    "Tốt": "Chăm ngoan, có ý thức vượt khó trong học tập",
    "Khá": "Ngoan, có cố gắng nhưng chưa đều",
    "Đạt": "Đôi khi vi phạm nội quy, cần nhắc nhở thường xuyên",
    "Chưa đạt": "Hay bỏ tiết, nghỉ học không phép, chưa chấp hành nội quy",
}
LEARNING_PHRASES = {
    "Tốt": "học lực tốt",
    "Khá": "học lực khá",
    "Đạt": "kết quả học tập ở mức đạt, còn hổng kiến thức một số môn",
    "Chưa đạt": "học lực yếu, nhiều môn chưa đạt",
}
SCREENING_PERSONS = {
    "family": ("mẹ em", "bố em", "bà nội em", "ông ngoại em", "chị gái em"),
    "student": ("em {given}",),
    "relationships": ("bạn cùng lớp", "lớp trưởng", "GV bộ môn Toán", "trưởng thôn", "hàng xóm"),
}


def _screen_values(rng: random.Random, student: Student) -> dict:
    """Circumstance flags, ratings and absences for a student the teachers worry about."""
    flags = set()
    if student.policy == "Hộ nghèo":
        flags.add("poor_household")
    elif student.policy == "Hộ cận nghèo":
        flags.add("near_poor_household")
    if student.ethnicity and student.ethnicity != "Kinh":
        flags.add("ethnic_minority")
    if student.boarding:
        flags.add("far_from_school")
    extra = ["orphan", "parents_ill", "parents_away", "family_breakdown", "works_for_school", "disability",
             "poor_household"]
    flags.update(rng.sample(extra, rng.choice((0, 1, 1, 2))))
    conduct = rng.choices(["Tốt", "Khá", "Đạt", "Chưa đạt"], weights=[3, 4, 4, 2])[0]
    learning = rng.choices(["Tốt", "Khá", "Đạt", "Chưa đạt"], weights=[1, 3, 5, 3])[0]
    absences = rng.choice((0, 2, 4, 6, 9, 12, 16, 20, 25, 31, 35, 47))
    phrases = [CIRCUMSTANCE_PHRASES[f] for f in sorted(flags) if f in CIRCUMSTANCE_PHRASES]
    if "ethnic_minority" in flags:
        phrases.append(f"Em là người dân tộc {student.ethnicity}")
    return {
        **{flag: True for flag in flags},
        "conduct_rating": conduct, "learning_rating": learning, "absences": absences,
        "circumstances_text": "; ".join(phrases) or "Gia đình có hoàn cảnh khó khăn",
        "conduct_text": f"{CONDUCT_PHRASES[conduct]}; {LEARNING_PHRASES[learning]}",
    }


def _screen_year(demo: Demo, rng: random.Random, year: SchoolYear, share: float,
                 start: date, end: date, exclude: frozenset[int] = frozenset()) -> list[Screening]:
    """Screen about `share` of the year's students, proposed between `start` and `end` (clipped to today),
    leaving out the students in `exclude` (already screened this year)."""
    rows = [(s, c) for s, c in demo.enrolled[year.id] if s.id not in exclude and (
            s.status == StudentStatus.ENROLLED or (s.status_date and s.status_date > start))]
    weights = [1 + 4 * (s.policy in ("Hộ nghèo", "Hộ cận nghèo")) + 2 * (s.ethnicity != "Kinh")
               + 2 * bool(s.boarding) + 8 * (s.status == StudentStatus.DROPPED_OUT) for s, _ in rows]
    wanted = min(round(len(rows) * share), len(rows))
    picked: dict[int, tuple[Student, ClassGroup]] = {}
    while len(picked) < wanted:
        student, class_group = rng.choices(rows, weights=weights)[0]
        picked.setdefault(student.id, (student, class_group))
    rules = screening_services.active_rules(year)
    others = [u for u in demo.staff if u.active]
    screenings = []
    for student, class_group in picked.values():
        day = demo.random_date(rng, start, end)
        if day is None:
            continue
        homeroom = class_group.homeroom_teacher
        proposer = homeroom if homeroom and rng.random() < 0.8 else rng.choice(others)
        screening = Screening(school_id=demo.school.id, school_year_id=year.id, student_id=student.id,
                              proposed_by_id=proposer.id, proposed_on=day, **_screen_values(rng, student))
        screening.student, screening.school_year = student, year
        db.session.add(screening)
        screening_services.rescore(screening, rules)
        for channel in rng.sample(["family", "student", "relationships"], rng.randint(1, 3)):
            contact_day = demo.random_date(rng, day, min(day + timedelta(days=10), end)) or day
            person = rng.choice(SCREENING_PERSONS[channel]).format(given=student.given_name)
            method = {"family": rng.choice(["home_visit", "phone", "home_visit"]),
                      "student": "meeting", "relationships": rng.choice(["meeting", "message"])}[channel]
            screening.contacts.append(ScreeningContact(author_id=proposer.id, channel=channel, method=method,
                                                       person=person, contact_date=contact_day))
        screenings.append(screening)
    db.session.flush()
    return screenings


def _decide(demo: Demo, rng: random.Random, screenings: list[Screening], decided_by: date) -> None:
    """Homeroom verification and leadership's decision for the screenings made by `decided_by`."""
    leader = demo.accounts["leader"]
    for screening in screenings:
        when = demo.random_date(rng, screening.proposed_on, decided_by)
        if when is None:
            continue
        moment = demo.at(when, 9)
        screening.verified_at, screening.verified_by_id = moment, screening.proposed_by_id
        needed = screening.risk_level != RiskLevel.LOW or rng.random() < 0.3
        if rng.random() < 0.1:
            continue  # verified, decision still pending
        screening.decided_at, screening.decided_by_id = moment, leader.id
        if needed:
            screening.decision = Decision.APPROVED
        else:
            screening.decision = Decision.NOT_NEEDED
            screening.decision_reason = rng.choice((
                "Gia đình đã ổn định, em đi học đều", "Em đã được hội khuyến học xã hỗ trợ",
                "Kết quả học tập đã tiến bộ, tiếp tục theo dõi"))


def add_screenings(demo: Demo, rng: random.Random) -> None:
    """The December survey: last year in full (about 10% screened, 8% approved), this year so far.

    This year, once it is more than 45 days old, a few early proposals come in before the window
    (marked outside it), those older than a week decided; from 1/12 the survey itself adds its own
    (so on the first days of the window the board already has the early approvals to assign).
    """
    for year in demo.years:
        screening_services.ensure_default_criteria(year)
    previous = demo.previous
    done = _screen_year(demo, rng, previous, 0.10, previous.screening_start, previous.screening_end)
    _decide(demo, rng, done, previous.assignment_deadline)
    current = demo.current
    early: list[Screening] = []
    if (demo.today - current.start_date).days > 45:
        early = _screen_year(demo, rng, current, 0.008, current.start_date + timedelta(days=30),
                             current.screening_start - timedelta(days=1))
        _decide(demo, rng, [s for s in early if s.proposed_on <= demo.today - timedelta(days=7)], demo.today)
    if demo.today >= current.screening_start:
        done = _screen_year(demo, rng, current, 0.10, current.screening_start, current.screening_end,
                            exclude=frozenset(s.student_id for s in early))
        _decide(demo, rng, [s for s in done if s.proposed_on <= demo.today - timedelta(days=5)],
                current.assignment_deadline)


# --- who teaches which class, pledges and assignments ----------------------------------------

def add_class_teachers(demo: Demo, rng: random.Random) -> None:
    """Each class gets its subject teachers (for the mentor suggestions): one per subject."""
    by_subject: dict[str, list[User]] = {}
    for user in demo.staff:
        if user.subject:
            by_subject.setdefault(user.subject, []).append(user)
    for year in demo.years:
        for class_group in demo.classes[year.id].values():
            for subject, teachers in by_subject.items():
                teacher = teachers[(class_group.grade * 7 + int(class_group.name[-1])) % len(teachers)]
                db.session.add(ClassTeacher(class_group_id=class_group.id, user_id=teacher.id, subject=subject))
    db.session.flush()


NOT_PLEDGED = ("teacher",)  # demo accounts that leave the pledge open, so the journeys can make one


def add_pledges(demo: Demo, rng: random.Random) -> None:
    """Most staff pledge in the two weeks before the deadline; a few decline, some forget."""
    for year in demo.years:
        for user in demo.staff:
            if year is demo.current and user.username in NOT_PLEDGED:
                continue
            if user.username not in DEMO_ACCOUNTS and rng.random() < 0.12:
                continue  # has not pledged (the leader sees who)
            day = demo.random_date(rng, year.pledge_deadline - timedelta(days=14), year.pledge_deadline)
            if day is None:
                continue
            willing = user.username in DEMO_ACCOUNTS or rng.random() < 0.9
            db.session.add(Pledge(
                school_id=demo.school.id, school_year_id=year.id, user_id=user.id, willing=willing,
                capacity=(2 if rng.random() < 0.15 else 1) if willing else 0, pledged_on=day,
                preferred_grade=rng.choice((None, None, 10, 11, 12)) if willing else None,
                help_subject=user.subject if willing and user.subject and rng.random() < 0.5 else None,
                help_home_visits=willing and rng.random() < 0.4, help_material=willing and rng.random() < 0.3))
    db.session.flush()


def _assign_year(demo: Demo, rng: random.Random, year: SchoolYear, by: date, share: float) -> None:
    """Main mentors for about `share` of the approved students (homeroom teacher first when they
    pledged), a supporting mentor for some, all dated by `by` (clipped to today)."""
    leader = demo.accounts["leader"]
    pledges = {p.user_id: p for p in db.session.scalars(select(Pledge).where(Pledge.school_year_id == year.id))}
    load: dict[int, int] = {}
    staff = [u for u in demo.staff if pledges.get(u.id) and pledges[u.id].willing]
    approved = [s for s in db.session.scalars(select(Screening).where(
        Screening.school_year_id == year.id, Screening.decision == Decision.APPROVED)) if s.decided_at]
    for screening in sorted(approved, key=lambda s: s.id):
        if rng.random() > share:
            continue
        start = screening.decided_at.astimezone(SCHOOL_TZ).date()
        day = demo.random_date(rng, start, max(by, start))
        if day is None:
            continue
        enrollment = next(c for s, c in demo.enrolled[year.id] if s.id == screening.student_id)
        homeroom = enrollment.homeroom_teacher
        free = [u for u in staff if load.get(u.id, 0) < pledges[u.id].capacity]
        if not free:
            break
        main = homeroom if homeroom in free and rng.random() < 0.4 else rng.choice(free)
        load[main.id] = load.get(main.id, 0) + 1
        db.session.add(Assignment(school_id=demo.school.id, school_year_id=year.id,
                                  student_id=screening.student_id, mentor_id=main.id, role=MentorRole.MAIN,
                                  started_on=day, assigned_by_id=leader.id,
                                  seen_by_mentor_at=demo.at(day, 17)))
        if rng.random() < 0.25:
            helper = rng.choice([u for u in staff if u.id != main.id])
            db.session.add(Assignment(school_id=demo.school.id, school_year_id=year.id,
                                      student_id=screening.student_id, mentor_id=helper.id,
                                      role=MentorRole.SUPPORT, started_on=day, assigned_by_id=leader.id,
                                      seen_by_mentor_at=demo.at(day, 17)))
    db.session.flush()


def _end_for_leavers(demo: Demo, year: SchoolYear) -> None:
    """Mentoring ends on the day a mentee left (dropped out or transferred)."""
    leaving = {s.id: s for s, _ in demo.enrolled[year.id]
               if s.status in (StudentStatus.DROPPED_OUT, StudentStatus.TRANSFERRED)}
    for assignment in db.session.scalars(select(Assignment).where(
            Assignment.school_year_id == year.id, Assignment.student_id.in_(leaving))):
        left_on = leaving[assignment.student_id].status_date
        if left_on and left_on >= assignment.started_on:
            assignment.ended_on, assignment.end_reason = left_on, assignment_services.REASON_STUDENT_LEFT


def add_assignments(demo: Demo, rng: random.Random) -> None:
    """Last year: nearly every approved student got a main mentor by the deadline (some with a
    supporting one); this year so far: some of the early approvals, the rest await the board."""
    _assign_year(demo, rng, demo.previous, demo.previous.assignment_deadline, 0.93)
    _end_for_leavers(demo, demo.previous)
    _assign_year(demo, rng, demo.current, demo.today, 0.5)
    _end_for_leavers(demo, demo.current)
    db.session.flush()


# --- support plans --------------------------------------------------------------------------

PLAN_GOALS = {
    Domain.LEARNING: [("hoc_bu", "Không còn môn Chưa đạt cuối học kỳ", "Học bù Toán 2 buổi/tuần",
                       "Làm đủ bài tập về nhà, GV kiểm tra thứ Sáu"),
                      ("ban_hoc_tap", "Lên mức Đạt môn Ngữ văn", "Học nhóm với bạn cùng lớp",
                       "Nộp bài viết số 2 đúng hạn")],
    Domain.CONDUCT: [("theo_doi_chuyen_can", "Đi học đều, nghỉ không quá 3 buổi/tháng",
                      "Nghỉ không phép 0 buổi trong tháng", "Gọi điện cho gia đình khi em vắng"),
                     ("tham_nha", "Gia đình phối hợp nhắc em đi học", "Thăm nhà một lần trong tháng",
                      "Thăm nhà, trao đổi với bố mẹ")],
}


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def add_plans(demo: Demo, rng: random.Random) -> None:
    """Each main mentoring gets its support plan: last year reviewed (a few late), this year
    drafted or waiting for the department head."""
    heads = {d.id: d.head_id for d in demo.departments.values()}
    for year in demo.years:
        mains = db.session.scalars(select(Assignment).where(
            Assignment.school_year_id == year.id, Assignment.role == MentorRole.MAIN).order_by(Assignment.id)).all()
        for assignment in mains:
            due = assignment.started_on + timedelta(days=year.plan_due_days)
            if rng.random() < 0.2:  # a few plans come late
                written = demo.random_date(rng, due + timedelta(days=1), due + timedelta(days=10))
            else:
                written = demo.random_date(rng, assignment.started_on, due - timedelta(days=3))
            if written is None:
                continue
            plan = SupportPlan(school_id=demo.school.id, school_year_id=year.id, student_id=assignment.student_id,
                               assignment_id=assignment.id, author_id=assignment.mentor_id, due_on=due,
                               student_agreed=True, family_agreed=rng.random() < 0.8, agreed_on=written)
            db.session.add(plan)
            db.session.flush()
            position = 0
            for domain, options in PLAN_GOALS.items():
                strategy, goal_text, target_text, action_text = rng.choice(options)
                goal = PlanGoal(plan_id=plan.id, horizon=Horizon.SEMESTER, domain=domain, strategy=strategy,
                                text=goal_text, period_start=year.start_date, position=position,
                                created_at=demo.at(written, 10))
                db.session.add(goal)
                db.session.flush()
                position += 1
                month = month_start(written)
                while month <= min(year.end_date, demo.today):
                    target = PlanGoal(plan_id=plan.id, parent_id=goal.id, horizon=Horizon.MONTH, domain=domain,
                                      strategy=strategy, text=target_text, period_start=month, position=position,
                                      created_at=demo.at(max(written, month), 10))
                    db.session.add(target)
                    db.session.flush()
                    position += 1
                    if rng.random() < 0.5:
                        db.session.add(PlanGoal(plan_id=plan.id, parent_id=target.id, horizon=Horizon.WEEK,
                                                domain=domain, text=action_text, position=position,
                                                period_start=_monday(month + timedelta(days=rng.randint(0, 20)))))
                        position += 1
                    month = (month + timedelta(days=32)).replace(day=1)
            submitted = demo.random_date(rng, written, written + timedelta(days=2))
            if submitted is None or (year is demo.current and rng.random() < 0.4):
                continue  # still a draft
            plan.status, plan.submitted_on_time = PlanStatus.SUBMITTED, submitted <= due
            plan.submitted_at = demo.at(submitted, 20)
            reviewed = demo.random_date(rng, submitted + timedelta(days=1), submitted + timedelta(days=6))
            mentor_dept = next((u.department_id for u in demo.staff if u.id == assignment.mentor_id), None)
            reviewer = heads.get(mentor_dept) or demo.accounts["leader"].id
            if reviewed is not None:
                plan.status, plan.reviewed_by_id = PlanStatus.APPROVED, reviewer
                plan.reviewed_at = demo.at(reviewed, 16)
    db.session.flush()


# --- the browser journeys' mentor -------------------------------------------------------------

JOURNEY_DEPARTMENT = "TOAN"  # the department the `depthead` account heads
NOT_JOURNEY_MENTORS = ("depthead", "admin", "teacher")


def add_note_journey(demo: Demo, rng: random.Random) -> None:
    """Make sure a member of the `depthead`'s department (not `depthead`, `admin` or `teacher`) is the
    main mentor of a current-year mentee assigned before today (add_notes leaves that mentee's note of
    this month unwritten), so the journeys can write a note and the department head can sign it off.

    Deterministic: an existing such mentoring is kept; otherwise the first suitable mentoring moves to
    the department's first willing member with a place left (or trades mentees with one who is full).
    """
    year = demo.current
    department = demo.departments[JOURNEY_DEPARTMENT]
    excluded = {demo.accounts[name].id for name in NOT_JOURNEY_MENTORS}
    members = [u for u in demo.staff if u.department_id == department.id and u.id not in excluded]
    assignments = db.session.scalars(select(Assignment).where(
        Assignment.school_year_id == year.id).order_by(Assignment.id)).all()
    mains = [a for a in assignments if a.role == MentorRole.MAIN and a.ended_on is None]
    enrolled = {s.id for s, _ in demo.enrolled[year.id] if s.status == StudentStatus.ENROLLED}
    suitable = [a for a in mains if a.started_on < demo.today and a.student_id in enrolled]
    if not suitable or not members:
        return
    member_ids = [u.id for u in members]
    chosen = next((a for a in suitable if a.mentor_id in member_ids), None)
    if chosen is None:
        chosen = suitable[0]
        helpers = {a.mentor_id for a in assignments if a.student_id == chosen.student_id}
        pledges = {p.user_id: p for p in db.session.scalars(select(Pledge).where(Pledge.school_year_id == year.id))}
        load = {uid: sum(1 for a in mains if a.mentor_id == uid) for uid in member_ids}
        willing = [u for u in members if u.id not in helpers and pledges.get(u.id) and pledges[u.id].willing]
        free = [u for u in willing if load[u.id] < pledges[u.id].capacity]
        if free:
            chosen.mentor_id = free[0].id
        elif willing:  # full: the two mentors trade mentees, so nobody's load changes
            mentor = willing[0]
            other = next(a for a in mains if a.mentor_id == mentor.id)
            other.mentor_id, chosen.mentor_id = chosen.mentor_id, mentor.id
        else:  # nobody in the department pledged: the first member pledges (for one mentee)
            mentor = next(u for u in members if u.id not in helpers)
            pledge = pledges.get(mentor.id)
            if pledge is None:
                pledged_on = demo.random_date(rng, year.pledge_deadline - timedelta(days=14), year.pledge_deadline)
                pledge = Pledge(school_id=demo.school.id, school_year_id=year.id, user_id=mentor.id,
                                pledged_on=pledged_on or chosen.started_on)
                db.session.add(pledge)
            pledge.willing, pledge.capacity = True, 1
            chosen.mentor_id = mentor.id
    demo.note_journey_mentor = next(u.username for u in members if u.id == chosen.mentor_id)
    demo.note_journey_student = chosen.student_id
    db.session.flush()


# --- monthly notes (by the 25th) -----------------------------------------------------------------

WELLBEING_TEXTS = {
    Rating.PROGRESS: ("Em vui vẻ hơn, chủ động hỏi bài thầy cô", "Em hòa đồng với bạn bè, tham gia sinh hoạt lớp",
                      "Em tự tin hơn khi lên bảng, đi học đúng giờ", "Sức khỏe ổn định, em ăn ngủ điều độ ở bán trú"),
    Rating.STEADY: ("Em ổn định, vẫn còn rụt rè", "Tâm lý bình thường, em ít chia sẻ nhưng đi học đều",
                    "Em vẫn phải phụ gia đình buổi chiều nên hay mệt", "Em giữ được nề nếp, chưa có chuyển biến rõ"),
    Rating.DECLINE: ("Em buồn, hay ngồi một mình giờ ra chơi", "Em mệt mỏi, hay ngủ gật trong giờ học",
                     "Em nói muốn nghỉ học đi làm phụ gia đình", "Em căng thẳng vì chuyện gia đình"),
}
CONCERN_TEXTS = ("Gia đình vào mùa thu hoạch cà phê, em phải nghỉ phụ giúp", "Em chưa có xe đạp, đi bộ gần 6 km",
                 "Bố em đi làm ăn xa, mẹ ốm, em phải trông em nhỏ", "Em thiếu sách giáo khoa môn Toán, Ngữ văn",
                 "Em còn hổng kiến thức lớp dưới môn Toán", "Em hay đi chơi điện tử sau giờ học")
NEXT_STEPS_TEXTS = ("Tiếp tục học bù Toán thứ Ba, thứ Năm", "Thăm nhà, trao đổi với gia đình về việc đi học đều",
                    "Nhờ GVCN nhắc em nộp bài tập đúng hạn", "Xếp em ngồi gần bạn học khá để học nhóm",
                    "Liên hệ Hội Khuyến học xã xin hỗ trợ đồ dùng học tập", "Gọi điện cho mẹ em mỗi tuần một lần",
                    "Động viên em tham gia câu lạc bộ thể thao của trường")
CONTACT_SUMMARIES = {
    ContactWith.FAMILY: ("Trao đổi với mẹ em về việc đi học đều", "Gia đình hứa nhắc em làm bài tập buổi tối",
                         "Bố em cho biết em hay đi làm rẫy cùng gia đình", "Bà nội em cảm ơn nhà trường đã quan tâm"),
    ContactWith.STUDENT: ("Nói chuyện riêng với em sau giờ học", "Em chia sẻ khó khăn khi học môn Toán",
                          "Động viên em cố gắng trong kỳ kiểm tra", "Kiểm tra vở ghi, nhắc em chép bài đủ"),
    ContactWith.SUBJECT_TEACHER: ("GV bộ môn Toán cho biết em tiến bộ hơn", "GV Tiếng Anh nhắc em còn thiếu bài",
                                  "Thống nhất với GV Ngữ văn kèm em viết bài"),
    ContactWith.HOMEROOM: ("GVCN báo em nghỉ 2 buổi không phép", "Cùng GVCN xem lại sổ đầu bài của em",
                           "GVCN xếp em vào nhóm học tập của lớp"),
}
CONTACT_METHODS = {
    ContactWith.FAMILY: (NoteContactMethod.HOME_VISIT, NoteContactMethod.PHONE, NoteContactMethod.PHONE,
                         NoteContactMethod.MESSAGE),
    ContactWith.STUDENT: (NoteContactMethod.MEETING,),
    ContactWith.SUBJECT_TEACHER: (NoteContactMethod.MEETING, NoteContactMethod.MESSAGE),
    ContactWith.HOMEROOM: (NoteContactMethod.MEETING, NoteContactMethod.PHONE, NoteContactMethod.MESSAGE),
}
TARGET_COMMENTS = {TargetProgress.ACHIEVED: ("Em làm được", "Đạt như kế hoạch", None),
                   TargetProgress.PARTLY: ("Còn nghỉ 1 buổi", "Làm được một nửa số bài", None),
                   TargetProgress.NOT_YET: ("Chưa chuyển biến", "Em còn nghỉ nhiều", None)}
SUPPORT_DONORS = ("Công đoàn trường", "Hội Khuyến học xã", "Ban đại diện cha mẹ học sinh", "Đoàn trường",
                  "GV đỡ đầu")
SUPPORT_VALUES = {"hoc_bong": (500_000, 1_000_000), "do_dung": (200_000, 400_000), "quan_ao": (200_000, 500_000),
                  "xe_dap": (800_000, 1_000_000), "bua_an": (200_000, 600_000), "hoc_phi": (300_000, 700_000),
                  "hoc_bu": (0, 0), "khac": (200_000, 500_000)}
REVIEW_COMMENTS = ("Đề nghị ghi rõ số buổi nghỉ có phép, không phép", "Bổ sung kết quả thăm nhà trong tháng",
                   "Cần ghi cụ thể em tiến bộ ở môn nào")
AMENDMENT_REASONS = ("Bổ sung số buổi nghỉ theo sổ điểm danh GVCN gửi sau khi khoá sổ",
                     "Sửa số buổi nghỉ: GVCN xác nhận lại các buổi nghỉ có phép")
CONTRIBUTION_TEXTS = ("Em tiến bộ trong giờ Tiếng Anh, đã nộp đủ bài", "Tôi kèm em môn Toán hai buổi trong tháng",
                      "Em còn nghỉ một buổi, tôi đã nhắc em", "Đã cùng GV đỡ đầu chính đến thăm nhà em",
                      "Em tích cực hơn trong giờ thực hành")
TREND_BY_RATING = {Rating.PROGRESS: (Trend.BETTER, Trend.BETTER, Trend.SAME),
                   Rating.STEADY: (Trend.SAME, Trend.SAME, Trend.BETTER, Trend.WORSE),
                   Rating.DECLINE: (Trend.WORSE, Trend.WORSE, Trend.SAME)}
OPEN_MONTH_ROLLS = (0.9, 0.5, 0.1)  # sent, draft, not begun (see add_notes)
PROGRESS_BY_RATING = {Rating.PROGRESS: (5, 3, 1), Rating.STEADY: (3, 4, 2), Rating.DECLINE: (1, 3, 5)}


def _month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def add_notes(demo: Demo, rng: random.Random) -> None:
    """The main mentor's note of each month of each mentoring, from the assignment's month to today (or
    the mentoring's or the year's end): most sent before the due day, some late, a few missing, this
    month's still being written; the department head's sign-off, a few corrections and amendments, and
    supporting mentors' contributions.
    """
    heads = {d.id: d.head_id for d in demo.departments.values()}
    department_of = {u.id: u.department_id for u in demo.staff}
    leader = demo.accounts["leader"]
    for year in demo.years:
        notes: list[MonthlyNote] = []
        contributions: list[NoteContribution] = []
        assignments = db.session.scalars(select(Assignment).where(
            Assignment.school_year_id == year.id).order_by(Assignment.id)).all()
        mains = [a for a in assignments if a.role == MentorRole.MAIN]
        helpers: dict[int, list[int]] = {}
        for a in assignments:
            if a.role == MentorRole.SUPPORT:
                helpers.setdefault(a.student_id, []).append(a.mentor_id)
        plans = {p.student_id: p.id for p in db.session.scalars(
            select(SupportPlan).where(SupportPlan.school_year_id == year.id))}
        goals: dict[int, list[PlanGoal]] = {}
        for goal in db.session.scalars(select(PlanGoal).join(SupportPlan).where(
                SupportPlan.school_year_id == year.id, PlanGoal.archived.is_(False)).order_by(PlanGoal.id)):
            goals.setdefault(goal.plan_id, []).append(goal)
        months_of = {}
        for assignment in mains:
            last_day = min(demo.today, year.end_date, assignment.ended_on or year.end_date)
            months_of[assignment.id] = (campaign_months(assignment.started_on, last_day)
                                        if assignment.started_on <= last_day else [])
        long_enough = [a.id for a in mains if len([m for m in months_of[a.id] if note_due(m, year.note_day)
                                                   <= demo.today]) >= 3]
        declining = set(rng.sample(long_enough, min(2, len(long_enough))))  # two months of decline
        open_months = 0
        for assignment in mains:
            months = months_of[assignment.id]
            base_absences = rng.choice((0, 0, 1, 1, 2, 3))
            climbing = assignment.id in declining or rng.random() < 0.06
            reviewer = heads.get(department_of.get(assignment.mentor_id))
            if reviewer in (None, assignment.mentor_id):
                reviewer = leader.id
            student_goals = goals.get(plans.get(assignment.student_id), [])
            for i, month in enumerate(months):
                due = note_due(month, year.note_day)
                first_day = max(month, assignment.started_on)
                is_open = demo.today < due  # the month can still be written on time
                journey = (year is demo.current and assignment.student_id == demo.note_journey_student
                           and month == month_start(demo.today))
                roll = rng.random()
                if assignment.id in declining and not is_open:
                    roll = 0.5  # written on time: the decline shows
                if is_open and not journey and open_months < len(OPEN_MONTH_ROLLS):
                    roll = OPEN_MONTH_ROLLS[open_months]  # the first open months: one sent, one draft, one not begun
                    open_months += 1
                if journey or (is_open and roll < 0.3):
                    continue  # not written yet
                draft = is_open and roll < 0.65
                if not is_open and first_day >= due - timedelta(days=2):
                    # assigned around the due day: written late, a few days after the assignment, or not at all
                    if roll < 0.6:
                        continue
                    submitted_on = demo.random_date(rng, max(due, first_day),
                                                    min(_month_end(month), first_day + timedelta(days=5)))
                elif draft:
                    submitted_on = None
                elif not is_open and roll < 0.05:
                    continue  # missing (with the months assigned around the due day, about 8% of the months)
                elif not is_open and roll < 0.2:
                    submitted_on = demo.random_date(rng, due, due + timedelta(days=rng.choice((1, 2, 4, 8, 15))))
                else:
                    submitted_on = demo.random_date(rng, max(first_day, min(due - timedelta(days=8), demo.today)),
                                                    due - timedelta(days=1))
                if submitted_on is None and not draft:
                    continue
                started_on = demo.random_date(rng, first_day, submitted_on or demo.today) or first_day
                closed_months = [m for m in months if note_due(m, year.note_day) <= demo.today]
                if assignment.id in declining and month in closed_months[-2:]:
                    rating = Rating.DECLINE
                else:
                    rating = rng.choices(list(Rating), weights=(45, 45, 10))[0]
                absences = base_absences + rng.choice((-1, 0, 0, 1))
                if climbing:
                    absences = base_absences + 2 * i
                absences = max(0, min(6, absences))
                note = MonthlyNote(
                    school_id=demo.school.id, school_year_id=year.id, student_id=assignment.student_id,
                    assignment_id=assignment.id, author_id=assignment.mentor_id, month=month,
                    absences=absences, rating=rating,
                    learning_trend=rng.choice(TREND_BY_RATING[rating]), conduct_trend=rng.choice(TREND_BY_RATING[rating]),
                    wellbeing=rng.choice(WELLBEING_TEXTS[rating]),
                    concerns=rng.choice(CONCERN_TEXTS) if rating != Rating.PROGRESS or rng.random() < 0.3 else None,
                    next_steps=rng.choice(NEXT_STEPS_TEXTS),
                    created_at=demo.moment(rng, started_on), updated_at=demo.moment(rng, submitted_on or started_on))
                if draft and rng.random() < 0.4:  # a draft only just begun
                    note.wellbeing = note.concerns = note.next_steps = note.rating = None
                contact_last = min(submitted_on or demo.today, _month_end(month))
                for position in range(rng.choice((1, 1, 2, 2, 3))):
                    with_whom = rng.choice(list(ContactWith))
                    day = demo.random_date(rng, first_day, contact_last) or first_day
                    note.contacts.append(NoteContact(
                        contact_on=day, with_whom=with_whom, method=rng.choice(CONTACT_METHODS[with_whom]),
                        summary=rng.choice(CONTACT_SUMMARIES[with_whom]), position=position))
                if note.rating is not None:
                    for goal in student_goals:
                        if goal.horizon == Horizon.SEMESTER or (goal.horizon == Horizon.MONTH
                                                                and goal.period_start == month):
                            progress = rng.choices(list(TargetProgress), weights=PROGRESS_BY_RATING[rating])[0]
                            note.progress.append(NoteTarget(goal_id=goal.id, progress=progress,
                                                            comment=rng.choice(TARGET_COMMENTS[progress])))
                if rng.random() < 0.18:
                    kind = rng.choice(list(SUPPORT_KIND_LABELS))
                    low, high = SUPPORT_VALUES[kind]
                    note.supports.append(NoteSupport(
                        kind=kind, value_vnd=rng.randint(low // 50_000, high // 50_000) * 50_000,
                        donor="GV đỡ đầu" if kind == "hoc_bu" else rng.choice(SUPPORT_DONORS)))
                if submitted_on is not None:
                    moment = demo.moment(rng, submitted_on, 14, 22)
                    note.status, note.submitted_at = NoteStatus.SUBMITTED, moment
                    note.submitted_on_time = is_on_time(submitted_on, month, year.note_day)
                    note.created_at, note.updated_at = min(note.created_at, moment), moment
                    _review(demo, rng, note, reviewer, year)
                notes.append(note)
                if assignment.student_id in helpers and rng.random() < 0.3:
                    day = demo.random_date(rng, first_day, min(_month_end(month), demo.today)) or first_day
                    contributions.append(NoteContribution(
                        school_id=demo.school.id, student_id=assignment.student_id, month=month,
                        author_id=rng.choice(helpers[assignment.student_id]), text=rng.choice(CONTRIBUTION_TEXTS),
                        created_at=demo.moment(rng, day), updated_at=demo.moment(rng, day)))
        sent = [n for n in notes if n.status == NoteStatus.SUBMITTED]
        if year is demo.current and sent:  # the latest note waits in the department head's queue
            latest = max(sent, key=lambda n: n.submitted_at)
            latest.review_status, latest.reviewed_by_id, latest.reviewed_at, latest.review_comment = (
                ReviewStatus.PENDING, None, None, None)
            latest.reviews, latest.revisions = [], []
        _amend(demo, rng, year, sent)
        db.session.add_all(notes)
        db.session.add_all(contributions)
        demo.notes[year.id] = notes
    db.session.flush()


def _review(demo: Demo, rng: random.Random, note: MonthlyNote, reviewer: int, year: SchoolYear) -> None:
    """The department head's sign-off: seen within a few days, sometimes after asking for more."""
    note.review_status = ReviewStatus.PENDING
    submitted_on = note.submitted_at.date()
    reviewed_on = demo.random_date(rng, submitted_on + timedelta(days=1), submitted_on + timedelta(days=6))
    if reviewed_on is None or (reviewed_on > demo.today - timedelta(days=3) and rng.random() < 0.5):
        return  # still in the queue
    moment = demo.moment(rng, reviewed_on, 7, 17)
    if rng.random() < 0.08:
        comment = rng.choice(REVIEW_COMMENTS)
        note.reviews.append(NoteReview(reviewer_id=reviewer, at=moment, decision=ReviewStatus.NEEDS_MORE,
                                       comment=comment))
        note.review_status, note.reviewed_by_id, note.reviewed_at, note.review_comment = (
            ReviewStatus.NEEDS_MORE, reviewer, moment, comment)
        corrected_on = demo.random_date(rng, reviewed_on + timedelta(days=1), reviewed_on + timedelta(days=3))
        if corrected_on is None or rng.random() < 0.3:
            return  # the mentor has not added it yet
        if is_locked(note.month, corrected_on, year.note_day, year.note_grace_days):
            # too late for a correction: mentor and head settle it in the department meeting
            if rng.random() < 0.5:
                return
        else:
            old, new = note.next_steps, f"{note.next_steps or ''}; {rng.choice(NEXT_STEPS_TEXTS)}".lstrip("; ")
            note.next_steps = new
            note.revisions.append(NoteRevision(author_id=note.author_id, at=demo.moment(rng, corrected_on, 19, 21),
                                               after_lock=False, changes={"next_steps": [old, new]}))
            note.updated_at = note.revisions[-1].at
        seen_on = demo.random_date(rng, corrected_on + timedelta(days=1), corrected_on + timedelta(days=4))
        if seen_on is None:
            note.review_status = ReviewStatus.PENDING  # back in the queue
            return
        moment = demo.moment(rng, seen_on, 7, 17)
    note.reviews.append(NoteReview(reviewer_id=reviewer, at=moment, decision=ReviewStatus.SEEN))
    note.review_status, note.reviewed_by_id, note.reviewed_at, note.review_comment = (
        ReviewStatus.SEEN, reviewer, moment, None)


def _amend(demo: Demo, rng: random.Random, year: SchoolYear, submitted: list[MonthlyNote]) -> None:
    """A few corrections before the month locks, and one or two amendments after it (with a reason)."""
    if not submitted:
        return
    for note in rng.sample(submitted, max(1, len(submitted) // 30)):
        lock = lock_day(note.month, year.note_day, year.note_grace_days)
        day = demo.random_date(rng, note.submitted_at.date(), lock - timedelta(days=1))
        if day is None or note.revisions:
            continue
        old = note.absences or 0
        note.absences = old + 1 if old < 6 else old - 1
        note.revisions.append(NoteRevision(author_id=note.author_id, at=demo.moment(rng, day, 19, 21), after_lock=False,
                                           changes={"absences": [old, note.absences]}))
        note.updated_at = note.revisions[-1].at
    lockable = [n for n in submitted if not n.revisions
                and lock_day(n.month, year.note_day, year.note_grace_days) + timedelta(days=3) <= demo.today]
    for note in rng.sample(lockable, min(len(lockable), 1)):
        lock = lock_day(note.month, year.note_day, year.note_grace_days)
        day = demo.random_date(rng, lock + timedelta(days=1), lock + timedelta(days=12))
        old = note.absences or 0
        note.absences = old + 2 if old <= 4 else old - 2
        note.revisions.append(NoteRevision(author_id=note.author_id, at=demo.moment(rng, day, 7, 17), after_lock=True,
                                           reason=rng.choice(AMENDMENT_REASONS),
                                           changes={"absences": [old, note.absences]}))
        note.updated_at = note.revisions[-1].at


# --- escalations, the service directory and the holidays -----------------------------------------

# The first day of the lunar new year (Tết Nguyên đán), by calendar year; extend as years come.
TET = {2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
       2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3), 2031: date(2031, 1, 23)}
FIXED_HOLIDAYS = {(1, 1): "Tết Dương lịch", (4, 30): "Ngày Giải phóng miền Nam, thống nhất đất nước",
                  (5, 1): "Ngày Quốc tế Lao động", (9, 2): "Quốc khánh"}
TET_DAYS = {-1: "Tết Nguyên đán (30 tháng Chạp)", 0: "Tết Nguyên đán (mùng 1)", 1: "Tết Nguyên đán (mùng 2)",
            2: "Tết Nguyên đán (mùng 3)", 3: "Tết Nguyên đán (mùng 4)"}
SERVICE_COMMUNE = "Ea Lang"  # an invented commune of the demo (see COMMUNES)

ESCALATION_STORIES = {
    ConcernKind.DROPOUT: (
        "Em nghỉ học nhiều buổi liên tiếp, gia đình cho biết em muốn nghỉ hẳn để đi làm thuê cùng bố.",
        ["Đã cùng GVCN đến nhà gặp bố mẹ em, gia đình đồng ý để em đi học lại.",
         "Nhà trường miễn khoản đóng góp đầu năm, Công đoàn trường hỗ trợ xe đạp."],
        "Em đã đi học lại đều từ đầu tháng sau, tiếp tục theo dõi hằng tuần."),
    ConcernKind.VIOLENCE: (
        "Em kể bố thường say rượu và đánh em khi em về muộn; em có vết bầm ở tay.",
        ["Đã gặp riêng em, ghi nhận sự việc; liên hệ Hội LHPN xã để phối hợp.",
         "Hội LHPN xã và trưởng thôn đã đến gia đình."],
        "Gia đình cam kết không đánh em; Hội LHPN xã tiếp tục theo dõi, em ổn định."),
    ConcernKind.CRISIS: (
        "Em buồn chán kéo dài, nói với bạn là không muốn sống nữa sau khi bố mẹ chia tay.",
        ["Đã gặp em ngay trong ngày, báo gia đình; gọi Tổng đài 111 xin tư vấn.",
         "Trạm y tế xã đã khám, tư vấn và hẹn theo dõi."],
        "Em đã ổn định hơn, gia đình và GV đỡ đầu trò chuyện với em hằng tuần."),
    ConcernKind.OTHER: (
        "Em bị bạn trên mạng xã hội dụ đi làm xa, hứa trả lương cao.",
        ["Đã trao đổi với gia đình, báo Công an xã để nắm tình hình."],
        None),
}


def add_escalations(demo: Demo, rng: random.Random) -> None:
    """The school's holidays, its service directory, the social-work focal point, and a few serious
    concerns raised from monthly notes: one answered late, one referred with an outcome, one closed,
    and this year one still open (once the year has a note)."""
    school = demo.school
    holidays: dict[date, str] = {}
    for year in demo.years:
        for calendar_year in (year.first_year, year.first_year + 1):
            for (month, day), name in FIXED_HOLIDAYS.items():
                holidays[date(calendar_year, month, day)] = name
        tet = TET.get(year.first_year + 1)
        if tet is not None:
            for offset, name in TET_DAYS.items():
                holidays[tet + timedelta(days=offset)] = name
    db.session.add_all(Holiday(school_id=school.id, day=day, name=name) for day, name in sorted(holidays.items()))
    services = {
        ServiceKind.HOTLINE: ReferralService(school_id=school.id, kind=ServiceKind.HOTLINE, phone="111",
                                             name="Tổng đài quốc gia bảo vệ trẻ em 111"),
        ServiceKind.COMMUNE: ReferralService(school_id=school.id, kind=ServiceKind.COMMUNE,
                                             name=f"UBND xã {SERVICE_COMMUNE}", phone="0262" + f"{rng.randrange(10**6):06d}",
                                             address=f"Buôn Ea Lang, xã {SERVICE_COMMUNE}",
                                             contact_person=joined(person_name(rng, "Nam"))),
        ServiceKind.WOMENS_UNION: ReferralService(school_id=school.id, kind=ServiceKind.WOMENS_UNION,
                                                  name=f"Hội Liên hiệp Phụ nữ xã {SERVICE_COMMUNE}",
                                                  phone=phone_number(rng), contact_person=joined(person_name(rng, "Nữ"))),
        ServiceKind.HEALTH: ReferralService(school_id=school.id, kind=ServiceKind.HEALTH,
                                            name=f"Trạm y tế xã {SERVICE_COMMUNE}", phone="0262" + f"{rng.randrange(10**6):06d}",
                                            address=f"Buôn Cư Bông, xã {SERVICE_COMMUNE}"),
        ServiceKind.POLICE: ReferralService(school_id=school.id, kind=ServiceKind.POLICE,
                                            name=f"Công an xã {SERVICE_COMMUNE}", phone=phone_number(rng)),
    }
    db.session.add_all(services.values())
    leader = demo.accounts["leader"]
    school.social_work_focal_id = leader.id
    deputy = next((u for u in demo.staff if u.position == "Phó Hiệu trưởng"), leader)
    db.session.flush()
    days_off = sorted(holidays)

    def raise_on(note: MonthlyNote, kind: ConcernKind) -> Escalation:
        noted = (note.submitted_at or note.updated_at).astimezone(SCHOOL_TZ)
        day = demo.random_date(rng, noted.date(), noted.date() + timedelta(days=1)) or noted.date()
        raised_at = demo.moment(rng, day, 7, 16)
        if raised_at <= noted:  # raised once the note is written
            raised_at = demo.no_later(noted + timedelta(minutes=rng.randint(5, 50)))
        year = demo.previous if note.school_year_id == demo.previous.id else demo.current
        escalation = Escalation(
            school_id=school.id, school_year_id=year.id, student_id=note.student_id, note_id=note.id,
            raised_by_id=note.author_id, raised_at=raised_at, kind=kind, description=ESCALATION_STORIES[kind][0],
            response_hours=year.escalation_response_hours,
            respond_by=add_working_hours(raised_at, year.escalation_response_hours, days_off),
            created_at=raised_at, updated_at=raised_at)
        demo.escalations.append(escalation)
        db.session.add(escalation)
        return escalation

    def respond(escalation: Escalation, at: datetime, by: User, *, text: str) -> None:
        at = demo.no_later(at)
        escalation.status, escalation.responded_at, escalation.responded_by_id = (
            EscalationStatus.RESPONDING, at, by.id)
        escalation.updates.append(EscalationUpdate(author_id=by.id, at=at, text=text))

    def close(escalation: Escalation, at: datetime, by: User, outcome: str) -> None:
        at = demo.no_later(at)
        escalation.status, escalation.closed_at, escalation.closed_by_id, escalation.outcome = (
            EscalationStatus.CLOSED, at, by.id, outcome)
        escalation.updated_at = at

    def refer(escalation: Escalation, kind: ServiceKind, on: date, status: ReferralStatus,
              outcome: str | None = None, outcome_on: date | None = None) -> None:
        escalation.referrals.append(Referral(
            service_id=services[kind].id, referred_on=on, referred_by_id=escalation.responded_by_id,
            note="Chuyển gửi theo đề nghị của đầu mối CTXH", status=status, outcome=outcome, outcome_on=outcome_on,
            created_at=demo.moment(rng, on, 8, 16), updated_at=demo.moment(rng, outcome_on or on, 8, 16)))

    def candidates(year: SchoolYear) -> list[MonthlyNote]:
        notes = [n for n in demo.notes.get(year.id, []) if n.student_id != demo.note_journey_student]
        worrying = [n for n in notes if n.status == NoteStatus.SUBMITTED and n.rating == Rating.DECLINE]
        return worrying or [n for n in notes if n.status == NoteStatus.SUBMITTED] or notes

    # Last year, all dealt with: late, referred with an outcome, closed.
    previous = candidates(demo.previous)
    used: set[int] = set()
    for kind in (ConcernKind.DROPOUT, ConcernKind.VIOLENCE, ConcernKind.CRISIS):
        pool = [n for n in previous if n.student_id not in used]
        if not pool:
            break
        note = rng.choice(pool)
        used.add(note.student_id)
        escalation = raise_on(note, kind)
        _story, steps, outcome = ESCALATION_STORIES[kind]
        if kind == ConcernKind.DROPOUT:  # answered after the deadline
            responded = add_working_hours(escalation.respond_by, rng.choice((3, 6, 10)), days_off)
        else:
            responded = add_working_hours(escalation.raised_at, rng.choice((1, 2, 4)), days_off)
        respond(escalation, responded, leader if kind != ConcernKind.CRISIS else deputy, text=steps[0])
        later = add_working_hours(responded, rng.choice((12, 20, 30)), days_off)
        if kind == ConcernKind.VIOLENCE:
            refer(escalation, ServiceKind.WOMENS_UNION, responded.astimezone(SCHOOL_TZ).date(),
                  ReferralStatus.COMPLETED, "Đã hòa giải tại gia đình, cử cán bộ hội theo dõi hằng tháng",
                  later.astimezone(SCHOOL_TZ).date())
        elif kind == ConcernKind.CRISIS:
            refer(escalation, ServiceKind.HOTLINE, responded.astimezone(SCHOOL_TZ).date(), ReferralStatus.COMPLETED,
                  "Tư vấn viên 111 hướng dẫn gia đình và nhà trường cách hỗ trợ em",
                  responded.astimezone(SCHOOL_TZ).date())
            refer(escalation, ServiceKind.HEALTH, responded.astimezone(SCHOOL_TZ).date(), ReferralStatus.ACCEPTED)
        escalation.updates.append(EscalationUpdate(author_id=deputy.id, at=demo.no_later(later), text=steps[1]))
        close(escalation, add_working_hours(later, 40, days_off), leader, outcome)

    # This year: one still open (and, when there are more mentees, one being answered). Raised from the
    # latest note, or, before any note is written, about a mentee straight away.
    current = candidates(demo.current)
    if current:
        note = max(current, key=lambda n: (n.month, n.submitted_at or n.updated_at))
        raise_on(note, ConcernKind.DROPOUT if note.rating == Rating.DECLINE else ConcernKind.OTHER)
        others = [n for n in demo.notes.get(demo.current.id, []) if n.status == NoteStatus.SUBMITTED
                  and n.student_id not in (note.student_id, demo.note_journey_student)]
        if others:
            escalation = raise_on(rng.choice(others), ConcernKind.VIOLENCE)
            responded = add_working_hours(escalation.raised_at, 2, days_off)
            if responded <= demo.now:
                respond(escalation, responded, deputy, text=ESCALATION_STORIES[ConcernKind.VIOLENCE][1][0])
                refer(escalation, ServiceKind.WOMENS_UNION, responded.astimezone(SCHOOL_TZ).date(),
                      ReferralStatus.SENT)
    else:
        mentees = db.session.scalars(select(Assignment).where(
            Assignment.school_year_id == demo.current.id, Assignment.role == MentorRole.MAIN,
            Assignment.ended_on.is_(None)).order_by(Assignment.id)).all()
        mentees.sort(key=lambda a: a.student_id == demo.note_journey_student)  # another mentee first
        if mentees:
            mentee = mentees[0]
            raised_at = demo.moment(rng, demo.random_date(rng, mentee.started_on, demo.today), 7, 10)
            hours = demo.current.escalation_response_hours
            escalation = Escalation(
                school_id=school.id, school_year_id=demo.current.id, student_id=mentee.student_id,
                raised_by_id=mentee.mentor_id, raised_at=raised_at, kind=ConcernKind.OTHER,
                description=ESCALATION_STORIES[ConcernKind.OTHER][0], response_hours=hours,
                respond_by=add_working_hours(raised_at, hours, days_off), created_at=raised_at, updated_at=raised_at)
            demo.escalations.append(escalation)
            db.session.add(escalation)
    db.session.flush()


def record_seeding(demo: Demo, rng: random.Random) -> None:
    db.session.flush()
    audit_record("demo_seeded", demo.school, school_id=demo.school.id, seed=demo.seed,
                 today=demo.today.isoformat())


Step = Callable[[Demo, random.Random], None]

# In calendar order. Later features append theirs (see the module docstring).
STEPS: list[Step] = [
    add_school,
    add_years,
    add_departments,
    add_staff,
    add_classes,
    add_previous_year_students,
    add_previous_year_leavers,
    move_up_to_current_year,
    add_current_intake,
    add_current_year_leavers,
    add_graduates,
    add_class_teachers,
    add_pledges,
    add_screenings,
    add_assignments,
    add_note_journey,
    add_plans,
    add_notes,
    add_escalations,
    add_semester_reports,
    add_emulation,
]


def demo_clock(today: date) -> datetime:
    """The demo's now: the real instant when built for today in Vietnam, else the end of `today`."""
    if today == local_today():
        return utcnow()
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=SCHOOL_TZ)


def build_demo_school(today: date, seed: int = DEFAULT_SEED, password_hash: str | None = None,
                      now: datetime | None = None) -> Demo:
    """Add the demo school to the session (flushed, not committed) and return what was built.
    `now` (an aware instant on `today`) defaults to `demo_clock(today)`."""
    if password_hash is None:
        # Hashed once: the same hash for every account (scrypt is deliberately slow).
        password_hash = generate_password_hash(current_app.config["DEMO_PASSWORD"])
    demo = Demo(today=today, seed=seed, password_hash=password_hash, now=now or demo_clock(today))
    for step in [*STEPS, record_seeding]:
        step(demo, random.Random(f"{seed}:{step.__name__}"))
    db.session.flush()
    return demo


def _parse_today(_ctx, _param, value: str | None) -> date:
    if value is None:
        return local_today()
    try:
        return parse_date(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date dd/mm/yyyy") from None


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has a school.")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int,
              help="Random seed: the same seed gives the same names and data.")
@click.option("--today", callback=_parse_today, metavar="DD/MM/YYYY",
              help="The day the demo is built up to (default: today in Vietnam).")
@click.option("--allow-production", is_flag=True,
              help="Load the demo even with SPONSOR_ENV=production (a training server).")
@with_appcontext
def seed_demo_command(if_empty: bool, seed: int, today: date, allow_production: bool):
    """Create the demo school (invented names): two school years, 40 staff, ~600 students.

    The last complete school year is filled in full and the current one up to TODAY; nothing
    is dated after it. Every account has the password "demo": never load this into a database
    that real people use.
    """
    if current_app.config.get("REQUIRE_SECRET_KEY") and not allow_production:
        raise click.ClickException(
            "SPONSOR_ENV=production: the demo school (every password 'demo') is not loaded into a "
            "production database. Use --allow-production for a training server.")
    if db.session.scalar(select(School.id).limit(1)) is not None:
        if if_empty:
            click.echo("The database already has a school: the demo school was not loaded.")
            accounts = {u.username: u for u in db.session.scalars(
                select(User).where(User.username.in_(DEMO_ACCOUNTS), User.active.is_(True)))}
            if len(accounts) == len(DEMO_ACCOUNTS):  # it is the demo school: remind of the logins
                click.echo("")
                _print_logins(accounts)
            return
        raise click.ClickException(
            "The database already has a school. seed-demo only fills an empty database "
            "(use --if-empty to skip quietly)."
        )
    demo = build_demo_school(today, seed)
    db.session.commit()
    current = demo.current
    n_current = len(demo.enrolled[current.id])
    click.echo(f"Demo school loaded: {demo.school.name} (today {today:%d/%m/%Y}, seed {seed}).")
    click.echo(f"  School years: {demo.previous.name} (complete), {current.name} (current, up to today).")
    click.echo(f"  {current.name}: {n_current} students in {len(demo.classes[current.id])} classes; "
               f"{len(demo.students)} students over both years; {len(demo.staff)} staff in "
               f"{len(demo.departments)} departments.")
    notes = [n for year_notes in demo.notes.values() for n in year_notes]
    click.echo(f"  Monthly notes: {len(notes)} over both years "
               f"({sum(1 for n in notes if n.submitted_on_time is False)} sent late, "
               f"{sum(1 for n in notes if n.status == NoteStatus.DRAFT)} drafts); escalations: "
               f"{len(demo.escalations)} ({sum(1 for e in demo.escalations if e.status == EscalationStatus.OPEN)} "
               "open).")
    click.echo("")
    _print_logins(demo.accounts)


def _print_logins(accounts: dict[str, User]) -> None:
    """The demo logins as a small table (username, roles, password, who)."""
    password = current_app.config["DEMO_PASSWORD"]
    click.echo("Demo logins:")
    rows = [("username", "roles", "password", "who")]
    for username, (_roles, who) in DEMO_ACCOUNTS.items():
        user = accounts[username]
        roles = ", ".join(r.value for r in ROLE_ORDER if r in user.roles)
        rows.append((username, roles, password, f"{user.full_name}, {who}"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for i, row in enumerate(rows):
        click.echo("  " + "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3])
        if i == 0:
            click.echo("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 3)
    click.echo("")
    click.echo(f'Every other staff account also has the password "{password}" '
               "(usernames under Thiết lập → Tài khoản, cán bộ).")
