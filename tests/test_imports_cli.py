"""`flask import students|staff FILE`: the same rules as the web import, from the command line."""

from datetime import date

from sqlalchemy import func, select

from sponsor_app.models import (
    AuditLog,
    ClassGroup,
    Department,
    Enrollment,
    Role,
    School,
    SchoolYear,
    Student,
    User,
)
from tests import factories as f
from tests import xlsx_builders as xb


def students_of(db, school_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Student).where(Student.school_id == school_id))


def users_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def audit_count(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action))


def run(runner, *args):
    return runner.invoke(args=["import", *map(str, args)])


def test_students_sample_import_and_reimport(runner, world, db):
    before = students_of(db, world.school.id)
    result = run(runner, "students", xb.CSDL_SAMPLE, "--year", "2026-2027")
    assert result.exit_code == 0, result.output
    assert "CSDL ngành" in result.output
    assert "Không nhập (dữ liệu cá nhân): Số định danh cá nhân" in result.output
    assert "Năm học 2026-2027: 35 học sinh, 34 mới, 1 cập nhật." in result.output
    assert students_of(db, world.school.id) == before + 34
    stored = db.session.scalar(select(Student).where(Student.code == "0604123456"))
    assert stored.id == world.own_student.id and stored.full_name == "Lý Bảo Ánh"
    assert db.session.scalar(select(Student).where(Student.code == "5699252753")).date_of_birth == date(2011, 2, 7)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "import_students"))
    assert entry.user_id is None and entry.school_id == world.school.id
    assert entry.details["file"] == "csdl_nganh_lop_10A1.xlsx"

    again = run(runner, "students", xb.CSDL_SAMPLE, "--year", "2026-2027")
    assert again.exit_code == 0, again.output
    assert "35 học sinh, 0 mới, 35 cập nhật." in again.output
    assert students_of(db, world.school.id) == before + 34


