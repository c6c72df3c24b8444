"""Writing spreadsheets with XlsxWriter (every workbook the app produces goes through here).

User text is written with write_string and the workbook never turns text into formulas or
links: a teacher's note that starts with "=" stays text. Every workbook is a `Workbook` of this
module: the same options, generic document properties (no school, department or person in them)
and every sheet name made valid by `safe_sheet_name` (a translated or typed name may hold a
character Excel forbids). Every workbook sent to a browser goes through `send_workbook`.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import date

import xlsxwriter
from flask import Response, send_file

WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The same properties on every workbook: nothing a user typed (school, department, names) goes there.
DOCUMENT_PROPERTIES = {"title": "Đỡ đầu học sinh", "author": "Đỡ đầu học sinh", "company": ""}

SHEET_NAME_MAX = 31  # Excel's limit, in UTF-16 code units
_FORBIDDEN_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _clip(text: str, limit: int) -> str:
    while _utf16_len(text) > limit:
        text = text[:-1]
    return text


def _tidy(text: str, limit: int) -> str:
    # no leading/trailing apostrophe or space (Excel refuses the apostrophes, the spaces look empty)
    return _clip(text, limit).strip(" '")


def safe_sheet_name(name: str | None, taken=()) -> str:
    """A valid Excel sheet name from `name`: the characters []:*?/\\ (and control characters) become
    "-", at most 31 characters, no apostrophe at either end, never empty ("Sheet"), and unique
    (case-insensitively, as Excel compares) among the names in `taken` ("Name (2)", ...)."""
    base = _tidy(_FORBIDDEN_IN_SHEET_NAME.sub("-", name or ""), SHEET_NAME_MAX)
    if not base or base.casefold() == "history":  # Excel reserves "History"
        base = f"Sheet {base}".strip() if base else "Sheet"
    used = {t.casefold() for t in taken}
    candidate, n = base, 1
    while candidate.casefold() in used:
        n += 1
        suffix = f" ({n})"
        candidate = _tidy(base, SHEET_NAME_MAX - len(suffix)) + suffix
    return candidate


class Workbook(xlsxwriter.Workbook):
    """XlsxWriter's workbook with the app's options (text never becomes a formula, link or number),
    generic document properties, and every sheet name passed through `safe_sheet_name`."""

    def __init__(self, target, options: dict | None = None):
        super().__init__(target, WORKBOOK_OPTIONS | (options or {}))
        self.set_properties(DOCUMENT_PROPERTIES)

    def add_worksheet(self, name: str | None = None, worksheet_class=None):
        return super().add_worksheet(safe_sheet_name(name, (ws.name for ws in self.worksheets())),
                                     worksheet_class)


def send_workbook(data: bytes, filename: str) -> Response:
    """Send a workbook as a download, kept in no cache (it holds data about minors): Flask's
    send_file says "no-cache", which lets a browser or proxy store it."""
    response = send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass
class Sheet:
    name: str
    headers: list[str]
    rows: list[list]
    title_lines: list[str] = field(default_factory=list)  # above the table (school, title, ...)
    footer_lines: list[str] = field(default_factory=list)  # below the table (signatures)
    widths: list[int] = field(default_factory=list)


def build_workbook(sheets: list[Sheet]) -> bytes:
    """Write the sheets to an .xlsx file in memory and return its bytes."""
    buf = io.BytesIO()
    book = Workbook(buf)
    base = {"font_name": "Times New Roman", "font_size": 12, "valign": "top"}
    fmt_title = book.add_format(base | {"bold": True, "align": "center"})
    fmt_header = book.add_format(base | {"bold": True, "border": 1, "align": "center", "text_wrap": True,
                                         "bg_color": "#E8EEF7"})
    fmt_cell = book.add_format(base | {"border": 1, "text_wrap": True})
    fmt_date = book.add_format(base | {"border": 1, "num_format": "dd/mm/yyyy"})
    fmt_number = book.add_format(base | {"border": 1})
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name)
        last_col = max(len(sheet.headers) - 1, 0)
        row = 0
        for line in sheet.title_lines:
            ws.merge_range(row, 0, row, last_col, line, fmt_title)
            row += 1
        if sheet.title_lines:
            row += 1
        for col, header in enumerate(sheet.headers):
            ws.write_string(row, col, header, fmt_header)
        ws.freeze_panes(row + 1, 0)
        header_row = row
        for values in sheet.rows:
            row += 1
            for col, value in enumerate(values):
                if value is None:
                    ws.write_blank(row, col, None, fmt_cell)
                elif isinstance(value, bool):
                    ws.write_string(row, col, "x" if value else "", fmt_cell)
                elif isinstance(value, int | float):
                    ws.write_number(row, col, value, fmt_number)
                elif isinstance(value, date):
                    ws.write_datetime(row, col, value, fmt_date)
                else:
                    ws.write_string(row, col, str(value), fmt_cell)
        if sheet.rows:
            ws.autofilter(header_row, 0, row, last_col)
        row += 2
        for line in sheet.footer_lines:
            ws.write_string(row, max(last_col - 1, 0), line, fmt_title)
            row += 1
        for col, width in enumerate(sheet.widths):
            ws.set_column(col, col, width)
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
    book.close()
    return buf.getvalue()


class OfficialSheet:
    """One sheet of an official document (Decree 30/2020 layout): A4 landscape, Times New Roman,
    the two header blocks, a title, a bordered table and the signature blocks.

    `text` writes user text with write_string only (numbers as numbers, empty cells blank).
    """

    def __init__(self, book, name: str, *, title_size: int = 14, extra_formats: dict | None = None):
        base = {"font_name": "Times New Roman", "font_size": 12, "valign": "top"}
        center = base | {"align": "center"}
        styles = {
            "plain": center,
            "bold": center | {"bold": True},
            "motto": center | {"bold": True, "underline": 1},
            "italic": center | {"italic": True},
            "title": center | {"bold": True, "font_size": title_size, "text_wrap": True},
            "header": center | {"bold": True, "border": 1, "text_wrap": True, "valign": "vcenter"},
            "cell": base | {"border": 1, "text_wrap": True},
            "cell_center": center | {"border": 1, "text_wrap": True},
        }
        styles |= {key: base | props for key, props in (extra_formats or {}).items()}
        self.fmt = {key: book.add_format(props) for key, props in styles.items()}
        self.ws = book.add_worksheet(name)

    def text(self, row: int, col: int, value, style: str) -> None:
        if value is None or value == "":
            self.ws.write_blank(row, col, None, self.fmt[style])
        elif isinstance(value, int) and not isinstance(value, bool):
            self.ws.write_number(row, col, value, self.fmt[style])
        else:
            self.ws.write_string(row, col, str(value), self.fmt[style])

    def merged(self, row: int, cols: tuple[int, int], value, style: str) -> None:
        self.ws.merge_range(row, cols[0], row, cols[1], "", self.fmt[style])
        self.text(row, cols[0], value, style)

    def headers(self, row: int, headers) -> None:
        for col, header in enumerate(headers):
            self.ws.write_string(row, col, header, self.fmt["header"])
        self.ws.set_row(row, 32)

    def finish(self, widths, header_row: int) -> None:
        """Column widths, the header row repeated on every page, A4 landscape, page numbers."""
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)
        self.ws.repeat_rows(header_row)
        self.ws.set_paper(9)  # A4
        self.ws.set_landscape()
        self.ws.set_margins(left=0.8, right=0.5, top=0.6, bottom=0.6)
        self.ws.center_horizontally()
        self.ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
        self.ws.set_footer('&C&"Times New Roman,Regular"&10&P/&N')
