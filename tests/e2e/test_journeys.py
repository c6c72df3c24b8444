"""Each demo role's main journey in a real browser: log in, home page, what the menu offers, log out.

Screenshots go to test-artifacts/screenshots/<role>.png (and FAILED-<test>.png when a journey fails).
"""

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from sponsor_app.seed import HOMEROOM_CLASS
from sponsor_app.text import fold, name_sort_key, split_full_name

from .conftest import log_in, log_out, make_context, open_menu, screenshot

pytestmark = pytest.mark.e2e

ROSTER = ("Lớp học", "Học sinh")
ROLE_LINKS = ("Quản trị", "Ban giám hiệu", "Tổ trưởng", "BCH Công đoàn", "Giáo viên")


@dataclass(frozen=True)
class Journey:
    home: str
    heading: str
    nav: tuple[str, ...]  # what the top menu offers this user (the rest of ALL_NAV must be absent)


ALL_NAV = (*ROLE_LINKS, *ROSTER, "Thiết lập")
JOURNEYS = {
    "admin": Journey("/home/admin", "Trang quản trị", ("Quản trị", "Giáo viên", *ROSTER, "Thiết lập")),
    "leader": Journey("/home/leader", "Ban giám hiệu", ("Ban giám hiệu", "Giáo viên", *ROSTER)),
    "depthead": Journey("/home/dept_head", "Tổ trưởng", ("Tổ trưởng", "Giáo viên")),
    "union": Journey("/home/union", "BCH Công đoàn", ("BCH Công đoàn", "Giáo viên")),
    "teacher": Journey("/home/teacher", "Xin chào", ("Giáo viên",)),
    "homeroom": Journey("/home/teacher", "Xin chào", ("Giáo viên",)),
}


def nav_items(page) -> list[str]:
    return [text.strip() for text in page.locator("#mainnav > ul.navbar-nav > li > a").all_inner_texts()]


def no_horizontal_overflow(page) -> tuple[bool, int, int]:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return scroll <= inner + 1, scroll, inner


# --- what each role does besides the common part -----------------------------------------

def admin_opens_setup(page, live_server) -> None:
    page.locator("#mainnav").get_by_role("button", name="Thiết lập").click()  # Bootstrap's JS works under the CSP
    page.get_by_role("link", name="Tài khoản, cán bộ").click()
    expect(page.locator("h1")).to_contain_text("Cán bộ, giáo viên, nhân viên")
    expect(page.locator("code", has_text=re.compile(r"^depthead$"))).to_be_visible()


def leader_sees_all_classes(page, live_server) -> None:
    page.locator("#mainnav").get_by_role("link", name="Lớp học").click()
    expect(page.locator("h1")).to_contain_text("Lớp học — năm học")
    expect(page.locator("tbody tr")).to_have_count(15)


def dept_head_sees_department(page, live_server) -> None:
    card = page.locator(".card", has_text="Tổ Toán (TOAN)")
    expect(card).to_be_visible()
    assert card.locator("li").count() >= 5


def union_sees_totals_not_records(page, live_server) -> None:
    students = page.locator(".stat").first.inner_text()
    assert int(students.replace(".", "")) > 500, students
    assert page.request.get("/roster/students").status == 403  # with the page's session cookie


def teacher_has_no_class(page, live_server) -> None:
    expect(page.get_by_text("Năm học này bạn không chủ nhiệm lớp nào.")).to_be_visible()
    assert page.request.get("/roster/students").status == 403


def homeroom_opens_class_list(page, live_server) -> None:
    page.get_by_role("link", name=f"Lớp {HOMEROOM_CLASS}").click()
    expect(page.locator("h1")).to_contain_text(f"Lớp {HOMEROOM_CLASS}")
    expect(page.locator("tbody tr")).to_have_count(live_server.homeroom_class_size)
    names = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    parts = [split_full_name(name) for name in names]
    # Given name first, Vietnamese order (đ after d): the app's key, and the given names' first letters.
    keys = [name_sort_key(*p) for p in parts]
    assert keys == sorted(keys), names
    initials = [fold(given)[0] for _family, _middle, given in parts]
    assert initials == sorted(initials), names


