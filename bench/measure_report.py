"""Report 1 (the semester I report) as the app generates it, against bare XlsxWriter writing the
same cells; each in a fresh process so their peak memory is their own (run by bench/run.py):

    python -m bench.measure_report prepare SCOPE CELLS.json   the app's workbooks, read back with openpyxl
    python -m bench.measure_report app SCOPE                  time the app: document + workbook, peak memory
    python -m bench.measure_report bare CELLS.json            time bare XlsxWriter writing those cells
    python -m bench.measure_report baseline                   memory of import + create_app alone

SCOPE is `largest` (the school with the most students), `all` (every school of the database, one
after the other in one process: each school's own workbook) or `district` (the district office's one
workbook of every school, `flask report district`). For `largest` and `all` the app produces each
school's report 1 of its current year as its export route does (`reports.services.document`: a draft,
since the bench's year is before the report's deadline; a submitted report's stored snapshot would
measure nothing) and writes it (`reports.export.build_xlsx`, in memory); for `district` it runs
`reports.district.school_parts` and `write_district_xlsx` (streamed to a file with constant_memory),
and the bare writer streams too. Both sides first write one workbook untimed (imports, caches), then
time `--repeat` passes.

The app is timed two ways (sponsor_app/kept.py): `--computed` (KEPT_RESULTS off: every document
computed from the data, as the first export after the school's data changed), and by default with the
drafts kept as production keeps them: one untimed pass computes and commits them (as a previous view
or export of the unchanged data did), the timed passes read them. The kept rows and that pass's audit
rows are deleted at the end, so the database is left as it was.
"""

import argparse
import io
import json
import sys
import time
from pathlib import Path

from .common import DATA_DIR, current_rss_mb, emit, make_app, max_rss_mb, median
from .dataset import database_url

SCOPES = ("largest", "all", "district")


def _schools(scope: str):
    from sqlalchemy import func, select

    from sponsor_app.extensions import db
    from sponsor_app.models import School, Student

    if scope == "all":
        return list(db.session.scalars(select(School).order_by(School.id)))
    school_id = db.session.scalar(select(Student.school_id).group_by(Student.school_id)
                                  .order_by(func.count(Student.id).desc(), Student.school_id).limit(1))
    return [db.session.get(School, school_id)]


class Clock:
    """Where a pass spends its time: generating the documents (queries) or writing the workbooks."""

    def __init__(self):
        self.document = 0.0

    def timed(self, parts):
        """The district's parts, counting the time spent producing them as document time."""
        iterator = iter(parts)
        while True:
            start = time.perf_counter()
            try:
                part = next(iterator)
            except StopIteration:
                self.document += time.perf_counter() - start
                return
            self.document += time.perf_counter() - start
            yield part


def _report_1(school, clock: Clock | None = None):
    """Report 1 of the school's current year, as its export route produces it: document and workbook."""
    from sponsor_app.context import current_year
    from sponsor_app.reports import export, services

    start = time.perf_counter()
    year = current_year(school.id)
    report = services.report_of(year, 1)
    doc = services.document(school, year, 1, report)
    if clock is not None:
        clock.document += time.perf_counter() - start
    return doc, export.build_xlsx(doc), report


def _district_workbook(path: Path, clock: Clock | None = None, *, keep: bool = False) -> dict:
    """The district office's workbook of report 1 of every school (the current year of the largest);
    its writes (audit rows, kept drafts) rolled back, or committed with `keep`."""
    from sponsor_app.context import current_year
    from sponsor_app.extensions import db
    from sponsor_app.reports import district

    year_name = current_year(_schools("largest")[0].id).name
    parts = district.school_parts(year_name, 1)
    result = district.write_district_xlsx(path, year_name, 1, clock.timed(parts) if clock else parts)
    if keep:
        db.session.commit()
    else:
        db.session.rollback()  # the parts' audit rows: the benchmark keeps the database as it was
    return {"schools": result.schools, "student_rows": result.students, "states": result.states}


def _cells(data: bytes) -> list[dict]:
    """Every non-empty cell of a workbook, by sheet, in row order."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheets = []
    for ws in book.worksheets:
        ws.reset_dimensions()  # rows counted from the first, whatever the stored dimension says
        values = [[r, c, v] for r, row in enumerate(ws.iter_rows(values_only=True))
                  for c, v in enumerate(row) if v is not None and v != ""]
        sheets.append({"name": ws.title, "cells": values})
    book.close()
    return sheets


def prepare(scope: str, cells_file: Path) -> dict:
    """Generate the scope's workbooks once (untimed) and keep their cells for the bare writer."""
    from sponsor_app.extensions import db

    if scope == "district":
        path = cells_file.with_suffix(".xlsx")
        figures = _district_workbook(path)
        workbooks = [{"bytes": path.stat().st_size, "sheets": _cells(path.read_bytes())}]
        path.unlink()
        figures["submitted_reports"] = figures["states"].get("submitted", 0)
    else:
        workbooks, figures = [], {"schools": 0, "student_rows": 0, "submitted_reports": 0}
        for school in _schools(scope):
            doc, data, report = _report_1(school)
            figures["schools"] += 1
            figures["student_rows"] += len(doc["parts"]["students"]["rows"])
            figures["submitted_reports"] += bool(report is not None and report.locked)
            workbooks.append({"bytes": len(data), "sheets": _cells(data)})
            db.session.rollback()
    cells_file.write_text(json.dumps(workbooks, ensure_ascii=False, default=str))
    return {**figures, "workbooks": len(workbooks), "bytes": sum(w["bytes"] for w in workbooks),
            "cells": sum(len(s["cells"]) for w in workbooks for s in w["sheets"])}


