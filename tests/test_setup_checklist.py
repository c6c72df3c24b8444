"""Issue 21, item 2: a setup guide that tells the truth. Each step is done only when it really is
and says what is missing (which department has no head, who cannot log in yet, which classes lack a
homeroom teacher, which header fields are empty); the first school year is current by default."""

import re

from sqlalchemy import select

from sponsor_app.models import ClassGroup, Department, SchoolYear
from tests import factories as f

YEAR_FORM = {"name": "2027-2028", "start_date": "05/09/2027", "semester1_end": "15/01/2028",
             "semester2_start": "19/01/2028", "end_date": "31/05/2028", "pledge_deadline": "20/11/2027",
             "screening_start": "01/12/2027", "screening_end": "30/12/2027", "assignment_deadline": "30/12/2027",
             "note_day": "25", "report1_deadline": "30/12/2027", "report2_deadline": "25/05/2028"}
LABELS = {"departments": "Tổ chuyên môn và tổ trưởng", "staff": "Tài khoản cán bộ, giáo viên",
          "classes": "Lớp học và GVCN", "students": "Danh sách học sinh", "year": "Năm học và lịch cuộc vận động"}


def _steps(page: str) -> dict[str, str]:
    """Each checklist step's text, by key."""
    card = page[page.index("Các bước thiết lập"):]
    card = card[:card.index("</ul>")]
    items = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li)) for li in card.split("<li")[1:]]
    return {key: next(i for i in items if label in i) for key, label in LABELS.items()}


def test_each_step_names_what_is_missing_until_it_is_done(admin_client, world, db):
    school, year = world.school, world.year
    office = f.make_department(school, code="VP", name="Văn phòng")
    f.make_class(year, "11B9")
    nobody = f.make_user(school, "teacher", username="chuacomk", full_name="Lò Văn Chưa")
    nobody.password_hash = None
    db.session.commit()

    steps = _steps(admin_client.get("/home/admin").get_data(as_text=True))
    assert "cần làm" in steps["departments"] and "Chưa có tổ trưởng:" in steps["departments"]
    assert "Văn phòng" in steps["departments"]
    assert "cần làm" in steps["staff"] and "Lò Văn Chưa" in steps["staff"]
    assert "cần làm" in steps["classes"] and "Chưa có GVCN:" in steps["classes"] and "11B9" in steps["classes"]
    assert "xong" in steps["year"] and "xong" in steps["students"]

    office.head_id = nobody.id
    for department in db.session.scalars(select(Department).where(Department.head_id.is_(None))):
        department.head_id = world.teacher.id
    nobody.password_hash = f.cheap_hash("x")
    for class_group in db.session.scalars(select(ClassGroup).where(ClassGroup.school_year_id == year.id,
                                                                     ClassGroup.homeroom_teacher_id.is_(None))):
        class_group.homeroom_teacher_id = world.teacher.id
    db.session.commit()
    steps = _steps(admin_client.get("/home/admin").get_data(as_text=True))
    for key in ("departments", "staff", "classes"):
        assert "xong" in steps[key] and "cần làm" not in steps[key], steps[key]


def test_the_first_school_year_is_current_by_default(client_for, db):
    school = f.make_school("Trường THCS Mới Mở")
    f.make_user(school, "admin", username="adminmoi")
    db.session.commit()
    admin = client_for("adminmoi")
    form = admin.get("/admin/years/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="is_current"|<input[^>]*name="is_current"[^>]*checked', form)
    data = dict(YEAR_FORM)  # the box unticked by the admin: still the only year, so current
    assert admin.post("/admin/years/new", data=data).status_code == 302
    first = db.session.scalar(select(SchoolYear).where(SchoolYear.school_id == school.id))
    assert first.is_current
    form = admin.get("/admin/years/new").get_data(as_text=True)  # a second year: not current unless asked
    assert not re.search(r'name="is_current"[^>]*checked|checked[^>]*name="is_current"', form)
    assert admin.post("/admin/years/new", data=data | {"name": "2028-2029", "start_date": "05/09/2028",
                                                       "end_date": "31/05/2029"}).status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(SchoolYear, first.id).is_current


def test_start_school_creates_the_school_and_its_first_admin_once(runner, db):
    """`make school` runs `flask start-school`: on an empty database, the school and its first admin with
    a temporary password (changed at first login) and the next steps; then never again."""
    from sponsor_app.models import School, User

    refused = runner.invoke(args=["start-school"])
    assert refused.exit_code != 0 and 'make school SCHOOL="' in refused.output
    result = runner.invoke(args=["start-school", "--school", " Trường THPT Nguyễn Du ", "--username", "Admin",
                                 "--url", "http://127.0.0.1:5123"])
    assert result.exit_code == 0, result.output
    school = db.session.scalar(select(School))
    admin = db.session.scalar(select(User).where(User.school_id == school.id))
    assert school.name == "Trường THPT Nguyễn Du" and admin.username == "admin" and admin.must_change_password
    password = re.search(r"temporary password (\S+)", result.output).group(1)
    assert admin.check_password(password)
    assert "http://127.0.0.1:5123/login" in result.output and "Các bước thiết lập" in result.output
    again = runner.invoke(args=["start-school", "--school", "Trường khác"])
    assert again.exit_code == 0 and "already has Trường THPT Nguyễn Du" in again.output
    assert db.session.query(School).count() == 1 and db.session.query(User).count() == 1
