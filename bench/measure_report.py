"""Report 1 (the semester I report) as the app generates it, against bare XlsxWriter writing the
same cells; each in a fresh process so their peak memory is their own (run by bench/run.py):

    python -m bench.measure_report prepare SCOPE CELLS.json   the app's workbooks, read back with openpyxl
    python -m bench.measure_report app SCOPE                  time the app: document + workbook, peak memory
    python -m bench.measure_report bare CELLS.json            time bare XlsxWriter writing those cells
    python -m bench.measure_report baseline                   memory of import + create_app alone

SCOPE is `largest` (the school with the most students) or `all` (every school of the database, one
after the other in one process, as a district run would). The app generates each school's report 1
of its current year (`reports.services.generate`, the path of a draft: a submitted report's page
shows its stored snapshot, which would measure nothing) and writes it (`reports.export.build_xlsx`).
Both sides first write one workbook untimed (imports, caches), then time `--repeat` passes.
"""

import argparse
import io
import json
import sys
import time
from pathlib import Path

from .common import current_rss_mb, emit, make_app, max_rss_mb, median
from .dataset import database_url


def _schools(scope: str):
    from sqlalchemy import func, select

    from sponsor_app.extensions import db
    from sponsor_app.models import School, Student

    if scope == "all":
        return list(db.session.scalars(select(School).order_by(School.id)))
    school_id = db.session.scalar(select(Student.school_id).group_by(Student.school_id)
                                  .order_by(func.count(Student.id).desc(), Student.school_id).limit(1))
    return [db.session.get(School, school_id)]


def _report_1(school):
    """Report 1 of the school's current year: its document and its workbook."""
    from sponsor_app.context import current_year
    from sponsor_app.reports import export, services

    year = current_year(school.id)
    report = services.report_of(year, 1)
    doc = services.generate(school, year, 1, report)
    return doc, export.build_xlsx(doc), report


def prepare(scope: str, cells_file: Path) -> dict:
    """Generate the scope's workbooks once (untimed) and keep their cells for the bare writer."""
    import openpyxl

    from sponsor_app.extensions import db

    workbooks, cells, rows, submitted = [], 0, 0, 0
    for school in _schools(scope):
        doc, data, report = _report_1(school)
        rows += len(doc["parts"]["students"]["rows"])
        submitted += bool(report is not None and report.locked)
        book = openpyxl.load_workbook(io.BytesIO(data))
        sheets = []
        for ws in book.worksheets:
            values = [[c.row - 1, c.column - 1, c.value] for row in ws.iter_rows() for c in row
                      if c.value is not None and c.value != ""]
            cells += len(values)
            sheets.append({"name": ws.title, "cells": values})
        workbooks.append({"school_id": school.id, "bytes": len(data), "sheets": sheets})
        db.session.rollback()
    cells_file.write_text(json.dumps(workbooks, ensure_ascii=False, default=str))
    return {"schools": len(workbooks), "student_rows": rows, "cells": cells,
            "bytes": sum(w["bytes"] for w in workbooks), "submitted_reports": submitted}


def run_app(scope: str, repeat: int) -> dict:
    from sponsor_app.extensions import db

    started = time.perf_counter()
    app = make_app(database_url())
    with app.app_context():
        schools = _schools(scope)
        setup = time.perf_counter() - started
        baseline = current_rss_mb()
        _report_1(schools[0])  # warm-up, untimed
        db.session.rollback()
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            for school in schools:
                _report_1(school)
                db.session.rollback()  # the transaction of one school's report ends (as a command's would)
            runs.append(time.perf_counter() - start)
    return {"seconds": median(runs), "runs": [round(r, 3) for r in runs], "schools": len(schools),
            "setup_seconds": round(setup, 2), "baseline_rss_mb": round(baseline, 1),
            "peak_rss_mb": round(max_rss_mb(), 1)}


def _write_bare(workbook: dict) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    for sheet in workbook["sheets"]:
        ws = book.add_worksheet(sheet["name"])
        for row, col, value in sheet["cells"]:
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(row, col, value)
            else:
                ws.write_string(row, col, str(value))
    book.close()
    return buf.getvalue()


def run_bare(cells_file: Path, repeat: int) -> dict:
    import xlsxwriter  # noqa: F401 — imported before the baseline, as the app imports it

    workbooks = json.loads(cells_file.read_text())
    baseline = current_rss_mb()
    _write_bare(workbooks[0])  # warm-up, untimed
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for workbook in workbooks:
            _write_bare(workbook)
        runs.append(time.perf_counter() - start)
    return {"seconds": median(runs), "runs": [round(r, 3) for r in runs], "workbooks": len(workbooks),
            "baseline_rss_mb": round(baseline, 1), "peak_rss_mb": round(max_rss_mb(), 1)}


def run_baseline() -> dict:
    """What importing the app and create_app alone cost in memory (and time)."""
    from sqlalchemy import text

    from sponsor_app.extensions import db

    started = time.perf_counter()
    app = make_app(database_url())
    with app.app_context():
        db.session.execute(text("SELECT 1"))
    return {"seconds": round(time.perf_counter() - started, 2), "rss_mb": round(current_rss_mb(), 1),
            "peak_rss_mb": round(max_rss_mb(), 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure_report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    prep = sub.add_parser("prepare")
    prep.add_argument("scope", choices=("largest", "all"))
    prep.add_argument("cells", type=Path)
    app = sub.add_parser("app")
    app.add_argument("scope", choices=("largest", "all"))
    app.add_argument("--repeat", type=int, default=3)
    bare = sub.add_parser("bare")
    bare.add_argument("cells", type=Path)
    bare.add_argument("--repeat", type=int, default=3)
    sub.add_parser("baseline")
    args = parser.parse_args(argv)

    if args.mode == "prepare":
        app_ = make_app(database_url())
        with app_.app_context():
            emit(prepare(args.scope, args.cells))
    elif args.mode == "app":
        emit(run_app(args.scope, args.repeat))
    elif args.mode == "bare":
        emit(run_bare(args.cells, args.repeat))
    else:
        emit(run_baseline())


if __name__ == "__main__":
    sys.exit(main())
