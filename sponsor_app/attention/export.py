"""The attention list as a working document (school heading, title, numbers as numbers): names, class,
mentor, reasons and absences, never a narrative. Rendered as a workbook and a PDF from one `Document`.

Portrait A4. The widths put a column boundary near 42 % of the width, where the workbook splits the
two-column heading, so the national name fits its half on one line.
"""

import re
from datetime import date

from ..documents.model import Column, Document, Part, Table, missing_header_fields, school_heading
from ..models import School, SchoolYear
from ..timeutil import local_today
from .services import EXPORT_HEADERS, REASON_TEXT, AttentionRow

WIDTHS = (5, 24, 8, 20, 22, 9)
KINDS = ("center", "text", "center", "text", "text", "int")


def attention_document(rows: list[AttentionRow], year: SchoolYear, month: date, school: School,
                       reason: str | None = None, today: date | None = None) -> Document:
    body = [[n, r.student.full_name, r.class_group.name, r.mentor.full_name if r.mentor else "",
             "; ".join(REASON_TEXT[k] for k in r.reasons), r.absences] for n, r in enumerate(rows, start=1)]
    year_text = re.sub(r"\s*-\s*", " - ", year.name.strip())
    subtitle = [f"Năm học {year_text}"] + ([f"(Chỉ những học sinh: {REASON_TEXT[reason].lower()})"]
                                           if reason in REASON_TEXT else [])
    table = Table(columns=[Column(t, w, k) for t, w, k in zip(EXPORT_HEADERS, WIDTHS, KINDS, strict=True)],
                  rows=body, empty_text="Không có học sinh nào cần quan tâm trong tháng này.")
    part = Part(sheet="Can quan tam", title=f"DANH SÁCH HỌC SINH CẦN QUAN TÂM THÁNG {month:%m/%Y}",
                subtitle=subtitle, blocks=[table], landscape=False)
    return Document(kind="attention", filename=f"hoc-sinh-can-quan-tam-{month:%Y-%m}",
                    heading=school_heading(school, today or local_today()), parts=[part],
                    missing=missing_header_fields(school))
