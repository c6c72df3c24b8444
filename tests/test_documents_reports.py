"""Issue 20 for the `reports` feature: the twice-yearly reports and the year-end review are one
`Document` each, written as a workbook and as a PDF (routes, `flask report semester --out FILE.pdf`),
and both print right: checked with the readers of tests/doccheck.py on the demo school, the workbook
also printed by LibreOffice. First pages kept under test-artifacts/documents/."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

import sponsor_app.reports.cli  # noqa: F401 — registers the report commands
from sponsor_app.extensions import db as _db
from sponsor_app.models import AuditLog
from sponsor_app.reports import export, rollover, services
from sponsor_app.seed import build_demo_school
from tests import doccheck
from tests.conftest import login
from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "documents"
TODAY = date(2027, 1, 15)  # report 1 sent, report 2 a draft
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


@pytest.fixture
def demo(db):
    demo = build_demo_school(TODAY, password_hash="unused")
    db.session.commit()
    return demo


def _pdf_problems(pdf, name: str) -> tuple[list[str], list]:
    pages = doccheck.pdf_lines(pdf)
    problems = []
    for page in pages:
        problems += [f"{name} p{page.number}: {a.text[:30]!r} over {b.text[:30]!r}"
                     for a, b in doccheck.overlapping_lines(page)]
        problems += [f"{name} p{page.number}: {ln.size:.1f} pt {ln.text[:30]!r}" for ln in doccheck.small_lines(page)]
    if not doccheck.has_text(pages, NATIONAL_NAME):
        problems.append(f"{name}: the national heading is never whole")
    return problems, pages


def _closing_alone(pages) -> list[int]:
    """Pages whose only text above the signature is the page number or the repeated table header."""
    found = []
    for page in pages[1:]:
        titles = [ln for ln in page.lines if ln.text.startswith("HIỆU TRƯỞNG") or ln.text.startswith("Nơi nhận")]
        if not titles:
            continue
        top = min(ln.top for ln in titles)
        above = [ln for ln in page.lines if ln.bottom <= top and not ln.text.isdigit()
                 and not ln.text.startswith("TT ")]
        if not above:
            found.append(page.number)
    return found


def _keep_png(pdf, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doccheck.first_page_png(pdf, ARTIFACTS / f"{name}.png", dpi=60)


@pytest.mark.parametrize("term", [1, 2])
def test_the_semester_report_prints_right_as_pdf_and_in_libreoffice(runner, demo, tmp_path, term):
    doccheck.require_poppler()
    doccheck.require_soffice()
    name = f"semester-{term}"
    pdf, xlsx = tmp_path / f"{name}.pdf", tmp_path / f"{name}.xlsx"
    for out in (pdf, xlsx):
        result = runner.invoke(args=["report", "semester", "--year", demo.current.name, "--term", str(term),
                                     "--out", str(out), "--school", str(demo.school.id)])
        assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    problems, pages = _pdf_problems(pdf, name)
    assert problems == []
    assert doccheck.has_text(pages[:1], NATIONAL_NAME)
    assert all(embedded for _font, embedded in doccheck.fonts_embedded(pdf))
    assert _closing_alone(pages) == []
    # the report (2–3 pages), 25 students with their long circumstances texts (6–10 landscape pages), the
    # changes (2–3) and the commendations (1–2)
    assert 10 <= len(pages) <= 20, len(pages)
    text = " ".join(ln.text for p in pages for ln in p.lines)
    for expected in ("Số: ", "/BC-", "Nơi nhận:", "- Lưu: VT.", "HIỆU TRƯỞNG", "PHỤ LỤC: DANH SÁCH HỌC SINH"):
        assert expected in text, expected

    assert doccheck.xlsx_row_fit_problems(xlsx) == []
    assert doccheck.xlsx_number_problems(xlsx, [("Bao cao", "Số liệu"), ("Bao cao", "Tỉ lệ")]) == []
    book = openpyxl.load_workbook(xlsx)
    sheet_rows = list(book["Bao cao"].iter_rows(values_only=True))
    rate_col = next(row.index("Tỉ lệ") for row in sheet_rows if "Tỉ lệ" in row)  # the heading may cut a column
    rates = [row[rate_col] for row in sheet_rows if isinstance(row[0], int) and row[rate_col]]
    assert rates and all(isinstance(r, float) and 0 <= r <= 1 for r in rates if r != "—")
    for ws in book.worksheets:  # nothing shrunk under 9 pt (11 pt recipients at 82 %), no fit-to-page
        assert 82 <= (ws.page_setup.scale or 100) <= 100 and not ws.sheet_properties.pageSetUpPr.fitToPage
    printed = doccheck.xlsx_to_pdf(xlsx, tmp_path / "libreoffice")
    lo_problems, lo_pages = _pdf_problems(printed, f"{name} (LibreOffice)")
    assert lo_problems == []
    assert _closing_alone(lo_pages) == []
    _keep_png(pdf, name)
    _keep_png(printed, f"{name}-libreoffice")


def test_the_year_review_prints_right_as_pdf_and_in_libreoffice(app, demo, tmp_path):
    doccheck.require_poppler()
    doccheck.require_soffice()
    from sponsor_app.documents.web import write_document

    year = demo.current
    doc = export.review_document(demo.school, year, rollover.review(year),
                                 services.commendations_part(year, "year", TODAY), today=TODAY)
    assert [p.sheet for p in doc.parts] == ["Tong ket", "Khen thuong"]
    pdf, xlsx = tmp_path / "review.pdf", tmp_path / "review.xlsx"
    with app.test_request_context():
        write_document(doc, pdf)
        write_document(doc, xlsx)
    problems, pages = _pdf_problems(pdf, "review")
    assert problems == [] and doccheck.has_text(pages[:1], NATIONAL_NAME)
    assert _closing_alone(pages) == [] and len(pages) <= 8
    assert doccheck.xlsx_row_fit_problems(xlsx) == []
    assert doccheck.xlsx_number_problems(xlsx, [("Tong ket", "Số nhận xét")]) == []
    printed = doccheck.xlsx_to_pdf(xlsx, tmp_path / "libreoffice")
    lo_problems, _ = _pdf_problems(printed, "review (LibreOffice)")
    assert lo_problems == []
    _keep_png(pdf, "year-review")
    _keep_png(printed, "year-review-libreoffice")


def test_the_pdf_routes_answer_and_are_audited_as_their_workbooks(app, db):
    from werkzeug.security import generate_password_hash

    demo = build_demo_school(TODAY, password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    db.session.commit()
    client = login(app.test_client(), "leader", PASSWORD)
    year = demo.current
    for url, action in ((f"/reports/{year.id}/1/report.pdf", "semester_report_exported"),
                        (f"/reports/{year.id}/review.pdf", "year_review_exported")):
        since = _db.session.query(AuditLog).count()
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
        assert response.headers["Cache-Control"] == "no-store"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = _db.session.query(AuditLog).order_by(AuditLog.id).all()[since:]
        assert [(r.action, r.details.get("format")) for r in rows] == [(action, "pdf")], url
    page = client.get(f"/reports/{year.id}/1/print").get_data(as_text=True)
    assert "Tải PDF" in page and f"/reports/{year.id}/1/report.pdf" in page and NATIONAL_NAME in page
    assert "Tải PDF" in client.get(f"/reports/{year.id}/1").get_data(as_text=True)
    assert "Tải PDF" in client.get(f"/reports/{year.id}/review").get_data(as_text=True)


def test_the_cli_refuses_an_unknown_extension(runner, demo, tmp_path):
    out = tmp_path / "report.docx"
    result = runner.invoke(args=["report", "semester", "--year", demo.current.name, "--term", "1", "--out", str(out),
                                 "--school", str(demo.school.id)])
    assert result.exit_code != 0 and ".xlsx or .pdf" in result.output
    assert not out.exists()
