"""Integers from outside: the one bounded converter of query strings, forms and hidden fields.

An id, a page or a grade typed into a URL or posted by a script may be anything: "abc", "1e9",
"²" (a digit to str.isdigit, not to int), -1 or 2**70 (beyond every INTEGER column: a server error
on SQLite, a useless query on PostgreSQL). `to_int` answers an int within bounds or the default;
`int_arg` reads the query string with it (a bad filter shows the unfiltered page, never an error);
`optional_id` is the coerce of id select fields (a bad value is a form error). Ids in the path
are bounded by the `<int:...>` converter (sponsor_app.IdConverter) to the same range.
"""

import re

from flask import request

MAX_INT = 2**31 - 1  # INTEGER columns (ids included) on PostgreSQL
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")  # ASCII digits only: "١٢" and "²" are refused too


def to_int(value, default=None, *, lo: int = -MAX_INT - 1, hi: int = MAX_INT):
    """`value` (text or int) as an int within [lo, hi]; `default` when it is missing, malformed
    ("abc", "1e9", "1.5", "0x10") or out of range."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        number = value
    else:
        text = value.strip() if isinstance(value, str) else ""
        if not _INTEGER.fullmatch(text):
            return default
        number = int(text)
    return number if lo <= number <= hi else default


def int_arg(name: str, default=None, *, lo: int = 1, hi: int = MAX_INT, args=None):
    """The query-string argument `name` as an int within [lo, hi] (ids and pages: 1 up), else
    `default`: a filter with a bad value is no filter."""
    return to_int((request.args if args is None else args).get(name), default, lo=lo, hi=hi)


def optional_id(value):
    """Coerce of a select field holding an id or nothing: None when empty; ValueError (a form
    error, "Lựa chọn không hợp lệ.") when not an id."""
    if value is None or value in ("", "None"):
        return None
    number = to_int(value, lo=1)
    if number is None:
        raise ValueError(value)
    return number
