"""Import class lists and staff lists from the Excel exports schools already have.

Three steps, each usable without HTTP (the web pages and `flask import` share them):

* ``parse_students`` / ``parse_staff`` read the workbook (no database): every row's field
  values and its problems, in Vietnamese, with the row number of the sheet.
* ``plan_students`` / ``plan_staff`` compare the rows with the database: new or existing
  record, classes or departments to create, and the problems only the database can tell.
* ``apply_students`` / ``apply_staff`` write everything or nothing: a result with any problem
  is refused (`ImportRejected`). They add and flush; the caller commits once.

Students are matched by their code (then by the MOET id); staff by username, else by folded
full name and date of birth. Re-importing updates, never duplicates. National ID numbers,
religion and party membership are never imported (data minimisation, Law 91/2025).
"""

import hashlib
import json
import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ARRAY, any_, bindparam, insert, or_, select, text

from .. import audit
from ..admin.services import change_status, enroll_all, suggest_username
from ..extensions import db
from ..forms import STAFF_AGES, STUDENT_AGES, birth_date_problem, clean_email, is_email
from ..identity import login_name
from ..models import (
    ClassGroup,
    Department,
    Enrollment,
    Role,
    School,
    SchoolYear,
    Student,
    StudentStatus,
    User,
)
from ..text import fold, fold_key, grade_from_class_name, nfc, split_full_name
from ..timeutil import local_today
from .staffnames import StaffMatcher
from .xlsx import ImportFileError, Table, cell_date, cell_text, is_number, read_table

STUDENTS, STAFF = "students", "staff"
HOMEROOM, TEACHING = "homeroom", "teaching"  # GVCN by class, subject teaching (imports/teachers.py)
KINDS = (STUDENTS, STAFF, HOMEROOM, TEACHING)
YEAR_KINDS = (STUDENTS, HOMEROOM, TEACHING)  # imported into a school year

# --- column aliases (compared after text.fold_key), best first ----------------------------

STUDENT_NAME_ALIASES = ("ho va ten", "ho ten", "ho va ten hoc sinh", "ho ten hoc sinh", "ten hoc sinh")
STAFF_NAME_ALIASES = ("ho va ten", "ho ten", "ho va ten can bo", "ho ten can bo", "ho va ten giao vien",
                      "ho ten giao vien", "ho va ten cb gv nv")
# The homeroom teacher of a class list's class, or of a staff-by-class table's row.
HOMEROOM_ALIASES = ("gvcn", "giao vien chu nhiem", "ho ten gvcn", "ho va ten gvcn", "gv chu nhiem",
                    "ho ten giao vien chu nhiem", "ho va ten giao vien chu nhiem", "ten gvcn")

STUDENT_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Mã học sinh first; the MOET id (Mã định danh Bộ GD&ĐT) when there is no school code.
    ("code", ("ma hoc sinh", "ma hs", "ma dinh danh bo gd dt", "ma dinh danh bo gddt", "ma dinh danh",
              "ma moet", "ma vemis", "so dang bo")),
    ("moet_id", ("ma dinh danh bo gd dt", "ma dinh danh bo gddt", "ma dinh danh", "ma moet")),
    ("full_name", STUDENT_NAME_ALIASES),
    ("date_of_birth", ("ngay sinh", "ngay thang nam sinh", "ngay sinh dd mm yyyy")),
    ("gender", ("gioi tinh",)),
    ("class_name", ("lop", "lop hoc", "ten lop", "ma lop")),
    ("ethnicity", ("dan toc",)),
    ("address", ("cho o hien nay", "cho o hn", "dia chi", "noi o hien nay", "dia chi thuong tru",
                 "noi thuong tru", "ho khau thuong tru")),
    ("guardian_phone", ("sdt lien he", "dien thoai sll", "dt sll", "dien thoai hs", "d thoai hs",
                        "so dien thoai", "dien thoai", "sdt")),
    ("father_name", ("ten cha", "ho ten cha", "ho va ten cha", "ten bo", "ho ten bo")),
    ("mother_name", ("ten me", "ho ten me", "ho va ten me")),
    # vnEdu's "Người đỡ đầu" is the legal guardian, never a sponsoring teacher.
    ("guardian_name", ("nguoi do dau", "nguoi giam ho", "ho ten nguoi giam ho", "ten nguoi giam ho",
                       "ho ten nguoi do dau")),
    ("policy", ("dien chinh sach",)),
    ("disability", ("khuyet tat",)),
    ("boarding", ("n tru b tru", "noi tru ban tru", "ban tru", "noi tru")),
    ("status", ("trang thai", "tinh trang")),
    ("homeroom", HOMEROOM_ALIASES),
)

STAFF_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("username", ("ten dang nhap", "tai khoan", "ten tai khoan", "username")),
    ("full_name", STAFF_NAME_ALIASES),
    ("date_of_birth", ("ngay sinh", "ngay thang nam sinh")),
    ("gender", ("gioi tinh",)),
    ("position", ("chuc vu", "chuc danh")),
    ("department", ("to chuyen mon", "to cm", "to", "to bo phan", "bo phan")),
    ("subject", ("mon day", "mon giang day", "mon")),
    ("phone", ("dien thoai", "so dien thoai", "dien thoai di dong", "sdt", "dtdd")),
    ("email", ("email", "e mail", "thu dien tu")),
)

# Columns never imported, whatever they are called (data minimisation).
PRIVATE_MARKERS = ("cccd", "cmnd", "can cuoc", "dinh danh ca nhan", "ho chieu", "ton giao", "dang vien")

