"""Screening in bulk (issue 21, item 4): the class's screening sheet downloaded, filled in Excel and
uploaded back (preview with every row's problems, then all or nothing through the form's own
services), and leadership approving several records at once from the at-risk list."""

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from sponsor_app.extensions import db as _db
from sponsor_app.models import AuditLog, Decision, Screening, ScreeningStatus
from sponsor_app.screening.sheet import columns
from tests import factories as f
from tests.test_security_csrf import table_digest
from tests.test_uploads_hostile import HOSTILE, _kept_uploads

TITLES = {name: title for name, title, _w in columns()}
HEADER_ROW = 6  # the sheet's header, as Excel numbers rows


@pytest.fixture
def instance_folder(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    return app.instance_path


@pytest.fixture
def klass(world):
    """own_class (homeroom: `homeroom`) with three more students; own_student is screened already."""
    world.anh = f.make_student(world.own_class, "Phạm Thị Anh", code="HS10A1001")
    world.binh = f.make_student(world.own_class, "Trần Văn Bình", code="HS10A1002")
    world.chau = f.make_student(world.own_class, "Lê Minh Châu", code="HS10A1003")
    _db.session.commit()
    return world


def _download(client, class_id) -> openpyxl.Workbook:
    response = client.get(f"/screening/classes/{class_id}/sheet.xlsx")
    assert response.status_code == 200, response.status_code
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _index(ws) -> dict[str, int]:
    """Field → 1-based column of the sheet's header."""
    by_title = {ws.cell(HEADER_ROW, col).value: col for col in range(1, ws.max_column + 1)}
    return {name: by_title[title] for name, title in TITLES.items()}


def _row_of(ws, code: str) -> int:
    col = _index(ws)["code"]
    return next(r for r in range(HEADER_ROW + 1, ws.max_row + 1) if ws.cell(r, col).value == code)


def _fill(ws, student_code: str, **values) -> int:
    """Write `values` (field → cell value) into the row of the student `student_code`; its row number."""
    cols, row = _index(ws), _row_of(ws, student_code)
    for name, value in values.items():
        ws.cell(row, cols[name]).value = value
    return row


def _bytes(book) -> bytes:
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _upload(client, class_id, data: bytes, filename="bang-ra-soat.xlsx"):
    return client.post(f"/screening/classes/{class_id}/sheet", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _token(page: str) -> str | None:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    return match.group(1) if match else None


def _digest() -> dict:
    """Every table but the audit log (a preview is a view of the class's records: it writes its row)."""
    _db.session.commit()
    return {t: d for t, d in table_digest(_db.engine).items() if t != "audit_log"}


def _screenings() -> int:
    return _db.session.scalar(select(func.count()).select_from(Screening))


FORM_INPUT = {"poor_household": True, "orphan": True, "parents_away": True, "conduct_rating": "Chưa đạt",
              "learning_rating": "Đạt", "absences": 33, "circumstances_text": "Mẹ mất sớm, bố đi làm xa.\nỞ với bà.",
              "conduct_text": "Hay nghỉ học buổi chiều."}


# --- the download --------------------------------------------------------------------------

def test_the_homeroom_teacher_downloads_the_class_sheet(klass, client_for):
    world = klass
    client = client_for("homeroom")
    book = _download(client, world.own_class.id)
    ws = book.worksheets[0]
    texts = [ws.cell(r, 1).value for r in range(1, HEADER_ROW)]
    assert any("LỚP 10A1" in (t or "") and world.year.name in t for t in texts)
    cols = _index(ws)
    assert "Hoàn cảnh gia đình, bản thân" in TITLES.values() and "Sự rèn luyện của bản thân" in TITLES.values()
    codes = [ws.cell(r, cols["code"]).value for r in range(HEADER_ROW + 1, ws.max_row + 1)]
    assert sorted(codes) == sorted(["0604123456", "HS10A1001", "HS10A1002", "HS10A1003"])  # only this class
    assert world.other_student.code not in codes and world.unscreened_student.code not in codes
    # every cell the app wrote is text or a number, never a formula
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type in ("s", "n"), (cell.coordinate, cell.data_type)
    # the student already screened this year is pre-filled, with the version of the record
    row = _row_of(ws, "0604123456")
    assert ws.cell(row, cols["poor_household"]).value == "x"
    assert ws.cell(row, cols["orphan"]).value in (None, "")
    assert ws.cell(row, cols["absences"]).value == 32
    assert ws.cell(row, cols["circumstances_text"]).value == "Gia đình khó khăn"
    assert ws.cell(row, cols["version"]).value == str(world.own_screening.version)
    assert ws.cell(row, cols["full_name"]).value == world.own_student.full_name
    empty = _row_of(ws, "HS10A1001")
    assert all(ws.cell(empty, cols[n]).value in (None, "") for n in ("poor_household", "conduct_rating",
                                                                     "absences", "circumstances_text"))
    # the ratings as a drop-down, the read-only columns locked on a protected sheet
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any("Chưa đạt" in dv.formula1 and "Yếu" in dv.formula1 for dv in lists)
    assert any(dv.type == "whole" for dv in ws.data_validations.dataValidation)
    assert ws.protection.sheet
    assert ws.cell(row, cols["code"]).protection.locked and not ws.cell(row, cols["conduct_rating"]).protection.locked
    audit = _db.session.scalars(select(AuditLog).where(AuditLog.action == "screening_sheet_exported")).all()
    assert len(audit) == 1 and audit[0].user_id == world.homeroom.id and audit[0].details["rows"] == 4


def test_the_sheet_of_another_class_is_refused(klass, client_for):
    world = klass
    homeroom = client_for("homeroom")
    assert homeroom.get(f"/screening/classes/{world.other_class.id}/sheet.xlsx").status_code == 403
    assert homeroom.get(f"/screening/classes/{world.other_school_class.id}/sheet.xlsx").status_code == 404
    assert client_for("teacher").get(f"/screening/classes/{world.own_class.id}/sheet.xlsx").status_code == 403
    # leadership, any class of the school
    book = _download(client_for("leader"), world.other_class.id)
    cols = _index(book.worksheets[0])
    codes = {book.worksheets[0].cell(r, cols["code"]).value for r in range(HEADER_ROW + 1, book.worksheets[0].max_row + 1)}
    assert codes == {world.other_student.code, world.unscreened_student.code}
    # the class board offers the sheet
    page = homeroom.get(f"/screening/classes/{world.own_class.id}").get_data(as_text=True)
    assert f"/screening/classes/{world.own_class.id}/sheet.xlsx" in page and 'type="file"' in page


# --- the upload ----------------------------------------------------------------------------

def test_upload_creates_proposals_scored_as_the_form_scores_them(klass, client_for, instance_folder):
    world = klass
    client = client_for("homeroom")
    # the form, for Châu
    form = {k: ("y" if v is True else v) for k, v in FORM_INPUT.items()} | {"rating_scale": "tt22"}
    response = client.post(f"/screening/students/{world.chau.id}/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    by_form = _db.session.scalar(select(Screening).where(Screening.student_id == world.chau.id))
    # the sheet, for Anh with the same input; own_student's pre-filled row changed; Bình left empty
    book = _download(client, world.own_class.id)
    ws = book.worksheets[0]
    _fill(ws, "HS10A1001", **{k: ("x" if v is True else v) for k, v in FORM_INPUT.items()})
    _fill(ws, "0604123456", absences=50, conduct_text="Đi học muộn nhiều")
    before = _screenings()
    response = _upload(client, world.own_class.id, _bytes(book))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:3000]
    token = _token(page)
    assert token and "Xác nhận nhập" in page and _screenings() == before  # nothing written by the preview
    response = client.post(f"/screening/classes/{world.own_class.id}/sheet/confirm", data={"token": token})
    assert response.status_code == 302
    _db.session.expire_all()
    by_sheet = _db.session.scalar(select(Screening).where(Screening.student_id == world.anh.id))
    assert by_sheet is not None and by_sheet.status == ScreeningStatus.PROPOSED
    assert by_sheet.proposed_by_id == world.homeroom.id
    assert (by_sheet.risk_score, by_sheet.risk_level, by_sheet.risk_reasons) == (
        by_form.risk_score, by_form.risk_level, by_form.risk_reasons)
    assert by_sheet.risk_score > 0
    for name in ("poor_household", "orphan", "parents_away", "near_poor_household", "conduct_rating",
                 "learning_rating", "absences", "circumstances_text", "conduct_text", "rating_scale"):
        assert getattr(by_sheet, name) == getattr(by_form, name), name
    updated = _db.session.get(Screening, world.own_screening.id)
    assert updated.absences == 50 and updated.conduct_text == "Đi học muộn nhiều"
    assert updated.risk_score > world.own_screening.risk_score or updated.risk_reasons != []
    assert _db.session.scalar(select(Screening).where(Screening.student_id == world.binh.id)) is None
    assert _screenings() == before + 1
    rows = _db.session.scalars(select(AuditLog).where(AuditLog.action == "screening_sheet_imported")).all()
    assert len(rows) == 1
    assert rows[0].details["created"] == [world.anh.id] and rows[0].details["updated"] == [world.own_student.id]
    assert rows[0].details["skipped"] == 1 and rows[0].details["file"] == "bang-ra-soat.xlsx"
    actions = [r.action for r in _db.session.scalars(select(AuditLog).where(
        AuditLog.object_type == "Screening", AuditLog.action.in_(["screening_created", "screening_updated"])))]
    assert actions.count("screening_created") == 2 and actions.count("screening_updated") == 1
    assert not _kept_uploads(instance_folder)  # the kept file is gone once imported
    # the same file again: what it says is what the records hold, nothing to write
    page = _upload(client, world.own_class.id, _bytes(book)).get_data(as_text=True)
    assert _token(page) and page.count(">Không đổi<") == 3  # Anh, own_student and Châu (pre-filled)
    # changed again in that old file: the record changed since the file was downloaded; not overwritten
    _fill(ws, "0604123456", absences=51)
    _fill(ws, "HS10A1001", absences=1)
    page = _upload(client, world.own_class.id, _bytes(book)).get_data(as_text=True)
    assert not _token(page) and page.count("đã được sửa") >= 2


def test_the_preview_lists_every_problem(klass, client_for, instance_folder):
    world = klass
    client = client_for("homeroom")
    book = _download(client, world.own_class.id)
    ws = book.worksheets[0]
    cols = _index(ws)
    r_outside = _fill(ws, "HS10A1001", orphan="có lẽ", conduct_rating="Xuất sắc", circumstances_text="Khó khăn")
    r_negative = _fill(ws, "HS10A1002", absences=-2, circumstances_text="Khó khăn")
    r_long = _fill(ws, "HS10A1003", circumstances_text="a" * 4001)
    r_unknown = _fill(ws, "0604123456", code="KHONGCO999")
    extra = ws.max_row + 1
    ws.cell(extra, cols["code"]).value = world.other_student.code
    ws.cell(extra, cols["full_name"]).value = world.other_student.full_name
    ws.cell(extra, cols["poor_household"]).value = "x"
    ws.cell(extra, cols["circumstances_text"]).value = "Khó khăn"
    ws.cell(extra + 1, cols["code"]).value = "HS10A1001"
    ws.cell(extra + 1, cols["full_name"]).value = "Phạm Thị Anh"
    ws.cell(extra + 1, cols["orphan"]).value = "x"
    ws.cell(extra + 2, cols["code"]).value = world.other_school_student.code
    ws.cell(extra + 2, cols["full_name"]).value = "Ai đó"
    ws.cell(extra + 2, cols["orphan"]).value = "x"
    ws.cell(extra + 2, cols["circumstances_text"]).value = "Khó khăn"
    before = _digest()
    response = _upload(client, world.own_class.id, _bytes(book))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert not _token(page) and "chưa nhập gì" in page
    expected = [
        (r_outside, "“có lẽ” không có trong danh sách"),
        (r_outside, "“Xuất sắc” không có trong danh sách"),
        (r_negative, "là số âm"),
        (r_long, "dài quá 4000 ký tự"),
        (r_unknown, "KHONGCO999 không có trong danh sách học sinh của trường"),
        (extra, "không thuộc lớp 10A1"),
        (extra + 1, "trùng với dòng"),
        (extra + 2, "không có trong danh sách học sinh của trường"),  # another school's student is unknown here
    ]
    for row, message in expected:
        assert f"Dòng {row}: " in page and message in page, (row, message)
        line = next((li for li in re.findall(r"<li>(.*?)</li>", page) if li.startswith(f"Dòng {row}:")
                     and message in li.replace("&#34;", '"')), None)
        assert line is not None, (row, message)
    assert _digest() == before and not _kept_uploads(instance_folder)


def test_a_file_of_another_class_or_year_is_refused(klass, client_for, instance_folder):
    world = klass
    leader = client_for("leader")
    other = _download(leader, world.other_class.id)
    _fill(other.worksheets[0], world.unscreened_student.code, orphan="x", circumstances_text="Khó khăn")
    page = _upload(leader, world.own_class.id, _bytes(other)).get_data(as_text=True)
    assert "lớp 11B2, không phải lớp 10A1" in page and not _token(page)
    own = _download(leader, world.own_class.id)
    ws = own.worksheets[0]
    year_cell = next(c for row in ws.iter_rows(max_row=HEADER_ROW - 1) for c in row
                     if isinstance(c.value, str) and c.value.startswith("Năm học:"))
    year_cell.value = "Năm học: 2019-2020"
    _fill(ws, "HS10A1001", orphan="x", circumstances_text="Khó khăn")
    page = _upload(leader, world.own_class.id, _bytes(own)).get_data(as_text=True)
    assert "năm học 2019-2020, không phải năm học" in page and not _token(page)
    assert not _kept_uploads(instance_folder)


def test_all_or_nothing(klass, client_for, instance_folder):
    world = klass
    client = client_for("homeroom")
    book = _download(client, world.own_class.id)
    ws = book.worksheets[0]
    _fill(ws, "HS10A1001", orphan="x", circumstances_text="Mồ côi cha")
    _fill(ws, "HS10A1002", absences="nhiều", circumstances_text="Khó khăn")
    before = _digest()
    page = _upload(client, world.own_class.id, _bytes(book)).get_data(as_text=True)
    assert "không phải số buổi" in page and not _token(page)
    assert _digest() == before
    # a clean file previewed, then a record changes before the confirmation: nothing is written
    _fill(ws, "HS10A1002", absences=3)
    _fill(ws, "0604123456", absences=40)
    page = _upload(client, world.own_class.id, _bytes(book)).get_data(as_text=True)
    token = _token(page)
    assert token, page[:3000]
    screening = _db.session.get(Screening, world.own_screening.id)
    screening.conduct_text = "Sửa trên web"
    _db.session.commit()
    count = _screenings()
    response = client.post(f"/screening/classes/{world.own_class.id}/sheet/confirm", data={"token": token})
    assert response.status_code == 409
    assert "đã được sửa" in response.get_data(as_text=True)
    _db.session.expire_all()
    assert _screenings() == count and _db.session.get(Screening, world.own_screening.id).absences == 32
    assert not _db.session.scalars(select(AuditLog).where(AuditLog.action == "screening_sheet_imported")).all()
    # the token is spent; another user's token is not usable either
    response = client.post(f"/screening/classes/{world.own_class.id}/sheet/confirm", data={"token": token})
    assert response.status_code == 302


def test_an_empty_sheet_writes_nothing_and_says_so(klass, client_for, instance_folder):
    world = klass
    client = client_for("homeroom")
    book = _download(client, world.own_class.id)
    page = _upload(client, world.own_class.id, _bytes(book)).get_data(as_text=True)
    token = _token(page)
    assert token  # the pre-filled row is unchanged, the others are empty
    count = _screenings()
    response = client.post(f"/screening/classes/{world.own_class.id}/sheet/confirm", data={"token": token},
                           follow_redirects=True)
    assert "0 phiếu mới" in response.get_data(as_text=True) and _screenings() == count


def test_hostile_uploads_are_refused_clearly(klass, client_for, instance_folder):
    world = klass
    client = client_for("homeroom")
    failures = []
    for name, filename, build, status, message in HOSTILE:
        _db.session.commit()
        before = table_digest(_db.engine)
        response = _upload(client, world.own_class.id, build(), filename)
        page = response.get_data(as_text=True)
        if response.status_code != status or message not in page:
            failures.append(f"{name}: {response.status_code} {message!r} missing" if message not in page
                            else f"{name}: status {response.status_code}")
        if table_digest(_db.engine) != before or _kept_uploads(instance_folder):
            failures.append(f"{name}: something was saved")
    assert not failures, "\n".join(failures)
    # a class list is not a screening sheet
    from tests import xlsx_builders as xb

    response = _upload(client, world.own_class.id, xb.student_list([["HS1", "Nguyễn Văn An", "01/01/2011", "Nam",
                                                                     "10A1", None]]))
    assert response.status_code == 400 and "không phải bảng rà soát" in response.get_data(as_text=True)


# --- approving several records at once ----------------------------------------------------------

def test_leadership_approves_several_records_at_once(klass, client_for):
    world = klass
    extra = [f.make_screening(s, world.year, world.homeroom, orphan=True) for s in (world.anh, world.binh)]
    _db.session.commit()
    leader = client_for("leader")
    page = leader.get("/screening/list").get_data(as_text=True)
    assert "Duyệt các hồ sơ đã chọn" in page
    for screening in (world.own_screening, *extra):
        assert f'value="{screening.id}:{screening.version}"' in page
    stale = extra[1]
    chosen = [f"{world.own_screening.id}:{world.own_screening.version}", f"{extra[0].id}:{extra[0].version}",
              f"{stale.id}:{stale.version}"]
    stale.conduct_text = "Sửa sau khi trang hiện ra"  # another user's edit: a new version
    _db.session.commit()
    response = leader.post("/screening/list/approve", data={"screening": chosen, "back": "/screening/list?sort=score"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/screening/list?sort=score")
    _db.session.expire_all()
    assert _db.session.get(Screening, world.own_screening.id).decision == Decision.APPROVED
    assert _db.session.get(Screening, extra[0].id).decision == Decision.APPROVED
    assert _db.session.get(Screening, stale.id).decision is None
    decided = _db.session.scalars(select(AuditLog).where(AuditLog.action == "screening_decided")).all()
    assert sorted(r.object_id for r in decided) == sorted([world.own_screening.id, extra[0].id])
    assert all(r.user_id == world.leader.id and r.details == {"decision": "approved"} for r in decided)
    verified = _db.session.scalars(select(AuditLog).where(AuditLog.action == "screening_verified")).all()
    assert len(verified) == 2  # verified on the way, as the single approval does
    page = leader.get("/screening/list").get_data(as_text=True)
    assert "Đã duyệt 2 hồ sơ" in page and "Chưa duyệt 1 hồ sơ" in page and world.binh.full_name in page
    # an approved record is not offered again, and approving it again is reported, not repeated
    assert f'value="{extra[0].id}:' not in page
    approved = _db.session.get(Screening, extra[0].id)
    leader.post("/screening/list/approve", data={"screening": [f"{approved.id}:{approved.version}"]})
    assert len(_db.session.scalars(select(AuditLog).where(AuditLog.action == "screening_decided")).all()) == 2


def test_bulk_approval_permissions(klass, client_for):
    world = klass
    for role in ("homeroom", "teacher", "depthead", "union", "admin"):
        response = client_for(role).post("/screening/list/approve",
                                         data={"screening": [f"{world.own_screening.id}:{world.own_screening.version}"]})
        assert response.status_code == 403, role
    # another school's record or an unknown id: never approved, reported
    leader = client_for("leader")
    other = world.other_school_screening
    response = leader.post("/screening/list/approve", data={"screening": [f"{other.id}:{other.version}", "999999:1",
                                                                           "x:y"]}, follow_redirects=True)
    assert "không còn trong danh sách" in response.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Screening, other.id).decision is None
    response = leader.post("/screening/list/approve", data={"back": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/screening/list")
    assert _db.session.get(Screening, world.own_screening.id).decision is None
