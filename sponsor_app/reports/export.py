"""The twice-yearly report as an official document (`documents.model`): one `Document` built from the
report's parts (a submitted snapshot or the report generated now) and rendered as the workbook, the
print view and the PDF alike.

The parts of the document, in order (a part missing from an older snapshot is skipped):
- "Bao cao": the report itself: leadership's narratives, then the figures by section (counts and
  money in "Số liệu", rates in "Tỉ lệ", numbers as numbers), the principal's signature and "Nơi nhận";
- "Phu luc hoc sinh": the appendix list of sponsored students, signed;
- "Thay doi": every figure before and after, as of the previous submitted report;
- "Thay doi hoc sinh": the students added to and gone from the list, two tables of the same columns
  (a part of its own, so no printed page carries the header of a table it does not belong to);
- "Khen thuong": the commendations of the emulation results, signed.

The document stays Vietnamese whatever the interface language; every text anyone typed stays text.
"""

import re

from ..documents.model import (
    HEADER_FIELDS,
    Band,
    Column,
    Document,
    Heading,
    Part,
    Signature,
    Table,
    Text,
    filename_part,
)
from .services import NARRATIVE_TITLES, SIGNER, SIGNER_HINT, TERM_NAME

BLANK_NUMBER = "Số:        /BC-……"  # Decree 30/2020's number line of a report, filled in when it is sent
RATE = re.compile(r"^\s*(-?\d+(?:,\d+)?)\s*%\s*$")
APPENDIX_TITLE = "PHỤ LỤC: DANH SÁCH HỌC SINH ĐƯỢC ĐỠ ĐẦU"
CHANGES_TITLE = "SO SÁNH VỚI BÁO CÁO TRƯỚC"
CHANGED_STUDENTS_TITLE = "HỌC SINH THAY ĐỔI SO VỚI BÁO CÁO TRƯỚC"
COMMENDATIONS_TITLE = "DANH SÁCH TẬP THỂ, CÁ NHÂN ĐỀ NGHỊ BIỂU DƯƠNG, KHEN THƯỞNG"
NO_STUDENTS = "Chưa có học sinh được duyệt đỡ đầu đến ngày chốt số liệu."
NO_COMMENDATIONS = "Chưa có tập thể, cá nhân đạt mức được đề nghị."
NO_PREVIOUS = "Chưa có báo cáo nào được gửi trước báo cáo này."
# Column widths (spreadsheet characters) filling the page without any print scale: LibreOffice draws
# columns a little wider than Excel, so a sheet scaled to the page's edge would spill a column over
# (122 characters on an A4 landscape page, 80 on a portrait one).
STUDENT_WIDTHS = {6: (5, 22, 7, 34, 28, 26), 7: (5, 19, 7, 27, 23, 20, 21)}


def rate(value):
    """A rate of the report ("87,5%", as the snapshot keeps it) as a fraction (0.875) for a percent
    cell; "—" (nothing to divide by) and anything else unchanged."""
    if isinstance(value, str):
        found = RATE.match(value)
        if found:
            return float(found.group(1).replace(",", ".")) / 100
    return value


def dmy(iso: str | None) -> str:
    return "" if not iso else f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"


def recipient_office(governing_body: str) -> str:
    """The education office the report goes to, from the school's governing body."""
    body = (governing_body or "").strip().upper()
    if body.startswith("SỞ"):
        return "Sở GD&ĐT"
    if body.startswith("PHÒNG"):
        return "Phòng GD&ĐT"
    return "Phòng (Sở) GD&ĐT"


def missing_in_header(h: dict) -> list[str]:
    """The labels of the header data the report was made without (as `missing_header_fields`, read
    from the report's own header: a submitted snapshot keeps what the school had then)."""
    labels = {name: str(label) for name, label in HEADER_FIELDS}
    missing = []
    if not (h.get("governing_body") or "").strip():
        missing.append(labels["governing_body"])
    if not (h.get("date_line") or "").strip() or (h.get("date_line") or "").startswith("Ngày"):
        missing.append(labels["place_name"])
    if not (h.get("principal") or "").strip():
        missing.append(labels["principal_name"])
    return missing


def _signature(h: dict) -> Signature:
    return Signature(h.get("signer") or SIGNER, h.get("signer_hint") or SIGNER_HINT, (h.get("principal") or "").strip())