FIELD_LABELS = {
    "code": _l("Mã học sinh"),
    "moet_id": _l("Mã định danh Bộ GD&ĐT"),
    "full_name": _l("Họ và tên"),
    "date_of_birth": _l("Ngày sinh"),
    "gender": _l("Giới tính"),
    "class_name": _l("Lớp"),
    "ethnicity": _l("Dân tộc"),
    "address": _l("Địa chỉ"),
    "guardian_phone": _l("Điện thoại liên hệ"),
    "father_name": _l("Họ tên cha"),
    "mother_name": _l("Họ tên mẹ"),
    "guardian_name": _l("Người giám hộ"),
    "policy": _l("Diện chính sách"),
    "disability": _l("Khuyết tật"),
    "boarding": _l("Nội trú, bán trú"),
    "status": _l("Trạng thái"),
    "username": _l("Tên đăng nhập"),
    "position": _l("Chức vụ"),
    "department": _l("Tổ chuyên môn"),
    "subject": _l("Môn dạy"),
    "phone": _l("Điện thoại"),
    "email": _l("Email"),
    "homeroom": _l("Giáo viên chủ nhiệm"),
    "teacher": _l("Giáo viên"),
    "year": _l("Năm học"),
}

# Longest text each field may hold (the column sizes of the models).
STUDENT_LIMITS = {"code": 40, "moet_id": 40, "gender": 10, "class_name": 20, "ethnicity": 40, "address": 300,
                  "guardian_phone": 40, "father_name": 120, "mother_name": 120, "guardian_name": 120,
                  "policy": 200, "disability": 200, "boarding": 40}
STAFF_LIMITS = {"username": 60, "full_name": 120, "gender": 10, "position": 80, "department": 120,
                "subject": 80, "phone": 40, "email": 120}
NAME_PART_LIMIT = 60

STUDENT_TEXT_FIELDS = ("moet_id", "gender", "ethnicity", "address", "commune", "guardian_phone", "father_name",
                       "mother_name", "guardian_name", "policy", "disability", "boarding")
STAFF_TEXT_FIELDS = ("date_of_birth", "gender", "position", "subject", "phone", "email")

STATUS_VALUES = {
    "dang hoc": StudentStatus.ENROLLED,
    "chuyen truong": StudentStatus.TRANSFERRED,
    "chuyen di": StudentStatus.TRANSFERRED,
    "da chuyen truong": StudentStatus.TRANSFERRED,
    "bo hoc": StudentStatus.DROPPED_OUT,
    "thoi hoc": StudentStatus.DROPPED_OUT,
    "nghi hoc": StudentStatus.DROPPED_OUT,
}
GENDERS = {"nam": "Nam", "nu": "Nữ"}

_COMMUNE_RE = re.compile(r"(?<!\w)(thị xã|thị trấn|xã|phường|đặc khu)\s+([^,;]+)", re.IGNORECASE)
_TITLE_CLASS_RE = re.compile(r"(?<![a-z])lop\s*:?\s*(\d{1,2}[0-9a-z./_-]*)")
_TITLE_YEAR_RE = re.compile(r"nam hoc\s*:?\s*(\d{4})\s*[-–]\s*(\d{4})")
_TITLE_HOMEROOM_RE = re.compile(r"(?<![a-z])(?:gvcn|giao vien chu nhiem)\s*:\s*(\S.*)$")
_USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,60}$")


class ImportRejected(Exception):  # noqa: N818 — reads as what happened to the import
    """`apply_*` refused a result with problems; nothing was written."""

    def __init__(self, result: "ParseResult"):
        super().__init__("; ".join(result.error_lines()[:5]))
        self.result = result


# --- results ------------------------------------------------------------------------------

@dataclass
class ImportRow:
    """One data row of the sheet: its values by field, its problems and what importing will do."""

    number: int  # row number in the sheet, as Excel shows it
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    action: str = ""  # "new" or "update" once planned
    target: Any = None  # the existing Student or User it updates
    username: str | None = None  # staff: the account name it will have
    roles: set = field(default_factory=set)  # staff: roles the row grants

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ColumnInfo:
    label: str
    fields: list[str]  # field names read from this column
    private: bool = False


class RowReport:
    """What a row-by-row preview asks of its result: `errors` of the whole file, `rows` with their own
    `errors` (the class lists, the teaching and homeroom tables, the class screening sheet)."""

    errors: list[str]
    rows: list

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.errors for row in self.rows)

    @property
    def error_rows(self) -> int:
        return sum(1 for row in self.rows if row.errors)


@dataclass
class ParseResult(RowReport):
    kind: str
    sheet_name: str
    format_label: str
    header_rows: tuple[int, ...]
    columns: list[ColumnInfo]
    present: set[str]  # fields the file has a column for
    rows: list[ImportRow]
    footer_row: int | None = None
    title_class: str | None = None
    title_year: str | None = None
    class_override: str | None = None
    errors: list[str] = field(default_factory=list)  # problems of the whole file
    warnings: list[str] = field(default_factory=list)
    new_classes: list[str] = field(default_factory=list)
    new_departments: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    title_homeroom: str | None = None  # a class list's "GVCN: …" title line
    homerooms: list["HomeroomChange"] = field(default_factory=list)  # class lists: GVCN to set, once planned

    def error_lines(self) -> list[str]:
        """Every problem, one line each: "Dòng 12: thiếu họ tên"."""
        lines = list(self.errors)
        for row in self.rows:
            lines.extend(_("Dòng %(n)d: %(msg)s", n=row.number, msg=msg) for msg in row.errors)
        return lines

    def warning_lines(self) -> list[str]:
        lines = list(self.warnings)
        for row in self.rows:
            lines.extend(_("Dòng %(n)d: %(msg)s", n=row.number, msg=msg) for msg in row.warnings)
        return lines

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def private_labels(self) -> list[str]:
        return [c.label for c in self.columns if c.private]

    @property
    def unused_labels(self) -> list[str]:
        return [c.label for c in self.columns if not c.fields and not c.private]


@dataclass
class HomeroomChange:
    """A class's homeroom teacher as an import sets it: `old` is the current one (None: none yet)."""

    class_name: str
    user: User
    old: User | None = None
    row: int | None = None  # the sheet row that named the teacher

    @property
    def changed(self) -> bool:
        return self.old is None or self.old.id != self.user.id


