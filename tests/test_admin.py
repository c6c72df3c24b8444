"""Admin manages accounts, departments, classes, school years, the school and students."""

from sponsor_app.models import AuditLog, ClassGroup, Department, Enrollment, Role, SchoolYear, Student, User
from tests.factories import make_class


def _temp_password(page: str) -> str:
    return page.split('id="temp-password">')[1].split("<")[0]


def test_admin_creates_an_account_with_a_temporary_password(app, admin_client, world, db):
    response = admin_client.post("/admin/users/new", data={
        "full_name": "Phạm  Thị Hoa", "username": "HoaPT", "department_id": str(world.dept.id),
        "roles": ["teacher", "union"], "date_of_birth": "02/05/1985", "gender": "Nữ"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "hoapt" in page and "chỉ hiện một lần" in page
    user = db.session.query(User).filter_by(username="hoapt").one()
    assert user.full_name == "Phạm Thị Hoa" and user.roles == {Role.TEACHER, Role.UNION}
    assert user.must_change_password and user.date_of_birth.isoformat() == "1985-05-02"
    first = app.test_client().post("/login", data={"username": "hoapt", "password": _temp_password(page)})
    assert first.headers["Location"].endswith("/account/password")


def test_form_keeps_what_was_typed_on_error(admin_client, world):
    response = admin_client.post("/admin/users/new", data={
        "full_name": "Phạm Thị Hoa", "username": "teacher", "roles": ["teacher"], "date_of_birth": "31/02/1985"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Phạm Thị Hoa"' in page and 'value="31/02/1985"' in page
    assert "Ngày không hợp lệ" in page


def test_duplicate_username_is_reported(admin_client, world):
    page = admin_client.post("/admin/users/new", data={
        "full_name": "Ai Đó", "username": "teacher", "roles": ["teacher"]}).get_data(as_text=True)
    assert "đã có người dùng" in page


def test_conflicting_edit_is_reported_not_overwritten(admin_client, world, db):
    form = admin_client.get(f"/admin/users/{world.teacher.id}/edit").get_data(as_text=True)
    version = form.split('name="version" type="hidden" value="')[1].split('"')[0]
    # someone else saves first
    world.teacher.phone = "0900000000"
    db.session.commit()
    response = admin_client.post(f"/admin/users/{world.teacher.id}/edit", data={
        "full_name": "Y Khang Mới", "username": "teacher", "roles": ["teacher"], "version": version})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "vừa được người khác sửa" in page and 'value="Y Khang Mới"' in page
    db.session.expire_all()
    assert db.session.get(User, world.teacher.id).full_name == "Y Khang"


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(admin_client, world, db):
    page = admin_client.post(f"/admin/users/{world.admin.id}/edit", data={
        "full_name": "Lê Quản Trị", "username": "admin", "roles": ["teacher"],
        "version": world.admin.version}).get_data(as_text=True)
    assert "không thể bỏ vai trò quản trị" in page
    admin_client.post(f"/admin/users/{world.admin.id}/deactivate")
    db.session.expire_all()
    assert db.session.get(User, world.admin.id).active


def test_deactivate_and_reactivate_keep_the_account(admin_client, world, db):
    admin_client.post(f"/admin/users/{world.teacher.id}/deactivate")
    db.session.expire_all()
    assert db.session.get(User, world.teacher.id).active is False
    admin_client.post(f"/admin/users/{world.teacher.id}/reactivate")
    db.session.expire_all()
    assert db.session.get(User, world.teacher.id).active is True
    actions = [a for (a,) in db.session.query(AuditLog.action).filter(AuditLog.object_id == world.teacher.id)]
    assert "user_deactivated" in actions and "user_reactivated" in actions


def test_users_list_search_ignores_diacritics(admin_client, world):
    page = admin_client.get("/admin/users?q=quynh").get_data(as_text=True)
    assert "Vũ Ngọc Quỳnh" in page and "Đỗ Kim Mai" not in page
    page = admin_client.get("/admin/users?q=do kim").get_data(as_text=True)
    assert "Đỗ Kim Mai" in page


def test_department_head_gets_the_role_and_loses_it_when_replaced(admin_client, world, db):
    response = admin_client.post(f"/admin/departments/{world.other_dept.id}/edit", data={
        "code": "van", "name": "Ngữ văn", "head_id": str(world.teacher.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Department, world.other_dept.id).code == "VAN"
    assert Role.DEPT_HEAD in db.session.get(User, world.teacher.id).roles
    admin_client.post(f"/admin/departments/{world.other_dept.id}/edit", data={
        "code": "VAN", "name": "Ngữ văn", "head_id": str(world.homeroom.id)})
    db.session.expire_all()
    assert Role.DEPT_HEAD not in db.session.get(User, world.teacher.id).roles
    assert Role.DEPT_HEAD in db.session.get(User, world.homeroom.id).roles


def test_department_code_must_be_unique(admin_client, world):
    page = admin_client.post("/admin/departments/new", data={"code": "TOAN", "name": "Toán 2"}).get_data(as_text=True)
    assert "đã có" in page


def test_class_grade_comes_from_the_name_as_written(admin_client, world, db):
    for name, grade in [("6/1", 6), ("12.6", 12), ("10A4", 10)]:
        assert admin_client.post("/admin/classes/new", data={"name": name}).status_code == 302
        assert db.session.query(ClassGroup).filter_by(name=name, school_id=world.school.id).one().grade == grade
    page = admin_client.post("/admin/classes/new", data={"name": "10A1"}).get_data(as_text=True)
    assert "đã có trong năm học" in page


def test_year_is_created_with_the_seed_plan_calendar_and_can_be_edited(admin_client, world, db):
    form = admin_client.get("/admin/years/new").get_data(as_text=True)
    assert "20/11/" in form and "01/12/" in form and "25/05/" in form
    data = {"name": "2027-2028", "start_date": "05/09/2027", "semester1_end": "15/01/2028",
            "semester2_start": "19/01/2028", "end_date": "31/05/2028", "pledge_deadline": "20/11/2027",
            "screening_start": "01/12/2027", "screening_end": "30/12/2027", "assignment_deadline": "30/12/2027",
            "note_day": "25", "report1_deadline": "30/12/2027", "report2_deadline": "25/05/2028"}
    assert admin_client.post("/admin/years/new", data=data).status_code == 302
    year = db.session.query(SchoolYear).filter_by(name="2027-2028").one()
    assert year.pledge_deadline.isoformat() == "2027-11-20" and year.note_day == 25 and not year.is_current
    bad = admin_client.post(f"/admin/years/{year.id}/edit", data=data | {
        "screening_start": "31/12/2027", "name": "2027-2029"}).get_data(as_text=True)
    assert "phải trước ngày kết thúc" in bad and "lớn hơn năm đầu 1 năm" in bad
    admin_client.post(f"/admin/years/{year.id}/make-current")
    db.session.expire_all()
    assert db.session.get(SchoolYear, year.id).is_current
    assert not db.session.get(SchoolYear, world.year.id).is_current


def test_admin_adds_and_edits_a_student(admin_client, world, db):
    response = admin_client.post("/admin/students/new", data={
        "code": "0123456789", "family_name": "Hà", "middle_name": "Thị", "given_name": "Mơ",
        "class_group_id": str(world.own_class.id), "date_of_birth": "01/02/2011", "status": "enrolled"})
    assert response.status_code == 302
    student = db.session.query(Student).filter_by(code="0123456789").one()
    assert student.full_name == "Hà Thị Mơ"
    version = student.version
    missing_date = admin_client.post(f"/admin/students/{student.id}/edit", data={
        "code": "0123456789", "given_name": "Mơ", "family_name": "Hà", "middle_name": "Thị",
        "class_group_id": str(world.other_class.id), "status": "dropped_out", "version": str(version)})
    assert "Cần ghi ngày" in missing_date.get_data(as_text=True)
    admin_client.post(f"/admin/students/{student.id}/edit", data={
        "code": "0123456789", "given_name": "Mơ", "family_name": "Hà", "middle_name": "Thị",
        "class_group_id": str(world.other_class.id), "status": "dropped_out", "status_date": "10/11/2026",
        "version": str(version)})
    db.session.expire_all()
    student = db.session.get(Student, student.id)
    assert student.status.value == "dropped_out" and student.status_date.isoformat() == "2026-11-10"
    enrollment = db.session.query(Enrollment).filter_by(student_id=student.id).one()
    assert enrollment.class_group_id == world.other_class.id  # moved, not duplicated


def test_a_class_of_another_year_is_refused_for_a_student(admin_client, world, db):
    from tests.factories import make_year

    old = make_year(world.school, 2025, current=False)
    old_class = make_class(old, "9A1")
    db.session.commit()
    response = admin_client.post("/admin/students/new", data={
        "code": "X1", "given_name": "An", "class_group_id": str(old_class.id), "status": "enrolled"})
    assert response.status_code == 400


def test_school_details_are_saved(admin_client, world, db):
    admin_client.post("/admin/school", data={"name": "Trường THPT Mới", "governing_body": "SỞ GD&ĐT TỈNH MẪU"})
    db.session.expire_all()
    assert world.school.name == "Trường THPT Mới"


def test_audit_log_lists_views_and_changes(admin_client, leader_client, world):
    leader_client.get(f"/roster/students/{world.own_student.id}")
    page = admin_client.get("/admin/audit?action=view_student").get_data(as_text=True)
    assert "view_student" in page and "leader" in page


def test_admin_home_shows_setup_checklist(admin_client, world):
    page = admin_client.get("/home/admin").get_data(as_text=True)
    assert "Các bước thiết lập" in page and "Danh sách học sinh" in page


def test_a_username_is_stored_in_the_form_the_login_looks_up(app, admin_client, world, db):
    """Full-width letters, capitals and invisible characters typed into the account form are stored
    as the login identity (identity.login_name), so the person logs in with what they read."""
    response = admin_client.post("/admin/users/new", data={
        "full_name": "Lê Văn Nam", "username": " \u200bＮａｍＬＶ\u00ad ", "roles": ["teacher"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    user = db.session.query(User).filter_by(username="namlv").one()
    assert user.full_name == "Lê Văn Nam"
