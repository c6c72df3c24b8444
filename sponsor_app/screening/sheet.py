"""A class's screening sheet: the homeroom teacher's workbook, filled in Excel and uploaded back.

Three steps, as the class-list import (`imports.services`):

* ``build_sheet`` writes the class's sheet: one row per student (code, name and date of birth
  locked; the circumstances to mark with "x"; the two ratings as drop-downs; absences as a number;
  the two narratives of the official at-risk list), the students screened this year pre-filled,
  each with the version of its record (a hidden column).
* ``parse_sheet`` reads an upload (the safe reader of `imports.xlsx`) and checks it against the
  class and the database: every row's problems, in Vietnamese, with the row number of the sheet.
* ``apply_sheet`` writes everything or nothing: each filled row creates or updates the student's
  record through the form's own services (`create_screening` / `update_screening`: the same
  scoring, the same workflow, "proposed"), rows left empty are skipped; one audit row names the
  students. It adds and flushes; the route commits.

The sheet's texts (title, column titles) are Vietnamese whatever the interface language: the file
goes back and forth between the school's staff, and the columns are found by these titles.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..imports.services import RowReport, class_key, map_columns
from ..imports.xlsx import ImportFileError, cell_text, is_number, read_table
from ..labels import FLAG_LABELS
from ..models import (
    CIRCUMSTANCE_FLAGS,
    ClassGroup,
    Enrollment,
    RatingScale,
    School,
    Screening,
    Student,
    StudentStatus,
    User,
)
from ..params import to_int
from ..text import fold_key, nfc
from ..xlsx import Workbook
from . import services
from .scoring import RATINGS

TITLE = "BẢNG RÀ SOÁT HỌC SINH CÓ NGUY CƠ BỎ HỌC"
CLASS_PREFIX, YEAR_PREFIX = "Lớp: ", "Năm học: "
HINT = ("Đánh dấu x vào các hoàn cảnh đúng với học sinh; chọn mức rèn luyện, học tập trong danh sách; "
        "dòng nào để trống thì không nhập. Không sửa mã, họ tên, ngày sinh.")
NAME_ALIASES = {"ho va ten"}

# Longest texts, as the form allows them (ScreeningForm).
NARRATIVE_MAX = 4000
OTHER_TEXT_MAX = 300
ABSENCES_MAX = 400

MARKS = {"x", "v", "co", "1", "\u2713", "\u2714"}  # what marks a circumstance (after fold_key)


def _ratings(kind: str) -> list[str]:
    values: list[str] = []
    for scale in ("tt22", "old"):
        values += [v for v in RATINGS[scale][kind] if v not in values]
    return values


CONDUCT_VALUES, LEARNING_VALUES = _ratings("conduct"), _ratings("learning")


def columns() -> list[tuple[str, str, int]]:
    """(field, Vietnamese title, width) of every column, in order."""
    with force_locale("vi"):
        flags = [(name, str(FLAG_LABELS[name]), 11) for name in CIRCUMSTANCE_FLAGS]
    return [("sequence", "TT", 5), ("code", "Mã học sinh", 14), ("full_name", "Họ và tên", 24),
            ("date_of_birth", "Ngày sinh", 11), *flags,
            ("other_circumstance_text", "Hoàn cảnh khác (ghi rõ)", 22),
            ("conduct_rating", "Rèn luyện / hạnh kiểm", 13), ("learning_rating", "Học tập / học lực", 13),
            ("absences", "Số buổi nghỉ học từ đầu năm", 10),
            ("circumstances_text", "Hoàn cảnh gia đình, bản thân", 45),
            ("conduct_text", "Sự rèn luyện của bản thân", 40),
            ("version", "Phiên bản (không sửa)", 8)]


def sheet_filename(class_group: ClassGroup) -> str:
    from ..documents.model import filename_part

    return f"ra-soat-lop-{filename_part(class_group.name)}-{filename_part(class_group.school_year.name)}.xlsx"


def sheet_students(class_group: ClassGroup) -> list[tuple[Student, Screening | None]]:
    """The students the sheet lists: those still studying, and any already screened this year."""
    return [(student, screening) for student, screening in services.class_board(class_group)
            if screening is not None or student.status == StudentStatus.ENROLLED]


# --- the workbook -------------------------------------------------------------------------

def build_sheet(class_group: ClassGroup, rows: list[tuple[Student, Screening | None]]) -> bytes:
    """The class's sheet as .xlsx bytes (text written with write_string only)."""
    cols = columns()
    index = {name: i for i, (name, _t, _w) in enumerate(cols)}
    buf = io.BytesIO()
    book = Workbook(buf)
    base = {"font_name": "Times New Roman", "font_size": 12, "valign": "top"}
    fmt = {
        "title": book.add_format(base | {"bold": True, "font_size": 14}),
        "plain": book.add_format(base),
        "hint": book.add_format(base | {"italic": True}),
        "header": book.add_format(base | {"bold": True, "border": 1, "text_wrap": True, "align": "center",
                                          "valign": "vcenter", "bg_color": "#E8EEF7"}),
        "locked": book.add_format(base | {"border": 1, "bg_color": "#F2F2F2", "text_wrap": True}),
        "edit": book.add_format(base | {"border": 1, "locked": False, "text_wrap": True}),
        "mark": book.add_format(base | {"border": 1, "locked": False, "align": "center"}),
        "number": book.add_format(base | {"border": 1, "locked": False, "align": "center"}),
    }
    ws = book.add_worksheet(f"Lop {class_group.name}")
    year = class_group.school_year
    school = db.session.get(School, class_group.school_id)
    ws.write_string(0, 0, school.name if school else "", fmt["plain"])
    ws.write_string(1, 0, f"{TITLE} LỚP {class_group.name} NĂM HỌC {year.name}", fmt["title"])
    ws.write_string(2, 0, f"{CLASS_PREFIX}{class_group.name}", fmt["plain"])
    ws.write_string(2, 4, f"{YEAR_PREFIX}{year.name}", fmt["plain"])
    ws.write_string(3, 0, HINT, fmt["hint"])
    header = 5
    for col, (_name, title, width) in enumerate(cols):
        ws.write_string(header, col, title, fmt["header"])
        ws.set_column(col, col, width)
    ws.set_column(index["version"], index["version"], 8, None, {"hidden": True})
    ws.set_row(header, 64)
    for n, (student, screening) in enumerate(rows, start=1):
        r = header + n
        ws.write_number(r, index["sequence"], n, fmt["locked"])
        ws.write_string(r, index["code"], student.code or "", fmt["locked"])
        ws.write_string(r, index["full_name"], student.full_name, fmt["locked"])
        ws.write_string(r, index["date_of_birth"],
                        student.date_of_birth.strftime("%d/%m/%Y") if student.date_of_birth else "", fmt["locked"])
        for name in CIRCUMSTANCE_FLAGS:
            ws.write_string(r, index[name], "x" if screening is not None and getattr(screening, name) else "",
                            fmt["mark"])
        for name in ("other_circumstance_text", "conduct_rating", "learning_rating", "circumstances_text",
                     "conduct_text"):
            ws.write_string(r, index[name], (getattr(screening, name) or "") if screening is not None else "",
                            fmt["edit"])
        if screening is not None:
            ws.write_number(r, index["absences"], screening.absences or 0, fmt["number"])
            ws.write_string(r, index["version"], str(screening.version), fmt["locked"])
        else:
            ws.write_blank(r, index["absences"], None, fmt["number"])
            ws.write_blank(r, index["version"], None, fmt["locked"])
    if rows:
        first, last = header + 1, header + len(rows)
        mark = {"validate": "list", "source": ["x"], "error_title": "Hoàn cảnh",
                "error_message": "Ghi x nếu đúng với học sinh, hoặc để trống."}
        ws.data_validation(first, index[CIRCUMSTANCE_FLAGS[0]], last, index[CIRCUMSTANCE_FLAGS[-1]], mark)
        for name, values in (("conduct_rating", CONDUCT_VALUES), ("learning_rating", LEARNING_VALUES)):
            ws.data_validation(first, index[name], last, index[name], {
                "validate": "list", "source": values, "error_title": "Mức đánh giá",
                "error_message": "Chọn một mức trong danh sách: " + ", ".join(values) + "."})
        ws.data_validation(first, index["absences"], last, index["absences"], {
            "validate": "integer", "criteria": "between", "minimum": 0, "maximum": ABSENCES_MAX,
            "error_title": "Số buổi nghỉ", "error_message": f"Nhập số buổi từ 0 đến {ABSENCES_MAX}."})
        for name in ("circumstances_text", "conduct_text"):
            ws.data_validation(first, index[name], last, index[name], {
                "validate": "length", "criteria": "<=", "value": NARRATIVE_MAX, "error_title": "Quá dài",
                "error_message": f"Tối đa {NARRATIVE_MAX} ký tự."})
    ws.freeze_panes(header + 1, index["full_name"] + 1)
    ws.protect("", {"format_columns": True, "format_rows": True, "autofilter": True, "sort": False})
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header)
    book.close()
    return buf.getvalue()


