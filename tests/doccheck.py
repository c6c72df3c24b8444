"""Independent checkers for the printed official documents (issue 20): helpers for tests, no tests here.

The app renders its official documents (xlsx for any office suite, PDF with WeasyPrint). These helpers
look at the *results* the way a reader of the printout would, without importing anything from
``sponsor_app.documents``, so a mistake in the renderer cannot hide itself in the check:

* PDFs are read back with pdfplumber into text lines with their boxes and font sizes
  (:func:`pdf_lines`), on which :func:`overlapping_lines` finds text drawn over other text (what
  LibreOffice prints when wrapped text is in a row too short for it), :func:`small_lines` finds text
  below a legible size and :func:`has_text` tells whether a heading is printed whole on one line;
* :func:`fonts_embedded` lists the fonts of a PDF and whether each is embedded (``pdffonts``);
* :func:`xlsx_to_pdf` prints an xlsx with headless LibreOffice, :func:`first_page_png` draws a page
  (``pdftoppm``) for a human to look at;
* :func:`xlsx_row_fit_problems` is an oracle for row heights: it measures wrapped text with the real
  advance widths of Liberation Serif (the font the app ships) and reports rows too short for their text;
  :func:`xlsx_number_problems` reports numbers written as strings.

External programs: ``soffice`` (Debian: libreoffice-calc-nogui) and poppler-utils (``pdftoppm``,
``pdffonts``); ``.ci/run`` installs them. A test that needs one calls :func:`require_soffice` or
:func:`require_poppler` first: with ``CI=true`` a missing program fails the test, otherwise it is skipped.
"""

from __future__ import annotations

import io
import math
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pdfplumber
import pytest

PdfSource = str | os.PathLike | bytes

FONTS_DIR = Path(__file__).resolve().parent.parent / "sponsor_app" / "static" / "fonts"
SOFFICE_TIMEOUT = 180  # seconds for one xlsx -> PDF conversion


def in_ci() -> bool:
    """True when the environment says this is CI (``CI`` is 1/true/yes), as in tests/conftest.py."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class DocCheckError(RuntimeError):
    """An external program (LibreOffice, poppler) failed; the message carries its stderr."""


# --------------------------------------------------------------------------------------------------
# PDF text lines
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One printed line of text on a page, in PDF points from the page's top-left corner.

    ``size`` is the smallest character size on the line (pt); ``fontnames`` the fonts its characters
    use (subset prefixes such as ``ABCDEF+`` kept as pdfplumber reports them).
    """

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    fontnames: tuple[str, ...]
    page: int  # 1-based page number

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Page:
    """A PDF page: its 1-based number, its size in points and its text lines (top to bottom)."""

    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)


def _open_pdf(pdf: PdfSource):
    if isinstance(pdf, bytes | bytearray):
        return pdfplumber.open(io.BytesIO(bytes(pdf)))
    return pdfplumber.open(os.fspath(pdf))


def _words_to_lines(words: list[dict], page_number: int) -> list[Line]:
    """Cluster pdfplumber words into lines.

    Words belong to one line when their tops differ by at most 30 % of the smaller font size (at least
    1 pt), they do not overlap horizontally (text drawn over text is never merged into one line, so
    the overlap stays visible) and the gap between them is at most one em (cells of a table row further
    apart become separate lines).
    """
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        placed = False
        for line in lines:
            first = line[0]
            tolerance = max(1.0, 0.3 * min(first["size"], word["size"]))
            if abs(word["top"] - first["top"]) > tolerance:
                continue
            last = max(line, key=lambda w: w["x1"])
            overlaps = any(w["x0"] < word["x1"] - 0.5 and word["x0"] < w["x1"] - 0.5 for w in line)
            gap = word["x0"] - last["x1"]
            if not overlaps and -0.5 <= gap <= max(word["size"], last["size"]):
                line.append(word)
                placed = True
                break
        if not placed:
            lines.append([word])
    result = []
    for line in lines:
        line.sort(key=lambda w: w["x0"])
        result.append(
            Line(
                text=" ".join(w["text"] for w in line),
                x0=min(w["x0"] for w in line),
                x1=max(w["x1"] for w in line),
                top=min(w["top"] for w in line),
                bottom=max(w["bottom"] for w in line),
                size=min(float(w["size"]) for w in line),
                fontnames=tuple(sorted({w["fontname"] for w in line})),
                page=page_number,
            )
        )
    result.sort(key=lambda ln: (round(ln.top, 1), ln.x0))
    return result


