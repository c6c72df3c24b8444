"""The twice-yearly reports, checked figure by figure against a hand-built school year.

The world's school (6 active staff) in 2026-2027 (report 1 as of 30/12/2026, report 2 as of 25/5/2027):

- pledges: Y Khang willing for 2 and Hồ Văn Long willing for 1 (15/11/2026), Vũ Ngọc Quỳnh not
  willing, Đỗ Thu Lan willing for 1 on 05/01/2027 (only in report 2);
- screenings: Hoàng Bảo Thảo (10A1, hộ nghèo, approved 10/12), Dương Anh Quân (11B2, mồ côi, risk
  high, approved 10/12), Ksor Hen (10A1, conduct and learning "Chưa đạt", approved 10/12), Lò Thị Mai
  (11B2, hộ nghèo, not needed), Phạm Văn Cường (11B2, learning "Chưa đạt", proposed 10/01/2027,
  approved 12/01/2027);
- mentoring: Thảo by Y Khang (main) and Hồ Văn Long (support) from 15/12; Quân by Vũ Ngọc Quỳnh
  from 20/12 until he drops out on 10/03/2027; Hen by Đỗ Thu Lan from 05/01/2027; Cường by Y Khang
  from 15/01/2027; Lý Bảo Ánh (not in the campaign) drops out on 01/02/2027;
- notes: Thảo Dec on time tiến bộ (support 500.000 + 200.000), Jan on time giữ vững, Feb late tiến
  bộ, a Mar draft; Quân Dec late sa sút, Jan on time sa sút; Hen Jan on time giữ vững, Feb, Mar (support
  300.000) and Apr on time tiến bộ, May submitted on 26/05 (after report 2's date: support 1.000.000);
- escalations: one raised 22/12/2026 (referred 23/12, closed 10/01/2027), one raised 15/02/2027.
"""

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from sponsor_app.documents.model import HEADER_FIELDS
from sponsor_app.extensions import db as _db
from sponsor_app.models import (
    Assignment,
    AuditLog,
    ConcernKind,
    Decision,
    Escalation,
    EscalationStatus,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    NoteSupport,
    Pledge,
    Rating,
    Referral,
    ReferralService,
    ReportStatus,
    RiskLevel,
    SemesterReport,
    ServiceKind,
    StudentStatus,
)
from sponsor_app.reports import export, services
from sponsor_app.timeutil import SCHOOL_TZ
from tests import factories as f
from tests.conftest import count_statements

DEC10 = datetime(2026, 12, 10, 3, tzinfo=UTC)
R1_ASOF, R2_ASOF = "30/12/2026", "25/05/2027"


def _at(y, m, d):
    return datetime(y, m, d, 3, tzinfo=UTC)


def _assign(w, student, mentor, started, role=MentorRole.MAIN, ended=None):
    a = Assignment(school_id=w.school.id, school_year_id=w.year.id, student_id=student.id, mentor_id=mentor.id,
                   role=role, started_on=started, ended_on=ended)
    _db.session.add(a)
    _db.session.flush()
    return a


def _note(w, a, month, *, submitted=None, on_time=True, rating=Rating.STEADY, supports=()):
    note = MonthlyNote(school_id=w.school.id, school_year_id=w.year.id, student_id=a.student_id, assignment_id=a.id,
                       author_id=a.mentor_id, month=month, status=NoteStatus.SUBMITTED if submitted else NoteStatus.DRAFT,
                       rating=rating)
    if submitted:
        note.submitted_at, note.submitted_on_time = submitted, on_time
    note.supports = [NoteSupport(kind="hoc_bong", value_vnd=v, position=i) for i, v in enumerate(supports)]
    _db.session.add(note)
    return note


