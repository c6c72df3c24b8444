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
from datetime import date

from sqlalchemy import select

from ..documents.model import (
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    Column,
    Document,
    Heading,
    Part,
    Table,
    date_line,
    filename_part,
)
from ..documents.xlsx import NUMBER_FORMATS, page_setup, row_height, table_print_plan
from ..extensions import db
from ..models import School, SchoolYear, SemesterReport
from ..timeutil import local_today
from ..xlsx import Workbook
from . import services
from .export import rate
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


KIND = {"count": "int", "vnd": "money", "pct": "percent"}
STATE_TEXT = {"submitted": "Đã gửi", "draft": "Đang soạn"}
SUMMARY_KEYS = [Column("TT", 5, "center"), Column("Trường", 26), Column("Trạng thái", 11, "center"),
                Column("Số liệu đến ngày", 12, "date")]


def title_text(year_name: str, term: int) -> str:
    return (f"TỔNG HỢP BÁO CÁO {TERM_NAME[term].upper()} CUỘC VẬN ĐỘNG \"MỖI CÁN BỘ, GIÁO VIÊN NHẬN ĐỠ ĐẦU "
            f"MỘT HỌC SINH CÓ NGUY CƠ BỎ HỌC\" NĂM HỌC {year_name}")


def student_columns(term: int) -> list[Column]:
    """The appendix of every school: sized for an A4 landscape page at 10 pt or more."""
    columns = [Column("TT", 5, "center"), Column("Trường", 16), Column(STUDENT_HEADERS[1], 17),
               Column(STUDENT_HEADERS[2], 6, "center"), Column(STUDENT_HEADERS[3], 28), Column(STUDENT_HEADERS[4], 22),
               Column(STUDENT_HEADERS[5], 20)]
    return columns + ([Column(PROGRESS_HEADER, 20)] if term == 2 else [])


def summary_columns(figures: dict[str, dict]) -> list[Column]:
    return SUMMARY_KEYS + [Column(header, 11, KIND.get(item.get("kind"), "int"))
                           for header, item in zip(_headers(figures), figures.values(), strict=True)]


def _figure(item: dict):
    value = item.get("value")
    return rate(value) if item.get("kind") == "pct" else value


def summary_row(n: int, part: SchoolPart, keys: list[str]) -> list:
    as_of = date.fromisoformat(part.as_of) if part.as_of else None
    return [n, part.school_name, STATE_TEXT.get(part.state, "Chưa bắt đầu"), as_of,
            *(_figure(part.figures.get(key, {})) for key in keys)]


def student_row(n: int, part: SchoolPart, item: dict, term: int) -> list:
    values = [n, part.school_name, item.get("name"), item.get("class"), item.get("circumstances"),
              item.get("conduct"), item.get("mentors")]
    return values + ([item.get("progress")] if term == 2 else [])


class _StreamedSheet:
    """One sheet written row by row (constant memory): each row's height from its text before it is
    written, the header repeated on every page, printed at a scale that keeps 9 pt or split by columns
    with TT and the school repeated (documents.xlsx.page_setup)."""

    def __init__(self, book, fmt: dict, name: str, title: str):
        self.book, self.fmt, self.title = book, fmt, title
        self.ws = book.add_worksheet(name)
        self.columns: list[Column] = []
        self.row = 0

    def start(self, columns: list[Column]) -> None:
        self.columns = columns
        widths = [c.width for c in columns]
        scale, breaks = table_print_plan(Table(columns), landscape=True)
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)
        page_setup(self.ws, landscape=True, scale=scale, key_columns=2 if breaks else 0, v_breaks=breaks)
        first_page = sum(widths) if not breaks else sum(widths[:breaks[0]])
        last = len(columns) - 1 if not breaks else breaks[0] - 1  # the title stays on the first page's width
        # the national name and motto above the title (Decree 30/2020), across the first page's columns
        for row, (text, style) in enumerate(((NATIONAL_NAME, "title"), (NATIONAL_MOTTO, "motto"))):
            self.ws.set_row(row, row_height([text], [first_page], 12, bold=True))
            self.ws.merge_range(row, 0, row, max(last, 1), "", self.fmt[style])
            self.ws.write_string(row, 0, text, self.fmt[style])
        self.ws.set_row(3, row_height([self.title], [first_page], 13, bold=True))
        self.ws.merge_range(3, 0, 3, max(last, 1), "", self.fmt["title"])
        self.ws.write_string(3, 0, self.title, self.fmt["title"])
        self.row = 5
        self.ws.set_row(self.row, row_height([c.title for c in columns], widths, bold=True))
        for col, column in enumerate(columns):
            self.ws.write_string(self.row, col, column.title, self.fmt["header"])
        self.ws.repeat_rows(self.row)

    def add(self, values: list, style: str = "") -> None:
        self.row += 1
        self.ws.set_row(self.row, row_height(values, [c.width for c in self.columns], bold=bool(style)))
        for col, (column, value) in enumerate(zip(self.columns, values, strict=False)):
            fmt = self.fmt[(style or "") + (column.kind if column.kind in self.fmt else "text")]
            if value is None or value == "":
                self.ws.write_blank(self.row, col, None, fmt)
            elif isinstance(value, date):
                self.ws.write_datetime(self.row, col, value, fmt)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                self.ws.write_number(self.row, col, value, fmt)
            else:
                self.ws.write_string(self.row, col, str(value), self.fmt[(style or "") + "text"])


