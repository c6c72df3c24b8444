"""Issue 20: the at-risk list, the attention list and the dashboard workbook print right, as PDF and as
workbooks opened in LibreOffice, from the demo school as a leader downloads them (and the at-risk list
as `flask report at-risk --out FILE.pdf` writes it).

Each document is read back as the reader of the printout would (tests/doccheck.py, independent of the
renderer): PDF text lines not drawn over each other, nothing under 9 pt, the national heading whole,
the fonts embedded, a sensible page count; the workbook's rows tall enough for their text, numbers
stored as numbers; then printed by LibreOffice headless and checked the same way. The first page of
each PDF and of each LibreOffice printout is kept in test-artifacts/documents/.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import sponsor_app.screening.cli  # noqa: F401 — registers `flask report at-risk`
from sponsor_app.models import AuditLog
from sponsor_app.seed import build_demo_school
from sponsor_app.timeutil import local_today
from tests import doccheck
from tests.conftest import login
from tests.factories import PASSWORD, cheap_hash

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "documents"
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def demo(db):
    demo = build_demo_school(local_today(), password_hash=cheap_hash(PASSWORD))
    db.session.commit()
    return demo


@pytest.fixture
def leader(app, demo):
    return login(app.test_client(), "leader", PASSWORD)


def _pdf_problems(pdf, name: str) -> tuple[list[str], int]:
    pages = doccheck.pdf_lines(pdf)
    problems = [] if pages else [f"{name}: no page"]
    for page in pages:
        problems += [f"{name} p{page.number}: {a.text[:40]!r} drawn over {b.text[:40]!r}"
                     for a, b in doccheck.overlapping_lines(page)]
        problems += [f"{name} p{page.number}: {ln.size:.1f} pt {ln.text[:40]!r}" for ln in doccheck.small_lines(page, 9.0)]
    if pages and not doccheck.has_text(pages[:1], NATIONAL_NAME):
        problems.append(f"{name}: the national heading is not whole on page 1")
    return problems, len(pages)


def _check(data: bytes, kind: str, name: str, tmp_path: Path, numbers: list[tuple[str, str]] = ()) -> int:
    """All the print checks of one downloaded document; the number of pages it prints on."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if kind == "pdf":
        assert data.startswith(b"%PDF")
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        problems, pages = _pdf_problems(path, name)
        problems += [f"{name}: font {font} not embedded" for font, embedded in doccheck.fonts_embedded(path)
                     if not embedded]
        doccheck.first_page_png(path, ARTIFACTS / f"{name}.png", dpi=60)
    else:
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(data)
        problems = [f"{name}: {p}" for p in doccheck.xlsx_row_fit_problems(path)]
        problems += [f"{name}: {p}" for p in doccheck.xlsx_number_problems(path, numbers)]
        printed = doccheck.xlsx_to_pdf(path, tmp_path / "libreoffice")
        more, pages = _pdf_problems(printed, f"{name} (LibreOffice)")
        problems += more
        doccheck.first_page_png(printed, ARTIFACTS / f"{name}-libreoffice.png", dpi=60)
    assert problems == [], "\n".join(problems[:40])
    return pages


def _numbers(path: Path, sheet: str, header: str) -> list:
    """The values under `header` in `sheet`, down to the first empty row (the end of the table)."""
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if header in r)
    column = rows[at].index(header)
    values = []
    for row in rows[at + 1:]:
        if row[0] is None:
            break
        values.append(row[column])
    return values


