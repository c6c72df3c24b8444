"""Closing the school year: the year-end review and the rollover of open cases into the next year.

2026-2027 has four open cases: Hoàng Bảo Thảo (10A1; Y Khang main, Hồ Văn Long support, a plan with a
semester goal; Y Khang pledged for 2), Dương Anh Quân (11B2; Vũ Ngọc Quỳnh main, who leaves the
school), Ksor Hen (10A1; Đỗ Thu Lan main, no longer at risk) and Lê Văn Tốt (12A1, the last grade;
Y Khang main, graduates). Lý Bảo Ánh (11B2) is enrolled but not in the campaign.
"""

import io
from datetime import date

import openpyxl
import pytest

from sponsor_app.extensions import db as _db
from sponsor_app.models import (
    Assignment,
    AuditLog,
    CaseDecision,
    ClassGroup,
    CloseReason,
    Decision,
    Domain,
    Enrollment,
    Horizon,
    MentorRole,
    PlanGoal,
    Pledge,
    RolloverCase,
    SchoolYear,
    Screening,
    StudentStatus,
    SupportPlan,
    YearClosure,
)
from sponsor_app.permissions import can_edit_plan, can_write_note
from sponsor_app.reports import rollover
from tests import factories as f
from tests.conftest import count_statements


def _assign(w, student, mentor, role=MentorRole.MAIN):
    a = Assignment(school_id=w.school.id, school_year_id=w.year.id, student_id=student.id, mentor_id=mentor.id,
                   role=role, started_on=date(2026, 12, 15))
    _db.session.add(a)
    _db.session.flush()
    return a


@pytest.fixture
def closing(world):
    w = world
    w.hen = f.make_student(w.own_class, "Ksor Hen")
    w.grade12 = f.make_class(w.year, "12A1")
    w.tot = f.make_student(w.grade12, "Lê Văn Tốt")
    for student, by in ((w.hen, w.homeroom), (w.tot, w.teacher)):
        f.make_screening(student, w.year, by, poor_household=True)
    for s in _db.session.query(Screening).filter(Screening.school_year_id == w.year.id):
        s.decision = Decision.APPROVED
    w.thao_main = _assign(w, w.own_student, w.teacher)
    _assign(w, w.own_student, w.union, MentorRole.SUPPORT)
    w.quan_main = _assign(w, w.other_student, w.homeroom)
    _assign(w, w.hen, w.dept_head)
    _assign(w, w.tot, w.teacher)
    w.plan = SupportPlan(school_id=w.school.id, school_year_id=w.year.id, student_id=w.own_student.id,
                         assignment_id=w.thao_main.id, author_id=w.teacher.id, due_on=date(2026, 12, 29))
    _db.session.add(w.plan)
    _db.session.flush()
    _db.session.add_all([
        PlanGoal(plan_id=w.plan.id, horizon=Horizon.SEMESTER, domain=Domain.LEARNING, text="Không còn môn Chưa đạt",
                 period_start=w.year.semester2_start),
        PlanGoal(plan_id=w.plan.id, horizon=Horizon.MONTH, domain=Domain.CONDUCT, text="Đi học đủ buổi",
                 period_start=date(2027, 1, 1)),
        Pledge(school_id=w.school.id, school_year_id=w.year.id, user_id=w.teacher.id, willing=True, capacity=2,
               pledged_on=date(2026, 11, 15), help_subject="Toán")])
    w.homeroom.active = False  # leaves the school at the year's end
    _db.session.commit()
    return w


def _action(client, w, action):
    return client.post(f"/reports/{w.year.id}/rollover", data={"action": action}, follow_redirects=True)


def _decide(client, w, student, **data):
    form = {f"c{student.id}-{k}": v for k, v in ({"decision": "carry", "mentor_id": "", "close_reason": "",
                                                 "note": ""} | data).items()}
    return client.post(f"/reports/{w.year.id}/rollover/{student.id}", data=form)