ROLE_STEPS = {
    "admin": admin_opens_setup,
    "leader": leader_sees_all_classes,
    "depthead": dept_head_sees_department,
    "union": union_sees_totals_not_records,
    "teacher": teacher_has_no_class,
    "homeroom": homeroom_opens_class_list,
}


@pytest.mark.parametrize("username", list(JOURNEYS))
def test_role_journey(page, live_server, errors, username):
    journey = JOURNEYS[username]
    log_in(page, username)
    expect(page).to_have_url(re.compile(re.escape(journey.home) + "$"))
    expect(page.locator("h1")).to_contain_text(journey.heading)

    items = nav_items(page)
    for item in ALL_NAV:
        assert (item in items) == (item in journey.nav), f"{username}: menu {items}, {item!r}"
    if username == "homeroom":
        expect(page.get_by_role("link", name=f"Lớp {HOMEROOM_CLASS}")).to_be_visible()
    errors.collect_csp(page)
    screenshot(page, username)

    ROLE_STEPS[username](page, live_server)
    errors.collect_csp(page)

    # The other home pages of the role (an admin is also a teacher, ...), through the menu.
    for label in [item for item in journey.nav if item in ROLE_LINKS]:
        page.locator("#mainnav").get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(re.compile(r"/home/\w+$"))
        expect(page.locator("h1")).to_be_visible()
        errors.collect_csp(page)

    log_out(page)
    page.goto(journey.home)
    expect(page).to_have_url(re.compile(r"/login\?next="))  # the session really ended
    assert errors.messages == []


def test_teacher_on_a_phone(browser, live_server):
    context = make_context(browser, live_server, viewport={"width": 375, "height": 740},
                           device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto("/login")
        fits, scroll, inner = no_horizontal_overflow(page)
        assert fits, f"login page is {scroll}px wide in a {inner}px screen"

        log_in(page, "teacher")
        expect(page.locator("h1")).to_contain_text("Xin chào")
        fits, scroll, inner = no_horizontal_overflow(page)
        assert fits, f"teacher home is {scroll}px wide in a {inner}px screen"
        screenshot(page, "teacher-mobile")

        logout = page.locator("nav").get_by_role("button", name="Đăng xuất")
        expect(logout).to_be_hidden()  # the menu is collapsed on a phone
        expect(page.get_by_role("button", name="Mở menu")).to_be_visible()
        open_menu(page)
        expect(logout).to_be_visible()
        log_out(page)

        # The widest page a teacher sees: the class list (its table scrolls inside its box).
        log_in(page, "homeroom")
        page.get_by_role("link", name=f"Lớp {HOMEROOM_CLASS}").click()
        expect(page.locator("tbody tr").first).to_be_visible()
        fits, scroll, inner = no_horizontal_overflow(page)
        assert fits, f"class list is {scroll}px wide in a {inner}px screen"
    finally:
        context.close()


def test_no_console_errors_or_csp_violations(page, errors):
    """The role journeys check every home page; here the login page and the admin's other pages,
    and that the detector does catch a violation."""
    page.goto("/login")
    errors.collect_csp(page)
    log_in(page, "admin")
    for path in ("/home/admin", "/roster/classes", "/roster/students", "/admin/users", "/admin/years"):
        response = page.goto(path)
        assert response.status == 200, path
        errors.collect_csp(page)
    page.locator("#mainnav").get_by_role("button", name="Thiết lập").click()
    expect(page.get_by_role("link", name="Tài khoản, cán bộ")).to_be_visible()
    errors.collect_csp(page)
    assert errors.messages == []

    # The detector itself works: an inline script is refused and reported.
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__inlineRan = true"; document.body.append(s); }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__inlineRan === undefined")
    assert any("script-src" in v for v in errors.collect_csp(page))