def _formats(book) -> dict:
    base = {"font_name": "Times New Roman", "font_size": 12, "valign": "top"}
    cell = base | {"border": 1, "text_wrap": True}
    styles = {"title": base | {"bold": True, "align": "center", "font_size": 13, "text_wrap": True},
              "motto": base | {"bold": True, "align": "center", "underline": 1},
              "header": base | {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True},
              "text": cell, "center": cell | {"align": "center"}}
    for kind, num_format in NUMBER_FORMATS.items():
        styles[kind] = cell | {"num_format": num_format, "align": "center" if kind == "date" else "right"}
        if kind != "date":
            styles[kind]["indent"] = 1
    styles |= {f"total{key}": props | {"bold": True} for key, props in list(styles.items())
               if key in ("text", "center", *NUMBER_FORMATS)}
    return {key: book.add_format(props) for key, props in styles.items()}


def write_district_xlsx(path, year_name: str, term: int, parts: Iterator[SchoolPart]) -> DistrictResult:
    """Write the district workbook to `path` from `parts` (see `school_parts`), one school at a time."""
    book = Workbook(str(path), {"in_memory": False, "constant_memory": True})
    fmt = _formats(book)
    title = title_text(year_name, term)
    summary = _StreamedSheet(book, fmt, "Tong hop", title)
    students = _StreamedSheet(book, fmt, "Hoc sinh", title)
    students.start(student_columns(term))
    result = DistrictResult()
    keys: list[str] = []
    totals: dict[str, int] = {}
    for part in parts:
        if not keys:  # the figures' columns come from the first school's report
            keys = list(part.figures)
            summary.start(summary_columns(part.figures))
        result.schools += 1
        result.states[part.state] = result.states.get(part.state, 0) + 1
        summary.add(summary_row(result.schools, part, keys))
        for key in keys:
            item = part.figures.get(key, {})
            value = item.get("value")
            if item.get("kind") in ("count", "vnd") and isinstance(value, int) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value  # counts add up; rates do not
        for item in part.students:
            result.students += 1
            students.add(student_row(result.students, part, item, term))
    if keys:
        summary.add([None, "Tổng cộng", None, None, *(totals.get(key) for key in keys)], style="total")
    book.close()
    return result


def district_document(year_name: str, term: int, parts: Iterator[SchoolPart]) -> tuple[Document, DistrictResult]:
    """The same two tables as one Document (for the PDF): held in memory, for an office's deployment."""
    result = DistrictResult()
    keys: list[str] = []
    summary_rows, student_rows, columns = [], [], SUMMARY_KEYS
    totals: dict[str, int] = {}
    for part in parts:
        if not keys:
            keys, columns = list(part.figures), summary_columns(part.figures)
        result.schools += 1
        result.states[part.state] = result.states.get(part.state, 0) + 1
        summary_rows.append(summary_row(result.schools, part, keys))
        for key in keys:
            item = part.figures.get(key, {})
            if item.get("kind") in ("count", "vnd") and isinstance(item.get("value"), int):
                totals[key] = totals.get(key, 0) + item["value"]
        for item in part.students:
            result.students += 1
            student_rows.append(student_row(result.students, part, item, term))
    if keys:
        summary_rows.append([None, "Tổng cộng", None, None, *(totals.get(key) for key in keys)])
    title = title_text(year_name, term)
    heading = Heading(place_date=date_line(None, local_today()))
    parts_out = [Part(sheet="Tong hop", title=title, subtitle=["(Tổng hợp theo trường)"],
                      blocks=[Table(columns, summary_rows, empty_text="Không có trường nào.")], landscape=True),
                 Part(sheet="Hoc sinh", title=title, subtitle=["(Danh sách học sinh được đỡ đầu của các trường)"],
                      blocks=[Table(student_columns(term), student_rows, empty_text="Chưa có học sinh nào.")],
                      landscape=True)]
    return Document(kind=f"district-{term}", filename=f"tong-hop-bao-cao-lan-{term}-{filename_part(year_name)}",
                    heading=heading, parts=parts_out), result
