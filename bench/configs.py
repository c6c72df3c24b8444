"""The configurations `make bench` measures and their databases (created, dropped, recognised).

    school-sqlite   the school size on SQLite (one school's PC), file bench/.data/school.sqlite
    school-pg       the school size on PostgreSQL, database sponsor_bench_school
    district-pg     the district size on PostgreSQL, database sponsor_bench_district

PostgreSQL is reached at BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432, trust
auth as on the development machines); the databases are created and dropped there.
"""

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from .common import DATA_DIR

PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


@dataclass(frozen=True)
class BenchConfig:
    name: str
    size: str | None  # None: an existing database measured as it is (--db-url)
    backend: str  # "sqlite" | "postgresql"
    url: str
    deadline: bool  # the deadline-day run is part of this configuration

    @property
    def marker(self) -> Path:
        """What the generator produced, kept beside the data (to recognise the database later)."""
        return DATA_DIR / f"{self.name}.generated.json"

    @property
    def snapshot_file(self) -> Path:
        """The highest row ids before a run; left behind by an interrupted run, restored at the next."""
        return DATA_DIR / f"{self.name}.snapshot.json"


def standard_configs() -> list[BenchConfig]:
    return [
        BenchConfig("school-sqlite", "school", "sqlite", f"sqlite:///{DATA_DIR / 'school.sqlite'}", deadline=True),
        BenchConfig("school-pg", "school", "postgresql", f"{PG_BASE}/sponsor_bench_school", deadline=False),
        BenchConfig("district-pg", "district", "postgresql", f"{PG_BASE}/sponsor_bench_district", deadline=True),
    ]


def custom_config(url: str) -> BenchConfig:
    backend = make_url(url).get_backend_name()
    return BenchConfig("existing-" + backend, None, "postgresql" if backend.startswith("postgres") else backend,
                       url, deadline=True)


# --- PostgreSQL administration (psycopg directly: the orchestrator never imports the app) ------------

def _admin_conninfo(url: str) -> tuple[str, str]:
    """libpq connection info for the server's `postgres` database, and the database name of `url`."""
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False), parsed.database


def _admin(url: str):
    import psycopg

    conninfo, name = _admin_conninfo(url)
    return psycopg.connect(conninfo, autocommit=True), name


def database_exists(config: BenchConfig) -> bool:
    if config.backend == "sqlite":
        return Path(make_url(config.url).database).exists()
    conn, name = _admin(config.url)
    with conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def recreate_database(config: BenchConfig) -> None:
    """An empty database in place of the configuration's (dropped first when it exists)."""
    config.marker.unlink(missing_ok=True)
    config.snapshot_file.unlink(missing_ok=True)
    if config.backend == "sqlite":
        path = Path(make_url(config.url).database)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    from psycopg import sql

    conn, name = _admin(config.url)
    with conn:
        # Only the connections to this benchmark database (ours) are ended, then it is dropped.
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                     "AND pid <> pg_backend_pid()", (name,))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))


def postgres_version(url: str = PG_BASE + "/postgres") -> str | None:
    try:
        conn, _name = _admin(url)
    except Exception:  # noqa: BLE001 — no server: the version is simply unknown
        return None
    with conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def write_marker(config: BenchConfig, generated: dict) -> None:
    config.marker.parent.mkdir(parents=True, exist_ok=True)
    config.marker.write_text(json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **generated},
                                        indent=1, default=str))


def read_marker(config: BenchConfig) -> dict | None:
    try:
        return json.loads(config.marker.read_text())
    except (OSError, ValueError):
        return None