def pdf_lines(pdf: PdfSource) -> list[Page]:
    """Read a PDF (a path or its bytes) into pages of text lines.

    Words come from pdfplumber's ``extract_words(extra_attrs=["size", "fontname"],
    keep_blank_chars=False, use_text_flow=True)`` (in the order they are drawn, each of one size and
    font), then are clustered into lines by their ``top`` (see :func:`_words_to_lines`).
    """
    pages = []
    with _open_pdf(pdf) as doc:
        for number, page in enumerate(doc.pages, start=1):
            words = page.extract_words(
                extra_attrs=["size", "fontname"], keep_blank_chars=False, use_text_flow=True
            )
            pages.append(
                Page(
                    number=number,
                    width=float(page.width),
                    height=float(page.height),
                    lines=_words_to_lines(words, number),
                )
            )
    return pages


def overlapping_lines(
    page: Page, vertical: float = 0.25, horizontal: float = 1.0
) -> list[tuple[Line, Line]]:
    """Pairs of distinct lines of ``page`` drawn over each other.

    Two lines overlap when their boxes share more than ``vertical`` (a fraction) of the smaller line's
    height AND more than ``horizontal`` points of width. Consecutive lines of a normal paragraph, even
    set solid (line-height 1), share at most about 10 % of their height, so they are not reported.
    """
    lines = sorted(page.lines, key=lambda ln: ln.top)
    pairs = []
    for i, a in enumerate(lines):
        for b in lines[i + 1 :]:
            if b.top >= a.bottom:
                break  # sorted by top: no later line reaches a
            v = min(a.bottom, b.bottom) - max(a.top, b.top)
            h = min(a.x1, b.x1) - max(a.x0, b.x0)
            if v > vertical * min(a.height, b.height) and h > horizontal:
                pairs.append((a, b))
    return pairs


def small_lines(page: Page, minimum: float = 9.0) -> list[Line]:
    """Lines of ``page`` with any character smaller than ``minimum`` pt (0.01 pt tolerance)."""
    return [ln for ln in page.lines if ln.size < minimum - 0.01]


def page_texts(pdf: PdfSource) -> list[str]:
    """The text of each page (pdfplumber ``extract_text``), NFC-normalized."""
    with _open_pdf(pdf) as doc:
        return [unicodedata.normalize("NFC", page.extract_text() or "") for page in doc.pages]


