"""Issue 20 for the emulation results and the department's monthly report: one `Document` each,
rendered as a workbook, a print view and a PDF that print right.

The demo school (built for a day in January: the first semester scored, December's notes written)
gives both documents real content. They are written by `flask report … --out FILE.pdf|.xlsx` and
read back as a reader of the printout would (tests/doccheck.py, independent of the renderer): no
line drawn over another, nothing under 9 pt, the national heading whole, the font embedded, a
sensible number of pages; in the workbook every wrapped row tall enough for its text (the criteria's
long header labels included), the scores and counts numeric cells; then the workbook printed by
LibreOffice and the same checks on that printout. The first page of each is kept under
test-artifacts/documents/ for people to look at.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

import sponsor_app.departments.cli  # noqa: F401 — registers the report commands
import sponsor_app.emulation.cli  # noqa: F401
from sponsor_app.departments import report as department_report
from sponsor_app.emulation import export, results
from sponsor_app.models import AuditLog, Department
from sponsor_app.seed import build_demo_school
from tests import doccheck

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "documents"
TODAY = date(2027, 1, 15)
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


@pytest.fixture
def demo(db, monkeypatch):
    """The demo school, the commands run on the day it was built for."""
    for module in ("emulation.cli", "departments.cli", "departments.report"):
        monkeypatch.setattr(f"sponsor_app.{module}.local_today", lambda: TODAY)
    demo = build_demo_school(TODAY, password_hash="unused")
    db.session.commit()
    return demo


def _pdf_problems(pdf, name: str) -> tuple[list[str], list]:
    pages = doccheck.pdf_lines(pdf)
    problems = [] if pages else [f"{name}: no page"]
    for page in pages:
        problems += [f"{name} p{page.number}: {a.text[:40]!r} over {b.text[:40]!r}"
                     for a, b in doccheck.overlapping_lines(page)]
        problems += [f"{name} p{page.number}: {ln.size:.1f} pt {ln.text[:40]!r}" for ln in doccheck.small_lines(page)]
    if pages and not doccheck.has_text(pages[:1], NATIONAL_NAME):
        problems.append(f"{name}: the national heading is not whole on page 1")
    return problems, pages


def _header_only_pages(pages, signer: str) -> list[int]:
    """Pages whose only lines above the signature are the repeated table header (or nothing)."""
    found = []
    for before, page in zip(pages, pages[1:], strict=False):
        signature = [ln for ln in page.lines if ln.text.startswith(signer)]
        if not signature:
            continue
        top = min(ln.top for ln in signature)
        header = {ln.text for ln in before.lines}
        above = [ln for ln in page.lines if ln.bottom <= top and ln.text not in header
                 and not re.fullmatch(r"\d+", ln.text)]
        if not above:
            found.append(page.number)
    return found


def _keep_png(pdf, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doccheck.first_page_png(pdf, ARTIFACTS / f"{name}.png", dpi=60)


def _write(runner, args: list[str], out: Path) -> str:
    result = runner.invoke(args=["report", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    return result.output


def _check(runner, tmp_path, name: str, args: list[str], signer: str, numbers: list[tuple[str, str]],
           max_pages: int) -> dict:
    """Write the document as PDF and xlsx, check both and LibreOffice's printout; the page counts."""
    doccheck.require_poppler()
    pdf, xlsx = tmp_path / f"{name}.pdf", tmp_path / f"{name}.xlsx"
    _write(runner, args, pdf)
    _write(runner, args, xlsx)
    assert pdf.read_bytes().startswith(b"%PDF")
    problems, pages = _pdf_problems(pdf, name)
    problems += [f"{name}: {font} not embedded" for font, embedded in doccheck.fonts_embedded(pdf) if not embedded]
    problems += [f"{name}: only a header and the signature on p{n}" for n in _header_only_pages(pages, signer)]
    problems += [f"{name}: {p}" for p in doccheck.xlsx_row_fit_problems(xlsx)]
    problems += [f"{name}: {p}" for p in doccheck.xlsx_number_problems(xlsx, numbers)]
    _keep_png(pdf, name)
    doccheck.require_soffice()
    printed = doccheck.xlsx_to_pdf(xlsx, tmp_path / "libreoffice")
    more, lo_pages = _pdf_problems(printed, f"{name} (LibreOffice)")
    problems += more + [f"{name} (LibreOffice): only a header and the signature on p{n}"
                        for n in _header_only_pages(lo_pages, signer)]
    _keep_png(printed, f"{name}-libreoffice")
    assert problems == [], "\n".join(problems[:40])
    assert 1 <= len(pages) <= max_pages, (name, len(pages))
    assert len(lo_pages) <= max_pages + 2, (name, len(lo_pages))  # LibreOffice breaks its own pages
    return {"pdf": pages, "xlsx": openpyxl.load_workbook(xlsx), "libreoffice": lo_pages}


