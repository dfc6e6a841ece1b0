"""The open review, migrations on open, transactions and helpers shared by the store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import sqlite_utils

from screener.errors import DatabaseError, ReadOnlyDatabaseError
from screener.store.connection import (
    BUSY_TIMEOUT_MS,
    ReviewConnection,
    _alive,
    check_integrity,
    connect,
    copy_into_new_file,
    copy_into_review,
)
from screener.store.migrations import MIGRATIONS

__all__ = ["BUSY_TIMEOUT_MS", "StoreBase", "_alive", "_chunks", "now"]


def now() -> str:
    """UTC timestamp with seconds, as stored everywhere."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class StoreBase:
    """An open review database: connection, schema and transactions.

    `read_only=True` opens without ever writing (a review the user may not write is
    opened so anyway); `check=False` skips the integrity check on open (for extra
    connections of a process that already checked); `busy_timeout` is how many seconds
    a writer waits for another one's lock before giving up.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        check: bool = True,
        busy_timeout: float = BUSY_TIMEOUT_MS / 1000,
    ) -> None:
        self.path = Path(path)
        self.conn: ReviewConnection = connect(self.path, read_only, int(busy_timeout * 1000))
        try:
            self.db = sqlite_utils.Database(self.conn)
            if check:
                self._check()
            self._migrate()
        except BaseException:
            self.conn.close()
            raise

    @property
    def read_only(self) -> bool:
        """Opened read-only (asked for, or the file, folder or disk is not writable)."""
        return self.conn.read_only

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: writers queue on the lock instead of failing late.
        Nothing is kept when the body or the commit fails (a full disk, a kill).

        Re-entrant: inside an open transaction it joins it, so a use case can make several
        store writes all-or-nothing (e.g. a whole decisions file)."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # SQLite may already have rolled back (SQLITE_FULL, an I/O error); a failing
        # ROLLBACK must not hide the error that caused it.
        if self.conn.in_transaction:
            with suppress(sqlite3.Error, DatabaseError):
                self.conn.execute("ROLLBACK")

    # ---- schema ----------------------------------------------------------------------

    def _migrate(self) -> None:
        """Apply pending migrations, one transaction each. The version is read again under
        the write lock: several processes opening a new review at once must not all apply
        the same migration."""
        while self._pending(self.schema_version):
            if self.read_only:
                raise ReadOnlyDatabaseError(
                    f"{self.path} was written by an older screener and must be upgraded "
                    f"(schema {self.schema_version} to {len(MIGRATIONS)}), which needs write "
                    "access: open it once with write access."
                )
            with self.transaction():
                version = self.schema_version
                if self._pending(version):
                    MIGRATIONS[version](self.db)
                    self.conn.execute(f"PRAGMA user_version = {version + 1}")

    def _pending(self, version: int) -> bool:
        if version > len(MIGRATIONS):
            raise DatabaseError(
                f"{self.path} was written by a newer screener (schema {version}, this one "
                f"knows {len(MIGRATIONS)}); upgrade screener to open it."
            )
        return version < len(MIGRATIONS)

    def _check(self) -> None:
        """PRAGMA quick_check: refuse a damaged file before anything reads or writes it."""
        check_integrity(self.conn, self.path)

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # ---- backups ---------------------------------------------------------------------

    def backup_to(self, dest: Path, replace: bool = False) -> None:
        """Copy the review as it is at one moment to `dest` with SQLite's online backup
        API (one read transaction: safe while others write). A new `dest` is written
        beside it, checked and renamed into place (0600); an existing review is replaced
        only when `replace`, through SQLite's own locking (safe even if it is open)."""
        if dest.exists():
            if not replace:
                raise FileExistsError(dest)
            copy_into_review(self.conn, dest)
        else:
            copy_into_new_file(self.conn, dest)

    # ---- searches and runs -----------------------------------------------------------
    def audit_entries(self, limit: int = 100) -> list[dict]:
        rows = self.conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(row) for row in rows]


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