def normalize_text(text: str) -> str:
    """NFC, and every run of whitespace as one space, stripped: the form :func:`has_text` compares."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def has_text(pdf: PdfSource | list[Page], text: str) -> bool:
    """Whether ``text`` (e.g. "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") is printed whole on one line.

    ``pdf`` is a path, PDF bytes or the result of :func:`pdf_lines`. Both sides are normalized with
    :func:`normalize_text`; a heading broken over two lines is not found.
    """
    pages = pdf if isinstance(pdf, list) else pdf_lines(pdf)
    wanted = normalize_text(text)
    return any(wanted in normalize_text(ln.text) for page in pages for ln in page.lines)


# --------------------------------------------------------------------------------------------------
# External programs: poppler, LibreOffice
# --------------------------------------------------------------------------------------------------


def _require(programs: Iterable[str], package: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not found (Debian: apt-get install {package}; .ci/run installs it)"
    if in_ci():
        pytest.fail(message + " - required under CI=true", pytrace=False)
    pytest.skip(message + " (not CI: skipped)")


def require_poppler() -> None:
    """Fail the calling test under CI=true, skip it otherwise, when poppler-utils is missing."""
    _require(["pdftoppm", "pdftotext", "pdffonts"], "poppler-utils")


def soffice_path() -> str | None:
    """The LibreOffice executable (``soffice``, else ``libreoffice``), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The LibreOffice executable; when missing, fail the calling test under CI=true, else skip it."""
    path = soffice_path()
    if path is None:
        _require(["soffice"], "libreoffice-calc-nogui")
    return path  # type: ignore[return-value]


def _run(args: list[str], timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    except FileNotFoundError as exc:
        raise DocCheckError(f"{args[0]} not found: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise DocCheckError(
            f"{' '.join(args)} timed out after {timeout} s; stderr: {exc.stderr or ''}"
        ) from exc


def fonts_embedded(pdf_path: str | os.PathLike) -> list[tuple[str, bool]]:
    """``(font name, embedded)`` for each font of the PDF, from poppler's ``pdffonts``.

    The name is without its subset prefix (``ABCDEF+LiberationSerif`` -> ``LiberationSerif``).
    """
    proc = _run(["pdffonts", os.fspath(pdf_path)], timeout=60)
    if proc.returncode != 0:
        raise DocCheckError(f"pdffonts {pdf_path} failed ({proc.returncode}): {proc.stderr.strip()}")
    lines = proc.stdout.splitlines()
    dash_index = next(i for i, line in enumerate(lines) if line.startswith("---"))
    header, dashes = lines[dash_index - 1], lines[dash_index]
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
    names = [header[s:e].strip() for s, e in spans]
    name_col, emb_col = spans[0], spans[names.index("emb")]
    result = []
    for line in lines[dash_index + 1 :]:
        if not line.strip():
            continue
        name = line[name_col[0] : name_col[1]].strip()
        name = re.sub(r"^[A-Z]{6}\+", "", name)
        embedded = line[emb_col[0] : emb_col[1]].strip() == "yes"
        result.append((name, embedded))
    return result


def xlsx_to_pdf(xlsx_path: str | os.PathLike, out_dir: str | os.PathLike, dpi: int | None = 96) -> Path:
    """Print ``xlsx_path`` to PDF with headless LibreOffice; return the PDF's path in ``out_dir``.

    ``dpi`` is passed as ``SAL_FORCEDPI``: headless LibreOffice otherwise counts 72 dpi and prints every
    column a third wider than desktop LibreOffice at 96 dpi (a 30-character column: 215 pt instead of
    170 pt; Excel: 161 pt), which would hide wrapping that users see. None leaves LibreOffice's default.
    Each call uses its own LibreOffice profile (``/tmp/lo-profile-<pid>-<random>``, removed after), so
    calls may run in parallel. Raises :class:`DocCheckError` with LibreOffice's output when soffice is
    missing, fails, times out (:data:`SOFFICE_TIMEOUT`) or writes no PDF.
    """
    soffice = soffice_path()
    if soffice is None:
        raise DocCheckError("soffice not found (Debian: apt-get install libreoffice-calc-nogui)")
    xlsx_path, out_dir = Path(xlsx_path).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.gettempdir()) / f"lo-profile-{os.getpid()}-{secrets.token_hex(6)}"
    env = dict(os.environ)
    if dpi is not None:
        env["SAL_FORCEDPI"] = str(dpi)
    try:
        proc = _run(
            [
                soffice,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                str(xlsx_path),
            ],
            timeout=SOFFICE_TIMEOUT,
            env=env,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = out_dir / (xlsx_path.stem + ".pdf")
    if proc.returncode != 0 or not pdf.is_file():
        raise DocCheckError(
            f"LibreOffice did not convert {xlsx_path} to PDF (exit {proc.returncode}); "
            f"stdout: {proc.stdout.strip()!r}; stderr: {proc.stderr.strip()!r}"
        )
    return pdf


def first_page_png(
    pdf_path: str | os.PathLike, png_path: str | os.PathLike, dpi: int = 70
) -> Path:
    """Draw the PDF's first page as a PNG at ``png_path`` (``pdftoppm -png -singlefile``)."""
    png_path = Path(png_path)
    root = png_path.with_suffix("") if png_path.suffix.lower() == ".png" else png_path
    proc = _run(
        ["pdftoppm", "-png", "-f", "1", "-l", "1", "-r", str(dpi), "-singlefile",
         os.fspath(pdf_path), str(root)],
        timeout=60,
    )
    out = root.with_name(root.name + ".png")
    if proc.returncode != 0 or not out.is_file():
        raise DocCheckError(f"pdftoppm {pdf_path} failed ({proc.returncode}): {proc.stderr.strip()}")
    return out


