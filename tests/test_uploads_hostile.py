"""Hostile uploads (ASVS 5.2): every upload form of the app gets each hostile file, and answers
with a clear Vietnamese message, saves nothing (no table changes, no kept upload) and never fails
with a server error.

The upload forms are found, not listed: every page of the permission matrix that a role may open
is fetched, and every form with a file input on it (and on the same page under another query
string, e.g. the import's tabs) is a target. The other checks of the import (well-formed files,
row errors, broken files one by one) are in tests/test_imports.py.
"""

import io
import os
import time
import urllib.error
import urllib.request
import uuid
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from sponsor_app.extensions import db as _db
from tests import xlsx_builders as xb
from tests.figures import record
from tests.test_permissions import MATRIX, ROLES
from tests.test_security_csrf import table_digest

pytestmark = pytest.mark.reliability

GOOD_ROW = [["HS1", "Nguyễn Văn An", "01/01/2011", "Nam", "10A1", None]]


def _good() -> bytes:
    return xb.student_list(GOOD_ROW)


def _csv() -> bytes:
    return ("Mã học sinh,Họ và tên,Ngày sinh,Giới tính,Lớp\n"
            "HS1,Nguyễn Văn An,01/01/2011,Nam,10A1\nHS2,Trần Thị Bình,02/02/2011,Nữ,10A1\n").encode()


