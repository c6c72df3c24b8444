"""The figure of `make mutation`: mutants killed / total per mutated file, and every survivor.

mutmut (pyproject.toml, [tool.mutmut]) leaves its results in mutants/ (one .meta file per mutated
source file). A surviving mutant is either killed by a test added for it, or listed in EQUIVALENT
below with the fragment its change contains and why no test can see it (it cannot change what the
code does). This prints, per file, killed / total and killed / (total - equivalent), the survivors
with their diff (`mutmut show`), and exits 1 when a survivor is not explained, when a mutant was not
run or had no test, or when an explanation no longer matches its mutant (the source has changed:
mutmut numbers the mutants of a function in order). The figure is also written to
test-artifacts/mutation.json.

    .venv/bin/python -m tests.mutation_report            # after `mutmut run` (make mutation does both)
"""

import json
import sys
from pathlib import Path

from sponsor_app.timeutil import local_today

ROOT = Path(__file__).resolve().parent.parent
FILES = ("sponsor_app/permissions.py", "sponsor_app/auth/throttle.py")
FIGURE = ROOT / "test-artifacts" / "mutation.json"

_LIMIT = "`.first()` reads only the first row: LIMIT 1, LIMIT 2 or no LIMIT give the same answer"
_EQUIVALENT_LIMITS = {
    f"sponsor_app.permissions.x_{function}__mutmut_{n}": (fragment, _LIMIT)
    for function, numbers in {
        "can_view_student": (6, 13), "is_homeroom_of": (2, 18), "is_mentor_of": (2, 9),
        "heads_department_of": (2, 15), "can_edit_plan": (6, 22), "is_active_mentor": (19, 20),
        "can_view_notes": (21, 28), "is_main_mentor_of": (2, 9), "is_year_closed": (2, 6),
    }.items()
    for n, fragment in zip(numbers, ("limit(None)", "limit(2)"), strict=False)
}

_JOIN = ("the ON clause SQLAlchemy infers from the only foreign key between the two tables is the one written "
         "(the same SQL, or its two sides swapped)")
_EXISTS = ("`.first() is not None` asks whether a row exists: SELECT NULL returns as many rows as SELECT id")
_P = "sponsor_app.permissions.x_"
_T = "sponsor_app.auth.throttle.x_"
_STORES = ("get() and setdefault() with one key mutated: setdefault returns the _Stores kept under its own key "
           "on every call, so each request still gets the one object of the app (get only saves the setdefault)")
_LABEL = ("the name of a counter inside its key: the counters stay distinct (their other parts differ too) "
          "and no code reads a key back")

# mutant name -> (a fragment of its changed line, why it cannot change behaviour)
EQUIVALENT: dict[str, tuple[str, str]] = {
    **_EQUIVALENT_LIMITS,
    f"{_P}visible_students__mutmut_7": (".join(ClassGroup, None)", _JOIN),
    f"{_P}visible_students__mutmut_9": (".join(ClassGroup, )", _JOIN),
    f"{_P}visible_students__mutmut_11": (".join(Enrollment, None)", _JOIN),
    f"{_P}visible_students__mutmut_13": (".join(Enrollment, )", _JOIN),
    f"{_P}is_homeroom_of__mutmut_10": (".join(Enrollment, None)", _JOIN),
    f"{_P}is_homeroom_of__mutmut_12": (".join(Enrollment, )", _JOIN),
    f"{_P}visible_screenings__mutmut_16": (".join(ClassGroup, None)", _JOIN),
    f"{_P}visible_screenings__mutmut_18": (".join(ClassGroup, )", _JOIN),
    f"{_P}can_edit_plan__mutmut_17": ("select(None)", _EXISTS),
    f"{_P}is_active_mentor__mutmut_10": ("select(None)", _EXISTS),
    f"{_P}is_year_closed__mutmut_4": ("select(None)", _EXISTS),
    f"{_P}monitored_departments__mutmut_3": (
        "order_by(Department.name, None)",
        "departments of the same name in id order or unordered: SQLite returns rows of equal name in id (rowid) "
        "order anyway, and PostgreSQL promises no order among them, so no test can tell them apart"),
    f"{_P}monitored_departments__mutmut_5": ("order_by(Department.name, )", "as mutant 3: ties in name"),
    f"{_P}monitored_departments__mutmut_13": (
        "return stmt.where(None)", "WHERE NULL selects no row, as WHERE false does (a user who monitors none)"),
    f"{_T}_stores__mutmut_1": ("stores = None", _STORES),
    f"{_T}_stores__mutmut_2": ("extensions.get(None)", _STORES),
    f"{_T}_stores__mutmut_3": ('extensions.get("XXlogin_throttleXX")', _STORES),
    f"{_T}_stores__mutmut_4": ('extensions.get("LOGIN_THROTTLE")', _STORES),
    f"{_T}_stores__mutmut_7": ("setdefault(None, _Stores())", _STORES),
    f"{_T}_stores__mutmut_11": ('setdefault("XXlogin_throttleXX"', _STORES),
    f"{_T}_stores__mutmut_12": ('setdefault("LOGIN_THROTTLE"', _STORES),
    f"{_T}_store_errors__mutmut_2": (
        "and False else (base,)", "an except clause takes nested tuples, and base is one exception class for "
        "the memory and Redis storages (the else branch is taken anyway)"),
    f"{_T}_with_counter__mutmut_2": (
        "time.monotonic() > stores.down_until",
        "differs only at the one instant time.monotonic() equals the retry time (a float)"),
    f"{_T}_digest__mutmut_2": ("hexdigest()[:33]", "a key part compared only with itself: any fixed length"),
    f"{_T}_prefix__mutmut_5": ('or "XXXX"', "with no prefix configured, keys start with one constant or another"),
    f"{_T}_address__mutmut_10": ("strict=None", "strict=None is false, as strict=False"),
    f"{_T}_counters__mutmut_6": ('"XXlogin-accountXX"', _LABEL),
    f"{_T}_counters__mutmut_7": ('"LOGIN-ACCOUNT"', _LABEL),
    f"{_T}_counters__mutmut_11": ('"XXlogin-deviceXX"', _LABEL),
    f"{_T}_counters__mutmut_12": ('"LOGIN-DEVICE"', _LABEL),
    f"{_T}_counters__mutmut_16": ('"XXloginXX"', _LABEL),
    f"{_T}_counters__mutmut_17": ('"LOGIN"', _LABEL),
    f"{_T}_counters__mutmut_21": ('"XXlogin-addressXX"', _LABEL),
    f"{_T}_counters__mutmut_22": ('"LOGIN-ADDRESS"', _LABEL),
    f"{_T}give_back__mutmut_21": (
        "reservation.taken = None", "None and [] are both false: a second give_back returns at once either way"),
    f"{_T}_device_cookie__mutmut_6": (
        "len(raw) > 1001", "only a validly signed cookie of exactly 1001 characters would tell them apart, and none "
        "can be made: compressed it is 36 + an unpadded base64 length (never 1 mod 4), uncompressed it needs 724 "
        "bytes of JSON zlib cannot shorten (the app signs at most about 300 characters)"),
    f"{_T}reserve__mutmut_49": (
        "Reservation(allowed=None, retry_at", "a refusal either way: the login reads `not attempt.allowed`"),
    f"{_T}remember_device__mutmut_6": (
        "token_hex(None)", "a random device id of 256 bits instead of 128: unguessable either way"),
    f"{_T}remember_device__mutmut_7": ("token_hex(17)", "a random device id of 136 bits instead of 128"),
    f"{_T}remember_device__mutmut_50": ('samesite="lax"', "Werkzeug writes SameSite title-cased: Lax"),
    f"{_T}remember_device__mutmut_51": ('samesite="LAX"', "Werkzeug writes SameSite title-cased: Lax"),
}


