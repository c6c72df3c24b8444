"""The emulation result as a document for the emulation council: the individual ranking, the
collective (department) ranking and the proposed commendations with their evidence, as one
`Document` (documents/model.py) rendered as the workbook (one sheet per part), the print view and
the PDF. Scores are numbers (decimal and percent cells), so the union can sum and sort them.

Like the other official documents, the workbook stays Vietnamese whatever the interface language.
Only staff names, scores and indicators: no student appears in it.
"""

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from .. import audit
from ..documents.model import (
    HEADER_FIELDS,
    Column,
    Document,
    Part,
    Signature,
    Table,
    column_points,
    filename_part,
    missing_header_fields,
    principal_signature,
    printable_width,
    school_heading,
)
from ..documents.xlsx import render_xlsx
from ..forms import format_points
from ..models import School, SchoolYear

CAMPAIGN = "CUỘC VẬN ĐỘNG \"MỖI CÁN BỘ, GIÁO VIÊN NHẬN ĐỠ ĐẦU MỘT HỌC SINH CÓ NGUY CƠ BỎ HỌC\""
KIND_TEXT = {"praise": "Biểu dương", "reward": "Khen thưởng"}


def period_text(result: dict, year: SchoolYear) -> str:
    if result["kind"] == "month":
        month = date.fromisoformat(result["month"])
        return f"tháng {month.month}/{month.year}"
    if result["kind"] == "semester":
        return f"học kỳ {'I' if result['term'] == 1 else 'II'} năm học {year.name}"
    return f"năm học {year.name}"


def title(result: dict, year: SchoolYear) -> str:
    return f"KẾT QUẢ ĐÁNH GIÁ THI ĐUA {CAMPAIGN} {period_text(result, year).upper()}"


def month_title(key: str) -> str:
    y, m = key.split("-")
    return f"Tháng {int(m)}/{y}"


def evidence_text(c: dict) -> str:
    """The figures behind a proposed commendation (scores and indicators, never a narrative), in the
    interface language (documents force Vietnamese)."""
    e = c.get("evidence") or {}
    if c.get("collective"):
        return _("Tỉ lệ điểm bình quân %(p)s%% của %(n)d thành viên được đánh giá", p=format_points(c["percent"]),
                 n=e.get("members", 0))
    parts = [_("Điểm %(t)s/%(m)s (%(p)s%%)", t=format_points(c.get("total")), m=format_points(c.get("max")),
               p=format_points(c["percent"]))]
    if e.get("due"):
        parts.append(_("nhận xét đúng hạn %(a)d/%(b)d", a=e.get("on_time", 0), b=e["due"]))
        parts.append(_("tổ trưởng xác nhận %(a)d/%(b)d", a=e.get("seen", 0), b=e["due"]))
        parts.append(_("liên hệ gia đình %(a)d/%(b)d", a=e.get("family", 0), b=e["due"]))
        parts.append(_("tháng học sinh tiến bộ %(a)d/%(b)d", a=e.get("progress", 0), b=e["due"]))
    if e.get("mentees"):
        parts.append(_("học sinh duy trì đi học %(a)d/%(b)d", a=e.get("retained", 0), b=e["mentees"]))
    if e.get("plans_due"):
        parts.append(_("kế hoạch đúng hạn %(a)d/%(b)d", a=e.get("plans_on_time", 0), b=e["plans_due"]))
    if e.get("bonus"):
        parts.append(_("điểm cộng %(p)s", p=format_points(e["bonus"])))
    if e.get("penalty"):
        parts.append(_("điểm trừ %(p)s", p=format_points(e["penalty"])))
    return "; ".join(parts)


def _points(value) -> float | None:
    """A score as a number cell (None: nothing scored), to the hundredth as the sheet computes it."""
    return None if value is None else round(float(value), 2)


def _fraction(percent) -> float | None:
    """87.5 (the sheet's percent) → 0.875 (a percent cell: 87,5 %)."""
    return None if percent is None else round(float(percent) / 100, 4)


# What a table may take of a landscape page: the workbook's columns print wider in LibreOffice than
# in Excel (about 8 %), and a table wider than its page is printed by columns.
TABLE_BUDGET = printable_width(True) * 0.92


def _criterion_width(fixed: list[Column], count: int) -> float:
    """The width of each criterion's column: what is left of the page once the other columns are
    placed, shared out (7.5 to 12 characters: the labels wrap over a few lines, no word cut). A
    rubric too large for the page prints by columns, the rank and the name repeated."""
    left = TABLE_BUDGET - sum(column_points(c.width) for c in fixed)
    width = 12.0
    while width > 7.5 and column_points(width) * count > left:
        width -= 0.5
    return width


