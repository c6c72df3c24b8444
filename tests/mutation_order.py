"""pytest plugin of `make mutation` (loaded by `-p tests.mutation_order`, [tool.mutmut] in pyproject.toml).

mutmut runs, against each mutant, the tests that call the mutated function, in no particular order and
stopping at the first failure (-x). The focused tests of the predicates and of the throttle go first:
they take a second each and kill most mutants, before the permission matrix and the field filtering.
"""

FIRST = ("tests/test_permission_predicates.py", "tests/test_login_throttle.py")


def _rank(item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return FIRST.index(path) if path in FIRST else len(FIRST)


def pytest_collection_modifyitems(items):
    items.sort(key=_rank)  # stable: within a file, the order pytest collected
