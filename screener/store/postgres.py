"""A PostgreSQL connection that looks to the repository classes like SQLite's.

Part of the store layer, imported only when --db names a PostgreSQL server (the SQLite path
never imports psycopg). It offers the small part of `sqlite3.Connection` the store uses
(`execute`, `executemany`, rows readable by position and by column name), translates SQL
through the PostgreSQL dialect, turns driver errors into screener's own, and reconnects
after the server restarts: a statement outside a transaction is retried on the new
connection; inside one, the caller hears that nothing of it was saved.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Sequence
from typing import Any

from screener.errors import DatabaseError, DatabaseUnreachableError
from screener.store.dialect import POSTGRES

try:
    import psycopg
    from psycopg import errors as pg_errors
except ImportError:  # pragma: no cover - depends on the installed extras
    psycopg = None

RECONNECT_SECONDS = 30.0
WRITE_LOCK = 0x5C2EE7E1  # the review's one writer lock (transaction-scoped advisory lock)


class Row(tuple):
    """A result row: `row[0]`, `row["name"]`, `dict(row)`, like `sqlite3.Row`."""

    _index: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    names = [column.name for column in cursor.description or ()]
    index = {name: position for position, name in enumerate(names)}

    def make(values: Sequence[Any]) -> Row:
        row = tuple.__new__(Row, values)
        row._index = index
        return row

    return make


class PgConnection:
    """An autocommit psycopg connection: transactions are explicit BEGIN ... COMMIT, as the
    store does them on SQLite."""

    dialect = POSTGRES

    def __init__(self, url: str) -> None:
        if psycopg is None:
            raise DatabaseError(
                "this review is on a PostgreSQL server but psycopg is not installed: "
                "pip install 'screener[postgres]'."
            )
        self.url = url
        self.in_transaction = False
        self._conn = _connect(url)

    @property
    def user(self) -> str:
        """The authenticated role this connection runs as."""
        return self.execute("SELECT current_user").fetchone()[0]

    def execute(self, sql: str, params: Sequence | dict = ()) -> Any:
        return self._run(lambda conn: conn.execute(POSTGRES.translate(sql), _params(params)), sql)

    def executemany(self, sql: str, rows: Iterable[Sequence | dict]) -> Any:
        rows = [_params(row) for row in rows]

        def many(conn: Any) -> Any:
            cursor = conn.cursor()
            if rows:
                cursor.executemany(POSTGRES.translate(sql), rows)
            return cursor

        return self._run(many, sql)

    def executescript(self, sql: str) -> None:
        """Run several statements as written (schema steps): no placeholders, no translation."""
        self._run(lambda conn: conn.execute(sql), sql)

    @property
    def safe_url(self) -> str:
        return _safe(self.url)

    def begin(self) -> None:
        """BEGIN, then queue behind any other writer, as SQLite's BEGIN IMMEDIATE does:
        code that reads and then writes in one transaction (a lock row, a diff of links)
        is as safe here as there, and writers never deadlock on each other's rows.
        Readers are never blocked."""
        self.execute(POSTGRES.begin)
        self.in_transaction = True
        self.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))

    def commit(self) -> None:
        self.in_transaction = False
        self.execute("COMMIT")

    def rollback(self) -> None:
        if not self.in_transaction:
            return
        self.in_transaction = False
        if not self._conn.closed:
            # If the transaction died with its connection there is nothing to undo.
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()

    def reconnect(self) -> None:
        """A new connection after the old one broke (the server restarted)."""
        self._conn.close()
        self._conn = _connect(self.url, wait=RECONNECT_SECONDS)

    def _run(self, call: Any, sql: str) -> Any:
        try:
            return call(self._conn)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if not _connection_lost(self._conn, exc):
                raise _translate(exc, sql) from None
            if self.in_transaction:
                # The transaction is gone with the connection: say so; the next call
                # reconnects, and the caller may run the whole write again.
                self.in_transaction = False
                self._reconnect_quietly()
                raise DatabaseUnreachableError(
                    "the connection to the review server broke before this change was "
                    "committed, so it was NOT saved; it is safe to do it again."
                ) from None
            self.reconnect()
            try:
                return call(self._conn)
            except psycopg.Error as again:
                raise _translate(again, sql) from None
        except psycopg.Error as exc:
            raise _translate(exc, sql) from None

    def _reconnect_quietly(self) -> None:
        with contextlib.suppress(DatabaseError):  # still down: the next call says so
            self.reconnect()


def _params(params: Sequence | dict) -> Sequence | dict:
    return params if isinstance(params, dict) else tuple(params)


def _connect(url: str, wait: float = 0.0) -> Any:
    """Connect with libpq's own rules (PGHOST, PGUSER, PGPASSWORD, ~/.pgpass, PGSSLMODE);
    keep trying for `wait` seconds while the server is starting up again."""
    deadline = time.monotonic() + wait
    delay = 0.2
    while True:
        try:
            return psycopg.connect(url, autocommit=True, row_factory=_row_factory)
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                raise DatabaseUnreachableError(
                    f"cannot reach the review server {_safe(url)}: {_first_line(exc)}. "
                    "Check the URL (--db or SCREENER_DB), that the server runs, and your "
                    "login (PGUSER, PGPASSWORD or ~/.pgpass)."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _connection_lost(conn: Any, exc: Exception) -> bool:
    return conn.closed or conn.broken or isinstance(exc, psycopg.InterfaceError)


def _translate(exc: Exception, sql: str) -> DatabaseError:
    """A driver error as screener's own: what went wrong and what to do."""
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return DatabaseError(
            f"the review server refused this: {_first_line(exc)}. Your role may not do it; "
            "ask the review's owner (`screener review grant`)."
        )
    if isinstance(exc, pg_errors.RaiseException):
        return DatabaseError(f"the review server refused this: {_first_line(exc)}.")
    if isinstance(exc, psycopg.OperationalError):
        return DatabaseUnreachableError(f"the review server failed: {_first_line(exc)}.")
    if isinstance(exc, psycopg.IntegrityError):
        return DatabaseError(f"the review database refused a change: {_first_line(exc)}.")
    return DatabaseError(f"the review server answered with an error: {_first_line(exc)}.")


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "(unreadable URL)"
    info.pop("password", None)
    host = info.get("host", "localhost")
    return f"{info.get('user', '')}@{host}/{info.get('dbname', '')}".lstrip("@")
