"""English catalog: complete for the current source, placeholders intact, and used by the UI.

The msgids are the Vietnamese source strings. A string added to the code or a template without
an English translation in sponsor_app/translations/en/LC_MESSAGES/messages.po fails
test_every_msgid_has_an_english_translation, which lists the missing msgids. To fix it:

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o sponsor_app/translations/messages.pot .
    .venv/bin/pybabel update -i sponsor_app/translations/messages.pot -d sponsor_app/translations -l en \
        --no-fuzzy-matching

then translate the new entries in the .po file.
"""

import os
import re
import tempfile
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = PROJECT_ROOT / "sponsor_app" / "translations"
EN_DIR = TRANSLATIONS / "en" / "LC_MESSAGES"
EN_PO = EN_DIR / "messages.po"
EN_MO = EN_DIR / "messages.mo"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as `pybabel extract -k _l -k lazy_gettext`

PLACEHOLDER = re.compile(r"%\(\w+\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _read_catalog():
    with EN_PO.open("rb") as fh:
        return read_po(fh, locale="en")


def _source_msgids() -> dict[str, list[str]]:
    """msgid → where it is used, extracted from the current source with the project's babel.cfg."""
    with (PROJECT_ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename="babel.cfg")
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(strings) and all(s and s.strip() for s in strings)


@pytest.fixture(scope="module")
def catalog():
    return _read_catalog()


@pytest.fixture(scope="module", autouse=True)
def _compiled_en_catalog():
    """Compile the English .po into the .mo the app loads, so a clean clone works without `make`."""
    catalog = _read_catalog()
    fd, tmp = tempfile.mkstemp(dir=EN_DIR, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, EN_MO)  # atomic: a parallel run never reads a half-written file
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def test_source_has_messages():
    msgids = _source_msgids()
    assert len(msgids) > 100
    assert "Đăng xuất" in msgids  # templates are extracted
    assert "Hộ nghèo" in msgids  # lazy_gettext (_l) in Python is extracted


def test_every_msgid_has_an_english_translation(catalog):
    problems = []
    for msgid, where in sorted(_source_msgids().items()):
        message = catalog.get(msgid)
        if message is None:
            problems.append(f"not in en catalog: {msgid!r} ({where[0]})")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where[0]})")
        elif not _translated(message):
            problems.append(f"no translation: {msgid!r} ({where[0]})")
    assert not problems, (f"{len(problems)} msgid(s) without an English translation "
                          "(see the docstring of tests/test_i18n.py):\n" + "\n".join(problems))


def test_no_entry_is_fuzzy_or_empty(catalog):
    bad = [m.id for m in catalog if m.id and (m.fuzzy or not _translated(m))]
    assert not bad


def test_placeholders_match(catalog):
    mismatched = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        expected = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for string in strings:
            if set(PLACEHOLDER.findall(string or "")) != expected:
                mismatched.append(f"{message.id!r} → {string!r}")
    assert not mismatched, "placeholders differ:\n" + "\n".join(mismatched)


def test_catalog_passes_babel_checks(catalog):
    errors = [f"{message.id!r}: {err}" for message, errs in catalog.check() for err in errs]
    assert not errors, "\n".join(errors)


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_leader_home_in_english_and_back(leader_client):
    response = leader_client.post("/lang/en", data={"next": "/home/leader"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home/leader")

    html = _html(leader_client.get("/home/leader"))
    assert '<html lang="en">' in html
    for english in ("Log out", "Change password", "School leadership", "Staff by department",
                    "Find a student", "Campaign calendar"):
        assert english in html, english
    for vietnamese in ("Đăng xuất", "Đổi mật khẩu", "Ban giám hiệu", "Cán bộ theo tổ", "Tìm học sinh"):
        assert vietnamese not in html, vietnamese

    leader_client.post("/lang/vi", data={"next": "/home/leader"})
    html = _html(leader_client.get("/home/leader"))
    assert '<html lang="vi">' in html
    assert "Đăng xuất" in html
    assert "Ban giám hiệu" in html
    assert "Log out" not in html


def test_login_page_in_english_and_back(client):
    response = client.post("/lang/en", data={"next": "/login"})
    assert response.status_code == 302

    html = _html(client.get("/login"))
    assert '<html lang="en">' in html
    for english in ("Log in", "Username", "Password", "Forgot your password?",
                    "Every staff member mentors one student"):
        assert english in html, english
    for vietnamese in ("Đăng nhập", "Tên đăng nhập", "Mật khẩu", "Quên mật khẩu"):
        assert vietnamese not in html, vietnamese

    client.post("/lang/vi", data={"next": "/login"})
    html = _html(client.get("/login"))
    assert "Đăng nhập" in html
    assert "Mật khẩu" in html
    assert "Forgot your password?" not in html
