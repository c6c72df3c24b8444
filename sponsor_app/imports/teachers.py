"""Homeroom teachers and subject teaching assignments of classes, from spreadsheets.

* The staff-by-class table (kind "homeroom"): Lớp | GVCN (| Năm học) sets each class's homeroom
  teacher (`ClassGroup.homeroom_teacher`). A blank GVCN cell keeps the class's teacher.
* Teaching assignments (kind "teaching"): Lớp | Môn | Giáo viên, the template `teaching_template`
  offers filled in (`ClassTeacher`, which the mentor suggestions read). A class cell may list several
  classes ("10A1, 10A2"). Re-importing replaces the year's assignments of the classes in the file:
  the preview counts what is added, removed and unchanged. One teacher teaching two subjects in a
  class is one `ClassTeacher` whose subject lists both ("Toán, Tin học").

Both take the class lists' steps: parse (no database), plan (reads: classes by name in the year,
teachers by name with `staffnames.StaffMatcher`, never guessed), apply (all or nothing, audited;
the caller commits). Classes are never created here: a class unknown in the year is a row problem.
"""

import io
import re
from collections import defaultdict
from dataclasses import dataclass, field, fields

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import ClassGroup, ClassTeacher, SchoolYear, User
from ..text import fold_key, grade_from_class_name, nfc
from ..xlsx import Workbook
from .services import (
    HOMEROOM,
    HOMEROOM_ALIASES,
    TEACHING,
    ImportRejected,
    ImportRow,
    ParseResult,
    _result,
    _text,
    class_key,
)
from .staffnames import StaffMatcher
from .xlsx import ImportFileError, read_table

CLASS_ALIASES = ("lop", "ten lop", "lop hoc", "ma lop", "lop day", "cac lop", "lop giang day", "lop chu nhiem",
                 "chu nhiem lop")
HOMEROOM_COLUMNS = (("class_name", CLASS_ALIASES), ("year", ("nam hoc",)))
TEACHER_ALIASES = ("giao vien", "ho ten giao vien", "ho va ten giao vien", "giao vien day", "giao vien bo mon",
                   "gv bo mon", "gvbm", "gv day", "ho ten gv", "ho va ten gv", "ho va ten", "ho ten")
TEACHING_COLUMNS = (("class_name", CLASS_ALIASES),
                    ("subject", ("mon", "mon hoc", "mon day", "mon giang day", "ten mon", "mon phu trach")))

TEMPLATE_HEADER = ("Lớp", "Môn", "Giáo viên")
EXAMPLE_ROW = ("10A1", "Toán", "Nguyễn Văn Mẫu")  # in every template; skipped when uploaded back
SUBJECT_LIMIT = 80  # ClassTeacher.subject
_YEAR_RE = re.compile(r"^(\d{4})\s*[-–/]\s*(\d{4})$")
_CLASS_SPLIT_RE = re.compile(r"\s*[,;]\s*")


@dataclass
class ClassStaffResult(ParseResult):
    """A homeroom or teaching file, with what importing it changes."""

    added: int = 0  # teaching: (class, subject, teacher) added; homeroom: classes given a GVCN
    removed: int = 0  # teaching: removed; homeroom: classes whose GVCN changes
    unchanged: int = 0
    removed_items: list[tuple[str, str, str]] = field(default_factory=list)  # (class, subject, teacher)
    class_names: list[str] = field(default_factory=list)  # teaching: the classes whose assignments are replaced


@dataclass
class ClassStaffSummary:
    rows: int
    added: int
    removed: int
    unchanged: int
    classes: list[str]


def _read(kind: str, data: bytes, name_aliases, spec, missing_header: str, config=None) -> tuple[
        ClassStaffResult, dict[str, int], list]:
    config = config if config is not None else current_app.config
    table = read_table(data, config, name_aliases=set(name_aliases), max_rows=config["IMPORT_MAX_ROWS"],
                       missing_header=missing_header)
    base, cols = _result(kind, table, spec)
    result = ClassStaffResult(**{f.name: getattr(base, f.name) for f in fields(ParseResult)})
    cols.pop("full_name", None)
    cols["teacher"] = table.name_col
    for column in result.columns:
        column.fields = list(dict.fromkeys("teacher" if f == "full_name" else f for f in column.fields))
    result.present = set(cols)
    if "class_name" not in cols:
        raise ImportFileError(_("Tệp không có cột Lớp (dòng tiêu đề %(n)s); hãy dùng tệp mẫu hoặc thêm cột Lớp.",
                                n="–".join(str(n) for n in table.header_rows)))
    return result, cols, table.rows


