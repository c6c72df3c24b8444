"""Students needing attention: every reason on hand-computed data, who sees what, the export."""

import io
from datetime import date, datetime

import openpyxl
import pytest

from sponsor_app.attention.services import students_needing_attention
from sponsor_app.extensions import db as _db
from sponsor_app.models import (
    Assignment,
    AuditLog,
    ConcernKind,
    Decision,
    Escalation,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    Rating,
)
from sponsor_app.timeutil import SCHOOL_TZ
from tests.conftest import count_statements
from tests.factories import make_screening, make_student

NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)


def _approved(world, name, *, mentor=None, absences=0, proposed_on=date(2026, 10, 10)):
    student = make_student(world.other_class, name)
    screening = make_screening(student, world.year, world.leader, proposed_on=proposed_on, absences=absences,
                               poor_household=True)
    screening.decision = Decision.APPROVED
    assignment = None
    if mentor is not None:
        assignment = Assignment(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                                mentor_id=mentor.id, role=MentorRole.MAIN, started_on=date(2026, 10, 1))
        _db.session.add(assignment)
        _db.session.flush()
    return student, assignment


def _note(world, student, assignment, month, *, status=NoteStatus.SUBMITTED, rating=Rating.STEADY, absences=0):
    note = MonthlyNote(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                       assignment_id=assignment.id, author_id=assignment.mentor_id, month=month, status=status,
                       rating=rating, absences=absences)
    if status == NoteStatus.SUBMITTED:
        note.submitted_at, note.submitted_on_time = datetime(month.year, month.month, 20, tzinfo=SCHOOL_TZ), True
    _db.session.add(note)


@pytest.fixture
def cases(world, db):
    w = world
    w.s1, _ = _approved(w, "Lò Thị Một")
    w.s2, a2 = _approved(w, "Hà Văn Hai", mentor=w.teacher, absences=20)
    _note(w, w.s2, a2, OCT, rating=Rating.DECLINE, absences=5)  # the screening's month: in its count already
    _note(w, w.s2, a2, NOV, rating=Rating.DECLINE, absences=6)
    w.s3, _ = _approved(w, "Vi Văn Ba", mentor=w.homeroom, absences=31)
    w.s4, a4 = _approved(w, "Lục Thị Bốn", mentor=w.teacher)
    _note(w, w.s4, a4, NOV, status=NoteStatus.DRAFT, rating=None)
    db.session.add(Escalation(school_id=w.school.id, school_year_id=w.year.id, student_id=w.s4.id,
                              raised_by_id=w.teacher.id, kind=ConcernKind.VIOLENCE, response_hours=8,
                              description="Em bị bạn đánh ở cổng trường", respond_by=datetime.now(SCHOOL_TZ)))
    w.s5, a5 = _approved(w, "Đinh Văn Năm", mentor=w.teacher)
    _note(w, w.s5, a5, NOV)
    not_approved = make_student(w.other_class, "Mã Thị Sáu")
    make_screening(not_approved, w.year, w.leader, absences=44)
    db.session.commit()
    return w


def _reasons(rows):
    return {r.student.full_name: r.reasons for r in rows}


def test_every_reason_for_leadership(cases):
    w = cases
    rows = students_needing_attention(w.leader, w.year, NOV, date(2026, 11, 26))
    assert _reasons(rows) == {
        "Lò Thị Một": ["no_mentor"],
        "Hà Văn Hai": ["decline"],  # absences 20 + 6 (November) = 26: below the warning
        "Vi Văn Ba": ["no_note", "absences"],
        "Lục Thị Bốn": ["no_note", "escalation"],
    }
    by_name = {r.student.full_name: r for r in rows}
    assert by_name["Hà Văn Hai"].absences == 26 and by_name["Vi Văn Ba"].absences == 31
    assert by_name["Vi Văn Ba"].note_state == "missing" and by_name["Lục Thị Bốn"].note_state == "draft"
    assert rows[0].student.full_name == "Lục Thị Bốn"  # an open escalation comes first


def test_before_the_due_day_a_missing_note_is_not_yet_a_reason(cases):
    rows = students_needing_attention(cases.leader, cases.year, NOV, date(2026, 11, 20))
    assert "no_note" not in {k for r in rows for k in r.reasons}


def test_department_head_sees_the_department_without_escalations(cases):
    w = cases
    rows = students_needing_attention(w.dept_head, w.year, NOV, date(2026, 11, 26))
    assert _reasons(rows) == {"Hà Văn Hai": ["decline"], "Lục Thị Bốn": ["no_note"]}


def test_the_page_filters_and_links(leader_client, dept_head_client, cases):
    page = leader_client.get("/attention/?month=2026-11").get_data(as_text=True)
    assert "Lò Thị Một" in page and "Vi Văn Ba" in page and "Đinh Văn Năm" not in page and "Mã Thị Sáu" not in page
    assert "/escalations/" in page and "Em bị bạn đánh" not in page  # a link, never the description
    only = leader_client.get("/attention/?month=2026-11&reason=absences").get_data(as_text=True)
    assert "Vi Văn Ba" in only and "Lò Thị Một" not in only
    head = dept_head_client.get("/attention/?month=2026-11").get_data(as_text=True)
    assert "Hà Văn Hai" in head and "Vi Văn Ba" not in head and "Vụ việc đang mở" not in head
    for junk in ("?month=2030-01", "?month=abc", "?semester=9", "?reason=<script>"):
        assert leader_client.get("/attention/" + junk).status_code == 200


def test_export_is_read_back_and_audited(leader_client, cases, db):
    response = leader_client.get("/attention/export.xlsx?month=2026-11")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    names = {row[1] for row in values if isinstance(row[0], int)}
    assert names == {"Lò Thị Một", "Hà Văn Hai", "Vi Văn Ba", "Lục Thị Bốn"}
    assert not any(isinstance(v, str) and v.startswith("=") for row in values for v in row)
    entry = db.session.query(AuditLog).filter_by(action="export_attention").one()
    assert sorted(entry.details["students"]) == sorted([cases.s1.id, cases.s2.id, cases.s3.id, cases.s4.id])


def test_query_count_does_not_grow(app, leader_client, cases, db):
    def count():
        with count_statements() as counted:
            assert leader_client.get("/attention/?month=2026-11").status_code == 200
        return counted.n

    small = count()
    for i in range(6):
        student, assignment = _approved(cases, f"Thêm Học Sinh{i}", mentor=cases.teacher, absences=35)
        _note(cases, student, assignment, NOV, rating=Rating.DECLINE)
    db.session.commit()
    assert count() == small
