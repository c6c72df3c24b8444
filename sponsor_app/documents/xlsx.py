"""A `Document` as a workbook that prints the same in Excel, LibreOffice and WPS.

- Every row's height is set from its text (`metrics`): the lines each cell needs at its column
  width, so no suite has to size rows on opening (LibreOffice does not, and printed wrapped rows
  over each other).
- Nothing is shrunk under 9 pt: a table a little too wide is scaled down no further than that; a
  wider one prints by columns, the key columns (TT, name) repeated on every page.
- The header row repeats on every page; the page breaks are computed from the row heights so the
  closing (signatures, "Nơi nhận") stays with the table's last rows and no page holds only them.
- Numbers are numeric cells with number formats (7,5; 1.250.000; 87,5 %, in the Vietnamese locale
  that the format names); text goes through write_string only, so nothing typed becomes a formula.
"""

from __future__ import annotations

import io
from datetime import date

from ..xlsx import Workbook
from . import metrics
from .model import (
    MARGINS_MM,
    MIN_FONT_SIZE,
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    Band,
    Document,
    Part,
    Table,
    Text,
    column_groups,
    column_points,
    printable_height,
    printable_width,
)

FONT = "Times New Roman"
VI = "[$-42A]"  # the Vietnamese locale: 1.250.000 and 7,5 wherever the file is opened
NUMBER_FORMATS = {"int": VI + "#,##0", "money": VI + "#,##0", "decimal": VI + "#,##0.0#",
                  "percent": VI + "0.0%", "date": "dd/mm/yyyy"}
INCH = 25.4
SLACK = 0.92  # of the printable width: suites round column widths differently (LibreOffice up to ~5 % wider)
SMALL_SIZE = 11.0  # the recipients and the page number: the print scale keeps them at 9 pt or more


def _chars(points: float) -> float:
    """Points → spreadsheet characters (the inverse of model.column_points)."""
    return (points / 0.75 - 5) / 7


def _formats(book, size: float, title_size: float) -> dict:
    base = {"font_name": FONT, "font_size": size, "valign": "top"}
    center = base | {"align": "center"}
    cell = base | {"border": 1, "text_wrap": True}
    styles = {
        "plain": center | {"text_wrap": True},
        "bold": center | {"bold": True, "text_wrap": True},
        "motto": center | {"bold": True, "underline": 1},
        "italic": center | {"italic": True, "text_wrap": True},
        "title": center | {"bold": True, "font_size": title_size, "text_wrap": True},
        "body": base | {"text_wrap": True, "align": "justify"},
        "section": base | {"bold": True, "text_wrap": True},
        "bold_center": center | {"bold": True, "text_wrap": True},
        "italic_center": center | {"italic": True, "text_wrap": True},
        "center": center | {"text_wrap": True},
        "header": center | {"bold": True, "border": 1, "text_wrap": True, "valign": "vcenter"},
        "band": cell | {"bold": True},
        "empty": cell | {"italic": True, "align": "center"},
        "text": cell,
        "cell_center": cell | {"align": "center"},
        "recipients_title": base | {"bold": True, "italic": True},
        "recipients": base | {"font_size": SMALL_SIZE, "text_wrap": True},
    }
    for kind, num_format in NUMBER_FORMATS.items():
        styles[kind] = base | {"border": 1, "num_format": num_format,
                               "align": "center" if kind == "date" else "right"}
        if kind != "date":
            styles[kind]["indent"] = 1  # right-aligned numbers off the next column's text
    styles["center_kind"] = styles["cell_center"]
    return {key: book.add_format(props) for key, props in styles.items()}


