"""pytest plugin of `make mutation` (loaded by `-p tests.mutation_order`, [tool.mutmut] in pyproject.toml).

mutmut runs, against each mutant, the tests that call the mutated function, in no particular order and
stopping at the first failure (-x). The focused tests of the predicates and of the throttle go first:
they take a second each and kill most mutants, before the permission matrix and the field filtering.

A mutant of the login throttle runs the throttle's own tests only (tests/test_login_throttle.py, which
test every part of it): the permission matrix logs in through the throttle too, so it "calls" every
throttle function, but it tests who may open what, and running its thousand requests against each of
the throttle's mutants would take hours without testing the throttle any further. A permission mutant
runs everything selected (the predicates, the matrix, the field filtering).
"""

import os

FIRST = ("tests/test_permission_predicates.py", "tests/test_login_throttle.py")
THROTTLE = "sponsor_app.auth.throttle."
THROTTLE_TESTS = ("tests/test_login_throttle.py",)


def _path(item) -> str:
    return item.nodeid.split("::", 1)[0]


def _rank(item) -> int:
    path = _path(item)
    return FIRST.index(path) if path in FIRST else len(FIRST)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("MUTANT_UNDER_TEST", "").startswith(THROTTLE):
        kept = [item for item in items if _path(item) in THROTTLE_TESTS]
        dropped = [item for item in items if _path(item) not in THROTTLE_TESTS]
        if kept and dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
    items.sort(key=_rank)  # stable: within a file, the order pytest collected
