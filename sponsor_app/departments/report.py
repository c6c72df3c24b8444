"""The campaign section of the department's monthly report (due before the 25th).

A summary generated from the month's data (numbers only: concerns and other narratives are
never quoted) that the head may edit (DepartmentReport keeps the edit), and its table: one row
per mentee of the department's mentors. One `Document` (documents/model.py) rendered as the
workbook, the print view and the PDF.

The document (header, title, summary sentences, column titles, signature) is the official
Vietnamese form and stays Vietnamese whatever the interface language.

Functions read, or add and flush; the caller commits.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..documents.model import (
    HEADER_FIELDS,
    Column,
    Document,
    Heading,
    Part,
    Signature,
    Table,
    Text,
    date_line,
)
from ..documents.xlsx import render_xlsx
from ..extensions import db
from ..models import (
    Assignment,
    ClassGroup,
    ContactWith,
    Department,
    DepartmentReport,
    Enrollment,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    PlanStatus,
    Rating,
    School,
    SchoolYear,
    Student,
    SupportPlan,
    User,
)
from ..progress.calendar import MonthState, month_state, note_due
from ..timeutil import local_today, utcnow

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
TITLE = "BÁO CÁO THỰC HIỆN CUỘC VẬN ĐỘNG \"MỖI CÁN BỘ, GIÁO VIÊN NHẬN ĐỠ ĐẦU MỘT HỌC SINH CÓ NGUY CƠ BỎ HỌC\""
SIGNER = "TỔ TRƯỞNG"
SIGNER_HINT = "(Ký, ghi rõ họ tên)"
COLUMNS = (("TT", 5, "center"), ("GV đỡ đầu", 19, "text"), ("Học sinh", 19, "text"), ("Lớp", 6, "center"),
           ("Nhận xét tháng", 10, "text"), ("Đúng hạn", 7, "center"), ("Đánh giá", 8.5, "text"),
           ("Số buổi nghỉ", 7, "int"), ("Số lần liên hệ", 7, "int"), ("Hỗ trợ (đồng)", 11, "money"),
           ("Tổ trưởng xem", 9.5, "text"))
HEADERS = tuple(title for title, _width, _kind in COLUMNS)
EMPTY_TEXT = "Tổ chưa có học sinh được đỡ đầu trong tháng này."
NUMBER = "Số:" + "\u00a0" * 8 + "/BC-…"  # filled in by hand when the report is registered
RECIPIENTS = ["- Ban Giám hiệu (để báo cáo);", "- Lưu: Tổ."]
STATE_TEXT = {"done": "Đã gửi", "late_done": "Gửi muộn", "draft": "Đang soạn", "due": "Chưa gửi",
              "overdue": "Quá hạn", "locked_missing": "Thiếu", "upcoming": "Chưa đến tháng"}
RATING_TEXT = {Rating.PROGRESS: "Tiến bộ", Rating.STEADY: "Giữ vững", Rating.DECLINE: "Sa sút"}
REVIEW_TEXT = {"pending": "Chờ xem", "seen": "Đã xem", "needs_more": "Cần bổ sung"}


def vnd(amount: int) -> str:
    """1234567 → "1.234.567" (the document's number format)."""
    return f"{amount:,}".replace(",", ".")


@dataclass
class ReportRow:
    tt: int
    mentor: User
    student: Student
    class_name: str
    state: MonthState
    note: MonthlyNote | None
    plan_approved: bool

    @property
    def submitted(self) -> bool:
        return self.note is not None and self.note.status == NoteStatus.SUBMITTED

    @property
    def on_time(self) -> bool | None:
        return self.note.submitted_on_time if self.submitted else None

    @property
    def rating(self) -> Rating | None:
        return self.note.rating if self.submitted else None

    @property
    def absences(self) -> int | None:
        return self.note.absences if self.submitted else None

    @property
    def contacts(self) -> int:
        return len(self.note.contacts) if self.submitted else 0

    @property
    def family_contacts(self) -> int:
        return sum(1 for c in self.note.contacts if c.with_whom == ContactWith.FAMILY) if self.submitted else 0

    @property
    def support_vnd(self) -> int:
        return sum(s.value_vnd or 0 for s in self.note.supports) if self.submitted else 0

    @property
    def review(self) -> str | None:
        return self.note.review_status.value if self.submitted and self.note.review_status else None

    def cells(self) -> list:
        """The row as the document writes it."""
        return [self.tt, self.mentor.full_name, self.student.full_name, self.class_name,
                STATE_TEXT[self.state.state],
                "" if self.on_time is None else ("Có" if self.on_time else "Muộn"),
                RATING_TEXT.get(self.rating, ""), self.absences, self.contacts, self.support_vnd,
                REVIEW_TEXT.get(self.review, "")]


@dataclass
class MonthReport:
    school: School
    department: Department
    year: SchoolYear
    month: date
    members: int
    rows: list[ReportRow]

    @property
    def mentors(self) -> int:
        return len({r.mentor.id for r in self.rows})

    @property
    def mentees(self) -> int:
        return len(self.rows)

    @property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.submitted)

    @property
    def on_time(self) -> int:
        return sum(1 for r in self.rows if r.on_time is True)

    @property
    def late(self) -> int:
        return sum(1 for r in self.rows if r.on_time is False)

    @property
    def missing(self) -> int:
        return self.mentees - self.submitted

    @property
    def ratings(self) -> Counter:
        return Counter(r.rating for r in self.rows if r.rating)

    @property
    def contacts(self) -> int:
        return sum(r.contacts for r in self.rows)

    @property
    def family_contacts(self) -> int:
        return sum(r.family_contacts for r in self.rows)

    @property
    def support_vnd(self) -> int:
        return sum(r.support_vnd for r in self.rows)

    @property
    def plans_approved(self) -> int:
        return sum(1 for r in self.rows if r.plan_approved)

    @property
    def student_ids(self) -> list[int]:
        return [r.student.id for r in self.rows]


