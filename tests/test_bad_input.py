"""Bad input gets a clear answer, never a 500: garbage query strings and form values on every page."""

import pytest

from tests.test_permissions import MATRIX, ROLES

GARBAGE_ARGS = "?page=abc&class_id=x&grade=%27%3B--&status=bogus&level=%00&category=../../&sort=;drop&q=" + "đ" * 300


@pytest.mark.parametrize("role", ["admin", "leader", "teacher"])
def test_garbage_query_strings_never_500(mentoring, client_for, role):
    client = client_for(role)
    seen = set()
    for endpoint, method, url, _expected, _data in MATRIX:
        target = url(mentoring)
        if method != "GET" or target in seen or endpoint == "auth.login":
            continue
        seen.add(target)
        response = client.get(target + GARBAGE_ARGS)
        assert response.status_code < 500, f"{role} GET {target}: {response.status_code}"


GARBAGE_FORM = {
    "username": "x" * 500, "full_name": "=1+1" * 100, "roles": ["nope"], "department_id": "abc",
    "date_of_birth": "32/13/2026", "code": "", "given_name": "\x00", "class_group_id": "999999",
    "status": "zombie", "status_date": "hôm qua", "version": "not-a-number", "absences": "-5",
    "rating_scale": "x", "conduct_rating": "Xuất sắc", "decision": "maybe", "reason": "x" * 5000,
    "assign-mentor_id": "abc", "assign-role": "boss", "reassign-mentor_id": "-1", "capacity": "9999",
    "preferred_class_id": "abc", "preferred_grade": "x", "willing": "2", "risk_medium_min": "-1",
    "risk_high_min": "abc", "plan_number": "<script>", "name": "", "year_id": "abc", "kind": "zzz",
    "contact_date": "99/99/9999", "channel": "x", "method": "y", "person": "",
}


@pytest.mark.parametrize("role", ["admin", "leader", "homeroom"])
def test_garbage_form_posts_never_500(mentoring, client_for, role):
    client = client_for(role)
    for endpoint, method, url, _expected, _data in MATRIX:
        if method != "POST" or endpoint in {"auth.logout", "auth.login"}:
            continue
        response = client.post(url(mentoring), data=GARBAGE_FORM)
        assert response.status_code < 500, f"{role} POST {url(mentoring)}: {response.status_code}"


def test_huge_ids_are_not_found(mentoring, client_for):
    client = client_for("leader")
    for url in ("/roster/students/99999999999999999999", "/screening/99999999999999999999",
                "/assignments/students/99999999999999999999", "/roster/classes/99999999999999999999"):
        assert client.get(url).status_code == 404, url


def test_huge_ids_in_forms_are_refused(mentoring, client_for, db):
    """An id select posted with 2**70 is a form error (the form shown again), not a database error."""
    from sponsor_app.models import Assignment

    client = client_for("leader")
    before = db.session.query(Assignment).count()
    for value in ("99999999999999999999", str(2**70), "1e9", "-1", "²"):
        response = client.post(f"/assignments/students/{mentoring.mentee.id}/assign",
                               data={"assign-mentor_id": value, "assign-role": "support"})
        assert response.status_code == 200, value
        html = response.get_data(as_text=True)
        assert "is-invalid" in html and ("Lựa chọn không hợp lệ." in html or "Chọn người đỡ đầu." in html), value
    assert db.session.query(Assignment).count() == before
    assert client.post("/year", data={"year_id": "99999999999999999999"}).status_code == 404


# --- integers from outside: one bounded converter (sponsor_app/params.py) ----------------------------

HOSTILE_INTEGERS = [str(2**70), "-1", "1e9", "-" + str(2**64), "²", "0x10", " 7 "]


