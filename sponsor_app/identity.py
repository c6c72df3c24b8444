"""A person's login identity, in the one form that keys everything about it.

`login_name()` turns a typed username into the form the account lookup, the failed-login
throttle and the audit log all use. Before it existed the throttle counted "depthead\\x00",
" DEPTHEAD " and "depthead\\u200b" as three strangers while the login found the same account for
each: every variant got a fresh counter (issue 19). One function, applied once, closes that.
"""

import unicodedata

# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): characters a renderer
# shows as nothing. Most are format characters (category Cf) and dropped for that already; the
# rest (Hangul fillers, variation selectors, the combining grapheme joiner, ...) are listed here.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)


def _invisible(ch: str) -> bool:
    """Control, format, surrogate, private-use or unassigned (category C*), or default-ignorable."""
    if unicodedata.category(ch)[0] == "C":
        return True
    code = ord(ch)
    return any(low <= code <= high for low, high in _IGNORABLE)


def _visible(text: str) -> str:
    return "".join(ch for ch in text if not _invisible(ch))


def login_name(typed: str | None) -> str:
    """The identity a typed username stands for: NFKC, case-folded, without invisible or control
    characters (NUL, zero-width spaces and joiners, soft hyphen, BOM, bidi marks, ...), without
    surrounding whitespace. Idempotent: login_name(login_name(x)) == login_name(x).

    NFKC also folds compatibility forms ("ｄｅｐｔｈｅａｄ" in full width → "depthead"); case-folding
    is Unicode's (ß → ss), then NFKC again, as Unicode's NFKC_Casefold does.
    """
    if not typed:
        return ""
    text = unicodedata.normalize("NFKC", _visible(str(typed)))
    text = unicodedata.normalize("NFKC", text.casefold())
    return _visible(text).strip()