# --- homeroom teachers by class -----------------------------------------------------------

def parse_homeroom(data: bytes, *, config=None) -> ClassStaffResult:
    """Read a staff-by-class table: Lớp | GVCN (| Năm học).

    :raises ImportFileError: the file cannot be used at all.
    """
    result, cols, rows = _read(HOMEROOM, data, HOMEROOM_ALIASES, HOMEROOM_COLUMNS, _(
        "Không tìm thấy dòng tiêu đề của bảng: trong 40 dòng đầu không có cột “GVCN” (hoặc “Giáo viên chủ "
        "nhiệm”). Bảng cần các cột Lớp | GVCN, thêm cột Năm học nếu cần."), config)
    result.format_label = str(_l("Bảng giáo viên chủ nhiệm theo lớp"))
    for number, values in rows:
        row = ImportRow(number=number)
        v = row.values
        v["class_name"] = _text(values, cols, "class_name")
        v["homeroom"] = _text(values, cols, "teacher")
        v["year"] = _text(values, cols, "year") if "year" in cols else None
        if not v["class_name"]:
            row.errors.append(_("thiếu tên lớp"))
        if v["year"] and not _YEAR_RE.match(v["year"]):
            row.errors.append(_("năm học “%(v)s” không rõ (ghi dạng 2026-2027)", v=v["year"]))
        result.rows.append(row)
    return result


def _year_name(text: str) -> str:
    match = _YEAR_RE.match(text)
    return f"{match.group(1)}-{match.group(2)}" if match else text


def plan_homeroom(result: ClassStaffResult, year: SchoolYear) -> ClassStaffResult:
    """Match every row with a class of its year and a staff member (reads only). Rows without a Năm học
    are of `year`, the year chosen on the upload form."""
    years = {y.name: y for y in db.session.scalars(select(SchoolYear).where(SchoolYear.school_id == year.school_id))}
    classes: dict[int, dict[str, ClassGroup]] = {}

    def classes_of(y: SchoolYear) -> dict[str, ClassGroup]:
        if y.id not in classes:
            classes[y.id] = {class_key(c.name): c for c in db.session.scalars(
                select(ClassGroup).where(ClassGroup.school_year_id == y.id))}
        return classes[y.id]

    matcher = StaffMatcher(year.school_id)
    seen: dict[tuple[int, str], int] = {}
    result.added = result.removed = result.unchanged = 0
    for row in result.rows:
        row.action, row.target = "", None
        v = row.values
        row_year = year
        if v.get("year"):
            row_year = years.get(_year_name(v["year"]))
            if row_year is None and _YEAR_RE.match(v["year"]):
                row.errors.append(_("năm học %(v)s chưa có trong hệ thống (Thiết lập → Năm học)", v=v["year"]))
        if row_year is None or not v.get("class_name"):
            continue
        v["year_name"] = row_year.name
        group = classes_of(row_year).get(class_key(v["class_name"]))
        if group is None:
            row.errors.append(_("lớp %(c)s không có trong năm học %(y)s; nhập danh sách lớp hoặc tạo lớp trước",
                                c=v["class_name"], y=row_year.name))
            continue
        key = (row_year.id, class_key(group.name))
        if key in seen:
            row.errors.append(_("lớp %(c)s đã có ở dòng %(n)d", c=group.name, n=seen[key]))
            continue
        seen[key] = row.number
        row.target = group
        if not v.get("homeroom"):
            row.warnings.append(_("ô GVCN trống: giữ nguyên GVCN hiện tại của lớp %(c)s", c=group.name))
            continue
        match = matcher.match(v["homeroom"])
        if match.user is None:
            row.errors.append(match.problem)
            continue
        v["user"] = match.user
        old = group.homeroom_teacher
        if old is None:
            row.action = "new"
        elif old.id == match.user.id:
            row.action = "same"
        else:
            row.action = "update"
            row.warnings.append(_("lớp %(c)s đang do %(o)s chủ nhiệm; sẽ đổi thành %(n)s",
                                  c=group.name, o=old.full_name, n=match.user.full_name))
    _warn_several_classes(result, classes)
    result.added, result.removed, result.unchanged = (result.count("new"), result.count("update"),
                                                      result.count("same"))
    return result


