"""The model of an official document, rendered three ways from the same object: a workbook
(`documents.xlsx`), a print view and a PDF (`documents.pdf`, both from `templates/documents/`).

A `Document` is the two-column heading of Decree 30/2020 (the governing body and the school on the
left, the national name and motto on the right, the number line and the place-and-date line) and one
or more `Part`s. Each part is a sheet of the workbook and starts a new page in the PDF: its title,
its subtitle lines, its blocks (`Text` paragraphs and `Table`s) and its closing (signatures and the
"Nơi nhận" list). Tables carry typed columns, so numbers stay numbers in the workbook and line up in
the PDF.

The model holds no layout engine: the page geometry shared by both renderers (A4, the Decree's
margins, the smallest font allowed, how a table too wide for the page is split by columns) is here,
the rest in each renderer. Document texts are the official Vietnamese form whatever the interface
language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
FONT_SIZE = 12.0  # Times New Roman 12–14 (Decree 30/2020, appendix I); tables at 12
MIN_FONT_SIZE = 9.0  # nothing prints smaller (issue 20)

# A4 and the margins of Decree 30/2020 (top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm)
MM = 72 / 25.4
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}


def printable_width(landscape: bool) -> float:
    """The width between the margins, in points."""
    width = PAGE_MM[1] if landscape else PAGE_MM[0]
    return (width - MARGINS_MM["left"] - MARGINS_MM["right"]) * MM


def printable_height(landscape: bool) -> float:
    height = PAGE_MM[0] if landscape else PAGE_MM[1]
    return (height - MARGINS_MM["top"] - MARGINS_MM["bottom"]) * MM


def column_points(width: float) -> float:
    """A spreadsheet column width (characters of the default font, Calibri 11: 7 px each plus 5 px
    of padding) in points. The PDF gives its columns the same proportions."""
    return int(width * 7 + 5) * 0.75


KINDS = ("text", "center", "int", "decimal", "percent", "money", "date")


@dataclass
class Column:
    title: str
    width: float  # spreadsheet characters; the PDF uses the same proportions
    kind: str = "text"  # one of KINDS: numbers stay numbers in the workbook

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "decimal", "percent", "money")


@dataclass
class Band:
    """A row across the whole table: a section title inside it ("I. Học sinh …")."""
    text: str


@dataclass
class Table:
    columns: list[Column]
    rows: list[list | Band] = field(default_factory=list)
    empty_text: str = ""  # printed across the table when it has no rows
    key_columns: int = 2  # repeated on each page when the table is split by columns (TT, Họ và tên)
    caption: str = ""  # a bold line right above the table
    marks: dict[int, str] = field(default_factory=dict)  # row index → a class marking it on screen only

    @property
    def width(self) -> float:
        return sum(column_points(c.width) for c in self.columns)


@dataclass
class Text:
    text: str
    style: str = "body"  # body (justified), section (bold), bold_center, italic_center, center


@dataclass
class Signature:
    title: str  # "HIỆU TRƯỞNG", "NGƯỜI LẬP DANH SÁCH"
    hint: str = ""  # "(Ký tên, đóng dấu)"
    name: str = ""  # the signer's name, printed under the space for the signature


@dataclass
class Part:
    """One sheet of the workbook; one or more pages of the PDF, starting on a new page."""
    sheet: str
    title: str
    subtitle: list[str] = field(default_factory=list)
    blocks: list[Text | Table] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)  # the last one on the right
    recipients: list[str] = field(default_factory=list)  # "Nơi nhận:" lines, bottom left
    landscape: bool | None = None  # None: landscape when the widest table does not fit a portrait page
    title_size: float = 13.0

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def is_landscape(self) -> bool:
        if self.landscape is not None:
            return self.landscape
        widest = max((t.width for t in self.tables), default=0)
        return widest > printable_width(False)


@dataclass
class Heading:
    authority: str = ""  # the governing body (Sở/Phòng GD&ĐT), upper case
    organisation: str = ""  # the school, upper case, bold
    number: str = ""  # "Số: …/BC-…" (empty: none)
    place_date: str = ""  # "Đăk Song, ngày 05 tháng 02 năm 2027"


@dataclass
class Document:
    kind: str  # "assignment-list", "semester-1", ...
    filename: str  # without extension: "phan-cong-do-dau-2026-2027"
    heading: Heading
    parts: list[Part]
    missing: list[str] = field(default_factory=list)  # school header data not filled in (shown before download)
    font_size: float = FONT_SIZE


# ---------------------------------------------------------------------------------------------------------------
# The heading of a school's document


HEADER_FIELDS = (("governing_body", _l("Cơ quan chủ quản")), ("place_name", _l("Địa danh ghi trên văn bản")),
                 ("principal_name", _l("Hiệu trưởng")))  # the labels of the school form


def missing_header_fields(school) -> list[str]:
    """The labels of the school's header data still empty: a document printed without them is
    incomplete (the setup checklist and the document pages say so)."""
    return [str(label) for name, label in HEADER_FIELDS if not (getattr(school, name, None) or "").strip()]


def date_line(place_name: str | None, day: date) -> str:
    """ "Đăk Song, ngày 05 tháng 02 năm 2027" (Decree 30/2020: a leading zero for days below 10 and
    for months 1 and 2 only)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    place = (place_name or "").strip()
    return f"{place}, {text}" if place else text.capitalize()


def school_heading(school, day: date, number: str = "") -> Heading:
    return Heading(authority=(school.governing_body or "").strip().upper(),
                   organisation=(school.name or "").strip().upper(),
                   number=number, place_date=date_line(school.place_name, day))


def principal_signature(school, title: str = "HIỆU TRƯỞNG", hint: str = "(Ký tên, đóng dấu)") -> Signature:
    return Signature(title=title, hint=hint, name=(school.principal_name or "").strip())


def filename_part(text: str) -> str:
    """ "2026 - 2027" → "2026-2027": the safe part of a file name."""
    return re.sub(r"[^0-9A-Za-z-]+", "", text.replace(" ", ""))


# ---------------------------------------------------------------------------------------------------------------
# Tables too wide for the page


def column_groups(table: Table, capacity: float) -> list[list[int]]:
    """The columns of `table` split into groups that each fit `capacity` points, every group after
    the first repeating the key columns (TT, the name) so each printed piece can be read alone.
    One group (all columns) when the table fits."""
    widths = [column_points(c.width) for c in table.columns]
    if sum(widths) <= capacity:
        return [list(range(len(widths)))]
    keys = list(range(min(table.key_columns, len(widths))))
    key_width = sum(widths[i] for i in keys)
    groups: list[list[int]] = []
    current: list[int] = list(keys)
    used = key_width
    for i in range(len(keys), len(widths)):
        if used + widths[i] > capacity and len(current) > len(keys):
            groups.append(current)
            current, used = list(keys), key_width
        current.append(i)
        used += widths[i]
    groups.append(current)
    return groups


def table_slice(table: Table, columns: list[int]) -> Table:
    """The table restricted to some columns (band rows kept whole)."""
    rows = [row if isinstance(row, Band) else [row[i] if i < len(row) else None for i in columns]
            for row in table.rows]
    return Table(columns=[table.columns[i] for i in columns], rows=rows, empty_text=table.empty_text,
                 key_columns=min(table.key_columns, len(columns)), caption=table.caption, marks=table.marks)
