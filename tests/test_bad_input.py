"""Bad input gets a clear answer, never a 500: garbage query strings and form values on every page."""

import pytest

from tests.test_permissions import MATRIX

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


def test_huge_ids_in_forms_are_not_found(mentoring, client_for):
    client = client_for("leader")
    response = client.post(f"/assignments/students/{mentoring.mentee.id}/assign",
                           data={"assign-mentor_id": "99999999999999999999", "assign-role": "support"})
    assert response.status_code == 404
    assert client.post("/year", data={"year_id": "99999999999999999999"}).status_code == 404
