"""Assignment in a real browser: the leader gives a student a main and a supporting mentor from
the board; the main mentor finds the new mentee, with a notice, on their home page."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import log_in, log_out, make_context, screenshot

pytestmark = pytest.mark.e2e


def _option_value(form, name: str) -> str:
    """The value of the staff option "<name> (load/capacity)"."""
    option = form.locator("select[name=assign-mentor_id] option").filter(has_text=re.compile(rf"^{re.escape(name)} \("))
    return option.first.get_attribute("value")


def test_leader_assigns_and_the_mentor_sees_the_mentee(browser, live_server, errors):
    context = make_context(browser, live_server)
    page = context.new_page()
    errors.watch(page)
    teacher, depthead = live_server.names["teacher"], live_server.names["depthead"]

    log_in(page, "leader")
    page.locator("#mainnav").get_by_role("link", name="Phân công").click()
    expect(page.locator("h1")).to_contain_text("Phân công GV đỡ đầu")
    card = page.locator(".card", has=page.get_by_role("button", name="Giao làm GV chính")).first
    student = card.locator("a strong").first.inner_text().strip()
    card.locator("a", has_text=student).click()
    expect(page.locator("h1")).to_contain_text(student)
    screenshot(page, "assignment-student-before")

    form = page.locator("form", has=page.get_by_role("button", name="Lưu phân công", exact=True))
    form.get_by_label("Cán bộ, giáo viên").select_option(_option_value(form, teacher))
    form.get_by_label("Vai trò đỡ đầu").select_option("main")
    form.get_by_role("button", name="Lưu phân công", exact=True).click()
    expect(page.get_by_text(f"Đã phân công {teacher} đỡ đầu em {student}")).to_be_visible()

    form = page.locator("form", has=page.get_by_role("button", name="Lưu phân công", exact=True))
    form.get_by_label("Cán bộ, giáo viên").select_option(_option_value(form, depthead))
    form.get_by_label("Vai trò đỡ đầu").select_option("support")
    form.get_by_role("button", name="Lưu phân công", exact=True).click()
    current = page.locator(".card", has_text="Đang đỡ đầu")
    expect(current).to_contain_text(f"{teacher} — GV đỡ đầu chính")
    expect(current).to_contain_text(f"{depthead} — hỗ trợ")
    screenshot(page, "assignment-student-after")
    errors.collect_csp(page)
    log_out(page)

    log_in(page, "teacher")
    notice = page.get_by_role("status").filter(has_text=f"Bạn được phân công đỡ đầu em {student}")
    expect(notice).to_be_visible()
    screenshot(page, "assignment-mentor-notice")
    notice.get_by_role("button", name="Đã biết").click()
    expect(page.get_by_role("status").filter(has_text=student)).to_have_count(0)
    mentees = page.locator(".card", has_text="Học sinh tôi đỡ đầu")
    mentees.get_by_role("link", name=student).click()
    expect(page.locator("h1")).to_contain_text(student)  # the mentor may open the record
    errors.collect_csp(page)
    log_out(page)
    context.close()
    assert errors.messages == []