@dataclass
class ImportSummary:
    rows: int
    created: int
    updated: int
    classes_created: list[str] = field(default_factory=list)
    departments_created: list[str] = field(default_factory=list)
    new_usernames: list[str] = field(default_factory=list)
    homerooms_set: list[str] = field(default_factory=list)  # "10A1: maidk"


# --- shared helpers -----------------------------------------------------------------------

def _config(config):
    return config if config is not None else current_app.config


def _column_keys(table: Table, col: int, known: set[str]) -> list[str]:
    """Keys a column can match: under a group label ("Cha" over "Họ tên") the pair is tried first."""
    label, parent = table.labels[col], table.parents[col]
    if parent:
        combined = [fold_key(f"{label} {parent}"), fold_key(f"{parent} {label}")]
        if any(key in known for key in combined):
            return combined
    return [fold_key(label)]


def map_columns(table: Table, spec) -> tuple[dict[str, int], list[ColumnInfo]]:
    """Field → column index (the best alias wins, then the leftmost column), and every column's use."""
    known = {alias for _name, aliases in spec for alias in aliases}
    keys = [_column_keys(table, col, known) for col in range(table.width)]
    private = [any(marker in key for key in keys[col] for marker in PRIVATE_MARKERS) for col in range(table.width)]
    mapping: dict[str, int] = {}
    for name, aliases in spec:
        best = None
        for col in range(table.width):
            if private[col]:
                continue
            for key in keys[col]:
                if key in aliases:
                    rank = (aliases.index(key), col)
                    best = rank if best is None or rank < best else best
        if best is not None:
            mapping[name] = best[1]
    mapping["full_name"] = table.name_col
    columns = []
    for col in range(table.width):
        if not table.labels[col]:
            continue
        label = f"{table.parents[col]} › {table.labels[col]}" if table.parents[col] else table.labels[col]
        columns.append(ColumnInfo(label=label, fields=[n for n, c in mapping.items() if c == col],
                                  private=private[col]))
    return mapping, columns


def _text(values: list, mapping: dict[str, int], name: str) -> str | None:
    col = mapping.get(name)
    return cell_text(values[col]) if col is not None else None


def _shown(value) -> str:
    """A cell as the user typed it, for messages."""
    return cell_text(value) or ""


def _phone(value) -> str | None:
    """A phone number; a number cell that lost its leading zero (9 digits) gets it back."""
    text = cell_text(value)
    if text and is_number(value) and len(text) == 9:
        return "0" + text
    return text


def _date(row: ImportRow, value, today: date) -> date | None:
    """A date of birth (the only date column imported)."""
    try:
        parsed = cell_date(value)
    except (ValueError, OverflowError):
        row.errors.append(_("ngày sinh '%(v)s' không hợp lệ (cần dạng dd/mm/yyyy)", v=_shown(value)))
        return None
    if parsed is not None and not (date(1900, 1, 1) <= parsed <= today):
        row.errors.append(_("ngày sinh '%(v)s' không hợp lệ", v=parsed.strftime("%d/%m/%Y")))
        return None
    return parsed


def _gender(row: ImportRow, value) -> str | None:
    text = cell_text(value)
    if not text:
        return None
    gender = GENDERS.get(fold_key(text))
    if gender is None:
        row.errors.append(_("giới tính '%(v)s' không rõ (ghi Nam hoặc Nữ)", v=text))
    return gender


def _check_lengths(row: ImportRow, limits: dict[str, int]) -> None:
    for name, limit in limits.items():
        value = row.values.get(name)
        if isinstance(value, str) and len(value) > limit:
            row.errors.append(_("%(f)s dài quá %(n)d ký tự", f=FIELD_LABELS[name], n=limit))


def _check_name(row: ImportRow, full_name: str | None, limit_parts: bool = True) -> None:
    if not full_name:
        row.errors.append(_("thiếu họ tên"))
        return
    if not any(ch.isalpha() for ch in full_name):
        row.errors.append(_("họ tên '%(v)s' không hợp lệ", v=full_name))
        return
    family, middle, given = split_full_name(full_name)
    row.values.update(family_name=family, middle_name=middle, given_name=given)
    if limit_parts and any(len(part) > NAME_PART_LIMIT for part in (family, middle, given)):
        row.errors.append(_("họ tên dài quá"))


def commune_from_address(address: str | None) -> str | None:
    """The commune part of an address: "Thôn 3, xã Nam Bình" → "xã Nam Bình" (None when absent)."""
    for match in _COMMUNE_RE.finditer(nfc(address)):
        if fold(match.group(1)) == "thi xa":  # a town (district level), not a commune
            continue
        return nfc(match.group(0))[:120]
    return None


def class_from_title(lines: list[str]) -> str | None:
    """The class of a list from its title: "DANH SÁCH HỌC SINH LỚP 10A1" → "10A1"."""
    for line in lines:
        text = nfc(line)
        folded = fold(text)
        match = _TITLE_CLASS_RE.search(folded)
        if match:
            if len(folded) == len(text):
                return text[match.start(1):match.end(1)].upper()
            return match.group(1).upper()
    return None


def year_from_title(lines: list[str]) -> str | None:
    for line in lines:
        match = _TITLE_YEAR_RE.search(fold(line))
        if match:
            return f"{match.group(1)}-{match.group(2)}"
    return None


def homeroom_from_title(lines: list[str]) -> str | None:
    """The homeroom teacher a class list's title names: "GVCN: Đỗ Kim Mai" → "Đỗ Kim Mai"."""
    for line in lines:
        text = nfc(line)
        match = _TITLE_HOMEROOM_RE.search(fold(text))
        if match:
            name = text[match.start(1):] if len(fold(text)) == len(text) else match.group(1)
            return nfc(name) or None
    return None


