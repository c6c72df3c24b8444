"""Report 1 or 2 of every school of a deployment in one workbook, for the district's education office
(`flask report district`): a summary sheet with one row per school and the district's totals, and the
appendix table of every school's sponsored students.

Each school's part is its report's figures and student table as the school's page shows them: the
submitted snapshot, else kept since the school's data last changed, else computed now
(`services.summaries`: the schools to compute are computed together, a fixed number of statements for
a chunk of CHUNK schools). Chunks are loaded one at a time and the workbook streams its rows to disk
(XlsxWriter's constant_memory), so memory stays flat however many schools there are. Every school's
part is audited as an export with the students it contains. The workbook stays Vietnamese,
formula-safe.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import School, SchoolYear, SemesterReport
from ..xlsx import Workbook
from . import services
from .export import dmy
from .services import PROGRESS_HEADER, STUDENT_HEADERS, TERM_NAME


@dataclass
class SchoolPart:
    school_id: int
    school_name: str
    state: str  # "submitted" | "draft" | "not started"
    as_of: str
    figures: dict[str, dict]  # key → {"label", "kind", "value"}
    students: list[dict]


@dataclass
class DistrictResult:
    schools: int = 0
    students: int = 0
    states: dict[str, int] = field(default_factory=dict)


CHUNK = 100  # schools loaded and computed together: a few statements per chunk, memory bounded by it


def school_parts(year_name: str, term: int) -> Iterator[SchoolPart]:
    """Each school having the year `year_name`, in name order, with its report `term` (snapshot, kept
    or generated now: `services.summaries`, CHUNK schools at a time). Audits each part; the caller
    commits."""
    pairs = db.session.execute(
        select(School.id, SchoolYear.id).join(SchoolYear, SchoolYear.school_id == School.id)
        .where(SchoolYear.name == year_name.strip()).order_by(School.name, School.id)).all()
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start:start + CHUNK]
        schools = {s.id: s for s in db.session.scalars(select(School).where(School.id.in_([p[0] for p in chunk])))}
        years = {y.id: y for y in db.session.scalars(select(SchoolYear).where(SchoolYear.id.in_([p[1] for p in chunk])))}
        reports = {r.school_year_id: r for r in db.session.scalars(select(SemesterReport).where(
            SemesterReport.school_year_id.in_(list(years)), SemesterReport.term == term))}
        items = [(schools[school_id], years[year_id], reports.get(year_id)) for school_id, year_id in chunk]
        docs = services.summaries(items, term)
        for (school, year, report), doc in zip(items, docs, strict=True):
            services.record_view(doc, year, "exported", school_id=school.id, via="district")
            state = "submitted" if report is not None and report.locked else ("draft" if report else "not started")
            part = SchoolPart(school.id, school.name, state, doc["as_of"],
                              services.flat_figures(doc["parts"]["figures"]), doc["parts"]["students"]["rows"])
            db.session.flush()  # the audit row goes out now
            yield part


def _headers(figures: dict[str, dict]) -> list[str]:
    """The figures' labels as column headers: a "– trong đó …" row gets its parent's label in front,
    so every column says what it counts."""
    headers, parent = [], ""
    for item in figures.values():
        label = item["label"]
        if label.startswith("–"):
            headers.append(f"{parent} {label}")
        else:
            parent = label
            headers.append(label)
    return headers


def write_district_xlsx(path, year_name: str, term: int, parts: Iterator[SchoolPart]) -> DistrictResult:
    """Write the district workbook to `path` from `parts` (see `school_parts`), one school at a time."""
    book = Workbook(str(path), {"in_memory": False, "constant_memory": True})
    base = {"font_name": "Times New Roman", "font_size": 12, "valign": "top"}
    fmt = {"title": book.add_format(base | {"bold": True, "align": "center", "font_size": 13}),
           "header": book.add_format(base | {"bold": True, "border": 1, "align": "center", "text_wrap": True}),
           "cell": book.add_format(base | {"border": 1, "text_wrap": True}),
           "number": book.add_format(base | {"border": 1, "num_format": "#,##0"}),
           "total": book.add_format(base | {"border": 1, "bold": True, "num_format": "#,##0"})}
    title = (f"TỔNG HỢP BÁO CÁO {TERM_NAME[term].upper()} CUỘC VẬN ĐỘNG \"MỖI CÁN BỘ, GIÁO VIÊN NHẬN ĐỠ ĐẦU "
             f"MỘT HỌC SINH CÓ NGUY CƠ BỎ HỌC\" NĂM HỌC {year_name}")
    summary = book.add_worksheet("Tong hop")
    students = book.add_worksheet("Hoc sinh")
    student_headers = ["TT", "Trường", *STUDENT_HEADERS[1:]] + ([PROGRESS_HEADER] if term == 2 else [])
    for ws, width in ((summary, 14), (students, len(student_headers) - 1)):
        ws.merge_range(0, 0, 0, width, title, fmt["title"])
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
    for col, header in enumerate(student_headers):
        students.write_string(2, col, header, fmt["header"])
    for col, width in enumerate((5, 30, 24, 8, 42, 34, 32, 30)[:len(student_headers)]):
        students.set_column(col, col, width)
    students.repeat_rows(2)

    result = DistrictResult()
    keys: list[str] = []
    totals: dict[str, int] = {}
    row, student_row = 2, 2
    keys_row_written = False
    for part in parts:
        if not keys_row_written:  # the figures' columns come from the first school's report
            keys = list(part.figures)
            for col, header in enumerate(["TT", "Trường", "Trạng thái", "Số liệu đến ngày", *_headers(part.figures)]):
                summary.write_string(row, col, header, fmt["header"])
            summary.set_column(0, 0, 5)
            summary.set_column(1, 1, 30)
            summary.set_column(2, 3, 14)
            summary.set_column(4, 3 + len(keys), 14)
            summary.repeat_rows(row)
            keys_row_written = True
        row += 1
        result.schools += 1
        result.states[part.state] = result.states.get(part.state, 0) + 1
        summary.write_number(row, 0, result.schools, fmt["cell"])
        summary.write_string(row, 1, part.school_name, fmt["cell"])
        summary.write_string(row, 2, {"submitted": "Đã gửi", "draft": "Đang soạn"}.get(part.state, "Chưa bắt đầu"),
                             fmt["cell"])
        summary.write_string(row, 3, dmy(part.as_of), fmt["cell"])
        for col, key in enumerate(keys, start=4):
            item = part.figures.get(key, {})
            value = item.get("value")
            if isinstance(value, int) and not isinstance(value, bool):
                summary.write_number(row, col, value, fmt["number"])
                if item.get("kind") == "count":  # counts add up; rates do not
                    totals[key] = totals.get(key, 0) + value
            else:
                summary.write_string(row, col, "" if value is None else str(value), fmt["cell"])
        for item in part.students:
            student_row += 1
            result.students += 1
            values = [result.students, part.school_name, item.get("name"), item.get("class"),
                      item.get("circumstances"), item.get("conduct"), item.get("mentors")]
            if term == 2:
                values.append(item.get("progress"))
            for col, value in enumerate(values):
                if isinstance(value, int):
                    students.write_number(student_row, col, value, fmt["cell"])
                else:
                    students.write_string(student_row, col, value or "", fmt["cell"])
    row += 1
    summary.write_string(row, 1, "Tổng cộng", fmt["total"])
    for col, key in enumerate(keys, start=4):
        if key in totals:
            summary.write_number(row, col, totals[key], fmt["total"])
    book.close()
    return result