def _warn_several_classes(result: ClassStaffResult, classes: dict[int, dict[str, ClassGroup]]) -> None:
    """A teacher who would be the homeroom teacher of several classes of a year (a warning: it happens)."""
    final: dict[int, int | None] = {c.id: c.homeroom_teacher_id for by_key in classes.values()
                                    for c in by_key.values()}
    for row in result.rows:
        if row.values.get("user") is not None and row.target is not None and not row.errors:
            final[row.target.id] = row.values["user"].id
    names = {c.id: (c.school_year_id, c.name) for by_key in classes.values() for c in by_key.values()}
    per_teacher: dict[tuple[int, int], list[str]] = defaultdict(list)
    for class_id, user_id in final.items():
        if user_id is not None:
            per_teacher[(names[class_id][0], user_id)].append(names[class_id][1])
    for row in result.rows:
        user, group = row.values.get("user"), row.target
        if user is None or group is None or row.errors:
            continue
        several = per_teacher[(group.school_year_id, user.id)]
        if len(several) > 1:
            row.warnings.append(_("%(who)s sẽ chủ nhiệm %(n)d lớp: %(c)s", who=user.full_name, n=len(several),
                                  c=", ".join(sorted(several, key=_class_order))))


def apply_homeroom(result: ClassStaffResult, year: SchoolYear, *, by: User | None = None,
                   source: str | None = None) -> ClassStaffSummary:
    """Set the homeroom teacher of every class of the table; all or nothing.

    :raises ImportRejected: some row (or the file) has a problem; nothing was written.
    """
    plan_homeroom(result, year)
    if result.has_errors:
        raise ImportRejected(result)
    changed = []
    for row in result.rows:
        if row.action in ("new", "update"):
            row.target.homeroom_teacher_id = row.values["user"].id
            changed.append(f"{row.values['year_name']} {row.target.name}: {row.values['user'].username}")
    db.session.flush()
    summary = ClassStaffSummary(rows=len(result.rows), added=result.added, removed=result.removed,
                                unchanged=result.unchanged, classes=changed)
    audit.record("import_homerooms", None, user=by, school_id=year.school_id, year=year.name, file=source,
                 rows=summary.rows, set=changed, unchanged=summary.unchanged)
    return summary


# --- teaching assignments -----------------------------------------------------------------

def _is_example(values: dict) -> bool:
    return tuple(fold_key(values.get(k)) for k in ("class_name", "subject", "teacher")) == \
        tuple(fold_key(x) for x in EXAMPLE_ROW)


def parse_teaching(data: bytes, *, config=None) -> ClassStaffResult:
    """Read the teaching assignments: Lớp | Môn | Giáo viên.

    :raises ImportFileError: the file cannot be used at all.
    """
    result, cols, rows = _read(TEACHING, data, TEACHER_ALIASES, TEACHING_COLUMNS, _(
        "Không tìm thấy dòng tiêu đề của bảng: trong 40 dòng đầu không có cột “Giáo viên”. Hãy dùng tệp mẫu "
        "(Lớp | Môn | Giáo viên)."), config)
    if "subject" not in cols:
        raise ImportFileError(_("Tệp không có cột Môn; hãy dùng tệp mẫu (Lớp | Môn | Giáo viên)."))
    result.format_label = str(_l("Phân công giảng dạy (Lớp | Môn | Giáo viên)"))
    for number, values in rows:
        row = ImportRow(number=number)
        v = row.values
        v["class_name"] = _text(values, cols, "class_name")
        v["subject"] = _text(values, cols, "subject")
        v["teacher"] = _text(values, cols, "teacher")
        if _is_example(v):
            result.warnings.append(_("Dòng %(n)d là dòng ví dụ của tệp mẫu (%(ex)s): bỏ qua.", n=number,
                                     ex=" | ".join(EXAMPLE_ROW)))
            continue
        v["class_names"] = [nfc(c) for c in _CLASS_SPLIT_RE.split(v["class_name"] or "") if nfc(c)]
        if not v["class_names"]:
            row.errors.append(_("thiếu lớp"))
        if not v["subject"]:
            row.errors.append(_("thiếu môn"))
        elif len(v["subject"]) > SUBJECT_LIMIT:
            row.errors.append(_("tên môn dài quá %(n)d ký tự", n=SUBJECT_LIMIT))
        if not v["teacher"]:
            row.errors.append(_("thiếu tên giáo viên"))
        result.rows.append(row)
    if not result.rows:
        raise ImportFileError(_("Tệp chưa có dòng phân công nào ngoài dòng ví dụ của tệp mẫu."))
    return result