def report_part(doc: dict) -> Part:
    h = doc["parts"]["header"]
    rows: list = []
    n = 0
    for section in doc["parts"]["figures"]["sections"]:
        rows.append(Band(section["title"]))
        for item in section["rows"]:
            n += 1
            value = item["value"]
            if item["kind"] == "pct":
                rows.append([n, item["label"], None, rate(value)])
            else:
                rows.append([n, item["label"], value, None])
            rows[-1].append("")  # Ghi chú
    # five columns (the last, "Ghi chú", empty to write in by hand): the workbook's heading halves follow
    # the grid, and the national motto needs the width of the last three
    figures = Table([Column("TT", 5, "center"), Column("Nội dung", 41), Column("Số liệu", 12, "int"),
                     Column("Tỉ lệ", 10, "percent"), Column("Ghi chú", 12)], rows)
    # Leadership's texts first, the figures last: the signature then follows the table's last rows,
    # which both renderers keep on its page, and every page after the first starts with table rows
    # under the table's repeated header (never a page of text under a table header, nor a signature alone).
    blocks: list = []
    narrative = doc["parts"].get("narrative")
    if narrative is not None:
        blocks.append(Text("A. ĐÁNH GIÁ CHUNG", "section"))
        for i, (key, title) in enumerate(NARRATIVE_TITLES, start=1):
            blocks.append(Text(f"{i}. {title}", "section"))
            lines = [line.strip() for line in (narrative.get(key) or "").splitlines() if line.strip()]
            blocks.extend(Text(line, "body") for line in lines or ["…"])  # a paragraph per line
    blocks += [Text("B. SỐ LIỆU" if narrative is not None else "SỐ LIỆU", "section"), figures]
    recipients = [f"- {recipient_office(h.get('governing_body', ''))} (để báo cáo);", "- Lưu: VT."]
    return Part(sheet="Bao cao", title=h["title"], subtitle=[h["as_of"]], blocks=blocks,
                signatures=[_signature(h)], recipients=recipients, landscape=False)


def students_part(doc: dict) -> Part:
    h = doc["parts"]["header"]
    part = doc["parts"]["students"]
    headers = part["headers"]
    keys = ("tt", "name", "class", "circumstances", "conduct", "mentors", "progress")[:len(headers)]
    kinds = ("center", "text", "center", "text", "text", "text", "text")
    columns = [Column(title, width, kind) for title, width, kind in zip(headers, STUDENT_WIDTHS[len(headers)], kinds, strict=False)]
    table = Table(columns, [[item.get(key) for key in keys] for item in part["rows"]], empty_text=NO_STUDENTS)
    return Part(sheet="Phu luc hoc sinh", title=APPENDIX_TITLE,
                subtitle=[f"(Kèm theo {TERM_NAME[doc['term']].lower()} năm học {doc['year']})", h["as_of"]],
                blocks=[table], signatures=[_signature(h)], landscape=True)


def _comparison(rows: list[dict], kind: str) -> Table:
    title = "Tỉ lệ" if kind == "percent" else "Số liệu"
    columns = [Column("TT", 5, "center"), Column(f"Nội dung ({title.lower()})", 39),
               Column("Báo cáo trước", 12, kind), Column("Báo cáo này", 12, kind), Column("Thay đổi", 12, kind)]
    table_rows = []
    for n, item in enumerate(rows, start=1):
        before, after = item["before"], item["after"]
        if kind == "percent":
            before, after = rate(before), rate(after)
            delta = after - before if isinstance(after, float) and isinstance(before, float) else None
        else:
            delta = item["delta"]
        table_rows.append([n, item["label"], before, after, delta])
    return Table(columns, table_rows)


def changes_parts(doc: dict) -> list[Part]:
    """The figures before and after ("Thay doi") and the students added and gone ("Thay doi hoc sinh")."""
    part = doc["parts"]["changes"]
    previous = part.get("previous")
    if not previous:
        return [Part(sheet="Thay doi", title=CHANGES_TITLE, blocks=[Text(NO_PREVIOUS, "italic_center")],
                     landscape=False)]
    basis = (f"(So với {TERM_NAME[previous['term']].lower()} năm học {previous['year']}, "
             f"số liệu đến ngày {dmy(previous['as_of'])})")
    counts = [r for r in part["figures"] if r.get("kind") != "pct"]
    rates = [r for r in part["figures"] if r.get("kind") == "pct"]
    blocks: list = [_comparison(counts, "int")]
    if rates:
        blocks.append(_comparison(rates, "percent"))
    figures = Part(sheet="Thay doi", title=CHANGES_TITLE, subtitle=[basis], blocks=blocks, landscape=False)
    student_columns = [Column("TT", 5, "center"), Column("Họ và tên", 30), Column("Lớp", 10, "center"),
                       Column("Ghi chú", 35)]
    lists = []
    for caption, key in (("Học sinh mới có trong danh sách", "added"),
                         ("Học sinh không còn trong danh sách", "removed")):
        lists.append(Table([Column(c.title, c.width, c.kind) for c in student_columns],
                           [[n, item["name"], item["class"], ""] for n, item in enumerate(part[key], start=1)],
                           empty_text="Không có.", caption=f"{caption}: {len(part[key])}"))
    students = Part(sheet="Thay doi hoc sinh", title=CHANGED_STUDENTS_TITLE, subtitle=[basis], blocks=lists,
                    landscape=False)
    return [figures, students]