def class_key(name: str | None) -> str:
    """Class names compared without case or spaces: "10 a1" is "10A1"."""
    return re.sub(r"\s+", "", fold(name))


def _format_label(table: Table, present_keys: set[str]) -> str:
    if present_keys & {"ma dinh danh bo gd dt", "ma dinh danh bo gddt"}:
        return str(_l("CSDL ngành (csdl.moet.gov.vn)"))
    if len(table.header_rows) > 1 or present_keys & {"ma vemis", "dien thoai sll", "nguoi do dau", "n tru b tru"}:
        return str(_l("vnEdu"))
    return str(_l("SMAS hoặc bảng Excel khác"))


def _result(kind: str, table: Table, spec) -> tuple[ParseResult, dict[str, int]]:
    mapping, columns = map_columns(table, spec)
    present_keys = {fold_key(label) for label in table.labels if label}
    result = ParseResult(kind=kind, sheet_name=table.sheet_name, format_label=_format_label(table, present_keys),
                         header_rows=table.header_rows, columns=columns, present=set(mapping), rows=[],
                         footer_row=table.footer_row)
    if table.after_footer:
        shown = ", ".join(str(n) for n in table.after_footer[:20]) + (" …" if len(table.after_footer) > 20 else "")
        result.warnings.append(_(
            "Dòng %(rows)s nằm sau dòng %(f)d (được coi là dòng cuối danh sách) nên KHÔNG được nhập. "
            "Nếu đó là dữ liệu, hãy xoá dòng %(f)d hoặc chuyển nó xuống cuối rồi nhập lại.",
            rows=shown, f=table.footer_row))
    return result, mapping


# --- students -----------------------------------------------------------------------------

def parse_students(data: bytes, *, class_name: str | None = None, config=None) -> ParseResult:
    """Read a class list. `class_name` (typed by the user) overrides the file's class for every row.

    :raises ImportFileError: the file cannot be used at all (the message says why).
    """
    config = _config(config)
    table = read_table(data, config, name_aliases=set(STUDENT_NAME_ALIASES), max_rows=config["IMPORT_MAX_ROWS"])
    result, cols = _result(STUDENTS, table, STUDENT_COLUMNS)
    if "code" not in cols:
        raise ImportFileError(_(
            "Tệp không có cột mã học sinh (Mã học sinh, Mã định danh Bộ GD&ĐT, Mã MOET…). Mã học sinh dùng để "
            "nhận ra học sinh khi nhập lại, nên bắt buộc phải có."))
    result.title_class = class_from_title(table.title_lines)
    result.title_year = year_from_title(table.title_lines)
    result.title_homeroom = homeroom_from_title(table.title_lines)
    if result.title_homeroom:
        result.present.add("homeroom")
    result.class_override = nfc(class_name) or None
    seen_codes: dict[str, int] = {}
    numeric_codes: list[ImportRow] = []
    for number, values in table.rows:
        row = ImportRow(number=number)
        _parse_student_row(row, values, cols, result)
        code = row.values.get("code")
        if code:
            if code in seen_codes:
                row.errors.append(_("mã học sinh %(c)s trùng với dòng %(n)d", c=code, n=seen_codes[code]))
            else:
                seen_codes[code] = number
            if is_number(values[cols["code"]]):
                numeric_codes.append(row)
        result.rows.append(row)
    longest = max((len(code) for code in seen_codes), default=0)
    for row in numeric_codes:
        if len(row.values["code"]) < longest:
            row.warnings.append(_(
                "mã %(c)s là ô kiểu số trong Excel nên có thể đã mất số 0 ở đầu; hãy định dạng cột mã là "
                "Văn bản (Text) rồi xuất lại nếu cần", c=row.values["code"]))
    _check_homeroom_column(result)
    return result


def _check_homeroom_column(result: ParseResult) -> None:
    """Every row of a class names the same homeroom teacher (blank cells name none)."""
    first: dict[str, tuple[str, int]] = {}
    for row in result.rows:
        name, class_name = row.values.get("homeroom"), row.values.get("class_name")
        if not name or not class_name:
            continue
        earlier = first.setdefault(class_key(class_name), (name, row.number))
        if fold_key(earlier[0]) != fold_key(name):
            row.errors.append(_("GVCN “%(v)s” khác với dòng %(n)d (“%(o)s”) của cùng lớp %(c)s",
                                v=name, n=earlier[1], o=earlier[0], c=class_name))