def _sheet_values(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def _text(pages) -> str:
    return "\n".join(ln.text for page in pages for ln in page.lines)


# --- the emulation results ------------------------------------------------------------------------

def test_the_semester_result_prints_right_with_numeric_scores(runner, demo, tmp_path):
    year = demo.current
    result = results.semester_sheet(year, 1, TODAY)
    staff = len(result["rows"])
    assert staff >= 5 and result["criteria"]
    criteria_titles = [f"{c['label']} ({export.format_points(c['max'])})" for c in result["criteria"]]
    numbers = [("Cá nhân", t) for t in ["Hạng", "Tổng", "Tỉ lệ", "Điểm các tháng", *criteria_titles]]
    numbers += [("Tập thể", "Tỉ lệ điểm bình quân"), ("Tập thể", "Số người được đánh giá")]
    # four parts; the ranking about 12 staff a page
    done = _check(runner, tmp_path, "emulation-semester-1", ["emulation", "--year", year.name, "--term", "1"], "HIỆU TRƯỞNG",
                  numbers, max_pages=4 + staff // 10 + len(result["commendations"]) // 8 + 2)
    book = done["xlsx"]
    assert book.sheetnames == ["Cá nhân", "Điểm các tháng", "Tập thể", "Đề nghị khen thưởng"]
    rows = _sheet_values(book["Cá nhân"])
    header = next(r for r in rows if r[0] == "Hạng")
    assert header[4:4 + 1 + len(criteria_titles)] == ["Điểm các tháng", *criteria_titles]  # labels whole
    first = result["rows"][0]
    line = next(r for r in rows if r[1] == first["name"])
    assert line[header.index("Tổng")] == pytest.approx(first["total"])
    assert line[header.index("Tỉ lệ")] == pytest.approx(first["percent"] / 100, abs=1e-4)
    ws = book["Cá nhân"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == first["name"])
    percent_cell = ws.cell(row=cell.row, column=header.index("Tỉ lệ") + 1)
    total_cell = ws.cell(row=cell.row, column=header.index("Tổng") + 1)
    assert "%" in percent_cell.number_format and "0.0" in total_cell.number_format  # 83,3 % and 7,5
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.page_setup.scale is None or ws.page_setup.scale >= 75  # never printed under 9 pt
    text = _text(done["pdf"])
    assert "HIỆU TRƯỞNG" in text and "Nơi nhận:" in text and "- Lưu: VT." in text and "/BC-" in text
    assert demo.school.principal_name in text
    # the criteria labels are printed whole: every word of each label is on the ranking's first page
    first_page = " ".join(ln.text for ln in done["pdf"][0].lines)
    for c in result["criteria"]:
        assert all(word in first_page for word in c["label"].split()), c["label"]


def test_the_year_result_and_a_month_sheet(runner, demo, tmp_path, app):
    year = demo.current
    result = results.year_sheet(year, TODAY)
    done = _check(runner, tmp_path, "emulation-whole-year", ["emulation", "--year", year.name], "HIỆU TRƯỞNG",
                  [("Cá nhân", "Cả năm"), ("Cá nhân", "Học kỳ I"), ("Cá nhân", "Tỉ lệ")],
                  max_pages=3 + len(result["rows"]) // 12 + len(result["commendations"]) // 8 + 2)
    assert done["xlsx"].sheetnames == ["Cá nhân", "Tập thể", "Đề nghị khen thưởng"]

    # the month's sheet is the union's: signed by its committee, to leadership and the departments
    key = max(k for k in results.semester_sheet(year, 1, TODAY)["months"])
    month = results.sheet(year, key, TODAY)
    doc = export.document(month, demo.school, year, TODAY)
    assert [p.sheet for p in doc.parts] == ["Cá nhân", "Tập thể"]
    assert doc.parts[0].signatures[-1].title == "TM. BCH CÔNG ĐOÀN" and doc.heading.number == ""
    assert "- Ban Giám hiệu (để báo cáo);" in doc.parts[0].recipients
    from sponsor_app.documents.web import render

    with app.test_request_context():
        pdf = render(doc, "pdf")
    problems, pages = _pdf_problems(pdf, f"emulation-{key}")
    assert problems == [] and len(pages) <= 2 + len(month["rows"]) // 10 + 1
    assert "TM. BCH CÔNG ĐOÀN" in _text(pages)
    path = tmp_path / "month.xlsx"
    path.write_bytes(render(doc, "xlsx"))
    assert doccheck.xlsx_row_fit_problems(path) == []
    labels = [f"{c['label']} ({export.format_points(c['max'])})" for c in month["criteria"]]
    assert doccheck.xlsx_number_problems(path, [("Cá nhân", t) for t in [*labels, "Tổng", "Tỉ lệ"]]) == []
    (tmp_path / "emulation-month.pdf").write_bytes(pdf)
    _keep_png(tmp_path / "emulation-month.pdf", "emulation-month")


def test_the_emulation_pdf_route_is_audited_like_the_workbook(world, db, union_client):
    for fmt, mimetype in (("xlsx", "spreadsheetml"), ("pdf", "application/pdf")):
        response = union_client.get(f"/emulation/sheet/s1.{fmt}")
        assert response.status_code == 200 and mimetype in response.content_type
        assert response.headers["Content-Disposition"].endswith(f'thi-dua-2026-2027-s1.{fmt}"') or \
            f"thi-dua-2026-2027-s1.{fmt}" in response.headers["Content-Disposition"]
        assert response.headers["Cache-Control"] == "no-store"
    assert union_client.get("/emulation/sheet/s1.pdf").data.startswith(b"%PDF")
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "emulation_exported")
                              .order_by(AuditLog.id)).all()
    assert [r.details["format"] for r in rows] == ["xlsx", "pdf", "pdf"]
    page = union_client.get("/emulation/sheet/s1/print").get_data(as_text=True)
    assert "/emulation/sheet/s1.pdf" in page and "css/document.css" in page and NATIONAL_NAME in page
    assert "/emulation/sheet/s1.pdf" in union_client.get("/emulation/sheet/s1").get_data(as_text=True)


def test_the_emulation_cli_writes_a_pdf_and_refuses_other_extensions(runner, world, db, tmp_path):
    out = tmp_path / "thi-dua.pdf"
    output = _write(runner, ["emulation", "--year", "2026-2027", "--term", "1", "--school", str(world.school.id)],
                    out)
    assert "written to" in output and out.read_bytes().startswith(b"%PDF")
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "emulation_exported")).one()
    assert entry.details["format"] == "pdf" and entry.details["via"] == "cli"
    bad = tmp_path / "thi-dua.docx"
    result = runner.invoke(args=["report", "emulation", "--year", "2026-2027", "--out", str(bad),
                                 "--school", str(world.school.id)])
    assert result.exit_code != 0 and ".xlsx or .pdf" in result.output and not bad.exists()