def _integer_arg_names() -> set[str]:
    """Every query-string integer the app reads: the names given to int_arg, plus the department
    dashboard's ?department= (read as a path-like id, 404 when bad) and the period's filters."""
    import re
    from pathlib import Path

    import sponsor_app

    names = {"department", "semester", "month"}
    for path in Path(sponsor_app.__file__).parent.rglob("*.py"):
        source = path.read_text()
        names |= set(re.findall(r"int_arg\(\s*\"(\w+)\"", source))
        assert not re.search(r"args\.get\([^)]*type=int", source), f"{path}: a query integer read without int_arg"
    return names


def _get_rows_by_endpoint(app):
    """One reachable GET URL per endpoint of the url map, with a role that gets 200 there."""
    rows = {}
    get_endpoints = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"}
    for endpoint, method, url, expected, _data in MATRIX:
        if method != "GET" or endpoint in rows or endpoint not in get_endpoints:
            continue
        role = next((r for r in ROLES if r != "anon" and expected[r] == 200), None)
        if role:
            rows[endpoint] = (url, role)
    return get_endpoints, rows


def test_query_string_integers_never_500(app, mentoring, client_for):
    """Every GET endpoint of the url map, with every query-string integer the app reads set to
    2**70, -1, 1e9, ...: never a server error (a bad filter is no filter, a bad id is not found)."""
    import inspect

    from sponsor_app.params import int_arg, to_int

    names = _integer_arg_names()
    assert {"class_id", "grade", "page", "note_id"} <= names, names
    get_endpoints, rows = _get_rows_by_endpoint(app)
    assert len(rows) >= len(get_endpoints) - 5, sorted(get_endpoints - set(rows))  # healthz, login: no role needs
    clients, failures, requests = {}, [], 0
    for endpoint, (url, role) in sorted(rows.items()):
        client = clients.setdefault(role, client_for(role))
        source = inspect.getsource(inspect.getmodule(app.view_functions[endpoint]))
        target = url(mentoring)
        joiner = "&" if "?" in target else "?"
        for value in HOSTILE_INTEGERS:
            queries = ["&".join(f"{n}={value}" for n in sorted(names) if n != "department")]
            queries += [f"{n}={value}" for n in sorted(names) if f'"{n}"' in source]  # each name the view reads
            for query in queries:
                response = client.get(target + joiner + query)
                requests += 1
                if response.status_code >= 500:
                    failures.append(f"{role} GET {target}{joiner}{query}: {response.status_code}")
    print(f"Query-string integers: {len(rows)} GET endpoints, {len(names)} names, {requests} requests, "
          f"{len(failures)} server errors")
    assert not failures, "\n".join(failures)
    # the converter itself
    assert to_int(str(2**70)) is None and to_int("-1", lo=1) is None and to_int("1e9") is None
    assert to_int("²") is None and to_int("١٢") is None and to_int(" 42 ") == 42 and to_int(True) is None
    with app.test_request_context("/?page=3&class_id=99999999999999999999"):
        assert int_arg("page", 1) == 3 and int_arg("class_id") is None and int_arg("missing", 5) == 5


def test_huge_ids_in_every_path_are_not_found(app, mentoring, client_for):
    """Every rule with an <int:...> part, its id replaced by 2**70, -1, ...: not found (404; 405 where
    the path is another rule's of a different method), on every method."""
    adapter = app.url_map.bind("localhost")
    client = client_for("admin")
    checked, failures = set(), []
    for _endpoint, method, url, _expected, _data in MATRIX:
        path = url(mentoring).split("?")[0]
        rule, values = adapter.match(path, method=method, return_rule=True)
        ints = [name for name, conv in rule._converters.items() if type(conv).__name__ == "IdConverter"]
        if not ints or (rule.rule, method) in checked:
            continue
        checked.add((rule.rule, method))
        for bad in (str(2**70), str(2**31), "-1", "1e9"):
            target = rule.build({**values, **dict.fromkeys(ints, 987654321)})[1].replace("987654321", bad)
            response = client.open(target, method=method, data={})
            if response.status_code not in (404, 405):
                failures.append(f"{method} {target}: {response.status_code}")
    assert len(checked) > 50, len(checked)
    assert not failures, "\n".join(failures)


