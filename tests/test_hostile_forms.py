"""Hostile form input: Hypothesis drives every form of the app.

The forms are found generically: every POST route of the permission matrix that takes form data,
posted by a role the matrix lets in; its field names are read from the <form> elements of the
page rendered for that URL (GET, same role), or else from the WTForms classes of the route's
blueprint (`sponsor_app.<blueprint>.forms`). Hypothesis then sends control characters, huge
strings, unicode (NFD Vietnamese, zero-width, RTL, emoji), numbers out of range, impossible dates,
repeated values (lists) and missing fields. For every submission:

- no server error (status < 500);
- a rejected form (the page rendered again, with errors) wrote nothing: the row count of every
  table is unchanged (the audit log aside: a re-rendered page may log that it was viewed);
- the user's input is kept: each text input and textarea of the re-rendered page holds what was
  typed (NFC-normalised and stripped, as the forms clean it; NUL bytes dropped).

HOSTILE_EXAMPLES (default 5000) is the total budget, spread over the forms.
"""

import importlib
import math
import os
import unicodedata
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from sponsor_app.extensions import db
from sponsor_app.text import nfc
from tests.security_world import plant_records, save_figure, table_counts
from tests.test_permissions import MATRIX

pytestmark = pytest.mark.reliability

TOTAL = int(os.environ.get("HOSTILE_EXAMPLES", "5000"))
NO_FORM = {"auth.logout", "auth.login", "auth.set_language"}
ROLE_ORDER = ("leader", "admin", "teacher", "union", "depthead", "homeroom")
NOT_COUNTED = {"audit_log"}


class Forms(HTMLParser):
    """The POST forms of a page: action → {field name: (tag, type, options)}; also the text values shown."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict] = {}
        self.values: dict[tuple[str, str], list[str]] = {}
        self._form = None
        self._action = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._action = (a.get("action") or "").split("?")[0]
            self._form = self.forms.setdefault(self._action, {})
        elif tag in {"input", "textarea", "select"} and a.get("name"):
            kind = (a.get("type") or "text").lower() if tag == "input" else tag
            if self._form is not None:
                self._form.setdefault(a["name"], [kind, []])
            key = (self._action, a["name"])
            if kind == "text" or kind == "search":
                self.values.setdefault(key, []).append(a.get("value") or "")
            if tag == "textarea":
                self._textarea = key
                self.values.setdefault(key, []).append("")
            if tag == "select" and self._form is not None:
                self._select = self._form[a["name"]][1]
            if kind in {"checkbox", "radio"} and self._form is not None and a.get("value"):
                self._form[a["name"]][1].append(a["value"])
        elif tag == "option" and self._select is not None and a.get("value"):
            self._select.append(a["value"])

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = self._action = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def parse(html: str) -> Forms:
    parser = Forms()
    parser.feed(html)
    return parser


def form_class_fields(endpoint: str) -> dict:
    """Field names of the WTForms classes of the endpoint's blueprint."""
    try:
        module = importlib.import_module(f"sponsor_app.{endpoint.split('.')[0]}.forms")
    except ModuleNotFoundError:
        return {}
    fields = {}
    for cls in vars(module).values():
        if isinstance(cls, type) and hasattr(cls, "_unbound_fields") is not None:
            for name in dir(cls):
                if not name.startswith("_") and isinstance(getattr(cls, name, None), UnboundField):
                    fields[name] = ["text", []]
    return fields


def pages_forms(world, role, client):
    """action path → fields, over every GET page of the matrix this role may open."""
    found = {}
    for _e, method, url, expected, _d in MATRIX:
        if method == "GET" and expected[role] == 200:
            page = client.get(url(world))
            if page.mimetype == "text/html":
                for action, fields in parse(page.get_data(as_text=True)).forms.items():
                    found.setdefault(action, {}).update(fields)
    return found


def form_targets(world, client_for):
    """(endpoint, url, role, client, fields, from_page) for every form-taking POST route of the matrix."""
    clients, forms, targets, seen = {}, {}, [], set()
    for endpoint, method, url, expected, data in MATRIX:
        target = url(world)
        if method != "POST" or data is None or endpoint in NO_FORM or (endpoint, target) in seen:
            continue
        role = next((r for r in ROLE_ORDER if expected[r] in (200, 302)), None)
        if role is None:
            continue
        seen.add((endpoint, target))
        client = clients.setdefault(role, client_for(role))
        if role not in forms:
            forms[role] = pages_forms(world, role, client)
        path = target.split("?")[0]
        fields = dict(forms[role].get(path) or {})
        from_page = bool(fields)
        if not fields:
            fields = form_class_fields(endpoint)
        fields.pop("csrf_token", None)
        fields.update({k: ["text", []] for k in data(world) if k not in fields})
        targets.append((endpoint, target, role, client, fields, from_page))
    return targets


ZW = "\u200b\u200c\u200d\ufeff"
NASTY = [
    "", " ", "\x00", "\x00abc", "a\x01\x02\x03\x1b[31m", "\r\n\r\n", "\t\t", "x" * 20_000, "đ" * 10_000,
    "31/02/2026", "00/00/0000", "99/99/9999", "2026-13-45", "29/02/2027", "1/1/1", "-1", "0", "-0",
    "99999999999999999999999", "1e309", "nan", "inf", "-2147483649", "7,5555", "1.000.000.000.000.000 đ",
    unicodedata.normalize("NFD", "Nguyễn Thị Hường"), "\u202eabc\u202c", ZW, "👩‍👩‍👧‍👦" * 50, "<script>x()</script>",
    "' OR 1=1 --", "{{7*7}}", "=cmd|' /C calc'!A0", "../../etc/passwd", "%s%n%x", "\ud7ff\ue000",
]
text = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(st.characters(max_codepoint=0x1F), max_size=10),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
)