# --------------------------------------------------------------------------------------------------
# xlsx oracles (openpyxl + the real advance widths of Liberation Serif)
# --------------------------------------------------------------------------------------------------

DEFAULT_COLUMN_PIXELS = 64  # Excel's default column (8.43 characters of Calibri 11)
DEFAULT_ROW_HEIGHT = 15.0  # pt, the default row of Calibri 11
LINE_HEIGHT_FACTOR = 1.25  # a wrapped line takes font size x this (Liberation Serif's own is 1.15)
HEIGHT_TOLERANCE = 1.0  # pt


@dataclass(frozen=True)
class _Metrics:
    units_per_em: int
    advances: dict[int, int]  # code point -> advance width in font units
    fallback: int  # advance of a character the font lacks (.notdef)

    def width(self, text: str, size: float) -> float:
        units = sum(self.advances.get(ord(ch), self.fallback) for ch in text)
        return units * size / self.units_per_em


@lru_cache(maxsize=8)
def _font_metrics(bold: bool, italic: bool) -> _Metrics:
    from fontTools.ttLib import TTFont

    style = ("Bold" if bold else "") + ("Italic" if italic else "") or "Regular"
    font = TTFont(FONTS_DIR / f"LiberationSerif-{style}.ttf", lazy=True)
    hmtx = font["hmtx"]
    advances = {cp: hmtx[glyph][0] for cp, glyph in font.getBestCmap().items()}
    return _Metrics(font["head"].unitsPerEm, advances, hmtx[".notdef"][0])


def text_width(text: str, size: float, bold: bool = False, italic: bool = False) -> float:
    """Width in pt of ``text`` (NFC) set in Liberation Serif at ``size`` pt, without kerning."""
    return _font_metrics(bold, italic).width(unicodedata.normalize("NFC", text), size)


def wrapped_line_count(text: str, width: float, size: float, bold: bool = False, italic: bool = False) -> int:
    """Lines ``text`` needs in a box ``width`` pt wide: greedy breaks at spaces, explicit ``\\n`` kept,
    words longer than a line split between characters (as office suites do)."""
    metrics = _font_metrics(bold, italic)
    width = max(width, 1.0)
    space = metrics.width(" ", size)
    count = 0
    for paragraph in unicodedata.normalize("NFC", text).split("\n"):
        count += 1
        current = 0.0  # width of the current line; 0 = empty line
        for word in paragraph.split():
            w = metrics.width(word, size)
            if current and current + space + w <= width:
                current += space + w
                continue
            if current:
                count += 1
            if w <= width:
                current = w
                continue
            current = 0.0  # split an overlong word character by character
            for ch in word:
                cw = metrics.width(ch, size)
                if current and current + cw > width:
                    count += 1
                    current = 0.0
                current += cw
    return count


TIMES_LIKE = {"times new roman", "times", "liberation serif", "tinos"}
CALIBRI_DIGIT_EM = 1038 / 2048  # advance of Calibri's (and Carlito's) digits


