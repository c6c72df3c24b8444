"""The school dashboard: every figure against hand-computed data, the union's variant without
names or narratives (page, chart JSON and workbook), the export, and bounded query counts."""

import io
from datetime import date, datetime, timedelta

import pytest
from flask_sqlalchemy.record_queries import get_recorded_queries
from openpyxl import load_workbook

from sponsor_app.dashboard import services
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
    Pledge,
    Rating,
    RiskLevel,
    StudentStatus,
)
from sponsor_app.periods import Period
from sponsor_app.timeutil import SCHOOL_TZ, utcnow

from . import factories as f

TODAY = date(2027, 3, 10)
START = date(2026, 12, 30)  # the mentorings start at the assignment deadline: December's note is not due
JAN, FEB, MAR = date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)

NAMES = ("Phan Thị Mơ", "Lò Văn Páo", "Đinh Thị Hoa", "Mã Văn Tú", "Chu Thị Lan")
NARRATIVES = ("Em nói tuần sau nghỉ học đi làm thuê", "Bố mẹ đi làm ăn xa, ở với bà",
              "Em hay nghỉ học để trông em nhỏ", "Cần thăm nhà gấp trong tuần",
              "Gia đình khó khăn", "Học lực sa sút rõ rệt môn Toán")


def _mentee(w, name, mentor, *, level=RiskLevel.MEDIUM, started=START, ended=None, **flags):
    student = f.make_student(w.other_class, name)
    screening = f.make_screening(student, w.year, w.leader, circumstances_text=NARRATIVES[1], **flags)
    screening.decision = Decision.APPROVED
    screening.risk_level = level
    assignment = Assignment(school_id=w.school.id, school_year_id=w.year.id, student_id=student.id,
                            mentor_id=mentor.id, role=MentorRole.MAIN, started_on=started, ended_on=ended)
    f.db.session.add(assignment)
    f.db.session.flush()
    return student, assignment


def _note(w, student, assignment, month, rating, *, on_time=True, submitted=True):
    note = MonthlyNote(school_id=w.school.id, school_year_id=w.year.id, student_id=student.id,
                       assignment_id=assignment.id, author_id=assignment.mentor_id, month=month, rating=rating,
                       concerns=NARRATIVES[2], next_steps=NARRATIVES[3], wellbeing=NARRATIVES[5],
                       status=NoteStatus.SUBMITTED if submitted else NoteStatus.DRAFT,
                       submitted_at=datetime(month.year, month.month, 20 if on_time else 27, 3, 0,
                                             tzinfo=SCHOOL_TZ) if submitted else None,
                       submitted_on_time=on_time if submitted else None)
    f.db.session.add(note)
    return note


@pytest.fixture
def school(world):
    """The world plus, in Toán: A, B, D mentored by `teacher`; in Ngữ văn: C mentored by `homeroom`;
    E approved without a mentor. D dropped out on 10/02/2027 (mentoring ended). Notes:
      Jan: A on time (tiến bộ), B late (giữ vững), C missing, D late (sa sút)
      Feb: A on time (sa sút), B missing, C on time (tiến bộ)  — D's mentoring ended before the due day
      Mar: A on time (tiến bộ), B a draft, C nothing — due on 25/03, after today
    Last year: one dropout by the same point (20/01/2026), one after it (15/04/2026).
    Escalations: A open and overdue, B responding, C closed."""
    w = world
    w.own_screening.risk_level = RiskLevel.HIGH
    w.other_screening.risk_level = RiskLevel.LOW
    a, a_as = _mentee(w, NAMES[0], w.teacher, level=RiskLevel.HIGH, poor_household=True, conduct_rating="Chưa đạt")
    b, b_as = _mentee(w, NAMES[1], w.teacher, level=RiskLevel.MEDIUM, learning_rating="Chưa đạt")
    c, c_as = _mentee(w, NAMES[2], w.homeroom, level=RiskLevel.LOW, learning_rating="Yếu")
    d, d_as = _mentee(w, NAMES[3], w.teacher, level=RiskLevel.HIGH, ended=date(2027, 2, 10), orphan=True)
    d.status, d.status_date = StudentStatus.DROPPED_OUT, date(2027, 2, 10)
    e = f.make_student(w.other_class, NAMES[4])
    e_screening = f.make_screening(e, w.year, w.leader, circumstances_text=NARRATIVES[4])
    e_screening.decision, e_screening.risk_level = Decision.APPROVED, RiskLevel.LOW
    _note(w, a, a_as, JAN, Rating.PROGRESS)
    _note(w, b, b_as, JAN, Rating.STEADY, on_time=False)
    _note(w, d, d_as, JAN, Rating.DECLINE, on_time=False)
    _note(w, a, a_as, FEB, Rating.DECLINE)
    _note(w, c, c_as, FEB, Rating.PROGRESS)
    _note(w, a, a_as, MAR, Rating.PROGRESS)
    _note(w, b, b_as, MAR, Rating.PROGRESS, submitted=False)
    f.db.session.add(Pledge(school_id=w.school.id, school_year_id=w.year.id, user_id=w.teacher.id, willing=True,
                            capacity=3, pledged_on=date(2026, 11, 1)))
    last = f.make_year(w.school, 2025, current=False)
    last_class = f.make_class(last, "9A1")
    for name, day in (("Trần Văn Cũ", date(2026, 1, 20)), ("Lê Thị Muộn", date(2026, 4, 15))):
        old = f.make_student(last_class, name)
        old.status, old.status_date = StudentStatus.DROPPED_OUT, day
    moved = f.make_student(w.other_class, "Vi Văn Chuyển")
    moved.status, moved.status_date = StudentStatus.TRANSFERRED, date(2027, 1, 5)
    now = utcnow()
    for student, status in ((a, EscalationStatus.OPEN), (b, EscalationStatus.RESPONDING),
                            (c, EscalationStatus.CLOSED)):
        f.db.session.add(Escalation(
            school_id=w.school.id, school_year_id=w.year.id, student_id=student.id, raised_by_id=w.teacher.id,
            kind=ConcernKind.DROPOUT, response_hours=8, description=NARRATIVES[0], status=status,
            raised_at=now - timedelta(days=10), respond_by=now - timedelta(days=9),
            responded_at=None if status == EscalationStatus.OPEN else now - timedelta(days=9, hours=1),
            outcome="Gia đình đã đồng ý cho em đi học lại" if status == EscalationStatus.CLOSED else None))
    f.db.session.commit()
    w.students = {"A": a, "B": b, "C": c, "D": d, "E": e}
    return w


