"""Heavy pages served again from memory (sponsor_app/pagecache.py): never stale, never another user's,
never without the permission check and the audit of the view."""

import re

import pytest
from flask_login import login_user

from sponsor_app.extensions import db as _db
from sponsor_app.models import AuditLog, Role, School, Student, UserRole
from sponsor_app.pagecache import PageStore
from tests.conftest import count_statements
from tests.factories import PASSWORD
from tests.test_notes import KEY, _form, _url, mentee_world  # noqa: F401 — the fixture, with its helpers

KEY_PAGES = ["/home/leader", "/dashboard/", "/screening/list", "/assignments/board", "/departments/",
             "/emulation/sheet/" + KEY]
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _page(client, url) -> tuple[str, int]:
    """The page's text and the number of statements its request issued."""
    with count_statements() as counted:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True), counted.n


def _version(school_id: int) -> int:
    _db.session.expire_all()
    return _db.session.get(School, school_id).data_version


def _rename(student_id: int) -> None:
    _db.session.get(Student, student_id).set_name("Hoàng", "Bảo", "Thư")


def _without_tokens(text: str) -> str:
    return TOKEN.sub("", text)


@pytest.mark.parametrize("url", KEY_PAGES)
def test_a_repeat_view_is_the_same_page_from_memory(url, app, world, client_for):
    client = client_for("union" if "emulation" in url else "depthead" if "departments" in url else "leader")
    client.get(url)  # the first view of all (a year's first emulation sheet keeps its default rubric)
    app.extensions["pagecache"].clear()
    first, built = _page(client, url)
    again, served = _page(client, url)
    assert _without_tokens(again) == _without_tokens(first)
    # the user, the year and the view's audit row (auditviews.VIEWS): the page itself is not built again
    assert served < built and served <= 4


def test_a_note_submitted_by_a_teacher_shows_on_the_department_dashboard_at_once(
        mentee_world, teacher_client, dept_head_client, app):  # noqa: F811
    url = f"/departments/?month={KEY}"
    before = dept_head_client.get(url).get_data(as_text=True)
    assert "Chưa gửi" in dept_head_client.get(url).get_data(as_text=True)  # the page from memory
    assert app.extensions["pagecache"].hits >= 1
    teacher_client.post(_url(mentee_world), data=_form(action="submit"))
    after = dept_head_client.get(url).get_data(as_text=True)
    assert "Chưa gửi" in before and "Chưa gửi" not in after and "Đã gửi" in after
    assert "Đúng hạn: 100% (1/1)" in after


def test_a_write_changes_only_its_own_schools_version(app, world):
    own, other = world.school.id, world.other_school_user.school_id
    versions = _version(own), _version(other)
    with app.test_request_context():  # a request of the school's admin renames a student
        login_user(world.admin)
        _rename(world.own_student.id)
        _db.session.commit()
    assert _version(own) != versions[0] and _version(other) == versions[1]


def test_reading_and_auditing_change_no_version_and_a_command_line_write_changes_every_school(app, world,
                                                                                            client_for):
    own, other = world.school.id, world.other_school_user.school_id
    versions = _version(own), _version(other)
    client = client_for("leader")  # a login's time stamp is shown nowhere: no change either
    for _ in range(2):  # views of a student's profile write audit rows only
        assert client.get(f"/roster/students/{world.own_student.id}").status_code == 200
    assert (_version(own), _version(other)) == versions
    _rename(world.own_student.id)  # no request: a command, a seed
    _db.session.commit()
    assert _version(own) != versions[0] and _version(other) != versions[1]


def test_a_student_renamed_through_the_app_shows_on_the_cached_list(app, world, client_for):
    leader = client_for("leader")
    assert "Hoàng Bảo Thảo" in leader.get("/screening/list").get_data(as_text=True)
    assert "Hoàng Bảo Thảo" in leader.get("/screening/list").get_data(as_text=True)  # from memory
    with app.test_request_context():
        login_user(world.admin)
        _rename(world.own_student.id)
        _db.session.commit()
    page = leader.get("/screening/list").get_data(as_text=True)
    assert "Hoàng Bảo Thư" in page and "Hoàng Bảo Thảo" not in page