def _subjects(text: str | None) -> dict[str, str]:
    """A stored subject ("Toán, Tin học") as {folded: as written}; no subject is {"": ""}."""
    parts = [nfc(p) for p in _CLASS_SPLIT_RE.split(text or "") if nfc(p)]
    return {fold_key(p): p for p in parts} or {"": ""}


def plan_teaching(result: ClassStaffResult, year: SchoolYear) -> ClassStaffResult:
    """Match the rows with the year's classes and the staff, and compare with the assignments stored
    for the classes of the file (reads only)."""
    classes = {class_key(c.name): c for c in db.session.scalars(
        select(ClassGroup).where(ClassGroup.school_year_id == year.id))}
    matcher = StaffMatcher(year.school_id)
    seen: dict[tuple[int, int, str], int] = {}
    wanted: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)  # (class, teacher) → subjects
    last_row: dict[tuple[int, int], ImportRow] = {}
    touched: dict[int, ClassGroup] = {}
    row_items: dict[int, list[tuple[int, int, str]]] = {}
    for row in result.rows:
        row.action, row.target = "", None
        v = row.values
        groups = []
        for name in v.get("class_names", []):
            group = classes.get(class_key(name))
            if group is None:
                row.errors.append(_("lớp %(c)s không có trong năm học %(y)s", c=name, y=year.name))
            else:
                groups.append(group)
                touched[group.id] = group
        user = None
        if v.get("teacher"):
            match = matcher.match(v["teacher"])
            if match.user is None:
                row.errors.append(match.problem)
            user = match.user
        v["user"], v["groups"] = user, groups
        if row.errors or user is None or not v.get("subject"):
            continue
        items = []
        for group in groups:
            item = (group.id, user.id, fold_key(v["subject"]))
            if item in seen:
                row.errors.append(_("trùng với dòng %(n)d (lớp %(c)s, môn %(s)s, %(who)s)", n=seen[item],
                                    c=group.name, s=v["subject"], who=user.full_name))
                continue
            seen[item] = row.number
            wanted[(group.id, user.id)].setdefault(item[2], v["subject"])
            last_row[(group.id, user.id)] = row
            items.append(item)
        row_items[row.number] = items
    for pair, subjects in wanted.items():
        if len(", ".join(subjects.values())) > SUBJECT_LIMIT:
            last_row[pair].errors.append(_("các môn của %(who)s ở lớp %(c)s dài quá %(n)d ký tự khi ghép lại",
                                           who=last_row[pair].values["user"].full_name,
                                           c=touched[pair[0]].name, n=SUBJECT_LIMIT))
    stored: set[tuple[int, int, str]] = set()
    stored_names: dict[tuple[int, int, str], tuple[str, str, str]] = {}
    if touched:
        for ct, full_name in db.session.execute(
                select(ClassTeacher, User.full_name).join(User, User.id == ClassTeacher.user_id)
                .where(ClassTeacher.class_group_id.in_(list(touched)))):
            for key, subject in _subjects(ct.subject).items():
                item = (ct.class_group_id, ct.user_id, key)
                stored.add(item)
                stored_names[item] = (touched[ct.class_group_id].name, subject, full_name)
    wanted_items = set(seen)
    added = wanted_items - stored
    for row in result.rows:
        items = row_items.get(row.number)
        if items is not None and not row.errors:
            row.action = "new" if any(item in added for item in items) else "same"
    result.added, result.unchanged = len(added), len(wanted_items & stored)
    gone = stored - wanted_items
    result.removed = len(gone)
    result.removed_items = sorted((stored_names[item] for item in gone),
                                  key=lambda t: (_class_order(t[0]), fold_key(t[1]), fold_key(t[2])))
    result.class_names = sorted((g.name for g in touched.values()), key=_class_order)
    return result


