"""The official assignment list: rows, order, mentor numbering, the xlsx read back, the print
view, the CLI and the query count."""

import io
from datetime import date

import openpyxl
import pytest
from flask import render_template
from flask_sqlalchemy.record_queries import get_recorded_queries
from sqlalchemy import select

import sponsor_app.assignments.cli  # noqa: F401 — registers `flask report assignment-list`
from sponsor_app.assignments.official_list import (
    build_official_xlsx,
    official_document,
    official_filename,
    official_rows,
)
from sponsor_app.documents.model import date_line
from sponsor_app.documents.web import render_html
from sponsor_app.models import Assignment, AuditLog, Decision, MentorRole, StudentStatus
from tests.factories import make_class, make_screening, make_student, make_user

HEADERS = ("TT", "Họ và tên", "Lớp", "Hoàn cảnh gia đình, bản thân", "Sự rèn luyện của bản thân",
           "GV nhận đỡ đầu")


def approve(screening):
    screening.decision = Decision.APPROVED
    return screening


def approved_student(class_group, name, world, **screening_values):
    student = make_student(class_group, name)
    approve(make_screening(student, world.year, world.homeroom, **screening_values))
    return student


def assign(world, student, mentor, role=MentorRole.MAIN, started=date(2026, 12, 20), ended=None):
    a = Assignment(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                   mentor_id=mentor.id, role=role, started_on=started, ended_on=ended,
                   end_reason="Đổi người" if ended else None)
    from sponsor_app.extensions import db

    db.session.add(a)
    db.session.flush()
    return a


@pytest.fixture
def listed(world, db):
    """Four more approved students in 10A1, one in 10A2 and 10A10, mentors of several kinds."""
    approve(world.own_screening)
    approve(world.other_screening)
    s = {
        "an": approved_student(world.own_class, "Phạm An", world),
        "ăn": approved_student(world.own_class, "Lê Ăn", world),
        "đức": approved_student(world.own_class, "Nguyễn Văn Đức", world),
        "dung": approved_student(world.own_class, "Trần Thị Dung", world,
                                 circumstances_text="=1+1", conduct_text="http://x.y"),
        "a2": approved_student(make_class(world.year, "10A2"), "Võ Thị Bình", world),
        "a10": approved_student(make_class(world.year, "10A10"), "Đặng Văn Cường", world),
    }
    # Phạm An: an ended supporter, two supporters (started out of insertion order), then the main.
    assign(world, s["an"], world.leader, MentorRole.SUPPORT, date(2026, 12, 19), ended=date(2026, 12, 23))
    assign(world, s["an"], world.dept_head, MentorRole.SUPPORT, date(2026, 12, 22))
    assign(world, s["an"], world.union, MentorRole.SUPPORT, date(2026, 12, 21))
    assign(world, s["an"], world.teacher, MentorRole.MAIN, date(2026, 12, 24))
    assign(world, world.own_student, world.homeroom)
    # Lê Ăn had a main mentor whose assignment ended: nobody now.
    assign(world, s["ăn"], world.admin, ended=date(2026, 12, 28))
    # Trần Thị Dung: only a supporting mentor so far.
    assign(world, s["dung"], world.union, MentorRole.SUPPORT)
    # Not listed: a dropped-out approved student, an unapproved one, a "not needed" one.
    gone = approved_student(world.own_class, "Bùi Văn Bỏ", world)
    gone.status = StudentStatus.DROPPED_OUT
    make_screening(make_student(world.own_class, "Cao Thị Chờ"), world.year, world.homeroom)
    no = make_screening(make_student(world.own_class, "Mai Không Cần"), world.year, world.homeroom)
    no.decision = Decision.NOT_NEEDED
    db.session.commit()
    return s


EXPECTED_ORDER = [
    ("Phạm An", "10A1"), ("Lê Ăn", "10A1"), ("Trần Thị Dung", "10A1"), ("Nguyễn Văn Đức", "10A1"),
    ("Hoàng Bảo Thảo", "10A1"), ("Võ Thị Bình", "10A2"), ("Đặng Văn Cường", "10A10"),
    ("Dương Anh Quân", "11B2"),
]


# --- rows -------------------------------------------------------------------------------

def test_rows_sorted_by_class_then_vietnamese_given_name(world, listed):
    rows = official_rows(world.school.id, world.year)
    assert [(r.student_name, r.class_name) for r in rows] == EXPECTED_ORDER
    assert [r.tt for r in rows] == list(range(1, len(EXPECTED_ORDER) + 1))