def _keep(scope: str, schools: list, out: Path) -> dict:
    """One untimed pass that computes the scope's drafts and commits them kept (with its audit rows,
    deleted by `_forget`); how many are current afterwards (a pass that wrote data would renew the
    schools' versions and leave none)."""
    from sqlalchemy import func, select

    from sponsor_app.extensions import db
    from sponsor_app.models import AuditLog, KeptResult, School

    audit_before = db.session.scalar(select(func.coalesce(func.max(AuditLog.id), 0)))
    if scope == "district":
        _district_workbook(out, keep=True)
    else:
        for school in schools:
            _report_1(school)
            db.session.commit()
    current = db.session.scalar(select(func.count(KeptResult.id)).join(School, School.id == KeptResult.school_id)
                                .where(KeptResult.data_version == School.data_version))
    return {"audit_before": audit_before, "kept_current": current}


def _forget(kept: dict) -> None:
    """Delete what `_keep` committed: the kept drafts and the audit rows of its pass."""
    from sqlalchemy import delete

    from sponsor_app.extensions import db
    from sponsor_app.models import AuditLog, KeptResult

    db.session.execute(delete(KeptResult))
    db.session.execute(delete(AuditLog).where(AuditLog.id > kept["audit_before"]))
    db.session.commit()


def run_app(scope: str, repeat: int, computed: bool) -> dict:
    from sponsor_app.extensions import db

    started = time.perf_counter()
    app = make_app(database_url())
    app.config["KEPT_RESULTS"] = not computed
    out = DATA_DIR / "report-district.xlsx"
    with app.app_context():
        schools = _schools(scope)
        setup = time.perf_counter() - started
        baseline = current_rss_mb()
        kept = None if computed else _keep(scope, schools, out)
        _report_1(schools[0])  # warm-up, untimed
        db.session.rollback()
        runs, documents = [], []
        try:
            for _ in range(repeat):
                clock = Clock()
                start = time.perf_counter()
                if scope == "district":
                    _district_workbook(out, clock)
                else:
                    for school in schools:
                        _report_1(school, clock)
                        db.session.rollback()  # the transaction of one school's report ends (as a command's would)
                runs.append(time.perf_counter() - start)
                documents.append(clock.document)
        finally:
            if kept is not None:
                _forget(kept)
    out.unlink(missing_ok=True)
    seconds = median(runs)
    document = documents[runs.index(seconds)] if seconds in runs else median(documents)
    return {"seconds": seconds, "runs": [round(r, 3) for r in runs], "schools": len(schools),
            "kept": not computed, "kept_current": kept["kept_current"] if kept else 0,
            "document_seconds": round(document, 3), "workbook_seconds": round(seconds - document, 3),
            "setup_seconds": round(setup, 2), "baseline_rss_mb": round(baseline, 1),
            "peak_rss_mb": round(max_rss_mb(), 1)}


def _write_bare(workbook: dict, stream_to: Path | None = None) -> None:
    """The cells with XlsxWriter and nothing else: in memory, or streamed to a file (constant_memory)."""
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    if stream_to is None:
        book = xlsxwriter.Workbook(io.BytesIO(), options | {"in_memory": True})
    else:
        book = xlsxwriter.Workbook(str(stream_to), options | {"constant_memory": True})
    for sheet in workbook["sheets"]:
        ws = book.add_worksheet(sheet["name"])
        for row, col, value in sheet["cells"]:
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(row, col, value)
            else:
                ws.write_string(row, col, str(value))
    book.close()


def run_bare(cells_file: Path, repeat: int, stream: bool) -> dict:
    import xlsxwriter  # noqa: F401 — imported before the baseline, as the app imports it

    workbooks = json.loads(cells_file.read_text())
    out = DATA_DIR / "report-bare.xlsx" if stream else None
    baseline = current_rss_mb()
    _write_bare(workbooks[0], out)  # warm-up, untimed
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for workbook in workbooks:
            _write_bare(workbook, out)
        runs.append(time.perf_counter() - start)
    if out is not None:
        out.unlink(missing_ok=True)
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
    prep.add_argument("scope", choices=SCOPES)
    prep.add_argument("cells", type=Path)
    app = sub.add_parser("app")
    app.add_argument("scope", choices=SCOPES)
    app.add_argument("--repeat", type=int, default=3)
    app.add_argument("--computed", action="store_true", help="every document computed (KEPT_RESULTS off)")
    bare = sub.add_parser("bare")
    bare.add_argument("cells", type=Path)
    bare.add_argument("--repeat", type=int, default=3)
    bare.add_argument("--stream", action="store_true", help="constant_memory to a file, as the district workbook")
    sub.add_parser("baseline")
    args = parser.parse_args(argv)

    if args.mode == "prepare":
        app_ = make_app(database_url())
        with app_.app_context():
            emit(prepare(args.scope, args.cells))
    elif args.mode == "app":
        emit(run_app(args.scope, args.repeat, args.computed))
    elif args.mode == "bare":
        emit(run_bare(args.cells, args.repeat, args.stream))
    else:
        emit(run_baseline())


if __name__ == "__main__":
    sys.exit(main())