def _parse_student_row(row: ImportRow, values: list, cols: dict[str, int], result: ParseResult) -> None:
    v = row.values
    v["code"] = _text(values, cols, "code")
    if not v["code"]:
        row.errors.append(_("thiếu mã học sinh"))
    v["full_name"] = _text(values, cols, "full_name")
    _check_name(row, v["full_name"])
    if "moet_id" in cols:
        v["moet_id"] = _text(values, cols, "moet_id")
    if "date_of_birth" in cols:
        v["date_of_birth"] = _date(row, values[cols["date_of_birth"]], local_today())
    if "gender" in cols:
        v["gender"] = _gender(row, values[cols["gender"]])
    for name in ("ethnicity", "address", "father_name", "mother_name", "guardian_name", "policy", "disability",
                 "boarding"):
        if name in cols:
            v[name] = _text(values, cols, name)
    if "address" in cols:
        v["commune"] = commune_from_address(v["address"])
    if "guardian_phone" in cols:
        v["guardian_phone"] = _phone(values[cols["guardian_phone"]])
    if "homeroom" in cols or result.title_homeroom:
        v["homeroom"] = _text(values, cols, "homeroom") or result.title_homeroom
    if "status" in cols:
        text = _text(values, cols, "status")
        v["status"] = STATUS_VALUES.get(fold_key(text)) if text else StudentStatus.ENROLLED
        if v["status"] is None:
            row.errors.append(_("trạng thái '%(v)s' không rõ (Đang học, Chuyển trường, Bỏ học, Thôi học)", v=text))
    class_name = result.class_override or _text(values, cols, "class_name") or result.title_class
    v["class_name"] = class_name
    if not class_name:
        row.errors.append(_("không xác định được lớp: tệp không có cột Lớp và tiêu đề không ghi lớp; "
                            "hãy nhập tên lớp khi tải tệp"))
    elif grade_from_class_name(class_name) is None:
        row.errors.append(_("tên lớp '%(v)s' phải bắt đầu bằng khối, ví dụ 10A1", v=class_name))
    _check_lengths(row, STUDENT_LIMITS)


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _lookup_chunks(items: list):
    """The chunks a list of keys is looked up in: all at once on PostgreSQL (one array parameter, see
    `_in`), else 500 at a time (SQLite's limit on parameters)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return [items] if items else []
    return _chunks(items)


def _in(column, values: list):
    """`column IN values`; on PostgreSQL `column = ANY(array)`: one parameter, where an IN list costs a
    placeholder per value, each parsed and bound by the driver (most of such a lookup's time)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def plan_students(result: ParseResult, year: SchoolYear) -> ParseResult:
    """Match the rows with the school's students and the year's classes (reads only)."""
    school_id = year.school_id
    for row in result.rows:
        row.action, row.target = "", None
        problem = birth_date_problem(row.values.get("date_of_birth"), STUDENT_AGES, year.start_date)
        if problem and problem not in row.errors:  # the age at the start of the year imported into
            row.errors.append(problem)
    result.new_classes = []
    codes = sorted({r.values["code"] for r in result.rows if r.values.get("code")})
    moets = sorted({r.values["moet_id"] for r in result.rows if r.values.get("moet_id")})
    by_code: dict[str, Student] = {}
    for chunk in _lookup_chunks(codes):
        by_code.update((s.code, s) for s in db.session.scalars(
            select(Student).where(Student.school_id == school_id, _in(Student.code, chunk))))
    by_moet: dict[str, Student] = {}
    for chunk in _lookup_chunks(moets):
        wanted = set(chunk)
        for student in db.session.scalars(select(Student).where(
                Student.school_id == school_id, or_(_in(Student.moet_id, chunk), _in(Student.code, chunk)))):
            for key in (student.moet_id, student.code):
                if key in wanted:
                    by_moet.setdefault(key, student)
    classes = {class_key(c.name): c for c in db.session.scalars(
        select(ClassGroup).where(ClassGroup.school_year_id == year.id))}
    matched_ids = [s.id for s in (*by_code.values(), *by_moet.values())]
    current_class: dict[int, str] = {}
    for chunk in _lookup_chunks(matched_ids):
        current_class.update(db.session.execute(
            select(Enrollment.student_id, ClassGroup.name).join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
            .where(Enrollment.school_year_id == year.id, _in(Enrollment.student_id, chunk))).all())
    twins: dict[tuple[str, date], str] = {}
    dobs = {r.values.get("date_of_birth") for r in result.rows} - {None}
    if dobs:
        for code, family, middle, given, dob in db.session.execute(
                select(Student.code, Student.family_name, Student.middle_name, Student.given_name,
                       Student.date_of_birth)
                .where(Student.school_id == school_id, Student.date_of_birth.is_not(None))):
            if dob in dobs:
                twins[(fold(f"{family} {middle} {given}"), dob)] = code
    taken: dict[int, int] = {}
    new_classes: dict[str, str] = {}
    for row in result.rows:
        v = row.values
        code, moet = v.get("code"), v.get("moet_id")
        student = by_code.get(code) if code else None
        via_moet = False
        if student is None and moet:
            student = by_moet.get(moet)
            via_moet = student is not None
        if student is not None:
            if student.id in taken:
                row.errors.append(_("cùng một học sinh với dòng %(n)d", n=taken[student.id]))
            taken[student.id] = row.number
            row.action, row.target = "update", student
            if v.get("full_name") and fold(student.full_name) != fold(v["full_name"]):
                row.warnings.append(_("mã %(c)s đang là học sinh “%(old)s”; họ tên sẽ đổi thành “%(new)s”",
                                      c=student.code, old=student.full_name, new=v["full_name"]))
            if via_moet and student.code != code:
                row.warnings.append(_("đã có trong hệ thống với mã %(c)s (cùng mã định danh Bộ GD&ĐT); giữ mã cũ",
                                      c=student.code))
            old_class = current_class.get(student.id)
            if old_class and v.get("class_name") and class_key(old_class) != class_key(v["class_name"]):
                row.warnings.append(_("đang ở lớp %(old)s năm học này; sẽ chuyển sang lớp %(new)s",
                                      old=old_class, new=v["class_name"]))
        elif code:
            row.action = "new"
            twin = twins.get((fold(v.get("full_name")), v.get("date_of_birth")))
            if twin and twin != code:
                row.warnings.append(_("trùng họ tên và ngày sinh với học sinh mã %(c)s đã có; kiểm tra lại mã",
                                      c=twin))
        name = v.get("class_name")
        if name and grade_from_class_name(name) is not None:
            key = class_key(name)
            if key not in classes and key not in new_classes:
                new_classes[key] = name
    result.new_classes = sorted(new_classes.values(), key=lambda n: (grade_from_class_name(n), class_key(n)))
    result.homerooms = _plan_homerooms(result, year, classes)
    if result.title_year and result.title_year != year.name:
        result.warnings.append(_("Tiêu đề tệp ghi năm học %(f)s nhưng bạn đang nhập vào năm học %(y)s.",
                                 f=result.title_year, y=year.name))
    return result


def _plan_homerooms(result: ParseResult, year: SchoolYear, classes: dict[str, ClassGroup]) -> list[HomeroomChange]:
    """The homeroom teachers a class list names (a GVCN column or title line), matched with the staff by
    name; an unknown or ambiguous name is a problem of the first row naming it, never a guess."""
    named: dict[str, tuple[str, ImportRow]] = {}
    for row in result.rows:
        name, class_name = row.values.get("homeroom"), row.values.get("class_name")
        if name and class_name and grade_from_class_name(class_name) is not None:
            named.setdefault(class_key(class_name), (name, row))
    if not named:
        return []
    matcher = StaffMatcher(year.school_id)
    changes = []
    for key, (name, row) in named.items():
        match = matcher.match(name)
        if match.user is None:
            row.errors.append(_("GVCN: %(p)s", p=match.problem))
            continue
        group = classes.get(key)
        old = group.homeroom_teacher if group is not None else None
        change = HomeroomChange(class_name=group.name if group is not None else row.values["class_name"],
                                user=match.user, old=old, row=row.number)
        if old is not None and change.changed:
            row.warnings.append(_("lớp %(c)s đang do %(o)s chủ nhiệm; sẽ đổi thành %(n)s",
                                  c=change.class_name, o=old.full_name, n=match.user.full_name))
        changes.append(change)
    return sorted(changes, key=lambda c: (grade_from_class_name(c.class_name) or 0, class_key(c.class_name)))


def apply_students(result: ParseResult, year: SchoolYear, *, by: User | None = None,
                   source: str | None = None, planned: bool = False) -> ImportSummary:
    """Create or update every student of the list and their class in `year`; all or nothing.
    `planned`: `plan_students` has just matched the result against the database in this same
    transaction (the command line), else it is matched again now (the preview was another request).

    :raises ImportRejected: some row (or the file) has a problem; nothing was written.
    """
    if not planned:
        plan_students(result, year)  # against the database as it is now
    if result.has_errors:
        raise ImportRejected(result)
    classes = {class_key(c.name): c for c in db.session.scalars(
        select(ClassGroup).where(ClassGroup.school_year_id == year.id))}
    for name in result.new_classes:
        group = ClassGroup(school_id=year.school_id, school_year_id=year.id, name=name,
                           grade=grade_from_class_name(name))
        db.session.add(group)
        classes[class_key(name)] = group
    for row in result.rows:
        if row.target is not None:
            _update_student(row.target, row.values)
    db.session.flush()
    # New students (most of a first import) are inserted together, not object by object.
    new_rows = [row for row in result.rows if row.target is None]
    new_ids = _insert_students([_new_student(year, row.values) for row in new_rows])
    student_ids = {id(row): student_id for row, student_id in zip(new_rows, new_ids, strict=True)}
    enroll_all([(row.target.id if row.target is not None else student_ids[id(row)],
                 classes[class_key(row.values["class_name"])].id) for row in result.rows], year)
    homerooms_set = []
    for change in result.homerooms:
        if change.changed:
            classes[class_key(change.class_name)].homeroom_teacher_id = change.user.id
            homerooms_set.append(f"{change.class_name}: {change.user.username}")
    db.session.flush()
    summary = ImportSummary(rows=len(result.rows), created=result.count("new"), updated=result.count("update"),
                            classes_created=list(result.new_classes), homerooms_set=homerooms_set)
    details = {"homerooms_set": homerooms_set} if homerooms_set else {}
    audit.record("import_students", None, user=by, school_id=year.school_id, year=year.name, file=source,
                 rows=summary.rows, created=summary.created, updated=summary.updated,
                 classes_created=summary.classes_created, **details)
    return summary


def _insert_students(rows: list[dict]) -> list[int]:
    """Insert the students together; their ids, in order. PostgreSQL: the ids are drawn from the
    sequence first and the rows sent as one pipelined statement (psycopg spends most of the time of a
    multi-row INSERT … RETURNING parsing its tens of thousands of placeholders); SQLite: RETURNING."""
    if not rows:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(db.session.scalars(text("SELECT nextval(pg_get_serial_sequence('students', 'id')) "
                                           "FROM generate_series(1, :n)"), {"n": len(rows)}))
        db.session.execute(insert(Student), [row | {"id": i} for row, i in zip(rows, ids, strict=True)])
        return ids
    ids: list[int] = []
    for chunk in _chunks(rows):
        ids += db.session.scalars(insert(Student).returning(Student.id, sort_by_parameter_order=True), chunk).all()
    return ids


def _new_student(year: SchoolYear, values: dict) -> dict:
    """The columns of a student first met in a class list (what `_update_student` sets on a new
    student: a status other than "đang học" dates from today, as `change_status` dates it)."""
    status = values.get("status") or StudentStatus.ENROLLED
    return ({name: values.get(name) or None for name in STUDENT_TEXT_FIELDS}  # the same keys on every row
            | Student.name_columns(values["family_name"], values["middle_name"], values["given_name"], values["code"])
            | {"school_id": year.school_id, "code": values["code"], "date_of_birth": values.get("date_of_birth"),
               "status": status, "status_date": None if status == StudentStatus.ENROLLED else local_today()})


def _update_student(student: Student, values: dict) -> None:
    for name in STUDENT_TEXT_FIELDS:
        if name in values:
            setattr(student, name, values[name] or None)
    if "date_of_birth" in values:
        student.date_of_birth = values["date_of_birth"]
    student.set_name(values["family_name"], values["middle_name"], values["given_name"])
    if "status" in values and values["status"] != student.status:
        change_status(student, values["status"], None)


# --- staff --------------------------------------------------------------------------------

def roles_for_position(position: str | None) -> set[Role]:
    """Roles a chức vụ grants: everyone teaches; (Phó) Hiệu trưởng → leader; Tổ trưởng → dept_head."""
    key = fold_key(position)
    roles = {Role.TEACHER}
    if re.search(r"\b(pho )?hieu truong\b", key) or "ban giam hieu" in key:
        roles.add(Role.LEADER)
    if re.search(r"\bto truong\b", key):
        roles.add(Role.DEPT_HEAD)
    if "cong doan" in key or re.search(r"\bchu tich cd\b", key):
        roles.add(Role.UNION)
    return roles


def department_key(name: str | None) -> str:
    """Department names compared folded, without a leading "Tổ (chuyên môn)"."""
    return re.sub(r"^to (chuyen mon )?", "", fold_key(name))


def department_code(name: str, taken: set[str]) -> str:
    """"Toán" → TOAN, "Ngữ văn" → NGUVAN; a number is added when the code is taken."""
    base = department_key(name).upper().replace(" ", "")[:20] or "TO"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[:20 - len(str(n))]}{n}"
    return candidate


