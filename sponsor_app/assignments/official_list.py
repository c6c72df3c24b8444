"""The official assignment list sent to the Department of Education (the appendix of seed 004).

"PHÂN CÔNG NHIỆM VỤ HỖ TRỢ HỌC SINH CÓ HOÀN CẢNH KHÓ KHĂN NĂM HỌC YYYY - YYYY": one row per
student approved for sponsorship and still enrolled, with the circumstances and conduct
narratives of the screening and the active mentors, "1. main; 2. other (hỗ trợ)".

The document texts (national header, title, column titles, signatures) are the official form
and stay Vietnamese whatever the interface language.
"""

import re
from dataclasses import dataclass
from datetime import date

from ..documents.model import (
    Column,
    Document,
    Part,
    Signature,
    Table,
    filename_part,
    missing_header_fields,
    principal_signature,
    school_heading,
)
from ..documents.xlsx import render_xlsx
from ..extensions import db
from ..models import Assignment, MentorRole, School, SchoolYear, Student
from ..text import fold_key
from ..timeutil import local_today
from .services import active_assignments, approved_students

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
TITLE = "PHÂN CÔNG NHIỆM VỤ HỖ TRỢ HỌC SINH CÓ HOÀN CẢNH KHÓ KHĂN NĂM HỌC"
HEADERS = ("TT", "Họ và tên", "Lớp", "Hoàn cảnh gia đình, bản thân", "Sự rèn luyện của bản thân",
           "GV nhận đỡ đầu")
SUPPORT_MARK = "(hỗ trợ)"
PREPARER = "NGƯỜI LẬP DANH SÁCH"
SIGNER = "HIỆU TRƯỞNG"
PREPARER_HINT = "(Ký, ghi rõ họ tên)"
SIGNER_HINT = "(Ký tên, đóng dấu)"


@dataclass
class OfficialRow:
    tt: int
    student_id: int
    student_name: str
    class_name: str
    circumstances: str
    conduct: str
    mentors: str  # "1. Nguyễn Văn A; 2. Trần Thị B (hỗ trợ)", "" when nobody is assigned yet
    has_main: bool = False

    @property
    def has_mentor(self) -> bool:
        return bool(self.mentors)


def year_label(year: SchoolYear) -> str:
    """ "2026-2027" → "2026 - 2027", as the form writes it."""
    return re.sub(r"\s*-\s*", " - ", year.name.strip())


def title_text(year: SchoolYear) -> str:
    return f"{TITLE} {year_label(year)}"


def plan_line(year: SchoolYear) -> str:
    return f"(Kèm theo kế hoạch số: {(year.plan_number or '').strip() or '…'})"


def mentors_text(assignments: list[Assignment]) -> str:
    """Main mentor first, then supporting mentors in the order they started."""
    return mentors_text_of([(a.id, a.role, a.started_on, a.mentor.full_name) for a in assignments])


def mentors_text_of(entries: list[tuple[int, MentorRole, date, str]]) -> str:
    """`mentors_text` from (assignment id, role, started on, mentor's name) rows."""
    ordered = sorted(entries, key=lambda e: (e[1] != MentorRole.MAIN, e[2], e[0]))
    return "; ".join(f"{n}. {name}" + (f" {SUPPORT_MARK}" if role == MentorRole.SUPPORT else "")
                     for n, (_id, role, _started, name) in enumerate(ordered, start=1))


def _class_key(name: str) -> tuple:
    """Natural order of class names: 10A2 before 10A10."""
    return tuple((0, int(part)) if part.isdecimal() else (1, fold_key(part))  # "²" passes isdigit(), not int()
                 for part in re.split(r"(\d+)", name or "") if part.strip())


def official_rows(school_id: int, year: SchoolYear) -> list[OfficialRow]:
    """The list's rows: approved, still enrolled students with their active mentors.

    Four queries whatever the size (students with screening and class; assignments, their
    mentors and students). Sorted by grade, class name, then Vietnamese given-name order.
    """
    students = db.session.execute(approved_students(school_id, year)).all()
    ids = approved_students(school_id, year).with_only_columns(Student.id)
    by_student: dict[int, list[Assignment]] = {}
    for assignment in active_assignments(year, ids):
        by_student.setdefault(assignment.student_id, []).append(assignment)
    students = sorted(students, key=lambda r: (r[2].grade, _class_key(r[2].name), r[0].sort_key, r[0].id))
    rows = []
    for n, (student, screening, class_group) in enumerate(students, start=1):
        current = by_student.get(student.id, [])
        rows.append(OfficialRow(
            tt=n, student_id=student.id, student_name=student.full_name, class_name=class_group.name,
            circumstances=(screening.circumstances_text or "").strip(),
            conduct=(screening.conduct_text or "").strip(),
            mentors=mentors_text(current), has_main=any(a.role == MentorRole.MAIN for a in current)))
    return rows


def official_filename(year: SchoolYear, fmt: str = "xlsx") -> str:
    return f"phan-cong-do-dau-{filename_part(year.name)}.{fmt}"


def official_document(school: School, year: SchoolYear, rows: list[OfficialRow],
                      today: date | None = None) -> Document:
    """The list as an official document (the appendix of seed 004), for the workbook, the print view
    and the PDF alike."""
    table = Table(columns=[Column(HEADERS[0], 5, "center"), Column(HEADERS[1], 20), Column(HEADERS[2], 7, "center"),
                           Column(HEADERS[3], 42), Column(HEADERS[4], 34), Column(HEADERS[5], 24)],
                  rows=[[r.tt, r.student_name, r.class_name, r.circumstances, r.conduct, r.mentors] for r in rows],
                  empty_text="Chưa có học sinh nào được duyệt đỡ đầu trong năm học này.",
                  marks={i: "official-missing" if not r.has_mentor else "official-no-main"
                         for i, r in enumerate(rows) if not r.has_main})
    part = Part(sheet="Phan cong do dau", title=title_text(year), subtitle=[plan_line(year)], blocks=[table],
                signatures=[Signature(PREPARER, PREPARER_HINT), principal_signature(school, SIGNER, SIGNER_HINT)],
                landscape=True, title_size=14)
    return Document(kind="assignment-list", filename=f"phan-cong-do-dau-{filename_part(year.name)}",
                    heading=school_heading(school, today or local_today()), parts=[part],
                    missing=missing_header_fields(school))


def build_official_xlsx(school: School, year: SchoolYear, rows: list[OfficialRow],
                        today: date | None = None) -> bytes:
    """The list as an A4 landscape workbook in Times New Roman, ready to print and sign (every text
    through write_string: nothing typed becomes a formula or a link)."""
    return render_xlsx(official_document(school, year, rows, today))
