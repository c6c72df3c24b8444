"""The school dashboard in a real browser: every chart is drawn under the strict CSP, with no
console error, for leadership and for the union (no escalation list). Screenshots:
test-artifacts/screenshots/dashboard-leader.png and dashboard-union.png."""

import pytest
from playwright.sync_api import expect

from .conftest import log_in, make_context, screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("username", ["leader", "union"])
def test_dashboard_charts_render(browser, live_server, errors, username):
    context = make_context(browser, live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors.watch(page)
    try:
        log_in(page, username)
        page.locator("nav").get_by_role("link", name="Tổng quan").click()
        expect(page.get_by_role("heading", name="Tổng quan cuộc vận động")).to_be_visible()
        canvases = page.locator("canvas.js-chart")
        expect(canvases).to_have_count(4)
        for i in range(4):
            expect(canvases.nth(i)).to_have_attribute("data-drawn", "1")
        if username == "leader":
            expect(page.locator("#table-escalations")).to_be_visible()
        else:
            expect(page.locator("#table-escalations")).to_have_count(0)
            detail_links = page.eval_on_selector_all(
                "a", "els => els.filter(a => /\\/escalations\\/\\d+/.test(a.getAttribute('href'))).length")
            assert detail_links == 0
        page.get_by_label("Học kỳ").select_option("1")
        page.wait_for_url("**/dashboard/?semester=1**")
        for i in range(4):
            expect(page.locator("canvas.js-chart").nth(i)).to_have_attribute("data-drawn", "1")
        assert errors.collect_csp(page) == []
        assert errors.messages == []
        screenshot(page, f"dashboard-{username}")
    finally:
        context.close()