def test_the_whole_rollover(closing, leader_client, db):
    w = closing
    old_assignments = {(a.id, a.mentor_id, a.ended_on) for a in db.session.query(Assignment)}
    page = leader_client.get(f"/reports/{w.year.id}/rollover").get_data(as_text=True)
    assert "Trường hợp chưa có quyết định: 4" in page and "không còn công tác" in page

    page = _action(leader_client, w, "create_year").get_data(as_text=True)
    assert "Đã tạo năm học 2027-2028" in page
    new = db.session.query(SchoolYear).filter_by(name="2027-2028").one()
    assert (new.start_date, new.report1_deadline, new.report2_deadline) == (
        date(2027, 9, 5), date(2027, 12, 30), date(2028, 5, 25))

    page = _action(leader_client, w, "promote").get_data(as_text=True)
    assert "tạo 2 lớp, xếp lớp 4 học sinh" in page  # 10A1 → 11A1, 11B2 → 12B2; 12A1 graduates
    names = {c.name for c in db.session.query(ClassGroup).filter_by(school_year_id=new.id)}
    assert names == {"11A1", "12B2"}
    assert db.session.query(Enrollment).filter_by(school_year_id=new.id, student_id=w.tot.id).count() == 0

    assert _decide(leader_client, w, w.hen, decision="close", close_reason="not_at_risk",
                   note="Em đã ổn định").status_code == 302
    page = _action(leader_client, w, "carry_all").get_data(as_text=True)
    assert "Đã chuyển tiếp 1 trường hợp; còn 2 trường hợp" in page  # Thảo; Quân (mentor left), Tốt (no class)

    response = _decide(leader_client, w, w.other_student, decision="carry")
    assert response.status_code == 200 and "không còn công tác ở trường" in response.get_data(as_text=True)
    response = _decide(leader_client, w, w.other_student, decision="handover", mentor_id=str(w.dept_head.id))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Bàn giao cần có ghi chú" in page
    assert f'<option selected value="{w.dept_head.id}">' in page  # the choice is kept
    assert _decide(leader_client, w, w.other_student, decision="handover", mentor_id=str(w.dept_head.id),
                   note="Em thích học nhóm; gia đình hẹn gặp thứ Bảy").status_code == 302
    response = _decide(leader_client, w, w.tot, decision="carry")
    assert response.status_code == 200 and "chưa có lớp trong năm học 2027-2028" in response.get_data(as_text=True)
    assert _decide(leader_client, w, w.tot, decision="close", close_reason="graduated").status_code == 302

    page = _action(leader_client, w, "close_year").get_data(as_text=True)
    assert "Đã kết thúc năm học 2026-2027" in page
    assert db.session.query(YearClosure).filter_by(school_year_id=w.year.id).one().next_year_id == new.id

    # nothing of the closed year changed: its assignments are as they were
    assert {(a.id, a.mentor_id, a.ended_on) for a in db.session.query(Assignment)
            .filter_by(school_year_id=w.year.id)} == old_assignments
    cases = {c.student_id: c for c in db.session.query(RolloverCase)}
    assert cases[w.own_student.id].decision == CaseDecision.CARRY
    assert cases[w.other_student.id].note == "Em thích học nhóm; gia đình hẹn gặp thứ Bảy"
    assert cases[w.other_student.id].previous_mentor_id == w.homeroom.id
    assert cases[w.hen.id].close_reason == CloseReason.NOT_AT_RISK
    # the new year: main (and supporting) mentors, the screening carried, the pledge, the plan
    mains = {a.student_id: a.mentor_id for a in db.session.query(Assignment).filter_by(
        school_year_id=new.id, role=MentorRole.MAIN)}
    assert mains == {w.own_student.id: w.teacher.id, w.other_student.id: w.dept_head.id}
    supports = db.session.query(Assignment).filter_by(school_year_id=new.id, role=MentorRole.SUPPORT).all()
    assert [(a.student_id, a.mentor_id) for a in supports] == [(w.own_student.id, w.union.id)]
    carried = db.session.query(Screening).filter_by(school_year_id=new.id, student_id=w.own_student.id).one()
    assert carried.decision == Decision.APPROVED and carried.poor_household
    assert carried.circumstances_text == w.own_screening.circumstances_text
    pledge = db.session.query(Pledge).filter_by(school_year_id=new.id, user_id=w.teacher.id).one()
    assert pledge.willing and pledge.capacity == 2 and pledge.help_subject == "Toán"
    plan = db.session.get(SupportPlan, cases[w.own_student.id].new_plan_id)
    assert cases[w.own_student.id].previous_plan_id == w.plan.id and plan.school_year_id == new.id
    assert [(g.horizon, g.text, g.period_start) for g in plan.goals] == [
        (Horizon.SEMESTER, "Không còn môn Chưa đạt", new.semester2_start)]
    assert len(db.session.get(SupportPlan, w.plan.id).goals) == 2  # the old plan as it was
    # a graduate's status changes after the closed year's end
    db.session.refresh(w.tot)
    assert w.tot.status == StudentStatus.GRADUATED and w.tot.status_date > w.year.end_date

    # the new mentor finds the handover note with the new mentee on their home page
    db.session.query(SchoolYear).filter_by(id=w.year.id).update({"is_current": False})
    new.is_current = True
    db.session.commit()
    from tests.conftest import login

    home = login(leader_client.application.test_client(), "depthead").get("/home/teacher").get_data(as_text=True)
    assert "Ghi chú bàn giao (năm học trước, GV Vũ Ngọc Quỳnh):" in home and "gia đình hẹn gặp thứ Bảy" in home

    # the closed year takes no more campaign writes, and no more decisions
    assert not can_write_note(w.teacher, w.own_student, w.year)
    assert not can_edit_plan(w.teacher, w.plan)
    assert can_write_note(w.teacher, w.own_student, new)
    with pytest.raises(Exception, match="đã kết thúc"):
        rollover.decide(w.year, new, w.own_student, {"decision": "carry"}, by=w.leader)
    from sponsor_app.assignments.services import assign

    with pytest.raises(Exception, match="không phân công thêm"):
        assign(w.hen, w.year, w.admin, MentorRole.SUPPORT, by=w.leader)
    page = _action(leader_client, w, "carry_all").get_data(as_text=True)
    assert "Đã chuyển tiếp 0" in page


