"""Issue 20: every official document prints right, as PDF and as a workbook opened in LibreOffice.

The demo school (built for a day in January, after report 1 was sent) gives every document real
content. Each document is written by `flask report KIND … --out FILE.pdf|.xlsx` (the command line a
school or an office uses) or downloaded from its page as a leader would, then read back as a reader
of the printout would (tests/doccheck.py, independent of the renderer):

- PDF (WeasyPrint): no two text lines drawn over each other, nothing under 9 pt, the national
  heading whole, every font embedded, and no page holding only a repeated table header and the
  signature;
- xlsx: every wrapped row tall enough for its lines (measured with the font's own widths), no number
  stored as text; then printed by LibreOffice headless (a suite that sizes no row by itself) and the
  same PDF checks run on that printout.

The first page of each PDF and of each LibreOffice printout is kept in test-artifacts/documents/
for people to look at.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

import sponsor_app.assignments.cli  # noqa: F401 — registers the report commands
import sponsor_app.departments.cli  # noqa: F401
import sponsor_app.emulation.cli  # noqa: F401
import sponsor_app.reports.cli  # noqa: F401
import sponsor_app.screening.cli  # noqa: F401
from sponsor_app.models import Department
from sponsor_app.seed import build_demo_school
from tests import doccheck

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "documents"
TODAY = date(2027, 1, 15)  # report 1 sent, the second semester begun
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
SIGNATURE_TITLES = ("HIỆU TRƯỞNG", "CHỦ TỊCH", "TỔ TRƯỞNG", "NGƯỜI LẬP", "TM. BAN CHẤP HÀNH", "TM. BCH")
NUMBER_TEXT = re.compile(r"^[+-]?\d[\d.,]*\s?%?$")


@pytest.fixture
def demo(db):
    demo = build_demo_school(TODAY, password_hash="unused")
    db.session.commit()
    return demo


def _commands(demo) -> list[tuple[str, list[str]]]:
    """(name, arguments of `flask report`) of every official document of the demo year."""
    year = demo.current.name
    commands = [
        ("assignment-list", ["assignment-list", "--year", year]),
        ("at-risk", ["at-risk", "--year", year]),
        ("semester-1", ["semester", "--year", year, "--term", "1"]),
        ("semester-2", ["semester", "--year", year, "--term", "2"]),
        ("district-1", ["district", "--year", year, "--term", "1"]),
        ("emulation-year", ["emulation", "--year", year]),
        ("emulation-1", ["emulation", "--year", year, "--term", "1"]),
    ]
    from sponsor_app.extensions import db

    codes = db.session.scalars(select(Department.code).where(Department.school_id == demo.school.id)
                               .order_by(Department.code)).all()
    commands += [(f"department-{code.lower()}-2026-12", ["department-monthly", "--department", code,
                                                         "--month", "2026-12"]) for code in codes[:2]]
    return commands


def _repeated_header_only_pages(pages) -> list[int]:
    """Pages (2nd on) where the signature follows nothing but the lines repeated from the top of the
    previous page (the table's header row): 'a page 2 holding only a repeated header row and the
    signature'."""
    found = []
    for before, page in zip(pages, pages[1:], strict=False):
        signature = [ln for ln in page.lines if any(ln.text.startswith(t) for t in SIGNATURE_TITLES)]
        if not signature:
            continue
        top = min(ln.top for ln in signature)
        seen = {(ln.text, round(ln.top)) for ln in before.lines}
        above = [ln for ln in page.lines if ln.bottom <= top and (ln.text, round(ln.top)) not in seen
                 and not re.fullmatch(r"\d+", ln.text)]  # the page number
        if not above:
            found.append(page.number)
    return found


def _pdf_problems(pdf: Path, name: str) -> list[str]:
    pages = doccheck.pdf_lines(pdf)
    problems = []
    if not pages:
        return [f"{name}: no page"]
    for page in pages:
        for a, b in doccheck.overlapping_lines(page):
            problems.append(f"{name} p{page.number}: {a.text[:40]!r} drawn over {b.text[:40]!r}")
        for line in doccheck.small_lines(page, 9.0):
            problems.append(f"{name} p{page.number}: {line.size:.1f} pt {line.text[:40]!r}")
    if not doccheck.has_text(pages[:1], NATIONAL_NAME):
        problems.append(f"{name}: the national heading is not whole on page 1")
    for number in _repeated_header_only_pages(pages):
        problems.append(f"{name} p{number}: only a repeated header and the signature")
    return problems


def _xlsx_problems(path: Path, name: str) -> list[str]:
    problems = [f"{name}: {p}" for p in doccheck.xlsx_row_fit_problems(path)]
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and NUMBER_TEXT.match(cell.value.strip()) and cell.border.left.style:
                    problems.append(f"{name}: {ws.title}!{cell.coordinate} holds the number {cell.value!r} as text")
    return problems


def _keep_png(pdf: Path, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doccheck.first_page_png(pdf, ARTIFACTS / f"{name}.png", dpi=60)


def test_every_official_document_prints_right_as_pdf_and_in_libreoffice(runner, demo, tmp_path):
    doccheck.require_poppler()
    doccheck.require_soffice()
    problems, summary = [], []
    for name, args in _commands(demo):
        pdf, xlsx = tmp_path / f"{name}.pdf", tmp_path / f"{name}.xlsx"
        for out in (pdf, xlsx):
            result = runner.invoke(args=["report", *args, "--out", str(out)])
            assert result.exit_code == 0, (name, out.suffix, result.output)
            assert out.exists() and out.stat().st_size > 0, (name, out.suffix)
        assert pdf.read_bytes().startswith(b"%PDF"), name
        problems += _pdf_problems(pdf, name)
        not_embedded = [font for font, embedded in doccheck.fonts_embedded(pdf) if not embedded]
        if not_embedded:
            problems.append(f"{name}: fonts not embedded: {not_embedded}")
        problems += _xlsx_problems(xlsx, name)
        printed = doccheck.xlsx_to_pdf(xlsx, tmp_path / "libreoffice")
        problems += _pdf_problems(printed, f"{name} (LibreOffice)")
        _keep_png(pdf, name)
        _keep_png(printed, f"{name}-libreoffice")
        summary.append(f"{name}: PDF {len(doccheck.pdf_lines(pdf))} p, LibreOffice {len(doccheck.pdf_lines(printed))} p")
    print("\n".join(summary))
    assert problems == [], "\n".join(problems[:60])


def test_a_bad_output_extension_is_a_clear_error(runner, demo, tmp_path):
    out = tmp_path / "list.docx"
    result = runner.invoke(args=["report", "assignment-list", "--year", demo.current.name, "--out", str(out)])
    assert result.exit_code != 0 and ".xlsx or .pdf" in result.output
    assert not out.exists()


def test_the_district_summary_of_60_schools_prints_by_columns_not_shrunk(app, tmp_path):
    """The office's workbook of 60 schools (42 columns of figures): landscape, printed at a scale that
    keeps 9 pt, split across pages by columns with TT and the school repeated, the header row on every
    page; LibreOffice prints it with nothing drawn over anything. Streamed (constant memory) as before."""
    from sponsor_app.reports import district
    from sponsor_app.reports.services import SECTIONS

    doccheck.require_soffice()
    figures = {key: {"key": key, "label": label, "kind": kind,
                     "value": "87,5%" if kind == "pct" else (1_250_000 if kind == "vnd" else 12)}
               for _title, rows in SECTIONS for key, label, kind in rows}
    parts = [district.SchoolPart(n, f"Trường THPT Số {n} huyện Đắk Glong", "submitted", "2026-12-30", figures,
                                 [{"name": f"Học sinh {n}", "class": "10A1", "circumstances": "Bố mẹ đi làm xa " * 4,
                                   "conduct": "Chăm ngoan", "mentors": "1. Nguyễn Văn An"}])
             for n in range(1, 61)]
    out = tmp_path / "district.xlsx"
    result = district.write_district_xlsx(out, "2026-2027", 1, iter(parts))
    assert (result.schools, result.students) == (60, 60)
    book = openpyxl.load_workbook(out)
    summary = book["Tong hop"]
    assert summary.page_setup.orientation == "landscape" and int(summary.page_setup.scale) >= 82
    assert not (summary.sheet_properties.pageSetUpPr and summary.sheet_properties.pageSetUpPr.fitToPage)
    assert summary.print_title_rows == "$6:$6" and summary.print_title_cols == "$A:$B"
    assert len(summary.col_breaks.brk) >= 3  # 42 columns: several pages across
    total = next(r for r in summary.iter_rows(values_only=True) if r[1] == "Tổng cộng")
    assert total[4] == 12 * 60 and isinstance(total[4], int)
    assert doccheck.xlsx_row_fit_problems(out) == []
    printed = doccheck.xlsx_to_pdf(out, tmp_path / "libreoffice")
    problems = _pdf_problems(printed, "district (LibreOffice)")
    assert problems == []
    pages = doccheck.pdf_lines(printed)
    assert sum(any("Số 60" in ln.text for ln in p.lines) for p in pages) >= 4  # the school repeated on each page across
    _keep_png(printed, "district-60-schools-libreoffice")