def parse_staff(data: bytes, *, config=None) -> ParseResult:
    """Read a staff list (Danh sách cán bộ, giáo viên, nhân viên).

    :raises ImportFileError: the file cannot be used at all.
    """
    config = _config(config)
    table = read_table(data, config, name_aliases=set(STAFF_NAME_ALIASES), max_rows=config["IMPORT_MAX_ROWS"])
    result, cols = _result(STAFF, table, STAFF_COLUMNS)
    result.format_label = str(_l("Danh sách cán bộ, giáo viên, nhân viên"))
    seen: dict[tuple, int] = {}
    for number, values in table.rows:
        row = ImportRow(number=number)
        _parse_staff_row(row, values, cols)
        v = row.values
        if v.get("username"):
            key = ("username", v["username"])
            clash = _("tên đăng nhập %(u)s trùng với dòng %(n)d", u=v["username"], n=seen.get(key, 0))
        else:
            key = ("person", fold(v.get("full_name")), v.get("date_of_birth"))
            clash = _("trùng họ tên và ngày sinh với dòng %(n)d; thêm cột Tên đăng nhập để phân biệt",
                      n=seen.get(key, 0))
        if v.get("full_name") or v.get("username"):
            if key in seen:
                row.errors.append(clash)
            else:
                seen[key] = number
        result.rows.append(row)
    return result