FIFTY_MB = 50 * 1024 * 1024
# (name, file name, bytes builder, expected status, the message the page must show)
HOSTILE = [
    ("zip bomb (20 MB of one byte in a 20 kB zip)", "ds.xlsx", xb.zip_bomb, 400, "giải nén ra quá lớn"),
    ("billion laughs in sharedStrings.xml", "ds.xlsx", xb.xml_bomb, 400, "Không đọc được tệp Excel"),
    ("macros (vbaProject.bin) named .xlsx", "ds.xlsx", lambda: xb.with_macros(_good()), 400, "có chứa macro"),
    ("macros (vbaProject.bin) named .xlsm", "ds.xlsm", lambda: xb.with_macros(_good()), 400,
     "Chỉ nhận tệp Excel .xlsx"),
    ("CSV renamed .xlsx", "ds.xlsx", _csv, 400, "không phải tệp Excel .xlsx"),
    ("CSV as .csv", "ds.csv", _csv, 400, "Chỉ nhận tệp Excel .xlsx"),
    ("50 MB file", "ds.xlsx", lambda: os.urandom(1024) * (FIFTY_MB // 1024), 413, "Tệp quá lớn"),
    ("empty file (0 bytes)", "ds.xlsx", lambda: b"", 400, "Tệp tải lên trống"),
    ("sheet without a header", "ds.xlsx", xb.no_header_workbook, 400, "Không tìm thấy dòng tiêu đề"),
]


class _Forms(HTMLParser):
    """The forms of a page with their fields (first option of each select) and links."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._form, self._select = [], [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                          "fields": {}, "files": []}
        elif self._form is not None and tag == "input" and a.get("name"):
            if a.get("type") == "file":
                self._form["files"].append(a["name"])
            elif a.get("type") not in ("checkbox", "radio", "submit"):
                self._form["fields"].setdefault(a["name"], a.get("value") or "")
        elif self._form is not None and tag == "select":
            self._select = a.get("name")
        elif self._form is not None and tag == "option" and self._select:
            self._form["fields"].setdefault(self._select, a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _parse(page: str) -> _Forms:
    parser = _Forms()
    parser.feed(page)
    return parser


def upload_forms(world, client_for):
    """{(role, action): form} for every file-upload form a role reaches from the matrix's pages."""
    found = {}
    for role in ROLES:
        if role == "anon":
            continue
        urls = [url(world) for _e, method, url, expected, _d in MATRIX if method == "GET" and expected[role] == 200]
        client = None
        seen, queue = set(), list(dict.fromkeys(urls))
        while queue:
            target = queue.pop(0)
            if target in seen:
                continue
            seen.add(target)
            client = client or client_for(role)
            response = client.get(target)
            if response.status_code != 200 or "text/html" not in response.content_type:
                continue
            parsed = _parse(response.get_data(as_text=True))
            uploads = [f for f in parsed.forms if f["files"] and f["method"] == "post"]
            for form in uploads:
                action = urljoin(target, form["action"] or target)
                found.setdefault((role, action), form)
            if uploads:  # the same page under another query string (tabs of the upload page)
                path = urlsplit(target).path
                queue += [h for h in parsed.links if urlsplit(h).path == path and h not in seen]
    return found


@pytest.fixture
def instance_folder(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    return app.instance_path


def _kept_uploads(instance: str) -> list[str]:
    folder = os.path.join(instance, "imports")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_hostile_files_on_every_upload_form(app, mentoring, client_for, instance_folder, db_url):
    forms = upload_forms(mentoring, client_for)
    assert forms, "no upload form found: the discovery is broken"
    assert any("kind=staff" in action for _r, action in forms) and any("kind=students" in action
                                                                        for _r, action in forms)
    results, failures, server_errors, saved = [], [], 0, 0
    for (role, action), form in sorted(forms.items()):
        client = client_for(role)
        for name, filename, build, status, message in HOSTILE:
            data = build()
            payload = {**form["fields"], form["files"][0]: (io.BytesIO(data), filename)}
            _db.session.commit()
            before = table_digest(_db.engine)
            started = time.perf_counter()
            response = client.post(action, data=payload, content_type="multipart/form-data")
            elapsed = time.perf_counter() - started
            after = table_digest(_db.engine)
            page = response.get_data(as_text=True)
            server_errors += response.status_code >= 500
            changed = sorted(t for t in before if before[t] != after[t])
            saved += bool(changed) or bool(_kept_uploads(instance_folder))
            results.append((name, action, response.status_code, round(elapsed, 2)))
            problems = []
            if response.status_code != status:
                problems.append(f"status {response.status_code}, expected {status}")
            if message not in page:
                problems.append(f"message {message!r} missing")
            if response.status_code == 413 and "<nav" not in page:
                problems.append("the 413 page is not the app's page")
            if changed or _kept_uploads(instance_folder):
                problems.append(f"saved: tables {changed}, kept uploads {_kept_uploads(instance_folder)}")
            if problems:
                failures.append(f"{role} {action} · {name}: " + "; ".join(problems))
    slowest = max(results, key=lambda r: r[3])
    record(db_url, "uploads",
           f"Hostile uploads: {len(HOSTILE)} files × {len(forms)} upload forms = {len(results)} uploads, "
           f"{len(results) - len(failures)} refused with a clear message, {saved} with something saved, "
           f"{server_errors} server errors; slowest {slowest[3]} s ({slowest[0]})",
           files=[h[0] for h in HOSTILE], forms=sorted(a for _r, a in forms), uploads=len(results),
           refused_clearly=len(results) - len(failures), saved=saved, server_errors=server_errors,
           slowest_seconds=slowest[3])
    assert not failures, "\n".join(failures)
    # Control: the discovered form and its fields are right, so the refusals above are the files'.
    (role, action), form = next((k, v) for k, v in sorted(forms.items()) if "kind=students" in k[1])
    payload = {**form["fields"], form["files"][0]: (io.BytesIO(_good()), "ds.xlsx")}
    response = client_for(role).post(action, data=payload, content_type="multipart/form-data")
    assert response.status_code == 200 and 'name="token"' in response.get_data(as_text=True)



def _multipart(fields: dict, file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"'
                 f"\r\nContent-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_a_real_server_answers_too_large_and_hostile_files_with_its_page(app, mentoring, tmp_path, db_url):
    """Through gunicorn (production config, CSRF on) the 50 MB upload gets the app's 413 page, not a
    reset connection or a bare error, and a zip bomb its message."""
    from tests.factories import PASSWORD
    from tests.test_security_csrf import _token
    from tests.test_sessions import Gunicorn

    year_id = mentoring.year.id
    _db.session.commit()
    _db.session.close()
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, "memory://", "uploads", workers=1)
    try:
        browser = server.opener()
        assert server.login("admin", PASSWORD, browser) == 302
        answers = {}
        for name, build, filename in (("50 MB", HOSTILE[6][2], "ds.xlsx"), ("zip bomb", xb.zip_bomb, "ds.xlsx")):
            with browser.open(server.base + "/admin/import/?kind=students", timeout=30) as r:
                token = _token(r.read().decode())
            body, content_type = _multipart({"csrf_token": token, "kind": "students", "year_id": year_id},
                                            "file", filename, build())
            url = server.base + "/admin/import/?kind=students"
            request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})  # noqa: S310
            try:
                with browser.open(request, timeout=60) as r:
                    answers[name] = (r.status, r.read().decode())
            except urllib.error.HTTPError as err:
                answers[name] = (err.code, err.read().decode())
    finally:
        server.stop()
    status, page = answers["50 MB"]
    assert status == 413 and "Tệp quá lớn" in page and "<nav" in page
    status, page = answers["zip bomb"]
    assert status == 400 and "giải nén ra quá lớn" in page