@pytest.fixture
def year_world(world):
    w = world
    for user, cap, willing, day in ((w.teacher, 2, True, date(2026, 11, 15)), (w.union, 1, True, date(2026, 11, 15)),
                                    (w.homeroom, 0, False, date(2026, 11, 15)),
                                    (w.dept_head, 1, True, date(2027, 1, 5))):
        _db.session.add(Pledge(school_id=w.school.id, school_year_id=w.year.id, user_id=user.id, willing=willing,
                               capacity=cap, pledged_on=day))
    w.hen = f.make_student(w.own_class, "Ksor Hen")
    w.mai = f.make_student(w.other_class, "Lò Thị Mai")
    w.cuong = f.make_student(w.other_class, "Phạm Văn Cường")
    s_own, s_other = w.own_screening, w.other_screening
    s_own.absences = 0
    s_hen = f.make_screening(w.hen, w.year, w.homeroom, conduct_rating="Chưa đạt", learning_rating="Chưa đạt",
                             circumstances_text='=HYPERLINK("http://x","bấm")', conduct_text="Hay nghỉ học")
    s_mai = f.make_screening(w.mai, w.year, w.teacher, poor_household=True)
    s_cuong = f.make_screening(w.cuong, w.year, w.teacher, learning_rating="Chưa đạt", proposed_on=date(2027, 1, 10))
    for s, level in ((s_own, RiskLevel.LOW), (s_other, RiskLevel.HIGH), (s_hen, RiskLevel.MEDIUM),
                     (s_mai, RiskLevel.LOW), (s_cuong, RiskLevel.LOW)):
        s.risk_level = level
    for s in (s_own, s_other, s_hen):
        s.decision, s.decided_at, s.decided_by_id = Decision.APPROVED, DEC10, w.leader.id
    s_mai.decision, s_mai.decided_at = Decision.NOT_NEEDED, DEC10
    s_cuong.decision, s_cuong.decided_at = Decision.APPROVED, _at(2027, 1, 12)
    s_own.conduct_text = "Chăm ngoan"

    thao_main = _assign(w, w.own_student, w.teacher, date(2026, 12, 15))
    _assign(w, w.own_student, w.union, date(2026, 12, 15), role=MentorRole.SUPPORT)
    quan_main = _assign(w, w.other_student, w.homeroom, date(2026, 12, 20), ended=date(2027, 3, 10))
    w.other_student.status, w.other_student.status_date = StudentStatus.DROPPED_OUT, date(2027, 3, 10)
    w.unscreened_student.status, w.unscreened_student.status_date = StudentStatus.DROPPED_OUT, date(2027, 2, 1)
    hen_main = _assign(w, w.hen, w.dept_head, date(2027, 1, 5))
    _assign(w, w.cuong, w.teacher, date(2027, 1, 15))

    P, S, D = Rating.PROGRESS, Rating.STEADY, Rating.DECLINE
    _note(w, thao_main, date(2026, 12, 1), submitted=_at(2026, 12, 20), rating=P, supports=(500_000, 200_000))
    _note(w, thao_main, date(2027, 1, 1), submitted=_at(2027, 1, 20), rating=S)
    _note(w, thao_main, date(2027, 2, 1), submitted=_at(2027, 2, 27), on_time=False, rating=P)
    _note(w, thao_main, date(2027, 3, 1))  # a draft
    _note(w, quan_main, date(2026, 12, 1), submitted=_at(2026, 12, 28), on_time=False, rating=D)
    _note(w, quan_main, date(2027, 1, 1), submitted=_at(2027, 1, 22), rating=D)
    _note(w, hen_main, date(2027, 1, 1), submitted=_at(2027, 1, 20), rating=S)
    _note(w, hen_main, date(2027, 2, 1), submitted=_at(2027, 2, 20), rating=P)
    _note(w, hen_main, date(2027, 3, 1), submitted=_at(2027, 3, 20), rating=P, supports=(300_000,))
    _note(w, hen_main, date(2027, 4, 1), submitted=_at(2027, 4, 20), rating=P)
    _note(w, hen_main, date(2027, 5, 1), submitted=_at(2027, 5, 26), on_time=False, rating=D, supports=(1_000_000,))

    service = ReferralService(school_id=w.school.id, kind=ServiceKind.HOTLINE, name="Tổng đài 111", phone="111")
    e1 = Escalation(school_id=w.school.id, school_year_id=w.year.id, student_id=w.own_student.id,
                    raised_by_id=w.teacher.id, raised_at=_at(2026, 12, 22), kind=ConcernKind.DROPOUT,
                    description="Em định nghỉ học", response_hours=8, respond_by=_at(2026, 12, 23),
                    status=EscalationStatus.CLOSED, closed_at=_at(2027, 1, 10), outcome="Em đi học lại")
    e2 = Escalation(school_id=w.school.id, school_year_id=w.year.id, student_id=w.hen.id, raised_by_id=w.dept_head.id,
                    raised_at=_at(2027, 2, 15), kind=ConcernKind.OTHER, description="Gia đình khó khăn",
                    response_hours=8, respond_by=_at(2027, 2, 16))
    _db.session.add_all([service, e1, e2])
    _db.session.flush()
    _db.session.add(Referral(escalation_id=e1.id, service_id=service.id, referred_on=date(2026, 12, 23),
                             referred_by_id=w.leader.id))
    _db.session.commit()
    return w


