"""Writing spreadsheets with XlsxWriter (every workbook the app produces goes through here).

User text is written with write_string and the workbook never turns text into formulas or
links: a teacher's note that starts with "=" stays text.
"""

import io
from dataclasses import dataclass, field
from datetime import date

import xlsxwriter

WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    book = xlsxwriter.Workbook(buf, WORKBOOK_OPTIONS)
    base = {"font_name": "Times New Roman", "font_size": 12, "valign": "top"}
    fmt_title = book.add_format(base | {"bold": True, "align": "center"})
    fmt_header = book.add_format(base | {"bold": True, "border": 1, "align": "center", "text_wrap": True,
                                         "bg_color": "#E8EEF7"})
    fmt_cell = book.add_format(base | {"border": 1, "text_wrap": True})
    fmt_date = book.add_format(base | {"border": 1, "num_format": "dd/mm/yyyy"})
    fmt_number = book.add_format(base | {"border": 1})
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name[:31])
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
        self.ws = book.add_worksheet(name[:31])

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