def test_only_approved_enrolled_students_of_the_school(world, listed):
    names = {r.student_name for r in official_rows(world.school.id, world.year)}
    assert not names & {"Bùi Văn Bỏ", "Cao Thị Chờ", "Mai Không Cần", "Lý Bảo Ánh", "Ngô Quang Thắng"}


def test_mentors_numbered_main_first_then_supporters_by_start(world, listed):
    rows = {r.student_name: r for r in official_rows(world.school.id, world.year)}
    assert rows["Phạm An"].mentors == "1. Y Khang; 2. Hồ Văn Long (hỗ trợ); 3. Đỗ Thu Lan (hỗ trợ)"
    assert rows["Hoàng Bảo Thảo"].mentors == "1. Vũ Ngọc Quỳnh"
    assert rows["Trần Thị Dung"].mentors == "1. Hồ Văn Long (hỗ trợ)"
    assert rows["Trần Thị Dung"].has_mentor and not rows["Trần Thị Dung"].has_main
    # Ended assignments are history, not the list.
    assert rows["Lê Ăn"].mentors == "" and not rows["Lê Ăn"].has_mentor
    assert "Đỗ Kim Mai" not in rows["Phạm An"].mentors
    assert rows["Trần Thị Dung"].circumstances == "=1+1" and rows["Trần Thị Dung"].conduct == "http://x.y"


def test_query_count_does_not_grow_with_students(app, world, listed, db):
    def count() -> tuple[int, int]:
        db.session.expire_all()
        school_id, year = world.school.id, world.year
        year.name  # noqa: B018 — loaded before counting, as a request would have it
        before = len(get_recorded_queries())
        rows = official_rows(school_id, year)
        # Everything the view and the workbook read is already loaded.
        cells = [(r.student_name, r.class_name, r.circumstances, r.conduct, r.mentors) for r in rows]
        return len(get_recorded_queries()) - before, len(cells)

    with app.test_request_context():
        small, n_small = count()
    mentors = [make_user(world.school) for _ in range(5)]
    for i in range(8):
        group = make_class(world.year, f"12C{i}")
        for j in range(6):
            student = approved_student(group, None, world)
            assign(world, student, mentors[j % 5])
            assign(world, student, mentors[(j + 1) % 5], MentorRole.SUPPORT)
    db.session.commit()
    with app.test_request_context():
        large, n_large = count()
    assert n_large == n_small + 48
    assert large == small and small <= 5


# --- the workbook -------------------------------------------------------------------------

def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def _texts(ws) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def _header_row(ws) -> int:
    return next(c.row for c in ws["A"] if c.value == "TT")


def test_xlsx_header_title_columns_and_rows(world, listed, db):
    world.school.governing_body = "Sở Giáo dục và Đào tạo Đắk Nông"
    world.school.place_name = "Đăk Song"
    world.school.principal_name = "Phạm Văn Hiệu"
    world.year.plan_number = "52/KH-PDP"
    rows = official_rows(world.school.id, world.year)
    ws = _sheet(build_official_xlsx(world.school, world.year, rows, today=date(2027, 1, 5)))
    texts = _texts(ws)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "SỞ GIÁO DỤC VÀ ĐÀO TẠO ĐẮK NÔNG", "TRƯỜNG THPT THỬ NGHIỆM",
                     "Đăk Song, ngày 05 tháng 01 năm 2027",
                     "PHÂN CÔNG NHIỆM VỤ HỖ TRỢ HỌC SINH CÓ HOÀN CẢNH KHÓ KHĂN NĂM HỌC 2026 - 2027",
                     "(Kèm theo kế hoạch số: 52/KH-PDP)", "NGƯỜI LẬP DANH SÁCH", "HIỆU TRƯỞNG", "Phạm Văn Hiệu"):
        assert expected in texts, expected
    assert ws["E2"].font.u == "single" and ws["E2"].font.b  # the motto: bold, underlined
    hr = _header_row(ws)
    assert tuple(c.value for c in ws[hr][:6]) == HEADERS and ws.cell(hr, 7).value is None
    body = [tuple(c.value for c in ws[r][:6]) for r in range(hr + 1, hr + 1 + len(rows))]
    assert [(b[1], b[2]) for b in body] == EXPECTED_ORDER
    assert [b[0] for b in body] == list(range(1, len(rows) + 1))
    assert body[0][5] == "1. Y Khang; 2. Hồ Văn Long (hỗ trợ); 3. Đỗ Thu Lan (hỗ trợ)"
    assert body[1][5] is None  # Lê Ăn: no mentor yet, the cell stays empty
    assert ws.cell(hr + len(rows) + 1, 1).value is None  # nothing else inside the table
    # The footer comes after the table.
    footer_row = next(c.row for c in ws["A"] if c.value == "NGƯỜI LẬP DANH SÁCH")
    assert footer_row > hr + len(rows)