def max_digit_pixels(font_name: str | None, size: float | None) -> int:
    """Excel's column-width unit: the widest digit of the workbook's default font, in 96-dpi pixels.

    Times New Roman (or a metric-compatible font): measured on Liberation Serif (0.5 em: 8 px at 12 pt);
    any other font: Calibri's digits (7 px at 11 pt, Excel's default), a narrow guess on purpose.
    """
    size = float(size or 11)
    if (font_name or "").strip().lower() in TIMES_LIKE:
        metrics = _font_metrics(False, False)
        em = max(metrics.advances[ord(d)] for d in "0123456789") / metrics.units_per_em
    else:
        em = CALIBRI_DIGIT_EM
    return max(1, round(em * size * 96 / 72))


def column_pixels(stored_width: float | None, digit: int = 7, base_width: int = 8) -> int:
    """Pixels (96 dpi) of a column from the width stored in the xlsx (what openpyxl returns).

    The stored width already includes the padding (xlsxwriter's ``set_column(w)`` stores
    ``trunc((trunc(w*7+0.5)+5)/7*256)/256``), so this is the OOXML formula
    ``trunc((256*w + trunc(128/digit))/256 * digit)``; ``digit`` is :func:`max_digit_pixels` (7 for
    Calibri 11). No width at all: Excel's default column, ``base_width`` digits plus padding rounded up
    to a multiple of 8 pixels (64 pixels, "8.43", for Calibri 11).
    """
    if stored_width is None:
        return math.ceil((base_width * digit + column_padding_pixels(digit)) / 8) * 8
    return math.trunc((256 * stored_width + math.trunc(128 / digit)) / 256 * digit)


def column_padding_pixels(digit: int = 7) -> int:
    """The pixels of a column text cannot use: 2 x ceil(digit/4) + 1 (5 for Calibri 11)."""
    return 2 * math.ceil(digit / 4) + 1


def _column_widths(ws) -> dict[int, tuple[float | None, bool]]:
    """Column index (1-based) -> (stored width or None, hidden) from the sheet's <col> elements."""
    widths: dict[int, tuple[float | None, bool]] = {}
    for dim in list(ws.column_dimensions.values()):
        if dim.min is None or dim.max is None:
            continue
        for index in range(dim.min, dim.max + 1):
            widths[index] = (dim.width, bool(dim.hidden))
    return widths