R1 = {"staff": 6, "pledged": 2, "pledged_places": 3,
      "screened": 4, "screened_hardship": 3, "screened_conduct": 1, "screened_academic": 1, "screened_dropout": 1,
      "approved": 3, "approved_hardship": 2, "approved_conduct": 1, "approved_academic": 1, "approved_dropout": 1,
      "assigned": 2, "coverage_students": "66,7%", "main_mentors": 2, "support_mentors": 1, "staff_with_mentee": 3,
      "coverage_staff": "50,0%",
      "notes_due": 2, "notes_on_time": 1, "notes_late": 1, "notes_missing": 0, "notes_on_time_pct": "50,0%",
      "rating_progress": 1, "rating_steady": 0, "rating_decline": 1,
      "support_items": 2, "support_students": 1, "support_vnd": 700_000,
      "mentees": 3, "retained": 3, "transferred": 0, "dropped_out": 0, "school_dropouts": 0,
      "escalations": 1, "escalations_closed": 0, "referrals": 1}
R2 = R1 | {"pledged": 3, "pledged_places": 4, "screened": 5, "screened_academic": 2, "approved": 4,
           "approved_academic": 2, "assigned": 3, "coverage_students": "75,0%", "main_mentors": 2,
           "notes_due": 19, "notes_on_time": 7, "notes_late": 2, "notes_missing": 10, "notes_on_time_pct": "36,8%",
           "rating_progress": 2, "rating_steady": 0, "rating_decline": 1,
           "support_items": 3, "support_students": 2, "support_vnd": 1_000_000,
           "mentees": 4, "retained": 3, "dropped_out": 1, "school_dropouts": 2,
           "escalations": 2, "escalations_closed": 1}
KEYS = [key for _title, rows in services.SECTIONS for key, _label, _kind in rows]
R1_TABLE = [["1", "Ksor Hen", "10A1", '=HYPERLINK("http://x","bấm")', "Hay nghỉ học", None],
            ["2", "Hoàng Bảo Thảo", "10A1", "Gia đình khó khăn", "Chăm ngoan", "1. Y Khang; 2. Hồ Văn Long (hỗ trợ)"],
            ["3", "Dương Anh Quân", "11B2", "Gia đình khó khăn", None, "1. Vũ Ngọc Quỳnh"]]
R2_TABLE = [["1", "Ksor Hen", "10A1", '=HYPERLINK("http://x","bấm")', "Hay nghỉ học", "1. Đỗ Thu Lan",
             "Tiến bộ (tháng 04/2027); 3 tiến bộ, 1 giữ vững, 0 sa sút"],
            ["2", "Hoàng Bảo Thảo", "10A1", "Gia đình khó khăn", "Chăm ngoan", "1. Y Khang; 2. Hồ Văn Long (hỗ trợ)",
             "Tiến bộ (tháng 02/2027); 2 tiến bộ, 1 giữ vững, 0 sa sút"],
            ["3", "Phạm Văn Cường", "11B2", "Gia đình khó khăn", None, "1. Y Khang", "Chưa có nhận xét"]]


def _form(as_of, **kw):
    data = {"number": "15/BC-THPT", "as_of": as_of, "report_date": as_of, "results": "Kết quả tốt",
            "difficulties": "Thiếu kinh phí", "proposals": "Đề nghị Sở hỗ trợ", "version": "0"}
    return data | kw


def _prepare_and_submit(client, w, term, as_of):
    url = f"/reports/{w.year.id}/{term}"
    assert client.post(url, data=_form(as_of)).status_code == 302
    report = _db.session.query(SemesterReport).filter_by(term=term).one()
    assert client.post(url + "/submit", data={"version": report.version}).status_code == 302
    _db.session.refresh(report)
    assert report.status == ReportStatus.SUBMITTED
    return report


def _workbook(client, w, term):
    response = client.get(f"/reports/{w.year.id}/{term}/report.xlsx")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _figures_of(book) -> list:
    """The figures of the report sheet, in order (rows whose TT is a number): a count or an amount in
    "Số liệu", a rate in "Tỉ lệ" (a number, 0.667, shown 66,7 %) read back as the report writes it."""
    rows = list(book["Bao cao"].iter_rows(values_only=True))
    header = next(r for r in rows if "Số liệu" in r)  # the heading may cut "Nội dung" into two sheet columns
    value, rate = header.index("Số liệu"), header.index("Tỉ lệ")
    return [row[value] if row[rate] is None else _rate_text(row[rate]) for row in rows if isinstance(row[0], int)]