def individual_columns(result: dict) -> list[Column]:
    """The columns of the individual ranking: the scores are numbers (decimal, percent), the
    criteria's labels written whole (wrapped in their header cell). The month's and the semester's
    leave out the maximum (the percentage says it) so that five criteria fit the page."""
    kind = result["kind"]
    head = [Column("Hạng", 6, "center"), Column("Họ và tên", 18), Column("Tổ", 10.5),
            Column("Hạng trong tổ", 6, "int")]
    tail = [Column("Tỉ lệ", 8.5, "percent"), Column("Xếp loại", 9)]
    if kind == "year":
        return head + [Column("Học kỳ I", 9, "decimal"), Column("Học kỳ II", 9, "decimal"),
                       Column("Cả năm", 9, "decimal"), Column("Tối đa", 7, "decimal")] + tail
    months = [Column("Điểm các tháng", 7, "decimal")] if kind == "semester" else []
    totals = [Column("Cộng", 6, "decimal"), Column("Trừ", 5, "decimal"), Column("Tổng", 6, "decimal")]
    width = _criterion_width(head + months + totals + tail, len(result["criteria"]))
    criteria = [Column(f"{c['label']} ({format_points(c['max'])})", width, "decimal") for c in result["criteria"]]
    return head + months + criteria + totals + tail


def individual_rows(result: dict) -> list[list]:
    """The rows of the individual ranking, numbers as numbers (an empty cell: nothing to score)."""
    kind = result["kind"]
    rows = []
    for r in result["rows"]:
        line = [r["rank"], r["name"], r["department"], r["department_rank"]]
        if kind == "year":
            line += [_points(r["s1"]["total"]) if r.get("s1") else None,
                     _points(r["s2"]["total"]) if r.get("s2") else None, _points(r["total"]), _points(r["max"])]
        else:
            if kind == "semester":
                line.append(_points(r["month_part"]))
            for c in result["criteria"]:
                line.append(_points(r["cells"].get(str(c["id"]), {}).get("points")))
            line += [_points(r["bonus"]) if r["bonus"] else None, _points(r["penalty"]) if r["penalty"] else None,
                     _points(r["total"])]
        line += [_fraction(r["percent"]), r["band"] or ""]
        rows.append(line)
    return rows


def month_columns(result: dict) -> list[Column]:
    """The semester's months, one column each, and the part of the total they make."""
    method = "trung bình" if result.get("settings", {}).get("semester_method") == "mean" else "tổng"
    return [Column("Hạng", 5, "center"), Column("Họ và tên", 20), Column("Tổ", 12),
            *[Column(month_title(k), 9, "decimal") for k in result.get("months", [])],
            Column(f"Điểm các tháng ({method})", 11, "decimal"), Column("Tối đa", 8, "decimal")]


def month_rows(result: dict) -> list[list]:
    return [[r["rank"], r["name"], r["department"], *[_points(r["months"].get(k)) for k in result.get("months", [])],
             _points(r["month_part"]), _points(r.get("month_part_max"))] for r in result["rows"]]


DEPARTMENT_COLUMNS = [Column("Hạng", 6, "center"), Column("Tổ", 26), Column("Số người được đánh giá", 14, "int"),
                      Column("Tỉ lệ điểm bình quân", 14, "percent"), Column("Xếp loại", 14)]
COMMENDATION_COLUMNS = [Column("TT", 5, "center"), Column("Hình thức", 10), Column("Tập thể / cá nhân", 10),
                        Column("Tên", 18), Column("Tổ", 11), Column("Xếp loại", 10), Column("Minh chứng", 46),
                        Column("Duyệt", 10)]


def department_rows(result: dict) -> list[list]:
    return [[d["rank"], d["name"], d["members"], _fraction(d["percent"]), d["band"] or ""]
            for d in result.get("departments", [])]


def commendation_rows(result: dict) -> list[list]:
    """The commendation table of the document (Vietnamese whatever the interface language)."""
    with force_locale("vi"):
        return _commendation_rows(result)


def _commendation_rows(result: dict) -> list[list]:
    rows = []
    for n, c in enumerate(result.get("commendations", []), start=1):
        approved = {True: "Đã duyệt", False: "Không duyệt", None: "Chờ duyệt"}[c.get("approved")]
        rows.append([n, KIND_TEXT.get(c["kind"], c["kind"]), "Tập thể" if c["collective"] else "Cá nhân",
                     c["name"], c["department"], c["band"] or "", evidence_text(c), approved])
    return rows