def xlsx_row_fit_problems(xlsx_path: str | os.PathLike) -> list[str]:
    """Rows too short for their wrapped text, e.g. ``"Danh sách!5: needs 45.0 pt, has 15.0 pt (cell C5)"``.

    For every cell with ``wrap_text`` and a non-empty string: the lines the text needs at its column's
    width (a merged range: the sum of its columns, and the sum of its rows' heights is what it has),
    measured with Liberation Serif's advance widths at the cell's font size (bold/italic faces when the
    font is); usable width = (column pixels - padding pixels) x 0.75 pt, the pixels counted as Excel does
    from the workbook's default font (:func:`column_pixels`: for Calibri 11, 7 pixels a unit and 5 of
    padding, i.e. 3.75 pt; Excel's widths are the narrowest the xlsx gets: LibreOffice's are wider). A line takes
    font size x 1.25. A row is reported when its height (unset: the sheet's default, 15 pt) is below
    lines x line height - 1 pt. Hidden rows and columns are skipped. The widths are those of Liberation
    Serif whatever font the cell names (the documents use Times New Roman, metric-compatible).
    """
    from openpyxl import load_workbook

    workbook = load_workbook(xlsx_path)
    default_font = workbook._fonts[0] if workbook._fonts else None  # the Normal style's font
    digit = max_digit_pixels(getattr(default_font, "name", None), getattr(default_font, "sz", None))
    padding = column_padding_pixels(digit) * 0.75
    problems = []
    for ws in workbook.worksheets:
        default_height = ws.sheet_format.defaultRowHeight or DEFAULT_ROW_HEIGHT
        default_width = ws.sheet_format.defaultColWidth
        base_width = ws.sheet_format.baseColWidth or 8
        columns = _column_widths(ws)
        merged_at = {}
        covered = set()
        for rng in ws.merged_cells.ranges:
            merged_at[(rng.min_row, rng.min_col)] = rng
            covered.update(
                (r, c) for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col, rng.max_col + 1)
            )

        def row_height(r, ws=ws, default_height=default_height):
            dim = ws.row_dimensions.get(r)  # .get: indexing would create the row
            if dim is None:
                return default_height, False
            return (dim.height if dim.height is not None else default_height), bool(dim.hidden)

        def col_width_pt(c, columns=columns, default_width=default_width, base_width=base_width):
            width, hidden = columns.get(c, (default_width, False))
            return column_pixels(width, digit, base_width) * 0.75, hidden

        worst: dict[int, tuple[float, float, str]] = {}
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str) or not value.strip():
                    continue
                if not (cell.alignment is not None and cell.alignment.wrap_text):
                    continue
                r, c = cell.row, cell.column
                rng = merged_at.get((r, c))
                if rng is None and (r, c) in covered:
                    continue  # a covered cell of a merged range is not shown
                rows = range(r, r + 1) if rng is None else range(rng.min_row, rng.max_row + 1)
                cols = range(c, c + 1) if rng is None else range(rng.min_col, rng.max_col + 1)
                heights = [row_height(i) for i in rows]
                widths = [col_width_pt(j) for j in cols]
                if all(hidden for _, hidden in heights) or all(hidden for _, hidden in widths):
                    continue
                has = sum(h for h, hidden in heights if not hidden)
                usable = sum(w for w, hidden in widths if not hidden) - padding
                size = float(cell.font.sz or 11) if cell.font is not None else 11.0
                bold = bool(cell.font is not None and cell.font.b)
                italic = bool(cell.font is not None and cell.font.i)
                lines = wrapped_line_count(value, usable, size, bold, italic)
                needs = lines * size * LINE_HEIGHT_FACTOR
                if has < needs - HEIGHT_TOLERANCE:
                    shortfall = needs - has
                    if r not in worst or shortfall > worst[r][0] - worst[r][1]:
                        worst[r] = (needs, has, cell.coordinate if rng is None else str(rng.coord))
        for r in sorted(worst):
            needs, has, where = worst[r]
            problems.append(f"{ws.title}!{r}: needs {needs:.1f} pt, has {has:.1f} pt (cell {where})")
    return problems


_NUMBER_LIKE = re.compile(r"^[+-]?\d[\d.,\u00a0 ]*(\s*%)?$")


def looks_like_number(text: str) -> bool:
    """"7,5", "12", "87,5 %", "1.234" -> True; "10A1", "12/05/2025", "" -> False."""
    return bool(_NUMBER_LIKE.match(text.strip()))


def xlsx_number_problems(
    xlsx_path: str | os.PathLike, columns: Iterable[tuple[str, str]]
) -> list[str]:
    """Numbers written as strings in the given columns.

    ``columns`` are ``(sheet title, header text)``; the header is the first cell of the sheet whose
    normalized text equals it. Every cell below the header in its column that is a string looking like
    a number (:func:`looks_like_number`) is reported, e.g. ``"Tổng hợp!D7 'Điểm TB': '7,5' is text"``. A
    sheet or header not found is reported too, so a check never passes by finding nothing.
    """
    from openpyxl import load_workbook

    workbook = load_workbook(xlsx_path)
    problems = []
    for sheet, header in columns:
        if sheet not in workbook.sheetnames:
            problems.append(f"sheet {sheet!r} not found (sheets: {workbook.sheetnames})")
            continue
        ws = workbook[sheet]
        wanted = normalize_text(header)
        found = next(
            (
                cell
                for row in ws.iter_rows()
                for cell in row
                if isinstance(cell.value, str) and normalize_text(cell.value) == wanted
            ),
            None,
        )
        if found is None:
            problems.append(f"{sheet}: header {header!r} not found")
            continue
        for (cell,) in ws.iter_rows(
            min_row=found.row + 1, max_row=ws.max_row, min_col=found.column, max_col=found.column
        ):
            if isinstance(cell.value, str) and looks_like_number(cell.value):
                problems.append(f"{sheet}!{cell.coordinate} {header!r}: {cell.value!r} is text")
    return problems
