"""A `Document` as HTML (the print view inside the app) and as PDF (WeasyPrint, from the same
template), and the responses that send a document in the format a URL or a file name asks for.

WeasyPrint is a real layout engine: @page rules (A4, the Decree's margins, landscape pages by name,
page numbers from page 2), table headers repeated on every page, and the shipped Liberation Serif
embedded, so an offline server needs no Times New Roman.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from flask import Response, current_app, render_template

from ..xlsx import send_workbook
from .model import Band, Document, Table, Text, column_groups, column_points, printable_width, table_slice
from .xlsx import render_xlsx

CSS_FILE = Path(__file__).resolve().parent.parent / "static" / "css" / "document.css"
FORMATS = ("xlsx", "pdf")


def vi_number(value, kind: str) -> str:
    """7,5; 1.250.000; 87,5 % — the Vietnamese way."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if kind == "percent":
        text = f"{value * 100:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        return f"{text} %"
    if kind == "decimal" or (isinstance(value, float) and not value.is_integer()):
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(value):,}".replace(",", ".")


@dataclass
class _Column:
    title: str
    points: float


@dataclass
class _Cell:
    text: str
    kind: str


@dataclass
class _Row:
    cells: list[_Cell]
    mark: str = ""


@dataclass
class _BandRow:
    band: str


@dataclass
class _Table:
    columns: list[_Column]
    rows: list
    empty_text: str
    caption: str


def _view(table: Table) -> _Table:
    rows = []
    for index, row in enumerate(table.rows):
        if isinstance(row, Band):
            rows.append(_BandRow(row.text))
            continue
        cells = []
        for column, value in zip(table.columns, row, strict=False):
            kind = column.kind if not isinstance(value, str) or not column.numeric else "center"
            text = vi_number(value, column.kind) if column.numeric or isinstance(value, date) else (
                "" if value is None else str(value))
            cells.append(_Cell(text, kind))
        rows.append(_Row(cells, table.marks.get(index, "")))
    return _Table([_Column(c.title, column_points(c.width)) for c in table.columns], rows, table.empty_text,
                  table.caption)


def layout(doc: Document) -> list[tuple]:
    """(part, blocks, landscape) per part, tables split by columns where they are too wide for the
    page at the document's font size (the key columns repeated in each piece)."""
    pages = []
    for part in doc.parts:
        landscape = part.is_landscape
        capacity = printable_width(landscape) * 1.3  # HTML tables hold a little more than a sheet's grid
        blocks: list = []
        for block in part.blocks:
            if isinstance(block, Text):
                blocks.append(block)
                continue
            for n, columns in enumerate(column_groups(block, capacity)):
                piece = table_slice(block, columns)
                if n:
                    piece.caption = ""
                blocks.append(_view(piece))
        pages.append((part, blocks, landscape))
    return pages


def render_html(doc: Document) -> str:
    """The document's body, for a page of the app (the print view)."""
    return render_template("documents/_document.html", doc=doc, pages=layout(doc))


@cache
def _css() -> str:
    return CSS_FILE.read_text(encoding="utf-8")


def render_pdf(doc: Document) -> bytes:
    from weasyprint import HTML  # imported here: its system libraries load once, on the first PDF

    # the template alone, without the app's context processors: the command line has no user or request
    template = current_app.jinja_env.get_template("documents/pdf.html")
    html = template.render(doc=doc, pages=layout(doc), css=_css())
    return HTML(string=html, base_url=str(CSS_FILE)).write_pdf()


def render(doc: Document, fmt: str) -> bytes:
    if fmt == "pdf":
        return render_pdf(doc)
    if fmt == "xlsx":
        return render_xlsx(doc)
    raise ValueError(f"unknown document format {fmt!r}")


def format_of(path) -> str:
    """The format a file name asks for: `--out list.pdf` writes a PDF, `--out list.xlsx` a workbook."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"the file name must end in .xlsx or .pdf, not {Path(path).name!r}")
    return suffix


def write_document(doc: Document, path) -> str:
    """Write the document to `path` in the format its extension names; returns the format."""
    fmt = format_of(path)
    Path(path).write_bytes(render(doc, fmt))
    return fmt


def send_document(doc: Document, fmt: str) -> Response:
    """The document as a download (never cached: it names students)."""
    data = render(doc, fmt)
    if fmt == "xlsx":
        return send_workbook(data, f"{doc.filename}.xlsx")
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{doc.filename}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