def counts(c):
    return (c.on_time, c.late, c.missing, c.pending)


# --- the figures ---------------------------------------------------------------------------

def test_notes_by_month(app, school):
    months = Period(school.year).months(until=TODAY)
    rows, _by_department = services.note_counts(school.school.id, school.year, months, TODAY)
    assert [m for m, _c in rows] == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1),
                                     JAN, FEB, MAR]
    by_month = {m: counts(c) for m, c in rows}
    assert by_month[date(2026, 12, 1)] == (0, 0, 0, 0)  # started after December's due day
    assert by_month[JAN] == (1, 2, 1, 0)
    assert by_month[FEB] == (2, 0, 1, 0)  # D's mentoring ended before the due day
    assert by_month[MAR] == (1, 0, 0, 2)  # B's draft and C's note are not due yet


def test_notes_by_department(app, school):
    months = Period(school.year).months(until=TODAY)
    _by_month, rows = services.note_counts(school.school.id, school.year, months, TODAY)
    assert [(name, counts(c)) for name, c in rows] == [("Ngữ văn", (1, 0, 1, 1)), ("Toán", (3, 2, 1, 1))]
    _by_month, feb = services.note_counts(school.school.id, school.year, [FEB], TODAY)
    assert [(name, counts(c)) for name, c in feb] == [("Ngữ văn", (1, 0, 0, 0)), ("Toán", (1, 0, 1, 0))]


def test_ratings_by_month(app, school):
    rows = dict(services.ratings_by_month(school.school.id, school.year, [date(2026, 12, 1), JAN, FEB, MAR]))
    assert rows[date(2026, 12, 1)] == {Rating.PROGRESS: 0, Rating.STEADY: 0, Rating.DECLINE: 0}
    assert rows[JAN] == {Rating.PROGRESS: 1, Rating.STEADY: 1, Rating.DECLINE: 1}
    assert rows[FEB] == {Rating.PROGRESS: 1, Rating.STEADY: 0, Rating.DECLINE: 1}
    assert rows[MAR] == {Rating.PROGRESS: 1, Rating.STEADY: 0, Rating.DECLINE: 0}  # the draft is not counted


def test_dropouts_this_year_against_last_year_at_the_same_point(app, school):
    d = services.dropouts(school.school.id, school.year, TODAY)
    assert (d.this_start, d.this_end) == (date(2026, 9, 5), TODAY)
    assert (d.last_start, d.last_end) == (date(2025, 9, 5), date(2026, 3, 10))  # 186 days into each year
    assert (d.this_year, d.last_year) == (1, 1)  # 15/04/2026 is later in the year; a transfer is no dropout
    assert d.by_month == [(0, 0, 0), (1, 0, 0), (2, 0, 0), (3, 0, 0), (4, 0, 1), (5, 1, 0), (6, 0, 0)]


