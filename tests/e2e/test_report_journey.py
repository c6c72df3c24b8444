"""The twice-yearly report in a real browser: the leader opens report 1 (submitted by the demo),
reopens it with a reason, edits the narrative, locks and sends it again, and downloads the workbook."""

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from .conftest import choose_year, log_in, log_out, make_context, screenshot

pytestmark = pytest.mark.e2e


def test_leader_prepares_edits_locks_and_downloads_report_1(browser, live_server, errors):
    context = make_context(browser, live_server)
    page = context.new_page()
    errors.watch(page)

    log_in(page, "leader")
    card = page.locator("#semester-reports-card")
    expect(card).to_contain_text("Báo cáo lần 1 (học kỳ I)")
    expect(card).to_contain_text("Đang soạn")  # report 2 of the demo
    page.locator("#mainnav").get_by_role("link", name="Báo cáo", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Báo cáo kết quả cuộc vận động")
    page.locator("#report-card-1").get_by_role("link", name="Mở báo cáo").click()
    expect(page.locator("h1")).to_contain_text("Báo cáo lần 1")
    expect(page.locator("#report-state")).to_have_text("Đã gửi")
    expect(page.locator("#doc-bao-cao")).to_contain_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    expect(page.locator("#doc-phu-luc-hoc-sinh thead")).to_contain_text("GV nhận đỡ đầu")
    screenshot(page, "report-1-submitted")

    page.locator("summary", has_text="Mở khoá báo cáo").click()
    page.get_by_label("Lý do mở khoá").fill("Bổ sung khó khăn theo ý kiến của Sở")
    page.get_by_role("button", name="Mở khoá để sửa").click()
    expect(page.get_by_text("Đã mở khoá báo cáo")).to_be_visible()
    expect(page.locator("#report-state")).to_have_text("Đang soạn")

    page.get_by_label("Số văn bản (Số: …/BC-…)").fill("19/BC-THPTHB")
    page.get_by_label("Khó khăn, hạn chế").fill("Ba em ở buôn xa, mùa mưa đường trơn khó đến trường.")
    page.get_by_label("Đề xuất, kiến nghị").fill("Đề nghị hỗ trợ xe đạp cho học sinh ở xa.")
    screenshot(page, "report-1-editing")
    page.get_by_role("button", name="Lưu bản nháp").click()
    expect(page.get_by_text("Đã lưu bản nháp báo cáo.")).to_be_visible()
    expect(page.locator("#doc-bao-cao")).to_contain_text("mùa mưa đường trơn")

    page.get_by_role("button", name="Khoá và gửi báo cáo").click()
    expect(page.get_by_text("Đã khoá và gửi báo cáo.")).to_be_visible()
    expect(page.locator("#report-state")).to_have_text("Đã gửi")
    expect(page.get_by_role("button", name="Lưu bản nháp")).to_have_count(0)
    screenshot(page, "report-1-locked")

    with page.expect_download() as info:
        page.locator("#report-xlsx").click()
    download = info.value
    assert re.fullmatch(r"bao-cao-lan-1-\d{4}-\d{4}\.xlsx", download.suggested_filename)
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    assert book.sheetnames[:3] == ["Bao cao", "Phu luc hoc sinh", "Thay doi"] and book.sheetnames[-1] == "Khen thuong"
    cells = [c for row in book["Bao cao"].iter_rows(values_only=True) for c in row if c]
    assert "Số: 19/BC-THPTHB" in cells
    assert "Ba em ở buôn xa, mùa mưa đường trơn khó đến trường." in cells

    page.get_by_role("link", name="Bản in").click()
    expect(page.locator("#doc-bao-cao")).to_contain_text("mùa mưa đường trơn")
    screenshot(page, "report-1-print")
    assert errors.collect_csp(page) == []
    log_out(page)
    context.close()
    assert errors.messages == []


def test_leader_decides_an_open_case_of_last_year(browser, live_server, errors):
    context = make_context(browser, live_server)
    page = context.new_page()
    errors.watch(page)
    log_in(page, "leader")
    last_year = page.locator("#year_id option").nth(1)  # newest first: the last complete year
    name = last_year.inner_text().replace("Năm học", "").strip()
    choose_year(page, last_year.get_attribute("value"))  # waits for the page the switcher loads
    page.locator("#mainnav").get_by_role("link", name="Báo cáo", exact=True).click()
    expect(page.locator("h1")).to_contain_text(name)
    page.get_by_role("link", name="Chuyển sang năm học mới").click()
    expect(page.locator("h1")).to_contain_text(f"Chuyển các trường hợp đỡ đầu từ năm học {name}")
    row = page.locator(".case-row").first
    student = row.locator(".fw-semibold").first.inner_text().strip()
    row.get_by_label("Quyết định").select_option("handover")
    row.get_by_role("button", name="Ghi quyết định").click()  # a handover without a note: refused
    expect(page.get_by_text("Bàn giao cần có ghi chú bàn giao cho GV mới.")).to_be_visible()
    row = page.locator(".case-row", has_text=student)
    row.get_by_label("Quyết định").select_option("close")
    row.get_by_label("Lý do kết thúc").select_option("not_at_risk")
    row.get_by_label("Ghi chú bàn giao / lý do").fill("Em đã ổn định, gia đình đã có việc làm")
    screenshot(page, "rollover-case")
    row.get_by_role("button", name="Ghi quyết định").click()
    expect(page.get_by_text(f"Đã ghi quyết định cho {student}.")).to_be_visible()
    expect(page.locator(".decided-row", has_text=student)).to_contain_text("Không còn nguy cơ")
    page.get_by_role("link", name="Tổng kết năm học").click()
    expect(page.locator(".review-row", has_text=student)).to_contain_text("Kết thúc đỡ đầu: Không còn nguy cơ")
    screenshot(page, "year-end-review")
    assert errors.collect_csp(page) == []
    log_out(page)
    context.close()
    assert errors.messages == []
