"""The at-risk list ("DANH SÁCH HỌC SINH CÓ NGUY CƠ BỎ HỌC NĂM HỌC …") as an official document: the
workbook, the PDF and `flask report at-risk` are all rendered from `at_risk_document`.

Fourteen columns do not fit an A4 width at a readable size, so the list has two landscape parts (two
sheets of the workbook; part II starts on a new page of the PDF), each about one landscape page
wide at 12 pt (the PDF) and printed at 9 pt or more by the workbook, TT and the student's name opening both so each page can be read alone: part I the figures (code,
class, level, score, absences, status, reasons, date of the proposal, late), part II the narratives
(circumstances, conduct) and who proposed the student. (The model could also split one table by
columns, but the workbook's heading and title, merged over the whole grid, would then straddle the
vertical page break.)

The document texts (heading, title, column titles, labels) are the official Vietnamese form
whatever the interface language.
"""

from __future__ import annotations

import re
from datetime import date

from flask_babel import force_locale

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
from ..models import School, SchoolYear
from ..timeutil import local_today
from .services import ListFilters

TITLE = "DANH SÁCH HỌC SINH CÓ NGUY CƠ BỎ HỌC NĂM HỌC"
PREPARER = "NGƯỜI LẬP DANH SÁCH"
PREPARER_HINT = "(Ký, ghi rõ họ tên)"
SIGNER = "HIỆU TRƯỞNG"
LATE_MARK = "x"

# (title, width in spreadsheet characters, kind). Part I: the figures; part II: the narratives. TT and
# the name open both, so each printed page can be read alone.
FIGURES = (
    ("TT", 5, "center"),
    ("Họ và tên", 20, "text"),
    ("Mã HS", 15, "center"),
    ("Lớp", 7, "center"),
    ("Mức nguy cơ", 13, "center"),
    ("Điểm", 8, "int"),
    ("Số buổi nghỉ", 7, "int"),
    ("Tình trạng", 14, "center"),
    ("Lý do", 31, "text"),
    ("Ngày đề xuất", 15, "date"),
    ("Nộp muộn", 8, "center"),
)
NARRATIVES = (
    ("TT", 5, "center"),
    ("Họ và tên", 20, "text"),
    ("Lớp", 7, "center"),
    ("Hoàn cảnh gia đình, bản thân", 50, "text"),
    ("Sự rèn luyện của bản thân", 44, "text"),
    ("Người đề xuất", 19, "text"),
)
PART_TITLES = ("Phần I: Mức nguy cơ, lý do và tình trạng rà soát",
               "Phần II: Hoàn cảnh gia đình, bản thân và sự rèn luyện")


def year_label(year: SchoolYear) -> str:
    """ "2026-2027" → "2026 - 2027", as the forms write it."""
    return re.sub(r"\s*-\s*", " - ", year.name.strip())


def at_risk_filename(year: SchoolYear) -> str:
    return f"danh-sach-nguy-co-bo-hoc-{filename_part(year.name)}"


def filter_line(filters: ListFilters | None, class_name: str | None = None) -> str:
    """ "(Lọc: khối 12; mức nguy cơ cao)": a filtered list never passes for the whole list."""
    from ..labels import CATEGORY_LABELS, LEVEL_LABELS, SCREENING_STATUS_LABELS
    from ..models import RiskLevel, ScreeningStatus

    if filters is None:
        return ""
    parts = []
    if filters.q.strip():
        parts.append(f"tìm \u201c{filters.q.strip()}\u201d")
    if filters.class_id:
        parts.append(f"lớp {class_name}" if class_name else "một lớp")
    if filters.grade:
        parts.append(f"khối {filters.grade}")
    if filters.category in CATEGORY_LABELS:
        parts.append(str(CATEGORY_LABELS[filters.category]).lower())
    if filters.level in {lv.value for lv in RiskLevel}:
        parts.append(f"mức nguy cơ {LEVEL_LABELS[RiskLevel(filters.level)]}")
    if filters.status in {s.value for s in ScreeningStatus}:
        parts.append(str(SCREENING_STATUS_LABELS[ScreeningStatus(filters.status)]).lower())
    if filters.without_mentor:
        parts.append("được duyệt, chưa có GV đỡ đầu chính")
    return f"(Lọc: {'; '.join(parts)})" if parts else ""


def at_risk_rows(rows) -> tuple[list[list], list[list]]:
    """The rows of both tables from `filtered_list` rows (Screening, Student, ClassGroup), already
    permission-scoped: scores and absences as numbers, the date as a date."""
    from ..labels import level_label, screening_status_label

    figures, narratives = [], []
    for n, (screening, student, class_group) in enumerate(rows, start=1):
        reasons = "; ".join(f"{r['label']} (+{r['weight']})" for r in (screening.risk_reasons or []))
        figures.append([n, student.full_name, student.code or "", class_group.name,
                        level_label(screening.risk_level).capitalize(), screening.risk_score, screening.absences,
                        screening_status_label(screening.status), reasons, screening.proposed_on,
                        LATE_MARK if screening.is_late else ""])
        narratives.append([n, student.full_name, class_group.name, (screening.circumstances_text or "").strip(),
                           (screening.conduct_text or "").strip(),
                           screening.proposed_by.full_name if screening.proposed_by else ""])
    return figures, narratives


def at_risk_document(school: School, year: SchoolYear, rows, filters: ListFilters | None = None,
                     class_name: str | None = None, today: date | None = None) -> Document:
    """The list as an official document of two parts (two sheets; the PDF starts part II on a new
    page), each landscape, each with its title and signatures. Vietnamese whatever the interface
    language."""
    with force_locale("vi"):
        bodies = at_risk_rows(rows)
        selection = filter_line(filters, class_name)
    signatures = [Signature(PREPARER, PREPARER_HINT), principal_signature(school, SIGNER)]
    parts = []
    for sheet, columns, body, part_title in zip(("Danh sach", "Hoan canh, ren luyen"), (FIGURES, NARRATIVES), bodies,
                                                PART_TITLES, strict=True):
        table = Table(columns=[Column(title, width, kind) for title, width, kind in columns], rows=body,
                      empty_text="Không có học sinh nào trong danh sách.", key_columns=2)
        parts.append(Part(sheet=sheet, title=f"{TITLE} {year_label(year)}",
                          subtitle=[f"({part_title})"] + ([selection] if selection else []), blocks=[table],
                          signatures=list(signatures), landscape=True, title_size=14))
    return Document(kind="at-risk-list", filename=at_risk_filename(year),
                    heading=school_heading(school, today or local_today()), parts=parts,
                    missing=missing_header_fields(school))
