"""The run's figures against the targets of issue 10: the machine, the comparisons across sizes,
pass/fail per target, the printed table, bench/RESULTS.md and bench/results.json."""

import json
import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from .common import BENCH_DIR, PROJECT_ROOT

KEY_PAGES = ("teacher_home", "department_dashboard", "school_dashboard", "at_risk_list", "student_profile",
             "assignment_board", "emulation_sheet")
PAGE_TITLES = {"healthz": "/healthz", "teacher_home": "teacher home", "department_dashboard": "department dashboard",
               "school_dashboard": "school dashboard", "at_risk_list": "at-risk list",
               "student_profile": "student profile", "assignment_board": "assignment board",
               "emulation_sheet": "emulation sheet"}
REPORT_SCOPES = {"largest": "the largest school",
                 "all": "all schools together (each school's workbook, one process)",
                 "district": "the district workbook of all schools (flask report district)"}
BUSY_IDLE = 0.8  # less CPU idle than this just before the HTTP measurements: other work on the machine
TARGETS = {"vs_healthz": 0.15, "vs_school": 0.8, "statements": 12, "report_ratio": 2.0, "report_mb": 250,
           "import_ratio": 3.0, "deadline_p95_ms": 500}


# --- the machine -----------------------------------------------------------------------------

def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine(postgres: str | None) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)
    os_name = next((line.split("=", 1)[1].strip().strip('"') for line in _read("/etc/os-release").splitlines()
                    if line.startswith("PRETTY_NAME=")), platform.system())
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "os": f"{os_name} (Linux {platform.release()})", "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "postgresql": postgres, "gunicorn": metadata.version("gunicorn")}


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def now_text() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


# --- comparisons and targets -------------------------------------------------------------------

def _get(results: dict, *keys):
    node = results
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def comparisons(results: dict) -> dict:
    """Each key page's district throughput as a ratio to its school throughput (PostgreSQL both); also
    normalised by each run's /healthz (what is left when the machine was busier during one of them)."""
    ratios, normalised = {}, {}
    for page in KEY_PAGES:
        school = _get(results, "configs", "school-pg", "pages", page, "vs_healthz")
        district = _get(results, "configs", "district-pg", "pages", page, "vs_healthz")
        school_rps = _get(results, "configs", "school-pg", "pages", page, "rps")
        district_rps = _get(results, "configs", "district-pg", "pages", page, "rps")
        if school_rps and district_rps is not None:
            ratios[page] = round(district_rps / school_rps, 3)
        if school and district is not None:
            normalised[page] = round(district / school, 3)
    built = {}
    for page in KEY_PAGES:
        school_rps = _get(results, "configs", "school-pg", "pages_built", page, "rps")
        district_rps = _get(results, "configs", "district-pg", "pages_built", page, "rps")
        if school_rps and district_rps is not None:
            built[page] = round(district_rps / school_rps, 3)
    paired = {page: figures["ratio"] for page, figures in (results.get("paired") or {}).items()}
    found = {"district_vs_school": ratios, "district_vs_school_normalised": normalised,
             "district_vs_school_paired": paired, "district_vs_school_built": built}
    return {k: v for k, v in found.items() if v}


def _target(name: str, figure: str, passed: bool | None, note: str = "") -> dict:
    return {"target": name, "figure": figure, "pass": passed, "note": note}


