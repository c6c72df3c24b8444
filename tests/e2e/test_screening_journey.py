"""The December survey in a real browser: the homeroom teacher screens two students of the
class, the leader approves one for sponsorship and marks the other not needed."""

import re

import pytest
from playwright.sync_api import expect

from sponsor_app.timeutil import format_date

from .conftest import log_in, log_out, make_context, screenshot

pytestmark = pytest.mark.e2e


def _screen_next_student(page, live_server, *, poor: bool, learning: str, absences: str, story: str) -> str:
    """From the class board, open the first student not yet screened, fill and save the form."""
    page.goto(f"/screening/classes/{live_server.homeroom_class_id}")
    row = page.locator("table tbody tr").filter(has=page.get_by_role("link", name="Rà soát", exact=True)).first
    name = row.locator("td").nth(1).inner_text().strip()
    row.get_by_role("link", name="Rà soát", exact=True).click()
    expect(page.locator("h1")).to_contain_text(name)
    if poor:
        page.get_by_label("Hộ nghèo", exact=True).check()
    page.get_by_label("Cha mẹ đi làm ăn xa").check()
    page.get_by_label("Học tập / học lực").select_option(learning)
    page.get_by_label("Số buổi nghỉ học từ đầu năm").fill(absences)
    page.get_by_label("Hoàn cảnh gia đình, bản thân").fill(story)
    page.get_by_label("Sự rèn luyện của bản thân").fill("Ngoan nhưng hay nghỉ học")
    page.get_by_role("button", name="Lưu phiếu").click()
    expect(page.get_by_text("Đã lưu phiếu rà soát")).to_be_visible()
    expect(page.get_by_text("Vì sao ở mức này")).to_be_visible()
    return name


def test_homeroom_screens_and_leader_decides(browser, live_server, errors):
    context = make_context(browser, live_server)
    page = context.new_page()
    errors.watch(page)

    log_in(page, "homeroom")
    first = _screen_next_student(page, live_server, poor=True, learning="Chưa đạt", absences="34",
                                 story="Bố mẹ đi làm xa, em ở với bà; nhà thuộc hộ nghèo")
    # high risk: absences near the limit (3) + weak learning (3) + poor (2) + parents away (1)
    expect(page.get_by_text("Nguy cơ cao")).to_be_visible()
    expect(page.locator("tfoot")).to_contain_text("9")
    page.get_by_label("Kênh thông tin").select_option("family")
    page.get_by_label("Hình thức").select_option("home_visit")
    page.get_by_label("Gặp / hỏi ai").fill("bà nội em")
    page.get_by_label("Ngày", exact=True).fill(format_date(live_server.today))
    page.get_by_role("button", name="Ghi thêm kênh thông tin").click()
    expect(page.get_by_text("bà nội em")).to_be_visible()
    page.get_by_role("button", name="Xác nhận đã xác minh").click()
    expect(page.get_by_text("Đã xác minh phiếu rà soát")).to_be_visible()
    screenshot(page, "screening-homeroom-record")

    second = _screen_next_student(page, live_server, poor=False, learning="Đạt", absences="3",
                                  story="Bố mẹ đi làm ăn xa, em ở với chị gái")
    expect(page.get_by_text("Nguy cơ thấp")).to_be_visible()
    page.goto(f"/screening/classes/{live_server.homeroom_class_id}")
    expect(page.locator("tr", has_text=first)).to_contain_text("Đã xác minh")
    expect(page.locator("tr", has_text=second)).to_contain_text("Đề xuất")
    errors.collect_csp(page)
    log_out(page)

    log_in(page, "leader")
    page.locator("#mainnav").get_by_role("link", name="DS nguy cơ").click()
    page.get_by_label("Lớp", exact=True).select_option(str(live_server.homeroom_class_id))
    page.get_by_role("button", name="Lọc").click()
    page.get_by_role("link", name=first).click()
    page.get_by_label("Kết luận").select_option("approved")
    page.get_by_role("button", name="Ghi kết luận").click()
    expect(page.get_by_text("Đã ghi kết luận")).to_be_visible()
    expect(page.locator(".badge", has_text="Được duyệt đỡ đầu")).to_be_visible()

    page.go_back()
    page.goto(f"/screening/list?class_id={live_server.homeroom_class_id}")
    page.get_by_role("link", name=second).click()
    page.get_by_label("Kết luận").select_option("not_needed")
    page.get_by_role("button", name="Ghi kết luận").click()
    expect(page.get_by_text("Cần ghi lý do")).to_be_visible()  # the reason is required
    page.get_by_label("Kết luận").select_option("not_needed")
    page.get_by_label(re.compile("^Lý do")).fill("Gia đình đã ổn định, chị gái chăm sóc")
    page.get_by_role("button", name="Ghi kết luận").click()
    expect(page.locator(".badge", has_text="Không cần đỡ đầu")).to_be_visible()

    page.goto(f"/screening/list?class_id={live_server.homeroom_class_id}")
    expect(page.locator("tr", has_text=first)).to_contain_text("Được duyệt đỡ đầu")
    expect(page.locator("tr", has_text=second)).to_contain_text("Không cần đỡ đầu")
    screenshot(page, "screening-leader-list")
    errors.collect_csp(page)
    log_out(page)
    context.close()
    assert errors.messages == []