def test_dates_of_birth_are_bounded_and_emails_stripped(admin_client, world, db):
    """A student 3–25 years old at the start of the school year viewed, staff 18–75: a date of 1900 is
    a form error, the typed value kept; an e-mail with a trailing line break is stored without it, two
    addresses on two lines are refused."""
    from sponsor_app.models import Student, User

    def post_student(dob):
        return admin_client.post("/admin/students/new", data={
            "code": "HS-DOB-" + dob.replace("/", ""), "given_name": "Mơ", "family_name": "Hà",
            "class_group_id": str(world.own_class.id), "date_of_birth": dob, "status": "enrolled"})

    for dob in ("01/01/1900", world.year.start_date.replace(year=world.year.start_date.year - 2).strftime("%d/%m/%Y")):
        page = post_student(dob)
        assert page.status_code == 200 and "không hợp lý" in page.get_data(as_text=True), dob
        assert f'value="{dob}"' in page.get_data(as_text=True)
    assert post_student("01/02/2011").status_code == 302
    assert db.session.query(Student).filter(Student.code.like("HS-DOB-%")).count() == 1

    def post_user(**fields):
        return admin_client.post(f"/admin/users/{world.teacher.id}/edit", data={
            "full_name": "Y Khang", "username": "teacher", "roles": ["teacher"],
            "version": db.session.get(User, world.teacher.id).version, **fields})

    assert "không hợp lý" in post_user(date_of_birth="01/01/1900").get_data(as_text=True)
    assert post_user(email="khang@truong.edu.vn\r\n").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, world.teacher.id).email == "khang@truong.edu.vn"
    assert "Email không hợp lệ" in post_user(email="a@b.vn\nx@y.vn").get_data(as_text=True)


def test_a_superscript_digit_is_not_a_number_anywhere(leader_client, world, db):
    """"²" is a digit to str.isdigit() but not to int(): an absences criterion of "²" sessions is
    refused with the criterion's message (it was a server error)."""
    from sponsor_app.models import RiskCriterion

    leader_client.get("/screening/criteria")  # the year's default criteria
    criteria = db.session.query(RiskCriterion).filter_by(school_year_id=world.year.id).all()
    data = {"risk_medium_min": "3", "risk_high_min": "6", "new_label": "Nghỉ nhiều", "new_kind": "absences",
            "new_parameter": "²", "new_weight": "2"}
    for i, c in enumerate(criteria):
        data |= {f"criteria-{i}-id": str(c.id), f"criteria-{i}-label": c.label, f"criteria-{i}-kind": c.kind.value,
                 f"criteria-{i}-parameter": c.parameter, f"criteria-{i}-weight": str(c.weight),
                 f"criteria-{i}-active": "y"}
    response = leader_client.post("/screening/criteria", data=data)
    assert response.status_code == 200 and "Số buổi nghỉ phải là số từ 1 đến 400." in response.get_data(as_text=True)
    assert not db.session.query(RiskCriterion).filter_by(label="Nghỉ nhiều").count()


def test_superscript_digits_in_money_classes_and_worker_counts(app):
    """The other places that read digits: money, class names' natural order, GUNICORN/WEB_CONCURRENCY."""
    from werkzeug.datastructures import MultiDict

    from sponsor_app.assignments.official_list import _class_key
    from sponsor_app.deploycheck import workers_from_env
    from sponsor_app.progress.forms import SupportRow

    with app.test_request_context("/"):
        row = SupportRow(MultiDict({"value_vnd": "5²0.000"}))
        assert row.value_vnd.data is None and row.value_vnd.process_errors == [
            "Số tiền không hợp lệ: chỉ ghi số, ví dụ 500.000."]
    assert sorted(["10²", "10A10", "10A2"], key=_class_key) == ["10²", "10A2", "10A10"]
    assert workers_from_env({"WEB_CONCURRENCY": "²"}) is None
    assert workers_from_env({"GUNICORN_CMD_ARGS": "-w ²"}) is None
