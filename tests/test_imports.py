"""Excel import: reading exports safely, the upload → preview → confirm pages, and the rules.

The sample exports in tests/data are the school formats (CSDL ngành, vnEdu, a staff list);
broken and hostile files are built by tests/xlsx_builders.py.
"""

import html
import io
import os
import re
import time
from datetime import date

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from sponsor_app.imports import services
from sponsor_app.imports.xlsx import ImportFileError, cell_date, cell_text, check_xlsx
from sponsor_app.models import (
    AuditLog,
    ClassGroup,
    Department,
    Enrollment,
    Role,
    School,
    Student,
    StudentStatus,
    User,
)
from tests import factories as f
from tests import xlsx_builders as xb

URL = "/admin/import/"


@pytest.fixture(autouse=True)
def _instance_folder(app, tmp_path):
    """Kept uploads go to this test's own folder, not the project's instance folder."""
    app.instance_path = str(tmp_path / "instance")


@pytest.fixture
def before(world, db) -> int:
    """How many students the world's school has before the test imports any."""
    return student_count(db, world.school)


@pytest.fixture
def vi(app):
    """Vietnamese messages for service calls made outside a request."""
    with force_locale("vi"):
        yield


def pending_files(app) -> list[str]:
    folder = os.path.join(app.instance_path, "imports")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def upload(client, data: bytes, *, kind="students", filename="danh_sach.xlsx", **fields):
    form = {"kind": kind, "file": (io.BytesIO(data), filename), **fields}
    return client.post(f"{URL}?kind={kind}", data=form, content_type="multipart/form-data")


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def plain(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text_of(response)))


def token_of(response) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the preview has no confirm form"
    return match.group(1)


def import_students(client, data: bytes, year, **fields):
    """Upload, check the preview offers the confirmation, confirm; returns the confirm response."""
    preview = upload(client, data, year_id=year.id, **fields)
    assert preview.status_code == 200, text_of(preview)[:2000]
    return client.post(f"{URL}confirm", data={"token": token_of(preview)})


def student(db, school, code) -> Student | None:
    return db.session.scalar(select(Student).where(Student.school_id == school.id, Student.code == code))


def student_count(db, school) -> int:
    return db.session.scalar(select(func.count()).select_from(Student).where(Student.school_id == school.id))


def class_of(db, stu, year) -> str:
    return db.session.scalar(select(ClassGroup.name).join(Enrollment, Enrollment.class_group_id == ClassGroup.id)
                             .where(Enrollment.student_id == stu.id, Enrollment.school_year_id == year.id))


def sample_column(path, label) -> list[str]:
    """Every value of a column of a sample file, read independently of the importer."""
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if label in r)
    col = header.index(label)
    return [r[col] for r in rows[rows.index(header) + 1:] if r[col]]


# --- the sample exports through the web ---------------------------------------------------

def test_csdl_sample_upload_preview_confirm(admin_client, world, db, app, before):
    preview = upload(admin_client, xb.CSDL_SAMPLE.read_bytes(), year_id=world.year.id,
                     filename="csdl_nganh_lop_10A1.xlsx")
    page = text_of(preview)
    assert preview.status_code == 200
    assert "CSDL ngành" in page
    assert "Xác nhận nhập" in page
    assert "Số định danh cá nhân" in page and "Không nhập (dữ liệu cá nhân" in page
    # 0604123456 is already a student of the school under another name: an update, with a warning.
    assert "Dòng 9: mã 0604123456 đang là học sinh “Hoàng Bảo Thảo”; họ tên sẽ đổi thành “Lý Bảo Ánh”" in page
    assert "Lớp mới sẽ được tạo" not in page  # 10A1 exists in the year
    assert "Người lập biểu" not in page.split("<tbody>")[1]  # the footer is not a row
    assert len(pending_files(app)) == 2  # the upload and its metadata, kept on the server

    response = admin_client.post(f"{URL}confirm", data={"token": token_of(preview)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/classes")
    assert pending_files(app) == []

    assert student_count(db, world.school) == before + 34
    enrolled = db.session.scalar(select(func.count()).select_from(Enrollment)
                                 .where(Enrollment.class_group_id == world.own_class.id))
    assert enrolled == 35
    renamed = student(db, world.school, "0604123456")
    assert renamed.id == world.own_student.id
    assert renamed.full_name == "Lý Bảo Ánh"
    assert renamed.date_of_birth == date(2011, 2, 9)
    y_tuan = student(db, world.school, "5526864997")
    assert (y_tuan.family_name, y_tuan.middle_name, y_tuan.given_name) == ("Y", "", "Tuấn")
    assert y_tuan.moet_id == "5526864997"
    assert y_tuan.date_of_birth == date(2011, 12, 2)
    assert y_tuan.gender == "Nam" and y_tuan.ethnicity == "Ê Đê"
    assert y_tuan.address == "Thôn 3, xã Nam Bình" and y_tuan.commune == "xã Nam Bình"
    assert y_tuan.guardian_phone == "0986666176"
    assert y_tuan.father_name == "Phan Khánh Tuấn" and y_tuan.mother_name == "Nguyễn Thu Oanh"
    assert y_tuan.status == StudentStatus.ENROLLED
    assert student(db, world.school, "6009505050").commune == "thị trấn Đức An"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "import_students"))
    assert entry.user_id == world.admin.id
    assert entry.details["created"] == 34 and entry.details["updated"] == 1
    assert entry.details["file"] == "csdl_nganh_lop_10A1.xlsx"

    follow = admin_client.get(response.headers["Location"])
    assert "Đã nhập 35 học sinh vào năm học 2026-2027: 34 mới, 1 cập nhật." in text_of(follow)