def apply_teaching(result: ClassStaffResult, year: SchoolYear, *, by: User | None = None,
                   source: str | None = None) -> ClassStaffSummary:
    """Replace the year's teaching assignments of the classes in the file by the file's; all or nothing.

    :raises ImportRejected: some row (or the file) has a problem; nothing was written.
    """
    plan_teaching(result, year)
    if result.has_errors:
        raise ImportRejected(result)
    wanted: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)  # (class, teacher) → subjects
    groups: dict[int, ClassGroup] = {}
    for row in result.rows:
        v = row.values
        for group in v["groups"]:
            groups[group.id] = group
            wanted[(group.id, v["user"].id)].setdefault(fold_key(v["subject"]), v["subject"])
    stored = {(ct.class_group_id, ct.user_id): ct for ct in db.session.scalars(
        select(ClassTeacher).where(ClassTeacher.class_group_id.in_(list(groups))))}
    for pair, ct in stored.items():
        if pair not in wanted:
            db.session.delete(ct)
        elif set(_subjects(ct.subject)) != set(wanted[pair]):
            ct.subject = ", ".join(wanted[pair].values())
    db.session.flush()
    for pair, subjects in wanted.items():
        if pair not in stored:
            db.session.add(ClassTeacher(class_group_id=pair[0], user_id=pair[1], subject=", ".join(subjects.values())))
    db.session.flush()
    names = sorted((g.name for g in groups.values()), key=_class_order)
    summary = ClassStaffSummary(rows=len(result.rows), added=result.added, removed=result.removed,
                                unchanged=result.unchanged, classes=names)
    audit.record("import_teaching", None, user=by, school_id=year.school_id, year=year.name, file=source,
                 rows=summary.rows, added=summary.added, removed=summary.removed, unchanged=summary.unchanged,
                 classes=names)
    return summary


def _class_order(name: str) -> tuple:
    return (grade_from_class_name(name) or 0, class_key(name))


# --- the template ---------------------------------------------------------------------------

