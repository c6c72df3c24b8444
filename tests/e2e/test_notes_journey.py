"""Monthly notes on a phone-sized screen: the mentor writes and submits this month's note, the
department head asks for more, the mentor amends; charts draw under the strict CSP."""

import re

import pytest
from playwright.sync_api import expect

from sponsor_app.timeutil import format_date

from .conftest import log_in, log_out, make_context, open_menu, screenshot
from .test_journeys import no_horizontal_overflow

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}


def test_mentor_submits_head_asks_for_more_mentor_amends(browser, live_server, errors):
    if live_server.note_mentor is None:
        pytest.skip("the current school year has no mentees yet (its first weeks): nothing to write a note for")
    context = make_context(browser, live_server, **PHONE)
    page = context.new_page()
    errors.watch(page)
    student = live_server.note_student_name
    month = live_server.today.strftime("%m/%Y")

    log_in(page, live_server.note_mentor)
    row = page.locator(".mentee-row", has_text=student)
    expect(row).to_be_visible()
    assert no_horizontal_overflow(page)[0]
    screenshot(page, "notes-phone-home")
    row.get_by_role("link", name=f"Nhận xét tháng {month}").click()
    expect(page.locator("h1")).to_contain_text(f"Nhận xét tháng {month}")
    expect(page.locator("h1")).to_contain_text(student)

    first = page.locator(".contact-row").first
    first.get_by_label("Ngày").fill(format_date(live_server.today))
    first.get_by_label("Với").select_option("family")
    first.get_by_label("Hình thức").select_option("phone")
    first.get_by_label("Nội dung chính").fill("Gọi điện cho mẹ em, nhắc em đi học đều")
    page.get_by_label("Số buổi nghỉ trong tháng").fill("1")
    page.get_by_label("Học tập so với tháng trước").select_option("better")
    page.get_by_label("Đánh giá chung của tháng").select_option("progress")
    page.get_by_label("Việc sẽ làm tháng tới").fill("Kèm em môn Toán thứ Bảy")
    assert no_horizontal_overflow(page)[0]
    screenshot(page, "notes-phone-form")
    page.get_by_role("button", name="Gửi nhận xét").click()
    expect(page.get_by_text(re.compile(rf"Đã gửi nhận xét tháng {re.escape(month)}"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Chờ tổ trưởng xem")
    errors.collect_csp(page)
    log_out(page)

    log_in(page, "depthead")
    open_menu(page)
    page.locator("#mainnav").get_by_role("link", name="Xem nhận xét").click()
    expect(page.locator("h1")).to_contain_text("Nhận xét hằng tháng chờ tổ trưởng xem")
    queue_row = page.locator("li.list-group-item", has_text=f"tháng {month}").filter(has_text=student)
    queue_row.get_by_role("link", name=student).click()
    expect(page.locator("main")).to_contain_text("Gọi điện cho mẹ em")
    review = page.locator("#review")
    review.get_by_label("Ý kiến tổ trưởng").select_option("needs_more")
    review.get_by_label("Nhận xét cho GV").fill("Ghi rõ kết quả học bù và số buổi nghỉ có phép")
    screenshot(page, "notes-phone-review")
    review.get_by_role("button", name="Ghi ý kiến").click()
    expect(page.get_by_text("Đã ghi ý kiến của tổ trưởng.")).to_be_visible()
    errors.collect_csp(page)
    log_out(page)

    log_in(page, live_server.note_mentor)
    page.locator(".mentee-row", has_text=student).get_by_role("link", name=f"Nhận xét tháng {month}").click()
    expect(page.get_by_role("alert").filter(has_text="Ghi rõ kết quả học bù")).to_be_visible()
    page.get_by_label("Việc sẽ làm tháng tới").fill("Kèm em môn Toán thứ Bảy; đã học bù 2 buổi")
    reason = page.get_by_label("Lý do sửa, bổ sung")
    reason.fill("Bổ sung theo ý kiến tổ trưởng")
    page.locator("button[name=action][value=save]").click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()
    history = page.locator("#history")
    expect(history).to_contain_text("đã học bù 2 buổi")
    expect(history).to_contain_text("Cần bổ sung")
    expect(page.locator("main")).to_contain_text("Chờ tổ trưởng xem")  # back in the queue
    screenshot(page, "notes-phone-amended")

    page.goto(f"/progress/students/{live_server.note_student_id}/notes")
    expect(page.locator("canvas.js-progress-chart[data-drawn='1']")).to_have_count(1)
    screenshot(page, "notes-phone-timeline")
    assert errors.collect_csp(page) == []
    log_out(page)
    context.close()
    assert errors.messages == []