def test_the_at_risk_list_prints_right(leader, demo, tmp_path, db):
    doccheck.require_poppler()
    doccheck.require_soffice()
    pdf = leader.get("/screening/list.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == PDF and pdf.headers["Cache-Control"] == "no-store"
    assert 'filename="danh-sach-nguy-co-bo-hoc-' in pdf.headers["Content-Disposition"]
    assert db.session.query(AuditLog).filter_by(action="export_at_risk_list").one().details["format"] == "pdf"
    pages = _check(pdf.data, "pdf", "at-risk-web", tmp_path)
    texts = doccheck.page_texts(pdf.data)
    assert "DANH SÁCH HỌC SINH CÓ NGUY CƠ BỎ HỌC NĂM HỌC" in texts[0] and "NGƯỜI LẬP DANH SÁCH" in texts[-1]
    assert "HIỆU TRƯỞNG" in texts[-1]
    assert 6 <= pages <= 30, pages  # two parts of the demo's 60-odd students, 12 pt, landscape
    xlsx = leader.get("/screening/list.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX
    (tmp_path / "book.xlsx").write_bytes(xlsx.data)
    book = openpyxl.load_workbook(tmp_path / "book.xlsx")
    assert book.sheetnames == ["Danh sach", "Hoan canh, ren luyen"]
    for ws in book.worksheets:  # landscape A4, printed at 9 pt or more: no shrinking to one page
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
        assert ws.page_setup.scale is None or ws.page_setup.scale * 12 / 100 >= 9
        assert ws.print_title_rows  # the header row repeats on every page
    scores = _numbers(tmp_path / "book.xlsx", "Danh sach", "Điểm")
    assert scores and all(isinstance(v, int) for v in scores)
    absences = _numbers(tmp_path / "book.xlsx", "Danh sach", "Số buổi nghỉ")
    assert absences and all(isinstance(v, int) for v in absences)
    lo_pages = _check(xlsx.data, "xlsx", "at-risk-web", tmp_path,
                      [("Danh sach", "Điểm"), ("Danh sach", "Số buổi nghỉ"), ("Danh sach", "TT")])
    assert 4 <= lo_pages <= 30, lo_pages


def test_the_at_risk_list_follows_the_filters_and_the_pdf_says_so(leader, demo, tmp_path):
    text = doccheck.page_texts(leader.get("/screening/list.pdf?level=high&grade=12").data)
    assert "(Lọc: khối 12; mức nguy cơ cao)" in doccheck.normalize_text(text[0])
    assert "Trung bình" not in " ".join(text)  # the medium-risk students are not on it


def test_the_at_risk_cli_writes_a_pdf(runner, demo, tmp_path, db):
    out = tmp_path / "at-risk.pdf"
    result = runner.invoke(args=["report", "at-risk", "--year", demo.current.name, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    entry = db.session.query(AuditLog).filter_by(action="export_at_risk_list").one()
    assert entry.details["format"] == "pdf" and entry.details["via"] == "cli"
    bad = runner.invoke(args=["report", "at-risk", "--year", demo.current.name, "--out", str(tmp_path / "x.docx")])
    assert bad.exit_code != 0 and ".xlsx or .pdf" in bad.output and not (tmp_path / "x.docx").exists()


def test_the_attention_list_prints_right(leader, demo, tmp_path, db):
    doccheck.require_poppler()
    doccheck.require_soffice()
    pdf = leader.get("/attention/export.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == PDF and pdf.headers["Cache-Control"] == "no-store"
    entry = db.session.query(AuditLog).filter_by(action="export_attention").one()
    assert entry.details["format"] == "pdf" and entry.details["students"]
    pages = _check(pdf.data, "pdf", "attention", tmp_path)
    assert 1 <= pages <= len(entry.details["students"]) // 8 + 2, pages
    assert "DANH SÁCH HỌC SINH CẦN QUAN TÂM THÁNG" in doccheck.page_texts(pdf.data)[0]
    xlsx = leader.get("/attention/export.xlsx")
    (tmp_path / "att.xlsx").write_bytes(xlsx.data)
    absences = _numbers(tmp_path / "att.xlsx", "Can quan tam", "Số buổi nghỉ trong năm")
    assert absences and all(isinstance(v, int) for v in absences)
    _check(xlsx.data, "xlsx", "attention", tmp_path, [("Can quan tam", "Số buổi nghỉ trong năm")])


@pytest.mark.parametrize("role", ["leader", "union"])
def test_the_dashboard_workbook_prints_right(app, demo, tmp_path, db, role):
    doccheck.require_poppler()
    doccheck.require_soffice()
    client = login(app.test_client(), role, PASSWORD)
    client.post("/lang/en")  # the document stays Vietnamese whatever the interface language
    pdf = client.get("/dashboard/export.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == PDF
    entry = db.session.query(AuditLog).filter_by(action="export_dashboard").one()
    assert entry.details["format"] == "pdf"
    pages = _check(pdf.data, "pdf", f"dashboard-{role}", tmp_path)
    assert pages == (8 if role == "leader" else 7)  # one page per table; the open cases for the leader only
    text = " ".join(doccheck.page_texts(pdf.data))
    assert "TỔNG QUAN CUỘC VẬN ĐỘNG NĂM HỌC" in text and "Độ bao phủ" in text and "Coverage" not in text
    xlsx = client.get("/dashboard/export.xlsx")
    path = tmp_path / "dash.xlsx"
    path.write_bytes(xlsx.data)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["Độ bao phủ", "Nhận xét theo tháng"]
    shares = _numbers(path, "Độ bao phủ", "Tỉ lệ")
    assert shares and all(v is None or 0 <= v <= 1 for v in shares)  # fractions shown as 87,5 %
    assert "%" in book["Độ bao phủ"].cell(row=next(r for r in range(1, 40) if isinstance(
        book["Độ bao phủ"].cell(row=r, column=4).value, float)), column=4).number_format
    _check(xlsx.data, "xlsx", f"dashboard-{role}", tmp_path,
           [("Độ bao phủ", "Số lượng"), ("Độ bao phủ", "Tỉ lệ"), ("Nhận xét theo tháng", "Phải nộp"),
            ("Nguy cơ", "Số học sinh"), ("Bỏ học", "Số học sinh bỏ học")])
