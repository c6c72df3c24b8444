"""Deadline day: many teachers writing their mentee's note of the month at once, against gunicorn.

Each virtual teacher owns one mentee whose note of the current month is not written yet, and the
account of that mentee's main mentor (distinct accounts as far as the data has them; at school
size several virtual teachers share a mentor account, each with a different mentee). All log in
through the login form before the clock starts. Then, with a random think time between actions:

    home → the note form → save a draft → submit the note → the timeline → home,
    then browse (timeline, the note, home) until the clock ends.

Every request's latency and status is recorded. Errors: 5xx, connection errors and unexpected
answers (a saved form that does not redirect back to the note, a page that is the login form, ...);
conflicts (409, or the "changed by someone else" message) apart. A note counts as accepted when
its submission redirected back and the page said it was sent; at the end the database is asked
whether each accepted note is stored as submitted with the text that was sent (lost = accepted −
stored).
"""

import http.client
import random
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

from .common import percentile
from .load import Client, Response, find_form, login
from .server import Gunicorn

SENT_MARKER = "Đã gửi nhận xét tháng"  # the flash after a submission
CONFLICT_MARKER = "vừa được người khác sửa"  # the form re-shown after a concurrent change


@dataclass
class Options:
    teachers: int = 200
    seconds: float = 60.0
    # A teacher on a phone reads a page or types the note for 5–15 s between actions: 200 of them ask
    # for about 20 actions/s, several times the busiest hour a district expects (about 12,000 notes
    # a month, most written in the last days before the 25th). --think 1 4 is the stress run.
    think_min: float = 5.0
    think_max: float = 15.0
    seed: int = 1


@dataclass
class Recorder:
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    conflicts: int = 0
    samples: list[str] = field(default_factory=list)
    accepted: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_done: float = 0.0

    def add(self, kind: str, seconds: float | None, status: int | str, outcome: str, detail: str = "") -> None:
        """One request (or, with seconds None, a problem found in a page, not a request)."""
        with self.lock:
            if seconds is not None:
                self.latencies.append(seconds)
                self.by_kind[kind].append(seconds)
                self.statuses[str(status)] += 1
            self.last_done = max(self.last_done, time.perf_counter())
            if outcome == "conflict":
                self.conflicts += 1
            elif outcome == "error":
                self.errors += 1
                if len(self.samples) < 8:
                    self.samples.append(f"{kind}: {status} {detail}".strip())


class VirtualTeacher:
    def __init__(self, client: Client, student_id: int, month: str, today: date, tag: str, rng: random.Random,
                 options: Options, recorder: Recorder):
        self.client, self.student_id, self.month, self.today = client, student_id, month, today
        self.tag, self.rng, self.options, self.recorder = tag, rng, options, recorder
        self.note_path = f"/progress/students/{student_id}/notes/{month}"
        self.timeline_path = f"/progress/students/{student_id}/notes"
        self.end = 0.0
        rating = rng.choice(("progress", "steady", "decline"))
        self.wellbeing = (f"[{tag}] Em đi học đều hơn tháng trước, sức khoẻ ổn; gia đình hợp tác "
                          f"(HS {student_id}, {rating}).")
        self.content = {
            "absences": str(rng.randint(0, 4)),
            "learning_trend": rng.choice(("better", "same", "worse")),
            "conduct_trend": rng.choice(("better", "same", "worse")),
            "rating": rating,
            "concerns": "Cần theo dõi thêm việc đi học buổi chiều.",
            "next_steps": "Gặp gia đình đầu tháng sau; kèm thêm môn Toán.",
            "contacts-0-contact_on": today.strftime("%d/%m/%Y"),
            "contacts-0-with_whom": "family",
            "contacts-0-method": "phone",
            "contacts-0-summary": "Gọi điện trao đổi với phụ huynh về việc học.",
        }

    # --- one request -----------------------------------------------------------------------

    def _request(self, kind: str, method: str, path: str, fields=None) -> Response | None:
        start = time.perf_counter()
        try:
            response = self.client.post(path, fields) if method == "POST" else self.client.get(path)
        except (OSError, http.client.HTTPException) as err:
            self.recorder.add(kind, time.perf_counter() - start, type(err).__name__, "error", str(err)[:80])
            return None
        return response

    def _page(self, kind: str, path: str) -> Response | None:
        response = self._request(kind, "GET", path)
        if response is None:
            return None
        if response.status == 409:
            outcome = "conflict"
        else:
            outcome = "ok" if response.is_page() else "error"
        self.recorder.add(kind, response.seconds, response.status, outcome, response.location)
        return response if outcome == "ok" else None

    def _save(self, kind: str, page: Response, action: str, fields: dict) -> Response | None:
        """Post the note form read from `page` with `fields`; follow the redirect back to the note."""
        form = find_form(page.text, self.note_path)
        if form is None:
            self.recorder.add(kind, None, "no form", "error", "the note page has no form to write in")
            return None
        response = self._request(kind, "POST", self.note_path, form.values(**fields, action=action))
        if response is None:
            return None
        if response.status == 302 and response.location == self.note_path:
            self.recorder.add(kind, response.seconds, 302, "ok")
            return self._page("note (after save)", self.note_path)
        conflict = response.status == 409 or (response.status == 200 and CONFLICT_MARKER in response.text)
        detail = response.location or _alert(response.text)
        self.recorder.add(kind, response.seconds, response.status, "conflict" if conflict else "error", detail)
        return None

    # --- the day ---------------------------------------------------------------------------

    def _think(self) -> bool:
        """Wait a human moment; False when the clock ends meanwhile."""
        pause = self.rng.uniform(self.options.think_min, self.options.think_max)
        left = self.end - time.perf_counter()
        time.sleep(max(0.0, min(pause, left)))
        return time.perf_counter() < self.end

    def run(self, start: float) -> None:
        self.end = start + self.options.seconds
        time.sleep(max(0.0, start - time.perf_counter()) + self.rng.uniform(0, self.options.think_max))
        try:
            self._write_note()
            while self._think():
                self._page("browse", self.rng.choice((self.timeline_path, self.note_path, "/home/teacher")))
        finally:
            self.client.close()

    def _write_note(self) -> None:
        if time.perf_counter() >= self.end or not self._page("home", "/home/teacher") or not self._think():
            return
        page = self._page("note form", self.note_path)
        if page is None or not self._think():
            return
        page = self._save("save draft", page, "save",
                          {"absences": self.content["absences"], "wellbeing": f"[{self.tag}] (nháp)"})
        if page is None or not self._think():
            return
        page = self._save("submit", page, "submit", {**self.content, "wellbeing": self.wellbeing})
        if page is not None and SENT_MARKER in page.text:
            with self.recorder.lock:
                self.recorder.accepted.append({"student_id": self.student_id, "month": self.month,
                                               "wellbeing": self.wellbeing})
        if page is None or not self._think():
            return
        if self._page("timeline", self.timeline_path) is None or not self._think():
            return
        self._page("home", "/home/teacher")