def evaluate(results: dict) -> list[dict]:
    """Every target of issue 10 that this run measured, with its figure and pass/fail."""
    out = []
    configs = results.get("configs", {})
    district = configs.get("district-pg", {})
    compared = results.get("comparisons", {})
    paired = compared.get("district_vs_school_paired", {})
    vs_school = paired or compared.get("district_vs_school", {})
    for page in KEY_PAGES:
        figures = _get(district, "pages", page)
        if figures:
            ratio = figures["vs_healthz"]
            errors = figures["errors"]
            notes = [f"{errors} errors"] if errors else []
            built = _get(district, "pages_built", page)
            if built:  # the store-on figure is judged (production behaviour); the built page beside it
                notes.insert(0, f"repeat view from memory; built every time: {built.get('vs_healthz')}× "
                                f"({built.get('rps')} req/s)"
                                + (f", {built['errors']} errors" if built.get("errors") else ""))
            out.append(_target(f"{PAGE_TITLES[page]}: district throughput ≥ 0.15× /healthz",
                               f"{ratio}× ({figures['rps']} vs {district['pages']['healthz']['rps']} req/s)",
                               ratio is not None and ratio >= TARGETS["vs_healthz"] and not errors,
                               "; ".join(notes)))
        if vs_school.get(page) is not None:
            raw = compared.get("district_vs_school", {}).get(page)
            how = "measured in turn" if paired else "the two configurations' own runs"
            note = f"; {raw}× between the configurations' own runs" if paired and raw is not None else ""
            if _get(district, "pages_built"):  # results from before the page store: built every time
                note = "; repeat views from memory" + note
            built = compared.get("district_vs_school_built", {}).get(page)
            if built is not None:
                note += f"; built every time: {built}× (the configurations' own runs)"
            out.append(_target(f"{PAGE_TITLES[page]}: district ≥ 0.8× school throughput (PostgreSQL)",
                               f"{vs_school[page]}× ({how})", vs_school[page] >= TARGETS["vs_school"], note.lstrip("; ")))
    for page in KEY_PAGES:
        counts = {name: _get(configs, name, "sql", page, "statements") for name in ("school-pg", "district-pg")}
        known = {k: v for k, v in counts.items() if v is not None}
        if not known:
            continue
        within = all(v <= TARGETS["statements"] for v in known.values())
        if not within:
            passed = False
        elif len(known) < 2:
            passed = None  # one size measured: "the same at both sizes" cannot be told
        else:
            passed = len(set(known.values())) == 1
        figure = ", ".join(f"{v} ({k})" for k, v in known.items())
        out.append(_target(f"{PAGE_TITLES[page]}: ≤ 12 SQL statements, the same at both sizes", figure, passed,
                           "" if len(known) == 2 else "one size measured"))
    report_config = district if _get(district, "report", "largest") else next(
        (c for c in configs.values() if _get(c, "report", "largest")), None)
    for scope in REPORT_SCOPES:
        report = _get(report_config or {}, "report", scope) if scope == "largest" else _get(district, "report", scope)
        if report and report.get("ratio") is not None:
            computed = report.get("app_computed")
            note = ""
            if computed:  # the kept figure is judged (production behaviour); the computed one beside it
                note = (f"drafts kept since the data last changed; computed from the data: "
                        f"{report['computed_ratio']}× ({_secs(computed['seconds'])}, of which documents "
                        f"{_secs(computed['document_seconds'])})")
            out.append(_target(f"report 1, {REPORT_SCOPES[scope]}: ≤ 2× bare XlsxWriter", f"{report['ratio']}× "
                               f"({_secs(report['app']['seconds'])} vs {_secs(report['bare']['seconds'])})",
                               report["ratio"] <= TARGETS["report_ratio"], note))
    for scope in ("district", "all"):
        peak = max((p for p in (_get(district, "report", scope, run, "peak_rss_mb") for run in ("app", "app_computed"))
                    if p is not None), default=None)
        if peak is not None:
            out.append(_target(f"report 1, {REPORT_SCOPES[scope]}: peak memory ≤ 250 MB", f"{peak} MB",
                               peak <= TARGETS["report_mb"],
                               f"process baseline (import + create_app) {_get(district, 'report', 'baseline', 'rss_mb')} MB"))
    for name, config in configs.items():
        figures = config.get("import")
        if figures and figures.get("ratio") is not None:
            out.append(_target(f"import of 2,000 rows ≤ 3× bare openpyxl ({name})", f"{figures['ratio']}× "
                               f"({figures['app_seconds']:.2f} s vs {figures['bare_seconds']:.2f} s)",
                               figures["ratio"] <= TARGETS["import_ratio"]))
    for name, config in configs.items():
        day = config.get("deadline")
        if not day:
            continue
        passed = day["errors"] == 0 and day.get("lost") == 0 and day["p95_ms"] is not None \
            and day["p95_ms"] <= TARGETS["deadline_p95_ms"] and day["virtual_teachers"] > 0
        out.append(_target(f"deadline day ({name}): 0 errors, 0 lost, p95 ≤ 500 ms",
                           f"{day['errors']} errors, {day.get('lost')} lost, p95 {day['p95_ms']} ms", passed,
                           f"{day['virtual_teachers']} virtual teachers, {day['notes_submitted']} notes submitted"))
    return out


# --- output ---------------------------------------------------------------------------------

def _fmt(value, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}{suffix}" if value < 10 else f"{value:.1f}{suffix}"
    return f"{value}{suffix}"