# --- the department's monthly report ----------------------------------------------------------------

def _busiest_department(demo, db, month: date):
    best = None
    for department in db.session.scalars(select(Department).where(Department.school_id == demo.school.id)):
        report = department_report.month_report(department, demo.current, month, TODAY)
        if best is None or report.mentees > best.mentees:
            best = report
    return best


def test_the_department_report_prints_right(runner, demo, db, tmp_path):
    month = date(2026, 12, 1)
    report = _busiest_department(demo, db, month)
    assert report.mentees >= 3
    numbers = [("Bao cao to", "Số buổi nghỉ"), ("Bao cao to", "Số lần liên hệ"), ("Bao cao to", "Hỗ trợ (đồng)"),
               ("Bao cao to", "TT")]
    done = _check(runner, tmp_path, "department-monthly-report",
                  ["department-monthly", "--department", report.department.code, "--month", "2026-12"], "TỔ TRƯỞNG",
                  numbers, max_pages=1 + report.mentees // 12 + 1)
    ws = done["xlsx"]["Bao cao to"]
    rows = _sheet_values(ws)
    header = next(r for r in rows if r[0] == "TT")
    assert header == list(department_report.HEADERS)  # the 11 columns
    data = [r for r in rows if isinstance(r[0], int)]
    assert len(data) == report.mentees and all(isinstance(r[8], int) for r in data)
    assert all(isinstance(r[9], int) for r in data)  # the support in đồng, a number (1.250.000)
    text = _text(done["pdf"])
    assert f"TỔ {report.department.name.upper()}" in text and "TỔ TRƯỞNG" in text and "Nơi nhận:" in text
    if report.department.head:
        assert report.department.head.full_name in text


def test_the_department_pdf_route_and_cli(world, db, dept_head_client, runner, tmp_path, teacher_client,
                                          union_client):
    url = f"/departments/{world.dept.id}/report"
    for fmt, mimetype in (("xlsx", "spreadsheetml"), ("pdf", "application/pdf")):
        response = dept_head_client.get(f"{url}.{fmt}?month=2026-10")
        assert response.status_code == 200 and mimetype in response.content_type
        assert f"bao-cao-to-{world.dept.code}-2026-10.{fmt}" in response.headers["Content-Disposition"]
    assert dept_head_client.get(f"{url}.pdf?month=2026-10").data.startswith(b"%PDF")
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "export_department_report_xlsx")
                                 .order_by(AuditLog.id)).all()
    assert [e.details["format"] for e in entries] == ["xlsx", "pdf", "pdf"]
    assert all(e.details["month"] == "2026-10" for e in entries)
    for client in (teacher_client, union_client):  # the same privacy as the workbook
        assert client.get(f"{url}.pdf?month=2026-10").status_code == 403
    page = dept_head_client.get(f"{url}/print?month=2026-10").get_data(as_text=True)
    assert f"{url}.pdf?month=2026-10" in page and NATIONAL_NAME in page
    assert f"{url}.pdf?month=2026-10" in dept_head_client.get(f"{url}?month=2026-10").get_data(as_text=True)

    out = tmp_path / "to.pdf"
    output = _write(runner, ["department-monthly", "--department", world.dept.code, "--month", "2026-10",
                             "--school", str(world.school.id)], out)
    assert "written to" in output and out.read_bytes().startswith(b"%PDF")
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "export_department_report_xlsx")
                               .order_by(AuditLog.id.desc())).first()
    assert entry.details["via"] == "cli" and entry.details["format"] == "pdf"
    bad = tmp_path / "to.txt"
    result = runner.invoke(args=["report", "department-monthly", "--department", world.dept.code, "--month",
                                 "2026-10", "--school", str(world.school.id), "--out", str(bad)])
    assert result.exit_code != 0 and ".xlsx or .pdf" in result.output and not bad.exists()


def test_the_workbooks_hold_no_formula_from_typed_text(world, db, dept_head_client):
    url = f"/departments/{world.dept.id}/report"
    dept_head_client.post(f"{url}?month=2026-10", data={"summary": "=HYPERLINK(\"x\")\n@SUM(1)", "version": "0",
                                                        "save": "1"})
    book = openpyxl.load_workbook(io.BytesIO(dept_head_client.get(f"{url}.xlsx?month=2026-10").data))
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert any(c.value == "=HYPERLINK(\"x\")" and c.data_type == "s" for c in cells)
    assert not any(c.data_type == "f" for c in cells)