def test_the_year_cannot_close_with_cases_undecided(closing, leader_client, db):
    w = closing
    _action(leader_client, w, "create_year")
    page = _action(leader_client, w, "close_year").get_data(as_text=True)
    assert "Còn 4 trường hợp chưa có quyết định" in page
    assert db.session.query(YearClosure).count() == 0
    page = _action(leader_client, w, "create_year").get_data(as_text=True)
    assert "Năm học tiếp theo đã có" in page


def test_the_year_end_review_lists_every_mentee_with_the_outcome(closing, leader_client, db):
    w = closing
    _action(leader_client, w, "create_year")
    _action(leader_client, w, "promote")
    _decide(leader_client, w, w.hen, decision="close", close_reason="not_at_risk", note="Em đã ổn định")
    _action(leader_client, w, "carry_all")
    w.other_student.status, w.other_student.status_date = StudentStatus.DROPPED_OUT, date(2027, 4, 2)
    db.session.commit()
    rows = {r.name: r for r in rollover.review(w.year)}
    assert rows["Hoàng Bảo Thảo"].outcome == "Tiếp tục đỡ đầu năm học 2027-2028 (GV Y Khang)"
    assert rows["Ksor Hen"].outcome == "Kết thúc đỡ đầu: Không còn nguy cơ — Em đã ổn định"
    assert rows["Dương Anh Quân"].outcome == "Bỏ học (02/04/2027)"
    assert rows["Lê Văn Tốt"].outcome_key == "open"
    assert [r.name for r in rollover.review(w.year)] == ["Ksor Hen", "Hoàng Bảo Thảo", "Dương Anh Quân",
                                                        "Lê Văn Tốt"]
    page = leader_client.get(f"/reports/{w.year.id}/review").get_data(as_text=True)
    assert "Tiếp tục đỡ đầu năm học 2027-2028" in page and "Bỏ học (02/04/2027)" in page
    response = leader_client.get(f"/reports/{w.year.id}/review.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row]
    assert "Kết thúc đỡ đầu: Không còn nguy cơ — Em đã ổn định" in values
    entry = db.session.query(AuditLog).filter_by(action="year_review_exported").one()
    assert len(entry.details["student_ids"]) == 4


def test_only_leadership_closes_a_year(closing, client_for):
    w = closing
    for role in ("union", "depthead", "teacher", "admin"):
        c = client_for(role)
        assert c.get(f"/reports/{w.year.id}/rollover").status_code == 403
        assert c.get(f"/reports/{w.year.id}/review").status_code == 403
        assert c.post(f"/reports/{w.year.id}/rollover", data={"action": "create_year"}).status_code == 403


def test_promoted_class_names():
    assert [rollover.promoted_name(n) for n in ("10A4", "6/1", "12.6", "9A")] == ["11A4", "7/1", "13.6", "10A"]


@pytest.mark.parametrize("page", ["rollover", "review"])
def test_the_pages_issue_a_bounded_number_of_queries(app, closing, leader_client, db, page):
    w = closing
    _action(leader_client, w, "create_year")

    def count():
        with count_statements() as counted:
            assert leader_client.get(f"/reports/{w.year.id}/{page}").status_code == 200
        return counted.n

    count()  # the first view of all keeps the year's default emulation rubric (the commendations)
    small = count()
    for i in range(4):
        student = f.make_student(w.own_class, f"Đinh Văn Thêm{i}")
        f.make_screening(student, w.year, w.homeroom, poor_household=True).decision = Decision.APPROVED
        _assign(w, student, w.admin)
        _assign(w, student, w.leader, MentorRole.SUPPORT)
    db.session.commit()
    assert count() == small
