"""Homeroom teachers and teaching assignments from spreadsheets (issue 21, item 3).

The homeroom column (GVCN) of a class list, the staff-by-class table (Lớp | GVCN | Năm học), the
teaching template (Lớp | Môn | Giáo viên) downloaded and uploaded back: every row's problems in the
preview, all or nothing, re-importing replacing the classes' assignments, hostile files, permissions.
"""

import io

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from sponsor_app.assignments.services import teachers_by_class
from sponsor_app.extensions import db as _db
from sponsor_app.imports import services, teachers
from sponsor_app.models import AuditLog, ClassGroup, ClassTeacher, Role, Student, User
from tests import factories as f
from tests import xlsx_builders as xb
from tests.test_imports import pending_files, plain, token_of, upload
from tests.test_security_csrf import table_digest
from tests.test_uploads_hostile import HOSTILE

URL = "/admin/import/"
TEMPLATE_URL = "/admin/import/teaching-template.xlsx"


@pytest.fixture(autouse=True)
def _instance_folder(app, tmp_path):
    """Kept uploads go to this test's own folder, not the project's instance folder."""
    app.instance_path = str(tmp_path / "instance")


def confirm(client, preview):
    return client.post(f"{URL}confirm", data={"token": token_of(preview)})


def audits(db, action) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def homeroom_table(rows, header=("STT", "Lớp", "GVCN")) -> bytes:
    numbered = [[i, *row] for i, row in enumerate(rows, start=1)]
    return xb.workbook([list(header), *numbered], title_rows=["DANH SÁCH GIÁO VIÊN CHỦ NHIỆM"])


def teaching_table(rows) -> bytes:
    return xb.workbook([list(teachers.TEMPLATE_HEADER), *rows])


def assignments(db, year) -> set[tuple[str, str, str]]:
    """The year's teaching assignments as (class, subject, username)."""
    rows = db.session.execute(select(ClassGroup.name, ClassTeacher.subject, User.username)
                              .join(ClassGroup, ClassGroup.id == ClassTeacher.class_group_id)
                              .join(User, User.id == ClassTeacher.user_id)
                              .where(ClassGroup.school_year_id == year.id)).all()
    return set(rows)


