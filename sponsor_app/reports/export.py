"""The report as an A4 workbook in Times New Roman: one sheet per part of the document.

`SHEET_WRITERS` maps a part's name to the function writing its sheet, in the workbook's order; a
part missing from a report (an older snapshot) is skipped. Every text goes through
`OfficialSheet.text` (write_string): nothing anyone typed becomes a formula or a link.
The document stays Vietnamese whatever the interface language.
"""

import io
import re

from ..xlsx import OfficialSheet, Workbook
from .services import NARRATIVE_TITLES, TERM_NAME

EXTRA_FORMATS = {"summary": {"text_wrap": True}, "section": {"bold": True},
                 "number": {"border": 1, "num_format": "#,##0", "align": "right"},
                 "cell_right": {"border": 1, "align": "right"}}


def _head(sheet: OfficialSheet, doc: dict, last: int, split: int) -> int:
    """The official header and title; returns the next free row."""
    h = doc["parts"]["header"]
    left, right = (0, split - 1), (split, last)
    sheet.merged(0, left, h["governing_body"], "plain")
    sheet.merged(0, right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold")
    sheet.merged(1, left, h["school"], "bold")
    sheet.merged(1, right, "Độc lập - Tự do - Hạnh phúc", "motto")
    sheet.merged(2, left, h["number"], "plain")
    sheet.merged(3, right, h["date_line"], "italic")
    sheet.merged(5, (0, last), h["title"], "title")
    sheet.ws.set_row(5, 48)
    sheet.merged(6, (0, last), h["as_of"], "italic")
    return 8


def _signature(sheet: OfficialSheet, doc: dict, row: int, right: tuple[int, int]) -> None:
    h = doc["parts"]["header"]
    sheet.merged(row, right, h["signer"], "bold")
    sheet.merged(row + 1, right, h["signer_hint"], "italic")
    if h.get("principal"):
        sheet.merged(row + 6, right, h["principal"], "bold")


def _value(sheet: OfficialSheet, row: int, col: int, item: dict, value) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        sheet.text(row, col, value, "number")
    else:
        sheet.text(row, col, "" if value is None else str(value), "cell_right")


def write_report_sheet(book, doc: dict) -> None:
    """The report itself: header, title, the figures by section, the narratives, the signature."""
    sheet = OfficialSheet(book, "Bao cao", title_size=13, extra_formats=EXTRA_FORMATS)
    last = 3
    row = _head(sheet, doc, last, 2)
    sheet.merged(row, (0, last), "A. SỐ LIỆU", "section")
    row += 1
    header_row = row
    sheet.headers(row, ("TT", "Nội dung", "Số liệu", "Ghi chú"))
    n = 0
    for section in doc["parts"]["figures"]["sections"]:
        row += 1
        sheet.merged(row, (0, last), section["title"], "section")
        for item in section["rows"]:
            row += 1
            n += 1
            sheet.text(row, 0, n, "cell_center")
            sheet.text(row, 1, item["label"], "cell")
            _value(sheet, row, 2, item, item["value"])
            sheet.text(row, 3, "", "cell")
    row += 2
    sheet.merged(row, (0, last), "B. ĐÁNH GIÁ CHUNG", "section")
    narrative = doc["parts"].get("narrative", {})
    for i, (key, title) in enumerate(NARRATIVE_TITLES, start=1):
        row += 1
        sheet.merged(row, (0, last), f"{i}. {title}", "section")
        for line in (narrative.get(key) or "").splitlines() or [""]:
            row += 1
            sheet.merged(row, (0, last), line, "summary")
            sheet.ws.set_row(row, 16 * max(1, len(line) // 90 + 1))
    row += 2
    _signature(sheet, doc, row, (2, last))
    sheet.finish((6, 62, 16, 18), header_row)
    sheet.ws.set_portrait()


def write_students_sheet(book, doc: dict) -> None:
    """The appendix: TT | Họ và tên | Lớp | Hoàn cảnh … | Sự rèn luyện … | GV nhận đỡ đầu (| Sự tiến bộ)."""
    part = doc["parts"]["students"]
    headers = part["headers"]
    sheet = OfficialSheet(book, "Phu luc hoc sinh", title_size=13, extra_formats=EXTRA_FORMATS)
    last = len(headers) - 1
    row = _head(sheet, doc, last, 3)
    sheet.merged(row, (0, last), f"DANH SÁCH HỌC SINH ĐƯỢC ĐỠ ĐẦU ({TERM_NAME[doc['term']].upper()})", "bold")
    header_row = row + 1
    sheet.headers(header_row, headers)
    row = header_row
    keys = ("tt", "name", "class", "circumstances", "conduct", "mentors", "progress")[:len(headers)]
    styles = ("cell_center", "cell", "cell_center", "cell", "cell", "cell", "cell")
    for item in part["rows"]:
        row += 1
        for col, key in enumerate(keys):
            sheet.text(row, col, item.get(key), styles[col])
    row += 2
    _signature(sheet, doc, row, (4, last))
    widths = (5, 24, 8, 42, 34, 32, 30)[:len(headers)]
    sheet.ws.freeze_panes(header_row + 1, 0)
    sheet.finish(widths, header_row)


def write_changes_sheet(book, doc: dict) -> None:
    """What changed since the previous submitted report: every figure before and after, students
    added to and gone from the table."""
    part = doc["parts"].get("changes") or {}
    sheet = OfficialSheet(book, "Thay doi", title_size=13, extra_formats=EXTRA_FORMATS)
    last = 4
    row = _head(sheet, doc, last, 2)
    previous = part.get("previous")
    if not previous:
        sheet.merged(row, (0, last), "Chưa có báo cáo nào được gửi trước báo cáo này.", "italic")
        sheet.finish((6, 52, 14, 14, 14), row)
        return
    sheet.merged(row, (0, last), f"SO VỚI {TERM_NAME[previous['term']].upper()} NĂM HỌC {previous['year']} "
                                 f"(SỐ LIỆU ĐẾN {dmy(previous['as_of'])})", "bold")
    header_row = row + 1
    sheet.headers(header_row, ("TT", "Nội dung", "Báo cáo trước", "Báo cáo này", "Thay đổi"))
    row = header_row
    for n, item in enumerate(part["figures"], start=1):
        row += 1
        sheet.text(row, 0, n, "cell_center")
        sheet.text(row, 1, item["label"], "cell")
        _value(sheet, row, 2, item, item["before"])
        _value(sheet, row, 3, item, item["after"])
        delta = item["delta"]
        sheet.text(row, 4, "" if delta is None else (f"+{delta}" if delta > 0 else str(delta)), "cell_right")
    for title, key in (("Học sinh mới có trong danh sách", "added"), ("Học sinh không còn trong danh sách", "removed")):
        row += 2
        sheet.merged(row, (0, last), f"{title}: {len(part[key])}", "section")
        for n, item in enumerate(part[key], start=1):
            row += 1
            sheet.text(row, 0, n, "cell_center")
            sheet.text(row, 1, item["name"], "cell")
            sheet.text(row, 2, item["class"], "cell_center")
    sheet.finish((6, 52, 14, 14, 14), header_row)
    sheet.ws.set_portrait()


def dmy(iso: str | None) -> str:
    return "" if not iso else f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"


def write_commendations_sheet(book, doc: dict) -> None:
    """The commendation list from the emulation results (approved, or proposed when not locked yet)."""
    part = doc["parts"]["commendations"]
    headers = part["headers"]
    sheet = OfficialSheet(book, "Khen thuong", title_size=13, extra_formats=EXTRA_FORMATS)
    last = len(headers) - 1
    row = _head(sheet, doc, last, 3)
    sheet.merged(row, (0, last), "DANH SÁCH TẬP THỂ, CÁ NHÂN ĐỀ NGHỊ BIỂU DƯƠNG, KHEN THƯỞNG", "bold")
    sheet.merged(row + 1, (0, last), part["basis"], "italic")
    header_row = row + 2
    sheet.headers(header_row, headers)
    row = header_row
    for item in part["rows"]:
        row += 1
        for col, key in enumerate(("tt", "kind", "who", "department", "band", "evidence")):
            sheet.text(row, col, item.get(key), "cell_center" if col == 0 else "cell")
    if not part["rows"]:
        row += 1
        sheet.merged(row, (0, last), "Chưa có tập thể, cá nhân đạt mức được đề nghị.", "italic")
    _signature(sheet, doc, row + 2, (3, last))
    sheet.finish((5, 13, 26, 16, 14, 60), header_row)


# part name → sheet writer, in the workbook's order
SHEET_WRITERS = {"figures": write_report_sheet, "students": write_students_sheet, "changes": write_changes_sheet,
                 "commendations": write_commendations_sheet}


def build_xlsx(doc: dict) -> bytes:
    buf = io.BytesIO()
    book = Workbook(buf)
    for part, writer in SHEET_WRITERS.items():
        if part in doc["parts"]:
            writer(book, doc)
    book.close()
    return buf.getvalue()


def filename(doc: dict) -> str:
    year = re.sub(r"[^0-9-]+", "", doc["year"])
    return f"bao-cao-lan-{doc['term']}-{year}.xlsx"