def test_dropouts_without_a_previous_year_compare_one_calendar_year_earlier(app, world):
    d = services.dropouts(world.school.id, world.year, date(2026, 10, 1))
    assert (d.last_start, d.last_end) == (date(2025, 9, 5), date(2025, 10, 1))


def test_escalations_counts_and_clocks(app, school):
    with app.test_request_context():
        summary = services.escalations(school.school.id, school.year, with_names=True)
        assert summary.by_status == {EscalationStatus.OPEN: 1, EscalationStatus.RESPONDING: 1,
                                     EscalationStatus.CLOSED: 1}
        assert summary.overdue == 1
        assert [(e.student.full_name, c.state) for e, c in summary.rows] == [
            (NAMES[0], "overdue"), (NAMES[1], "responded")]
        assert services.escalations(school.school.id, school.year, with_names=False).rows == []


def test_coverage_and_risk(app, school):
    with app.test_request_context():
        dash = services.build(school.school.id, school.year, Period(school.year), TODAY, with_names=True)
    cov = dash.coverage
    assert (cov.approved, cov.with_main) == (4, 3)  # D dropped out; E waits for a mentor
    assert (cov.staff, cov.staff_with_mentee, cov.pledged, cov.willing) == (6, 2, 1, 1)
    risk = dash.screening
    assert risk.total == 7
    assert risk.by_category == {"hardship": 4, "conduct": 1, "academic": 2, "dropout": 3}
    assert {str(k): v for k, v in risk.by_level.items()} == {"high": 3, "medium": 1, "low": 3}
    assert counts(dash.notes_total) == (4, 2, 2, 2)


def test_query_count_does_not_grow_with_data(app, school, db):
    def measure() -> int:
        db.session.expire_all()
        with app.test_request_context():
            before = len(get_recorded_queries())
            dash = services.build(school.school.id, school.year, Period(school.year), TODAY, with_names=True)
            services.charts(dash)
            [(e.student.full_name, c) for e, c in dash.escalations.rows]
            return len(get_recorded_queries()) - before

    small = measure()
    for i in range(3):
        dept = f.make_department(school.school, f"T{i}", f"Tổ {i}")
        mentor = f.make_user(school.school, department=dept)
        for j in range(3):
            student, assignment = _mentee(school, f"Học Sinh Thêm{i}{j}", mentor)
            _note(school, student, assignment, JAN, Rating.STEADY)
            _note(school, student, assignment, FEB, Rating.PROGRESS, on_time=False)
            db.session.add(Escalation(school_id=school.school.id, school_year_id=school.year.id,
                                      student_id=student.id, raised_by_id=mentor.id, kind=ConcernKind.OTHER,
                                      response_hours=8, description="x", respond_by=utcnow()))
            f.make_student(f.make_class(school.year, f"12C{i}{j}"), f"Bỏ Học{i}{j}",
                           status=StudentStatus.DROPPED_OUT, status_date=date(2026, 10, 1))
    db.session.commit()
    assert measure() == small <= 24  # incl. reloading the expired school and year


# --- the page -------------------------------------------------------------------------------

@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr("sponsor_app.dashboard.routes.local_today", lambda: TODAY)


def test_leader_sees_the_figures_and_the_escalation_list(app, school, client_for, fixed_today):
    body = client_for("leader").get("/dashboard/").get_data(as_text=True)
    assert "Tổng quan cuộc vận động" in body
    assert body.count('class="js-chart"') == 4
    assert "vendor/chart.umd.min.js" in body and "js/charts.js" in body
    coverage = body[body.index('id="table-coverage-grade"'):body.index("</table>", body.index('id="table-coverage-grade"'))]
    assert "3/4" in coverage and "75,0%" in coverage  # grade 11: A, B, C of 4 approved
    escalations = body[body.index('id="table-escalations"'):]
    assert NAMES[0] in escalations and NAMES[1] in escalations and NAMES[2] not in escalations
    assert escalations.count('href="/escalations/') == 2
    for narrative in NARRATIVES:
        assert narrative not in body


