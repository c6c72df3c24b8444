"""Build test workbooks: well-formed lists with XlsxWriter, broken and hostile files with zipfile.

Every builder returns the file's bytes; `save` writes them under a pytest tmp_path.
"""

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

DATA = Path(__file__).parent / "data"
CSDL_SAMPLE = DATA / "csdl_nganh_lop_10A1.xlsx"
VNEDU_SAMPLE = DATA / "vnedu_lop_11B2.xlsx"
STAFF_SAMPLE = DATA / "danh_sach_can_bo.xlsx"

STUDENT_HEADER = ["STT", "Mã học sinh", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp", "Chỗ ở hiện nay"]
STAFF_HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Chức vụ", "Tổ chuyên môn", "Môn dạy"]

def workbook(rows: list[list], *, title_rows: list[str] = (), footer_rows: list[list] = (),
             sheet: str = "Sheet1", merges: list[tuple] = (), extra_sheets: dict | None = None) -> bytes:
    """A workbook whose first sheet has `title_rows`, a blank row, then `rows`, then `footer_rows`.

    Cells: str → text (leading zeros kept), int/float → number, date/datetime → date cell
    (dd/mm/yyyy format), None → empty. `merges` are (first_row, first_col, last_row, last_col, text)
    in 0-based sheet coordinates.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    for name, sheet_rows in [(sheet, None), *((extra_sheets or {}).items())]:
        ws = book.add_worksheet(name)
        if sheet_rows is not None:
            _write_rows(ws, 0, sheet_rows, date_format)
            continue
        r = 0
        for text in title_rows:
            ws.write_string(r, 0, text)
            r += 1
        if title_rows:
            r += 1  # a blank row under the title, as exports have
        r = _write_rows(ws, r, rows, date_format)
        if footer_rows:
            r += 1
            _write_rows(ws, r, footer_rows, date_format)
        for first_row, first_col, last_row, last_col, text in merges:
            ws.merge_range(first_row, first_col, last_row, last_col, text)
    book.close()
    return buffer.getvalue()

def _write_rows(ws, start: int, rows, date_format) -> int:
    r = start
    for row in rows:
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime | date):
                excel_day = datetime(value.year, value.month, value.day)  # noqa: DTZ001 — Excel dates have no zone
                ws.write_datetime(r, c, excel_day, date_format)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
        r += 1
    return r

def student_list(rows: list[list], *, header=STUDENT_HEADER, title: str | None = "DANH SÁCH HỌC SINH LỚP 10A1",
                 footer: bool = True) -> bytes:
    """A class list like the exports: title, header, numbered rows, a signature footer."""
    numbered = [[i, *row] for i, row in enumerate(rows, start=1)]
    return workbook([header, *numbered], title_rows=["TRƯỜNG THPT THỬ NGHIỆM", title] if title else [],
                    footer_rows=[[None, None, "Người lập biểu", None, "Hiệu trưởng"]] if footer else [])

def staff_list(rows: list[list], *, header=STAFF_HEADER) -> bytes:
    numbered = [[i, *row] for i, row in enumerate(rows, start=1)]
    return workbook([header, *numbered], title_rows=["DANH SÁCH CÁN BỘ, GIÁO VIÊN, NHÂN VIÊN"])

# --- broken and hostile files -------------------------------------------------------------

def text_file() -> bytes:
    """A CSV someone renamed to .xlsx."""
    return "STT,Họ và tên,Ngày sinh\n1,Nguyễn Văn An,01/02/2011\n".encode()

def xls_file() -> bytes:
    """The first bytes of an Excel 97-2003 (OLE) file."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504

def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()

def zip_bomb(megabytes: int = 20) -> bytes:
    """A small zip whose sheet inflates to `megabytes` MB of one repeated byte (ratio ≈ 1000)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            chunk = b" " * (1024 * 1024)
            for _ in range(megabytes):
                entry.write(chunk)
    return buffer.getvalue()

def many_entries(count: int) -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                 **{f"xl/media/image{i}.png": b"x" for i in range(count)}})

def with_macros(data: bytes) -> bytes:
    """A copy of a workbook with a VBA project added (what a .xlsm carries)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    entries = {info.filename: source.read(info) for info in source.infolist()}
    entries["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 fake vba project"
    return _zip(entries)

def macro_content_type(data: bytes) -> bytes:
    """A workbook declared as macro-enabled in [Content_Types].xml (no vbaProject.bin)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    entries = {info.filename: source.read(info) for info in source.infolist()}
    entries["[Content_Types].xml"] = entries["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    return _zip(entries)

def not_a_workbook_zip() -> bytes:
    """A zip that is not a spreadsheet (like a .docx)."""
    return _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})

def damaged_workbook() -> bytes:
    """Passes the container checks but its workbook part is not XML."""
    return _zip({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>', "xl/workbook.xml": b"\x00\x01 not xml",
                 "_rels/.rels": b"garbage"})

def xml_bomb() -> bytes:
    """A billion-laughs entity expansion in the shared strings (defusedxml must refuse it)."""
    good = workbook([["Họ và tên"], ["An"]])
    source = zipfile.ZipFile(io.BytesIO(good))
    entries = {info.filename: source.read(info) for info in source.infolist()}
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
           b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
           b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           b"<si><t>&lol3;</t></si></sst>")
    entries["xl/sharedStrings.xml"] = lol
    return _zip(entries)

def empty_workbook() -> bytes:
    return workbook([])

def no_header_workbook() -> bytes:
    return workbook([["STT", "Tên", "Ghi chú"], [1, "An", ""]], title_rows=["BÁO CÁO"])

def header_only_workbook() -> bytes:
    return workbook([STUDENT_HEADER], title_rows=["DANH SÁCH HỌC SINH LỚP 10A1"],
                    footer_rows=[["Tổng số: 0 học sinh"]])

def save(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