def _rate_text(value) -> str:
    assert isinstance(value, float | str), value  # a number, or "—" when there is nothing to divide by
    return value if isinstance(value, str) else f"{value * 100:.1f}".replace(".", ",") + "%"


def _table_of(book, width) -> list[list]:
    ws = book["Phu luc hoc sinh"]
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "TT")
    return [[str(c) if isinstance(c, int) else c for c in r[:width]] for r in rows[start + 1:] if isinstance(r[0], int)]


def test_both_reports_read_back_figure_by_figure(year_world, leader_client):
    w = year_world
    _prepare_and_submit(leader_client, w, 1, R1_ASOF)
    book = _workbook(leader_client, w, 1)
    assert book.sheetnames == ["Bao cao", "Phu luc hoc sinh", "Thay doi", "Khen thuong"]  # nothing sent before
    assert _figures_of(book) == [R1[k] for k in KEYS]
    assert _table_of(book, 6) == R1_TABLE
    header = next(r for r in book["Phu luc hoc sinh"].iter_rows(values_only=True) if r[0] == "TT")
    assert header[5] == "GV nhận đỡ đầu"
    assert len(header) == 6  # no progress column in report 1
    ws = book["Bao cao"]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells and "Độc lập - Tự do - Hạnh phúc" in cells
    assert "Số: 15/BC-THPT" in cells and "(Số liệu tính đến ngày 30/12/2026)" in cells
    assert "Ngày 30 tháng 12 năm 2026" in cells and "Thiếu kinh phí" in cells and "HIỆU TRƯỞNG" in cells
    assert "Nơi nhận:" in cells and "- Lưu: VT." in cells
    assert any(str(c).startswith("BÁO CÁO KẾT QUẢ THỰC HIỆN CUỘC VẬN ĐỘNG") and "HỌC KỲ I NĂM HỌC 2026 - 2027" in str(c)
               for c in cells)
    assert ws.page_setup.paperSize == 9
    assert {c.font.name for row in ws.iter_rows() for c in row if c.value is not None} == {"Times New Roman"}

    _prepare_and_submit(leader_client, w, 2, R2_ASOF)
    book = _workbook(leader_client, w, 2)
    assert _figures_of(book) == [R2[k] for k in KEYS]
    assert _table_of(book, 7) == R2_TABLE
    assert book.sheetnames == ["Bao cao", "Phu luc hoc sinh", "Thay doi", "Thay doi hoc sinh", "Khen thuong"]
    changes = list(book["Thay doi"].iter_rows(values_only=True))
    before = next(r for r in changes if "Báo cáo trước" in r).index("Báo cáo trước")  # after a cut column
    by_label = {r[1]: r[before:before + 3] for r in changes
                if isinstance(r[0], int) and r[1] and r[before] is not None}
    assert by_label["Số học sinh được rà soát, khảo sát"] == (4, 5, 1)  # numbers: the office can sum them
    assert by_label["Số nhận xét hằng tháng phải nộp"] == (2, 19, 17)
    assert by_label["Nộp muộn"] == (1, 2, 1)
    assert by_label["Tỉ lệ nộp đúng hạn"][:2] == (0.5, export.rate(R2["notes_on_time_pct"]))
    students = list(book["Thay doi hoc sinh"].iter_rows(values_only=True))
    flat = [c for r in students for c in r if c]
    assert "Học sinh mới có trong danh sách: 1" in flat and "Phạm Văn Cường" in flat
    assert "Học sinh không còn trong danh sách: 1" in flat and "Dương Anh Quân" in flat
    # each list under its own header, never a figures header above a list of students
    headers = [i for i, r in enumerate(students) if r[0] == "TT"]
    assert len(headers) == 2 and all(students[i][1] == "Họ và tên" for i in headers)