def commendations_part(doc: dict) -> Part:
    h = doc["parts"]["header"]
    part = doc["parts"]["commendations"]
    widths = (5, 13, 24, 14, 14, 52)
    kinds = ("center", "text", "text", "text", "text", "text")
    columns = [Column(title, width, kind) for title, width, kind in zip(part["headers"], widths, kinds, strict=False)]
    keys = ("tt", "kind", "who", "department", "band", "evidence")
    table = Table(columns, [[item.get(key) for key in keys] for item in part["rows"]], empty_text=NO_COMMENDATIONS)
    return Part(sheet="Khen thuong", title=COMMENDATIONS_TITLE, subtitle=[f"({part['basis']})"], blocks=[table],
                signatures=[_signature(h)], landscape=True)


def report_document(doc: dict) -> Document:
    """The report `doc` (`services.document`: a snapshot or generated now) as an official document."""
    h = doc["parts"]["header"]
    parts = [report_part(doc)]
    if "students" in doc["parts"]:
        parts.append(students_part(doc))
    if "changes" in doc["parts"]:
        parts.extend(changes_parts(doc))
    if "commendations" in doc["parts"]:
        parts.append(commendations_part(doc))
    number = h.get("number", "")
    if number.replace("…", "").strip() in ("Số:", ""):  # no number yet: the blank to fill in by hand
        number = BLANK_NUMBER
    heading = Heading(authority=h.get("governing_body", ""), organisation=h.get("school", ""),
                      number=number, place_date=h.get("date_line", ""))
    return Document(kind=f"semester-{doc['term']}", filename=f"bao-cao-lan-{doc['term']}-{filename_part(doc['year'])}",
                    heading=heading, parts=parts, missing=missing_in_header(h))


def filename(doc: dict, fmt: str = "xlsx") -> str:
    return f"bao-cao-lan-{doc['term']}-{filename_part(doc['year'])}.{fmt}"


# --- the year-end review ------------------------------------------------------------------------

REVIEW_TITLE = "TỔNG KẾT CUỘC VẬN ĐỘNG NHẬN ĐỠ ĐẦU HỌC SINH NĂM HỌC"
HONOURS_TITLE = "TẬP THỂ, CÁ NHÂN TIÊU BIỂU ĐỀ NGHỊ BIỂU DƯƠNG, KHEN THƯỞNG"


def review_document(school, year, rows, commended: dict, today=None) -> Document:
    """The year-end review (`rollover.review`: every student sponsored in the year and what became of
    the case) and the year's outstanding collectives and individuals, signed by the principal."""
    from ..documents.model import missing_header_fields, principal_signature, school_heading
    from ..timeutil import local_today

    columns = [Column("TT", 5, "center"), Column("Họ và tên", 20), Column("Lớp", 7, "center"),
               Column("GV đỡ đầu", 22), Column("Số nhận xét", 9, "int"), Column("Sự tiến bộ", 28),
               Column("Kết quả", 31)]
    review = Part(sheet="Tong ket", title=f"{REVIEW_TITLE} {year.name}", blocks=[Table(
        columns, [[r.tt, r.name, r.class_name, r.mentors, r.notes, r.progress, r.outcome] for r in rows],
        empty_text="Năm học chưa có học sinh được đỡ đầu.")], signatures=[principal_signature(school)],
        landscape=True)
    widths = (5, 13, 24, 14, 14, 52)
    kinds = ("center", "text", "text", "text", "text", "text")
    keys = ("tt", "kind", "who", "department", "band", "evidence")
    honours = Part(sheet="Khen thuong", title=HONOURS_TITLE, subtitle=[f"({commended['basis']})"], blocks=[Table(
        [Column(t, w, k) for t, w, k in zip(commended["headers"], widths, kinds, strict=False)],
        [[item.get(key) for key in keys] for item in commended["rows"]], empty_text=NO_COMMENDATIONS)],
        signatures=[principal_signature(school)], landscape=True)
    return Document(kind="year-review", filename=f"tong-ket-{filename_part(year.name)}",
                    heading=school_heading(school, today or local_today()), parts=[review, honours],
                    missing=missing_header_fields(school))
