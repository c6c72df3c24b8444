"""Reading the roster: class lists in Vietnamese order, search, scopes, bounded queries."""


from sponsor_app.models import AuditLog
from tests.conftest import count_statements
from tests.factories import make_class, make_student


def test_class_list_is_sorted_by_given_name(leader_client, world, db):
    for name in ["Nguyễn Văn Đức", "Trần Thị Dung", "Lê Ăn", "Phạm An"]:
        make_student(world.own_class, name)
    db.session.commit()
    page = leader_client.get(f"/roster/classes/{world.own_class.id}").get_data(as_text=True)
    order = [page.index(n) for n in ["Phạm An", "Lê Ăn", "Trần Thị Dung", "Nguyễn Văn Đức", "Hoàng Bảo Thảo"]]
    assert order == sorted(order)


def test_search_ignores_diacritics_and_d(leader_client, world):
    page = leader_client.get("/roster/students?q=thao").get_data(as_text=True)
    assert "Hoàng Bảo Thảo" in page and "Dương Anh Quân" not in page
    page = leader_client.get("/roster/students?q=duong").get_data(as_text=True)
    assert "Dương Anh Quân" in page
    page = leader_client.get("/roster/students?q=0604123456").get_data(as_text=True)
    assert "Hoàng Bảo Thảo" in page


def test_other_schools_are_invisible(leader_client, world):
    page = leader_client.get("/roster/students?q=thang").get_data(as_text=True)
    assert "Ngô Quang Thắng" not in page


def test_homeroom_teacher_sees_own_class_on_home_page(homeroom_client, world):
    page = homeroom_client.get("/home/teacher").get_data(as_text=True)
    assert f"/roster/classes/{world.own_class.id}" in page


def test_viewing_a_student_record_is_audited(homeroom_client, world, db):
    homeroom_client.get(f"/roster/students/{world.own_student.id}")
    entry = db.session.query(AuditLog).filter_by(action="view_student").one()
    assert entry.object_id == world.own_student.id and entry.user_id == world.homeroom.id and entry.ip


def test_dates_show_as_dd_mm_yyyy(leader_client, world, db):
    from datetime import date

    world.own_student.date_of_birth = date(2011, 2, 7)
    db.session.commit()
    assert "07/02/2011" in leader_client.get(f"/roster/students/{world.own_student.id}").get_data(as_text=True)


def _queries_for(client, url):
    with count_statements() as counted:
        assert client.get(url).status_code == 200
    return counted.n


def test_pages_issue_a_bounded_number_of_queries(leader_client, world, db, app):
    urls = ["/roster/students", f"/roster/classes/{world.own_class.id}", "/roster/classes", "/home/leader"]
    small = {url: _queries_for(leader_client, url) for url in urls}
    for i in range(60):
        group = make_class(world.year, f"12A{i}")
        for _ in range(5):
            make_student(group)
        make_student(world.own_class)
    db.session.commit()
    for url in urls:
        assert _queries_for(leader_client, url) == small[url], url


def test_counts_use_the_status_as_it_was_in_that_year(world, db):
    from datetime import timedelta

    from sponsor_app.main.services import school_counts
    from sponsor_app.models import StudentStatus
    from tests.factories import make_year

    previous = make_year(world.school, 2025, current=False)
    student = make_student(make_class(previous, "9A1"), "Lê Văn Tèo")
    student.status, student.status_date = StudentStatus.DROPPED_OUT, world.year.start_date + timedelta(days=30)
    db.session.flush()
    then = school_counts(world.school.id, previous)
    assert (then.enrolled, then.dropped_out) == (1, 0)  # left after that year ended
    student.status_date = previous.end_date - timedelta(days=10)
    db.session.flush()
    assert school_counts(world.school.id, previous).dropped_out == 1


def test_pages_of_a_school_without_a_year_explain_what_to_do(app, db):
    from sponsor_app.models import Role
    from tests.conftest import login
    from tests.factories import make_school, make_user

    school = make_school("Trường Mới Lập")
    make_user(school, Role.LEADER, Role.TEACHER, username="newleader")
    db.session.commit()
    client = login(app.test_client(), "newleader")
    for url in ("/roster/classes", "/screening/list", "/assignments/board"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        assert "Trường chưa có năm học nào" in response.get_data(as_text=True), url
