"""What the benchmark's modules share: paths, the production settings the app runs with, the way
the orchestrator (bench/run.py) calls a measurement in a fresh process and reads its figures back,
and small statistics.

The orchestrator never imports the app: every measurement that needs it runs as
`python -m bench.<module> ...` in its own process (so one measurement's memory or caches never
pollute another's) and prints its figures as one JSON line after RESULT_PREFIX.
"""

import json
import math
import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "bench"
DATA_DIR = BENCH_DIR / ".data"  # generated databases, files and logs (git-ignored)
RESULT_PREFIX = "BENCH-RESULT "

# A new key per run (measurement processes and gunicorn get it through the environment); none is kept.
SECRET_KEY = os.environ.get("BENCH_SECRET_KEY") or secrets.token_hex(32)
# The run logs in a few hundred times from one address; only failed logins count, but attempts are
# reserved while they run, so concurrent logins of one account must never meet the limit.
LOGIN_RATE_LIMIT = "1000000 per minute"


def production_env(url: str) -> dict[str, str]:
    """The environment the app runs with under gunicorn and in measurement processes: production
    settings, plain HTTP on loopback (no Secure cookies), login throttling that never bites."""
    env = dict(os.environ)
    env.update({
        "SPONSOR_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "BENCH_SECRET_KEY": SECRET_KEY,
        "SESSION_COOKIE_SECURE": "0",
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": LOGIN_RATE_LIMIT,
        "SPONSOR_INSTANCE_PATH": str(DATA_DIR / "instance"),
        "PYTHONHASHSEED": "0",
    })
    env.pop("FLASK_DEBUG", None)
    return env


def make_app(url: str):
    """The app in production configuration on `url` (for measurements run in-process)."""
    import gc

    from sponsor_app import create_app

    (DATA_DIR / "instance").mkdir(parents=True, exist_ok=True)
    app = create_app("production", overrides={
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://", "LOGIN_RATE_LIMIT": LOGIN_RATE_LIMIT,
    })
    gc.freeze()  # as wsgi.py does after creating the app (the command line and gunicorn start there)
    return app


def emit(result: dict) -> None:
    """Print a measurement's figures for the orchestrator (the last line of the process's output)."""
    sys.stdout.flush()
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


class MeasurementFailed(RuntimeError):
    pass


def call(module: str, *args: str, url: str | None = None, timeout: float | None = None,
         show_progress: bool = False) -> dict:
    """Run `python -m bench.<module> args...` in a fresh process and return the figures it emitted
    (with `show_progress`, what the process writes to stderr appears as it goes)."""
    env = production_env(url) if url else production_env("")
    if not url:
        env.pop("DATABASE_URL")
    command = [sys.executable, "-m", f"bench.{module}", *args]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=None if show_progress else subprocess.PIPE, text=True, timeout=timeout,
                          check=False)
    found = [line[len(RESULT_PREFIX):] for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not found:
        tail = "\n".join((done.stdout + "\n" + (done.stderr or "")).strip().splitlines()[-25:])
        raise MeasurementFailed(f"{' '.join(command[2:])} failed (exit {done.returncode}):\n{tail}")
    return json.loads(found[-1])


def percentile(values: list[float], pct: float) -> float | None:
    """The nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def max_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports kilobytes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """This process's resident memory now, in MB (from /proc; the peak where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return max_rss_mb()
