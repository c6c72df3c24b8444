"""The checkers of tests/doccheck.py checked themselves (issue 20): each is shown a document with the
fault it looks for and the same document without it, so a checker that sees nothing cannot pass.

PDFs are built with WeasyPrint and the fonts the app ships; xlsx files with XlsxWriter. The LibreOffice
test prints an xlsx whose wrapped text is in a row too short for it, as the issue found in the
assignment list (338 overlapping line pairs), and shows that `overlapping_lines` sees it.
"""

from pathlib import Path

import pytest
import xlsxwriter
from fontTools.ttLib import TTFont

from tests import doccheck

HEADING = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
LONG = (
    "Em Nguyễn Thị Hồng Nhung, lớp 10A1, hoàn cảnh gia đình khó khăn, bố mẹ đi làm ăn xa, ở với bà "
    "ngoại đã già yếu; thường xuyên nghỉ học không phép, kết quả học tập học kỳ I giảm sút nhiều môn."
)
FAMILY = "DocCheckSerif"  # a name no system font has: the PDF can only have it from the shipped files


# ---------------------------------------------------------------------------------------------- fonts


@pytest.mark.parametrize("style", ["Regular", "Bold", "Italic", "BoldItalic"])
def test_shipped_liberation_serif_covers_vietnamese(style):
    font = TTFont(doccheck.FONTS_DIR / f"LiberationSerif-{style}.ttf")
    cmap = font.getBestCmap()
    assert font["name"].getDebugName(1) == "Liberation Serif"
    assert font["name"].getDebugName(5).startswith("Version 2.")
    for char in "ệạưđƯĐ":
        assert ord(char) in cmap, f"{style} lacks {char!r} U+{ord(char):04X}"
    missing = [f"U+{cp:04X}" for cp in range(0x1EA0, 0x1EFA) if cp not in cmap]
    assert missing == []
    assert (doccheck.FONTS_DIR / "LICENSE-LiberationSerif.txt").read_text().count("SIL OPEN FONT LICENSE") >= 1


# ----------------------------------------------------------------------------------------------- PDFs


def _pdf(body: str, path: Path) -> Path:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    faces = "".join(
        f"@font-face {{ font-family: {FAMILY}; font-weight: {weight}; font-style: {style}; "
        f"src: url({(doccheck.FONTS_DIR / f'LiberationSerif-{name}.ttf').as_uri()}); }}"
        for name, weight, style in [
            ("Regular", "normal", "normal"),
            ("Bold", "bold", "normal"),
            ("Italic", "normal", "italic"),
            ("BoldItalic", "bold", "italic"),
        ]
    )
    css = CSS(
        string=faces + f"@page {{ size: A4; margin: 2cm }} body {{ font-family: {FAMILY}; font-size: 12pt }}"
        " p { margin: 0 }",
        font_config=fonts,
    )
    HTML(string=f"<html><body>{body}</body></html>").write_pdf(path, stylesheets=[css], font_config=fonts)
    return path


def _absolute(top_px: int, left_px: int, text: str) -> str:
    return f'<p style="position: absolute; top: {top_px}px; left: {left_px}px">{text}</p>'


FIRST = "Nguyễn Văn Bình lớp 10A1 trường THPT"
SECOND = "Trần Thị Hồng Nhung đỡ đầu học sinh"


def test_overlapping_lines_finds_text_drawn_over_text(tmp_path):
    pdf = _pdf(_absolute(100, 0, FIRST) + _absolute(105, 20, SECOND), tmp_path / "over.pdf")
    (page,) = doccheck.pdf_lines(pdf)
    pairs = doccheck.overlapping_lines(page)
    assert [{a.text, b.text} for a, b in pairs] == [{FIRST, SECOND}]


def test_overlapping_lines_none_when_lines_are_apart(tmp_path):
    pdf = _pdf(_absolute(100, 0, FIRST) + _absolute(130, 20, SECOND), tmp_path / "apart.pdf")
    (page,) = doccheck.pdf_lines(pdf)
    assert sorted(ln.text for ln in page.lines) == sorted([FIRST, SECOND])
    assert doccheck.overlapping_lines(page) == []


def test_overlapping_lines_none_in_a_paragraph_set_solid(tmp_path):
    """Consecutive lines with line-height 1 touch but are not drawn over each other."""
    pdf = _pdf(f'<p style="width: 200px; line-height: 1">{LONG} {LONG}</p>', tmp_path / "solid.pdf")
    (page,) = doccheck.pdf_lines(pdf)
    assert len(page.lines) >= 8
    assert doccheck.overlapping_lines(page) == []


def test_overlapping_lines_needs_horizontal_overlap(tmp_path):
    """Two texts at the same height side by side (cells of a table row) are not an overlap."""
    pdf = _pdf(_absolute(100, 0, "Nguyễn Văn Bình") + _absolute(103, 300, "Giáo viên"), tmp_path / "side.pdf")
    (page,) = doccheck.pdf_lines(pdf)
    assert len(page.lines) == 2
    assert doccheck.overlapping_lines(page) == []


