"""Repeat the browser journeys to find a flaky one before CI does (`make journeys N=10 LOAD=2`).

Each run is a fresh pytest process, as in CI: a new demo school built for today and a new live server.
With ``--load K``, K CPU-bound processes run beside the journeys (the machine as loaded as CI can be).
At the end, one line per journey: runs, failures, slowest and median time; then each failure's first
lines. Failure screenshots of run i are kept in test-artifacts/journeys/run-i/. The exit status is 1
when any journey failed once.

    python -m tests.e2e.repeat 10 --load 2 [-- extra pytest arguments]
"""

import argparse
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-artifacts" / "journeys"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def _burn() -> None:  # pragma: no cover - runs in a child process until terminated
    while True:
        pass


def read_run(report: Path) -> list[tuple[str, float, str | None]]:
    """(journey, seconds, failure text or None) for each test case of a JUnit XML report."""
    if not report.exists():
        return []
    cases = []
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314 (our own pytest wrote it)
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        problem = next((p for p in case if p.tag in ("failure", "error")), None)
        text = None
        if problem is not None:
            text = (problem.get("message") or "") + "\n" + (problem.text or "")
        if any(p.tag == "skipped" for p in case):
            continue
        cases.append((name, float(case.get("time", 0)), text))
    return cases


def summarise(runs: list[list[tuple[str, float, str | None]]]) -> tuple[list[str], int]:
    """The table's lines and the number of failures over all runs."""
    times, failures = defaultdict(list), defaultdict(list)
    for index, cases in enumerate(runs, start=1):
        for name, seconds, problem in cases:
            times[name].append(seconds)
            if problem is not None:
                failures[name].append((index, problem))
    width = max((len(n) for n in times), default=10)
    lines = [f"{'journey':<{width}}  runs  failed  slowest s  median s"]
    for name in sorted(times, key=lambda n: (-len(failures[n]), -max(times[n]))):
        lines.append(f"{name:<{width}}  {len(times[name]):>4}  {len(failures[name]):>6}  "
                     f"{max(times[name]):>9.1f}  {statistics.median(times[name]):>8.1f}")
    for name in sorted(failures):
        for index, problem in failures[name]:
            first = "\n      ".join(problem.strip().splitlines()[:12])
            lines.append(f"\nrun {index}: {name}\n      {first}")
    return lines, sum(len(f) for f in failures.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=5, help="how many times (default 5)")
    parser.add_argument("--load", type=int, default=0, help="CPU-bound processes running beside the journeys")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments (e.g. -k notes)")
    args = parser.parse_args(argv)

    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.load)]
    for burner in burners:
        burner.start()
    runs = []
    try:
        for index in range(1, args.runs + 1):
            report = OUT / f"run-{index}.xml"
            started = time.monotonic()
            completed = subprocess.run(
                [sys.executable, "-m", "pytest", "-m", "e2e", "-q", "-p", "no:cacheprovider",
                 f"--junitxml={report}", *args.pytest_args],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            cases = read_run(report)
            runs.append(cases)
            failed = sum(1 for c in cases if c[2] is not None)
            kept = OUT / f"run-{index}"
            for shot in SCREENSHOTS.glob("FAILED-*.png"):
                kept.mkdir(exist_ok=True)
                shutil.copy2(shot, kept / shot.name)
            if not cases:
                failed = 1
                runs[-1] = [("pytest (no report)", 0.0, f"pytest exited with {completed.returncode}")]
            print(f"run {index}/{args.runs}: {len(cases) - failed} passed, {failed} failed "
                  f"({time.monotonic() - started:.0f} s{f', load {args.load}' if args.load else ''})", flush=True)
    finally:
        for burner in burners:
            burner.terminate()
    lines, failures = summarise(runs)
    print("\n" + "\n".join(lines))
    (OUT / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
