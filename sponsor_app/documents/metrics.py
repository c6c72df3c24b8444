"""How many lines a text needs in a column: the advance widths of the shipped Liberation Serif
(metric-compatible with Times New Roman, so the widths are those of the font the documents name).

The workbook sets every row's height from this, so a suite that sizes nothing by itself (LibreOffice,
WPS) prints what Excel prints, with no line drawn over the next row.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT_FILES = {(False, False): "LiberationSerif-Regular.ttf", (True, False): "LiberationSerif-Bold.ttf",
              (False, True): "LiberationSerif-Italic.ttf", (True, True): "LiberationSerif-BoldItalic.ttf"}
LINE_HEIGHT = 1.25  # of the font size: Excel's 15.75 pt rows for Times New Roman 12 hold one line
CELL_PADDING = 4.0  # points left and right of a cell's text, together


@cache
def _advances(bold: bool, italic: bool) -> tuple[dict[int, float], float]:
    """Code point → advance width in ems, and the width used for a character the font lacks."""
    from fontTools.ttLib import TTFont  # installed with WeasyPrint

    font = TTFont(FONT_DIR / FONT_FILES[(bold, italic)], lazy=True)
    per_em = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {code: metrics[glyph][0] / per_em for code, glyph in font.getBestCmap().items()}
    fallback = widths.get(ord("n"), 0.5)
    font.close()
    return widths, fallback


def text_width(text: str, size: float, bold: bool = False, italic: bool = False) -> float:
    """The width of one line of text in points. Combining marks (a decomposed "ệ") take no width."""
    widths, fallback = _advances(bold, italic)
    return size * sum(widths.get(ord(ch), fallback) for ch in text)


def wrap(text: str, width: float, size: float, bold: bool = False, italic: bool = False) -> list[str]:
    """The lines `text` takes in a box `width` points wide, breaking at spaces as office suites do
    (a word longer than the line breaks inside it); explicit line breaks are kept."""
    space = text_width(" ", size, bold, italic)
    lines: list[str] = []
    for paragraph in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            w = text_width(word, size, bold, italic)
            if line and used + space + w <= width:
                line, used = f"{line} {word}", used + space + w
                continue
            if line:
                lines.append(line)
            while w > width and len(word) > 1:  # a word wider than the column
                cut = len(word)
                while cut > 1 and text_width(word[:cut], size, bold, italic) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
                w = text_width(word, size, bold, italic)
            line, used = word, w
        lines.append(line)
    return lines


def lines_needed(text, width: float, size: float, bold: bool = False, italic: bool = False) -> int:
    if text is None or text == "":
        return 1
    return max(1, len(wrap(str(text), max(width - CELL_PADDING, 1.0), size, bold, italic)))


def line_height(size: float) -> float:
    return size * LINE_HEIGHT + 0.75
