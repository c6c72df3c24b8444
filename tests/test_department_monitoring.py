"""Department monitoring: the head's dashboard and the monthly department report.

Every figure is checked against a small hand-built department (October 2026, a locked month):
Toán has three active members (depthead, teacher = Y Khang, Bùi Văn An). Y Khang mentors Ksor Hen
(note on time, tiến bộ, 2 absences, 2 contacts of which 1 with the family, support 350.000 +
150.000); Bùi Văn An mentors Lê Thị Bích (note late, sa sút, 5 absences, 1 family contact, support
1.234.567, plan approved) and Phạm Văn Cường (only a draft: missing; its figures never count).
Trần Văn Dũng of Ngữ văn mentors Đinh Văn Em (never in Toán's figures).
"""

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from sponsor_app.departments import report as reports
from sponsor_app.departments import services
from sponsor_app.models import (
    Assignment,
    AuditLog,
    ContactWith,
    DepartmentReport,
    MentorRole,
    MonthlyNote,
    NoteContact,
    NoteContactMethod,
    NoteStatus,
    NoteSupport,
    PlanStatus,
    Rating,
    ReviewStatus,
    Role,
    SupportPlan,
)
from sponsor_app.periods import Period
from sponsor_app.timeutil import local_today
from tests import factories as f
from tests.conftest import count_statements

OCT = date(2026, 10, 1)
KEY = "2026-10"
CONCERN = "Em bị bố đánh, không muốn ai biết"


def _main(world, student, mentor, db):
    a = Assignment(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                   mentor_id=mentor.id, role=MentorRole.MAIN, started_on=world.year.start_date)
    db.session.add(a)
    db.session.flush()
    return a


def _note(world, assignment, *, status=NoteStatus.SUBMITTED, on_time=True, rating=Rating.STEADY, absences=0,
          contacts=(), supports=(), concerns=None, month=OCT):
    note = MonthlyNote(school_id=world.school.id, school_year_id=world.year.id, student_id=assignment.student_id,
                       assignment_id=assignment.id, author_id=assignment.mentor_id, month=month, status=status,
                       rating=rating, absences=absences, concerns=concerns)
    if status == NoteStatus.SUBMITTED:
        note.submitted_at = datetime(2026, 10, 20 if on_time else 27, 3, tzinfo=UTC)
        note.submitted_on_time = on_time
        note.review_status = ReviewStatus.PENDING
    note.contacts = [NoteContact(contact_on=date(2026, 10, 10 + i), with_whom=w, method=NoteContactMethod.PHONE,
                                 position=i) for i, w in enumerate(contacts)]
    note.supports = [NoteSupport(kind="do_dung", value_vnd=v, position=i) for i, v in enumerate(supports)]
    return note


@pytest.fixture
def dept_world(mentoring, db):
    w = mentoring
    w.main_assignment.started_on = w.year.start_date
    w.an = f.make_user(w.school, Role.TEACHER, full_name="Bùi Văn An", department=w.dept)
    w.dung = f.make_user(w.school, Role.TEACHER, full_name="Trần Văn Dũng", department=w.other_dept)
    w.bich = f.make_student(w.own_class, "Lê Thị Bích")
    w.cuong = f.make_student(w.other_class, "Phạm Văn Cường")
    w.em = f.make_student(w.other_class, "Đinh Văn Em")
    a_bich, a_cuong, a_em = _main(w, w.bich, w.an, db), _main(w, w.cuong, w.an, db), _main(w, w.em, w.dung, db)
    db.session.add_all([
        _note(w, w.main_assignment, rating=Rating.PROGRESS, absences=2,
              contacts=(ContactWith.FAMILY, ContactWith.STUDENT), supports=(350_000, 150_000), concerns=CONCERN),
        _note(w, a_bich, on_time=False, rating=Rating.DECLINE, absences=5, contacts=(ContactWith.FAMILY,),
              supports=(1_234_567,)),
        _note(w, a_cuong, status=NoteStatus.DRAFT, rating=Rating.STEADY, absences=9,
              contacts=(ContactWith.FAMILY,), supports=(999,)),
        _note(w, a_em, rating=Rating.PROGRESS, supports=(7_777_777,), contacts=(ContactWith.FAMILY,)),
        SupportPlan(school_id=w.school.id, school_year_id=w.year.id, student_id=w.bich.id, assignment_id=a_bich.id,
                    author_id=w.an.id, due_on=w.year.start_date, status=PlanStatus.APPROVED),
    ])
    db.session.commit()
    return w


