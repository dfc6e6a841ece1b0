"""The review database, and the only package that writes SQL.

A review is one SQLite file (the embedded default) or one database on a PostgreSQL server
(`postgresql://...`, for teams on many machines). Opening one creates it and applies any
pending migrations (users never run an upgrade step); a review written by a newer
screener is refused with a clear error. On SQLite, WAL mode and a busy timeout let
several reviewers write to one file at once.
"""

import sqlite3
from pathlib import Path

from screener.store.base import StoreBase, now
from screener.store.dedup import DedupMixin
from screener.store.dialect import is_postgres_url
from screener.store.ranking import RankingMixin
from screener.store.records import RECORD_COLUMNS, RecordsMixin, row_to_record
from screener.store.reporting import ReportingMixin
from screener.store.roles import TeamMixin
from screener.store.runs import RunsMixin
from screener.store.screening import ScreeningMixin


class Store(
    TeamMixin,
    RunsMixin,
    RecordsMixin,
    DedupMixin,
    ScreeningMixin,
    ReportingMixin,
    RankingMixin,
    StoreBase,
):
    """An open review database."""


def review_target(value: str | Path) -> str | Path:
    """A --db value as the store takes it: a URL as it is (a Path spoils its //), else a
    file path."""
    return str(value) if is_postgres_url(value) else Path(value)


def review_exists(target: str | Path) -> bool:
    """Whether a review is already there (a file, or screener's schema on the server)."""
    if not is_postgres_url(target):
        return _is_review_file(Path(target))
    from screener.store.postgres import PgConnection

    conn = PgConnection(str(target))
    try:
        return conn.execute("SELECT to_regclass('screener_schema')").fetchone()[0] is not None
    finally:
        conn.close()


def _is_review_file(path: Path) -> bool:
    """A file a command that reads may open: a review (schema set up), or one that cannot
    be read here (the store then says why: corrupt, locked ...). An empty file or a new
    SQLite file without screener's schema is no review: opening it must not make one."""
    if not path.exists():
        return False
    if path.is_file() and path.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'records'"
            ).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return True
    return version > 0 and tables > 0


__all__ = [
    "RECORD_COLUMNS",
    "Store",
    "is_postgres_url",
    "now",
    "review_exists",
    "review_target",
    "row_to_record",
]