def test_national_ids_are_never_stored(admin_client, world, db):
    national_ids = sample_column(xb.CSDL_SAMPLE, "Số định danh cá nhân")
    assert "003082462819" in national_ids
    import_students(admin_client, xb.CSDL_SAMPLE.read_bytes(), world.year)
    stored = set()
    for stu in db.session.scalars(select(Student)):
        stored.update(str(getattr(stu, c.key)) for c in Student.__table__.columns)
    assert not stored & set(national_ids)
    assert all(not any(nid in text for nid in national_ids) for text in stored)


def test_vnedu_sample_two_row_header_guardian_and_footer(admin_client, world, db, before):
    response = import_students(admin_client, xb.VNEDU_SAMPLE.read_bytes(), world.year)
    assert response.status_code == 302
    assert student_count(db, world.school) == before + 29  # HS20260001 was already there
    quan = student(db, world.school, "HS20260001")
    assert quan.id == world.other_student.id
    assert quan.date_of_birth == date(2010, 3, 26)  # an Excel date cell
    assert quan.father_name == "Trần Văn Tài"  # "Họ tên cha" under the merged "Thông tin gia đình"
    assert quan.mother_name == "Huỳnh Thị Vy"
    assert quan.guardian_phone == "0998326389"  # "Điện thoại SLL", same group
    assert quan.policy == "Con thương binh" and quan.boarding == "Bán trú"
    khang = student(db, world.school, "HS20260002")
    # vnEdu's "Người đỡ đầu" is the legal guardian: stored on the student, no teacher involved.
    assert khang.guardian_name == "Ông nội"
    assert db.session.scalar(select(User).where(User.full_name == "Ông nội")) is None
    assert student(db, world.school, "HS20260014").disability == "Khuyết tật vận động"
    assert class_of(db, khang, world.year) == "11B2"
    names = set(db.session.scalars(select(Student.given_name)))
    assert not names & {"biểu", "sinh", "nhiệm", "trưởng"}  # "Tổng số: 30 học sinh", signatures


def test_vnedu_preview_shows_the_merged_header(admin_client, world):
    page = text_of(upload(admin_client, xb.VNEDU_SAMPLE.read_bytes(), year_id=world.year.id))
    assert "vnEdu" in page
    assert "Thông tin gia đình › Họ tên cha → Họ tên cha" in page
    assert "Người đỡ đầu → Người giám hộ" in page
    assert re.search(r"Dòng tiêu đề của bảng</dt><dd[^>]*>4–5<", page)


def test_unknown_classes_are_created_in_the_chosen_year(admin_client, world, db):
    next_year = f.make_year(world.school, 2027, current=False)
    preview = upload(admin_client, xb.CSDL_SAMPLE.read_bytes(), year_id=next_year.id)
    assert "Lớp mới sẽ được tạo trong năm học 2027-2028: 10A1" in plain(preview)
    admin_client.post(f"{URL}confirm", data={"token": token_of(preview)})
    group = db.session.scalar(select(ClassGroup).where(ClassGroup.school_year_id == next_year.id))
    assert (group.name, group.grade) == ("10A1", 10)
    own = db.session.get(Student, world.own_student.id)
    assert class_of(db, own, world.year) == "10A1" and class_of(db, own, next_year) == "10A1"


def test_title_year_different_from_chosen_year_is_flagged(admin_client, world):
    next_year = f.make_year(world.school, 2027, current=False)
    page = text_of(upload(admin_client, xb.VNEDU_SAMPLE.read_bytes(), year_id=next_year.id))
    assert "Tiêu đề tệp ghi năm học 2026-2027 nhưng bạn đang nhập vào năm học 2027-2028." in page


def test_reimport_updates_and_never_duplicates(admin_client, world, db, before):
    first = xb.student_list([
        ["HS001", "Nguyễn Văn An", "01/02/2011", "Nam", "10A1", "Thôn 1, xã Ea Tiêu"],
        ["HS002", "Trần Thị Bình", "03/04/2011", "Nữ", "10A1", "Thôn 2"],
        ["0012345", "Lê Văn Cường", "05/06/2011", "Nam", "10A1", None],
    ])
    import_students(admin_client, first, world.year)
    assert student_count(db, world.school) == before + 3
    second = xb.student_list([
        ["HS001", "Nguyễn Văn Ân", "11/02/2011", "Nam", "10A1", "Buôn Trấp, phường Tân Lợi"],
        ["HS002", "Trần Thị Bình", "03/04/2011", "Nữ", "10A1", "Thôn 2"],
        ["0012345", "Lê Văn Cường", "05/06/2011", "Nam", "10A1", None],
    ])
    preview = upload(admin_client, second, year_id=world.year.id)
    page = text_of(preview)
    assert page.count("badge text-bg-primary") == 3 and "badge text-bg-success" not in page
    admin_client.post(f"{URL}confirm", data={"token": token_of(preview)})
    assert student_count(db, world.school) == before + 3
    an = student(db, world.school, "HS001")
    assert an.full_name == "Nguyễn Văn Ân" and an.date_of_birth == date(2011, 2, 11)
    assert an.commune == "phường Tân Lợi"
    assert student(db, world.school, "0012345").full_name == "Lê Văn Cường"  # leading zeros kept
    enrollments = db.session.scalar(select(func.count()).select_from(Enrollment)
                                    .where(Enrollment.student_id == an.id))
    assert enrollments == 1
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "import_students")) == 2


def test_reimport_of_the_sample_is_all_updates(admin_client, world, db):
    import_students(admin_client, xb.CSDL_SAMPLE.read_bytes(), world.year)
    count = student_count(db, world.school)
    page = text_of(upload(admin_client, xb.CSDL_SAMPLE.read_bytes(), year_id=world.year.id))
    assert page.count("badge text-bg-primary") == 35
    import_students(admin_client, xb.CSDL_SAMPLE.read_bytes(), world.year)
    assert student_count(db, world.school) == count


