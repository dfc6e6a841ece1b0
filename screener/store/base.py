"""The open review, migrations on open, transactions and helpers shared by the store."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, Self, TypeVar

import sqlite_utils

from screener.errors import DatabaseError, DatabaseUnreachableError, ReadOnlyDatabaseError
from screener.store.connection import (
    BUSY_TIMEOUT_MS,
    ReviewConnection,
    _alive,
    check_integrity,
    connect,
    copy_into_new_file,
    copy_into_review,
)
from screener.store.dialect import POSTGRES, SQLITE, is_postgres_url
from screener.store.migrations import MIGRATIONS
from screener.store.pg_migrations import PG_MIGRATIONS

__all__ = ["BUSY_TIMEOUT_MS", "StoreBase", "_alive", "_chunks", "now", "retried"]

P = ParamSpec("P")
T = TypeVar("T")
# Two processes opening a new PostgreSQL review at once: the second waits for the first's
# migrations (a transaction-scoped advisory lock; any fixed number unique to screener).
MIGRATION_LOCK = 0x5C2EE7E2


def retried(method: Callable[P, T]) -> Callable[P, T]:
    """A write that is safe to repeat (an upsert of one person's decision) runs once more
    when the server connection broke before it committed: the store has reconnected by
    then, so a keypress is saved, not lost. If the server is still away, the error says
    the change was not saved."""

    @functools.wraps(method)
    def again(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except DatabaseUnreachableError:
            return method(*args, **kwargs)

    return again


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
        """Open a review: a SQLite file path, or a postgresql:// URL for a shared server."""
        self.target = path  # as given: another connection to the same review opens it
        if is_postgres_url(path):
            self._open_postgres(str(path))
            return
        self.dialect = SQLITE
        self.login = None  # a file has no logins: people are named by --as / --reviewer
        self.path = Path(path)
        self.location = str(self.path)
        self.conn: ReviewConnection = connect(self.path, read_only, int(busy_timeout * 1000))
        try:
            self.db = sqlite_utils.Database(self.conn)
            if check:
                self._check()
            self._migrate()
        except BaseException:
            self.conn.close()
            raise

    def _open_postgres(self, url: str) -> None:
        # Imported here so the SQLite path never loads psycopg.
        from screener.store.postgres import PgConnection

        self.dialect = POSTGRES
        self.path = None
        self.conn = PgConnection(url)
        self.location = self.conn.safe_url
        self.login: str | None = self._team_login()
        try:
            self._migrate_postgres()
        except BaseException:
            self.conn.close()
            raise

    def _team_login(self) -> str | None:
        """A reviewer's or adjudicator's login: their name in the review is the login. None
        for owners and superusers, who are trusted with every row anyway and may enter
        decisions in others' names (e.g. from paper forms): the audit log names both."""
        row = self.conn.execute(
            """SELECT current_user FROM pg_roles g, pg_roles me
               WHERE g.rolname = 'screener_reviewer' AND me.rolname = current_user
                 AND NOT me.rolsuper AND pg_has_role(current_user, g.oid, 'MEMBER')
                 AND NOT EXISTS (SELECT 1 FROM pg_roles o WHERE o.rolname = 'screener_owner'
                                 AND pg_has_role(current_user, o.oid, 'MEMBER'))"""
        ).fetchone()
        return row[0] if row else None

    @property
    def is_postgres(self) -> bool:
        return self.dialect is POSTGRES

    @property
    def read_only(self) -> bool:
        """Opened read-only (asked for, or the file, folder or disk is not writable)."""
        return False if self.is_postgres else self.conn.read_only

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
        if self.is_postgres:
            self.conn.begin()
            try:
                yield self.conn
                self.conn.commit()
            except BaseException:
                self.conn.rollback()
                raise
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
        if self._holds_other_programs_tables():
            raise DatabaseError(
                f"{self.path} is a database of another program, not a screener review; "
                "give a new file name (--db) for the review."
            )
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

    def _holds_other_programs_tables(self) -> bool:
        """Tables but no schema version: another program's database. Both are read by one
        statement, one snapshot: read apart, another process creating this review could
        commit its first migration in between, and the review would look foreign."""
        version, tables = self.conn.execute(
            "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM "
            "sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%')"
        ).fetchone()
        return version == 0 and tables > 0

    def _pending(self, version: int) -> bool:
        if version > len(MIGRATIONS):
            raise DatabaseError(
                f"{self.path} was written by a newer screener (schema {version}, this one "
                f"knows {len(MIGRATIONS)}); upgrade screener to open it."
            )
        return version < len(MIGRATIONS)

    def _migrate_postgres(self) -> None:
        """Bring a PostgreSQL review up to date under an advisory lock, in one transaction:
        two processes opening a new review at once never race, and a failed step leaves
        the schema as it was."""
        with self.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            version = self._pg_version()
            target = len(MIGRATIONS)
            if version > target:
                raise DatabaseError(
                    f"{self.location} was written by a newer screener (schema {version}, "
                    f"this one knows {target}); upgrade screener to open it."
                )
            if len(PG_MIGRATIONS) < target and version < target:
                raise DatabaseError(
                    f"this screener cannot yet bring a PostgreSQL review to schema {target} "
                    f"(step {len(PG_MIGRATIONS) + 1} has no PostgreSQL version); the review "
                    "was left unchanged. Use a SQLite file, or a screener that has it."
                )
            for number in range(version + 1, target + 1):
                self.conn.executescript(PG_MIGRATIONS[number - 1])
                self.conn.execute("UPDATE screener_schema SET version = ?", (number,))

    def _pg_version(self) -> int:
        exists = self.conn.execute("SELECT to_regclass('screener_schema')").fetchone()[0]
        if exists is None:
            self.conn.execute("CREATE TABLE screener_schema (version INTEGER NOT NULL)")
            self.conn.execute("INSERT INTO screener_schema (version) VALUES (0)")
            return 0
        return self.conn.execute("SELECT version FROM screener_schema").fetchone()[0]

    def _check(self) -> None:
        """PRAGMA quick_check: refuse a damaged file before anything reads or writes it."""
        check_integrity(self.conn, self.path)

    @property
    def schema_version(self) -> int:
        if self.is_postgres:
            return self.conn.execute("SELECT version FROM screener_schema").fetchone()[0]
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # ---- backups ---------------------------------------------------------------------

    def backup_to(self, dest: Path, replace: bool = False) -> None:
        """Copy the review as it is at one moment to `dest` with SQLite's online backup
        API (one read transaction: safe while others write). A new `dest` is written
        beside it, checked and renamed into place (0600); an existing review is replaced
        only when `replace`, through SQLite's own locking (safe even if it is open)."""
        if self.is_postgres:
            raise DatabaseError(
                "screener backup copies a SQLite review; back up a PostgreSQL review with the "
                "server's own tools (pg_dump), or copy it to a file with `screener review copy`."
            )
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