def _load(path: str) -> dict[str, int | None]:
    meta = ROOT / "mutants" / f"{path}.meta"
    if not meta.exists():
        return {}
    return json.loads(meta.read_text())["exit_code_by_key"]


def _diff(name: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        return get_diff_for_mutant(name, path=next(p for p in FILES if name.startswith(_module(p))))
    except Exception as err:  # noqa: BLE001 — the report shows what it can
        return f"(no diff: {err})"


def _module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".") + "."


def _changed_lines(diff: str) -> str:
    return "\n".join(line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))


def main() -> int:
    import os

    os.chdir(ROOT)  # mutmut reads pyproject.toml and mutants/ from the project's root
    from mutmut.stats import status_by_exit_code

    failed = False
    figure = {"date": local_today().isoformat(), "files": {}}
    for path in FILES:
        results = _load(path)
        if not results:
            print(f"{path}: no results (run `mutmut run` first)")
            failed = True
            continue
        statuses = {name: status_by_exit_code[code] for name, code in results.items()}
        total = len(statuses)
        killed = sum(s in {"killed", "timeout"} for s in statuses.values())
        timeouts = sum(s == "timeout" for s in statuses.values())
        survivors = sorted(n for n, s in statuses.items() if s == "survived")
        other = sorted((n, s) for n, s in statuses.items() if s not in {"killed", "timeout", "survived"})
        explained, unexplained, stale = [], [], []
        for name in survivors:
            if name in EQUIVALENT:
                fragment, _reason = EQUIVALENT[name]
                (explained if fragment in _changed_lines(_diff(name)) else stale).append(name)
            else:
                unexplained.append(name)
        checked = total - sum(s == "not checked" for s in statuses.values())
        equivalent = len(explained)
        share = 100 * killed / total if total else 0
        share_real = 100 * killed / (total - equivalent) if total > equivalent else 0
        print(f"{path}: {killed}/{total} mutants killed ({share:.1f} %; {timeouts} by a timeout), "
              f"{len(survivors)} survived: {equivalent} equivalent (explained below), {len(unexplained)} not "
              f"explained, {len(stale)} with a stale explanation; {len(other)} not killed otherwise "
              f"({', '.join(sorted({s for _n, s in other})) or 'none'}); {checked} of {total} run. "
              f"Killed / (total - equivalent) = {killed}/{total - equivalent} = {share_real:.1f} %")
        for name in explained:
            print(f"  equivalent {name}: {EQUIVALENT[name][1]}")
        for name in unexplained + stale:
            print(f"\n  SURVIVED {name}{' (its explanation no longer matches)' if name in stale else ''}:")
            print("    " + _diff(name).replace("\n", "\n    "))
        for name, status in other:
            print(f"  {status.upper()} {name}")
        failed |= bool(unexplained or stale or other)
        figure["files"][path] = {"total": total, "killed": killed, "timeouts": timeouts,
                                 "survived": len(survivors), "equivalent": equivalent,
                                 "unexplained": len(unexplained) + len(stale), "other": len(other),
                                 "checked": checked}
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    FIGURE.write_text(json.dumps(figure, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