def values_for(kind, options):
    base = st.one_of(text, st.sampled_from(options)) if options else text
    return st.one_of(base, st.lists(base, min_size=2, max_size=3))


def kept(typed: str, shown: list[str]) -> bool:
    """The typed value is in the page: as typed (textareas) or as the forms clean it (NFC, spaces)."""
    def no_nul(text):  # NUL bytes are dropped from text (PostgreSQL cannot hold them); raw dates show them
        return text.replace("\x00", "").replace("\ufffd", "")

    typed = no_nul(typed)
    forms = {typed.replace("\r\n", "\n").strip(), nfc(typed)}
    return any(no_nul(v).replace("\r\n", "\n").strip() in forms or nfc(no_nul(v)) in forms for v in shown)


def test_hostile_form_input(mentoring, client_for):
    world = mentoring
    plant_records(world)
    db.session.commit()
    targets = form_targets(world, client_for)
    per_form = max(1, math.ceil(TOTAL / len(targets)))
    stats = {"submissions": 0, "server_errors": 0, "rejected": 0, "accepted": 0, "partial_writes": 0,
             "inputs_checked": 0, "inputs_lost": 0}
    failures = []
    last = {"counts": None}  # the counts after a rejected form: the next submission's "before"

    def make_submit(endpoint, target, client, strategy, from_page):
        path = target.split("?")[0]

        @settings(max_examples=per_form, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(form=strategy)
        def submit(form):
            db.session.commit()
            before = last["counts"] or table_counts()
            last["counts"] = None
            response = client.post(target, data=form)
            stats["submissions"] += 1
            if response.status_code >= 500:
                stats["server_errors"] += 1
                failures.append(f"{endpoint} {target}: {response.status_code} with {form!r:.300}")
                return
            if response.status_code not in (200, 400) or not response.mimetype == "text/html":
                stats["accepted"] += 1
                return
            stats["rejected"] += 1
            db.session.commit()
            after = last["counts"] = table_counts()
            changed = {t for t in after if after[t] != before[t] and t not in NOT_COUNTED}
            if changed:
                stats["partial_writes"] += 1
                failures.append(f"{endpoint} {target}: a re-rendered form wrote {sorted(changed)}")
            shown = parse(response.get_data(as_text=True)).values
            for name, value in form.items():
                if not from_page or not isinstance(value, str) or (path, name) not in shown:
                    continue
                stats["inputs_checked"] += 1
                if not kept(value, shown[(path, name)]):
                    stats["inputs_lost"] += 1
                    failures.append(f"{endpoint} {target}: {name}={value!r:.80} not kept")

        return submit

    for endpoint, target, _role, client, fields, from_page in targets:
        strategy = st.fixed_dictionaries({}, optional={n: values_for(*fields[n]) for n in sorted(fields)})
        make_submit(endpoint, target, client, strategy, from_page)()
    figure = {"forms": len(targets), "examples_per_form": per_form, **stats}
    print(f"Hostile forms: {stats['submissions']} generated submissions to {len(targets)} forms: "
          f"{stats['server_errors']} server errors, {stats['rejected']} rejected with the form shown again, "
          f"{stats['partial_writes']} partial writes, {stats['inputs_checked']} typed values checked on rejected "
          f"forms, {stats['inputs_lost']} lost")
    save_figure("hostile_forms" + ("_postgresql" if db.engine.dialect.name == "postgresql" else ""), figure)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(sorted(set(failures))[:60])


def _form_classes():
    """Every form class of the app (the subclasses of BaseForm and SubForm, after importing every
    feature's forms module)."""
    import pkgutil

    import sponsor_app
    from sponsor_app.forms import BaseForm, SubForm

    for info in pkgutil.iter_modules(sponsor_app.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"sponsor_app.{info.name}.forms")
            except ModuleNotFoundError:
                pass
    found, todo = set(), [BaseForm, SubForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


def test_integers_beyond_the_database_are_form_errors(app):
    """Every field of every form, posted 2**70 (and -2**70): where the field reads it as an integer
    (IntegerField, a select coerced to int, money) it is a form error, never a value passed on to
    the database (PostgreSQL's INTEGER: a server error; SQLite: an OverflowError)."""
    from werkzeug.datastructures import MultiDict
    from wtforms import FieldList, FormField, SelectFieldBase

    from sponsor_app.params import MAX_INT

    checked, problems = 0, []
    for cls in _form_classes():
        for huge in (str(2**70), str(-(2**70)), str(2**31)):
            with app.test_request_context("/", method="POST"):
                names = [n for n, f in vars(cls).items() if isinstance(f, UnboundField)]
                form = cls(formdata=MultiDict({n: huge for n in names}), meta={"csrf": False})
                for field in form:
                    if isinstance(field, SelectFieldBase) and field.choices is None:
                        field.choices = []
                form.validate()
                for field in form:
                    if isinstance(field, FieldList | FormField):
                        continue
                    data = field.data if isinstance(field.data, list) else [field.data]
                    if any(isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INT for v in data):
                        checked += 1
                        if not field.errors:
                            problems.append(f"{cls.__name__}.{field.name} = {huge}: no form error")
    print(f"Integers beyond the database: {checked} int fields given a huge value, {len(problems)} without an error")
    assert checked >= 15, checked  # the forms really have integer fields
    assert not problems, "\n".join(problems)
