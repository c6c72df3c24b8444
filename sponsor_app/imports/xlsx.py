"""Reading an uploaded .xlsx safely, and finding the table inside a school's export.

The zip container is checked before openpyxl parses a byte of it (entry count, declared
uncompressed size, compression ratio, macros, the workbook part). Python's zipfile never
inflates an entry past its declared size (it stops and fails the CRC check), so the declared
sizes checked here bound the work the parser can be made to do. openpyxl parses the XML with
defusedxml (installed), in read-only mode.

Exports of CSDL ngành, vnEdu and SMAS put title rows above the header, sometimes a two-row
header (a group label merged over sub-labels), sometimes a row of column numbers, and a footer
("Tổng số: …", "Người lập biểu", signatures) below the rows: `read_table` finds the header in
the first 40 rows and returns only the data rows.
"""

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from ..text import fold_key, nfc
from ..timeutil import parse_date

log = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 40
MAX_COLUMNS = 100  # columns read per row; exports have about 15-60
MAX_BLANK_RUN = 500  # consecutive blank rows after which the table is considered over
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003) and password-protected files
RATIO_CHECK_MIN_BYTES = 1024 * 1024  # per-entry ratio is checked for entries at least this large

# Columns that number the rows; ignored when deciding whether a row is blank.
SEQUENCE_LABELS = {"stt", "tt", "so tt", "so thu tu"}

# A footer row: its first non-empty cell (folded) matches this.
FOOTER_RE = re.compile(
    r"^(tong so|tong cong|nguoi lap|hieu truong|pho hieu truong|giao vien chu nhiem|gvcn|"
    r"xac nhan|t m|tm|ban giam hieu|thu truong|danh sach (nay )?(co|gom)|an dinh)\b"
    r"|^(.* )?ngay (\d{1,2} )?thang (\d{1,2} )?nam( \d{4})?$"
)
# A row below the footer with this many filled cells looks like a student or staff row (not a signature).
DATA_LIKE_CELLS = 3
_COLUMN_NUMBER_RE = re.compile(r"^\(?\d{1,3}\)?$")


class ImportFileError(Exception):
    """The upload cannot be used at all; the message is user-facing (already translated)."""


# --- the container ------------------------------------------------------------------------

