"""Shared test fixtures: where ../shared is, temporary review databases, CLI runner.

Review databases come on both backends: `review_db` (and `store`, which opens it) is a
fresh SQLite file, or a fresh database on one PostgreSQL server per test session, started
by `pgserver` in a temporary directory (`--backend sqlite|postgresql|both`, default both).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from screener.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is absent ({path} not found): real recordings are not here")
    return path


BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=(*BACKENDS, "both"),
        default=os.environ.get("SCREENER_TEST_BACKEND", "both"),
        help="Which review database backend the store-using tests run on (default both).",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--backend")
        metafunc.parametrize("backend", BACKENDS if chosen == "both" else (chosen,))


class PgServer:
    """One private PostgreSQL server for the test session; a new database per test."""

    def __init__(self) -> None:
        pgserver = pytest.importorskip("pgserver", reason="pgserver is not installed")
        psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")
        # Not under pytest's tmp dir: that is private to root, and pgserver runs the
        # server as its own unprivileged user when started as root.
        self.dir = Path(tempfile.mkdtemp(prefix="screener-pg-"))
        self.server = pgserver.get_server(self.dir, cleanup_mode="delete")
        self.admin = psycopg.connect(self.server.get_uri(), autocommit=True)
        # A throwaway server: no test needs it to survive a power cut, and not syncing
        # makes each test's CREATE DATABASE cheap (the restart test has its own server).
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            self.admin.execute(f"ALTER SYSTEM SET {setting} = off")
        self.admin.execute("SELECT pg_reload_conf()")
        self.socket = psycopg.conninfo.conninfo_to_dict(self.server.get_uri())["host"]

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@/{database}?host={self.socket}"

    def new_database(self) -> str:
        name = "review_" + uuid.uuid4().hex[:12]
        self.admin.execute(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        # Connections a failed test left open must not keep the server from stopping.
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname IS NOT NULL"
        )
        self.admin.close()
        self.server.cleanup()


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    server = PgServer()
    yield server
    server.close()


@pytest.fixture
def review_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a fresh review lives: a SQLite file path or a postgresql:// URL."""
    if backend == "sqlite":
        yield str(tmp_path / "review.sqlite")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.new_database()
    yield server.url(name)
    server.drop_database(name)  # keeps the server's directory small


@pytest.fixture
def store(review_db: str) -> Store:
    with Store(review_db) as opened:
        yield opened


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