def teaching_template(year: SchoolYear) -> bytes:
    """The teaching assignments workbook to fill in: Lớp | Môn | Giáo viên with the example row, then
    the year's assignments as stored (so a school edits and uploads back); beside it the instructions,
    the year's classes and the staff as the Giáo viên column expects them (lists to pick from)."""
    classes = sorted(db.session.scalars(select(ClassGroup).where(ClassGroup.school_year_id == year.id)),
                     key=lambda c: _class_order(c.name))
    staff = list(db.session.scalars(select(User).where(User.school_id == year.school_id, User.active.is_(True))
                                    .order_by(User.sort_key)))
    shared = defaultdict(int)
    for user in staff:
        shared[fold_key(user.full_name)] += 1

    def written(user: User) -> str:  # a name two staff carry is written with the username
        return f"{user.full_name} ({user.username})" if shared[fold_key(user.full_name)] > 1 else user.full_name

    rows = []
    by_id = {c.id: c for c in classes}
    if classes:
        for ct, user in db.session.execute(
                select(ClassTeacher, User).join(User, User.id == ClassTeacher.user_id)
                .where(ClassTeacher.class_group_id.in_(list(by_id)))):
            for subject in _subjects(ct.subject).values():
                rows.append((by_id[ct.class_group_id].name, subject, written(user)))
    rows.sort(key=lambda r: (_class_order(r[0]), fold_key(r[1]), fold_key(r[2])))

    buffer = io.BytesIO()
    book = Workbook(buffer)
    base = {"font_name": "Times New Roman", "font_size": 12}
    header = book.add_format(base | {"bold": True, "border": 1, "bg_color": "#E8EEF7"})
    cell = book.add_format(base | {"border": 1})
    example = book.add_format(base | {"border": 1, "italic": True, "font_color": "#808080"})
    plain = book.add_format(base | {"text_wrap": True, "valign": "top"})
    bold = book.add_format(base | {"bold": True})

    ws = book.add_worksheet("Phân công")
    for col, label in enumerate(TEMPLATE_HEADER):
        ws.write_string(0, col, label, header)
    for col, value in enumerate(EXAMPLE_ROW):
        ws.write_string(1, col, value, example)
    for r, values in enumerate(rows, start=2):
        for col, value in enumerate(values):
            ws.write_string(r, col, value, cell)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 36)
    ws.freeze_panes(1, 0)
    last = max(len(rows) + 1, 1) + 500
    if classes:
        ws.data_validation(1, 0, last, 0, {"validate": "list", "source": f"='Lớp'!$A$2:$A${len(classes) + 1}",
                                           "error_type": "information", "ignore_blank": True})
    if staff:
        ws.data_validation(1, 2, last, 2, {"validate": "list", "source": f"='Cán bộ'!$A$2:$A${len(staff) + 1}",
                                           "error_type": "information", "ignore_blank": True})

    guide = book.add_worksheet("Hướng dẫn")
    guide.set_column(0, 0, 100)
    lines = [
        (f"PHÂN CÔNG GIẢNG DẠY — NĂM HỌC {year.name}", bold),
        ("Mỗi dòng của trang “Phân công”: một lớp, một môn, một giáo viên. Dòng 2 (chữ xám) là ví dụ: "
         "hệ thống bỏ qua dòng này, có thể xoá.", plain),
        ("Cột Lớp: tên lớp như trong hệ thống (trang “Lớp”); có thể ghi nhiều lớp cách nhau bởi dấu phẩy, "
         "ví dụ 10A1, 10A2.", plain),
        ("Cột Giáo viên: họ và tên đầy đủ như trang “Cán bộ” (có dấu hay không dấu đều được). Hai người trùng "
         "tên: ghi thêm tên đăng nhập trong ngoặc, ví dụ Nguyễn Thị Lan (lannt).", plain),
        ("Nhập lại tệp sẽ THAY phân công của năm học này ở các lớp có trong tệp: dòng nào không còn trong tệp "
         "thì bị bỏ. Lớp không có trong tệp giữ nguyên. Trang xem trước cho biết số thêm, bỏ, giữ nguyên.", plain),
        ("Lưu tệp dạng .xlsx rồi tải lên ở Thiết lập → Nhập từ Excel → Phân công giảng dạy.", plain),
    ]
    for r, (text, fmt) in enumerate(lines):
        guide.write_string(r, 0, text, fmt)

    class_sheet = book.add_worksheet("Lớp")
    for col, label in enumerate(("Lớp", "Khối", "GVCN")):
        class_sheet.write_string(0, col, label, header)
    for r, group in enumerate(classes, start=1):
        class_sheet.write_string(r, 0, group.name, cell)
        class_sheet.write_number(r, 1, group.grade, cell)
        if group.homeroom_teacher is not None:
            class_sheet.write_string(r, 2, written(group.homeroom_teacher), cell)
        else:
            class_sheet.write_blank(r, 2, None, cell)
    class_sheet.set_column(0, 1, 10)
    class_sheet.set_column(2, 2, 36)

    staff_sheet = book.add_worksheet("Cán bộ")
    for col, label in enumerate(("Tên ghi ở cột Giáo viên", "Tên đăng nhập", "Tổ chuyên môn", "Môn dạy")):
        staff_sheet.write_string(0, col, label, header)
    for r, user in enumerate(staff, start=1):
        for col, value in enumerate((written(user), user.username,
                                     user.department.name if user.department else "", user.subject or "")):
            if value:
                staff_sheet.write_string(r, col, value, cell)
            else:
                staff_sheet.write_blank(r, col, None, cell)
    staff_sheet.set_column(0, 0, 36)
    staff_sheet.set_column(1, 3, 18)
    book.close()
    return buffer.getvalue()