def test_xlsx_page_setup_and_fonts(world, listed):
    rows = official_rows(world.school.id, world.year)
    ws = _sheet(build_official_xlsx(world.school, world.year, rows))
    hr = _header_row(ws)
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.print_title_rows == f"${hr}:${hr}"  # the header row prints on every page
    # Never shrunk to fit (issue 20: text printed at 2-4 pt): a fixed scale that keeps 12 pt at 9 pt or more,
    # and every row an explicit height, so no office suite has to size a row.
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)
    assert 75 <= int(ws.page_setup.scale) <= 100
    assert all(ws.row_dimensions[r].height for r in range(1, ws.max_row + 1))
    data_cell = ws.cell(hr + 1, 4)
    assert data_cell.font.name == "Times New Roman" and data_cell.alignment.wrap_text
    assert ws.cell(hr, 1).font.name == "Times New Roman" and ws.cell(hr, 1).font.b
    assert ws.cell(hr + 1, 4).border.left.style == "thin"
    assert ws.column_dimensions["D"].width > ws.column_dimensions["B"].width > ws.column_dimensions["A"].width


def test_xlsx_user_text_stays_text(world, listed, db):
    world.year.plan_number = "=HYPERLINK(\"http://evil\")"
    world.school.name = "=2+2"
    rows = official_rows(world.school.id, world.year)
    ws = _sheet(build_official_xlsx(world.school, world.year, rows))
    hr = _header_row(ws)
    dung = next(r for r in range(hr + 1, hr + 1 + len(rows)) if ws.cell(r, 2).value == "Trần Thị Dung")
    circumstances, conduct = ws.cell(dung, 4), ws.cell(dung, 5)
    assert (circumstances.value, circumstances.data_type) == ("=1+1", "s")
    assert (conduct.value, conduct.data_type) == ("http://x.y", "s")
    assert conduct.hyperlink is None and not ws._hyperlinks
    assert '(Kèm theo kế hoạch số: =HYPERLINK("http://evil"))' in _texts(ws)
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_xlsx_without_place_plan_or_rows(world, db):
    ws = _sheet(build_official_xlsx(world.school, world.year, [], today=date(2026, 12, 9)))
    texts = _texts(ws)
    assert "Ngày 09 tháng 12 năm 2026" in texts
    assert "(Kèm theo kế hoạch số: …)" in texts
    hr = _header_row(ws)
    assert tuple(c.value for c in ws[hr][:6]) == HEADERS


def test_date_line_and_filename(world):
    assert date_line("Đăk Song", date(2021, 11, 16)) == "Đăk Song, ngày 16 tháng 11 năm 2021"
    assert date_line("Đăk Song", date(2027, 2, 3)) == "Đăk Song, ngày 03 tháng 02 năm 2027"
    assert date_line(" ", date(2027, 5, 20)) == "Ngày 20 tháng 5 năm 2027"
    assert official_filename(world.year) == "phan-cong-do-dau-2026-2027.xlsx"


# --- the print view -----------------------------------------------------------------------

def _render(app, world, rows, can_edit_plan=True):
    from sponsor_app.assignments.forms import PlanNumberForm

    def stub(error, endpoint, values):  # the routes may not be registered yet
        return f"/stub/{endpoint}" if endpoint.startswith("assignments.") else None

    app.url_build_error_handlers.append(stub)
    try:
        with app.test_request_context("/assignments/official-list"):
            doc = official_document(world.school, world.year, rows, today=date(2027, 1, 5))
            return render_template("assignments/official_list.html", school=world.school, year=world.year,
                                   rows=rows, doc=doc, document=render_html(doc),
                                   plan_form=PlanNumberForm(plan_number=world.year.plan_number),
                                   can_edit_plan=can_edit_plan)
    finally:
        app.url_build_error_handlers.remove(stub)


