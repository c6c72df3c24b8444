"""`flask import students|staff FILE`: the web import from the command line.

Any invalid row prints every row's problems and exits non-zero without saving anything;
--dry-run checks and reports but saves nothing.
"""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..models import School, SchoolYear
from . import services
from .xlsx import ImportFileError

import_group = AppGroup("import", help="Import class and staff lists from Excel exports.")

FILE_ARG = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
DRY_RUN = click.option("--dry-run", is_flag=True, help="Check and report, save nothing.")
SCHOOL_ID = click.option("--school-id", type=int, default=None,
                         help="School to import into (default: the first school).")


def _school(school_id: int | None) -> School:
    if school_id is not None:
        school = db.session.get(School, school_id)
        if school is None:
            raise click.ClickException(f"Không có trường có id {school_id}.")
        return school
    schools = list(db.session.scalars(select(School).order_by(School.id)))
    if not schools:
        raise click.ClickException("Chưa có trường nào: chạy `flask create-admin` hoặc `flask seed-demo` trước.")
    if len(schools) > 1:
        click.echo(f"Có {len(schools)} trường; nhập vào trường đầu tiên: {schools[0].name} (id {schools[0].id}). "
                   "Dùng --school-id để chọn trường khác.", err=True)
    return schools[0]


def _read(path: Path) -> bytes:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and path.stat().st_size > limit:
        raise click.ClickException(f"Tệp quá lớn: tối đa {limit // (1024 * 1024)} MB.")
    return path.read_bytes()


def _report(result: services.ParseResult) -> None:
    header = "–".join(str(n) for n in result.header_rows)
    click.echo(f"Trang tính “{result.sheet_name}”, định dạng: {result.format_label}, dòng tiêu đề: {header}, "
               f"{len(result.rows)} dòng dữ liệu.")
    if result.private_labels:
        click.echo("Không nhập (dữ liệu cá nhân): " + ", ".join(result.private_labels))
    for line in result.warning_lines():
        click.echo("Lưu ý — " + line, err=True)


def _reject(result: services.ParseResult) -> None:
    lines = result.error_lines()
    for line in lines:
        click.echo(line, err=True)
    raise click.ClickException(f"{len(lines)} lỗi ở {result.error_rows or 1} dòng: không lưu gì.")


def _finish(dry_run: bool, message: str) -> None:
    if dry_run:
        db.session.rollback()
        click.echo(message)
        click.echo("Chạy thử (--dry-run): không lưu gì.")
    else:
        db.session.commit()
        click.echo(message)


@import_group.command("students")
@FILE_ARG
@click.option("--year", "year_name", required=True, help="School year to import into, e.g. 2026-2027.")
@click.option("--class", "class_name", default=None,
              help="Put every student in this class (when the file has no class column or title).")
@DRY_RUN
@SCHOOL_ID
def import_students(file: Path, year_name: str, class_name: str | None, dry_run: bool, school_id: int | None):
    """Import a class list (CSDL ngành, vnEdu, SMAS .xlsx): update by student code, never duplicate."""
    with force_locale("vi"):
        school = _school(school_id)
        year = db.session.scalar(select(SchoolYear).where(SchoolYear.school_id == school.id,
                                                          SchoolYear.name == year_name.strip()))
        if year is None:
            names = ", ".join(db.session.scalars(select(SchoolYear.name).where(SchoolYear.school_id == school.id)
                                                 .order_by(SchoolYear.start_date))) or "chưa có"
            raise click.ClickException(f"Không có năm học {year_name} ở {school.name}. Các năm học: {names}.")
        try:
            result = services.parse_students(_read(file), class_name=class_name)
        except ImportFileError as err:
            raise click.ClickException(str(err)) from None
        services.plan_students(result, year)
        _report(result)
        if result.has_errors:
            _reject(result)
        summary = services.apply_students(result, year, source=file.name, planned=True)
        message = (f"Năm học {year.name}: {summary.rows} học sinh, {summary.created} mới, "
                   f"{summary.updated} cập nhật.")
        if summary.classes_created:
            message += " Lớp mới: " + ", ".join(summary.classes_created) + "."
        _finish(dry_run, message)


@import_group.command("staff")
@FILE_ARG
@DRY_RUN
@SCHOOL_ID
def import_staff(file: Path, dry_run: bool, school_id: int | None):
    """Import a staff list: accounts (without passwords), roles from Chức vụ, departments from Tổ."""
    with force_locale("vi"):
        school = _school(school_id)
        try:
            result = services.parse_staff(_read(file))
        except ImportFileError as err:
            raise click.ClickException(str(err)) from None
        services.plan_staff(result, school)
        _report(result)
        if result.has_errors:
            _reject(result)
        summary = services.apply_staff(result, school, source=file.name)
        message = f"{summary.rows} cán bộ: {summary.created} tài khoản mới, {summary.updated} cập nhật."
        if summary.departments_created:
            message += " Tổ mới: " + ", ".join(summary.departments_created) + "."
        if summary.new_usernames:
            message += ("\nTài khoản mới (chưa có mật khẩu; quản trị cấp mật khẩu tạm bằng “Đặt lại mật khẩu”): "
                        + ", ".join(summary.new_usernames))
        _finish(dry_run, message)
