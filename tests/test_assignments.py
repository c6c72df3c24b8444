"""Pledges, the assignment board with ranked suggestions, assigning, reassigning with history,
automatic ends, the mentor's notice and coverage."""

import re

from sponsor_app.assignments import services
from sponsor_app.models import Assignment, ClassTeacher, Decision, MentorRole, Pledge, Role
from tests.factories import make_screening, make_student, make_user


def _approve(screening, db):
    screening.decision = Decision.APPROVED
    db.session.commit()
    return screening


def _pledge(user, year, db, **kw):
    pledge = Pledge(school_id=user.school_id, school_year_id=year.id, user_id=user.id,
                    pledged_on=year.pledge_deadline, **({"willing": True, "capacity": 1} | kw))
    db.session.add(pledge)
    db.session.commit()
    return pledge


# --- pledges ----------------------------------------------------------------------------

def test_teacher_pledges_and_changes_their_mind(teacher_client, world, db):
    page = teacher_client.get("/home/teacher").get_data(as_text=True)
    assert "Đăng ký nhận đỡ đầu" in page
    response = teacher_client.post("/assignments/pledge", data={
        "willing": "1", "capacity": "2", "preferred_grade": "10", "preferred_commune": "Xã Ea Lang",
        "help_subject": "Toán", "help_home_visits": "y"})
    assert response.status_code == 302
    pledge = db.session.query(Pledge).filter_by(user_id=world.teacher.id).one()
    assert (pledge.willing, pledge.capacity, pledge.preferred_grade, pledge.help_home_visits) == (True, 2, 10, True)
    form = teacher_client.get("/assignments/pledge").get_data(as_text=True)
    version = form.split('name="version" type="hidden" value="')[1].split('"')[0]
    teacher_client.post("/assignments/pledge", data={"willing": "0", "version": version})
    db.session.expire_all()
    pledge = db.session.query(Pledge).filter_by(user_id=world.teacher.id).one()
    assert pledge.willing is False and pledge.capacity == 0


def test_pledge_form_keeps_input_on_error(teacher_client, world):
    page = teacher_client.post("/assignments/pledge", data={
        "willing": "1", "capacity": "9", "preferred_commune": "Xã Nâm Rơ"}).get_data(as_text=True)
    assert "Từ 1 đến 5 học sinh" in page and 'value="Xã Nâm Rơ"' in page


def test_who_has_and_has_not_pledged_by_department(leader_client, dept_head_client, world, db):
    _pledge(world.teacher, world.year, db)
    page = leader_client.get("/assignments/pledges").get_data(as_text=True)
    assert "Tổ Toán" in page and "Tổ Ngữ văn" in page and "chưa đăng ký" in page and "nhận 1 em" in page
    own = dept_head_client.get("/assignments/pledges").get_data(as_text=True)
    assert "Y Khang" in own and "Vũ Ngọc Quỳnh" not in own  # only the department the head leads


# --- suggestions ------------------------------------------------------------------------

def test_suggestions_show_their_factors_and_rank(db, world):
    student = make_student(world.own_class, "Y Blim", commune="Xã Ea Lang")
    _pledge(world.teacher, world.year, db, preferred_commune="Xã Ea Lang")
    _pledge(world.homeroom, world.year, db)
    _pledge(world.union, world.year, db, willing=False, capacity=0)
    db.session.add(ClassTeacher(class_group_id=world.own_class.id, user_id=world.dept_head.id, subject="Toán"))
    db.session.commit()
    loads = services.staff_loads(world.school.id, world.year)
    teachers = services.teachers_by_class([world.own_class.id])[world.own_class.id]
    ranked = services.suggest_mentors(student, world.own_class, loads, teachers,
                                      services.department_coverage(loads), limit=10)
    by_name = {s.load.user.username: s for s in ranked}
    assert "union" not in by_name  # not willing this year
    assert [lbl for lbl, _ in by_name["homeroom"].factors][0] == "chủ nhiệm lớp"
    assert any(lbl == "cùng xã/phường" for lbl, _ in by_name["teacher"].factors)
    assert any(lbl.startswith("dạy lớp") for lbl, _ in by_name["depthead"].factors)
    assert by_name["homeroom"].score == 3 + 2 and by_name["teacher"].score == 2 + 2
    assert ranked[0].load.user.username == "homeroom"


# --- assigning --------------------------------------------------------------------------

def test_board_lists_unassigned_students_with_suggestions_and_warnings(leader_client, world, db):
    _approve(world.own_screening, db)
    _pledge(world.teacher, world.year, db)
    page = leader_client.get("/assignments/board").get_data(as_text=True)
    assert "Hoàng Bảo Thảo" in page and "chưa có GV đỡ đầu chính" in page
    assert "Giao làm GV chính" in page and "chủ nhiệm lớp (+3)" in page
    assert "Đã đăng ký nhưng chưa được giao học sinh" in page and "Y Khang" in page