def _parse_staff_row(row: ImportRow, values: list, cols: dict[str, int]) -> None:
    v = row.values
    v["full_name"] = _text(values, cols, "full_name")
    _check_name(row, v["full_name"], limit_parts=False)
    if "username" in cols:
        username = login_name(_text(values, cols, "username")) or None
        v["username"] = username
        if username and not _USERNAME_RE.match(username):
            row.errors.append(_("tên đăng nhập '%(u)s' chỉ dùng chữ thường không dấu, số và . _ - (3–60 ký tự)",
                                u=username))
    if "date_of_birth" in cols:
        v["date_of_birth"] = _date(row, values[cols["date_of_birth"]], local_today())
        problem = birth_date_problem(v["date_of_birth"], STAFF_AGES, local_today())
        if problem:
            row.errors.append(problem)
    if "gender" in cols:
        v["gender"] = _gender(row, values[cols["gender"]])
    for name in ("position", "department", "subject"):
        if name in cols:
            v[name] = _text(values, cols, name)
    if "email" in cols:
        v["email"] = clean_email(_text(values, cols, "email"))
    if "phone" in cols:
        v["phone"] = _phone(values[cols["phone"]])
    if v.get("email") and not is_email(v["email"]):
        row.errors.append(_("email '%(v)s' không hợp lệ", v=v["email"]))
    row.roles = roles_for_position(v.get("position"))
    if Role.DEPT_HEAD in row.roles and not v.get("department"):
        row.errors.append(_("là tổ trưởng nhưng không ghi tổ chuyên môn"))
    _check_lengths(row, STAFF_LIMITS)


def plan_staff(result: ParseResult, school: School) -> ParseResult:
    """Match the rows with the school's accounts and departments (reads only)."""
    users = list(db.session.scalars(select(User).where(User.school_id == school.id)))
    by_username = {u.username: u for u in users}
    by_name: dict[str, list[User]] = defaultdict(list)
    for user in users:
        by_name[fold(user.full_name)].append(user)
    departments = list(db.session.scalars(select(Department).where(Department.school_id == school.id)))
    dept_by_key = {department_key(d.name): d for d in departments}
    dept_by_code = {d.code: d for d in departments}
    codes_taken = set(dept_by_code)
    new_depts: dict[str, tuple[str, str]] = {}
    heads: dict[str, int] = {}
    matched: dict[int, int] = {}
    # Usernames written in the file are reserved before any is generated.
    taken = {r.values["username"] for r in result.rows if r.values.get("username")}
    for row in result.rows:
        row.action, row.target, row.username = "", None, None
        v = row.values
        problems = len(row.errors)
        user = _match_user(row, school, by_username, by_name)
        if user is not None:
            if user.id in matched:
                row.errors.append(_("cùng một người với dòng %(n)d", n=matched[user.id]))
            matched[user.id] = row.number
            row.action, row.target, row.username = "update", user, user.username
            if v.get("full_name") and fold(user.full_name) != fold(v["full_name"]):
                row.warnings.append(_("tài khoản %(u)s đang mang tên “%(old)s”; sẽ đổi thành “%(new)s”",
                                      u=user.username, old=user.full_name, new=v["full_name"]))
            if not user.active:
                row.warnings.append(_("tài khoản %(u)s đang bị khóa; thông tin được cập nhật, tài khoản vẫn khóa",
                                      u=user.username))
        elif len(row.errors) == problems and v.get("full_name"):
            row.action = "new"
            row.username = v.get("username") or suggest_username(v["full_name"], taken=taken)
            taken.add(row.username)
        dept_name = v.get("department")
        if dept_name:
            key = department_key(dept_name)
            if key not in dept_by_key and key not in new_depts:
                by_code = dept_by_code.get(department_code(dept_name, set()))
                if by_code is not None:
                    dept_by_key[key] = by_code
                else:
                    code = department_code(dept_name, codes_taken)
                    codes_taken.add(code)
                    new_depts[key] = (code, dept_name)
            if Role.DEPT_HEAD in row.roles:
                if key in heads:
                    row.errors.append(_("tổ %(t)s đã có tổ trưởng ở dòng %(n)d", t=dept_name, n=heads[key]))
                else:
                    heads[key] = row.number
    result.new_departments = list(new_depts.values())
    return result


