"""A small HTTP load generator on the standard library: a browser-like client (cookies, the login
form with its CSRF token, form fields read from the page) and a closed loop of a few threads.

Kept light on purpose: the machine that serves also generates the load, so the generator must not
take the cores the server needs. Threads spend their time waiting on sockets; one request per
thread is in flight at a time (closed loop), so the offered load is the concurrency, not a rate.
"""

import http.client
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from .common import percentile

LOGIN_MARKER = b'action="/login"'  # the login form: a request that lost its session lands there
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def location(self) -> str:
        """The redirect target as a path ('' when there is none)."""
        value = self.headers.get("location", "")
        parts = urlsplit(value)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def is_page(self) -> bool:
        """A 200 page that is not the login form (a lost session answers with the login page)."""
        return self.status == 200 and LOGIN_MARKER not in self.body


class Client:
    """One browser: a keep-alive connection and a cookie jar. Not thread-safe (one per thread)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self.retries = 0  # requests resent on a fresh connection after the server closed an idle one
        self._conn: http.client.HTTPConnection | None = None
        self._served = 0

    def copy(self) -> "Client":
        """Another browser with the same cookies (the same login)."""
        other = Client(self.host, self.port, self.timeout)
        other.cookies = dict(self.cookies)
        return other

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: list[tuple[str, str]] | dict) -> Response:
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Response:
        headers = {"Accept-Language": "vi", "User-Agent": "sponsor-bench", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        try:
            response = self._send(method, path, body, headers)
        except STALE:
            # The server closed a kept-alive connection between two requests (its keep-alive timeout):
            # a browser silently resends on a new connection; so do we, once, and count it.
            if self._served == 0:
                raise
            self.close()
            self.retries += 1
            response = self._send(method, path, body, headers)
        status, raw_headers, data = response
        for name, value in raw_headers:
            if name.lower() == "set-cookie":
                self._store_cookie(value)
        return Response(status, {k.lower(): v for k, v in raw_headers}, data, time.perf_counter() - start)

    def _send(self, method, path, body, headers):
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._served = 0
        try:
            self._conn.request(method, path, body=body, headers=headers)
            response = self._conn.getresponse()
            data = response.read()
        except Exception:
            self.close()
            raise
        self._served += 1
        if response.will_close:
            self.close()
        return response.status, response.getheaders(), data

    def _store_cookie(self, header: str) -> None:
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            expired = morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"])
            if expired or morsel.value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


# --- forms -------------------------------------------------------------------------------------

@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def values(self, **overrides) -> list[tuple[str, str]]:
        """The fields as the browser would send them, with some values replaced (or added)."""
        sent = [(k, overrides[k] if k in overrides else v) for k, v in self.fields]
        names = {k for k, _ in self.fields}
        return sent + [(k, v) for k, v in overrides.items() if k not in names]


class _FormParser(HTMLParser):
    """The forms of a page with the values a browser would submit (no submit buttons)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, options, selected
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None or "name" not in a or "disabled" in a:
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = (a["name"], [], [])
        elif tag == "textarea":
            self._textarea = (a["name"], [])

    def _option(self, a):
        self._select[1].append(a.get("value", ""))
        if "selected" in a:
            self._select[2].append(a.get("value", ""))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, options, selected = self._select
            chosen = selected[:1] or options[:1]
            if self._form is not None and chosen:
                self._form.fields.append((name, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            if self._form is not None:
                # As browsers do, one newline right after <textarea> is not part of the value.
                value = "".join(text)
                value = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
                self._form.fields.append((name, value))
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, action: str) -> Form | None:
    """The form posting to `action` (a path), if the page has one."""
    return next((f for f in parse_forms(html) if urlsplit(f.action).path == action), None)


class LoginFailed(RuntimeError):
    pass


def login(client: Client, username: str, password: str) -> None:
    """Log in through the real login form (its CSRF token included), as a person would.

    :raises LoginFailed: the login page or the login did not answer as expected.
    """
    page = client.get("/login")
    form = find_form(page.text, "/login") if page.status == 200 else None
    if form is None:
        raise LoginFailed(f"GET /login answered {page.status} without the login form")
    done = client.post("/login", form.values(username=username, password=password))
    if done.status != 302 or done.location.startswith("/login") or done.location.startswith("/account/password"):
        raise LoginFailed(f"login of {username} answered {done.status} (to {done.location or 'nowhere'})")


# --- the closed loop ---------------------------------------------------------------------------

@dataclass
class LoopResult:
    requests: int = 0  # completed in the measured window
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)  # a few error descriptions
    retries: int = 0
    body_bytes: tuple[int, int] | None = None  # smallest and largest page seen

    def summary(self) -> dict:
        ok = self.requests - self.errors
        return {"requests": self.requests, "errors": self.errors, "seconds": round(self.seconds, 2),
                "rps": round(ok / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": _ms(percentile(self.latencies, 50)), "p95_ms": _ms(percentile(self.latencies, 95)),
                "retries": self.retries, "body_bytes": list(self.body_bytes or ()), "error_samples": self.samples[:5]}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def closed_loop(client: Client, path: str, *, concurrency: int, duration: float, warmup: float,
                check=Response.is_page) -> LoopResult:
    """`concurrency` threads, each with a copy of `client`, request `path` back to back for
    `warmup` + `duration` seconds; only requests that start and end in the measured window count."""
    result = LoopResult()
    lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1)
    times = {}

    def worker():
        mine = client.copy()
        latencies, errors, samples, sizes = [], 0, [], []
        ready.wait()
        start, end = times["start"], times["end"]
        while True:
            began = time.perf_counter()
            if began >= end:
                break
            try:
                response = mine.get(path)
                good = check(response)
                problem = None if good else f"{response.status} {response.location or ''}".strip()
                size = len(response.body)
            except (OSError, http.client.HTTPException) as err:
                good, problem, size = False, f"{type(err).__name__}: {err}", 0
            finished = time.perf_counter()
            if began >= start and finished <= end:
                latencies.append(finished - began)
                sizes.append(size)
                if not good:
                    errors += 1
                    if len(samples) < 5:
                        samples.append(problem)
        mine.close()
        with lock:
            result.latencies.extend(latencies)
            result.requests += len(latencies)
            result.errors += errors
            result.samples.extend(samples)
            result.retries += mine.retries
            if sizes:
                low, high = result.body_bytes or (min(sizes), max(sizes))
                result.body_bytes = (min(low, *sizes), max(high, *sizes))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    times["start"] = time.perf_counter() + warmup
    times["end"] = times["start"] + duration
    ready.wait()
    for thread in threads:
        thread.join()
    result.seconds = duration
    return result