def test_the_text_of_a_formula_stays_text(year_world, leader_client):
    w = year_world
    leader_client.post(f"/reports/{w.year.id}/1", data=_form(R1_ASOF, results="=1+1"))
    book = _workbook(leader_client, w, 1)
    cell = next(c for row in book["Phu luc hoc sinh"].iter_rows() for c in row
                if c.value == '=HYPERLINK("http://x","bấm")')
    assert cell.data_type == "s"  # a string, never a formula or a link
    assert any(c.value == "=1+1" and c.data_type == "s" for row in book["Bao cao"].iter_rows() for c in row)


def test_a_submitted_report_is_a_locked_snapshot(year_world, leader_client, db):
    w = year_world
    report = _prepare_and_submit(leader_client, w, 1, R1_ASOF)
    before = _workbook(leader_client, w, 1)
    # the data changes afterwards: a new approved student with a mentor, a text edited, a dropout
    late = f.make_student(w.own_class, "Nay Thị Út")
    s = f.make_screening(late, w.year, w.homeroom, poor_household=True)
    s.decision, s.decided_at = Decision.APPROVED, DEC10
    _assign(w, late, w.leader, date(2026, 12, 1))
    w.own_screening.circumstances_text = "Đã sửa sau khi gửi"
    w.own_student.status, w.own_student.status_date = StudentStatus.TRANSFERRED, date(2026, 12, 29)
    db.session.commit()
    after = _workbook(leader_client, w, 1)
    assert _figures_of(after) == _figures_of(before) == [R1[k] for k in KEYS]
    assert _table_of(after, 6) == R1_TABLE
    page = leader_client.get(f"/reports/{w.year.id}/1").get_data(as_text=True)
    assert "Nay Thị Út" not in page and "Đã sửa sau khi gửi" not in page and "Đã gửi" in page
    # a locked report cannot be edited
    response = leader_client.post(f"/reports/{w.year.id}/1", data=_form(R1_ASOF, results="Sửa", version=report.version))
    assert response.status_code == 200 and "đã khoá" in response.get_data(as_text=True)
    db.session.refresh(report)
    assert report.results == "Kết quả tốt"
    # while a draft is regenerated from the data
    draft = services.generate(w.school, w.year, 1, as_of=date(2026, 12, 30))
    assert "Nay Thị Út" in [r["name"] for r in draft["parts"]["students"]["rows"]]


def test_unlocking_needs_a_reason_and_keeps_what_was_sent(year_world, leader_client, db):
    w = year_world
    report = _prepare_and_submit(leader_client, w, 1, R1_ASOF)
    leader_client.post(f"/reports/{w.year.id}/1/unlock", data={"reason": ""})
    db.session.refresh(report)
    assert report.locked
    leader_client.post(f"/reports/{w.year.id}/1/unlock", data={"reason": "Sở yêu cầu bổ sung số liệu"})
    db.session.refresh(report)
    assert report.status == ReportStatus.DRAFT and report.snapshot is None
    entry = db.session.query(AuditLog).filter_by(action="semester_report_unlocked").one()
    assert entry.details["reason"] == "Sở yêu cầu bổ sung số liệu"
    assert entry.details["sent_snapshot"]["parts"]["figures"]["sections"][0]["rows"][0]["value"] == 6


def test_conflicting_edits_are_reported_not_overwritten(year_world, leader_client, db):
    w = year_world
    url = f"/reports/{w.year.id}/1"
    leader_client.post(url, data=_form(R1_ASOF))
    report = db.session.query(SemesterReport).one()
    opened = report.version  # two people open the page
    assert leader_client.post(url, data=_form(R1_ASOF, results="Bản A", version=opened)).status_code == 302
    stale = leader_client.post(url, data=_form(R1_ASOF, results="Bản C", version=opened))
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "vừa được người khác sửa" in page and "Bản C" in page and "Bản A" in page
    db.session.refresh(report)
    assert report.results == "Bản A"


