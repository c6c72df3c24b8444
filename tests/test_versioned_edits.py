"""Every edit of a versioned record requires its version.

The forms are found on the pages: every GET page of the permission matrix, opened by a role the
matrix lets in, and every POST form on it that carries a `version` field (the records with a
`version_id_col`: notes, plans, screenings, students, accounts, pledges, reports, the rubric, ...).
Each is posted back as rendered, first without its version (a script, a stale offline client),
then with a malformed one: no versioned row may change, and the page says it is a conflict. Then
the same form with its version is saved, which shows the refusal was the version's and not the
form's.
"""

from html.parser import HTMLParser

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from sponsor_app.extensions import db
from tests.test_permissions import MATRIX, ROLES

CONFLICT_WORDS = ("vừa được người khác sửa", "vừa được sửa sau khi bạn mở trang", "vừa được người khác cập nhật")


class PageForms(HTMLParser):
    """The POST forms of a page with the values a browser would send: {action: [(name, value)]}."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list]] = []
        self._fields = None
        self._textarea = None
        self._select = None
        self.textareas: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._fields = [] if (a.get("method") or "").lower() == "post" else None
            if self._fields is not None:
                self.forms.append(((a.get("action") or ""), self._fields))
        elif self._fields is None:
            return
        elif tag == "input" and a.get("name") and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind not in {"submit", "button", "file"}:
                self._fields.append([a["name"], a.get("value") or ("y" if kind == "checkbox" else "")])
        elif tag == "textarea" and a.get("name") and "disabled" not in a:
            self._textarea = [a["name"], ""]
            self.textareas.add(a["name"])
            self._fields.append(self._textarea)
        elif tag == "select" and a.get("name") and "disabled" not in a:
            self._select = [a["name"], None]
            self._fields.append(self._select)
        elif tag == "option" and self._select is not None:
            if self._select[1] is None or "selected" in a:
                self._select[1] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            # a browser drops the newline right after <textarea>
            self._textarea[1] += data.removeprefix("\r\n").removeprefix("\n") if not self._textarea[1] else data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._fields = None


def versioned_rows() -> dict:
    """(table, id) → version of every row of every model with a version_id_col."""
    rows = {}
    for mapper in db.Model.registry.mappers:
        if mapper.version_id_col is None:
            continue
        model = mapper.class_
        pk = sa_inspect(model).primary_key[0]
        for key, version in db.session.execute(select(pk, mapper.version_id_col)):
            rows[(model.__tablename__, key)] = version
    db.session.rollback()
    return rows


def _is_version(name: str) -> bool:
    return name == "version" or name.endswith("-version")


def _versioned_forms(world, client_for):
    """{action: [(role, fields), ...]} of every form on the matrix's GET pages that edits an existing
    versioned record (a version is rendered; a form creating a record has none to send)."""
    found: dict[str, list] = {}
    clients = {}
    for endpoint, method, url, expected, _data in MATRIX:
        if method != "GET" or endpoint.endswith(("export", "print")):
            continue
        for role in ROLES:
            if role == "anon" or expected[role] != 200:
                continue
            client = clients.setdefault(role, client_for(role))
            page = url(world)
            response = client.get(page)
            if response.status_code != 200 or not response.mimetype.startswith("text/html"):
                continue
            parser = PageForms()
            parser.feed(response.get_data(as_text=True))
            for action, fields in parser.forms:
                if not any(_is_version(n) and v for n, v in fields):
                    continue
                # empty text areas filled, so the form is valid apart from its version
                fields = [(n, v or ("Nội dung thử" if (n, v) in parser_textareas(parser, fields) else v))
                          for n, v in fields]
                roles = found.setdefault((action or page).split("?")[0], [])
                if role not in [r for r, _f in roles]:
                    roles.append((role, fields))
    return found, clients


def parser_textareas(parser, fields):
    return {(n, v) for n, v in fields if n in parser.textareas}


def test_every_versioned_edit_refuses_a_missing_or_malformed_version(app, mentoring, client_for):
    world = mentoring
    forms, clients = _versioned_forms(world, client_for)
    assert len(forms) >= 10, sorted(forms)  # notes, plan, screening edit and decision, accounts, reports, ...
    problems, saved, refused = [], [], []
    for action, candidates in sorted(forms.items()):
        for role, fields in candidates:
            client = clients[role]
            outcomes = []
            for bad in (None, "abc", "1e9", "", "-1"):
                data = [(n, v) for n, v in fields if not _is_version(n)]
                if bad is not None:
                    data += [(n, bad) for n, _v in fields if _is_version(n)]
                before = versioned_rows()
                response = client.post(action, data=MultiDict(data), follow_redirects=True)
                changed = sorted(k for k, v in versioned_rows().items() if before.get(k, v) != v)
                outcomes.append((bad, response, changed))
            if all(r.status_code == 403 for _b, r, _c in outcomes):
                continue  # this role sees the form but may not use it: the next role
            before = versioned_rows()
            response = client.post(action, data=MultiDict(fields))
            after = versioned_rows()
            ok = response.status_code in (302, 303) or any(before.get(k) != v for k, v in after.items())
            (saved if ok else refused).append(f"{role} {action}")
            for bad, response, changed in outcomes:
                if response.status_code >= 500:
                    problems.append(f"{role} {action} version={bad!r}: {response.status_code}")
                elif changed:
                    problems.append(f"{role} {action} version={bad!r}: saved over {changed}")
                elif ok and not any(w in response.get_data(as_text=True) for w in CONFLICT_WORDS):
                    problems.append(f"{role} {action} version={bad!r}: refused without a conflict message")
            break
    print(f"Versioned edits: {len(forms)} forms editing a versioned record, 5 bad versions each: "
          f"{len(problems)} problems; {len(saved)} saved with their version, {len(refused)} not valid as rendered "
          f"({', '.join(refused)})")
    assert not problems, "\n".join(problems)
    assert len(saved) >= 8, saved
