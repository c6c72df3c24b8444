"""Live server with the demo school, and Debian's Chromium driven by Playwright.

Each journey gets its own server (werkzeug, in a background thread, on a free port) on its own copy
of a SQLite file holding the demo school as of today in Vietnam (built once per day), with CSRF
protection on, as in production. Journeys wait for states (a URL, an element, the page's scripts
attached: `scripts_ready`), never for time; `make journeys` repeats them to find a flaky one. Playwright's own browser
download cannot work here or on offline servers: the journeys use /usr/bin/chromium
(`apt-get install chromium`). Without it the journeys are skipped, except in CI (CI=true),
where a missing browser fails the run.
"""

import os
import re
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from sponsor_app import create_app
from sponsor_app.extensions import db
from sponsor_app.models import ClassGroup, Student
from sponsor_app.seed import HOMEROOM_CLASS, build_demo_school
from sponsor_app.timeutil import local_today

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Collects console errors, uncaught exceptions and CSP violations (the listener is added
# before any page script runs; Playwright's init scripts are not subject to the page's CSP).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@dataclass
class DemoFacts:
    """What the journeys need to know about the demo school they run against."""
    today: date  # the day the demo was built for (the journeys' "today", not the clock's)
    homeroom_class_id: int
    homeroom_class_size: int
    names: dict  # demo username → full name
    note_mentor: str | None = None  # a main mentor of the depthead's department with this month's note to write
    note_student_id: int | None = None
    note_student_name: str | None = None
    emulation_year_id: int | None = None  # the previous year: its last month is a draft sheet
    emulation_month: str | None = None  # "YYYY-MM"
    emulation_mentor: str | None = None  # a username on that month's sheet


@dataclass
class LiveServer(DemoFacts):
    url: str = ""


def _app(database: Path):
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "WTF_CSRF_ENABLED": True})


def _build_demo(database: Path, today: date) -> DemoFacts:
    app = _app(database)
    with app.app_context():
        db.create_all()
        demo = build_demo_school(today)
        db.session.commit()
        own_class = db.session.scalar(select(ClassGroup).where(
            ClassGroup.school_year_id == demo.current.id, ClassGroup.name == HOMEROOM_CLASS))
        note_student = db.session.get(Student, demo.note_journey_student) if demo.note_journey_student else None
        facts = DemoFacts(
            today, own_class.id, sum(1 for _, c in demo.enrolled[demo.current.id] if c.id == own_class.id),
            {username: user.full_name for username, user in demo.accounts.items()},
            demo.note_journey_mentor, note_student.id if note_student else None,
            note_student.full_name if note_student else None,
            demo.emulation_year_id, demo.emulation_month, demo.emulation_mentor)
        db.session.remove()
        db.engine.dispose()
    return facts


@pytest.fixture(scope="session")
def demo_school(tmp_path_factory):
    """The demo school built once per day in Vietnam (a suite that runs past midnight builds the new
    day's): a function returning (the SQLite file to copy, its facts)."""
    folder = tmp_path_factory.mktemp("e2e-demo")
    built: dict[date, tuple[Path, DemoFacts]] = {}

    def for_today() -> tuple[Path, DemoFacts]:
        today = local_today()
        if today not in built:
            database = folder / f"demo-{today.isoformat()}.sqlite"
            built[today] = database, _build_demo(database, today)
        return built[today]

    return for_today


@pytest.fixture
def live_server(demo_school, tmp_path):
    """A server of its own for each journey, on its own copy of the demo school: no journey sees
    what another wrote, whatever their order. The socket listens before the first request (the
    server is bound when made; requests wait in its backlog until the thread serves them)."""
    template, facts = demo_school()
    database = tmp_path / "e2e.sqlite"
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(database)) as copy:
        source.backup(copy)
    app = _app(database)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(**vars(facts), url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = (f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) "
                   "to run the browser journeys")
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    for stale in SCREENSHOTS.glob("FAILED-*.png"):  # from an earlier run
        stale.unlink()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class BrowserErrors:
    """What went wrong in the page: console errors, uncaught exceptions, CSP violations."""

    def __init__(self):
        self.messages: list[str] = []

    def watch(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.messages.append(f"page error: {exc}"))

    def _console(self, msg) -> None:
        url = msg.location.get("url") or ""
        if msg.type == "error":
            self.messages.append(f"console: {msg.text} ({url})")

    def collect_csp(self, page) -> list[str]:
        """CSP violations reported on the current document (also added to `messages`)."""
        found = page.evaluate("window.__cspViolations || []")
        self.messages.extend(f"CSP: {v}" for v in found)
        return found


def make_context(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  **options)
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_LISTENER)
    return context


@pytest.fixture
def errors():
    return BrowserErrors()


@pytest.fixture
def page(browser, live_server, errors, request):
    context = make_context(browser, live_server)
    page = context.new_page()
    errors.watch(page)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- what every journey does: wait for the state it needs, never for time ------------------------

PASSWORD = "demo"  # the demo school's password (config DEMO_PASSWORD)


def scripts_ready(page) -> None:
    """Wait until the current page's scripts have run: app.js, loaded after Bootstrap, marks
    <html data-scripts="ready"> last. A click before that (the phone menu, a dropdown, the year
    switcher's auto-submit) would do nothing on a loaded machine."""
    page.locator("html[data-scripts='ready']").wait_for(state="attached")


def log_in(page, username: str) -> None:
    """Through the real login form (with its CSRF token), up to the home page with its scripts."""
    page.goto("/login")
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(re.compile(r"/home/"))
    scripts_ready(page)


def open_menu(page) -> None:
    """On a phone the navbar is collapsed: open it, and wait for the end of Bootstrap's animation
    ("collapsing" → "collapse show"; a click during it can miss an item now lower in the menu)."""
    scripts_ready(page)
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        expect(page.locator("#mainnav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))


def log_out(page) -> None:
    open_menu(page)
    page.locator("nav").get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("Bạn đã đăng xuất.")).to_be_visible()


def choose_year(page, year_id) -> None:
    """The year switcher submits itself on change: choose the year and wait for the page it loads
    (the session keeps the year only once that response has arrived)."""
    scripts_ready(page)
    switcher = page.locator("select#year_id")
    if switcher.input_value() != str(year_id):  # the session may keep the year chosen earlier
        with page.expect_navigation():
            switcher.select_option(str(year_id))
        scripts_ready(page)
    expect(page.locator("select#year_id")).to_have_value(str(year_id))
