"""The figures the reliability and security tests measure: printed (see them with `pytest -s`) and
kept in test-artifacts/security-figures.json, per database backend, for the README to quote."""

import json
import os
from pathlib import Path

from sqlalchemy.engine import make_url

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FIGURES = ARTIFACTS / "security-figures.json"


def backend(db_url: str) -> str:
    return make_url(db_url).get_backend_name()


def record(db_url: str, name: str, line: str, **values) -> None:
    """Print `line` and store `values` (and the line) under `name` for this run's backend."""
    print(f"\n[figure] {line}")
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        data = json.loads(FIGURES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data.setdefault(backend(db_url), {})[name] = {"summary": line, **values}
    tmp = FIGURES.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(FIGURES)
