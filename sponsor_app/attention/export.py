"""The attention list as a spreadsheet: names, class, mentor, reasons and absences (no narrative)."""

from datetime import date

from ..models import SchoolYear
from ..xlsx import Sheet
from .services import EXPORT_HEADERS, REASON_TEXT, AttentionRow


def attention_sheet(rows: list[AttentionRow], year: SchoolYear, month: date, school_name: str) -> Sheet:
    body = [[n, r.student.full_name, r.class_group.name, r.mentor.full_name if r.mentor else "",
             "; ".join(REASON_TEXT[k] for k in r.reasons), r.absences] for n, r in enumerate(rows, start=1)]
    return Sheet(name="Can quan tam", headers=list(EXPORT_HEADERS), rows=body,
                 title_lines=[school_name.upper(),
                              f"HỌC SINH CẦN QUAN TÂM THÁNG {month:%m/%Y} — NĂM HỌC {year.name}"],
                 widths=[5, 26, 8, 24, 40, 10])