def test_bad_input_gets_vietnamese_messages_and_keeps_what_was_typed(year_world, leader_client, db):
    w = year_world
    url = f"/reports/{w.year.id}/1"
    response = leader_client.post(url, data=_form("31/02/2026", results="Nội dung đã gõ"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ngày không hợp lệ" in page and "Nội dung đã gõ" in page
    response = leader_client.post(url, data=_form("01/08/2026"))
    assert response.status_code == 200 and "phải nằm trong năm học 2026-2027" in response.get_data(as_text=True)
    response = leader_client.post(url, data=_form(R1_ASOF, report_date="01/12/2026"))
    assert response.status_code == 200 and "không được trước ngày chốt" in response.get_data(as_text=True)
    assert db.session.query(SemesterReport).count() == 0
    # submitting without a draft, or with nothing written in the results
    leader_client.post(url + "/submit", data={"version": "0"})
    leader_client.post(url, data=_form(R1_ASOF, results=""))
    report = db.session.query(SemesterReport).one()
    response = leader_client.post(url + "/submit", data={"version": report.version}, follow_redirects=True)
    assert "Hãy viết phần kết quả" in response.get_data(as_text=True)
    assert leader_client.get(f"/reports/{w.year.id}/3").status_code == 404
    assert leader_client.get(f"/reports/{w.other_school_year.id}/1").status_code == 404


def test_who_sees_what(year_world, leader_client, union_client, dept_head_client, teacher_client):
    w = year_world
    _prepare_and_submit(leader_client, w, 1, R1_ASOF)
    page = union_client.get(f"/reports/{w.year.id}/1").get_data(as_text=True)
    assert "Số học sinh được duyệt đỡ đầu" in page and "66,7%" in page
    for secret in ("Hoàng Bảo Thảo", "Ksor Hen", "Gia đình khó khăn", "Thiếu kinh phí", "Kết quả tốt"):
        assert secret not in page
    assert union_client.get(f"/reports/{w.year.id}/1/report.xlsx").status_code == 403
    assert union_client.get(f"/reports/{w.year.id}/1/print").status_code == 403
    for client in (dept_head_client, teacher_client):
        assert client.get(f"/reports/{w.year.id}/1").status_code == 403
        assert client.get("/reports/").status_code == 403


def test_every_view_and_export_is_audited_with_its_students(year_world, leader_client, db):
    w = year_world
    leader_client.post(f"/reports/{w.year.id}/1", data=_form(R1_ASOF))  # a draft as of 30/12
    leader_client.get(f"/reports/{w.year.id}/1")
    leader_client.get(f"/reports/{w.year.id}/1/print")
    leader_client.get(f"/reports/{w.year.id}/1/report.xlsx")
    ids = sorted([w.hen.id, w.own_student.id, w.other_student.id])
    for action in ("semester_report_viewed", "semester_report_printed", "semester_report_exported"):
        entry = db.session.query(AuditLog).filter_by(action=action).one()
        assert sorted(entry.details["student_ids"]) == ids, action  # Cường is approved only in January


def test_the_report_page_issues_a_bounded_number_of_queries(app, year_world, leader_client, db):
    w = year_world
    app.config["KEPT_RESULTS"] = False  # the draft computed at every view (kept: tests/test_kept_results.py)
    leader_client.post(f"/reports/{w.year.id}/2", data=_form(R2_ASOF))

    def count():
        with count_statements() as counted:
            assert leader_client.get(f"/reports/{w.year.id}/2").status_code == 200
        return counted.n

    count()  # the first view of all keeps the year's default emulation rubric (the proposed commendations)
    small = count()
    for i in range(5):
        student = f.make_student(w.other_class, f"Đinh Văn Thêm{i}")
        s = f.make_screening(student, w.year, w.homeroom, poor_household=True)
        s.decision, s.decided_at = Decision.APPROVED, DEC10
        a = _assign(w, student, w.admin, date(2026, 12, 1))
        _assign(w, student, w.leader, date(2026, 12, 1), role=MentorRole.SUPPORT)
        _note(w, a, date(2027, 1, 1), submitted=_at(2027, 1, 20), supports=(100,))
    db.session.commit()
    assert count() == small


def test_leadership_home_and_the_list_show_the_deadlines(year_world, leader_client):
    w = year_world
    page = leader_client.get("/home/leader").get_data(as_text=True)
    assert "Báo cáo lần 1" in page and "30/12/2026" in page and "25/05/2027" in page
    _prepare_and_submit(leader_client, w, 1, R1_ASOF)
    page = leader_client.get("/reports/").get_data(as_text=True)
    assert "Đã gửi" in page and "Chưa bắt đầu" in page


def test_the_english_interface_keeps_the_document_vietnamese(year_world, leader_client):
    w = year_world
    leader_client.post("/lang/en")
    page = leader_client.get(f"/reports/{w.year.id}/1").get_data(as_text=True)
    assert "Save the draft" in page and "Số học sinh được duyệt đỡ đầu" in page


def test_cli_writes_the_report(year_world, leader_client, runner, tmp_path, db):
    w = year_world
    _prepare_and_submit(leader_client, w, 1, R1_ASOF)
    out = tmp_path / "r1.xlsx"
    result = runner.invoke(args=["report", "semester", "--year", "2026-2027", "--term", "1", "--out", str(out),
                                 "--school", str(w.school.id)])
    assert result.exit_code == 0, result.output
    assert "submitted" in result.output and "3 students" in result.output
    assert _figures_of(openpyxl.load_workbook(out)) == [R1[k] for k in KEYS]
    entry = db.session.query(AuditLog).filter_by(action="semester_report_exported").one()
    assert entry.details["via"] == "cli" and len(entry.details["student_ids"]) == 3
    result = runner.invoke(args=["report", "semester", "--year", "2030-2031", "--term", "1", "--out", str(out),
                                 "--school", str(w.school.id)])
    assert result.exit_code != 0 and "Known: 2026-2027" in result.output
    result = runner.invoke(args=["report", "semester", "--year", "2026-2027", "--term", "3", "--out", str(out)])
    assert result.exit_code != 0


def test_cli_writes_the_district_workbook(year_world, leader_client, runner, tmp_path, db):
    """Every school's report 1 in one workbook: a summary row per school (the submitted snapshot of the
    world's school, the other school generated now) with the district's totals, and every student."""
    w = year_world
    _prepare_and_submit(leader_client, w, 1, R1_ASOF)
    out = tmp_path / "district.xlsx"
    result = runner.invoke(args=["report", "district", "--year", "2026-2027", "--term", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 schools (1 not started, 1 submitted), 3 students" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Tong hop", "Hoc sinh"]
    rows = [r for r in book["Tong hop"].iter_rows(values_only=True)]
    header = rows[5]
    schools = {r[1]: r for r in rows[6:] if isinstance(r[0], int)}
    assert set(schools) == {w.school.name, "Trường THCS Khác"}
    ours = schools[w.school.name]
    assert ours[2] == "Đã gửi" and ours[3].strftime("%d/%m/%Y") == R1_ASOF  # a date cell
    assert header[4:] == ("Tổng số cán bộ, giáo viên, nhân viên", "Số người đăng ký nhận đỡ đầu", *header[6:])
    assert header[4 + KEYS.index("approved_hardship")].startswith("Số học sinh được duyệt đỡ đầu – trong đó")
    labels = {k: header[4 + i] for i, k in enumerate(KEYS)}
    assert len(set(labels.values())) == len(KEYS)  # every column says what it counts
    assert [ours[header.index(labels[k])] for k in KEYS] == [export.rate(R1[k]) for k in KEYS]  # numbers
    total = next(r for r in rows if r[1] == "Tổng cộng")
    other = schools["Trường THCS Khác"]
    for key in ("staff", "screened", "approved", "notes_due"):
        col = header.index(labels[key])
        assert total[col] == ours[col] + other[col]
    assert total[header.index(labels["coverage_students"])] is None  # rates are not added up
    students = [r for r in book["Hoc sinh"].iter_rows(values_only=True) if isinstance(r[0], int)]
    assert [(r[1], r[2]) for r in students] == [(w.school.name, row[1]) for row in R1_TABLE]
    hyperlink = next(c for row in book["Hoc sinh"].iter_rows() for c in row if c.value == R1_TABLE[0][3])
    assert hyperlink.data_type == "s"
    entries = db.session.query(AuditLog).filter_by(action="semester_report_exported").all()
    assert sorted((e.school_id, e.details["via"], len(e.details["student_ids"])) for e in entries) == sorted(
        [(w.school.id, "district", 3), (w.other_school_year.school_id, "district", 0)])
    result = runner.invoke(args=["report", "district", "--year", "2030-2031", "--term", "1",
                                 "--out", str(tmp_path / "none.xlsx")])
    assert result.exit_code != 0 and "No school has the school year" in result.output
    assert not (tmp_path / "none.xlsx").exists()


def test_schools_computed_together_get_each_their_own_figures_and_table(year_world, db):
    """The district's workbook computes every school's figures and table with one set of statements
    (figures_of, student_rows_of): each school's are those it gets alone."""
    w = year_world
    other = w.other_school_screening
    other.decision, other.decided_at = Decision.APPROVED, DEC10
    db.session.add(Assignment(school_id=w.other_school_year.school_id, school_year_id=w.other_school_year.id,
                              student_id=other.student_id, mentor_id=w.other_school_user.id, role=MentorRole.MAIN,
                              started_on=date(2026, 12, 1)))
    db.session.flush()
    years = [w.year, w.other_school_year]
    for as_of, term in ((date(2026, 12, 30), 1), (date(2027, 5, 25), 2)):
        together = services.figures_of(years, as_of)
        assert together == {y.id: services.figures(y.school_id, y, as_of) for y in years}
        rows = services.student_rows_of([y.id for y in years], as_of, with_progress=term == 2)
        assert rows == {y.id: services.student_rows(y.school_id, y, as_of, with_progress=term == 2) for y in years}
    r1 = services.figures_of(years, date(2026, 12, 30))
    assert [r1[w.year.id][k] for k in KEYS] == [R1[k] for k in KEYS]
    assert (r1[w.other_school_year.id]["approved"], r1[w.other_school_year.id]["assigned"]) == (1, 1)
    table = services.student_rows_of([y.id for y in years], date(2026, 12, 30), with_progress=False)
    assert [r["student_id"] for r in table[w.other_school_year.id]] == [other.student_id]
    w.other_school_year.note_day += 1
    with pytest.raises(ValueError, match="share their data date and calendar"):  # such years are computed apart
        services.figures_of(years, date(2026, 12, 30))


def test_an_older_snapshot_without_some_parts_still_makes_its_document():
    """The document has a part per part of the report it was made from: a snapshot of an earlier format
    (figures only) is the report sheet alone, its rates numbers and its "—" (nothing to divide) kept."""
    header = {"governing_body": "SỞ GD&ĐT", "school": "TRƯỜNG X", "number": "Số: …", "title": "BÁO CÁO",
              "date_line": "Ngày 30 tháng 12 năm 2026", "as_of": "(Số liệu tính đến ngày 30/12/2026)",
              "signer": "HIỆU TRƯỞNG", "signer_hint": "(Ký tên, đóng dấu)", "principal": ""}
    figures = {"sections": [{"title": "I. A", "rows": [
        {"key": "staff", "label": "Cán bộ", "kind": "count", "value": 6},
        {"key": "coverage_staff", "label": "Tỉ lệ", "kind": "pct", "value": "66,7%"},
        {"key": "notes_on_time_pct", "label": "Tỉ lệ khác", "kind": "pct", "value": "—"}]}]}
    doc = export.report_document({"term": 1, "year": "2026-2027", "as_of": "2026-12-30",
                                  "parts": {"header": header, "figures": figures}})
    assert [p.sheet for p in doc.parts] == ["Bao cao"]
    table = doc.parts[0].tables[0]
    assert [row[2:4] for row in table.rows if isinstance(row, list)] == [[6, None], [None, 0.667], [None, "—"]]
    assert doc.parts[0].recipients == ["- Sở GD&ĐT (để báo cáo);", "- Lưu: VT."]
    labels = {name: str(label) for name, label in HEADER_FIELDS}
    assert doc.missing == [labels["place_name"], labels["principal_name"]]
    assert doc.filename == "bao-cao-lan-1-2026-2027"


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2027, 3, 15)])
def test_the_demo_school_has_report_1_submitted_and_report_2_in_preparation(db, today):
    from sponsor_app.seed import build_demo_school

    demo = build_demo_school(today, password_hash="unused")
    reports = {(r.school_year_id, r.term): r for r in db.session.query(SemesterReport)}
    assert len(reports) == 4
    for term in (1, 2):
        assert reports[(demo.previous.id, term)].status == ReportStatus.SUBMITTED
    current_1, current_2 = reports[(demo.current.id, 1)], reports[(demo.current.id, 2)]
    assert current_1.status == ReportStatus.SUBMITTED and current_2.status == ReportStatus.DRAFT
    assert current_1.as_of == min(today, date(2026, 12, 28)) and current_2.as_of == today
    assert current_1.snapshot["parts"]["changes"]["previous"]["id"] == reports[(demo.previous.id, 2)].id
    assert max(r.submitted_at.astimezone(SCHOOL_TZ).date() for r in reports.values() if r.submitted_at) <= today
    assert max(r.report_date for r in reports.values()) <= today
    last_year_2 = reports[(demo.previous.id, 2)].snapshot["parts"]
    assert flat(last_year_2)["approved"]["value"] == len(last_year_2["students"]["rows"]) + flat(last_year_2)[
        "dropped_out"]["value"] + flat(last_year_2)["transferred"]["value"]
    db.session.rollback()


def flat(parts):
    return services.flat_figures(parts["figures"])