def _match_user(row: ImportRow, school: School, by_username: dict, by_name: dict) -> User | None:
    """The existing account a row describes: by username, else by folded name and date of birth."""
    v = row.values
    username = v.get("username")
    if username:
        user = by_username.get(username)
        if user is None:
            other = db.session.scalar(select(User).where(User.username == username))
            if other is not None:
                row.errors.append(_("tên đăng nhập %(u)s đã được dùng ở trường khác", u=username))
        return user
    if not v.get("full_name"):
        return None
    candidates = by_name.get(fold(v["full_name"]), [])
    dob = v.get("date_of_birth")
    same = [u for u in candidates if dob and u.date_of_birth == dob]
    if not same:
        # An account created by hand often has no date of birth yet.
        same = [u for u in candidates if u.date_of_birth is None or dob is None]
    if len(same) > 1:
        row.errors.append(_("trùng họ tên với %(n)d tài khoản đã có (%(u)s); thêm cột Tên đăng nhập để chỉ rõ",
                            n=len(same), u=", ".join(sorted(u.username for u in same))))
        return None
    return same[0] if same else None


def apply_staff(result: ParseResult, school: School, *, by: User | None = None,
                source: str | None = None) -> ImportSummary:
    """Create or update every staff account of the list and the departments; all or nothing.

    New accounts get no password: the admin gives each one a temporary password (Đặt lại mật khẩu).

    :raises ImportRejected: some row (or the file) has a problem; nothing was written.
    """
    plan_staff(result, school)
    if result.has_errors:
        raise ImportRejected(result)
    departments = {department_key(d.name): d for d in db.session.scalars(
        select(Department).where(Department.school_id == school.id))}
    by_code = {d.code: d for d in departments.values()}
    for code, name in result.new_departments:
        dept = Department(school_id=school.id, code=code, name=name)
        db.session.add(dept)
        departments[department_key(name)] = dept
        by_code[code] = dept
    db.session.flush()

    def dept_of(name: str) -> Department:
        return departments.get(department_key(name)) or by_code[department_code(name, set())]

    heads: list[tuple[Department, User]] = []
    users = []
    for row in result.rows:
        v = row.values
        user = row.target
        if user is None:
            user = User(school_id=school.id, username=row.username, full_name="", password_hash=None,
                        must_change_password=True)
            db.session.add(user)
        for name in STAFF_TEXT_FIELDS:
            if name in v:
                setattr(user, name, v[name] or None)
        user.set_full_name(v["full_name"])
        if "department" in result.present:
            user.department_id = dept_of(v["department"]).id if v.get("department") else None
        user.set_roles(user.roles | row.roles)
        if Role.DEPT_HEAD in row.roles:
            heads.append((dept_of(v["department"]), user))
        users.append(user)
    db.session.flush()
    for dept, user in heads:
        old_head = dept.head
        dept.head = user
        db.session.flush()
        if old_head is not None and old_head.id != user.id and not db.session.scalar(
                select(Department.id).where(Department.head_id == old_head.id).limit(1)):
            old_head.set_roles(old_head.roles - {Role.DEPT_HEAD})
    summary = ImportSummary(rows=len(result.rows), created=result.count("new"), updated=result.count("update"),
                            departments_created=[code for code, _name in result.new_departments],
                            new_usernames=[row.username for row in result.rows if row.action == "new"])
    audit.record("import_staff", None, user=by, school_id=school.id, file=source, rows=summary.rows,
                 created=summary.created, updated=summary.updated,
                 departments_created=summary.departments_created)
    return summary


# --- uploads kept between the preview and the confirmation --------------------------------

PENDING_MAX_AGE = 3600  # seconds
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


@dataclass
class PendingUpload:
    token: str
    data: bytes
    meta: dict


def pending_dir() -> Path:
    return Path(current_app.instance_path) / "imports"


def cleanup_pending(max_age: int = PENDING_MAX_AGE) -> int:
    """Delete kept uploads older than `max_age` seconds; returns how many files were removed."""
    folder = pending_dir()
    if not folder.is_dir():
        return 0
    cutoff, removed = time.time() - max_age, 0
    for path in folder.iterdir():
        if path.suffix in {".xlsx", ".json"} and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def store_pending(data: bytes, *, user: User, kind: str, year_id: int | None = None,
                  class_name: str | None = None, filename: str | None = None) -> str:
    """Keep an uploaded file on the server until it is confirmed; returns its random token."""
    cleanup_pending()
    folder = pending_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    meta = {"user_id": user.id, "school_id": user.school_id, "kind": kind, "year_id": year_id,
            "class_name": class_name, "filename": filename, "sha256": hashlib.sha256(data).hexdigest()}
    (folder / f"{token}.xlsx").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def load_pending(token: str, user: User, kinds=KINDS) -> PendingUpload | None:
    """The kept upload of `token` if it belongs to `user`, is of one of `kinds` (another feature keeps
    its own kinds of upload here too: screening.sheet) and is less than an hour old, else None."""
    if not token or not TOKEN_RE.match(token):
        return None
    folder = pending_dir()
    data_path, meta_path = folder / f"{token}.xlsx", folder / f"{token}.json"
    try:
        if time.time() - data_path.stat().st_mtime > PENDING_MAX_AGE:
            discard_pending(token)
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        data = data_path.read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user.id or meta.get("school_id") != user.school_id:
        return None
    if hashlib.sha256(data).hexdigest() != meta.get("sha256") or meta.get("kind") not in kinds:
        return None
    return PendingUpload(token=token, data=data, meta=meta)


def discard_pending(token: str) -> None:
    if not TOKEN_RE.match(token or ""):
        return
    for suffix in (".xlsx", ".json"):
        (pending_dir() / f"{token}{suffix}").unlink(missing_ok=True)
