"""Vietnamese text helpers: folding for search, collation keys for sorting, name parts.

Plain `sorted()` puts "Đ" after "Z" and ignores the given-name-first rule; these helpers
implement the order Vietnamese class lists use (tên, then họ and tên đệm; a ă â b c d đ e ê ...;
tones ngang, huyền, hỏi, ngã, sắc, nặng) without a C extension.
"""

import re
import unicodedata

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
# 2-digit codes keep the key a plain digit string, which sorts the same under every
# database collation (binary SQLite, ICU or glibc PostgreSQL).
_LETTER_CODE = {ch: f"{i + 10:02d}" for i, ch in enumerate(_ALPHABET)}
_DIGIT_CODE = {str(d): f"{d + 1:02d}" for d in range(10)}  # digits sort before letters
# Combining tone marks → tone rank (ngang = 0).
_TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}
# Combining marks that make a distinct letter of the alphabet.
_LETTER_MARKS = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
                 ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}


def nfc(text: str | None) -> str:
    """Unicode NFC with surrounding and repeated inner whitespace removed."""
    if text is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", str(text)).split())  # split(): every Unicode space, as \s


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics and map đ→d: the form search compares."""
    text = unicodedata.normalize("NFD", nfc(text).lower()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text


def fold_key(text: str | None) -> str:
    """Fold and reduce to letters, digits and single spaces (for header matching)."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def _letters_and_tones(word: str) -> tuple[str, str]:
    """Split a word into its base-letter codes and its tone digits."""
    letters, tones = [], []
    for ch in unicodedata.normalize("NFC", word.lower()):
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        tone = "0"
        for mark in marks:
            if (base, mark) in _LETTER_MARKS:
                base = _LETTER_MARKS[(base, mark)]
            elif mark in _TONES:
                tone = _TONES[mark]
        if base in _LETTER_CODE:
            letters.append(_LETTER_CODE[base])
            tones.append(tone)
        elif base in _DIGIT_CODE:
            letters.append(_DIGIT_CODE[base])
            tones.append("0")
    return "".join(letters), "".join(tones)


def collation_key(*parts: str | None) -> str:
    """A digit string whose plain ordering is Vietnamese dictionary order of the parts.

    Words are separated by "00" (lower than any letter, so "An" < "Anh"); the tone digits
    follow all letters, so tones only break ties between otherwise equal names.
    """
    letter_chunks, tone_chunks = [], []
    for part in parts:
        for word in nfc(part).split(" "):
            if not word:
                continue
            letters, tones = _letters_and_tones(word)
            letter_chunks.append(letters)
            tone_chunks.append(tones)
    return "00".join(letter_chunks) + "0000" + "".join(tone_chunks)


def name_sort_key(family: str | None, middle: str | None, given: str | None) -> str:
    """Class-list order: given name (letters, then tones), then family and middle name."""
    return collation_key(given) + "00" + collation_key(family, middle)


def split_full_name(full_name: str) -> tuple[str, str, str]:
    """Split "Nguyễn Thị Lan" into (family, middle, given) = ("Nguyễn", "Thị", "Lan").

    One word is a given name only; "Y Tuấn" is family "Y", given "Tuấn".
    """
    words = nfc(full_name).split(" ")
    words = [w for w in words if w]
    if not words:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]


def join_name(family: str | None, middle: str | None, given: str | None) -> str:
    """The full name as written, from its parts."""
    return " ".join(p for p in (nfc(family), nfc(middle), nfc(given)) if p)


def grade_from_class_name(name: str) -> int | None:
    """The grade is the leading number of a class name: 10A4 → 10, 6/1 → 6, 12.6 → 12; grades are 1–12
    (a name starting with 0 or 13 has none)."""
    match = re.match(r"\s*(\d{1,2})", name or "")
    grade = int(match.group(1)) if match else None
    return grade if grade is not None and 1 <= grade <= 12 else None