def test_leader_assigns_main_and_support_then_reassigns_with_history(leader_client, world, db):
    _approve(world.own_screening, db)
    url = f"/assignments/students/{world.own_student.id}/assign"
    assert leader_client.post(url, data={"assign-mentor_id": world.teacher.id, "assign-role": "main"}).status_code == 302
    assert leader_client.post(url, data={"assign-mentor_id": world.union.id, "assign-role": "support"}).status_code == 302
    twice = leader_client.post(url, data={"assign-mentor_id": world.homeroom.id, "assign-role": "main"}).get_data(as_text=True)
    assert "đã có GV đỡ đầu chính" in twice
    same = leader_client.post(url, data={"assign-mentor_id": world.union.id, "assign-role": "support"}).get_data(as_text=True)
    assert "đã đỡ đầu học sinh này" in same
    main = db.session.query(Assignment).filter_by(student_id=world.own_student.id, role=MentorRole.MAIN).one()

    no_reason = leader_client.post(f"/assignments/{main.id}/reassign", data={"reassign-mentor_id": world.homeroom.id})
    assert "Cần ghi lý do" in no_reason.get_data(as_text=True)
    leader_client.post(f"/assignments/{main.id}/reassign",
                       data={"reassign-mentor_id": world.union.id, "reassign-reason": "Thầy Khang chuyển công tác"})
    db.session.expire_all()
    rows = db.session.query(Assignment).filter_by(student_id=world.own_student.id).order_by(Assignment.id).all()
    assert [(r.mentor_id, r.role.value, r.ended_on is None) for r in rows] == [
        (world.teacher.id, "main", False), (world.union.id, "support", False), (world.union.id, "main", True)]
    assert rows[0].end_reason == "Thầy Khang chuyển công tác"
    assert rows[1].end_reason == services.REASON_BECAME_MAIN
    page = leader_client.get(f"/assignments/students/{world.own_student.id}").get_data(as_text=True)
    assert "Lịch sử phân công" in page and "Thầy Khang chuyển công tác" in page


def test_unapproved_students_cannot_be_assigned(leader_client, world, db):
    page = leader_client.post(f"/assignments/students/{world.own_student.id}/assign",
                              data={"assign-mentor_id": world.teacher.id, "assign-role": "main"}).get_data(as_text=True)
    assert "chưa được duyệt đỡ đầu" in page
    assert db.session.query(Assignment).count() == 0


def test_ending_needs_a_reason(leader_client, mentoring, db):
    prefix = f"end-{mentoring.support_assignment.id}"
    url = f"/assignments/{mentoring.support_assignment.id}/end"
    assert "Cần ghi lý do" in leader_client.post(url, data={f"{prefix}-reason": ""}).get_data(as_text=True)
    assert leader_client.post(url, data={f"{prefix}-reason": "Không còn cần hỗ trợ"}).status_code == 302
    db.session.refresh(mentoring.support_assignment)
    assert mentoring.support_assignment.ended_on is not None


def test_assignments_end_when_the_student_leaves(admin_client, mentoring, db):
    student = mentoring.mentee
    response = admin_client.post(f"/admin/students/{student.id}/edit", data={
        "code": student.code, "given_name": student.given_name, "family_name": student.family_name,
        "middle_name": student.middle_name, "class_group_id": mentoring.other_class.id, "status": "transferred",
        "status_date": "20/11/2026", "version": student.version})
    assert response.status_code == 302
    db.session.expire_all()
    ended = db.session.query(Assignment).filter_by(student_id=student.id).all()
    assert ended and all(a.ended_on and a.end_reason == services.REASON_STUDENT_LEFT for a in ended)


def test_assignments_end_when_no_longer_at_risk(leader_client, mentoring, db):
    leader_client.post(f"/screening/{mentoring.mentee_screening.id}/decide",
                       data={"decision": "not_needed", "reason": "Gia đình đã ổn định",
                             "version": mentoring.mentee_screening.version})
    db.session.expire_all()
    assert all(a.ended_on and a.end_reason == services.REASON_NOT_AT_RISK
               for a in db.session.query(Assignment).filter_by(student_id=mentoring.mentee.id))


def test_mentor_sees_the_new_mentee_with_a_notice(teacher_client, mentoring, db):
    page = teacher_client.get("/home/teacher").get_data(as_text=True)
    assert "Bạn được phân công đỡ đầu em Ksor Hen (lớp 11B2)" in page and "Học sinh tôi đỡ đầu" in page
    assert teacher_client.post(f"/assignments/{mentoring.main_assignment.id}/seen").status_code == 302
    page = teacher_client.get("/home/teacher").get_data(as_text=True)
    assert "Bạn được phân công đỡ đầu em" not in page and "Ksor Hen" in page
    # the mentor may now read the mentee's record and screening
    assert teacher_client.get(f"/screening/{mentoring.mentee_screening.id}").status_code == 200