UNION_SIGNER = "TM. BCH CÔNG ĐOÀN"
UNION_HINT = "(Ký, ghi rõ họ tên)"
# Where each result goes: the month's sheet (the union's) to leadership and the departments; the
# semester's and the year's (the principal's) to the emulation council and the union.
MONTH_RECIPIENTS = ["- Ban Giám hiệu (để báo cáo);", "- Các tổ chuyên môn;", "- Lưu: CĐ."]
TERM_RECIPIENTS = ["- Hội đồng Thi đua - Khen thưởng;", "- BCH Công đoàn;", "- Lưu: VT."]
NUMBER = "Số:" + "\u00a0" * 8 + "/BC-…"  # the school's result carries the number line, filled in by hand


def status_line(result: dict) -> str:
    """Whether the figures are final: "(Kết quả đã duyệt, khóa ngày 20/01/2027)" or "(Số liệu đến ngày …)"."""
    if result["evaluation"]["status"] == "locked" and result.get("locked_on"):
        return f"(Kết quả đã duyệt, khóa ngày {date.fromisoformat(result['locked_on']):%d/%m/%Y})"
    return f"(Số liệu đến ngày {date.fromisoformat(result['as_of']):%d/%m/%Y}, kết quả chưa khóa)"


def document(result: dict, school: School, year: SchoolYear, today: date) -> Document:
    """The result as an official document: the individual ranking, the departments and (semester,
    year) the commendations, one part (a sheet, a page) each. The month's sheet is the union's,
    signed by its executive committee; the semester's and the year's are the principal's."""
    month = result["kind"] == "month"
    period = period_text(result, year).upper()
    signatures = [Signature(UNION_SIGNER, UNION_HINT)] if month else [principal_signature(school)]
    recipients = MONTH_RECIPIENTS if month else TERM_RECIPIENTS
    status = status_line(result)

    def part(sheet: str, doc_title: str, table: Table) -> Part:
        return Part(sheet=sheet, title=doc_title, subtitle=[status], blocks=[table], signatures=signatures,
                    recipients=recipients)

    parts = [part("Cá nhân", title(result, year), Table(
        individual_columns(result), individual_rows(result), caption="I. Cá nhân",
        empty_text="Chưa có cán bộ, giáo viên được đánh giá."))]
    if result["kind"] == "semester" and result.get("months"):
        parts.append(part("Điểm các tháng", f"ĐIỂM THI ĐUA CÁC THÁNG — {period}", Table(
            month_columns(result), month_rows(result), caption="Điểm của từng tháng (phần điểm các tháng của mục I)",
            empty_text="Chưa có cán bộ, giáo viên được đánh giá.")))
    parts.append(part("Tập thể", f"KẾT QUẢ CỦA CÁC TỔ (TẬP THỂ) — {period}", Table(
        DEPARTMENT_COLUMNS, department_rows(result), caption="II. Tập thể (các tổ)", key_columns=2,
        empty_text="Chưa có tổ được đánh giá.")))
    if not month:
        parts.append(part("Đề nghị khen thưởng", f"DANH SÁCH ĐỀ NGHỊ BIỂU DƯƠNG, KHEN THƯỞNG — {period}", Table(
            COMMENDATION_COLUMNS, commendation_rows(result), caption="III. Đề nghị biểu dương, khen thưởng",
            key_columns=4, empty_text="Không có đề nghị.")))
    missing = missing_header_fields(school)
    if month:  # the union signs: the principal's name is not printed
        missing = [label for name, label in HEADER_FIELDS if label in missing and name != "principal_name"]
    return Document(kind=f"emulation-{result['key']}", filename=filename(result, year),
                    heading=school_heading(school, today, "" if month else NUMBER), parts=parts, missing=missing)


def build_xlsx(result: dict, school: School, year: SchoolYear, today: date) -> bytes:
    """The workbook: the individual ranking, the departments and (semester, year) the commendations."""
    return render_xlsx(document(result, school, year, today))


def filename(result: dict, year: SchoolYear) -> str:
    """The file's name without its extension (.xlsx or .pdf)."""
    return f"thi-dua-{filename_part(year.name)}-{result['key']}"


def record_export(result: dict, year: SchoolYear, fmt: str, *, via: str = "web", user=None) -> None:
    """Audit an export: which sheet, in what form, how many staff (no student is in it)."""
    audit.record("emulation_exported", None, user=user, school_id=year.school_id, year=year.name, key=result["key"],
                 format=fmt, via=via, staff=[r["user_id"] for r in result["rows"]])


def sheet_label(key: str) -> str:
    """The sheet's name in the interface: "Tháng 11/2026", "Học kỳ I", "Cả năm"."""
    if key == "year":
        return _("Cả năm")
    if key in ("s1", "s2"):
        return _("Học kỳ I") if key == "s1" else _("Học kỳ II")
    y, m = key.split("-")
    return _("Tháng %(m)s/%(y)s", m=int(m), y=y)
