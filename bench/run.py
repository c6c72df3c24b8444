"""`make bench` — measure the app against the performance targets of issue 10.

    .venv/bin/python -m bench.run [--sizes school,district] [--only pages,sql,report,import,deadline]
                                  [--duration 8] [--regenerate] [--db-url URL --password P] ...

For each configuration — the school size on SQLite and on PostgreSQL, the district size on
PostgreSQL (bench/configs.py) — it reuses the generated database when it already holds that size
(else creates it: migrations, then bench/seed_scale.py), then:

1. sql: SQL statements per key page (in-process, the test client logged in as each page's role): the
   page built (page store cleared first), then a repeat view served from the store;
2. report: report 1 for the largest school and for all the schools, against bare XlsxWriter
   writing the same cells, with peak memory (each in a fresh process): with the drafts kept since the
   data last changed (sponsor_app/kept.py), and computed from the data every time;
3. import: a 2,000-row class list, against a bare openpyxl read of the same file;
4. pages: gunicorn on loopback in production settings; throughput and p95 of /healthz and of the
   key pages, each logged in as its real role: first as production runs (the page store on, so one
   user repeating one page is served from memory), then on a second gunicorn with the store off
   (PAGE_CACHE_MAX_CHARS=0: every request builds its page);
5. deadline: (school on SQLite, district on PostgreSQL) virtual teachers writing and submitting
   the month's note while browsing, then a check that every accepted note is stored.

Whatever a run writes (audit rows, the notes of the deadline day) is deleted at the end, so the
next run starts from the same data. It prints a table and, after a full run, writes
bench/RESULTS.md and bench/results.json (a partial run: bench/.data/last-run.json only).
`--db-url` measures an existing database as it is (e.g. the demo school: `--password demo`).
"""

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from .common import BENCH_DIR, DATA_DIR, MeasurementFailed, call
from .configs import (
    BenchConfig,
    custom_config,
    database_exists,
    postgres_version,
    read_marker,
    recreate_database,
    standard_configs,
    write_marker,
)
from .dataset import SIZE_SCHOOLS
from .deadline import Options, run_deadline
from .measure_pages import compare_sizes, measure_pages
from .results import (
    BUSY_IDLE,
    KEY_PAGES,
    PAGE_TITLES,
    comparisons,
    evaluate,
    git_commit,
    machine,
    now_text,
    print_tables,
    write,
)
from .server import Gunicorn, ServerFailed, Workers

PARTS = ("pages", "sql", "report", "import", "deadline")
SIZES = ("school", "district")
MIN_STUDENTS_PER_SCHOOL = 500  # tells a generated school or district from the tiny size or the demo
CLASS_LIST = DATA_DIR / "class_list_2000.xlsx"


def log(message: str = "") -> None:
    print(message, flush=True)


def _csv(choices):
    def parse(text: str) -> list[str]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        unknown = [item for item in items if item not in choices]
        if unknown or not items:
            raise argparse.ArgumentTypeError(f"choose among {', '.join(choices)}")
        return items

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_csv(SIZES), default=list(SIZES), help="school,district (default both)")
    parser.add_argument("--only", type=_csv(PARTS), default=list(PARTS), help=f"parts to run: {','.join(PARTS)}")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per page measurement (default 8)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds before each page (default 1)")
    parser.add_argument("--concurrency", type=int, default=4, help="clients per page measurement (default 4)")
    parser.add_argument("--teachers", type=int, default=200, help="deadline-day virtual teachers (default 200)")
    parser.add_argument("--deadline-seconds", type=float, default=60.0, help="deadline-day length (default 60)")
    parser.add_argument("--think", type=float, nargs=2, default=(5.0, 15.0), metavar=("MIN", "MAX"),
                        help="think time between a virtual teacher's actions, seconds (default 5 15: reading a page "
                             "or typing the note on a phone; 1 4 is a stress run that finds the server's capacity)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: cores + 1)")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--regenerate", action="store_true", help="generate the databases again even if they fit")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed")
    parser.add_argument("--db-url", help="measure this existing database as it is instead (no generation)")
    parser.add_argument("--password", help="the accounts' password (default: the generator's BENCH_PASSWORD)")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md even after a partial run")
    return parser.parse_args(argv)