class _SheetWriter:
    """Writes one part: keeps each row's height and role so the page breaks can be planned."""

    def __init__(self, book, part: Part, doc: Document, fmt: dict):
        self.part, self.doc, self.fmt, self.size = part, doc, fmt, doc.font_size
        self.ws = book.add_worksheet(part.sheet)
        self.landscape = part.is_landscape
        self.capacity = printable_width(self.landscape) * SLACK
        self.grid = self._grid()
        self.widths = [column_points(w) for w in self.grid]
        self.scale = self._scale()
        self.row = 0
        self.heights: dict[int, float] = {}
        self.header_row: int | None = None
        self.table_rows: list[int] = []  # the data rows of the last table
        self.closing_start: int | None = None
        self.v_breaks: list[int] = []
        # the header row printed on every page: only when every table of the sheet has that header
        titles = {tuple(c.title for c in t.columns) for t in part.tables}
        self._repeat_header = len(titles) == 1

    # -- the grid -------------------------------------------------------------------------------------------------
    def _grid(self) -> list[float]:
        """The sheet's columns: the widest table's, with the one under the heading's split cut in
        two, so the two heading blocks (and the signatures) have the widths they need whatever the
        table's columns (the national name needs ~255 pt on one line). `column_map` maps each table
        column to its grid columns (first, last)."""
        tables = self.part.tables
        base = [c.width for c in max(tables, key=lambda t: len(t.columns)).columns] if tables else [6, 40, 20, 30]
        total = sum(base)
        need = _chars(metrics.text_width(NATIONAL_NAME, self.size, bold=True) + metrics.CELL_PADDING + 6)
        edges = [sum(base[:i]) for i in range(1, len(base))]
        # an existing column edge when one leaves the right block wide enough (a table keeps one sheet
        # column per column: sortable, filterable); else the column under the split is cut in two
        fitting = [e for e in edges if total - e >= need and e >= total * 0.2]
        split = min(fitting, key=lambda e: abs(e - total * 0.42)) if fitting else max(
            min(total * 0.42, total - need), total * 0.2)
        grid: list[float] = []
        self.column_map: list[tuple[int, int]] = []
        self.split_index = 1
        edge = 0.0
        for width in base:
            first = len(grid)
            if abs(edge - split) < 0.01:
                self.split_index = first
            if edge + 1 < split < edge + width - 1:  # cut this column at the split
                left = split - edge
                grid += [left, max(width - left - 5 / 7, 1.0)]
                self.split_index = first + 1
            else:
                grid.append(width)
            self.column_map.append((first, len(grid) - 1))
            edge += width
        self.split_index = min(max(self.split_index, 1), max(len(grid) - 1, 1))
        return grid

    def _scale(self) -> int:
        """Print scale in percent: 100 when the grid fits, down to what keeps 9 pt, else 100 and the
        table is split by columns (vertical page breaks)."""
        total = sum(self.widths)
        if total <= self.capacity:
            return 100
        fit = int(self.capacity / total * 100)
        smallest = min(self.size, self.part.title_size, SMALL_SIZE)  # the recipients and the page number
        floor = int(MIN_FONT_SIZE / smallest * 100 + 0.999)
        return max(fit, floor)

    def span(self, first: int, last: int) -> float:
        return sum(self.widths[first:last + 1])

    def halves(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The two heading (and signature) blocks, split where `_grid` cut the columns."""
        last = len(self.grid) - 1
        if last == 0:
            return (0, 0), (0, 0)
        return (0, self.split_index - 1), (self.split_index, last)

    # -- writing ----------------------------------------------------------------------------------------------
    def set_height(self, row: int, height: float) -> None:
        self.heights[row] = max(self.heights.get(row, 0.0), height)
        self.ws.set_row(row, self.heights[row])

    def text_height(self, value, width: float, size: float, bold=False, italic=False) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # as wide as the shown number at most (0,8333… shows as 83,3 % or 0,83; 1250000 as 1.250.000)
            value = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
        lines = metrics.lines_needed(value, width, size, bold, italic)
        return lines * metrics.line_height(size) + (1.5 if lines > 1 else 0)

    def write(self, row: int, col: int, value, style: str) -> None:
        fmt = self.fmt[style]
        if value is None or value == "":
            self.ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            self.ws.write_string(row, col, "x" if value else "", fmt)
        elif isinstance(value, int | float) and style in NUMBER_FORMATS:
            self.ws.write_number(row, col, value, fmt)
        elif isinstance(value, int | float) and style in ("cell_center", "text"):
            self.ws.write_number(row, col, value, fmt)
        elif isinstance(value, date) and style == "date":
            self.ws.write_datetime(row, col, value, fmt)
        else:
            self.ws.write_string(row, col, str(value), fmt)

    def merged(self, row: int, cols: tuple[int, int], value, style: str, size: float | None = None,
               bold=False, italic=False) -> None:
        if cols[0] == cols[1]:
            self.write(row, cols[0], value, style)
        else:
            self.ws.merge_range(row, cols[0], row, cols[1], "", self.fmt[style])
            self.write(row, cols[0], value, style)
        self.set_height(row, self.text_height(value, self.span(*cols), size or self.size, bold, italic))

    def heading(self) -> None:
        h = self.doc.heading
        left, right = self.halves()
        rows = [((h.authority, "plain", False), (NATIONAL_NAME, "bold", True)),
                ((h.organisation, "bold", True), (NATIONAL_MOTTO, "motto", True))]
        for (lv, ls, lb), (rv, rs, rb) in rows:
            self.merged(self.row, left, lv, ls, bold=lb)
            self.merged(self.row, right, rv, rs, bold=rb)
            self.row += 1
        self.merged(self.row, left, h.number, "plain")
        self.merged(self.row, right, h.place_date, "italic", italic=True)
        self.row += 2
        last = len(self.grid) - 1
        self.merged(self.row, (0, last), self.part.title, "title", size=self.part.title_size, bold=True)
        self.row += 1
        for line in self.part.subtitle:
            self.merged(self.row, (0, last), line, "italic_center", italic=True)
            self.row += 1
        self.row += 1

    def text_block(self, block: Text) -> None:
        last = len(self.grid) - 1
        bold = block.style in ("section", "bold_center")
        italic = block.style == "italic_center"
        for line in block.text.split("\n") or [""]:
            self.merged(self.row, (0, last), line, block.style, bold=bold, italic=italic)
            self.row += 1

    def table(self, table: Table) -> None:
        last_grid = len(self.grid) - 1
        if table.caption:
            self.merged(self.row, (0, last_grid), table.caption, "section", bold=True)
            self.row += 1
        n = len(table.columns)
        # each column over its grid columns; a table narrower than the widest: its last column spans the rest
        spans = [self.column_map[i] for i in range(n - 1)] + [(self.column_map[n - 1][0], last_grid)] if n else []
        for (first, last), column in zip(spans, table.columns, strict=True):
            self.merged(self.row, (first, last), column.title, "header", bold=True)
        if self.header_row is None and self._repeat_header:
            self.header_row = self.row
        self.row += 1
        self.table_rows = []
        for values in table.rows:
            if isinstance(values, Band):
                self.merged(self.row, (0, last_grid), values.text, "band", bold=True)
            else:
                for (first, last), column, value in zip(spans, table.columns, values, strict=False):
                    style = {"text": "text", "center": "cell_center"}.get(column.kind, column.kind)
                    if isinstance(value, str) and column.numeric:
                        style = "cell_center" if column.kind != "text" else "text"
                    self.merged(self.row, (first, last), value, style)
            self.table_rows.append(self.row)
            self.row += 1
        if not table.rows and table.empty_text:
            self.merged(self.row, (0, last_grid), table.empty_text, "empty", italic=True)
            self.table_rows.append(self.row)
            self.row += 1
        self.row += 1

    def closing(self) -> None:
        part = self.part
        if not part.signatures and not part.recipients:
            return
        left, right = self.halves()
        self.closing_start = self.row
        start = self.row
        signatures = list(part.signatures)
        main = signatures.pop() if signatures else None
        other = signatures[0] if signatures else None
        for sig, cols in ((other, left), (main, right)):
            if sig is None:
                continue
            row = start
            self.merged(row, cols, sig.title, "bold", bold=True)
            row += 1
            if sig.hint:
                self.merged(row, cols, sig.hint, "italic", italic=True)
                row += 1
            row += 4  # the space for the signature and the stamp
            self.merged(row, cols, sig.name, "bold", bold=True)
            self.row = max(self.row, row + 1)
        if part.recipients:
            row = self.row if other else start
            self.merged(row, left, "Nơi nhận:", "recipients_title", bold=True, italic=True)
            for line in part.recipients:
                row += 1
                self.merged(row, left, line, "recipients", size=SMALL_SIZE)
            self.row = max(self.row, row + 1)

    # -- the page ----------------------------------------------------------------------------------------------
    def page_breaks(self) -> list[int]:
        """Rows before which a page starts: what the suite would do, except that the closing never
        starts a page alone: the table's last two rows go with it."""
        usable = printable_height(self.landscape) * 100 / self.scale - 24  # the page number's line
        default = metrics.line_height(self.size)
        header = self.heights.get(self.header_row, default) if self.header_row is not None else 0.0
        breaks, used = [], 0.0
        for r in range(self.row):
            h = self.heights.get(r, default)
            if used + h > usable and used > 0:
                breaks.append(r)
                used = header if self.header_row is not None and r > self.header_row else 0.0
            used += h
        if self.closing_start is None or not self.table_rows:
            return breaks
        keep = self.table_rows[-2:] if len(self.table_rows) > 1 else self.table_rows[-1:]
        first_kept = keep[0]
        closing_rows = range(self.closing_start, self.row)
        # a break inside the closing, or between the table's end and the closing: start the page earlier
        for b in list(breaks):
            if first_kept < b <= self.closing_start or b in closing_rows:
                breaks.remove(b)
                if first_kept > (self.header_row or 0) + 1:
                    breaks.append(first_kept)
        return sorted(set(breaks))

    def finish(self) -> None:
        ws = self.ws
        for col, width in enumerate(self.grid):
            ws.set_column(col, col, width)
        for r in range(self.row):  # every row an explicit height: no suite sizes anything
            if r not in self.heights:
                self.set_height(r, metrics.line_height(self.size))
        if self.header_row is not None:
            ws.repeat_rows(self.header_row)
        table = max(self.part.tables, key=lambda t: len(t.columns), default=None)
        groups = []
        if table is not None and sum(self.widths) * self.scale / 100 > self.capacity:
            groups = column_groups(table, self.capacity * 100 / self.scale)
        keys = min(table.key_columns, len(table.columns)) if table is not None else 0
        page_setup(ws, landscape=self.landscape, scale=self.scale,
                   key_columns=self.column_map[keys - 1][1] + 1 if keys and len(groups) > 1 else 0,
                   v_breaks=[self.column_map[g[keys]][0] for g in groups[1:] if len(g) > keys])
        breaks = self.page_breaks()
        if breaks:
            ws.set_h_pagebreaks(breaks)


# ---------------------------------------------------------------------------------------------------------------
# For a sheet written row by row (a streamed workbook, `reports/district.py`): the same print rules


def page_setup(ws, *, landscape: bool, scale: int, key_columns: int = 0, v_breaks: list[int] | None = None) -> None:
    """A4, the Decree's margins, a fixed print scale (never a fit-to-page shrink), the page number at
    the top; a table split by columns repeats its first `key_columns` columns on every page."""
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(left=MARGINS_MM["left"] / INCH, right=MARGINS_MM["right"] / INCH,
                   top=MARGINS_MM["top"] / INCH, bottom=MARGINS_MM["bottom"] / INCH)
    ws.set_print_scale(scale)
    if v_breaks:
        if key_columns:
            ws.repeat_columns(0, key_columns - 1)
        ws.set_v_pagebreaks(v_breaks)
        ws.print_across()
    ws.set_header('&C&"Times New Roman,Regular"&11&P', {"margin": 0.3})
    ws.hide_gridlines(2)


def table_print_plan(table: Table, landscape: bool = True, size: float = 12.0) -> tuple[int, list[int]]:
    """(print scale, first columns of the pages after the first) of a sheet holding `table` alone
    from its first column: scaled down no further than 9 pt, else split by columns."""
    capacity = printable_width(landscape) * SLACK
    total = table.width
    if total <= capacity:
        return 100, []
    scale = max(int(capacity / total * 100), int(MIN_FONT_SIZE / min(size, SMALL_SIZE) * 100 + 0.999))
    if total * scale / 100 <= capacity:
        return scale, []
    groups = column_groups(table, capacity * 100 / scale)
    keys = min(table.key_columns, len(table.columns))
    return scale, [g[keys] for g in groups[1:] if len(g) > keys]


def row_height(values, widths: list[float], size: float = 12.0, bold: bool = False) -> float:
    """The height a row needs for its values in columns `widths` (spreadsheet characters)."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
        lines = max(lines, metrics.lines_needed(value, column_points(width), size, bold))
    return lines * metrics.line_height(size) + (1.5 if lines > 1 else 0)


def render_xlsx(doc: Document) -> bytes:
    buf = io.BytesIO()
    book = Workbook(buf)
    for part in doc.parts:
        fmt = _formats(book, doc.font_size, part.title_size)
        writer = _SheetWriter(book, part, doc, fmt)
        writer.heading()
        for block in part.blocks:
            if isinstance(block, Table):
                writer.table(block)
            else:
                writer.text_block(block)
        writer.closing()
        writer.finish()
    book.close()
    return buf.getvalue()