def _alert(html: str) -> str:
    """The first alert of a page (the form's error), shortened."""
    at = html.find('role="alert"')
    if at < 0:
        return ""
    text = html[html.find(">", at) + 1:]
    return " ".join(text[:text.find("</div>")].replace("<div>", " ").split())[:120]


def run_deadline(server: Gunicorn, picks: dict, password: str, options: Options, tag: str, log=print) -> dict:
    """Log the virtual teachers in, run the day, and return its figures (accepted notes included)."""
    chosen = picks["deadline"]["teachers"][:options.teachers]
    today = date.fromisoformat(picks["deadline"]["today"])
    month = picks["deadline"]["month"]
    recorder = Recorder()
    by_account: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(chosen):
        by_account[item["username"]].append(i)
    clients: dict[int, Client] = {}
    failures = []

    def log_in(username: str) -> None:
        # One account's sessions one after the other: each login updates the account's row.
        for i in by_account[username]:
            client = server.client()
            try:
                login(client, username, password)
            except Exception as err:  # noqa: BLE001 — reported, the teacher sits the day out
                failures.append(f"{username}: {err}")
                continue
            finally:
                client.close()
            clients[i] = client

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(log_in, by_account))
    log(f"    {len(clients)} virtual teachers logged in as {len(by_account)} accounts "
        f"({time.perf_counter() - started:.1f} s){'; login failures: ' + str(len(failures)) if failures else ''}")

    teachers = [VirtualTeacher(clients[i], chosen[i]["student_id"], month, today, tag,
                               random.Random(options.seed * 100003 + i), options, recorder)
                for i in sorted(clients)]
    start = time.perf_counter() + 0.5
    threads = [threading.Thread(target=t.run, args=(start,), daemon=True) for t in teachers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = max(recorder.last_done, start + options.seconds) - start
    requests = len(recorder.latencies)
    return {
        "virtual_teachers": len(teachers), "accounts": len(by_account), "mentees_available": picks["deadline"]["available"],
        "login_failures": failures[:5], "seconds": round(elapsed, 1), "think_s": [options.think_min, options.think_max],
        # What the teachers ask for while answers are quick: one action per mean think time each.
        "offered_actions_per_s": round(len(teachers) / ((options.think_min + options.think_max) / 2), 1),
        "requests": requests, "rps": round(requests / elapsed, 1) if elapsed else 0.0,
        "p50_ms": _ms(percentile(recorder.latencies, 50)), "p95_ms": _ms(percentile(recorder.latencies, 95)),
        "max_ms": _ms(max(recorder.latencies, default=None)),
        "p95_ms_by_kind": {kind: _ms(percentile(values, 95)) for kind, values in sorted(recorder.by_kind.items())},
        "requests_by_kind": {kind: len(values) for kind, values in sorted(recorder.by_kind.items())},
        "statuses": dict(recorder.statuses), "errors": recorder.errors, "conflicts": recorder.conflicts,
        "error_samples": recorder.samples, "notes_submitted": len(recorder.accepted),
        "accepted": recorder.accepted,
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)
