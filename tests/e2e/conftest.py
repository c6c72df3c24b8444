"""Live server with the demo school, and Debian's Chromium driven by Playwright.

The app runs in a background thread (werkzeug) on a free port, on a SQLite file holding the
demo school as of today, with CSRF protection on, as in production. Playwright's own browser
download cannot work here or on offline servers: the journeys use /usr/bin/chromium
(`apt-get install chromium`). Without it the journeys are skipped, except in CI (CI=true),
where a missing browser fails the run.
"""

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
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
class LiveServer:
    url: str
    homeroom_class_id: int
    homeroom_class_size: int
    names: dict  # demo username → full name
    note_mentor: str | None = None  # a main mentor of the depthead's department with this month's note to write
    note_student_id: int | None = None
    note_student_name: str | None = None
    emulation_year_id: int | None = None  # the previous year: its last month is a draft sheet
    emulation_month: str | None = None  # "YYYY-MM"
    emulation_mentor: str | None = None  # a username on that month's sheet


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("e2e") / "e2e.sqlite"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "WTF_CSRF_ENABLED": True})
    with app.app_context():
        db.create_all()
        demo = build_demo_school(local_today())
        db.session.commit()
        own_class = db.session.scalar(select(ClassGroup).where(
            ClassGroup.school_year_id == demo.current.id, ClassGroup.name == HOMEROOM_CLASS))
        class_size = sum(1 for _, c in demo.enrolled[demo.current.id] if c.id == own_class.id)
        class_id = own_class.id
        names = {username: user.full_name for username, user in demo.accounts.items()}
        note_student = db.session.get(Student, demo.note_journey_student) if demo.note_journey_student else None
        note_journey = (demo.note_journey_mentor, note_student.id if note_student else None,
                        note_student.full_name if note_student else None,
                        demo.emulation_year_id, demo.emulation_month, demo.emulation_mentor)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", class_id, class_size, names, *note_journey)
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