def test_small_lines_finds_text_below_the_minimum(tmp_path):
    body = (
        '<p style="font-size: 12pt">Danh sách học sinh</p>'
        '<p style="font-size: 9pt">Ghi chú chín</p>'
        '<p style="font-size: 8pt">Ghi chú tám</p>'
    )
    (page,) = doccheck.pdf_lines(_pdf(body, tmp_path / "small.pdf"))
    assert [(ln.text, ln.size) for ln in doccheck.small_lines(page)] == [("Ghi chú tám", pytest.approx(8.0, abs=0.01))]
    assert doccheck.small_lines(page, minimum=8.0) == []
    assert page.width == pytest.approx(595.3, abs=0.5)  # A4
    assert all(FAMILY in name for ln in page.lines for name in ln.fontnames)


def test_has_text_only_when_the_heading_is_whole_on_one_line(tmp_path):
    whole = _pdf(f"<p><b>{HEADING}</b></p>", tmp_path / "whole.pdf")
    split = _pdf("<p><b>CỘNG HÒA XÃ HỘI<br>CHỦ NGHĨA VIỆT NAM</b></p>", tmp_path / "split.pdf")
    assert doccheck.has_text(whole, HEADING)
    assert doccheck.has_text(whole.read_bytes(), "  CỘNG HÒA XÃ HỘI\nCHỦ NGHĨA  VIỆT NAM ")  # whitespace
    assert not doccheck.has_text(split, HEADING)
    assert doccheck.has_text(split, "CỘNG HÒA XÃ HỘI")
    # NFD input (as some PDFs extract combining marks separately) compares equal after NFC.
    import unicodedata

    assert doccheck.has_text(whole, unicodedata.normalize("NFD", HEADING))
    assert doccheck.page_texts(whole) == [HEADING]


def test_fonts_embedded_reports_the_shipped_font(tmp_path):
    doccheck.require_poppler()
    pdf = _pdf(f"<p>{LONG}</p><p><b>{HEADING}</b></p>", tmp_path / "fonts.pdf")
    fonts = doccheck.fonts_embedded(pdf)
    assert {name for name, _ in fonts} == {FAMILY, f"{FAMILY}-Bold"}
    assert all(embedded for _, embedded in fonts)


def test_first_page_png(tmp_path):
    doccheck.require_poppler()
    pdf = _pdf(f"<p>{HEADING}</p><p style='page-break-before: always'>2</p>", tmp_path / "two.pdf")
    png = doccheck.first_page_png(pdf, tmp_path / "first.png", dpi=30)
    assert png == tmp_path / "first.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "first-2.png").exists()


# ----------------------------------------------------------------------------------------------- xlsx


