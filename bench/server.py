"""The app under gunicorn on loopback, in production configuration, for the HTTP measurements."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .common import PROJECT_ROOT, production_env
from .load import Client


@dataclass(frozen=True)
class Workers:
    count: int
    worker_class: str = "sync"
    threads: int = 1

    @classmethod
    def for_machine(cls, cores: int | None = None) -> "Workers":
        """One sync worker per core plus one: the load generator and PostgreSQL run on the same
        cores, and pages are CPU-bound Python (threads would only share one core's GIL)."""
        cores = cores or os.cpu_count() or 1
        return cls(count=cores + 1)

    def describe(self) -> str:
        threads = f" × {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"{self.count} {self.worker_class} workers{threads}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerFailed(RuntimeError):
    pass


class Gunicorn:
    """`with Gunicorn(url, workers, log) as server:` — serving on server.port until the block ends.
    `env`: extra environment variables for the server process (e.g. PAGE_CACHE_MAX_CHARS="0")."""

    host = "127.0.0.1"

    def __init__(self, url: str, workers: Workers, log: Path, *, timeout: float = 90.0,
                 env: dict | None = None):
        self.url, self.workers, self.log, self.timeout = url, workers, log, timeout
        self.env = {key: str(value) for key, value in (env or {}).items()}
        self.port = 0
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self.port = free_port()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"{self.host}:{self.port}",
                   "--workers", str(self.workers.count), "--worker-class", self.workers.worker_class,
                   "--threads", str(self.workers.threads), "--timeout", "120", "--graceful-timeout", "10",
                   "--backlog", "2048", "--error-logfile", "-", "--log-level", "warning"]
        env = production_env(self.url)
        env.pop("WEB_CONCURRENCY", None)
        env.pop("GUNICORN_CMD_ARGS", None)
        env.update(self.env)
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self) -> Client:
        return Client(self.host, self.port)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.timeout
        client = self.client()
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerFailed(f"gunicorn exited with {self._process.returncode}; see {self.log}")
            try:
                if client.get("/healthz").status == 200:
                    client.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise ServerFailed(f"/healthz did not answer within {self.timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        """Stop gunicorn (the master ends its workers); only the process group this object started."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

