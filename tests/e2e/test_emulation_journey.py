"""Emulation scoring in the browser: the union scores a month and publishes it, a teacher on it
contests their score, the union answers, the leader approves and locks the semester.

The demo leaves the previous school year's last month as a draft sheet and its semester II
published but not locked (sponsor_app/emulation/demo.py), whatever today is.
"""

import pytest
from playwright.sync_api import expect

from .conftest import choose_year, log_in, log_out, make_context, screenshot

pytestmark = pytest.mark.e2e


def _log_in(page, username, year_id):
    log_in(page, username)
    choose_year(page, year_id)


def test_union_scores_teacher_contests_union_answers_leader_locks(browser, live_server, errors):
    month, mentor, year_id = live_server.emulation_month, live_server.emulation_mentor, live_server.emulation_year_id
    assert month and mentor and year_id, "the demo leaves a draft month for this journey"
    name = live_server.names.get(mentor)
    context = make_context(browser, live_server)
    page = context.new_page()
    errors.watch(page)
    y, m = month.split("-")

    # the union scores the month and publishes it
    _log_in(page, "union", year_id)
    page.locator("nav").get_by_role("link", name="Thi đua").click()
    page.get_by_role("link", name=f"Tháng {int(m)}/{y}").click()
    expect(page.locator("#sheet-status")).to_have_text("Đang chấm")
    row = page.locator("#sheet-table tr", has_text=name) if name else page.locator("#sheet-table tbody tr").first
    name = name or row.locator("td").nth(1).inner_text()
    cell = row.locator("input[name^='p-']").first
    cell.fill("12")  # above the criterion's 10 points: refused, kept
    page.get_by_role("button", name="Lưu điểm").click()
    expect(page.locator(".alert-danger")).to_contain_text("ô điểm không hợp lệ")
    row = page.locator("#sheet-table tr", has_text=name)
    expect(row.locator("input[name^='p-']").first).to_have_value("12")
    row.locator("input[name^='p-']").first.fill("7,5")
    row.locator("input[name^='c-']").first.fill("Cần liên hệ gia đình thường xuyên hơn")
    page.get_by_role("button", name="Lưu điểm").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã lưu 1 ô điểm")
    page.get_by_role("button", name="Công bố cho cán bộ, giáo viên").click()
    expect(page.locator("#sheet-status")).to_have_text("Đã công bố")
    screenshot(page, "emulation-month-sheet")
    log_out(page)

    # the teacher reads the breakdown and contests it
    _log_in(page, mentor, year_id)
    page.locator("nav").get_by_role("link", name="Điểm của tôi").click()
    page.locator("#my-sheets a", has_text=f"Tháng {int(m)}/{y}").click()
    expect(page.locator("#my-criteria")).to_contain_text("Nộp nhận xét hằng tháng đúng hạn")
    expect(page.locator("#my-criteria")).to_contain_text("Cần liên hệ gia đình thường xuyên hơn")
    expect(page.locator("#breakdown")).to_contain_text("7,5/10")
    page.locator("#contest-form textarea[name='reason']").fill("Em đã thăm gia đình ngày 12, xin BCH xem lại.")
    page.get_by_role("button", name="Gửi khiếu nại").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã gửi khiếu nại")
    expect(page.locator("#my-contests")).to_contain_text("Chờ trả lời")
    screenshot(page, "emulation-my-score")
    log_out(page)

    # the union answers
    _log_in(page, "union", year_id)
    page.goto("/emulation/contests")
    card = page.locator(".card", has_text="Em đã thăm gia đình ngày 12")
    card.locator("select[name='decision']").select_option("upheld")
    card.locator("textarea[name='answer']").fill("Đã kiểm tra biên bản thăm gia đình; nâng điểm tiêu chí lên 9.")
    card.get_by_role("button", name="Trả lời").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã trả lời khiếu nại")
    page.goto(f"/emulation/sheet/{month}")
    row = page.locator("#sheet-table tr", has_text=name)
    row.locator("input[name^='p-']").first.fill("9")
    page.get_by_role("button", name="Lưu điểm").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã lưu 1 ô điểm")
    log_out(page)

    # the leader approves and locks semester II
    _log_in(page, "leader", year_id)
    page.goto("/emulation/sheet/s2")
    expect(page.locator("#sheet-status")).to_have_text("Đã công bố")
    page.get_by_label("Tôi đã xem kết quả và duyệt danh sách đề nghị khen thưởng đã chọn").check()
    page.get_by_role("button", name="Duyệt và khóa kết quả").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã duyệt và khóa kết quả")
    expect(page.locator("#sheet-status")).to_have_text("Đã duyệt, khóa")
    screenshot(page, "emulation-semester-locked")
    with page.expect_download() as download:
        page.get_by_role("link", name="Xuất Excel").click()
    assert download.value.suggested_filename.endswith("-s2.xlsx")
    log_out(page)

    # the teacher sees the answer, and the month is now part of a locked result
    _log_in(page, mentor, year_id)
    page.goto(f"/emulation/me?key={month}")
    expect(page.locator("#my-contests")).to_contain_text("Chấp nhận")
    expect(page.locator("#breakdown")).to_contain_text("9/10")
    expect(page.locator("#contest-form")).to_have_count(0)
    assert errors.messages == []  # no console error, no CSP violation
    context.close()