def test_vnedu_sample_dry_run_saves_nothing(runner, world, db):
    before = students_of(db, world.school.id)
    result = run(runner, "students", xb.VNEDU_SAMPLE, "--year", "2026-2027", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "30 học sinh, 29 mới, 1 cập nhật." in result.output
    assert "Chạy thử (--dry-run): không lưu gì." in result.output
    assert students_of(db, world.school.id) == before
    assert audit_count(db, "import_students") == 0
    assert db.session.get(Student, world.other_student.id).guardian_name is None

    real = run(runner, "students", xb.VNEDU_SAMPLE, "--year", "2026-2027")
    assert real.exit_code == 0, real.output
    assert students_of(db, world.school.id) == before + 29
    assert db.session.scalar(select(Student).where(Student.code == "HS20260002")).guardian_name == "Ông nội"


def test_an_invalid_row_fails_and_saves_nothing(runner, world, db, tmp_path):
    before = students_of(db, world.school.id)
    path = xb.save(tmp_path, "lop.xlsx", xb.student_list([
        ["HS001", "Nguyễn Văn An", "01/02/2011", "Nam", "10A1", None],
        ["HS002", "Trần Thị Bình", "31/02/2011", "Nữ", "10A1", None],
        ["HS003", None, "05/06/2011", "Nam", "10A1", None],
    ]))
    result = run(runner, "students", path, "--year", "2026-2027")
    assert result.exit_code == 1
    assert "Dòng 6: ngày sinh '31/02/2011' không hợp lệ (cần dạng dd/mm/yyyy)" in result.output
    assert "Dòng 7: thiếu họ tên" in result.output
    assert "2 lỗi ở 2 dòng: không lưu gì." in result.output
    assert students_of(db, world.school.id) == before
    assert db.session.scalar(select(Student).where(Student.code == "HS001")) is None
    assert audit_count(db, "import_students") == 0


def test_unknown_year_is_a_clear_error(runner, world, db):
    result = run(runner, "students", xb.CSDL_SAMPLE, "--year", "2030-2031")
    assert result.exit_code == 1
    assert "Không có năm học 2030-2031" in result.output and "2026-2027" in result.output
    assert run(runner, "students", xb.CSDL_SAMPLE).exit_code == 2  # --year is required


def test_class_option_puts_everyone_in_that_class(runner, world, db, tmp_path):
    path = xb.save(tmp_path, "khong_lop.xlsx", xb.student_list(
        [["HS301", "Đinh Thị Hoa", "01/01/2011"], ["HS302", "Mai Văn Hùng", "02/01/2011"]],
        header=["STT", "Mã học sinh", "Họ và tên", "Ngày sinh"], title=None))
    refused = run(runner, "students", path, "--year", "2026-2027")
    assert refused.exit_code == 1 and "Dòng 2: không xác định được lớp" in refused.output
    result = run(runner, "students", path, "--year", "2026-2027", "--class", "12A3")
    assert result.exit_code == 0, result.output
    assert "Lớp mới: 12A3." in result.output
    group = db.session.scalar(select(ClassGroup).where(ClassGroup.name == "12A3"))
    assert group.grade == 12 and group.school_year_id == world.year.id
    assert db.session.scalar(select(func.count()).select_from(Enrollment)
                             .where(Enrollment.class_group_id == group.id)) == 2


def test_broken_files_fail_with_the_reason(runner, world, db, tmp_path):
    cases = [(xb.text_file(), "không phải tệp Excel .xlsx"), (xb.zip_bomb(), "giải nén ra quá lớn"),
             (xb.with_macros(xb.student_list([["HS1", "An", "01/01/2011", "Nam", "10A1", None]])), "macro"),
             (xb.empty_workbook(), "Tệp Excel trống"), (xb.no_header_workbook(), "Không tìm thấy dòng tiêu đề")]
    for i, (data, message) in enumerate(cases):
        result = run(runner, "students", xb.save(tmp_path, f"f{i}.xlsx", data), "--year", "2026-2027")
        assert result.exit_code == 1, result.output
        assert message in result.output
        assert "Traceback" not in result.output
    assert run(runner, "students", tmp_path / "missing.xlsx", "--year", "2026-2027").exit_code == 2


def test_school_id_imports_into_that_school_only(runner, world, db):
    other_id = world.other_school_student.school_id
    mine, theirs = students_of(db, world.school.id), students_of(db, other_id)
    result = run(runner, "students", xb.CSDL_SAMPLE, "--year", "2026-2027", "--school-id", other_id)
    assert result.exit_code == 0, result.output
    assert "35 học sinh, 35 mới, 0 cập nhật." in result.output  # 0604123456 of the first school is not theirs
    assert students_of(db, world.school.id) == mine and students_of(db, other_id) == theirs + 35
    assert db.session.get(Student, world.own_student.id).full_name == "Hoàng Bảo Thảo"
    assert run(runner, "students", xb.CSDL_SAMPLE, "--year", "2026-2027", "--school-id", 999).exit_code == 1


def test_without_school_id_the_first_school_is_used_and_said(runner, world, db):
    result = run(runner, "students", xb.CSDL_SAMPLE, "--year", "2026-2027", "--dry-run")
    assert result.exit_code == 0, result.output
    first = db.session.scalar(select(School).order_by(School.id))
    assert f"nhập vào trường đầu tiên: {first.name}" in result.output


def test_staff_sample_import(runner, world, db):
    before = users_count(db)
    dry = run(runner, "staff", xb.STAFF_SAMPLE, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "24 cán bộ: 19 tài khoản mới, 5 cập nhật." in dry.output
    assert users_count(db) == before and audit_count(db, "import_staff") == 0

    result = run(runner, "staff", xb.STAFF_SAMPLE)
    assert result.exit_code == 0, result.output
    assert "Tổ mới: VANPHONG, NGOAINGU, KHTN." in result.output
    assert "phuongnk" in result.output
    assert users_count(db) == before + 19
    head = db.session.scalar(select(Department).where(Department.code == "NGOAINGU")).head
    assert head.full_name == "Trần Quang Tài" and Role.DEPT_HEAD in head.roles
    assert head.password_hash is None
    again = run(runner, "staff", xb.STAFF_SAMPLE)
    assert again.exit_code == 0 and "0 tài khoản mới, 24 cập nhật." in again.output
    assert users_count(db) == before + 19


def test_staff_with_an_invalid_row_saves_nothing(runner, world, db, tmp_path):
    before = users_count(db)
    path = xb.save(tmp_path, "cb.xlsx", xb.staff_list([
        ["Nguyễn Văn An", "01/01/1980", "Nam", "Giáo viên", "Toán", "Toán"],
        ["Lê Thị Bình", "30/02/1981", "Nữ", "Tổ trưởng", "Tin học", "Tin"],
    ]))
    result = run(runner, "staff", path)
    assert result.exit_code == 1
    assert "Dòng 5: ngày sinh '30/02/1981' không hợp lệ" in result.output
    assert users_count(db) == before
    assert db.session.scalar(select(Department).where(Department.name == "Tin học")) is None


def test_import_into_a_new_year(runner, world, db):
    f.make_year(world.school, 2027, current=False)
    db.session.commit()
    result = run(runner, "students", xb.VNEDU_SAMPLE, "--year", "2027-2028")
    assert result.exit_code == 0, result.output
    assert "Tiêu đề tệp ghi năm học 2026-2027" in result.output
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.name == "2027-2028",
                                                      SchoolYear.school_id == world.school.id))
    assert db.session.scalar(select(ClassGroup.name).where(ClassGroup.school_year_id == year.id)) == "11B2"


def test_help_texts(runner):
    assert "--dry-run" in runner.invoke(args=["import", "students", "--help"]).output
    assert "--school-id" in runner.invoke(args=["import", "staff", "--help"]).output