def check_xlsx(data: bytes, config) -> None:
    """Refuse anything that is not a plain, reasonably sized .xlsx, before parsing it.

    :param config: a mapping with IMPORT_MAX_ZIP_ENTRIES, IMPORT_MAX_UNCOMPRESSED,
        IMPORT_MAX_RATIO and (optionally) MAX_CONTENT_LENGTH — normally `app.config`.
    :raises ImportFileError: with a message for the user.
    """
    if not data:
        raise ImportFileError(_("Tệp tải lên trống (0 byte)."))
    max_bytes = config.get("MAX_CONTENT_LENGTH")
    if max_bytes and len(data) > max_bytes:
        raise ImportFileError(_("Tệp quá lớn: tối đa %(mb)d MB.", mb=max(1, max_bytes // (1024 * 1024))))
    if data.startswith(OLE_SIGNATURE):
        raise ImportFileError(_(
            "Đây là tệp Excel 97-2003 (.xls) hoặc tệp có đặt mật khẩu. Hãy mở tệp bằng Excel, bỏ mật khẩu "
            "nếu có, rồi chọn Lưu thành → Sổ làm việc Excel (.xlsx) và tải lên tệp .xlsx."))
    not_xlsx = _("Tệp này không phải tệp Excel .xlsx (hoặc đã bị hỏng). Hãy xuất lại danh sách dạng .xlsx.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ImportFileError(not_xlsx) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > config["IMPORT_MAX_ZIP_ENTRIES"]:
            raise ImportFileError(_("Tệp có cấu trúc bất thường (quá nhiều thành phần bên trong); không mở."))
        names = {info.filename.lower() for info in entries}
        if any("vbaproject" in name or name.startswith("xl/macrosheets/") for name in names):
            raise ImportFileError(_(
                "Tệp có chứa macro (mã lệnh VBA); vì an toàn hệ thống không mở tệp này. Hãy lưu lại "
                "dạng Sổ làm việc Excel (.xlsx) không có macro rồi tải lên."))
        if any(info.flag_bits & 0x1 for info in entries):
            raise ImportFileError(_("Tệp đã được mã hóa hoặc đặt mật khẩu; hãy bỏ mật khẩu rồi tải lên lại."))
        total = sum(info.file_size for info in entries)
        packed = sum(info.compress_size for info in entries)
        bomb = _("Tệp giải nén ra quá lớn so với kích thước tệp (nghi là tệp độc hại); không mở.")
        if total > config["IMPORT_MAX_UNCOMPRESSED"]:
            raise ImportFileError(bomb)
        max_ratio = config["IMPORT_MAX_RATIO"]
        if total > RATIO_CHECK_MIN_BYTES and total / max(packed, 1) > max_ratio:
            raise ImportFileError(bomb)
        for info in entries:
            if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size / max(info.compress_size, 1) > max_ratio:
                raise ImportFileError(bomb)
        if "xl/workbook.xml" not in names or "[content_types].xml" not in names:
            raise ImportFileError(not_xlsx)
        content_types = next(i for i in entries if i.filename.lower() == "[content_types].xml")
        if content_types.file_size > RATIO_CHECK_MIN_BYTES:  # a few kB in real files
            raise ImportFileError(not_xlsx)
        try:
            types_xml = archive.read(content_types).lower()
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
            raise ImportFileError(not_xlsx) from None
        if b"macroenabled" in types_xml or b"vbaproject" in types_xml:
            raise ImportFileError(_(
                "Tệp là sổ làm việc có macro (.xlsm); vì an toàn hệ thống không mở tệp này. Hãy lưu lại "
                "dạng Sổ làm việc Excel (.xlsx) rồi tải lên."))


# --- cell values --------------------------------------------------------------------------

def cell_text(value) -> str | None:
    """A cell as NFC text (None when empty). Whole numbers print without ".0"; dates as dd/mm/yyyy."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "x" if value else None
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == time(0) else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    text = nfc(str(value))
    return text or None


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def cell_date(value) -> date | None:
    """A date from a dd/mm/yyyy text, a date cell or an Excel serial number.

    :raises ValueError: the cell holds something that is not a valid date.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if is_number(value):
        if not 1 <= value < 2958466:  # Excel's serial range (1900-01-01 … 9999-12-31)
            raise ValueError(value)
        return from_excel(value).date()
    text = nfc(str(value))
    if not text:
        return None
    if re.fullmatch(r"\d{1,6}", text):  # a serial number kept as text
        return cell_date(int(text))
    return parse_date(text)


# --- the table ----------------------------------------------------------------------------

@dataclass
class Table:
    """The data part of a sheet: column labels and the rows under the header."""

    sheet_name: str
    header_rows: tuple[int, ...]  # 1-based sheet row numbers of the header (one or two rows)
    labels: list[str]  # per column: the sub-label of a two-row header, else the header label
    parents: list[str]  # per column: the group label above a sub-label ("" when none)
    name_col: int
    title_lines: list[str] = field(default_factory=list)  # texts of the rows above the header
    rows: list[tuple[int, list]] = field(default_factory=list)  # (sheet row number, cell values)
    footer_row: int | None = None
    skipped_rows: list[int] = field(default_factory=list)  # blank rows and a column-number row
    after_footer: list[int] = field(default_factory=list)  # rows looking like data below the footer: not read

    @property
    def width(self) -> int:
        return len(self.labels)


def read_table(data: bytes, config, *, name_aliases: set[str], max_rows: int,
               missing_header: str | None = None) -> Table:
    """Check and open the workbook and return the first sheet's table whose header has a name column
    (a column labelled with one of `name_aliases`).

    :param missing_header: the message when no sheet has such a header (default: about "Họ và tên").
    :raises ImportFileError: unsafe or unreadable file, no header, no data rows, too many rows.
    """
    check_xlsx(data, config)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # untrusted input: whatever the parser trips on is "a damaged file"
        log.info("xlsx import: workbook not readable: %r", err)
        raise ImportFileError(_("Không đọc được tệp Excel: tệp bị hỏng hoặc không đúng định dạng .xlsx.")) from err
    try:
        return _read_table(workbook, name_aliases, max_rows, missing_header)
    except ImportFileError:
        raise
    except Exception as err:  # a sheet the parser cannot read part-way through
        log.info("xlsx import: sheet not readable: %r", err)
        raise ImportFileError(_("Không đọc được tệp Excel: tệp bị hỏng hoặc không đúng định dạng .xlsx.")) from err
    finally:
        workbook.close()


def _rows(sheet):
    """(row number, list of values) for every row of a read-only sheet, gaps included."""
    sheet.reset_dimensions()  # some exporters write a wrong <dimension>; read what is there
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, list(values[:MAX_COLUMNS])


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_keys(values) -> list[str]:
    return [fold_key(v) if isinstance(v, str) else "" for v in values]


def _read_table(workbook, name_aliases: set[str], max_rows: int, missing_header: str | None) -> Table:
    seen_content = False
    for sheet in workbook.worksheets:
        if not hasattr(sheet, "iter_rows"):  # a chart sheet
            continue
        rows = _rows(sheet)
        head: list[tuple[int, list]] = []
        header_at = None
        for number, values in rows:
            head.append((number, values))
            seen_content = seen_content or any(not _blank(v) for v in values)
            if header_at is None and any(k in name_aliases for k in _header_keys(values)):
                header_at = len(head) - 1
            if header_at is not None and len(head) >= header_at + 3:
                break  # the header, a possible sub-header row and a possible column-number row
            if header_at is None and number >= HEADER_SCAN_ROWS:
                break
        if header_at is None:
            continue
        return _build_table(sheet.title, head, header_at, rows, name_aliases, max_rows)
    if not seen_content:
        raise ImportFileError(_("Tệp Excel trống: không có dữ liệu nào."))
    raise ImportFileError(missing_header or _(
        "Không tìm thấy dòng tiêu đề của bảng: trong 40 dòng đầu không có cột “Họ và tên” (hoặc “Họ tên”). "
        "Hãy kiểm tra lại tệp xuất từ CSDL ngành, vnEdu hoặc SMAS."))


def _build_table(sheet_name, head, header_at, rest, name_aliases, max_rows) -> Table:
    header_no, header = head[header_at]
    keys = _header_keys(header)
    name_col = next(i for i, k in enumerate(keys) if k in name_aliases)
    after = head[header_at + 1:]
    header_rows = (header_no,)
    width = max(len(header), max((len(v) for _n, v in after), default=0))
    header = header + [None] * (width - len(header))
    labels = [cell_text(v) or "" for v in header]
    parents = [""] * width
    if after and _is_sub_header(header, after[0][1], name_col):
        sub_no, sub = after.pop(0)
        sub = sub + [None] * (width - len(sub))
        header_rows = (header_no, sub_no)
        # A group label sits over the first of its sub-labels (merged across: the next top cells
        # are blank); a label with nothing under it was merged down and starts no group.
        group = ""
        for col in range(width):
            top = cell_text(header[col]) or ""
            below = cell_text(sub[col]) or ""
            if top:
                group = top if below else ""
            if below:
                labels[col] = below
                parents[col] = group if group != below else ""
            else:
                labels[col] = top
    table = Table(sheet_name=sheet_name, header_rows=header_rows, labels=labels, parents=parents,
                  name_col=name_col)
    for _number, values in head[:header_at]:
        texts = [cell_text(v) for v in values if isinstance(v, str) and v.strip()]
        table.title_lines.extend(t for t in texts if t)
    sequence_cols = {i for i, label in enumerate(labels) if fold_key(label) in SEQUENCE_LABELS}
    if after and _is_column_numbers(after[0][1]):
        table.skipped_rows.append(after.pop(0)[0])

    def data_rows():
        yield from after
        yield from rest

    blank_run = 0
    rows = data_rows()
    for number, values in rows:
        values = values + [None] * (width - len(values)) if len(values) < width else values[:width]
        first = next((v for v in values if not _blank(v)), None)
        if isinstance(first, str) and FOOTER_RE.search(fold_key(first)):
            table.footer_row = number
            table.after_footer = _data_like_rows(rows, sequence_cols, width, max_rows)
            break
        if all(_blank(v) for i, v in enumerate(values) if i not in sequence_cols):
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
            table.skipped_rows.append(number)
            continue
        blank_run = 0
        if len(table.rows) >= max_rows:
            raise ImportFileError(_("Tệp có quá %(n)d dòng dữ liệu; hãy chia nhỏ danh sách (ví dụ theo khối).",
                                    n=max_rows))
        table.rows.append((number, values))
    if not table.rows:
        raise ImportFileError(_("Không có dòng dữ liệu nào dưới dòng tiêu đề (dòng %(n)d).", n=header_rows[-1]))
    return table


def _data_like_rows(rows, sequence_cols: set[int], width: int, limit: int) -> list[int]:
    """The rows below a footer line that look like data, not like a signature block: at least
    DATA_LIKE_CELLS filled cells (a signature line has one or two: "Hiệu trưởng", a name, a date)."""
    found = []
    for count, (number, values) in enumerate(rows):
        if count >= limit:
            break
        filled = sum(1 for i, v in enumerate(values[:width]) if i not in sequence_cols and not _blank(v))
        if filled >= DATA_LIKE_CELLS:
            found.append(number)
    return found


def _is_sub_header(header: list, below: list, name_col: int) -> bool:
    """Whether the row under the header holds sub-labels (the second row of a merged header)."""
    filled = [(i, v) for i, v in enumerate(below) if not _blank(v)]
    if not filled or not all(isinstance(v, str) for _i, v in filled):
        return False
    if name_col < len(below) and not _blank(below[name_col]):
        return False  # a data row (or a header whose name column is split, which is not a sub-header)
    return any(i >= len(header) or _blank(header[i]) for i, _v in filled)


def _is_column_numbers(values: list) -> bool:
    """A row of column numbers under the header: 1 2 3 … or (1) (2) (3) …"""
    filled = [v for v in values if not _blank(v)]
    if len(filled) < 3:
        return False
    return all((is_number(v) and float(v).is_integer()) or
               (isinstance(v, str) and _COLUMN_NUMBER_RE.match(v.strip())) for v in filled) and \
        _numbers_rise(filled)


def _numbers_rise(values: list) -> bool:
    numbers = [int(float(str(v).strip("() "))) for v in values]
    return numbers == sorted(numbers) and len(set(numbers)) == len(numbers) and numbers[0] <= 1