def test_union_sees_the_same_totals_without_any_name_or_narrative(app, school, client_for, fixed_today):
    leader = client_for("leader").get("/dashboard/").get_data(as_text=True)
    response = client_for("union").get("/dashboard/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for name in (*NAMES, school.own_student.full_name, school.other_student.full_name,
                 school.unscreened_student.full_name, school.other_school_student.full_name, "Trần Văn Cũ", "Lê Thị Muộn", "Vi Văn Chuyển"):
        assert name not in body
    for narrative in (*NARRATIVES, "Gia đình đã đồng ý cho em đi học lại"):
        assert narrative not in body
    assert 'id="table-escalations"' not in body
    ends = {"table-coverage-dept": "</table>", "table-coverage-grade": "</table>", "table-notes-month": "</table>", "table-notes-dept": "</table>", "table-risk": "</table>",
            "dropouts": "</canvas>", "escalation-counts": "</ul>"}
    for table, end in ends.items():
        def part(html, table=table, end=end):
            start = html.index(f'id="{table}"')
            return html[start:html.index(end, start)]
        assert part(body) == part(leader)
    # the chart JSON is the same for both (numbers and translated labels only)
    assert [line for line in body.splitlines() if "data-chart=" in line] == \
        [line for line in leader.splitlines() if "data-chart=" in line]


def test_period_filter_and_bad_values(app, school, client_for, fixed_today):
    client = client_for("leader")
    feb = client.get("/dashboard/?month=2027-02").get_data(as_text=True)
    table = feb[feb.index('id="table-notes-month"'):feb.index("</table>", feb.index('id="table-notes-month"'))]
    assert "02/2027" in table and "01/2027" not in table
    for bad in ("?month=2027-13", "?month=abc", "?semester=7", "?month=2020-01&semester=x"):
        assert client.get(f"/dashboard/{bad}").status_code == 200
        assert client.get(f"/dashboard/export.xlsx{bad}").status_code == 200


def test_english_page_renders(app, school, client_for, fixed_today):
    client = client_for("union")
    client.post("/lang/en")
    body = client.get("/dashboard/").get_data(as_text=True)
    assert "Campaign overview" in body and "Not yet due" in body


def _workbook(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data), read_only=True)


def _values(book) -> dict[str, list[tuple]]:
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_export_leader_has_every_table_and_is_audited(app, school, client_for, fixed_today, db):
    sheets = _values(_workbook(client_for("leader").get("/dashboard/export.xlsx?semester=2")))
    assert list(sheets) == ["Độ bao phủ", "Nhận xét theo tháng", "Nhận xét theo tổ", "Đánh giá theo tháng",
                            "Nguy cơ", "Bỏ học", "Vụ việc (số lượng)", "Vụ việc đang mở"]
    month_rows = [r for r in sheets["Nhận xét theo tháng"] if r and r[0] in ("01/2027", "02/2027", "03/2027")]
    assert month_rows == [("01/2027", 4, 1, 2, 1, 0), ("02/2027", 3, 2, 0, 1, 0), ("03/2027", 3, 1, 0, 0, 2)]
    assert ("Toán", 7, 3, 2, 1, 1) in sheets["Nhận xét theo tổ"]
    read_back = ("Năm học này", datetime(2026, 9, 5), datetime(2027, 3, 10), 1)  # noqa: DTZ001 — openpyxl's dates
    assert read_back in sheets["Bỏ học"]
    rows = sheets["Vụ việc đang mở"]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Học sinh")
    open_rows = [r[0] for r in rows[header + 1:] if r and r[0]]
    assert open_rows == [NAMES[0], NAMES[1]]
    entry = db.session.query(AuditLog).filter_by(action="export_dashboard").one()
    assert entry.details["with_names"] is True and entry.details["period"] == {"semester": 2}
    assert entry.details["sheets"]["Vụ việc đang mở"] == 2


def test_export_union_has_no_names(app, school, client_for, fixed_today, db):
    sheets = _values(_workbook(client_for("union").get("/dashboard/export.xlsx")))
    assert "Vụ việc đang mở" not in sheets
    text = repr(sheets)
    for forbidden in (*NAMES, *NARRATIVES):
        assert forbidden not in text
    entry = db.session.query(AuditLog).filter_by(action="export_dashboard").one()
    assert entry.details["with_names"] is False


def test_home_pages_link_the_dashboard(app, school, client_for):
    for role, home in (("leader", "/home/leader"), ("union", "/home/union")):
        body = client_for(role).get(home).get_data(as_text=True)
        assert body.count('href="/dashboard/"') == 2  # the nav item and the card
    assert 'href="/dashboard/"' not in client_for("teacher").get("/home/teacher").get_data(as_text=True)


def test_the_report_deadlines_show_on_the_dashboard(world, leader_client, union_client):
    for client in (leader_client, union_client):
        page = client.get("/dashboard/").get_data(as_text=True)
        assert 'id="semester-reports-card"' in page
        assert "Báo cáo lần 1 (học kỳ I)" in page and "30/12/2026" in page and "25/05/2027" in page
        assert "Chưa bắt đầu" in page