def test_the_months_figures_and_table(dept_world):
    w = dept_world
    r = reports.month_report(w.dept, w.year, OCT, local_today())
    assert (r.members, r.mentors, r.mentees) == (3, 2, 3)
    assert (r.submitted, r.on_time, r.late, r.missing) == (2, 1, 1, 1)
    assert (r.ratings[Rating.PROGRESS], r.ratings[Rating.STEADY], r.ratings[Rating.DECLINE]) == (1, 0, 1)
    assert (r.contacts, r.family_contacts, r.support_vnd, r.plans_approved) == (3, 2, 1_734_567, 1)
    # mentors in given-name order (An, Khang), then their students (Bích, Cường)
    assert [row.cells() for row in r.rows] == [
        [1, "Bùi Văn An", "Lê Thị Bích", "10A1", "Gửi muộn", "Muộn", "Sa sút", 5, 1, 1_234_567, "Chờ xem"],
        [2, "Bùi Văn An", "Phạm Văn Cường", "11B2", "Thiếu", "", "", None, 0, 0, ""],
        [3, "Y Khang", "Ksor Hen", "11B2", "Đã gửi", "Có", "Tiến bộ", 2, 2, 500_000, "Chờ xem"],
    ]
    assert sorted(r.student_ids) == sorted([w.bich.id, w.cuong.id, w.mentee.id])


def test_the_generated_summary_states_the_figures_and_quotes_no_concern(dept_world):
    text = reports.summary_text(reports.month_report(dept_world.dept, dept_world.year, OCT, local_today()))
    assert text.splitlines() == [
        "Tháng 10/2026, tổ Toán có 3 thành viên, trong đó 2 giáo viên đỡ đầu 3 học sinh.",
        "Nhận xét hằng tháng: đã gửi 2/3 (đúng hạn 1, gửi muộn 1), còn thiếu 1.",
        "Đánh giá chung: 1 tiến bộ, 0 giữ vững, 1 sa sút.",
        "Liên hệ trong tháng: 3 lần, trong đó 2 lần với gia đình.",
        "Hỗ trợ trong tháng: 1.734.567 đồng.",
        "Kế hoạch giúp đỡ đã duyệt: 1/3.",
    ]
    assert CONCERN not in text


def test_a_department_without_mentees_says_so(dept_world):
    empty = f.make_department(dept_world.school, "HOA", "Hóa học")
    r = reports.month_report(empty, dept_world.year, date(2026, 9, 1), local_today())
    assert r.rows == [] and "chưa có giáo viên nào của tổ đỡ đầu học sinh" in reports.summary_text(r)


def test_the_report_page_shows_the_summary_and_the_table(dept_world, dept_head_client):
    page = dept_head_client.get(f"/departments/{dept_world.dept.id}/report?month={KEY}").get_data(as_text=True)
    assert "1.734.567 đồng" in page and "Lê Thị Bích" in page and "Phạm Văn Cường" in page
    assert "Đinh Văn Em" not in page and CONCERN not in page
    assert f"/progress/students/{dept_world.bich.id}/notes/{KEY}" in page


