"""Vietnamese text rules: folding for search, class-list order, name parts, grades, dates."""

from datetime import date

import pytest

from sponsor_app.text import fold, grade_from_class_name, name_sort_key, nfc, split_full_name
from sponsor_app.timeutil import format_date, parse_date


def test_fold_strips_tones_and_maps_d():
    assert fold("Đỗ Văn Đạt") == "do van dat"
    assert fold("Nguyễn Thị Ánh") == "nguyen thi anh"
    # decomposed input (some keyboards/Excel exports) folds the same
    assert fold("Nguye\u0302\u0303n") == "nguyen"


def test_nfc_collapses_spaces():
    assert nfc("  Lê   Văn\tAn ") == "Lê Văn An"


def _sorted(names):
    return sorted(names, key=lambda n: name_sort_key(*split_full_name(n)))


def test_class_list_sorts_by_given_name_then_family():
    names = ["Nguyễn Thị Lan", "Trần Anh", "Lê Anh", "Vũ An", "Bùi Bình"]
    assert _sorted(names) == ["Vũ An", "Lê Anh", "Trần Anh", "Bùi Bình", "Nguyễn Thị Lan"]


def test_vietnamese_alphabet_order():
    # a < ă < â ; d < đ ; o < ô < ơ ; u < ư  (not code-point order, where Đ sorts after Z)
    assert _sorted(["Lê Ân", "Lê Ăn", "Lê An"]) == ["Lê An", "Lê Ăn", "Lê Ân"]
    assert _sorted(["Lê Đức", "Lê Dũng", "Lê Yến"]) == ["Lê Dũng", "Lê Đức", "Lê Yến"]
    assert _sorted(["Lê Ơn", "Lê Ôn", "Lê On"]) == ["Lê On", "Lê Ôn", "Lê Ơn"]
    assert _sorted(["Lê Ưng", "Lê Uyên", "Lê Vân"]) == ["Lê Uyên", "Lê Ưng", "Lê Vân"]


def test_tones_break_ties_only():
    # same letters: ngang < huyền < hỏi < ngã < sắc < nặng; letters still decide first
    assert _sorted(["Lê Ánh", "Lê Anh", "Lê Ảnh"]) == ["Lê Anh", "Lê Ảnh", "Lê Ánh"]
    assert _sorted(["Lê Ánh", "Lê Anhs"]) == ["Lê Ánh", "Lê Anhs"]


def test_prefix_given_name_first():
    assert _sorted(["Lê Anh", "Lê An"]) == ["Lê An", "Lê Anh"]


@pytest.mark.parametrize(("full", "parts"), [
    ("Nguyễn Thị Lan", ("Nguyễn", "Thị", "Lan")),
    ("Y Tuấn", ("Y", "", "Tuấn")),
    ("Rơ Châm Quang Hiếu", ("Rơ", "Châm Quang", "Hiếu")),
    ("Lan", ("", "", "Lan")),
])
def test_split_full_name(full, parts):
    assert split_full_name(full) == parts


@pytest.mark.parametrize(("name", "grade"), [("10A4", 10), ("6/1", 6), ("12.6", 12), ("9C", 9), ("1A", 1), ("A1", None),
                                            ("13A", None), ("0A1", None)])
def test_grade_from_class_name(name, grade):
    assert grade_from_class_name(name) == grade


def test_dates_are_dd_mm_yyyy():
    assert format_date(date(2026, 9, 5)) == "05/09/2026"
    assert parse_date("05/09/2026") == date(2026, 9, 5)
    assert parse_date("5/9/2026") == date(2026, 9, 5)
    assert parse_date("2026-09-05") == date(2026, 9, 5)
    assert parse_date("") is None
    with pytest.raises(ValueError, match="31/02/2026"):
        parse_date("31/02/2026")