def test_print_view(app, world, listed, db):
    world.school.place_name = "Đăk Song"
    world.year.plan_number = "52/KH-PDP"
    rows = official_rows(world.school.id, world.year)
    rows[0].circumstances = "<script>alert(1)</script>"
    page = _render(app, world, rows)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "TRƯỜNG THPT THỬ NGHIỆM",
                     "Đăk Song, ngày 05 tháng 01 năm 2027",
                     "PHÂN CÔNG NHIỆM VỤ HỖ TRỢ HỌC SINH CÓ HOÀN CẢNH KHÓ KHĂN NĂM HỌC 2026 - 2027",
                     "(Kèm theo kế hoạch số: 52/KH-PDP)", "NGƯỜI LẬP DANH SÁCH", "HIỆU TRƯỞNG",
                     "css/document.css", 'class="btn btn-primary btn-sm js-print"', "doc-part"):
        assert expected in page, expected
    head = page[page.index("<thead>"):page.index("</thead>")]
    positions = [head.index(f">{h}</th>") for h in HEADERS]
    assert positions == sorted(positions)
    body = page[page.index("<tbody>"):]
    name_positions = [body.index(name) for name, _ in EXPECTED_ORDER]
    assert name_positions == sorted(name_positions)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "1. Y Khang; 2. Hồ Văn Long (hỗ trợ); 3. Đỗ Thu Lan (hỗ trợ)" in page
    # Lê Ăn has no mentor: the row is marked.
    an_row = body[body.rfind("<tr", 0, body.index("Lê Ăn")):body.index("Lê Ăn")]
    assert "official-missing" in an_row
    # Lê Ăn, Nguyễn Văn Đức, Võ Thị Bình, Đặng Văn Cường, Dương Anh Quân have nobody.
    assert page.count('class="official-missing') == 5
    assert page.count('class="official-no-main') == 1  # Trần Thị Dung: a supporter only
    assert "stub/assignments.official_list_xlsx" in page or "official-list.xlsx" in page
    assert 'name="plan_number"' in page and 'value="52/KH-PDP"' in page


def test_print_view_hides_plan_form_without_permission(app, world, listed):
    page = _render(app, world, official_rows(world.school.id, world.year), can_edit_plan=False)
    assert 'name="plan_number"' not in page
    assert "(Kèm theo kế hoạch số: …)" in page


# --- the command line ---------------------------------------------------------------------

def test_cli_writes_the_list(runner, world, listed, tmp_path, db):
    out = tmp_path / "list.xlsx"
    result = runner.invoke(args=["report", "assignment-list", "--year", "2026-2027", "--out", str(out),
                                 "--school-id", str(world.school.id)])
    assert result.exit_code == 0, result.output
    assert "8 students" in result.output and "5 without a mentor" in result.output
    ws = _sheet(out.read_bytes())
    hr = _header_row(ws)
    assert [ws.cell(r, 2).value for r in range(hr + 1, hr + 9)] == [n for n, _ in EXPECTED_ORDER]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "export_assignment_list"))
    assert entry is not None and entry.object_id == world.year.id and entry.details["rows"] == 8


def test_cli_fails_cleanly(runner, world, tmp_path):
    out = tmp_path / "list.xlsx"
    bad_year = runner.invoke(args=["report", "assignment-list", "--year", "1999-2000", "--out", str(out),
                                   "--school-id", str(world.school.id)])
    assert bad_year.exit_code != 0 and "No school year" in bad_year.output
    assert not out.exists()
    # Two schools in the world: the school must be chosen.
    no_school = runner.invoke(args=["report", "assignment-list", "--year", "2026-2027", "--out", str(out)])
    assert no_school.exit_code != 0 and "--school-id" in no_school.output
    assert not isinstance(bad_year.exception, AssertionError | TypeError | AttributeError)


# --- through the routes ---------------------------------------------------------------------

def test_leader_gets_the_page_and_the_workbook(leader_client, world, listed):
    page = leader_client.get("/assignments/official-list")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "NĂM HỌC 2026 - 2027" in html and 'name="plan_number"' in html and "js-print" in html
    response = leader_client.get("/assignments/official-list.xlsx")
    assert response.status_code == 200
    assert "phan-cong-do-dau-2026-2027.xlsx" in response.headers["Content-Disposition"]
    ws = _sheet(response.data)
    hr = _header_row(ws)
    assert [ws.cell(r, 2).value for r in range(hr + 1, hr + 9)] == [n for n, _ in EXPECTED_ORDER]