def test_moving_a_student_to_another_class_is_shown_and_done(admin_client, world, db, before):
    data = xb.student_list([["0604123456", "Hoàng Bảo Thảo", "07/02/2011", "Nữ", "11B2", None]])
    preview = upload(admin_client, data, year_id=world.year.id)
    assert "đang ở lớp 10A1 năm học này; sẽ chuyển sang lớp 11B2" in text_of(preview)
    admin_client.post(f"{URL}confirm", data={"token": token_of(preview)})
    assert class_of(db, db.session.get(Student, world.own_student.id), world.year) == "11B2"
    assert student_count(db, world.school) == before


def test_one_bad_row_saves_nothing_and_names_its_row(admin_client, world, db, app, before):
    data = xb.student_list([
        ["HS001", "Nguyễn Văn An", "01/02/2011", "Nam", "10A1", None],  # row 5
        ["HS002", "Trần Thị Bình", "31/02/2011", "Nữ", "10A1", None],  # row 6
        ["HS003", None, "05/06/2011", "Nam", "10A1", None],  # row 7
        ["HS001", "Lê Văn Cường", "05/06/2011", "Nam", "10A1", None],  # row 8
        [None, "Phạm Thu Dung", "05/06/2011", "Nữ", "10A1", None],  # row 9
        ["HS004", "Võ Minh Em", "05/06/2011", "Không rõ", "10A1", None],  # row 10
    ])
    response = upload(admin_client, data, year_id=world.year.id)
    page = text_of(response)
    assert response.status_code == 200
    for line in ("Dòng 6: ngày sinh '31/02/2011' không hợp lệ",
                 "Dòng 7: thiếu họ tên",
                 "Dòng 8: mã học sinh HS001 trùng với dòng 5",
                 "Dòng 9: thiếu mã học sinh",
                 "Dòng 10: giới tính 'Không rõ' không rõ (ghi Nam hoặc Nữ)"):
        assert line in page
    assert "chưa nhập gì" in page
    assert "Xác nhận nhập" not in page
    assert page.count('class="row-error"') == 5
    assert pending_files(app) == []
    assert student_count(db, world.school) == before
    assert student(db, world.school, "HS001") is None


def test_apply_refuses_a_result_with_errors(world, db, vi, before):
    data = xb.student_list([["HS001", "Nguyễn Văn An", "01/02/2011", "Nam", "10A1", None],
                            ["HS002", "Trần Thị Bình", "1/13/2011", "Nữ", "10A1", None]])
    result = services.parse_students(data)
    with pytest.raises(services.ImportRejected) as caught:
        services.apply_students(result, world.year, by=world.admin)
    assert caught.value.result.error_lines() == ["Dòng 6: ngày sinh '1/13/2011' không hợp lệ (cần dạng dd/mm/yyyy)"]
    assert not db.session.new and not db.session.dirty
    db.session.rollback()
    assert student_count(db, world.school) == before


def test_class_from_title_override_or_error(admin_client, world, db, vi):
    no_class = ["STT", "Mã học sinh", "Họ và tên", "Ngày sinh"]
    rows = [["HS101", "Đinh Thị Hoa", "01/01/2011"]]
    titled = xb.student_list(rows, header=no_class, title="DANH SÁCH HỌC SINH - NĂM HỌC 2026-2027 - LỚP 11B2")
    assert services.parse_students(titled).rows[0].values["class_name"] == "11B2"
    untitled = xb.student_list(rows, header=no_class, title=None)
    result = services.parse_students(untitled)
    assert result.error_lines() == ["Dòng 2: không xác định được lớp: tệp không có cột Lớp và tiêu đề không ghi "
                                    "lớp; hãy nhập tên lớp khi tải tệp"]
    override = services.parse_students(titled, class_name="12A3")
    assert override.rows[0].values["class_name"] == "12A3"
    assert services.parse_students(titled, class_name="A3").error_lines() == [
        "Dòng 5: tên lớp 'A3' phải bắt đầu bằng khối, ví dụ 10A1"]
    # through the page: the typed class wins and is created
    import_students(admin_client, untitled, world.year, class_name="12A3")
    assert class_of(db, student(db, world.school, "HS101"), world.year) == "12A3"


def test_class_name_field_is_validated(admin_client, world):
    response = upload(admin_client, xb.CSDL_SAMPLE.read_bytes(), year_id=world.year.id, class_name="lớp mười")
    assert response.status_code == 400
    assert "Tên lớp bắt đầu bằng khối" in text_of(response)


def test_cells_ids_dates_and_phones(world, vi):
    serial = (date(2011, 2, 7) - date(1899, 12, 30)).days
    header = ["STT", "Mã học sinh", "Họ và tên", "Ngày sinh", "Lớp", "Điện thoại HS", "Trạng thái"]
    data = xb.student_list([
        ["0604000001", "Nguyễn Văn An", "07/02/2011", "10A1", "0912345678", "Đang học"],
        [5699252753, "Trần Thị Bình", date(2011, 2, 7), "10A1", 912345678, "Chuyển trường"],
        [5699252754.0, "Lê Văn Cường", serial, "10A1", None, "Thôi học"],
        ["HS9", "  Phạm   Thu\u00a0Dung ", "7/2/2011", "10A1", None, None],
        ["HS10", "Nguyen Thi E", "07/02/2011", "10A1", None, "Đi chơi"],
    ], header=header)
    rows = services.parse_students(data).rows
    assert [r.values["code"] for r in rows] == ["0604000001", "5699252753", "5699252754", "HS9", "HS10"]
    assert [r.values["date_of_birth"] for r in rows[:4]] == [date(2011, 2, 7)] * 4
    assert rows[0].values["guardian_phone"] == rows[1].values["guardian_phone"] == "0912345678"
    assert [r.values["status"] for r in rows[:4]] == [StudentStatus.ENROLLED, StudentStatus.TRANSFERRED,
                                                      StudentStatus.DROPPED_OUT, StudentStatus.ENROLLED]
    assert rows[3].values["full_name"] == "Phạm Thu Dung"
    assert rows[4].errors == ["trạng thái 'Đi chơi' không rõ (Đang học, Chuyển trường, Bỏ học, Thôi học)"]
    # a number cell shorter than the other codes may have lost its leading zero
    short = xb.student_list([["0604000001", "An", "01/01/2011", "10A1", None, None],
                             [604000002, "Bình", "01/01/2011", "10A1", None, None]], header=header)
    assert "có thể đã mất số 0 ở đầu" in services.parse_students(short).rows[1].warnings[0]