def month_report(department: Department, year: SchoolYear, month: date, today: date) -> MonthReport:
    """The month's rows: the main mentorings of the department's members running during the month
    (started by its due day, not ended before it), with the month's note. Five queries."""
    due = note_due(month, year.note_day)
    found = db.session.execute(
        select(Assignment, User, Student, ClassGroup.name)
        .join(User, User.id == Assignment.mentor_id)
        .join(Student, Student.id == Assignment.student_id)
        .outerjoin(Enrollment, and_(Enrollment.student_id == Assignment.student_id,
                                    Enrollment.school_year_id == Assignment.school_year_id))
        .outerjoin(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(User.department_id == department.id, Assignment.school_year_id == year.id,
               Assignment.role == MentorRole.MAIN, Assignment.started_on <= due,
               or_(Assignment.ended_on.is_(None), Assignment.ended_on >= month))
        .order_by(Assignment.started_on, Assignment.id)).all()
    latest: dict[int, tuple] = {}
    for item in found:  # a reassignment within the month: the later mentoring
        latest[item[2].id] = item
    ids = list(latest)
    notes = {n.student_id: n for n in db.session.scalars(
        select(MonthlyNote).where(MonthlyNote.student_id.in_(ids), MonthlyNote.month == month)
        .options(selectinload(MonthlyNote.contacts), selectinload(MonthlyNote.supports)))} if ids else {}
    approved = set(db.session.scalars(
        select(SupportPlan.student_id).where(SupportPlan.school_year_id == year.id, SupportPlan.student_id.in_(ids),
                                             SupportPlan.status == PlanStatus.APPROVED))) if ids else set()
    members = len(db.session.scalars(select(User.id).where(User.department_id == department.id,
                                                           User.active.is_(True))).all())
    ordered = sorted(latest.values(), key=lambda r: (r[1].sort_key, r[1].id, r[2].sort_key, r[2].id))
    rows = []
    for n, (_assignment, mentor, student, class_name) in enumerate(ordered, start=1):
        note = notes.get(student.id)
        submitted = note is not None and note.status == NoteStatus.SUBMITTED
        state = month_state(month, today, year.note_day, year.note_grace_days,
                            submitted_on=note.submitted_at.date() if submitted else None,
                            on_time=note.submitted_on_time if submitted else None,
                            has_draft=note is not None and not submitted)
        rows.append(ReportRow(n, mentor, student, class_name or "", state, note, student.id in approved))
    return MonthReport(db.session.get(School, department.school_id), department, year, month, members, rows)


def summary_text(report: MonthReport) -> str:
    """The generated summary: Vietnamese sentences of figures only (no narrative is quoted)."""
    m = report.month.strftime("%m/%Y")
    if not report.rows:
        return (f"Tháng {m}, tổ {report.department.name} có {report.members} thành viên; "
                "chưa có giáo viên nào của tổ đỡ đầu học sinh.")
    r = report.ratings
    lines = [
        f"Tháng {m}, tổ {report.department.name} có {report.members} thành viên, trong đó {report.mentors} "
        f"giáo viên đỡ đầu {report.mentees} học sinh.",
        f"Nhận xét hằng tháng: đã gửi {report.submitted}/{report.mentees} (đúng hạn {report.on_time}, "
        f"gửi muộn {report.late}), còn thiếu {report.missing}.",
        f"Đánh giá chung: {r[Rating.PROGRESS]} tiến bộ, {r[Rating.STEADY]} giữ vững, {r[Rating.DECLINE]} sa sút.",
        f"Liên hệ trong tháng: {report.contacts} lần, trong đó {report.family_contacts} lần với gia đình.",
        f"Hỗ trợ trong tháng: {vnd(report.support_vnd)} đồng.",
        f"Kế hoạch giúp đỡ đã duyệt: {report.plans_approved}/{report.mentees}.",
    ]
    return "\n".join(lines)


# --- the head's edit ----------------------------------------------------------------------------

def stored_report(department: Department, month: date) -> DepartmentReport | None:
    return db.session.scalar(select(DepartmentReport).where(DepartmentReport.department_id == department.id,
                                                            DepartmentReport.month == month)
                             .options(selectinload(DepartmentReport.edited_by)))


def summary_of(report: MonthReport, stored: DepartmentReport | None) -> str:
    """The head's edit if there is one, else the generated summary."""
    return stored.summary if stored and stored.summary else summary_text(report)


def save_summary(department: Department, month: date, text: str, *, by: User) -> DepartmentReport:
    """Keep the head's edited summary of the month (created on the first edit)."""
    stored = stored_report(department, month)
    if stored is None:
        stored = DepartmentReport(school_id=department.school_id, department_id=department.id, month=month)
        db.session.add(stored)
    stored.summary, stored.edited_by_id, stored.edited_at = text, by.id, utcnow()
    db.session.flush()
    audit.record("department_report_saved", stored, month=month.strftime("%Y-%m"))
    return stored


def regenerate(department: Department, month: date, *, by: User) -> DepartmentReport | None:
    """Discard the edit (on the head's explicit request): the page shows the generated summary
    again. The discarded text is kept in the audit log."""
    stored = stored_report(department, month)
    if stored is None or stored.summary is None:
        return stored
    previous = stored.summary
    stored.summary, stored.edited_by_id, stored.edited_at = None, by.id, utcnow()
    db.session.flush()
    audit.record("department_report_regenerated", stored, month=month.strftime("%Y-%m"), discarded=previous)
    return stored


def record_export(report: MonthReport, kind: str, **details) -> None:
    audit.record(f"export_department_report_{kind}", report.department, month=report.month.strftime("%Y-%m"),
                 student_ids=report.student_ids, **details)


# --- the document -------------------------------------------------------------------------------

def title_text(report: MonthReport) -> str:
    return f"{TITLE} THÁNG {report.month.strftime('%m/%Y')} — TỔ {report.department.name.upper()}"


def report_filename(report: MonthReport) -> str:
    """The file's name without its extension (.xlsx or .pdf)."""
    code = re.sub(r"[^A-Za-z0-9_-]+", "", report.department.code) or str(report.department.id)
    return f"bao-cao-to-{code}-{report.month.strftime('%Y-%m')}"


def report_document(report: MonthReport, summary: str, today: date | None = None) -> Document:
    """The report as an official document, for the workbook, the print view and the PDF alike: the
    department's heading (the school above it), the title, the summary, the table (numbers as
    numbers), the head's signature and where it goes."""
    school, department = report.school, report.department
    table = Table(columns=[Column(title, width, kind) for title, width, kind in COLUMNS],
                  rows=[row.cells() for row in report.rows], empty_text=EMPTY_TEXT, key_columns=3)
    head = department.head.full_name if department.head else ""
    part = Part(sheet="Bao cao to", title=title_text(report),
                blocks=[Text(line) for line in summary.splitlines() if line.strip()] + [table],
                signatures=[Signature(SIGNER, SIGNER_HINT, head)], recipients=RECIPIENTS, landscape=True)
    heading = Heading(authority=(school.name or "").strip().upper(), organisation=f"TỔ {department.name.strip().upper()}",
                      number=NUMBER, place_date=date_line(school.place_name, today or local_today()))
    # what this heading prints of the school's header data: the place of the date line
    missing = [label for name, label in HEADER_FIELDS if name == "place_name" and not (school.place_name or "").strip()]
    return Document(kind="department-monthly", filename=report_filename(report), heading=heading, parts=[part],
                    missing=missing)


def build_report_xlsx(report: MonthReport, summary: str, today: date | None = None) -> bytes:
    """The report as an A4 landscape workbook (every text through write_string: no formula, no link
    from anyone's text)."""
    return render_xlsx(report_document(report, summary, today))
