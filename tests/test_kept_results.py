"""Draft reports kept in the database while their school's data is unchanged (sponsor_app/kept.py):
computed once for the page, the print view, the workbook and the district's summary; never stale;
never kept from a transaction that has written; off with KEPT_RESULTS = False."""

import io

import openpyxl

from sponsor_app.extensions import db as _db
from sponsor_app.models import Decision, KeptResult, School
from sponsor_app.reports import services
from tests import factories as f
from tests.conftest import count_statements
from tests.test_pagecache import _version
from tests.test_semester_reports import DEC10, R1_ASOF, _form, year_world  # noqa: F401 — the fixture


def _get(client, url):
    """The response and the number of statements its request issued."""
    with count_statements() as counted:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response, counted.n


def _cells(data: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [[list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets]


def _kept(school_id: int) -> list[KeptResult]:
    _db.session.expire_all()
    return _db.session.query(KeptResult).filter_by(school_id=school_id).order_by(KeptResult.kind).all()


def _draft(client, w, **kw):
    """Save report 1's draft (as of 30/12 unless told), then view it once."""
    _db.session.expire_all()
    report = services.report_of(w.year, 1)
    data = _form(R1_ASOF, version=str(report.version if report else 0)) | kw
    assert client.post(f"/reports/{w.year.id}/1", data=data).status_code == 302
    client.get(f"/reports/{w.year.id}/1")  # the first view of all keeps the year's default emulation rubric


def test_the_page_print_view_and_workbook_of_a_draft_share_one_computation(app, year_world, leader_client):  # noqa: F811
    w = year_world
    url = f"/reports/{w.year.id}/1"
    _draft(leader_client, w)
    _page, built = _get(leader_client, url)
    assert [(k.kind, k.data_version) for k in _kept(w.school.id)] == [(f"report:{w.year.id}:1", _version(w.school.id))]
    version = _version(w.school.id)
    again, served = _get(leader_client, url)
    printed, printed_n = _get(leader_client, url + "/print")
    workbook, exported_n = _get(leader_client, url + "/report.xlsx")
    assert served <= built - 15 and printed_n <= built - 15 and exported_n <= built - 15
    assert _version(w.school.id) == version  # keeping a result (and auditing views) is not a change of the data
    assert "Ksor Hen" in again.get_data(as_text=True) and "Ksor Hen" in printed.get_data(as_text=True)

    app.config["KEPT_RESULTS"] = False  # the same workbook computed from the data
    computed, computed_n = _get(leader_client, url + "/report.xlsx")
    assert _cells(workbook.data) == _cells(computed.data)
    assert computed_n >= exported_n + 15


def test_a_change_of_the_data_shows_at_once(year_world, leader_client):  # noqa: F811
    w = year_world
    url = f"/reports/{w.year.id}/1"
    _draft(leader_client, w, difficulties="Thiếu kinh phí")
    assert "Thiếu kinh phí" in _get(leader_client, url)[0].get_data(as_text=True)  # kept
    _draft(leader_client, w, difficulties="Thiếu người phụ trách")  # a change through a request
    assert "Thiếu người phụ trách" in _get(leader_client, url + "/print")[0].get_data(as_text=True)

    w.hen.set_name("Ksor", "", "Hơn")  # a change outside a request (a command, an import)
    _db.session.commit()
    cells = [c for sheet in _cells(_get(leader_client, url + "/report.xlsx")[0].data) for row in sheet for c in row]
    assert "Ksor Hơn" in cells and "Ksor Hen" not in cells


def test_a_new_data_date_replaces_the_kept_draft_in_place(year_world, leader_client):  # noqa: F811
    w = year_world
    _draft(leader_client, w)
    assert ['"2026-12-30"' in k.params for k in _kept(w.school.id)] == [True]
    _draft(leader_client, w, as_of="20/12/2026")
    kept = _kept(w.school.id)
    assert len(kept) == 1 and '"2026-12-20"' in kept[0].params and kept[0].payload["as_of"] == "2026-12-20"


def test_a_transaction_that_has_written_computes_afresh_and_keeps_nothing(year_world, leader_client, db):  # noqa: F811
    w = year_world
    _draft(leader_client, w)
    _get(leader_client, f"/reports/{w.year.id}/1")
    before = [(k.data_version, k.payload) for k in _kept(w.school.id)]
    report = services.report_of(w.year, 1)
    newcomer = f.make_student(w.own_class, "Đinh Văn Mới")  # written in this transaction, not committed
    screening = f.make_screening(newcomer, w.year, w.homeroom, poor_household=True)
    screening.decision, screening.decided_at = Decision.APPROVED, DEC10
    db.session.flush()
    doc = services.document(db.session.get(School, w.school.id), w.year, 1, report)
    assert "Đinh Văn Mới" in [r["name"] for r in doc["parts"]["students"]["rows"]]
    db.session.rollback()
    assert [(k.data_version, k.payload) for k in _kept(w.school.id)] == before


def test_the_district_workbook_reads_the_kept_summaries(year_world, leader_client, runner, tmp_path):  # noqa: F811
    w = year_world
    _draft(leader_client, w)  # a draft as of 30/12 (the other school's is not started: as of today)
    out = tmp_path / "district.xlsx"

    def run():
        with count_statements() as counted:
            result = runner.invoke(args=["report", "district", "--year", "2026-2027", "--term", "1", "--out", str(out)])
        assert result.exit_code == 0, result.output
        names = [r[2] for r in openpyxl.load_workbook(out)["Hoc sinh"].iter_rows(values_only=True) if isinstance(r[0], int)]
        return names, counted.n

    names, computed = run()
    assert "Ksor Hen" in names
    assert [k.kind for k in _kept(w.school.id)] == [f"report-summary:{w.year.id}:1", f"report:{w.year.id}:1"]
    for _ in range(2):
        again, served = run()
        assert again == names and served <= computed - 10, (served, computed)
    w.hen.set_name("Ksor", "", "Hơn")
    _db.session.commit()
    assert "Ksor Hơn" in run()[0]


def test_kept_results_off_computes_every_time(app, year_world, leader_client):  # noqa: F811
    w = year_world
    app.config["KEPT_RESULTS"] = False
    _draft(leader_client, w)
    first = _get(leader_client, f"/reports/{w.year.id}/1")[1]
    assert _get(leader_client, f"/reports/{w.year.id}/1")[1] == first
    assert _kept(w.school.id) == []
