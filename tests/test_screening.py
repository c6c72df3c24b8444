"""Risk screening: the record, the explainable score from editable criteria, the workflow,
the at-risk list with its export, privacy, and the CLI report."""

import re
from datetime import timedelta
from io import BytesIO
from types import SimpleNamespace

import openpyxl
import pytest

from sponsor_app.models import AuditLog, CriterionKind, Decision, RiskCriterion, RiskLevel, Screening
from sponsor_app.screening.scoring import DEFAULT_CRITERIA, Rule, compute_risk
from sponsor_app.timeutil import local_today
from tests.factories import make_class, make_screening, make_student

DEFAULT_RULES = [Rule(*row) for row in DEFAULT_CRITERIA]


def values(**kw):
    base = {"absences": 0, "conduct_rating": None, "learning_rating": None}
    return SimpleNamespace(**(base | kw))


# --- scoring (pure) -----------------------------------------------------------------------

def test_no_criterion_fires_for_a_student_without_signals():
    result = compute_risk(values(), DEFAULT_RULES, medium_min=3, high_min=6)
    assert (result.score, result.level, result.reasons) == (0, RiskLevel.LOW, [])


def test_poor_household_and_weak_learning_make_medium_with_reasons():
    result = compute_risk(values(poor_household=True, learning_rating="Chưa đạt"), DEFAULT_RULES,
                          medium_min=3, high_min=6)
    assert result.score == 5 and result.level == RiskLevel.MEDIUM
    assert [r["key"] for r in result.reasons] == ["learning_weak", "poor_household"]
    assert result.reasons[0]["matched"] == "Chưa đạt"


def test_only_the_highest_absence_tier_counts():
    result = compute_risk(values(absences=50), DEFAULT_RULES, medium_min=3, high_min=6)
    assert [r["key"] for r in result.reasons] == ["absences_over_limit"] and result.score == 5
    near = compute_risk(values(absences=31), DEFAULT_RULES, medium_min=3, high_min=6)
    assert [r["key"] for r in near.reasons] == ["absences_near_limit"]


def test_old_scale_ratings_count_too():
    result = compute_risk(values(conduct_rating="Yếu", learning_rating="Kém"), DEFAULT_RULES,
                          medium_min=3, high_min=6)
    assert result.score == 6 and result.level == RiskLevel.HIGH


def test_edited_criteria_change_the_score():
    rules = [Rule("poor", "Hộ nghèo", CriterionKind.FLAG, "poor_household", 7),
             Rule("abs", "Nghỉ từ 10 buổi", CriterionKind.ABSENCES, "10", 2)]
    assert compute_risk(values(poor_household=True), rules, medium_min=3, high_min=6).level == RiskLevel.HIGH
    assert compute_risk(values(absences=12), rules, medium_min=3, high_min=6).level == RiskLevel.LOW
    assert compute_risk(values(absences=12), rules, medium_min=2, high_min=6).level == RiskLevel.MEDIUM


# --- the record through the UI ------------------------------------------------------------

def _form(**kw):
    data = {"rating_scale": "tt22", "conduct_rating": "", "learning_rating": "", "absences": "0",
            "circumstances_text": "Bố mẹ đi làm xa, ở với bà ngoại", "conduct_text": "Hay nghỉ học"}
    data.update(kw)
    return data


def test_homeroom_screens_a_student_and_sees_why(homeroom_client, world, db):
    student = make_student(world.own_class, "Y Tuấn", ethnicity="Ê Đê")
    page = homeroom_client.get(f"/screening/students/{student.id}/new").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="ethnic_minority"[^>]*>', page).group(0)
    assert "checked" in checkbox  # prefilled from the roster
    response = homeroom_client.post(f"/screening/students/{student.id}/new", data=_form(
        parents_away="y", ethnic_minority="y", learning_rating="Chưa đạt", absences="33"))
    assert response.status_code == 302
    screening = db.session.query(Screening).filter_by(student_id=student.id).one()
    assert screening.risk_score == 3 + 1 + 1 + 3 and screening.risk_level == RiskLevel.HIGH
    assert screening.status.value == "proposed" and screening.proposed_by_id == world.homeroom.id
    detail = homeroom_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Học tập/học lực Chưa đạt, Yếu hoặc Kém" in detail and "+3" in detail and "Tổng điểm" in detail
    assert "Nguy cơ cao" in detail


