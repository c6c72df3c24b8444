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

# mutant name -> (a fragment of its changed line, why it cannot change behaviour)
EQUIVALENT: dict[str, tuple[str, str]] = {
    **_EQUIVALENT_LIMITS,
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