def with_homeroom_column(path, name: str, label: str = "GVCN") -> bytes:
    """A real sample export with a homeroom column added after its last column, filled on every data row."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header_row = next(r for r in range(1, 40) if sheet.cell(r, 1).value == "STT")
    col = sheet.max_column + 1
    sheet.cell(header_row, col, label)
    for r in range(header_row + 1, sheet.max_row + 1):
        if isinstance(sheet.cell(r, 1).value, int):
            sheet.cell(r, col, name)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the homeroom column of class lists -----------------------------------------------------

def test_the_real_samples_carry_no_homeroom_column_and_set_none(admin_client, world, db):
    """The CSDL ngành and vnEdu samples have no GVCN column (vnEdu's "Giáo viên chủ nhiệm" is a signature
    line of the footer): importing them sets no homeroom teacher."""
    for path in (xb.CSDL_SAMPLE, xb.VNEDU_SAMPLE):
        preview = upload(admin_client, path.read_bytes(), year_id=world.year.id)
        assert preview.status_code == 200 and "GVCN theo tệp" not in plain(preview)
        assert confirm(admin_client, preview).status_code == 302
    db.session.expire_all()
    assert db.session.get(ClassGroup, world.own_class.id).homeroom_teacher_id == world.homeroom.id
    assert db.session.get(ClassGroup, world.other_class.id).homeroom_teacher_id is None


def test_homeroom_column_of_a_real_sample_sets_the_class_teacher(admin_client, world, db):
    """The CSDL ngành sample with a "Giáo viên chủ nhiệm" column, the name written without diacritics."""
    data = with_homeroom_column(xb.CSDL_SAMPLE, "do thu lan", label="Giáo viên chủ nhiệm")
    preview = upload(admin_client, data, year_id=world.year.id)
    page = plain(preview)
    assert preview.status_code == 200, page[:2000]
    assert "GVCN theo tệp: 10A1 — Đỗ Thu Lan" in page
    assert "lớp 10A1 đang do Vũ Ngọc Quỳnh chủ nhiệm; sẽ đổi thành Đỗ Thu Lan" in page
    done = confirm(admin_client, preview)
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(ClassGroup, world.own_class.id).homeroom_teacher_id == world.dept_head.id
    entry = audits(db, "import_students")[-1]
    assert entry.details["homerooms_set"] == ["10A1: depthead"]
    flashed = plain(admin_client.get("/admin/classes"))
    assert "Đã đặt GVCN cho 1 lớp." in flashed


def test_homeroom_of_a_new_class_and_the_title_line(admin_client, world, db):
    """"GVCN: …" in the title of a list whose class is new: the class is created with its teacher."""
    data = xb.workbook([xb.STUDENT_HEADER, [1, "HS9001", "Trần Văn Bình", "01/02/2010", "Nam", "11C3", None]],
                       title_rows=["DANH SÁCH HỌC SINH LỚP 11C3", "GVCN: Thầy Hồ Văn Long"])
    preview = upload(admin_client, data, year_id=world.year.id)
    assert preview.status_code == 200 and "GVCN theo tệp: 11C3 — Hồ Văn Long" in plain(preview)
    confirm(admin_client, preview)
    group = db.session.scalar(select(ClassGroup).where(ClassGroup.name == "11C3"))
    assert group.homeroom_teacher_id == world.union.id


@pytest.mark.parametrize(("names", "problem"), [
    (["Nguyễn Văn Không Có"] * 2, "không có cán bộ tên “Nguyễn Văn Không Có”"),
    (["Lan"] * 2, "“Lan” không phải họ tên đầy đủ của cán bộ nào; có thể là: Đỗ Thu Lan (depthead)"),
    (["Y Khang", "Hồ Văn Long"], "GVCN “Hồ Văn Long” khác với dòng 5 (“Y Khang”) của cùng lớp 10A1"),
])
def test_unknown_partial_or_conflicting_homeroom_names_block_the_class_list(admin_client, world, db, names,
                                                                           problem):
    rows = [["HS8001", "Trần Văn Bình", "01/02/2011", "Nam", "10A1", None, names[0]],
            ["HS8002", "Lê Thị Hoa", "03/04/2011", "Nữ", "10A1", None, names[1]]]
    data = xb.student_list(rows, header=[*xb.STUDENT_HEADER, "GVCN"])
    before = db.session.scalar(select(func.count(Student.id)))
    preview = upload(admin_client, data, year_id=world.year.id)
    page = plain(preview)
    assert problem in page, page[:3000]
    assert 'name="token"' not in preview.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Student.id))) == before


def test_an_ambiguous_homeroom_name_is_never_guessed(admin_client, world, db):
    f.make_user(world.school, Role.TEACHER, username="lanthu", full_name="Đỗ Thu Lan")
    db.session.commit()
    rows = [["HS8001", "Trần Văn Bình", "01/02/2011", "Nam", "10A1", None, "Đỗ Thu Lan"]]
    preview = upload(admin_client, xb.student_list(rows, header=[*xb.STUDENT_HEADER, "GVCN"]),
                     year_id=world.year.id)
    page = plain(preview)
    assert "có 2 cán bộ cùng tên “Đỗ Thu Lan”" in page and "Đỗ Thu Lan (depthead)" in page
    assert 'name="token"' not in preview.get_data(as_text=True)
    rows[0][-1] = "Đỗ Thu Lan (lanthu)"  # the username in brackets says which one
    preview = upload(admin_client, xb.student_list(rows, header=[*xb.STUDENT_HEADER, "GVCN"]),
                     year_id=world.year.id)
    assert preview.status_code == 200 and 'name="token"' in preview.get_data(as_text=True)
    confirm(admin_client, preview)
    db.session.expire_all()
    assert db.session.get(ClassGroup, world.own_class.id).homeroom_teacher.username == "lanthu"


# --- the staff-by-class table ---------------------------------------------------------------

def test_staff_by_class_table_sets_homeroom_teachers(admin_client, world, db):
    f.make_class(world.year, "12A1", homeroom=world.teacher)
    db.session.commit()
    data = homeroom_table([["10A1", "vu ngoc quynh"], ["11B2", "Thầy Hồ Văn Long"], ["12A1", None]])
    preview = upload(admin_client, data, kind="homeroom", year_id=world.year.id)
    page = plain(preview)
    assert preview.status_code == 200, page[:3000]
    assert "Xem trước: GVCN theo lớp" in page
    assert "1 lớp có GVCN mới" in page and "0 lớp đổi GVCN" in page and "1 giữ nguyên" in page
    assert "ô GVCN trống: giữ nguyên GVCN hiện tại của lớp 12A1" in page
    response = confirm(admin_client, preview)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/classes")
    db.session.expire_all()
    assert db.session.get(ClassGroup, world.other_class.id).homeroom_teacher_id == world.union.id
    assert db.session.get(ClassGroup, world.own_class.id).homeroom_teacher_id == world.homeroom.id
    twelve = db.session.scalar(select(ClassGroup).where(ClassGroup.name == "12A1"))
    assert twelve.homeroom_teacher_id == world.teacher.id
    entry = audits(db, "import_homerooms")[-1]
    assert entry.details["set"] == [f"{world.year.name} 11B2: union"] and entry.details["unchanged"] == 1
    assert entry.user_id == world.admin.id


def test_staff_by_class_table_with_a_year_column(admin_client, world, db):
    next_year = f.make_year(world.school, 2027, current=False)
    f.make_class(next_year, "10A1")
    db.session.commit()
    data = homeroom_table([["10A1", "Y Khang", "2027 - 2028"], ["11B2", "Y Khang", None]],
                          header=("STT", "Lớp", "Giáo viên chủ nhiệm", "Năm học"))
    preview = upload(admin_client, data, kind="homeroom", year_id=world.year.id)
    assert preview.status_code == 200 and 'name="token"' in preview.get_data(as_text=True)
    confirm(admin_client, preview)
    next_class = db.session.scalar(select(ClassGroup).where(ClassGroup.school_year_id == next_year.id))
    assert next_class.homeroom_teacher_id == world.teacher.id
    db.session.expire_all()
    assert db.session.get(ClassGroup, world.other_class.id).homeroom_teacher_id == world.teacher.id


def test_staff_by_class_problems_are_shown_row_by_row_and_nothing_is_saved(admin_client, world, db):
    f.make_class(world.year, "12A1")
    data = homeroom_table([
        ["10A1", "Y Khang"],  # good
        ["9Z9", "Y Khang"],  # unknown class
        ["11B2", "Nguyễn Văn Không Có"],  # unknown teacher
        ["10A1", "Hồ Văn Long"],  # the class again
        [None, "Hồ Văn Long"],  # no class
        ["12A1", "Mai"],  # only a given name
    ], header=("STT", "Lớp", "GVCN"))
    _db.session.commit()
    before = table_digest(_db.engine)
    preview = upload(admin_client, data, kind="homeroom", year_id=world.year.id)
    page = plain(preview)
    for problem in (f"Dòng 5: lớp 9Z9 không có trong năm học {world.year.name}",
                    "Dòng 6: không có cán bộ tên “Nguyễn Văn Không Có”",
                    "Dòng 7: lớp 10A1 đã có ở dòng 4",
                    "Dòng 8: thiếu tên lớp",
                    "Dòng 9: “Mai” không phải họ tên đầy đủ của cán bộ nào; có thể là: Đỗ Kim Mai (leader)"):
        assert problem in page, (problem, page[:4000])
    assert "Có 5 lỗi nên chưa nhập gì" in page
    assert 'name="token"' not in preview.get_data(as_text=True) and not pending_files(admin_client.application)
    _db.session.commit()  # the test's own session holds no lock while the tables are read
    assert table_digest(_db.engine) == before


# --- teaching assignments: the template -------------------------------------------------------

def test_teaching_template_download(admin_client, world, db):
    page = plain(admin_client.get(f"{URL}?kind=teaching"))
    assert "Tải tệp mẫu" in page
    response = admin_client.get(f"{TEMPLATE_URL}?year_id={world.year.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Cache-Control"] == "no-store"
    assert f"phan_cong_giang_day_{world.year.name}.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["Phân công", "Hướng dẫn", "Lớp", "Cán bộ"]
    rows = list(book["Phân công"].iter_rows(values_only=True))
    assert rows[0] == ("Lớp", "Môn", "Giáo viên") and rows[1] == teachers.EXAMPLE_ROW
    assert len(rows) == 2  # no assignment stored yet
    assert [r[0] for r in book["Lớp"].iter_rows(min_row=2, values_only=True)] == ["10A1", "11B2"]
    staff = [r[0] for r in book["Cán bộ"].iter_rows(min_row=2, values_only=True)]
    assert "Đỗ Thu Lan" in staff and "otheradmin" not in str(staff)


def test_the_untouched_template_is_refused_with_a_message(admin_client, world):
    data = admin_client.get(TEMPLATE_URL).data
    response = upload(admin_client, data, kind="teaching", year_id=world.year.id)
    assert response.status_code == 400
    assert "Tệp chưa có dòng phân công nào ngoài dòng ví dụ của tệp mẫu." in plain(response)


def fill_template(template: bytes, rows) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["Phân công"]
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_teaching_template_filled_in_and_imported(admin_client, world, db):
    data = fill_template(admin_client.get(TEMPLATE_URL).data, [
        ("10A1", "Toán", "Đỗ Thu Lan"),
        ("10A1, 11B2", "Tiếng Anh", "y khang"),
        ("10A1", "Tin học", "Đỗ Thu Lan"),  # a second subject of the same teacher in the class
    ])
    preview = upload(admin_client, data, kind="teaching", year_id=world.year.id)
    page = plain(preview)
    assert preview.status_code == 200, page[:3000]
    assert "Dòng 2 là dòng ví dụ của tệp mẫu" in page
    assert "4 phân công thêm, 0 phân công bỏ, 0 giữ nguyên." in page
    response = confirm(admin_client, preview)
    assert response.status_code == 302 and "kind=teaching" in response.headers["Location"]
    assert assignments(db, world.year) == {("10A1", "Toán, Tin học", "depthead"), ("10A1", "Tiếng Anh", "teacher"),
                                           ("11B2", "Tiếng Anh", "teacher")}
    entry = audits(db, "import_teaching")[-1]
    assert (entry.details["added"], entry.details["removed"], entry.details["unchanged"]) == (4, 0, 0)
    assert entry.details["classes"] == ["10A1", "11B2"]
    # what the mentor suggestions read
    taught = teachers_by_class([world.own_class.id])[world.own_class.id]
    assert taught[world.dept_head.id] == "Toán, Tin học"
    # the template now carries the stored assignments, one subject a row
    book = openpyxl.load_workbook(io.BytesIO(admin_client.get(TEMPLATE_URL).data), read_only=True)
    rows = list(book["Phân công"].iter_rows(min_row=3, values_only=True))
    assert rows == [("10A1", "Tiếng Anh", "Y Khang"), ("10A1", "Tin học", "Đỗ Thu Lan"),
                    ("10A1", "Toán", "Đỗ Thu Lan"), ("11B2", "Tiếng Anh", "Y Khang")]


def test_reimporting_replaces_the_classes_in_the_file(admin_client, world, db):
    third = f.make_class(world.year, "12A1")
    db.session.add_all([
        ClassTeacher(class_group_id=world.own_class.id, user_id=world.dept_head.id, subject="Toán, Tin học"),
        ClassTeacher(class_group_id=world.own_class.id, user_id=world.teacher.id, subject="Tiếng Anh"),
        ClassTeacher(class_group_id=third.id, user_id=world.union.id, subject="Ngữ văn"),
    ])
    db.session.commit()
    data = teaching_table([
        ("10A1", "Toán", "Đỗ Thu Lan"),  # unchanged (Tin học dropped)
        ("10A1", "Ngữ văn", "Hồ Văn Long"),  # added
        ("11B2", "Toán", "Đỗ Thu Lan"),  # added
    ])
    preview = upload(admin_client, data, kind="teaching", year_id=world.year.id)
    page = plain(preview)
    assert "2 phân công thêm, 2 phân công bỏ, 1 giữ nguyên." in page, page[:3000]
    assert "THAY phân công giảng dạy năm học" in page and "2 lớp có trong tệp: 10A1, 11B2" in page
    assert "10A1 – Tin học – Đỗ Thu Lan" in page and "10A1 – Tiếng Anh – Y Khang" in page
    confirm(admin_client, preview)
    assert assignments(db, world.year) == {("10A1", "Toán", "depthead"), ("10A1", "Ngữ văn", "union"),
                                           ("11B2", "Toán", "depthead"), ("12A1", "Ngữ văn", "union")}
    # the same file again: nothing to add or remove
    preview = upload(admin_client, data, kind="teaching", year_id=world.year.id)
    assert "0 phân công thêm, 0 phân công bỏ, 3 giữ nguyên." in plain(preview)


def test_teaching_problems_in_the_preview_and_nothing_saved(admin_client, world, db):
    f.make_user(world.school, Role.TEACHER, username="khangy2", full_name="Y Khang")
    db.session.add(ClassTeacher(class_group_id=world.own_class.id, user_id=world.union.id, subject="Ngữ văn"))
    db.session.commit()
    data = teaching_table([
        ("10A1", "Toán", "Đỗ Thu Lan"),  # good
        ("9Z9", "Toán", "Đỗ Thu Lan"),  # unknown class
        ("10A1", "Hóa học", "Nguyễn Văn Không Có"),  # unknown teacher
        ("10A1", "Tiếng Anh", "Y Khang"),  # two accounts carry this name
        ("10A1", None, "Hồ Văn Long"),  # no subject
        ("10A1", "toán", "do thu lan"),  # row 2 again
    ])
    _db.session.commit()
    before = table_digest(_db.engine)
    preview = upload(admin_client, data, kind="teaching", year_id=world.year.id)
    page = plain(preview)
    for problem in (f"Dòng 3: lớp 9Z9 không có trong năm học {world.year.name}",
                    "Dòng 4: không có cán bộ tên “Nguyễn Văn Không Có”",
                    "Dòng 5: có 2 cán bộ cùng tên “Y Khang”",
                    "Dòng 6: thiếu môn",
                    "Dòng 7: trùng với dòng 2 (lớp 10A1, môn toán, Đỗ Thu Lan)"):
        assert problem in page, (problem, page[:4000])
    assert 'name="token"' not in preview.get_data(as_text=True)
    _db.session.commit()  # the test's own session holds no lock while the tables are read
    assert table_digest(_db.engine) == before


def test_one_bad_row_saves_nothing_even_at_confirmation(admin_client, world, db):
    """The preview was clean; a teacher leaves before the confirmation: the import is refused whole (409)."""
    data = teaching_table([("10A1", "Toán", "Đỗ Thu Lan"), ("11B2", "Tiếng Anh", "Y Khang")])
    preview = upload(admin_client, data, kind="teaching", year_id=world.year.id)
    assert 'name="token"' in preview.get_data(as_text=True)
    world.teacher.active = False
    db.session.commit()
    response = confirm(admin_client, preview)
    assert response.status_code == 409
    assert "tài khoản teacher (Y Khang) đang bị khóa" in plain(response)
    assert assignments(db, world.year) == set() and not audits(db, "import_teaching")


def test_apply_refuses_a_result_with_problems(app, world, db):
    with force_locale("vi"):
        result = teachers.parse_teaching(teaching_table([("10A1", "Toán", "Đỗ Thu Lan"), ("10A1", "Lý", "Ai Đó")]),
                                         config=app.config)
        with pytest.raises(services.ImportRejected):
            teachers.apply_teaching(result, world.year, by=world.admin)
    assert db.session.scalar(select(func.count(ClassTeacher.id))) == 0


# --- hostile and malformed files ---------------------------------------------------------------

HOSTILE_FILES = [h for h in HOSTILE if not h[0].startswith("50 MB")]


@pytest.mark.parametrize("kind", ["homeroom", "teaching"])
@pytest.mark.parametrize(("name", "filename", "build", "status", "message"), HOSTILE_FILES,
                         ids=[h[0] for h in HOSTILE_FILES])
def test_hostile_files(admin_client, world, db, kind, name, filename, build, status, message):
    _db.session.commit()
    before = table_digest(_db.engine)
    response = upload(admin_client, build(), kind=kind, filename=filename, year_id=world.year.id)
    assert response.status_code == status and message in plain(response), (name, plain(response)[:1500])
    _db.session.commit()
    assert table_digest(_db.engine) == before and not pending_files(admin_client.application)


@pytest.mark.parametrize(("kind", "data", "message"), [
    ("homeroom", xb.workbook([["Lớp", "Giáo viên"], ["10A1", "Y Khang"]]), "không có cột “GVCN”"),
    ("teaching", xb.workbook([["Lớp", "Môn"], ["10A1", "Toán"]]), "không có cột “Giáo viên”"),
    ("teaching", xb.workbook([["Giáo viên", "Môn"], ["Y Khang", "Toán"]]), "Tệp không có cột Lớp"),
    ("teaching", xb.workbook([["Lớp", "Giáo viên"], ["10A1", "Y Khang"]]), "Tệp không có cột Môn"),
    ("teaching", xb.staff_list([["Đỗ Thu Lan", "30/01/1978", "Nữ", "Tổ trưởng", "Toán", "Toán"]]),
     "Tệp không có cột Lớp"),
])
def test_malformed_tables_are_refused_with_a_message(admin_client, world, kind, data, message):
    response = upload(admin_client, data, kind=kind, year_id=world.year.id)
    assert response.status_code == 400 and message in plain(response)


# --- permissions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["leader", "depthead", "union", "teacher", "homeroom"])
def test_only_admins_import_or_download_the_template(client_for, world, db, role):
    client = client_for(role)
    assert client.get(TEMPLATE_URL).status_code == 403
    assert client.get(f"{URL}?kind=teaching").status_code == 403
    data = teaching_table([("10A1", "Toán", "Đỗ Thu Lan")])
    assert upload(client, data, kind="teaching", year_id=world.year.id).status_code == 403
    assert upload(client, homeroom_table([["10A1", "Y Khang"]]), kind="homeroom",
                  year_id=world.year.id).status_code == 403
    assert assignments(db, world.year) == set()


def test_another_schools_year_is_not_found(admin_client, world, db):
    assert admin_client.get(f"{TEMPLATE_URL}?year_id={world.other_school_year.id}").status_code == 404
    response = upload(admin_client, teaching_table([("10A1", "Toán", "Đỗ Thu Lan")]), kind="teaching",
                      year_id=world.other_school_year.id)
    assert response.status_code == 400  # not a choice of the admin's school
    assert assignments(db, world.year) == set()


def test_a_teacher_of_another_school_is_unknown(admin_client, world, db):
    preview = upload(admin_client, teaching_table([("10A1", "Toán", "otheradmin")]), kind="teaching",
                     year_id=world.year.id)
    assert "không có cán bộ tên “otheradmin”" in plain(preview)