def test_form_errors_keep_what_was_typed(homeroom_client, world):
    student = make_student(world.own_class)
    response = homeroom_client.post(f"/screening/students/{student.id}/new", data=_form(
        circumstances_text="Nhà xa trường 12 km", rating_scale="tt22", conduct_rating="Yếu"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mức này không thuộc thang đã chọn" in page and "Nhà xa trường 12 km" in page


def test_a_second_screening_of_the_same_student_is_not_created(homeroom_client, world, db):
    response = homeroom_client.get(f"/screening/students/{world.own_student.id}/new")
    assert response.headers["Location"].endswith(f"/screening/{world.own_screening.id}")
    assert db.session.query(Screening).filter_by(student_id=world.own_student.id).count() == 1


def test_entries_outside_the_window_are_marked_late(db, world):
    late = make_screening(world.unscreened_student, world.year, world.teacher,
                          proposed_on=world.year.screening_end + timedelta(days=3))
    assert late.is_late and not world.own_screening.is_late


def test_contacts_record_the_channels(homeroom_client, world, db):
    url = f"/screening/{world.own_screening.id}/contacts"
    bad = homeroom_client.post(url, data={"channel": "family", "method": "home_visit", "person": "mẹ em",
                                          "contact_date": (local_today() + timedelta(days=30)).strftime("%d/%m/%Y")})
    assert bad.status_code == 200 and "không thể ở tương lai" in bad.get_data(as_text=True)
    when = (local_today() - timedelta(days=2)).strftime("%d/%m/%Y")
    ok = homeroom_client.post(url, data={"channel": "family", "method": "home_visit", "person": "mẹ em",
                                         "contact_date": when, "note": "Nhà có 3 anh em"})
    assert ok.status_code == 302
    page = homeroom_client.get(f"/screening/{world.own_screening.id}").get_data(as_text=True)
    assert "Thăm nhà" in page and "mẹ em" in page and when in page


def test_workflow_verify_then_decide(homeroom_client, leader_client, world, db):
    assert homeroom_client.post(f"/screening/{world.own_screening.id}/verify").status_code == 302
    db.session.refresh(world.own_screening)
    assert world.own_screening.status.value == "verified"
    version = str(world.own_screening.version)  # the decision form carries the screening's version
    no_reason = leader_client.post(f"/screening/{world.own_screening.id}/decide",
                                   data={"decision": "not_needed", "reason": "", "version": version})
    assert no_reason.status_code == 200 and "Cần ghi lý do" in no_reason.get_data(as_text=True)
    leader_client.post(f"/screening/{world.own_screening.id}/decide", data={"decision": "approved", "version": version})
    db.session.refresh(world.own_screening)
    assert world.own_screening.status.value == "approved" and world.own_screening.decided_by_id == world.leader.id
    leader_client.post(f"/screening/{world.other_screening.id}/decide",
                       data={"decision": "not_needed", "reason": "Gia đình đã ổn định",
                             "version": world.other_screening.version})
    db.session.refresh(world.other_screening)
    assert world.other_screening.status.value == "not_needed" and world.other_screening.verified_at is not None


def test_edit_conflict_is_reported(homeroom_client, world, db):
    page = homeroom_client.get(f"/screening/{world.own_screening.id}/edit").get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    world.own_screening.absences = 40
    db.session.commit()
    response = homeroom_client.post(f"/screening/{world.own_screening.id}/edit",
                                    data=_form(version=version, circumstances_text="Bản của tôi"))
    assert "vừa được người khác sửa" in response.get_data(as_text=True)
    db.session.refresh(world.own_screening)
    assert world.own_screening.circumstances_text != "Bản của tôi"


# --- criteria are data --------------------------------------------------------------------

def test_editing_criteria_rescores_the_year(leader_client, world, db):
    page = leader_client.get("/screening/criteria").get_data(as_text=True)
    assert "Hộ nghèo" in page
    criteria = db.session.query(RiskCriterion).filter_by(school_year_id=world.year.id).order_by(
        RiskCriterion.position).all()
    data = {"risk_medium_min": "3", "risk_high_min": "6"}
    for i, c in enumerate(criteria):
        data.update({f"criteria-{i}-id": str(c.id), f"criteria-{i}-label": c.label, f"criteria-{i}-kind": c.kind.value,
                     f"criteria-{i}-parameter": c.parameter,
                     f"criteria-{i}-weight": "8" if c.key == "orphan" else str(c.weight)})
        if c.active:
            data[f"criteria-{i}-active"] = "y"
    data |= {"new_label": "Nghỉ từ 20 buổi", "new_kind": "absences", "new_parameter": "20", "new_weight": "2"}
    response = leader_client.post("/screening/criteria", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    other = db.session.get(Screening, world.other_screening.id)
    assert other.risk_score == 8 and other.risk_level == RiskLevel.HIGH  # orphan now weighs 8
    assert db.session.query(RiskCriterion).filter_by(school_year_id=world.year.id, label="Nghỉ từ 20 buổi").one()


def test_bad_thresholds_are_refused_and_nothing_changes(leader_client, world, db):
    leader_client.get("/screening/criteria")
    response = leader_client.post("/screening/criteria", data={"risk_medium_min": "6", "risk_high_min": "3"})
    assert response.status_code == 200 and "phải lớn hơn" in response.get_data(as_text=True)
    db.session.expire_all()
    assert world.year.risk_high_min == 6


# --- the at-risk list ---------------------------------------------------------------------

@pytest.fixture
def listed(world, db):
    """A few more screened students in two grades."""
    g12 = make_class(world.year, "12A1")
    a = make_screening(make_student(g12, "Đỗ Thị Diệp"), world.year, world.leader, conduct_rating="Chưa đạt",
                       learning_rating="Chưa đạt", absences=46)
    b = make_screening(make_student(world.own_class, "Vũ Bảo Mai"), world.year, world.homeroom, near_poor_household=True)
    a.decision = Decision.APPROVED
    db.session.commit()
    return SimpleNamespace(high=a, low=b)


def test_list_filters_and_sorting(leader_client, world, listed):
    page = leader_client.get("/screening/list").get_data(as_text=True)
    assert page.index("Vũ Bảo Mai") < page.index("Hoàng Bảo Thảo") < page.index("Đỗ Thị Diệp")  # class, given name
    by_score = leader_client.get("/screening/list?sort=score").get_data(as_text=True)
    assert by_score.index("Đỗ Thị Diệp") < by_score.index("Vũ Bảo Mai")
    grade12 = leader_client.get("/screening/list?grade=12").get_data(as_text=True)
    assert "Đỗ Thị Diệp" in grade12 and "Hoàng Bảo Thảo" not in grade12
    conduct = leader_client.get("/screening/list?category=conduct").get_data(as_text=True)
    assert "Đỗ Thị Diệp" in conduct and "Vũ Bảo Mai" not in conduct
    hardship = leader_client.get("/screening/list?category=hardship").get_data(as_text=True)
    assert "Vũ Bảo Mai" in hardship and "Đỗ Thị Diệp" not in hardship
    approved = leader_client.get("/screening/list?without_mentor=1").get_data(as_text=True)
    assert "Đỗ Thị Diệp" in approved and "Vũ Bảo Mai" not in approved
    high = leader_client.get("/screening/list?level=high").get_data(as_text=True)
    assert "Đỗ Thị Diệp" in high and "Vũ Bảo Mai" not in high
    search = leader_client.get("/screening/list?q=diep").get_data(as_text=True)
    assert "Đỗ Thị Diệp" in search and "Vũ Bảo Mai" not in search


def test_export_is_a_real_workbook_and_audited(leader_client, world, listed, db):
    response = leader_client.get("/screening/list.xlsx?sort=score")
    assert response.status_code == 200
    book = openpyxl.load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["Danh sach", "Hoan canh, ren luyen"]  # part I the figures, part II the narratives
    rows = list(book["Danh sach"].iter_rows(values_only=True))
    assert any(r[0] and str(r[0]).startswith("DANH SÁCH HỌC SINH CÓ NGUY CƠ BỎ HỌC NĂM HỌC 2026 - 2027") for r in rows)
    header_at = next(i for i, r in enumerate(rows) if r[0] == "TT")
    assert rows[header_at][:6] == ("TT", "Họ và tên", "Mã HS", "Lớp", "Mức nguy cơ", "Điểm")
    first = rows[header_at + 1]
    assert first[1] == "Đỗ Thị Diệp" and first[5] == listed.high.risk_score and first[6] == 46  # numbers, not text
    assert any("Hộ cận nghèo" in (r[8] or "") for r in rows[header_at + 1:] if r[0])
    narratives = list(book["Hoan canh, ren luyen"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(narratives) if r[0] == "TT")
    assert narratives[at][:4] == ("TT", "Họ và tên", "Lớp", "Hoàn cảnh gia đình, bản thân")
    assert narratives[at + 1][1] == "Đỗ Thị Diệp"
    assert db.session.query(AuditLog).filter_by(action="export_at_risk_list").count() == 1


def test_exported_text_never_becomes_a_formula(leader_client, world, db):
    world.own_screening.circumstances_text = "=HYPERLINK(\"http://evil\",\"x\")"
    db.session.commit()
    data = leader_client.get("/screening/list.xlsx").data
    sheet = openpyxl.load_workbook(BytesIO(data))["Hoan canh, ren luyen"]  # the narratives' part
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=HYP")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_capacity_warning(leader_client, world, db):
    for student in [make_student(world.other_class) for _ in range(8)]:
        make_screening(student, world.year, world.leader).decision = Decision.APPROVED
    db.session.commit()
    page = leader_client.get("/screening/list").get_data(as_text=True)
    assert "thiếu" in page and "chỉ còn nhận được" in page


# --- privacy ------------------------------------------------------------------------------

def test_union_and_dept_head_see_counts_not_narratives(union_client, dept_head_client, world):
    for client in (union_client, dept_head_client):
        page = client.get("/screening/summary").get_data(as_text=True)
        assert "Hộ nghèo" not in page and "Hoàng Bảo Thảo" not in page and "Gia đình khó khăn" not in page
        assert "Theo mức nguy cơ" in page
        assert client.get(f"/screening/{world.own_screening.id}").status_code == 403


def test_viewing_a_screening_is_audited(homeroom_client, world, db):
    homeroom_client.get(f"/screening/{world.own_screening.id}")
    entry = db.session.query(AuditLog).filter_by(action="view_screening").one()
    assert entry.user_id == world.homeroom.id and entry.object_id == world.own_screening.id


def test_profile_shows_history_only_to_those_allowed(leader_client, admin_client, world, db):
    from tests.factories import make_year

    old = make_year(world.school, 2025, current=False)
    old_class = make_class(old, "9A1")
    from sponsor_app.models import Enrollment

    db.session.add(Enrollment(student_id=world.own_student.id, school_year_id=old.id, class_group_id=old_class.id))
    make_screening(world.own_student, old, world.leader, orphan=True)
    db.session.commit()
    page = leader_client.get(f"/roster/students/{world.own_student.id}").get_data(as_text=True)
    assert "2025-2026" in page and "Hộ nghèo" in page and "Mồ côi" in page
    admin_page = admin_client.get(f"/roster/students/{world.own_student.id}").get_data(as_text=True)
    assert "Rà soát nguy cơ bỏ học qua các năm" not in admin_page


def test_cli_report(runner, world, tmp_path, db):
    out = tmp_path / "at-risk.xlsx"
    result = runner.invoke(args=["report", "at-risk", "--year", "2026-2027", "--out", str(out),
                                 "--school-id", str(world.school.id)])
    assert result.exit_code == 0, result.output
    for sheet in openpyxl.load_workbook(out).worksheets:  # both parts list the same students
        names = {r[1] for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], int)}
        assert names == {"Hoàng Bảo Thảo", "Dương Anh Quân"}
    bad = runner.invoke(args=["report", "at-risk", "--year", "1999-2000", "--out", str(out),
                              "--school-id", str(world.school.id)])
    assert bad.exit_code != 0 and "No school year" in bad.output


def test_without_mentor_filter_leaves_out_students_with_a_main_mentor(leader_client, mentoring, db):
    mentoring.own_screening.decision = Decision.APPROVED
    db.session.commit()
    page = leader_client.get("/screening/list?without_mentor=1").get_data(as_text=True)
    assert "Hoàng Bảo Thảo" in page and "Ksor Hen" not in page
    assert "Ksor Hen" in leader_client.get("/screening/list?status=approved").get_data(as_text=True)
