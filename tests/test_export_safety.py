"""Exports: every export route, fetched by every role the matrix allows, read back.

The export routes are found in app.url_map (paths ending in .xlsx or /print, endpoints named
*export*); each must have a permission-matrix row. Every free-text column of the world holds text
that starts with "=", "+", "-", "@", a tab, or looks like a URL, each carrying a unique marker
(tests/security_world.py). For each export and allowed role:

- workbooks: 0 formula cells (data_type "f") and 0 hyperlinks, and the document properties hold
  no marker (no user text);
- only the fields the exporter may see: no student text at all in the union's exports, no
  screening or concern narrative in a department head's (the field-filtering rules);
- exactly one new audit row per request, whose action names an export or a print view.
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter.worksheet
from sqlalchemy import func, select

import sponsor_app
from sponsor_app.extensions import db
from sponsor_app.models import AuditLog
from sponsor_app.xlsx import DOCUMENT_PROPERTIES, Workbook, safe_sheet_name
from tests.security_world import fill_text, plant_records, save_figure, text_columns
from tests.test_field_filtering import MARKER, _forbidden
from tests.test_permissions import MATRIX, ROLES

pytestmark = pytest.mark.reliability

PREFIXES = ["=1+1 ", "+1+1 ", "-1+1 ", "@SUM(A1) ", "\t=2*3 ", "http://evil.example/", "=HYPERLINK(\"http://x\")",
            "mailto:a@evil.example?", "www.evil.example/", "ftp://evil.example/"]
AUDIT_WORDS = re.compile(r"export|print")


def is_export(rule) -> bool:
    return rule.rule.endswith((".xlsx", "/print")) or "export" in rule.endpoint


def export_rows(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if is_export(rule)}
    rows = [row for row in MATRIX if row[0] in endpoints and row[1] == "GET"]
    assert {row[0] for row in rows} == endpoints, f"export routes without a matrix row: {endpoints - {r[0] for r in rows}}"
    return endpoints, rows


@pytest.fixture
def hostile_world(mentoring):
    world = mentoring
    plant_records(world)
    columns = text_columns()
    tables = sorted({m.__tablename__ for m, _c in columns})
    index = {(m.__tablename__, c.name): i for i, (m, c) in enumerate(columns)}
    markers = {}

    def value_for(model, column, row):
        t, c = tables.index(model.__tablename__), index[(model.__tablename__, column.name)]
        markers[(t, c, row.id)] = (model.__tablename__, column.name, row)
        return PREFIXES[(c + row.id) % len(PREFIXES)] + f"MK{t}c{c}r{row.id}MK"

    world.fill = fill_text(value_for)
    db.session.commit()
    world.markers = markers
    return world


def _workbook_problems(data: bytes, markers) -> tuple[int, list[str], list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(data))  # not read-only: hyperlinks are only read in full mode
    cells, problems, texts = 0, [], []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                cells += 1
                if cell.data_type == "f":
                    problems.append(f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}")
                if cell.hyperlink is not None:
                    problems.append(f"{ws.title}!{cell.coordinate} is a link: {cell.hyperlink.target}")
                texts.append(str(cell.value))
        if ws._hyperlinks:
            problems.append(f"{ws.title} has {len(ws._hyperlinks)} hyperlinks")
    props = book.properties
    for name in ("title", "subject", "creator", "keywords", "description", "lastModifiedBy", "category"):
        if MARKER.search(str(getattr(props, name) or "")):
            problems.append(f"document property {name} holds user text")
    return cells, problems, texts


@dataclass
class ExportCheck:
    """What `check_exports` found: the figure of the run, formula/link/property/audit problems, field leaks."""

    figure: dict
    problems: list[str]
    leaks: list[str]
    hostile_cells: int


def check_exports(app, world, client_for, endpoints=None) -> ExportCheck:
    """The export-safety check: every export route (or those named in `endpoints`), fetched by every
    role the matrix allows, read back: formula cells, links, user text in the document properties,
    narratives a role may not see, and exactly one export/print audit row per request."""
    all_endpoints, rows = export_rows(app)
    if endpoints is not None:
        rows = [row for row in rows if row[0] in endpoints]
    clients = {}
    requests = workbooks = prints = cells = hostile_cells = 0
    problems, leaks = [], []
    for _endpoint, _method, url, expected, _data in rows:
        for role in ROLES:
            if role == "anon" or expected[role] != 200:
                continue
            client = clients.setdefault(role, client_for(role))
            before = db.session.scalar(select(func.max(AuditLog.id))) or 0
            target = url(world)
            response = client.get(target)
            requests += 1
            assert response.status_code == 200, f"{role} {target}: {response.status_code}"
            audits = db.session.scalars(select(AuditLog).where(AuditLog.id > before)).all()
            actions = [a.action for a in audits]
            if len(audits) != 1 or not AUDIT_WORDS.search(actions[0]):
                problems.append(f"{role} {target}: audit rows {actions} (expected exactly one export/print row)")
            if response.mimetype.endswith("spreadsheetml.sheet"):
                workbooks += 1
                n, found, texts = _workbook_problems(response.data, world.markers)
                cells += n
                problems.extend(f"{role} {target}: {p}" for p in found)
            else:
                prints += 1
                texts = [response.get_data(as_text=True)]
            for text in texts:
                for match in MARKER.finditer(text):
                    hostile_cells += 1
                    table, column, row = world.markers[tuple(int(g) for g in match.groups())]
                    if role in {"union", "depthead"} and _forbidden(role, world, table, column, row, False):
                        leaks.append(f"{role} {target}: {table}.{column}")
    figure = {"export_routes": len({row[0] for row in rows}), "requests": requests, "workbooks": workbooks,
              "print_views": prints, "cells_read": cells, "user_text_values_seen": hostile_cells,
              "formula_cells": sum("is a formula" in p for p in problems),
              "hyperlinks": sum("link" in p for p in problems),
              "problems": len(problems), "field_leaks": len(leaks), "audit_rows_per_export": 1}
    assert endpoints is not None or figure["export_routes"] == len(all_endpoints)
    return ExportCheck(figure, problems, leaks, hostile_cells)


def test_every_export_is_formula_free_filtered_and_audited(app, hostile_world, client_for):
    result = check_exports(app, hostile_world, client_for)
    figure, problems, leaks = result.figure, result.problems, result.leaks
    print(f"Exports: {figure['export_routes']} export routes, {figure['requests']} requests over the roles allowed "
          f"({figure['workbooks']} workbooks, {figure['cells_read']} cells read back, {figure['print_views']} print "
          f"views); {result.hostile_cells} user-text values (=,+,-,@,tab,URL) seen; {len(problems)} "
          f"formula/link/audit problems; {len(leaks)} field leaks")
    assert not problems, "\n".join(problems)
    assert not leaks, "\n".join(sorted(set(leaks)))
    assert result.hostile_cells > 0  # the exports really carried the hostile text
    save_figure("exports", figure)


def test_the_check_sees_a_planted_formula(app, hostile_world, client_for, monkeypatch):
    """The check above can fail: with an export path planted that writes text starting with "=" as a
    formula (what XlsxWriter's write() does with its default options, instead of the app's
    write_string with strings_to_formulas off), the same check reports formula cells."""
    write_string = xlsxwriter.worksheet.Worksheet.write_string

    def planted(self, row, col, string, cell_format=None):
        if isinstance(string, str) and string.startswith("="):
            return self.write_formula(row, col, string, cell_format)
        return write_string(self, row, col, string, cell_format)

    monkeypatch.setattr(xlsxwriter.worksheet.Worksheet, "write_string", planted)
    result = check_exports(app, hostile_world, client_for, endpoints={"screening.export"})
    formulas = [p for p in result.problems if "is a formula" in p]
    assert result.figure["workbooks"] >= 1 and formulas, result.problems
    assert all("/screening/list.xlsx" in p for p in formulas)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_export_in_both_languages_is_a_valid_uncached_download(app, mentoring, client_for, language):
    """Each export of the matrix, by every role allowed, with the interface in each language: a
    valid workbook (Excel's sheet-name rules: a translated name may hold a forbidden character),
    sent with Cache-Control: no-store and its download name, and generic document properties."""
    _endpoints, rows = export_rows(app)
    clients, problems, workbooks = {}, [], 0
    for _endpoint, _method, url, expected, _data in rows:
        for role in ROLES:
            if role == "anon" or expected[role] != 200:
                continue
            if role not in clients:
                clients[role] = client_for(role)
                clients[role].post(f"/lang/{language}")
            target = url(mentoring)
            response = clients[role].get(target)
            if response.status_code != 200:
                problems.append(f"{role} {target} ({language}): {response.status_code}")
                continue
            if response.headers.get("Cache-Control") != "no-store":
                problems.append(f"{role} {target}: Cache-Control {response.headers.get('Cache-Control')!r}")
            if not response.mimetype.endswith("spreadsheetml.sheet"):
                continue
            workbooks += 1
            disposition = response.headers.get("Content-Disposition", "")
            if not (disposition.startswith("attachment") and ".xlsx" in disposition):
                problems.append(f"{role} {target}: Content-Disposition {disposition!r}")
            book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
            names = book.sheetnames
            for name in names:
                if (not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name)
                        or name.startswith("'") or name.endswith("'")):
                    problems.append(f"{role} {target}: invalid sheet name {name!r}")
            if len({n.casefold() for n in names}) != len(names):
                problems.append(f"{role} {target}: duplicate sheet names {names}")
            props = book.properties
            if (props.title, props.creator) != (DOCUMENT_PROPERTIES["title"], DOCUMENT_PROPERTIES["author"]):
                problems.append(f"{role} {target}: document properties {props.title!r}, {props.creator!r}")
            if mentoring.school.name in zip_text(response.data, "docProps/"):
                problems.append(f"{role} {target}: the school's name in the document properties")
    assert workbooks >= 8, workbooks
    assert not problems, "\n".join(problems)


def zip_text(data: bytes, prefix: str) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith(prefix))


@pytest.mark.parametrize(("name", "taken", "expected"), [
    ("Vụ việc (số lượng)", [], "Vụ việc (số lượng)"),
    ("Notes: by month / dept [x]*?\\", [], "Notes- by month - dept -x----"),
    ("'quoted'", [], "quoted"),
    ("", [], "Sheet"),
    (None, [], "Sheet"),
    ("   ", [], "Sheet"),
    ("x" * 40, [], "x" * 31),
    ("a" * 30 + "'b", [], "a" * 30),  # cut to 31, then no apostrophe at the end
    ("Sheet", ["SHEET"], "Sheet (2)"),
    ("x" * 40, ["x" * 31, "x" * 27 + " (2)"], "x" * 27 + " (3)"),
    ("Tab\there", [], "Tab-here"),
])
def test_safe_sheet_name(name, taken, expected):
    assert safe_sheet_name(name, taken) == expected


def test_every_workbook_and_download_goes_through_xlsx_module():
    """No module but sponsor_app/xlsx.py builds an XlsxWriter workbook or sends a file itself."""
    root = Path(sponsor_app.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "xlsx.py" and path.parent == root:
            continue
        source = path.read_text()
        for pattern in (r"xlsxwriter\.Workbook\b", r"from xlsxwriter import", r"\bsend_file\b",
                        r"\bsend_from_directory\b", r"\.add_worksheet\([^)]*\[:31\]"):
            if re.search(pattern, source):
                offenders.append(f"{path.relative_to(root)}: {pattern}")
    assert not offenders, offenders


def test_a_workbook_with_hostile_sheet_names_opens():
    book_bytes = io.BytesIO()
    book = Workbook(book_bytes)
    for name in ["Coverage / notes", "coverage - notes", "'x'", "", "a" * 50, "a" * 50, "Tháng 12/2026: [I]"]:
        book.add_worksheet(name).write_string(0, 0, "ok")
    book.close()
    names = openpyxl.load_workbook(io.BytesIO(book_bytes.getvalue()), read_only=True).sheetnames
    assert len(names) == 7 and len({n.casefold() for n in names}) == 7, names