def _secs(value) -> str:
    """Seconds to the millisecond (a school's report takes tens of them)."""
    return "—" if value is None else f"{value:.3f} s"


def _mark(passed: bool | None) -> str:
    return {True: "pass", False: "FAIL", None: "n/a"}[passed]


def tables(results: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) of every table of the report."""
    configs = results.get("configs", {})
    names = list(configs)
    out = []
    def page_rows(key: str, ratios: str, paired_ratios: str | None) -> list[list[str]]:
        rows = []
        for page in ("healthz", *KEY_PAGES):
            row = [PAGE_TITLES[page]]
            for name in names:
                f = _get(configs, name, key, page)
                row.append("—" if not f else f"{_fmt(f['rps'])}/s p95 {_fmt(f['p95_ms'])} ms"
                           + ("" if page == "healthz" else f" ({_fmt(f.get('vs_healthz'))}×)")
                           + (f" {f['errors']} err" if f.get("errors") else ""))
            ratio = _get(results, "comparisons", ratios, page)
            paired = _get(results, "comparisons", paired_ratios, page) if paired_ratios else None
            row.append("" if page == "healthz" else _fmt(ratio, "×") + (f" (in turn {_fmt(paired, '×')})" if paired else ""))
            rows.append(row)
        return rows

    # Results from before the page store hold "pages" only: their pages were built every time.
    both = any(_get(c, "pages_built") for c in configs.values())
    if any(_get(c, "pages") for c in configs.values()):
        how = "; repeat views from memory (page store on, as production runs)" if both else ""
        out.append((f"Pages: throughput, p95 latency (ratio to /healthz){how}", ["page", *names, "district/school"],
                    page_rows("pages", "district_vs_school", "district_vs_school_paired")))
    if both:
        out.append(("Pages built every time (store off): throughput, p95 latency (ratio to /healthz)",
                    ["page", *names, "district/school"], page_rows("pages_built", "district_vs_school_built", None)))

    def sql_cell(name: str, page: str) -> str:
        f = _get(configs, name, "sql", page)
        if not f:
            return "—"
        timing = f" ({_fmt(f['sql_ms'])} of {_fmt(f['request_ms'])} ms)" if f.get("request_ms") is not None else ""
        cached = ""
        if f.get("cached_statements") is not None:
            missed = "" if f.get("cached_hit", True) else ", not from the store"
            cached = f"; from memory {f['cached_statements']} ({_fmt(f.get('cached_request_ms'))} ms{missed})"
        return f"{f['statements']}{timing}{cached}"

    sql_rows = [[PAGE_TITLES[p], *[sql_cell(n, p) for n in names]] for p in KEY_PAGES]
    if any(_get(c, "sql") for c in configs.values()):
        cached = any(_get(c, "sql", p, "cached_statements") is not None for c in configs.values() for p in KEY_PAGES)
        title = ("SQL statements per page built (time in SQL of the request's time, in-process, the page store "
                 "cleared first); from memory: the repeat view that follows" if cached else
                 "SQL statements per page (time in SQL of the request's time, one warm request in-process)")
        out.append((title, ["page", *names], sql_rows))
    report_rows = []
    for name in names:
        for scope in REPORT_SCOPES:
            r = _get(configs, name, "report", scope)
            if not r:
                continue
            for run, how, ratio in (("app", "kept", r["ratio"]), ("app_computed", "computed", r.get("computed_ratio"))):
                a = r.get(run)
                if a:
                    report_rows.append([name, scope, how if "app_computed" in r else "computed", str(r["schools"]),
                                        str(r["student_rows"]), _secs(a["seconds"]), _secs(a.get("document_seconds")),
                                        _secs(a.get("workbook_seconds")), _secs(r["bare"]["seconds"]),
                                        _fmt(ratio, "×"), _fmt(a["peak_rss_mb"], " MB"),
                                        _fmt(r["bare"]["peak_rss_mb"], " MB"),
                                        _fmt(_get(configs, name, "report", "baseline", "rss_mb"), " MB")])
    if report_rows:
        out.append(("Report 1 (document + xlsx) against bare XlsxWriter: drafts kept since the data last changed "
                    "(sponsor_app/kept.py), and computed from the data",
                    ["config", "scope", "drafts", "schools", "students", "app", "of which documents",
                     "of which workbooks", "bare", "ratio", "app peak", "bare peak", "baseline"], report_rows))
    import_rows = [[n, str(f["rows"]), _fmt(f["app_seconds"], " s"),
                    " / ".join(_fmt(f.get("steps_seconds", {}).get(k), " s") for k in ("parse", "plan", "apply")),
                    _fmt(f["bare_seconds"], " s"), _fmt(f["ratio"], "×")]
                   for n in names if (f := _get(configs, n, "import"))]
    if import_rows:
        out.append(("Import of a class list against bare openpyxl",
                    ["config", "rows", "app", "parse / plan / apply", "bare", "ratio"], import_rows))
    day_rows = [[n, str(d["virtual_teachers"]), str(d["accounts"]), str(d["requests"]), _fmt(d["rps"]),
                 _fmt(d["p95_ms"], " ms"), str(d["errors"]), str(d["conflicts"]), str(d["notes_submitted"]),
                 _fmt(d.get("lost"))]
                for n in names if (d := _get(configs, n, "deadline"))]
    if day_rows:
        out.append(("Deadline day", ["config", "teachers", "accounts", "requests", "req/s", "p95", "errors",
                                     "conflicts", "submitted", "lost"], day_rows))
    target_rows = [[t["target"], t["figure"], _mark(t["pass"]), t["note"]] for t in results.get("targets", [])]
    if target_rows:
        out.append(("Targets (issue 10)", ["target", "figure", "result", "note"], target_rows))
    return out


def print_tables(results: dict, log=print) -> None:
    for title, headers, rows in tables(results):
        widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
        log(f"\n{title}")
        log("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        for row in rows:
            log("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


def markdown(results: dict) -> str:
    m = results["machine"]
    think = results["options"]["think"]
    lines = [
        "# Benchmark results (issue 10)",
        "",
        f"Measured by `make bench` (bench/run.py) on {results['date']}, commit {results.get('commit') or '?'}. "
        "Raw figures: [results.json](results.json). Ratios compare figures measured in the same run.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}",
        f"- Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m['postgresql'] or 'not reached'}, "
        f"gunicorn {m['gunicorn']} with {results['workers']} on loopback (production settings)",
        f"- Load: pages {results['options']['concurrency']} concurrent clients × {results['options']['duration']} s each "
        f"after {results['options']['warmup']} s warm-up; deadline day {results['options']['teachers']} virtual teachers × "
        f"{results['options']['deadline_seconds']} s, think time {_fmt(think[0])}–{_fmt(think[1])} s between actions",
        "",
    ]
    busy = {name: c["idle_before_http"] for name, c in results.get("configs", {}).items()
            if c.get("idle_before_http") is not None and c["idle_before_http"] < BUSY_IDLE}
    if busy:
        lines += [f"**The machine was busy with other work during this run** (CPU idle just before the HTTP "
                  f"measurements: {', '.join(f'{k} {v:.0%}' for k, v in busy.items())}): the absolute figures "
                  "are low and noisy; the ratios within one configuration hold better.", ""]
    for name, config in results.get("configs", {}).items():
        db = config.get("database", {})
        lines.append(f"- `{name}`: {db.get('schools', '?')} school(s), {db.get('students', '?')} students, "
                     f"{db.get('monthly_notes', '?')} monthly notes"
                     + (f"; generated in {db['generated_seconds']} s" if db.get("generated_seconds") else "")
                     + ("; reused" if db.get("reused") else "")
                     + (f"; CPU {config['idle_before_http']:.0%} idle before the HTTP measurements"
                        if config.get("idle_before_http") is not None else "")
                     + (f"; pages as `{config['picks']['users']['leader']}` (leader) etc. in "
                        f"{config['picks']['school']['name']}" if config.get("picks") else ""))
    ordered = sorted(tables(results), key=lambda table: not table[0].startswith("Targets"))  # targets first
    for title, headers, rows in ordered:
        lines += ["", f"## {title}", "", "| " + " | ".join(headers) + " |",
                  "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(str(x).replace("|", "\\|") for x in row) + " |" for row in rows]
    notes = results.get("observations") or []
    if notes:
        lines += ["", "## What the run showed", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def write(results: dict, *, to_repo: bool, data_dir: Path) -> list[Path]:
    """results.json and RESULTS.md in bench/ (a full run), else bench/.data/last-run.json only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if to_repo:
        (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
        (BENCH_DIR / "RESULTS.md").write_text(markdown(results))
        written += [BENCH_DIR / "RESULTS.md", BENCH_DIR / "results.json"]
    last = data_dir / "last-run.json"
    last.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
    written.append(last)
    return written