@pytest.mark.parametrize(("value", "text"), [
    (5699252753.0, "5699252753"),  # a number some exporters write as 5.699252753E9
    (5699252753, "5699252753"),
    (6.5, "6.5"),
    ("0604123456", "0604123456"),
    ("  Nguye\u0302\u0303n  Văn ", "Nguyễn Văn"),
    ("", None),
    (None, None),
    (date(2011, 2, 7), "07/02/2011"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_cell_date():
    assert cell_date("07/02/2011") == cell_date(40581) == cell_date(40581.0) == cell_date("40581") == date(2011, 2, 7)
    assert cell_date(None) is None and cell_date(" ") is None
    for bad in ("31/02/2011", "2011/13/01", "hôm qua", -5, 10**9):
        with pytest.raises(ValueError):  # noqa: PT011 — the callers only need "not a date"
            cell_date(bad)


def test_names_are_stored_nfc(admin_client, world, db):
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Hoa"
    import_students(admin_client, xb.student_list([["HS201", decomposed, "01/01/2011", "Nữ", "10A1", None]]),
                    world.year)
    stored = student(db, world.school, "HS201")
    assert stored.full_name == "Nguyễn Thị Hoa"
    assert stored.given_name == "Hoa" and stored.family_name == "Nguyễn"


def test_values_longer_than_the_columns_are_row_errors(world, vi):
    data = xb.student_list([["X" * 41, "Nguyễn Văn An", "01/01/2011", "Nam", "10A1", "a" * 301]])
    errors = services.parse_students(data).rows[0].errors
    assert errors == ["Mã học sinh dài quá 40 ký tự", "Địa chỉ dài quá 300 ký tự"]


def test_future_or_ancient_dates_are_errors(world, vi):
    data = xb.student_list([["HS1", "An", "01/01/2099", "Nam", "10A1", None],
                            ["HS2", "Bình", "01/01/1850", "Nam", "10A1", None]])
    rows = services.parse_students(data).rows
    assert rows[0].errors == ["ngày sinh '01/01/2099' không hợp lệ"]
    assert rows[1].errors == ["ngày sinh '01/01/1850' không hợp lệ"]


# --- finding the table ----------------------------------------------------------------------

def test_header_is_searched_in_the_first_40_rows(world, vi):
    row = [["HS1", "Nguyễn Văn An", "01/01/2011", "Nam", "10A1", None]]
    at_40 = xb.workbook([xb.STUDENT_HEADER, [1, *row[0]]], title_rows=[f"Dòng {i}" for i in range(1, 39)])
    result = services.parse_students(at_40)
    assert result.header_rows == (40,) and result.rows[0].number == 41
    at_41 = xb.workbook([xb.STUDENT_HEADER, [1, *row[0]]], title_rows=[f"Dòng {i}" for i in range(1, 40)])
    with pytest.raises(ImportFileError, match="Không tìm thấy dòng tiêu đề"):
        services.parse_students(at_41)


def test_footer_rows_end_the_table(world, vi):
    rows = [xb.STUDENT_HEADER, [1, "HS1", "Nguyễn Văn An", "01/01/2011", "Nam", "10A1", None],
            [], [2, "HS2", "Trần Thị Bình", "01/01/2011", "Nữ", "10A1", None]]
    footers = [["Tổng số: 2 học sinh"],
               [None, None, None, None, "Đắk Lắk, ngày 05 tháng 9 năm 2026"],
               [None, None, "GIÁO VIÊN CHỦ NHIỆM", None, "HIỆU TRƯỞNG"],
               [None, None, None, None, "Ngày ... tháng ... năm ..."]]
    for footer in footers:
        data = xb.workbook(rows, footer_rows=[footer, [None, "HS9", "Chữ ký", "01/01/2011"]])
        result = services.parse_students(data)
        assert [r.values["code"] for r in result.rows] == ["HS1", "HS2"], footer
        assert result.footer_row == 6, footer


def test_rows_after_the_footer_are_reported_not_silently_dropped(world, vi):
    """A footer-like line in the middle of a class list ends the table: the student rows below it
    are not imported, and the report says which rows (a signature block below raises nothing)."""
    rows = [xb.STUDENT_HEADER, [1, "HS1", "Nguyễn Văn An", "01/01/2011", "Nam", "10A1", None]]
    data = xb.workbook(rows, footer_rows=[["Tổng số: 1 học sinh"],
                                          [2, "HS2", "Trần Thị Bình", "01/01/2011", "Nữ", "10A1", None],
                                          [None, None, "GIÁO VIÊN CHỦ NHIỆM", None, "HIỆU TRƯỞNG"],
                                          [3, "HS3", "Lê Văn Cường", "02/02/2011", "Nam", "10A1", None]])
    result = services.parse_students(data)
    assert [r.values["code"] for r in result.rows] == ["HS1"]
    warnings = " ".join(result.warning_lines())
    assert "Dòng 5, 7 nằm sau dòng 4" in warnings and "KHÔNG được nhập" in warnings, warnings
    signed = xb.workbook(rows, footer_rows=[["Tổng số: 1 học sinh"],
                                            [None, None, "GIÁO VIÊN CHỦ NHIỆM", None, "HIỆU TRƯỞNG"],
                                            [None, None, "Nguyễn Thị Hoa", None, "Phạm Văn Đức"]])
    assert not services.parse_students(signed).warning_lines()


def test_two_row_header_under_group_labels(world, vi):
    top = ["STT", "Mã HS", "Họ và tên", "Cha", None, "Mẹ", None, "Lớp"]
    sub = [None, None, None, "Họ tên", "Nghề nghiệp", "Họ tên", "Nghề nghiệp", None]
    data = xb.workbook([top, sub, [1, "HS1", "Nguyễn Văn An", "Nguyễn Văn Ba", "Nông", "Lê Thị Tư", "Nông", "6/1"]],
                       merges=[(0, 3, 0, 4, "Cha"), (0, 5, 0, 6, "Mẹ")])
    result = services.parse_students(data)
    assert result.header_rows == (1, 2)
    values = result.rows[0].values
    assert values["full_name"] == "Nguyễn Văn An"
    assert values["father_name"] == "Nguyễn Văn Ba" and values["mother_name"] == "Lê Thị Tư"
    assert values["class_name"] == "6/1"


def test_a_row_of_column_numbers_is_skipped(world, vi):
    data = xb.workbook([xb.STUDENT_HEADER, ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
                        [1, "HS1", "Nguyễn Văn An", "01/01/2011", "Nam", "10A1", None]])
    result = services.parse_students(data)
    assert [r.number for r in result.rows] == [3]
    assert not result.has_errors


def test_the_table_may_be_on_a_later_sheet(world, vi):
    data = xb.workbook([["Hướng dẫn"], ["Xem trang sau"]],
                       extra_sheets={"DS": [xb.STUDENT_HEADER, [1, "HS1", "An", "01/01/2011", "Nam", "10A1"]]})
    result = services.parse_students(data)
    assert result.sheet_name == "DS" and len(result.rows) == 1


@pytest.mark.parametrize(("address", "commune"), [
    ("Thôn 3, xã Nam Bình", "xã Nam Bình"),
    ("Tổ dân phố 2, thị trấn Đức An, huyện Đắk Song", "thị trấn Đức An"),
    ("12 Lê Lợi, Phường Tân Lợi, TP Buôn Ma Thuột", "Phường Tân Lợi"),
    ("Buôn Ea Sup, thị xã Buôn Hồ", None),
    ("Thôn 8", None),
    (None, None),
])
def test_commune_from_address(address, commune):
    assert services.commune_from_address(address) == commune


@pytest.mark.parametrize(("title", "class_name"), [
    ("DANH SÁCH HỌC SINH LỚP 10A1", "10A1"),
    ("DANH SÁCH HỌC SINH - NĂM HỌC 2026-2027 - LỚP 11B2", "11B2"),
    ("Danh sách lớp: 6/1", "6/1"),
    ("DANH SÁCH HỌC SINH LỚP 12.6", "12.6"),
    ("DANH SÁCH HỌC SINH NĂM HỌC 2026-2027", None),
])
def test_class_from_title(title, class_name):
    assert services.class_from_title([title]) == class_name


# --- broken uploads -------------------------------------------------------------------------

def _good_list() -> bytes:
    return xb.student_list([["HS1", "Nguyễn Văn An", "01/01/2011", "Nam", "10A1", None]])


BROKEN = [
    ("text renamed .xlsx", xb.text_file, "không phải tệp Excel .xlsx"),
    ("xls", xb.xls_file, "Excel 97-2003 (.xls)"),
    ("zip bomb", xb.zip_bomb, "giải nén ra quá lớn"),
    ("too many entries", lambda: xb.many_entries(300), "quá nhiều thành phần"),
    ("vba project", lambda: xb.with_macros(_good_list()), "có chứa macro"),
    ("macro content type", lambda: xb.macro_content_type(_good_list()), "có macro (.xlsm)"),
    ("docx-like zip", xb.not_a_workbook_zip, "không phải tệp Excel .xlsx"),
    ("damaged workbook", xb.damaged_workbook, "Không đọc được tệp Excel"),
    ("xml entity bomb", xb.xml_bomb, "Không đọc được tệp Excel"),
    ("empty workbook", xb.empty_workbook, "Tệp Excel trống"),
    ("no header", xb.no_header_workbook, "Không tìm thấy dòng tiêu đề"),
    ("header only", xb.header_only_workbook, "Không có dòng dữ liệu nào dưới dòng tiêu đề (dòng 3)"),
    ("no code column", lambda: xb.workbook([["STT", "Họ và tên", "Lớp"], [1, "An", "10A1"]]),
     "Tệp không có cột mã học sinh"),
]


@pytest.mark.parametrize(("builder", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_uploads_get_a_clear_message(admin_client, world, db, app, builder, message, before):
    response = upload(admin_client, builder(), year_id=world.year.id)
    page = text_of(response)
    assert response.status_code == 400
    assert message in page
    assert "Không nhập được tệp này" in page
    assert pending_files(app) == []
    assert student_count(db, world.school) == before


def test_broken_staff_upload_gets_a_clear_message(admin_client, world):
    response = upload(admin_client, xb.text_file(), kind="staff")
    assert response.status_code == 400
    assert "không phải tệp Excel .xlsx" in text_of(response)


def test_only_xlsx_files_are_accepted(admin_client, world):
    response = upload(admin_client, xb.CSDL_SAMPLE.read_bytes(), year_id=world.year.id, filename="lop.xls")
    assert response.status_code == 400
    assert "Chỉ nhận tệp Excel .xlsx" in text_of(response)
    missing = admin_client.post(f"{URL}?kind=students", data={"kind": "students", "year_id": world.year.id},
                                content_type="multipart/form-data")
    assert missing.status_code == 400
    assert "Hãy chọn tệp Excel cần nhập." in text_of(missing)


def test_oversized_upload_is_refused(app, admin_client, world):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    response = upload(admin_client, b"x" * 60_000, year_id=world.year.id)
    assert response.status_code == 413
    assert "Tệp quá lớn" in text_of(response)


def test_container_limits_come_from_config(app, vi):
    data = xb.CSDL_SAMPLE.read_bytes()
    check_xlsx(data, app.config)
    with pytest.raises(ImportFileError, match="quá nhiều thành phần"):
        check_xlsx(data, {**app.config, "IMPORT_MAX_ZIP_ENTRIES": 3})
    with pytest.raises(ImportFileError, match="giải nén ra quá lớn"):
        check_xlsx(data, {**app.config, "IMPORT_MAX_UNCOMPRESSED": 10_000})
    with pytest.raises(ImportFileError, match="Tệp quá lớn"):
        check_xlsx(data, {**app.config, "MAX_CONTENT_LENGTH": 1000})


def test_too_many_rows(app, world, vi):
    app.config["IMPORT_MAX_ROWS"] = 3
    data = xb.student_list([[f"HS{i}", "Nguyễn Văn An", "01/01/2011", "Nam", "10A1", None] for i in range(4)])
    with pytest.raises(ImportFileError, match="quá 3 dòng"):
        services.parse_students(data)


# --- who may import, and the kept upload ---------------------------------------------------

@pytest.mark.parametrize("client_name", ["teacher_client", "leader_client", "dept_head_client", "union_client",
                                         "homeroom_client"])
def test_only_admins_may_import(request, world, db, client_name, before):
    client = request.getfixturevalue(client_name)
    assert client.get(URL).status_code == 403
    assert upload(client, xb.CSDL_SAMPLE.read_bytes(), year_id=world.year.id).status_code == 403
    assert client.post(f"{URL}confirm", data={"token": "a" * 43}).status_code == 403
    assert student_count(db, world.school) == before


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_upload_page_offers_years_and_kinds(admin_client, world):
    page = text_of(admin_client.get(URL))
    assert 'enctype="multipart/form-data"' in page
    assert f'<option selected value="{world.year.id}">2026-2027</option>' in page
    staff = text_of(admin_client.get(f"{URL}?kind=staff"))
    assert 'id="import_year_id"' in page and 'id="import_year_id"' not in staff and "Danh sách cán bộ" in staff


def test_upload_page_without_a_year_asks_for_one(client_for, db):
    school = f.make_school("Trường Mới")
    f.make_user(school, Role.ADMIN, username="admin_new")
    db.session.commit()
    page = text_of(client_for("admin_new").get(URL))
    assert "Chưa có năm học nào" in page


def test_a_token_belongs_to_its_uploader(client_for, admin_client, world, db, before):
    f.make_user(world.school, Role.ADMIN, username="admin2")
    db.session.commit()
    preview = upload(admin_client, xb.CSDL_SAMPLE.read_bytes(), year_id=world.year.id)
    token = token_of(preview)
    other = client_for("admin2")
    response = other.post(f"{URL}confirm", data={"token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    assert student_count(db, world.school) == before
    assert admin_client.post(f"{URL}confirm", data={"token": token}).status_code == 302
    assert student_count(db, world.school) == before + 34


def test_expired_or_unknown_tokens_import_nothing(app, admin_client, world, db, before):
    preview = upload(admin_client, xb.CSDL_SAMPLE.read_bytes(), year_id=world.year.id)
    token = token_of(preview)
    old = time.time() - 2 * 3600
    for name in pending_files(app):
        os.utime(os.path.join(app.instance_path, "imports", name), (old, old))
    response = admin_client.post(f"{URL}confirm", data={"token": token}, follow_redirects=True)
    assert "Không còn tệp đã tải lên" in text_of(response)
    assert student_count(db, world.school) == before
    assert pending_files(app) == []
    unknown = admin_client.post(f"{URL}confirm", data={"token": "b" * 43})
    assert unknown.status_code == 302
    for forged in ("../../etc/passwd", "", "a" * 42, "a" * 43 + ".json"):
        assert admin_client.post(f"{URL}confirm", data={"token": forged}).status_code == 400


def test_old_kept_uploads_are_cleaned_up(app, admin_client, world):
    upload(admin_client, xb.CSDL_SAMPLE.read_bytes(), year_id=world.year.id)
    old = time.time() - 2 * 3600
    first = pending_files(app)
    for name in first:
        os.utime(os.path.join(app.instance_path, "imports", name), (old, old))
    upload(admin_client, xb.VNEDU_SAMPLE.read_bytes(), year_id=world.year.id)
    remaining = pending_files(app)
    assert len(remaining) == 2 and not set(first) & set(remaining)


def test_year_must_belong_to_the_school(admin_client, world, db, before):
    other = db.session.get(Student, world.other_school_student.id)
    other_year_id = db.session.scalar(select(Enrollment.school_year_id).where(Enrollment.student_id == other.id))
    response = upload(admin_client, xb.CSDL_SAMPLE.read_bytes(), year_id=other_year_id)
    assert response.status_code == 400  # not one of the choices
    assert student_count(db, world.school) == before


# --- staff lists ----------------------------------------------------------------------------

def import_staff(client, data: bytes):
    preview = upload(client, data, kind="staff")
    assert preview.status_code == 200, text_of(preview)[:2000]
    return preview, client.post(f"{URL}confirm", data={"token": token_of(preview)})


def user_named(db, name) -> User:
    return db.session.scalar(select(User).where(User.full_name == name))


def test_staff_sample_upload_preview_confirm(admin_client, world, db):
    before = db.session.scalar(select(func.count()).select_from(User))
    preview, response = import_staff(admin_client, xb.STAFF_SAMPLE.read_bytes())
    page = text_of(preview)
    assert "Ngoại ngữ (NGOAINGU)" in page and "KHTN (KHTN)" in page and "Văn phòng (VANPHONG)" in page
    assert "Đảng viên" in page.split("Không nhập (dữ liệu cá nhân")[1].split("</p>")[0]
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")

    codes = set(db.session.scalars(select(Department.code).where(Department.school_id == world.school.id)))
    assert codes == {"TOAN", "VAN", "NGOAINGU", "KHTN", "VANPHONG"}
    # five staff already had accounts (matched by name; their accounts had no date of birth yet)
    assert db.session.scalar(select(func.count()).select_from(User)) == before + 19
    mai = user_named(db, "Đỗ Kim Mai")
    assert mai.id == world.leader.id and mai.date_of_birth == date(1976, 7, 10)
    assert mai.position == "Hiệu trưởng" and Role.LEADER in mai.roles
    quynh = db.session.get(User, world.homeroom.id)
    assert quynh.roles == {Role.LEADER, Role.TEACHER}  # Phó Hiệu trưởng
    long_ = db.session.get(User, world.union.id)
    assert long_.roles == {Role.UNION, Role.TEACHER} and long_.department.code == "NGOAINGU"

    heads = {d.code: d.head.full_name if d.head else None
             for d in db.session.scalars(select(Department).where(Department.school_id == world.school.id))}
    assert heads == {"TOAN": "Đỗ Thu Lan", "VAN": "Nguyễn Kim Phương", "NGOAINGU": "Trần Quang Tài",
                     "KHTN": "Ngô Thu Ánh", "VANPHONG": None}
    phuong = user_named(db, "Nguyễn Kim Phương")
    assert phuong.roles == {Role.DEPT_HEAD, Role.TEACHER} and phuong.department.code == "VAN"
    assert phuong.username == "phuongnk"
    assert phuong.password_hash is None and not phuong.check_password("")
    assert phuong.subject == "Ngữ văn" and phuong.phone == "0947157712" and phuong.gender == "Nữ"
    assert user_named(db, "Huỳnh Quang Tuấn").roles == {Role.TEACHER}

    usernames = list(db.session.scalars(select(User.username)))
    assert len(usernames) == len(set(usernames))
    assert {"anhnt", "anhpt", "myy", "myht"} <= set(usernames)  # Ngô/Phạm Thu Ánh, Y My, Hồ Thu My
    # Huỳnh Quang Tuấn and Hoàng Quang Tuấn, both new in the same file
    assert (user_named(db, "Huỳnh Quang Tuấn").username, user_named(db, "Hoàng Quang Tuấn").username) == (
        "tuanhq", "tuanhq2")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "import_staff"))
    assert entry.details["created"] == 19 and entry.details["updated"] == 5
    follow = text_of(admin_client.get(response.headers["Location"]))
    assert "Đã nhập 24 cán bộ: 19 tài khoản mới, 5 cập nhật." in follow


def test_staff_reimport_updates_and_never_duplicates(admin_client, world, db):
    import_staff(admin_client, xb.STAFF_SAMPLE.read_bytes())
    count = db.session.scalar(select(func.count()).select_from(User))
    preview, _response = import_staff(admin_client, xb.STAFF_SAMPLE.read_bytes())
    page = text_of(preview)
    assert page.count("badge text-bg-primary") == 24 and "Tổ mới sẽ được tạo" not in page
    assert db.session.scalar(select(func.count()).select_from(User)) == count
    assert db.session.scalar(select(func.count()).select_from(Department)) == 5


def test_new_usernames_are_unique_within_the_file(world, db, vi):
    data = xb.staff_list([["Nguyễn Văn An", "01/01/1980", "Nam", "Giáo viên", "Toán", "Toán"],
                          ["Nguyễn Văn An", "02/02/1985", "Nam", "Giáo viên", "Toán", "Toán"],
                          ["Nguyễn Văn An", "02/02/1985", "Nam", "Giáo viên", "Ngữ văn", "Văn"]])
    result = services.plan_staff(services.parse_staff(data), world.school)
    assert [r.username for r in result.rows[:2]] == ["annv", "annv2"]
    assert result.rows[2].errors == ["trùng họ tên và ngày sinh với dòng 5; thêm cột Tên đăng nhập để phân biệt"]


def test_staff_matching_needs_a_username_when_names_are_ambiguous(admin_client, world, db):
    f.make_user(world.school, Role.TEACHER, full_name="Trần Thị Hoa", username="hoatt")
    f.make_user(world.school, Role.TEACHER, full_name="Trần Thị Hoa", username="hoatt2")
    data = xb.staff_list([["Trần Thị Hoa", "01/01/1980", "Nữ", "Giáo viên", "Toán", "Toán"]])
    page = text_of(upload(admin_client, data, kind="staff"))
    assert ("Dòng 4: trùng họ tên với 2 tài khoản đã có (hoatt, hoatt2); thêm cột Tên đăng nhập để chỉ rõ"
            in page)
    assert "Xác nhận nhập" not in page
    with_usernames = xb.staff_list([["hoatt2", "Trần Thị Hoa", "01/01/1980", "Nữ", "Giáo viên"]],
                                   header=["STT", "Tên đăng nhập", "Họ và tên", "Ngày sinh", "Giới tính", "Chức vụ"])
    import_staff(admin_client, with_usernames)
    assert db.session.scalar(select(User).where(User.username == "hoatt2")).date_of_birth == date(1980, 1, 1)
    assert db.session.scalar(select(User).where(User.username == "hoatt")).date_of_birth is None


def test_staff_usernames_of_another_school_are_refused(world, db, vi):
    other_school = db.session.get(School, world.other_school_student.school_id)
    f.make_user(other_school, Role.TEACHER, username="khac", full_name="Người Trường Khác")
    data = xb.staff_list([["khac", "Người Trường Khác", "Giáo viên"], ["Ab", "Tên Sai", "Giáo viên"]],
                         header=["STT", "Tên đăng nhập", "Họ và tên", "Chức vụ"])
    result = services.plan_staff(services.parse_staff(data), world.school)
    assert result.error_lines() == [
        "Dòng 4: tên đăng nhập khac đã được dùng ở trường khác",
        "Dòng 5: tên đăng nhập 'ab' chỉ dùng chữ thường không dấu, số và . _ - (3–60 ký tự)",
    ]


def test_two_heads_for_one_department_is_an_error(world, vi):
    data = xb.staff_list([["Nguyễn Văn An", "01/01/1980", "Nam", "Tổ trưởng", "Toán", "Toán"],
                          ["Lê Thị Bình", "01/01/1981", "Nữ", "Tổ trưởng", "Tổ Toán", "Toán"],
                          ["Võ Văn Cường", "01/01/1982", "Nam", "Tổ trưởng", None, "Toán"]])
    result = services.plan_staff(services.parse_staff(data), world.school)
    assert result.error_lines() == ["Dòng 5: tổ Tổ Toán đã có tổ trưởng ở dòng 4",
                                    "Dòng 6: là tổ trưởng nhưng không ghi tổ chuyên môn"]


def test_a_new_head_replaces_the_old_one(admin_client, world, db):
    data = xb.staff_list([["Phạm Văn Mới", "01/01/1980", "Nam", "Tổ trưởng", "Toán", "Toán"],
                          ["Đỗ Thu Lan", None, "Nữ", "Giáo viên", "Toán", "Toán"]])
    import_staff(admin_client, data)
    dept = db.session.get(Department, world.dept.id)
    assert dept.head.full_name == "Phạm Văn Mới"
    assert Role.DEPT_HEAD not in db.session.get(User, world.dept_head.id).roles


def test_staff_confirm_replans_against_the_current_database(admin_client, world, db):
    preview = upload(admin_client, xb.STAFF_SAMPLE.read_bytes(), kind="staff")
    # someone adds a second "Đỗ Kim Mai" between the preview and the confirmation
    f.make_user(world.school, Role.TEACHER, full_name="Đỗ Kim Mai", username="maidk")
    before = db.session.scalar(select(func.count()).select_from(User))
    response = admin_client.post(f"{URL}confirm", data={"token": token_of(preview)})
    assert response.status_code == 409
    assert "Dòng 4: trùng họ tên với 2 tài khoản đã có (leader, maidk)" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize(("position", "roles"), [
    ("Hiệu trưởng", {Role.LEADER, Role.TEACHER}),
    ("Phó Hiệu trưởng", {Role.LEADER, Role.TEACHER}),
    ("Phó hiệu trưởng", {Role.LEADER, Role.TEACHER}),
    ("Tổ trưởng", {Role.DEPT_HEAD, Role.TEACHER}),
    ("Giáo viên, Tổ trưởng chuyên môn", {Role.DEPT_HEAD, Role.TEACHER}),
    ("Tổ phó", {Role.TEACHER}),
    ("Giáo viên", {Role.TEACHER}),
    ("Nhân viên kế toán", {Role.TEACHER}),
    ("Giáo viên, Chủ tịch Công đoàn", {Role.UNION, Role.TEACHER}),
    (None, {Role.TEACHER}),
])
def test_roles_for_position(position, roles):
    assert services.roles_for_position(position) == roles


@pytest.mark.parametrize(("name", "code"), [("Toán", "TOAN"), ("Ngữ văn", "NGUVAN"), ("Tổ Ngoại ngữ", "NGOAINGU"),
                                            ("KHTN", "KHTN"), ("Tổ chuyên môn Sử - Địa - GDCD", "SUDIAGDCD")])
def test_department_codes(name, code):
    assert services.department_code(name, set()) == code
    assert services.department_code(name, {code}) == f"{code}2"


def test_renaming_an_account_by_username_is_flagged(world, db, vi):
    data = xb.staff_list([["teacher", "Y Khánh", "Giáo viên"]], header=["STT", "Tên đăng nhập", "Họ và tên", "Chức vụ"])
    result = services.plan_staff(services.parse_staff(data), world.school)
    assert result.warning_lines() == ["Dòng 4: tài khoản teacher đang mang tên “Y Khang”; sẽ đổi thành “Y Khánh”"]
    services.apply_staff(result, world.school, by=world.admin)
    assert db.session.get(User, world.teacher.id).full_name == "Y Khánh"
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "teacher")) == 1


def test_dates_of_birth_and_emails_are_checked_like_the_forms(world, db, vi):
    """A student's age at the start of the year (3–25), a member of staff's today (18–75); e-mail
    addresses stripped and checked whole (a trailing line break was stored)."""
    students = xb.workbook([xb.STUDENT_HEADER,
                            [1, "HS1", "Nguyễn Văn An", "01/01/1900", "Nam", "10A1", None],
                            [2, "HS2", "Trần Thị Bình", "01/01/2011", "Nữ", "10A1", None],
                            [3, "HS3", "Lê Văn Cường", world.year.start_date.replace(year=world.year.start_date.year - 2)
                             .strftime("%d/%m/%Y"), "Nam", "10A1", None]])
    result = services.plan_students(services.parse_students(students), world.year)
    errors = {row.values["code"]: " ".join(row.errors) for row in result.rows}
    assert "không hợp lý" in errors["HS1"] and "không hợp lý" in errors["HS3"] and not errors["HS2"]
    staff = xb.staff_list([["Phạm Văn Đức", "01/01/1900", "Nam", "Giáo viên", "Toán", "Toán", "duc@truong.vn\n"],
                           ["Hồ Thị Em", "01/01/1990", "Nữ", "Giáo viên", "Toán", "Toán", " em@truong.vn \n"],
                           ["Vũ Văn Giang", "01/01/1990", "Nam", "Giáo viên", "Toán", "Toán", "a@b.vn\nx@y.vn"]],
                          header=[*xb.STAFF_HEADER, "Email"])
    rows = services.parse_staff(staff).rows
    assert "không hợp lý" in " ".join(rows[0].errors)
    assert rows[1].values["email"] == "em@truong.vn" and not rows[1].errors
    assert any("email" in e for e in rows[2].errors)