def test_every_view_of_a_cached_profile_is_audited(app, world, client_for):
    client = client_for("leader")
    for _ in range(3):
        assert client.get(f"/roster/students/{world.own_student.id}").status_code == 200
    assert app.extensions["pagecache"].hits >= 2
    assert _db.session.query(AuditLog).filter_by(action="view_student", object_id=world.own_student.id).count() == 3


def test_a_role_taken_away_is_refused_at_once(app, world, client_for):
    client = client_for("leader")
    assert client.get("/screening/list").status_code == 200
    assert client.get("/screening/list").status_code == 200
    with app.test_request_context():
        login_user(world.admin)
        _db.session.query(UserRole).filter_by(user_id=world.leader.id, role=Role.LEADER).delete()
        _db.session.commit()
    assert client.get("/screening/list").status_code == 403


def test_pages_are_per_user_and_per_language(app, world, client_for):
    leader, admin = client_for("leader"), client_for("admin")
    mine = leader.get("/home/leader").get_data(as_text=True)
    assert world.leader.full_name in mine
    assert admin.get("/home/leader").status_code == 403  # not the leader's page from memory
    assert world.leader.full_name in leader.get("/home/leader").get_data(as_text=True)
    leader.post("/lang/en")
    english = leader.get("/home/leader").get_data(as_text=True)
    assert '<html lang="en">' in english and '<html lang="en">' not in mine


def test_a_page_with_a_message_to_show_is_built_afresh(app, world, client_for):
    client = client_for("leader")
    client.get("/assignments/board")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Đã lưu phân công.")]
    assert "Đã lưu phân công." in client.get("/assignments/board").get_data(as_text=True)
    assert "Đã lưu phân công." not in client.get("/assignments/board").get_data(as_text=True)


def _token(text: str) -> str:
    match = TOKEN.search(text)
    return match.group(1) or match.group(2)


def test_a_form_on_a_page_from_memory_carries_the_sessions_own_token(guarded, world):
    """Two sessions of one user: the second gets the page stored for the first, with its own token."""
    tokens = []
    for _ in range(2):
        client = guarded.test_client()
        token = _token(client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"username": "leader", "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
        page = client.get("/assignments/board").get_data(as_text=True)
        tokens.append(_token(page))
        chosen = client.post("/year", data={"year_id": str(world.year.id), "csrf_token": tokens[-1]})
        assert chosen.status_code == 302, chosen.get_data(as_text=True)[:300]
    assert tokens[0] != tokens[1]
    assert guarded.extensions["pagecache"].hits >= 1


def test_a_page_is_kept_a_minute_at_most(app, world, client_for):
    """What changes with the clock and not the data (an escalation's working hours left) is rebuilt."""
    now = [1000.0]
    pages = app.extensions["pagecache"]
    pages.clock = lambda: now[0]
    client = client_for("leader")
    client.get("/dashboard/")
    client.get("/dashboard/")
    assert pages.hits == 1
    now[0] += 61
    client.get("/dashboard/")
    assert (pages.hits, pages.misses) == (1, 2)


def test_the_store_keeps_the_most_recent_pages_within_its_size():
    store = PageStore(max_chars=100, seconds=60)
    store.put(("a",), "x" * 20)
    store.put(("b",), "y" * 20)
    store.get(("a",))  # a is used again: b is now the oldest
    store.put(("c",), "z" * 20)
    store.put(("d",), "w" * 20)
    store.put(("e",), "v" * 20)
    assert len(store) == 5  # exactly full
    store.put(("f",), "u" * 20)
    assert store.get(("b",)) is None and store.get(("a",)) == "x" * 20 and len(store) == 5
    store.put(("huge",), "h" * 60)  # more than a quarter of the store: not kept
    assert store.get(("huge",)) is None
