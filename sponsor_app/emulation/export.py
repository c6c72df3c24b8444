"""The emulation result as a document for the emulation council: the individual ranking, the
collective (department) ranking and the proposed commendations with their evidence, as an A4
Times New Roman workbook (one sheet per part) and the print view (the same tables).

Like the other official documents, the workbook stays Vietnamese whatever the interface language.
Only staff names, scores and indicators: no student appears in it.
"""

import io
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from .. import audit
from ..forms import format_points
from ..models import School, SchoolYear
from ..xlsx import OfficialSheet, Workbook

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


def individual_table(result: dict) -> tuple[list[str], list[list]]:
    """(headers, rows) of the individual ranking of any sheet."""
    kind = result["kind"]
    if kind == "year":
        headers = ["Hạng", "Họ và tên", "Tổ", "Hạng trong tổ", "Học kỳ I", "Học kỳ II", "Cả năm", "Tối đa",
                   "Tỉ lệ (%)", "Xếp loại"]
        rows = [[r["rank"], r["name"], r["department"], r["department_rank"], _total(r.get("s1")), _total(r.get("s2")),
                 format_points(r["total"]), format_points(r["max"]), format_points(r["percent"]), r["band"] or ""]
                for r in result["rows"]]
        return headers, rows
    criteria = result["criteria"]
    months = result.get("months", []) if kind == "semester" else []
    headers = ["Hạng", "Họ và tên", "Tổ", "Hạng trong tổ", *[month_title(k) for k in months]]
    if kind == "semester":
        headers.append("Điểm các tháng")
    headers += [f"{c['label']} ({format_points(c['max'])})" for c in criteria]
    headers += ["Cộng", "Trừ", "Tổng", "Tối đa", "Tỉ lệ (%)", "Xếp loại"]
    rows = []
    for r in result["rows"]:
        line = [r["rank"], r["name"], r["department"], r["department_rank"]]
        if kind == "semester":
            line += [format_points(r["months"].get(k)) if k in r["months"] else "" for k in months]
            line.append(format_points(r["month_part"]))
        for c in criteria:
            cell = r["cells"].get(str(c["id"]), {})
            line.append(format_points(cell.get("points")) if cell.get("points") is not None else "")
        line += [format_points(r["bonus"]) if r["bonus"] else "", format_points(r["penalty"]) if r["penalty"] else "",
                 format_points(r["total"]), format_points(r["max"]), format_points(r["percent"]), r["band"] or ""]
        rows.append(line)
    return headers, rows


def _total(part: dict | None) -> str:
    return format_points(part["total"]) if part else ""


DEPARTMENT_HEADERS = ["Hạng", "Tổ", "Số người được đánh giá", "Tỉ lệ điểm bình quân (%)", "Xếp loại"]
COMMENDATION_HEADERS = ["TT", "Hình thức", "Tập thể / cá nhân", "Tên", "Tổ", "Xếp loại", "Minh chứng", "Duyệt"]


def department_rows(result: dict) -> list[list]:
    return [[d["rank"], d["name"], d["members"], format_points(d["percent"]), d["band"] or ""]
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


def date_line(place: str | None, day: date) -> str:
    return f"{place or '…'}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _document_sheet(book, name, school: School, doc_title: str, headers, rows, widths, today: date,
                    signer: str) -> None:
    sheet = OfficialSheet(book, name)
    last = len(headers) - 1
    split = max(1, last // 2)
    sheet.merged(0, (0, split), (school.governing_body or "").upper(), "plain")
    sheet.merged(0, (split + 1, last), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold")
    sheet.merged(1, (0, split), school.name.upper(), "bold")
    sheet.merged(1, (split + 1, last), "Độc lập - Tự do - Hạnh phúc", "motto")
    sheet.merged(2, (split + 1, last), date_line(school.place_name, today), "italic")
    sheet.merged(4, (0, last), doc_title, "title")
    sheet.ws.set_row(4, 48)
    header_row = 6
    sheet.headers(header_row, headers)
    for i, values in enumerate(rows, start=header_row + 1):
        for col, value in enumerate(values):
            sheet.text(i, col, value, "cell_center" if col == 0 else "cell")
    foot = header_row + len(rows) + 2
    sheet.merged(foot, (split + 1, last), signer, "bold")
    sheet.merged(foot + 1, (split + 1, last), "(Ký, ghi rõ họ tên)", "italic")
    sheet.finish(widths + [12] * (len(headers) - len(widths)), header_row)


def build_xlsx(result: dict, school: School, year: SchoolYear, today: date) -> bytes:
    """The workbook: the individual ranking, the departments and (semester, year) the commendations."""
    buf = io.BytesIO()
    book = Workbook(buf)
    signer = "HIỆU TRƯỞNG" if result["kind"] != "month" else "TM. BCH CÔNG ĐOÀN"
    headers, rows = individual_table(result)
    _document_sheet(book, "Cá nhân", school, title(result, year), headers, rows, [6, 24, 14, 8], today, signer)
    _document_sheet(book, "Tập thể", school, "KẾT QUẢ CỦA CÁC TỔ (TẬP THỂ) — " + period_text(result, year).upper(),
                    DEPARTMENT_HEADERS, department_rows(result), [6, 24, 14, 14, 12], today, signer)
    if result["kind"] != "month":
        _document_sheet(book, "Đề nghị khen thưởng", school,
                        "DANH SÁCH ĐỀ NGHỊ BIỂU DƯƠNG, KHEN THƯỞNG — " + period_text(result, year).upper(),
                        COMMENDATION_HEADERS, commendation_rows(result), [5, 12, 12, 24, 14, 10, 60, 11], today, signer)
    book.close()
    return buf.getvalue()


def filename(result: dict, year: SchoolYear) -> str:
    return f"thi-dua-{year.name}-{result['key']}.xlsx"


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
