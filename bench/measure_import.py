"""Importing a 2,000-row class list, against reading the same file with bare openpyxl (run in a
fresh process by bench/run.py):

    python -m bench.measure_import PICKS.json FILE.xlsx [--rows 2000] [--repeat 3]

The file has the shape of a CSDL ngành export (../shared/samples/csdl_nganh_lop_10A1.xlsx): title
rows, then STT | Mã định danh Bộ GD&ĐT | Họ tên | Ngày sinh | … | Lớp học | Khối học | Số định danh
cá nhân, here 50 classes of 40 new students; it is written once and kept. The app's side is what
`flask import students` does — parse and check the rows (`parse_students`), match them with the
database (`plan_students`), save (`apply_students`, then a flush) — into the current school year of
the largest school, inside a transaction rolled back afterwards, so the database stays as it was.
The bare side opens the workbook with openpyxl (read_only, values only) and iterates every row.
The app's time is also given by step (parse, plan, apply), medians of the runs.
Both run once untimed (imports, caches), then `--repeat` times.
"""

import argparse
import io
import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from .common import emit, make_app, median
from .dataset import database_url

HEADERS = ("STT", "Mã định danh Bộ GD&ĐT", "Họ tên", "Ngày sinh", "Giới tính", "Dân tộc", "Trạng thái",
           "SĐT liên hệ", "Chỗ ở hiện nay", "Tên cha", "Tên mẹ", "Lớp học", "Khối học", "Số định danh cá nhân")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Bảo", "Gia", "Khánh", "Quang", "Thanh", "Hữu")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khang", "Lan", "Linh", "Mai", "Nam",
         "Ngân", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Uyên", "Vy", "Yến")
ETHNICITY = ("Kinh", "Kinh", "Kinh", "Tày", "Ê Đê", "M'Nông", "Nùng")
PLACES = ("Thôn 3, xã Nam Bình", "Tổ dân phố 2, thị trấn Đức An", "Bon Bu Bơ, xã Trường Xuân",
          "Thôn 8, xã Nâm N'Jang", "Tổ 5, phường Nghĩa Đức")
CLASS_SIZE = 40


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def build_file(path: Path, rows: int, seed: int = 10) -> None:
    """A class list of `rows` new students in the CSDL ngành shape (50 classes of 40 for 2,000)."""
    import xlsxwriter

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = book.add_worksheet("Danh sách")
    bold = book.add_format({"bold": True})
    for row, text in ((0, "SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH MẪU"), (1, "TRƯỜNG THPT MẪU"),
                      (3, "DANH SÁCH HỌC SINH TOÀN TRƯỜNG")):
        ws.write_string(row, 0, text, bold)
    for col, header in enumerate(HEADERS):
        ws.write_string(5, col, header, bold)
    codes = rng.sample(range(10**9, 10**10), rows)
    classes = -(-rows // CLASS_SIZE)
    for i in range(rows):
        number = i // CLASS_SIZE
        grade = 10 + number * 3 // classes  # a third of the classes in each grade
        class_name = f"{grade}X{number + 1}"
        born = date(2026 - grade - 5, 1, 1) + timedelta(days=rng.randrange(365))
        values = (str(i + 1), f"{codes[i]:010d}", _name(rng), born.strftime("%d/%m/%Y"), rng.choice(("Nam", "Nữ")),
                  rng.choice(ETHNICITY), "Đang học", f"09{rng.randrange(10**8):08d}", rng.choice(PLACES),
                  _name(rng), _name(rng), class_name, str(grade), f"0{rng.randrange(10**11):011d}")
        for col, value in enumerate(values):
            ws.write_string(6 + i, col, value)
    book.close()


def bare_read(data: bytes) -> int:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = 0
    for sheet in book.worksheets:
        for _values in sheet.iter_rows(values_only=True):
            count += 1
    book.close()
    return count


def app_import(data: bytes, year) -> tuple[dict, dict]:
    """What `flask import students FILE --year …` does, up to the flush (the caller rolls back):
    its summary, and the seconds of each step."""
    from sponsor_app.extensions import db
    from sponsor_app.imports import services

    steps = {}
    start = time.perf_counter()
    result = services.parse_students(data)
    steps["parse"] = time.perf_counter() - start
    services.plan_students(result, year)
    steps["plan"] = time.perf_counter() - start - steps["parse"]
    if result.has_errors:
        raise SystemExit("The generated class list has errors:\n" + "\n".join(result.error_lines()[:10]))
    summary = services.apply_students(result, year, source="bench", planned=True)  # as the command does
    db.session.flush()
    steps["apply"] = time.perf_counter() - start - steps["parse"] - steps["plan"]
    return {"rows": summary.rows, "created": summary.created, "updated": summary.updated,
            "classes_created": len(summary.classes_created)}, steps


def measure(picks: dict, path: Path, rows: int, repeat: int) -> dict:
    from flask_babel import force_locale

    from sponsor_app.extensions import db
    from sponsor_app.models import SchoolYear

    if not path.exists():
        build_file(path, rows)
    data = path.read_bytes()

    bare_runs = []
    read_rows = bare_read(data)  # warm-up
    for _ in range(repeat):
        start = time.perf_counter()
        bare_read(data)
        bare_runs.append(time.perf_counter() - start)

    app = make_app(database_url())
    app_runs, summary, steps = [], {}, []
    with app.app_context(), force_locale("vi"):
        year_id = picks["year"]["id"]
        for i in range(repeat + 1):  # the first is the warm-up
            year = db.session.get(SchoolYear, year_id)
            start = time.perf_counter()
            summary, step = app_import(data, year)
            elapsed = time.perf_counter() - start
            db.session.rollback()
            if i:
                app_runs.append(elapsed)
                steps.append(step)
    app_s, bare_s = median(app_runs), median(bare_runs)
    return {"file_rows": read_rows, "bytes": len(data), "school": picks["school"]["name"], "year": picks["year"]["name"],
            **summary, "app_seconds": app_s, "app_runs": [round(r, 3) for r in app_runs],
            "steps_seconds": {name: round(median([s[name] for s in steps]), 3) for name in ("parse", "plan", "apply")},
            "bare_seconds": bare_s, "bare_runs": [round(r, 3) for r in bare_runs],
            "ratio": round(app_s / bare_s, 2) if bare_s else None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure_import", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("picks", type=Path, help="the JSON of `python -m bench.dataset picks`")
    parser.add_argument("file", type=Path, help="the class list (written when missing)")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    emit(measure(json.loads(args.picks.read_text()), args.file, args.rows, args.repeat))


if __name__ == "__main__":
    sys.exit(main())