def test_the_head_edits_the_summary_and_a_stale_edit_is_a_conflict(dept_world, dept_head_client, leader_client, db):
    w = dept_world
    url = f"/departments/{w.dept.id}/report?month={KEY}"
    response = dept_head_client.post(url, data={"summary": "Tổ đã thăm nhà 2 em.", "version": "0", "save": "1"})
    assert response.status_code == 302
    stored = db.session.query(DepartmentReport).one()
    assert (stored.summary, stored.month, stored.edited_by_id, stored.version) == (
        "Tổ đã thăm nhà 2 em.", OCT, w.dept_head.id, 1)
    assert "Tổ đã thăm nhà 2 em." in dept_head_client.get(url).get_data(as_text=True)
    # leadership opened the page before the head's edit (version 0): a conflict, the typed text kept
    response = leader_client.post(url, data={"summary": "Bản của BGH", "version": "0", "save": "1"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Bản của BGH" in page and "vừa được người khác sửa" in page
    assert "Bản đang lưu" in page and "Tổ đã thăm nhà 2 em." in page  # the saved text shown beside the typed one
    db.session.expire_all()
    assert db.session.query(DepartmentReport).one().summary == "Tổ đã thăm nhà 2 em."
    assert 'name="version" type="hidden" value="1"' in page  # saving again now replaces it knowingly
    # an empty edit is refused with a message, never a 500
    response = dept_head_client.post(url, data={"summary": " ", "version": "1", "save": "1"})
    assert response.status_code == 200 and "Hãy nhập nội dung tóm tắt." in response.get_data(as_text=True)
    # regenerate only on request: the edit is discarded (kept in the audit log)
    response = dept_head_client.post(url, data={"summary": "x", "version": "1", "regenerate": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.query(DepartmentReport).one().summary is None
    entry = db.session.query(AuditLog).filter_by(action="department_report_regenerated").one()
    assert entry.details["discarded"] == "Tổ đã thăm nhà 2 em."
    assert "Hỗ trợ trong tháng: 1.734.567 đồng." in dept_head_client.get(url).get_data(as_text=True)


def _cells(ws):
    return [c for row in ws.iter_rows() for c in row if c.value is not None]


def test_the_xlsx_is_the_document_formula_safe_and_audited(dept_world, dept_head_client, db):
    w = dept_world
    url = f"/departments/{w.dept.id}/report?month={KEY}"
    dept_head_client.post(url, data={"summary": "=1+1\nHỗ trợ 1.734.567 đồng", "version": "0", "save": "1"})
    response = dept_head_client.get(f"/departments/{w.dept.id}/report.xlsx?month={KEY}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith("bao-cao-to-TOAN-2026-10.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(response.data)).active
    cells = _cells(ws)
    values = [c.value for c in cells]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert all(c.font.name == "Times New Roman" for c in cells)
    assert "TỔ TOÁN" in values and "TỔ TRƯỞNG" in values and w.dept_head.full_name in values
    assert any(str(v).startswith("BÁO CÁO THỰC HIỆN CUỘC VẬN ĐỘNG") and str(v).endswith("THÁNG 10/2026 — TỔ TOÁN")
               for v in values)
    formula = next(c for c in cells if c.value == "=1+1")
    assert formula.data_type == "s"
    assert not any(c.data_type == "f" for c in cells)
    rows = [[c.value for c in row] for row in ws.iter_rows() if row[0].value in (1, 2, 3)]
    assert rows[0] == [1, "Bùi Văn An", "Lê Thị Bích", "10A1", "Gửi muộn", "Muộn", "Sa sút", 5, 1, 1_234_567,
                       "Chờ xem"]
    entry = db.session.query(AuditLog).filter_by(action="export_department_report_xlsx").one()
    assert sorted(entry.details["student_ids"]) == sorted([w.bich.id, w.cuong.id, w.mentee.id])
    assert entry.user_id == w.dept_head.id


def test_the_print_view_is_the_document_and_audited(dept_world, dept_head_client, db):
    response = dept_head_client.get(f"/departments/{dept_world.dept.id}/report/print?month={KEY}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "TỔ TRƯỞNG" in page and "css/document.css" in page
    assert f"/departments/{dept_world.dept.id}/report.pdf?month={KEY}" in page  # the PDF beside the workbook
    assert "THÁNG 10/2026 — TỔ TOÁN" in page and "1.234.567" in page and CONCERN not in page
    assert db.session.query(AuditLog).filter_by(action="export_department_report_print").count() == 1


def test_the_cli_writes_the_report_and_reports_bad_input(dept_world, runner, tmp_path, db):
    out = tmp_path / "toan.xlsx"
    base = ["report", "department-monthly", "--school", str(dept_world.school.id), "--out", str(out)]
    result = runner.invoke(args=[*base, "--department", "toan", "--month", KEY])
    assert result.exit_code == 0, result.output
    assert "3 mentees of 2 mentors" in result.output
    values = [c.value for c in _cells(openpyxl.load_workbook(out).active)]
    assert "Hỗ trợ trong tháng: 1.734.567 đồng." in values
    entry = db.session.query(AuditLog).filter_by(action="export_department_report_xlsx").one()
    assert entry.details["via"] == "cli" and len(entry.details["student_ids"]) == 3
    result = runner.invoke(args=[*base, "--department", "NOPE", "--month", KEY])
    assert result.exit_code != 0 and "No department 'NOPE'" in result.output and "TOAN" in result.output
    for bad in ("2026-13", "october", "2031-10"):
        result = runner.invoke(args=[*base, "--department", "TOAN", "--month", bad])
        assert result.exit_code != 0 and bad in result.output


def test_the_dashboard_service(dept_world):
    w = dept_world
    data = services.dashboard(w.dept, w.year, Period(w.year, month=OCT), local_today())
    by_name = {m.mentor.full_name: m for m in data.mentors}
    assert set(by_name) == {"Đỗ Thu Lan", "Y Khang", "Bùi Văn An"}  # every member, Ngữ văn's never
    khang, an = by_name["Y Khang"], by_name["Bùi Văn An"]
    assert (khang.due, khang.on_time, khang.on_time_rate) == (1, 1, 100)
    assert (an.due, an.on_time, an.on_time_rate) == (2, 0, 0)
    assert by_name["Đỗ Thu Lan"].on_time_rate is None
    assert [m.student.full_name for m in an.mentees] == ["Lê Thị Bích", "Phạm Văn Cường"]
    assert [m.current.state.state for m in an.mentees] == ["late_done", "locked_missing"]
    assert an.mentees[0].ratings == [(OCT, "decline")] and an.mentees[0].plan.status == PlanStatus.APPROVED
    assert [m.student.full_name for m in data.late] == ["Lê Thị Bích"]
    assert [(i.mentor.full_name, i.student.full_name) for i in data.missing] == [("Bùi Văn An", "Phạm Văn Cường")]
    assert data.pending == 2  # the two submitted notes of Toán (Ngữ văn's is not counted)
    semester = services.dashboard(w.dept, w.year, Period(w.year, semester=1), local_today())
    khang = next(m for m in semester.mentors if m.mentor.id == w.teacher.id)
    assert [r for _m, r in khang.mentees[0].ratings][:2] == [None, "progress"]  # September, October


def test_the_dashboard_page(dept_world, dept_head_client, leader_client):
    w = dept_world
    page = dept_head_client.get(f"/departments/?month={KEY}").get_data(as_text=True)
    assert "Bùi Văn An" in page and "Phạm Văn Cường" in page and "Đinh Văn Em" not in page
    assert f"/progress/students/{w.cuong.id}/notes/{KEY}" in page and "/progress/notes/queue" in page
    assert "Đúng hạn: 100% (1/1)" in page and CONCERN not in page
    page = leader_client.get(f"/departments/?department={w.other_dept.id}&month={KEY}").get_data(as_text=True)
    assert "Đinh Văn Em" in page and "Phạm Văn Cường" not in page
    assert "/departments/" in dept_head_client.get("/home/dept_head").get_data(as_text=True)


def test_the_dashboard_defaults_to_the_current_month(dept_world, dept_head_client):
    from sponsor_app.periods import current_month

    month = current_month(dept_world.year, local_today())
    page = dept_head_client.get("/departments/").get_data(as_text=True)
    assert f"Báo cáo tháng {month:%m/%Y}" in page


@pytest.mark.parametrize("url", ["/departments/?department=abc", "/departments/?department=99999999999",
                                 "/departments/{d}/report?month=2026-13", "/departments/{d}/report?month=xyz",
                                 "/departments/{d}/report.xlsx?month=2031-01", "/departments/999999/report"])
def test_bad_input_is_a_404_never_a_500(dept_world, dept_head_client, url):
    assert dept_head_client.get(url.format(d=dept_world.dept.id)).status_code == 404


def test_the_union_and_a_plain_teacher_never_see_it(dept_world, union_client, teacher_client):
    for client in (union_client, teacher_client):
        for url in ("/departments/", f"/departments/{dept_world.dept.id}/report?month={KEY}",
                    f"/departments/{dept_world.dept.id}/report.xlsx?month={KEY}"):
            assert client.get(url).status_code == 403


def _grow(world, db, n):
    for _i in range(n):
        mentor = f.make_user(world.school, Role.TEACHER, department=world.dept)
        for _j in range(2):
            student = f.make_student(world.other_class)
            a = _main(world, student, mentor, db)
            db.session.add(_note(world, a, contacts=(ContactWith.FAMILY,), supports=(1000,)))
        db.session.add(SupportPlan(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                                   assignment_id=a.id, author_id=mentor.id, due_on=world.year.start_date))
    db.session.commit()


@pytest.mark.parametrize("path", ["/departments/?month=2026-10", "/departments/{d}/report?month=2026-10",
                                  "/departments/{d}/report/print?month=2026-10"])
def test_pages_issue_a_bounded_number_of_queries(app, dept_world, dept_head_client, db, path):
    url = path.format(d=dept_world.dept.id)

    def count():
        with count_statements() as counted:
            assert dept_head_client.get(url).status_code == 200
        return counted.n

    _grow(dept_world, db, 1)
    small = count()
    _grow(dept_world, db, 6)
    assert count() == small


def test_the_period_filter_whole_year_semester_and_default(dept_world):
    from werkzeug.datastructures import MultiDict

    year, today = dept_world.year, local_today()
    assert services.dashboard_period(MultiDict(), year, today).month is not None  # no filter: the current month
    whole = services.dashboard_period(MultiDict({"semester": "", "month": ""}), year, today)
    assert (whole.month, whole.semester) == (None, None)  # "Cả năm học" chosen in the filter
    assert services.dashboard_period(MultiDict({"semester": "2", "month": ""}), year, today).semester == 2
    assert services.dashboard_period(MultiDict({"month": KEY}), year, today).month == OCT


def test_the_pages_in_english(dept_world, dept_head_client):
    dept_head_client.post("/lang/en")
    page = dept_head_client.get(f"/departments/?month={KEY}").get_data(as_text=True)
    assert "On time: 100% (1/1)" in page and "Missing and late" in page
    page = dept_head_client.get(f"/departments/{dept_world.dept.id}/report?month={KEY}").get_data(as_text=True)
    assert "Monitoring table (3 students)" in page
    assert "Hỗ trợ trong tháng: 1.734.567 đồng." in page  # the document's summary stays Vietnamese