# --- reading an upload ---------------------------------------------------------------------

@dataclass
class SheetRow:
    number: int  # the sheet's row number, as Excel shows it
    code: str | None = None
    full_name: str | None = None
    data: dict = field(default_factory=dict)  # the record's values, as the form's record_data gives them
    version: int | None = None
    filled: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    action: str = ""  # new | update | unchanged | skip
    student: Student | None = None
    screening: Screening | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class SheetResult(RowReport):
    rows: list[SheetRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # problems of the whole file
    warnings: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    def error_lines(self) -> list[str]:
        lines = list(self.errors)
        for row in self.rows:
            lines.extend(_("Dòng %(n)d: %(msg)s", n=row.number, msg=msg) for msg in row.errors)
        return lines


@dataclass
class SheetSummary:
    created: list[int]  # student ids
    updated: list[int]
    unchanged: int
    skipped: int


class SheetRejected(Exception):  # noqa: N818 — reads as what happened to the upload
    """`apply_sheet` refused a result with problems; nothing was written."""

    def __init__(self, result: SheetResult):
        super().__init__("; ".join(result.error_lines()[:5]))
        self.result = result


def _long_text(value) -> str:
    """A narrative as typed: NFC, line breaks kept (Excel's Alt+Enter), no NUL, stripped."""
    if value is None:
        return ""
    text = cell_text(value) if not isinstance(value, str) else value
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip()


def _title_value(lines: list[str], prefix: str) -> str | None:
    pattern = re.compile(r"^\s*" + re.escape(prefix.strip().rstrip(":")) + r"\s*:\s*(.+)$", re.IGNORECASE)
    for line in lines:
        match = pattern.match(nfc(line))
        if match:
            return match.group(1).strip()
    return None


def _read_row(row: SheetRow, values: list, cols: dict[str, int], titles: dict[str, str]) -> None:
    def raw(name):
        col = cols.get(name)
        return values[col] if col is not None and col < len(values) else None

    row.code, row.full_name = cell_text(raw("code")), cell_text(raw("full_name"))
    data: dict = {}
    for name in CIRCUMSTANCE_FLAGS:
        text = cell_text(raw(name))
        if text is None:
            data[name] = False
        elif fold_key(text) in MARKS or text.strip() in MARKS:
            data[name] = True
        else:
            data[name] = False
            row.errors.append(_("cột “%(c)s”: “%(v)s” không có trong danh sách (ghi x hoặc để trống)",
                                c=titles[name], v=text[:40]))
    other = nfc(cell_text(raw("other_circumstance_text")))
    if other:
        data["other_circumstance"] = True  # the explanation says there is another circumstance
        if len(other) > OTHER_TEXT_MAX:
            row.errors.append(_("%(c)s dài quá %(n)d ký tự", c=titles["other_circumstance_text"], n=OTHER_TEXT_MAX))
    elif data["other_circumstance"]:
        row.errors.append(_("đã đánh dấu “%(c)s” nhưng chưa ghi rõ ở cột “%(t)s”",
                            c=titles["other_circumstance"], t=titles["other_circumstance_text"]))
    data["other_circumstance_text"] = other or None
    for name, allowed in (("conduct_rating", CONDUCT_VALUES), ("learning_rating", LEARNING_VALUES)):
        text = cell_text(raw(name))
        data[name] = None
        if text:
            found = next((v for v in allowed if fold_key(v) == fold_key(text)), None)
            if found is None:
                row.errors.append(_("cột “%(c)s”: “%(v)s” không có trong danh sách (%(allowed)s)",
                                    c=titles[name], v=text[:40], allowed=", ".join(allowed)))
            data[name] = found
    data["rating_scale"] = _scale(row, data["conduct_rating"], data["learning_rating"])
    data["absences"] = _absences(row, raw("absences"), titles["absences"])
    for name in ("circumstances_text", "conduct_text"):
        data[name] = _long_text(raw(name))
        if len(data[name]) > NARRATIVE_MAX:
            row.errors.append(_("%(c)s dài quá %(n)d ký tự (hiện có %(k)d)", c=titles[name], n=NARRATIVE_MAX,
                                k=len(data[name])))
    row.filled = (any(data[name] for name in CIRCUMSTANCE_FLAGS) or bool(data["other_circumstance_text"])
                  or bool(data["conduct_rating"]) or bool(data["learning_rating"]) or bool(data["absences"])
                  or bool(data["circumstances_text"]) or bool(data["conduct_text"]))
    if row.filled and not data["circumstances_text"] and not row.errors:
        row.errors.append(_("thiếu “%(c)s” (bắt buộc, như trên phiếu rà soát)", c=titles["circumstances_text"]))
    version = cell_text(raw("version"))
    row.version = to_int(version, lo=0) if version else None
    row.data = data


def _scale(row: SheetRow, conduct: str | None, learning: str | None) -> RatingScale:
    """The rating scale the two values belong to (Circular 22 when both scales have them)."""
    fits = [scale for scale in ("tt22", "old")
            if (conduct is None or conduct in RATINGS[scale]["conduct"])
            and (learning is None or learning in RATINGS[scale]["learning"])]
    if not fits:
        row.errors.append(_("“%(a)s” và “%(b)s” không cùng một thang đánh giá (Thông tư 22: Tốt, Khá, Đạt, "
                            "Chưa đạt; thang cũ: hạnh kiểm Tốt, Khá, Trung bình, Yếu và học lực Giỏi, Khá, "
                            "Trung bình, Yếu, Kém)", a=conduct, b=learning))
        return RatingScale.TT22
    return RatingScale(fits[0])


def _absences(row: SheetRow, value, title: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    number = None
    if is_number(value) and float(value).is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,9}\s*", value):
        number = int(value)
    if number is None:
        row.errors.append(_("cột “%(c)s”: “%(v)s” không phải số buổi (số nguyên từ 0 đến %(n)d)",
                            c=title, v=cell_text(value)[:40], n=ABSENCES_MAX))
        return 0
    if number < 0:
        row.errors.append(_("số buổi nghỉ %(v)d là số âm", v=number))
        return 0
    if number > ABSENCES_MAX:
        row.errors.append(_("số buổi nghỉ %(v)d quá %(n)d buổi", v=number, n=ABSENCES_MAX))
        return 0
    return number


def parse_sheet(data: bytes, class_group: ClassGroup, *, config=None) -> SheetResult:
    """Read an uploaded sheet and check it against the class (reads only).

    :raises ImportFileError: the file cannot be used at all (the message says why).
    """
    config = config if config is not None else current_app.config
    table = read_table(data, config, name_aliases=NAME_ALIASES, max_rows=config["IMPORT_MAX_ROWS"])
    cols_spec = columns()
    titles = {name: title for name, title, _w in cols_spec}
    spec = tuple((name, (fold_key(title),)) for name, title, _w in cols_spec if name not in ("sequence", "full_name"))
    cols, _info = map_columns(table, spec)
    missing = [titles[name] for name, _t, _w in cols_spec
               if name not in cols and name not in ("sequence", "date_of_birth", "version")]
    if missing:
        raise ImportFileError(_(
            "Tệp không phải bảng rà soát của ứng dụng: thiếu cột %(cols)s. Hãy tải bảng rà soát của lớp về, "
            "điền vào bảng đó rồi tải lên.", cols=", ".join(f"“{m}”" for m in missing)))
    result = SheetResult()
    year = class_group.school_year
    named_class = _title_value(table.title_lines, CLASS_PREFIX)
    named_year = _title_value(table.title_lines, YEAR_PREFIX)
    if named_class is not None and class_key(named_class) != class_key(class_group.name):
        result.errors.append(_("Tệp này là bảng rà soát của lớp %(f)s, không phải lớp %(c)s: hãy tải lên đúng "
                               "tệp của lớp.", f=named_class, c=class_group.name))
    if named_year is not None and re.sub(r"\s+", "", named_year) != re.sub(r"\s+", "", year.name):
        result.errors.append(_("Tệp này là bảng rà soát của năm học %(f)s, không phải năm học %(y)s: hãy tải "
                               "bảng của năm học này về.", f=named_year, y=year.name))
    if named_class is None or named_year is None:
        result.warnings.append(_("Tệp không ghi lớp hoặc năm học (dòng “Lớp:” và “Năm học:” ở đầu bảng); "
                                 "hãy dùng bảng tải về từ trang rà soát của lớp."))
    for number, values in table.rows:
        row = SheetRow(number=number)
        _read_row(row, values, cols, titles)
        result.rows.append(row)
    plan_sheet(result, class_group)
    return result


def plan_sheet(result: SheetResult, class_group: ClassGroup) -> SheetResult:
    """Match the rows with the school's students, the class and this year's records (reads only)."""
    year = class_group.school_year
    codes = sorted({row.code for row in result.rows if row.code})
    students = {s.code: s for s in db.session.scalars(
        select(Student).where(Student.school_id == class_group.school_id, Student.code.in_(codes)))} if codes else {}
    ids = [s.id for s in students.values()]
    classes = dict(db.session.execute(
        select(Enrollment.student_id, ClassGroup).join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(Enrollment.school_year_id == year.id, Enrollment.student_id.in_(ids))).all()) if ids else {}
    screenings = {s.student_id: s for s in db.session.scalars(
        select(Screening).where(Screening.school_year_id == year.id, Screening.student_id.in_(ids)))} if ids else {}
    seen: dict[str, int] = {}
    for row in result.rows:
        row.student = row.screening = None
        if not row.code:
            if row.filled:
                row.errors.append(_("thiếu mã học sinh"))
            row.action = "skip" if not row.errors else ""
            continue
        if row.code in seen:
            row.errors.append(_("mã học sinh %(c)s trùng với dòng %(n)d", c=row.code, n=seen[row.code]))
            continue
        seen[row.code] = row.number
        student = students.get(row.code)
        if student is None:
            row.errors.append(_("mã học sinh %(c)s không có trong danh sách học sinh của trường", c=row.code))
            continue
        group = classes.get(student.id)
        if group is None or group.id != class_group.id:
            row.errors.append(_("học sinh %(n)s (mã %(c)s) không thuộc lớp %(k)s năm học %(y)s",
                                n=student.full_name, c=row.code, k=class_group.name, y=year.name))
            continue
        row.student, row.screening = student, screenings.get(student.id)
        if row.full_name and fold_key(row.full_name) != fold_key(student.full_name):
            row.warnings.append(_("mã %(c)s là học sinh “%(n)s”, tệp ghi “%(f)s”; nhập cho học sinh “%(n)s”",
                                  c=row.code, n=student.full_name, f=row.full_name))
        if not row.filled:
            row.action = "skip"
            if row.screening is not None:
                row.warnings.append(_("dòng để trống: phiếu rà soát đã có được giữ nguyên"))
            continue
        if row.screening is None:
            if row.version is not None:
                row.errors.append(_("phiếu rà soát của học sinh này đã bị xoá sau khi tải bảng về; hãy tải bảng "
                                    "mới"))
            elif student.status != StudentStatus.ENROLLED:
                row.errors.append(_("học sinh không còn đang học nên không đề xuất được"))
            row.action = "new" if not row.errors else ""
            continue
        if _same(row.screening, row.data):
            row.action = "unchanged" if not row.errors else ""
            continue
        if row.version != row.screening.version:
            row.errors.append(_(
                "phiếu rà soát của học sinh này đã được sửa (trên trang web hoặc bằng bảng khác) sau khi bảng này "
                "được tải về; để không ghi đè, hãy tải bảng mới của lớp rồi điền lại dòng này"))
            continue
        if not row.errors:
            row.action = "update"
            if row.screening.decision is not None:
                row.warnings.append(_("phiếu đã có kết luận; nội dung được cập nhật, kết luận giữ nguyên"))
    return result


def _same(screening: Screening, data: dict) -> bool:
    """Whether saving `data` would change nothing of the record."""
    for name in services.SCREENING_FIELDS:
        old, new = getattr(screening, name), data[name]
        if name in ("other_circumstance_text", "conduct_rating", "learning_rating", "circumstances_text",
                    "conduct_text"):
            old, new = old or "", new or ""
        elif name == "absences":
            old = old or 0
        if old != new:
            return False
    return True


def apply_sheet(result: SheetResult, class_group: ClassGroup, *, by: User, source: str | None = None,
                planned: bool = False) -> SheetSummary:
    """Create or update every filled row's record; all or nothing (the caller commits).

    :raises SheetRejected: some row (or the file) has a problem; nothing was written.
    """
    if not planned:
        plan_sheet(result, class_group)
    if result.has_errors:
        raise SheetRejected(result)
    year = class_group.school_year
    created, updated = [], []
    for row in result.rows:
        if row.action == "new":
            services.create_screening(row.student, year, row.data, by=by)
            created.append(row.student.id)
        elif row.action == "update":
            services.update_screening(row.screening, row.data, by=by)
            updated.append(row.student.id)
    summary = SheetSummary(created=created, updated=updated, unchanged=result.count("unchanged"),
                           skipped=result.count("skip"))
    audit.record("screening_sheet_imported", class_group, user=by, year=year.name, file=source,
                 created=created, updated=updated, unchanged=summary.unchanged, skipped=summary.skipped)
    return summary


