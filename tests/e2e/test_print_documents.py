"""Issue 20 in a real browser: the leader opens the official list, prints it (Chromium's own print
to PDF, print media) and downloads its PDF. What prints is the document alone: no navigation, no
language switcher, no buttons, no warnings; the downloaded PDF is the same document."""

import io

import pdfplumber
import pytest
from playwright.sync_api import expect

from .conftest import log_in, screenshot

pytestmark = pytest.mark.e2e

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TITLE = "PHÂN CÔNG NHIỆM VỤ HỖ TRỢ HỌC SINH CÓ HOÀN CẢNH KHÓ KHĂN"


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in doc.pages)


def test_the_official_list_prints_only_the_document_and_downloads_as_pdf(page):
    log_in(page, "leader")
    page.goto("/assignments/official-list")
    expect(page.locator(".doc-part")).to_contain_text(NATIONAL_NAME)
    screenshot(page, "official-list-print-view")

    page.emulate_media(media="print")
    printed = _text(page.pdf(format="A4", landscape=True, print_background=False))
    assert NATIONAL_NAME in printed and TITLE in printed
    for chrome in ("Tiếng Việt", "English", "Tải PDF", "Tải Excel", "In danh sách", "Lưu số kế hoạch",
                   "Đăng xuất", "Trang chủ"):
        assert chrome not in printed, chrome
    page.emulate_media(media="screen")

    # the server lays the PDF out (WeasyPrint) before the download starts: on a loaded machine that is
    # more than the default 10 s, so the wait for the download is longer, not a sleep
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("link", name="Tải PDF").click(no_wait_after=True)
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")
    text = _text(data)
    assert NATIONAL_NAME in text and TITLE in text and "HIỆU TRƯỞNG" in text