# --- the databases --------------------------------------------------------------------------------

def _holds(config: BenchConfig, info: dict) -> bool:
    """Whether the database holds the configuration's size, as generated (and not changed since)."""
    schools = SIZE_SCHOOLS[config.size]
    if not info.get("migrated") or info.get("schools") != schools or not info.get("bench_accounts"):
        return False
    if config.size != "tiny" and info.get("students", 0) < MIN_STUDENTS_PER_SCHOOL * schools:
        return False
    marker = read_marker(config)
    return marker is None or (marker.get("size") == config.size and marker.get("students") == info["students"]
                              and marker.get("monthly_notes") == info["monthly_notes"])


def generator_digest() -> str | None:
    """A fingerprint of the generator's source, kept with what it generated."""
    try:
        return hashlib.sha256((BENCH_DIR / "seed_scale.py").read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def _restore_leftover(config: BenchConfig) -> None:
    """An interrupted run left its snapshot: delete what it wrote before anything else."""
    if config.snapshot_file.exists():
        done = call("dataset", "restore", str(config.snapshot_file), url=config.url)
        config.snapshot_file.unlink()
        log(f"  restored what an interrupted run wrote: {done['deleted']}")


def ensure_database(config: BenchConfig, regenerate: bool, seed: int) -> dict:
    if config.size is None:
        return {**call("dataset", "describe", url=config.url), "reused": True}
    if database_exists(config) and not regenerate:
        _restore_leftover(config)
        info = call("dataset", "describe", url=config.url)
        if _holds(config, info):
            call("dataset", "upgrade", url=config.url)  # new migrations (indexes) apply to a kept database
            marker = read_marker(config) or {}
            log(f"  reusing the {config.size} database: {info['schools']} school(s), {info['students']} students")
            if marker.get("generator") not in (None, generator_digest()):
                log("  (bench/seed_scale.py changed since it was generated: --regenerate to rebuild it)")
            return {**info, "reused": True, "generated_seconds": marker.get("counts", {}).get("seconds")}
        log(f"  the database does not hold the {config.size} size ({info}): generating it again")
    recreate_database(config)
    log(f"  generating the {config.size} size (the district takes minutes) ...")
    started = time.perf_counter()
    generated = call("dataset", "generate", config.size, "--seed", str(seed), url=config.url, show_progress=True)
    write_marker(config, {**generated, "generator": generator_digest()})
    log(f"  generated in {time.perf_counter() - started:.0f} s: {generated['counts']}")
    return {**{k: v for k, v in generated.items() if k != "counts"}, "reused": False,
            "generated_seconds": generated["counts"].get("seconds"), "generated": generated["counts"]}


# --- the measurements --------------------------------------------------------------------------

def measure_reports(config: BenchConfig, schools: int) -> dict:
    out = {"baseline": call("measure_report", "baseline", url=config.url)}
    log(f"  report: process baseline (import + create_app) {out['baseline']['rss_mb']} MB")
    for scope in ("largest", "all", "district") if schools > 1 else ("largest",):
        cells = DATA_DIR / f"{config.name}.report-{scope}.cells.json"
        repeat = "5" if scope == "largest" else "1"  # one school takes a fraction of a second: more runs
        prepared = call("measure_report", "prepare", scope, str(cells), url=config.url)
        app = call("measure_report", "app", scope, "--repeat", repeat, url=config.url)
        computed = call("measure_report", "app", scope, "--repeat", repeat, "--computed", url=config.url)
        stream = ["--stream"] if scope == "district" else []
        bare = call("measure_report", "bare", str(cells), "--repeat", repeat, *stream, url=config.url)
        cells.unlink(missing_ok=True)
        ratio = round(app["seconds"] / bare["seconds"], 2) if bare["seconds"] else None
        computed_ratio = round(computed["seconds"] / bare["seconds"], 2) if bare["seconds"] else None
        out[scope] = {**prepared, "app": app, "app_computed": computed, "bare": bare, "ratio": ratio,
                      "computed_ratio": computed_ratio}
        log(f"  report 1, {scope} ({prepared['schools']} school(s), {prepared['student_rows']} students): "
            f"bare XlsxWriter {bare['seconds']:.3f} s; app with the drafts kept {app['seconds']:.3f} s "
            f"(documents {app['document_seconds']:.3f} s, workbooks {app['workbook_seconds']:.3f} s, "
            f"{app['kept_current']} kept) → {ratio}×; computed {computed['seconds']:.3f} s (documents "
            f"{computed['document_seconds']:.3f} s) → {computed_ratio}×; peak {app['peak_rss_mb']} / "
            f"{computed['peak_rss_mb']} MB (bare {bare['peak_rss_mb']} MB)")
    return out


def deadline_day(server: Gunicorn, config: BenchConfig, picks: dict, password: str, args) -> dict:
    options = Options(teachers=args.teachers, seconds=args.deadline_seconds, think_min=args.think[0],
                      think_max=args.think[1], seed=args.seed)
    tag = f"bench {now_text()}"
    day = run_deadline(server, picks, password, options, tag, log=log)
    accepted = day.pop("accepted")
    accepted_file = DATA_DIR / f"{config.name}.accepted.json"
    accepted_file.write_text(json.dumps(accepted, ensure_ascii=False))
    check = call("dataset", "verify-notes", str(accepted_file), url=config.url)
    day["stored"] = check["stored"]
    day["lost"] = len(accepted) - check["stored"]
    day["verify"] = check
    log(f"  deadline day: {day['virtual_teachers']} teachers, {day['requests']} requests, {day['rps']} req/s, "
        f"p95 {day['p95_ms']} ms, {day['errors']} errors, {day['conflicts']} conflicts, "
        f"{day['notes_submitted']} notes submitted, {day['lost']} lost")
    if day["error_samples"]:
        log(f"    errors, e.g.: {day['error_samples'][:3]}")
    return day


@contextlib.contextmanager
def exclusive(config: BenchConfig):
    """One run at a time on a configuration's database (another run's restore would delete this one's
    rows, and both would measure each other's load)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with (DATA_DIR / f"{config.name}.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"  another bench run is using {config.name}: waiting for it to finish ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def idle_fraction(seconds: float = 3.0) -> float:
    """How idle the CPUs are while this run does nothing (other work on the machine lowers every
    HTTP figure): from /proc/stat over a few seconds; 1.0 where /proc/stat is missing."""
    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    try:
        idle1, total1 = sample()
        time.sleep(seconds)
        idle2, total2 = sample()
    except (OSError, ValueError, IndexError):
        return 1.0
    return round((idle2 - idle1) / max(1, total2 - total1), 3)


def run_config(config: BenchConfig, args, workers: Workers) -> dict:
    with exclusive(config):
        return _run_config(config, args, workers)


def _run_config(config: BenchConfig, args, workers: Workers) -> dict:
    parts = set(args.only)
    out = {"size": config.size, "backend": config.backend}
    out["database"] = ensure_database(config, args.regenerate, args.seed)
    picks = call("dataset", "picks", "--teachers", str(args.teachers), url=config.url)
    picks_file = DATA_DIR / f"{config.name}.picks.json"
    picks_file.write_text(json.dumps(picks, ensure_ascii=False))
    password = args.password or picks.get("bench_password") or "bench"
    out["picks"] = {k: v for k, v in picks.items() if k != "deadline"} | {
        "deadline": {k: v for k, v in picks["deadline"].items() if k != "teachers"}}
    log(f"  {picks['school']['name']} ({picks['school']['students']} students), year {picks['year']['name']}; "
        f"users {picks['users']}")

    with kept_as_is(config) as restored:
        out["restored"] = restored
        if "sql" in parts:
            out["sql"] = call("measure_sql", str(picks_file), "--password", password, url=config.url)
            log("  SQL statements, the page built: " + ", ".join(
                f"{name} {v['statements']}" for name, v in out["sql"].items()))
            log("  SQL statements, from memory (repeat view): " + ", ".join(
                f"{name} {v.get('cached_statements')}" for name, v in out["sql"].items()))
        if "report" in parts:
            out["report"] = measure_reports(config, out["database"].get("schools", 1))
        if "import" in parts:
            out["import"] = call("measure_import", str(picks_file), str(CLASS_LIST), url=config.url)
            log(f"  import of {out['import']['rows']} rows: app {out['import']['app_seconds']:.2f} s, bare openpyxl "
                f"{out['import']['bare_seconds']:.2f} s → {out['import']['ratio']}× (steps {out['import']['steps_seconds']})")
        run_deadline_here = "deadline" in parts and config.deadline
        if "pages" in parts or run_deadline_here:
            idle = out["idle_before_http"] = idle_fraction()
            busy = " — the machine is busy with something else: figures will be low" if idle < BUSY_IDLE else ""
            log(f"  CPU idle before the HTTP measurements: {idle:.0%}{busy}")
            with Gunicorn(config.url, workers, DATA_DIR / f"gunicorn-{config.name}.log") as server:
                log(f"  gunicorn on 127.0.0.1:{server.port} ({workers.describe()})")
                if "pages" in parts:
                    log("  pages, from memory (repeat views): page store on, as production runs")
                    out["pages"] = measure_pages(server, picks, password, concurrency=args.concurrency,
                                                 duration=args.duration, warmup=args.warmup, log=log)
                    out["pages_built"] = pages_built(config, picks, password, args, workers)
                if run_deadline_here:  # on the normal server (store on), after both page passes
                    out["deadline"] = deadline_day(server, config, picks, password, args)
    return out


def pages_built(config: BenchConfig, picks: dict, password: str, args, workers: Workers) -> dict:
    """The key pages again on a second gunicorn with the page store off (PAGE_CACHE_MAX_CHARS=0):
    each request builds its page, as a first view or a view after the school's data changed does.
    /healthz is measured again on this server, so its ratios are within this pass."""
    with Gunicorn(config.url, workers, DATA_DIR / f"gunicorn-{config.name}-store-off.log",
                  env={"PAGE_CACHE_MAX_CHARS": "0"}) as server:
        log(f"  pages, built every time (store off): a second gunicorn on 127.0.0.1:{server.port} with "
            f"PAGE_CACHE_MAX_CHARS=0")
        return measure_pages(server, picks, password, concurrency=args.concurrency, duration=args.duration,
                             warmup=args.warmup, log=log)


@contextlib.contextmanager
def kept_as_is(config: BenchConfig):
    """Whatever the block writes to the database (audit rows, notes) is deleted afterwards; the dict
    yielded receives what was deleted. The snapshot stays on disk while the block runs, so an
    interrupted run is put right by the next one."""
    config.snapshot_file.write_text(json.dumps(call("dataset", "snapshot", url=config.url)))
    deleted: dict = {}
    try:
        yield deleted
    finally:
        deleted.update(call("dataset", "restore", str(config.snapshot_file), url=config.url)["deleted"])
        config.snapshot_file.unlink()


def paired_sizes(configs: list[BenchConfig], measured: dict, args, workers: Workers) -> dict | None:
    """The key pages on the school and the district database (PostgreSQL both) measured in turn,
    school–district–district–school, both servers up: the ratio is free of whatever else the machine
    did between the two configurations' own measurements."""
    by_name = {c.name: c for c in configs}
    school, district = by_name.get("school-pg"), by_name.get("district-pg")
    picks_files = [DATA_DIR / f"{c.name}.picks.json" for c in (school, district) if c]
    if not (school and district) or any(measured.get(c.name, {}).get("failed") for c in (school, district)):
        return None
    log("\n== district vs school, paired (PostgreSQL) ==")
    school_picks, district_picks = (json.loads(f.read_text()) for f in picks_files)
    password = args.password or school_picks.get("bench_password") or "bench"
    with (exclusive(school), exclusive(district), kept_as_is(school), kept_as_is(district),
          Gunicorn(school.url, workers, DATA_DIR / "gunicorn-school-pg.log") as a,
          Gunicorn(district.url, workers, DATA_DIR / "gunicorn-district-pg.log") as b):
        return compare_sizes(a, school_picks, b, district_picks, password, concurrency=args.concurrency,
                             duration=args.duration / 2, warmup=args.warmup, log=log)


def observations(results: dict) -> list[str]:
    """What a reader should look at first: errors, SQL repeated per page, the slowest actions."""
    notes = []
    for name, config in results.get("configs", {}).items():
        if config.get("failed"):
            notes.append(f"`{name}` failed: {config['failed'].splitlines()[0]}")
        for key, how in (("pages", "from memory"), ("pages_built", "built every time")):
            for page, figures in (config.get(key) or {}).items():
                if figures.get("errors"):
                    notes.append(f"`{name}` {PAGE_TITLES.get(page, page)} ({how}): {figures['errors']} errors, "
                                 f"e.g. {figures['error_samples'][:2]}")
        for page in KEY_PAGES:
            sql = (config.get("sql") or {}).get(page)
            if sql and sql["statements"] > 12:
                shapes = "; ".join(f"{r['count']}× `{r['sql']}…`" for r in sql["repeated"]) or "no repeated statement"
                notes.append(f"`{name}` {PAGE_TITLES[page]}: {sql['statements']} statements ({shapes})")
        day = config.get("deadline")
        if day:
            slow = sorted(day["p95_ms_by_kind"].items(), key=lambda kv: -(kv[1] or 0))[:3]
            notes.append(f"`{name}` deadline day: {day['virtual_teachers']} teachers thinking {day['think_s'][0]:g}–"
                         f"{day['think_s'][1]:g} s ask for about {day['offered_actions_per_s']} actions/s (a save is "
                         f"two requests, with its redirect); the server answered {day['rps']} req/s, p50 "
                         f"{day['p50_ms']} ms; p95 by action {', '.join(f'{k} {v} ms' for k, v in slow)}; "
                         f"statuses {day['statuses']}"
                         + (f"; errors e.g. {day['error_samples'][:3]}" if day["error_samples"] else ""))
    return notes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    configs = [custom_config(args.db_url)] if args.db_url else [c for c in standard_configs() if c.size in args.sizes]
    cores = os.cpu_count() or 1
    workers = Workers(args.workers or Workers.for_machine(cores).count, args.worker_class, args.threads)
    log(f"bench: {', '.join(c.name for c in configs)}; parts {', '.join(args.only)}")
    log(f"gunicorn: {workers.describe()} on {cores} cores (default: one sync worker per core plus one — the load "
        f"generator and PostgreSQL share the cores, and pages are CPU-bound Python)")
    results = {"date": now_text(), "commit": git_commit(), "workers": workers.describe(),
               "options": {"sizes": args.sizes, "only": args.only, "duration": args.duration, "warmup": args.warmup,
                           "concurrency": args.concurrency, "teachers": args.teachers,
                           "deadline_seconds": args.deadline_seconds, "think": list(args.think), "seed": args.seed,
                           "db_url": args.db_url},
               "configs": {}}
    for config in configs:
        log(f"\n== {config.name} ==")
        started = time.perf_counter()
        try:
            results["configs"][config.name] = run_config(config, args, workers)
        except (MeasurementFailed, ServerFailed, OSError) as err:
            log(f"  FAILED: {err}")
            results["configs"][config.name] = {"failed": str(err)}
        log(f"  ({time.perf_counter() - started:.0f} s)")
    if "pages" in args.only and not args.db_url:
        try:
            results["paired"] = paired_sizes(configs, results["configs"], args, workers)
        except (MeasurementFailed, ServerFailed, OSError) as err:
            log(f"  FAILED: {err}")
    results["comparisons"] = comparisons(results)
    results["machine"] = machine(postgres_version())
    results["targets"] = evaluate(results)
    results["observations"] = observations(results)
    print_tables(results, log=log)
    full = not args.db_url and set(args.only) == set(PARTS) and set(args.sizes) == set(SIZES)
    written = write(results, to_repo=full or args.write, data_dir=DATA_DIR)
    log("\nwritten: " + ", ".join(str(p.relative_to(DATA_DIR.parent.parent)) for p in written))
    return 1 if any(c.get("failed") for c in results["configs"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