def test_mentors_lose_the_screening_when_the_assignment_ends(teacher_client, leader_client, mentoring):
    main_id = mentoring.main_assignment.id
    leader_client.post(f"/assignments/{main_id}/end", data={f"end-{main_id}-reason": "Đổi người"})
    assert teacher_client.get(f"/screening/{mentoring.mentee_screening.id}").status_code == 403


# --- coverage ---------------------------------------------------------------------------

def test_coverage_by_department_and_grade(leader_client, union_client, mentoring, db):
    _approve(mentoring.own_screening, db)  # grade 10, no mentor yet
    summary = services.coverage(mentoring.school.id, mentoring.year)
    assert (summary.approved, summary.with_main) == (2, 1)
    assert dict((g, (a, w)) for g, a, w in summary.by_grade) == {10: (1, 0), 11: (1, 1)}
    departments = {name: (staff, with_) for name, staff, with_ in summary.by_department}
    assert departments["Toán"] == (2, 1)  # depthead and teacher; teacher mentors
    page = union_client.get("/assignments/coverage").get_data(as_text=True)
    assert "50,0%" in page and "Ksor Hen" not in page  # totals, no names


def test_capacity_warning_uses_pledges(leader_client, world, db):
    for _ in range(3):
        _approve(make_screening(make_student(world.other_class), world.year, world.leader), db)
    _pledge(world.teacher, world.year, db, capacity=2)
    page = leader_client.get("/screening/list").get_data(as_text=True)
    assert "chỉ còn nhận được 2 em" in page


def test_over_capacity_is_warned(leader_client, mentoring, db):
    _pledge(mentoring.teacher, mentoring.year, db, capacity=1)
    other = _approve(make_screening(make_student(mentoring.other_class), mentoring.year, mentoring.leader), db)
    leader_client.post(f"/assignments/students/{other.student_id}/assign",
                       data={"assign-mentor_id": mentoring.teacher.id, "assign-role": "main"})
    page = leader_client.get("/assignments/board").get_data(as_text=True)
    assert "Vượt số đăng ký" in page and "Y Khang (2/1)" in page


def test_staff_without_teacher_role_are_not_listed(db, world):
    office = make_user(world.school, Role.ADMIN, username="itonly")
    db.session.commit()
    loads = services.staff_loads(world.school.id, world.year)
    assert office.id not in {lo.user.id for lo in loads}


def test_last_years_list_keeps_students_who_graduated_at_its_end(admin_client, mentoring, db):
    from sponsor_app.assignments.official_list import official_rows

    student = mentoring.mentee
    admin_client.post(f"/admin/students/{student.id}/edit", data={
        "code": student.code, "given_name": student.given_name, "family_name": student.family_name,
        "middle_name": student.middle_name, "class_group_id": mentoring.other_class.id, "status": "graduated",
        "status_date": mentoring.year.end_date.strftime("%d/%m/%Y"), "version": student.version})
    db.session.expire_all()
    assert all(a.ended_on is None for a in db.session.query(Assignment).filter_by(student_id=student.id))
    rows = official_rows(mentoring.school.id, mentoring.year)
    assert [r.student_name for r in rows] == ["Ksor Hen"] and rows[0].mentors.startswith("1. Y Khang")


def test_board_row_without_a_commune_has_no_empty_separator(leader_client, world, db):
    """A new school's students often have no commune yet: "Lớp 10A1 · nguy cơ cao", never "· ·"."""
    _approve(world.own_screening, db)
    world.own_student.commune = None
    db.session.commit()
    page = leader_client.get("/assignments/board").get_data(as_text=True)
    assert re.search(r"Lớp\s+\S+ · nguy cơ", page) and not re.search(r"·\s+·", page)


def test_a_department_head_pledges_from_their_home(dept_head_client, world, db):
    """The head of a department pledges like every teacher: their home page says where they stand and
    leads to the pledge form (issue 21)."""
    page = dept_head_client.get("/home/dept_head").get_data(as_text=True)
    card = page[page.index('id="own-pledge"'):]
    assert "Đăng ký nhận đỡ đầu" in card[:1500] and "/assignments/pledge" in card[:1500]
    _pledge(world.dept_head, world.year, db)
    page = dept_head_client.get("/home/dept_head").get_data(as_text=True)
    card = page[page.index('id="own-pledge"'):]
    assert "Đã đăng ký nhận" in card[:1500] and "Sửa đăng ký" in card[:1500]