def _xlsx(path: Path, rows, widths=(6, 30, 20), heights=None, merge=None) -> Path:
    """rows: lists of cell values for rows 2.. (row 1 is a header); str cells are wrapped Times 12."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Danh sách")
    wrap = wb.add_format({"text_wrap": True, "valign": "top", "font_name": "Times New Roman", "font_size": 12})
    plain = wb.add_format({"valign": "top", "font_name": "Times New Roman", "font_size": 12, "border": 1})
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_row(0, 0, ["STT", "Hoàn cảnh", "Điểm TB"], plain)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            ws.write(r, c, value, wrap if isinstance(value, str) else plain)
    for r, height in (heights or {}).items():
        ws.set_row(r, height)
    if merge:
        first_row, first_col, last_row, last_col, value = merge
        ws.merge_range(first_row, first_col, last_row, last_col, value, wrap)
    wb.close()
    return path


def test_row_fit_reports_a_wrapped_row_without_height(tmp_path):
    path = _xlsx(tmp_path / "noheight.xlsx", [[1, LONG, 7.5], [2, "Trần Văn An", 8.0]])
    problems = doccheck.xlsx_row_fit_problems(path)
    assert len(problems) == 1
    assert problems[0].startswith("Danh sách!2: needs ")
    assert "has 15.0 pt (cell B2)" in problems[0]


def test_row_fit_accepts_a_sufficient_height(tmp_path):
    lines = doccheck.wrapped_line_count(LONG, doccheck.column_pixels(30.7109375) * 0.75 - 3.75, 12)
    assert 5 <= lines <= 9  # about 180 characters in a column of 30
    height = lines * 12 * doccheck.LINE_HEIGHT_FACTOR
    path = _xlsx(tmp_path / "ok.xlsx", [[1, LONG, 7.5]], heights={1: height})
    assert doccheck.xlsx_row_fit_problems(path) == []
    short = _xlsx(tmp_path / "short.xlsx", [[1, LONG, 7.5]], heights={1: height - 12})
    assert len(doccheck.xlsx_row_fit_problems(short)) == 1


def test_row_fit_counts_explicit_line_breaks(tmp_path):
    path = _xlsx(tmp_path / "breaks.xlsx", [[1, "Họ tên\nLớp\nGVCN", 7.5]])
    (problem,) = doccheck.xlsx_row_fit_problems(path)
    assert "needs 45.0 pt" in problem  # 3 lines x 12 pt x 1.25


def test_row_fit_uses_the_width_of_a_merged_range(tmp_path):
    text = "Nguyễn Văn Bình, Trần Thị Hồng Nhung"  # one line over B:C, two in B alone
    merged = _xlsx(tmp_path / "merged.xlsx", [], widths=(6, 20, 20), merge=(1, 1, 1, 2, text))
    alone = _xlsx(tmp_path / "alone.xlsx", [[1, text]], widths=(6, 20, 20), heights={1: 16})
    assert doccheck.xlsx_row_fit_problems(merged) == []
    assert len(doccheck.xlsx_row_fit_problems(alone)) == 1


def test_column_pixels_as_excel_counts_them():
    assert doccheck.column_pixels(None) == 64  # the default 8.43 of Calibri 11
    assert doccheck.column_pixels(30.7109375) == 215  # xlsxwriter set_column(30)
    assert doccheck.column_pixels(9.140625) == 64  # 8.43 as stored
    assert doccheck.max_digit_pixels("Calibri", 11) == 7
    assert doccheck.max_digit_pixels("Times New Roman", 12) == 8


def test_wrapped_line_count_splits_overlong_words():
    assert doccheck.wrapped_line_count("", 100, 12) == 1
    assert doccheck.wrapped_line_count("a\n\nb", 100, 12) == 3
    word = "x" * 60  # about 360 pt at 12 pt
    assert doccheck.wrapped_line_count(word, 100, 12) == 4
    assert doccheck.text_width("ệ", 12) > 0


def test_number_problems_finds_numbers_written_as_text(tmp_path):
    rows = [[1, "Trần Văn An", "7,5"], [2, "Lê Thị Bình", 8.25], [3, "Phạm Hùng", "87,5 %"], [4, "Vũ Lan", "10A1"]]
    path = _xlsx(tmp_path / "numbers.xlsx", rows)
    problems = doccheck.xlsx_number_problems(path, [("Danh sách", "Điểm TB")])
    assert problems == [
        "Danh sách!C2 'Điểm TB': '7,5' is text",
        "Danh sách!C4 'Điểm TB': '87,5 %' is text",
    ]
    assert doccheck.xlsx_number_problems(path, [("Danh sách", "STT")]) == []
    assert doccheck.xlsx_number_problems(path, [("Danh sách", "Không có")]) == [
        "Danh sách: header 'Không có' not found"
    ]
    assert doccheck.xlsx_number_problems(path, [("Khác", "STT")])[0].startswith("sheet 'Khác' not found")


def test_looks_like_number():
    assert all(doccheck.looks_like_number(t) for t in ["7,5", "12", "87,5 %", "1.234", "-3", "1 234"])
    assert not any(doccheck.looks_like_number(t) for t in ["10A1", "12/05/2025", "", "Tổng", "%"])


# ------------------------------------------------------------------------------------------ LibreOffice


def test_libreoffice_prints_a_short_wrapped_row_over_the_next_row(tmp_path):
    """What the issue saw: LibreOffice draws the lines of wrapped text that do not fit in the row over
    the next row's text. `overlapping_lines` finds them; with the heights `xlsx_row_fit_problems`
    accepts, LibreOffice prints no overlap."""
    doccheck.require_soffice()
    rows = [[1, LONG, 7.5], [2, "Trần Văn An", 8.0], [3, LONG, 6.5], [4, "Lê Thị Bình", 9.0]]

    short = _xlsx(tmp_path / "short.xlsx", rows)
    assert len(doccheck.xlsx_row_fit_problems(short)) == 2
    (page,) = doccheck.pdf_lines(doccheck.xlsx_to_pdf(short, tmp_path / "out"))
    pairs = doccheck.overlapping_lines(page)
    assert len(pairs) >= 2
    drawn_over = {ln.text for pair in pairs for ln in pair}
    assert any("Trần Văn An" in text for text in drawn_over)
    assert any("Lê Thị Bình" in text for text in drawn_over)

    lines = doccheck.wrapped_line_count(LONG, doccheck.column_pixels(30.7109375) * 0.75 - 3.75, 12)
    height = lines * 12 * doccheck.LINE_HEIGHT_FACTOR
    fitted = _xlsx(tmp_path / "fitted.xlsx", rows, heights={1: height, 3: height})
    assert doccheck.xlsx_row_fit_problems(fitted) == []
    pdf = doccheck.xlsx_to_pdf(fitted, tmp_path / "out")
    (page,) = doccheck.pdf_lines(pdf)
    assert doccheck.overlapping_lines(page) == []
    assert any("nhiều môn." in ln.text for ln in page.lines)  # the whole text is printed
    assert doccheck.has_text(pdf, "Trần Văn An")


def test_xlsx_to_pdf_reports_a_failure(tmp_path):
    doccheck.require_soffice()
    bad = tmp_path / "missing.xlsx"
    with pytest.raises(doccheck.DocCheckError, match="did not convert"):
        doccheck.xlsx_to_pdf(bad, tmp_path / "out")
