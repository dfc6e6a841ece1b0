"""Copying a whole review between backends (SQLite ⇄ PostgreSQL), verified.

Part of the store layer. Every table is copied row for row with its ids, the audit log
included, in one transaction on the destination; the destination's audit triggers are
switched off for the copy (the log is copied as it was, not written again) and back on
before the commit. Afterwards each table's row count and a SHA-256 over its rows in key
order must be equal on both sides, or the copy is rolled back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from screener.errors import DatabaseError

# In foreign-key order; each with the columns that order its rows.
TABLES: tuple[tuple[str, str], ...] = (
    ("searches", "name"),
    ("runs", "id"),
    ("records", "id"),
    ("run_records", "run_id, record_id"),
    ("dedup_pairs", "a, b"),
    ("duplicates", "record_id"),
    ("decisions", "record_id, stage, reviewer"),
    ("resolutions", "record_id, stage"),
    ("fulltexts", "record_id"),
    ("settings", "key"),
    ("search_locks", "search_name"),
    ("ranking_features", "id"),
    ("audit_log", "id"),
)
_IDENTITY = ("runs", "records", "audit_log")
BATCH = 1000


@dataclass(frozen=True)
class TableCopied:
    """One table: rows on each side and the checksum they share."""

    table: str
    rows: int
    sha256: str


def copy_review(
    source: Any, dest: Any, progress: Callable[[str, int], None] | None = None
) -> list[TableCopied]:
    """Copy every row of `source` into the empty review `dest`; verify counts and
    checksums. Both are open `Store`s at the same schema version."""
    if source.schema_version != dest.schema_version:
        raise DatabaseError(
            f"{source.location} is at schema {source.schema_version} and {dest.location} at "
            f"{dest.schema_version}: open both with this screener first."
        )
    for table, _ in TABLES:
        if dest.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
            raise DatabaseError(
                f"{dest.location} already holds a review ({table} has rows); copy into a new "
                "file or an empty database."
            )
    with dest.transaction():
        triggers = _switch_off_audit(dest)
        for table, order in TABLES:
            columns = _columns(source, table)
            marks = ", ".join("?" for _ in columns)
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            for batch in _batches(source, table, columns, order):
                dest.conn.executemany(insert, batch)
                if progress:
                    progress(table, len(batch))
        _switch_on_audit(dest, triggers)
        if dest.is_postgres:
            for table in _IDENTITY:
                dest.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
        copied = verify(source, dest)
    return copied


def count_rows(store: Any) -> int:
    """How many rows a copy moves."""
    return sum(
        store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table, _ in TABLES
    )


def verify(source: Any, dest: Any) -> list[TableCopied]:
    """Each table's count and checksum on both sides; DatabaseError if any differs."""
    report = []
    for table, order in TABLES:
        columns = _columns(source, table)
        mine = _digest(source, table, columns, order)
        theirs = _digest(dest, table, columns, order)
        if mine != theirs:
            raise DatabaseError(
                f"the copy of {table} differs ({mine[0]} rows and {theirs[0]} copied, or "
                "their contents): nothing was kept."
            )
        report.append(TableCopied(table, mine[0], mine[1]))
    return report


def _columns(store: Any, table: str) -> list[str]:
    row = store.conn.execute(f"SELECT * FROM {table} LIMIT 0")
    return [d[0] for d in row.description]


def _batches(store: Any, table: str, columns: list[str], order: str) -> Iterator[list]:
    cursor = store.conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    while True:
        rows = cursor.fetchmany(BATCH)
        if not rows:
            return
        yield [tuple(row) for row in rows]


def _digest(store: Any, table: str, columns: list[str], order: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for batch in _batches(store, table, columns, order):
        for row in batch:
            digest.update(json.dumps([_plain(v) for v in row], ensure_ascii=False).encode())
            count += 1
    return count, digest.hexdigest()


def _plain(value: Any) -> Any:
    # Both servers give int, float, str, bytes or None; a float by its exact value.
    if isinstance(value, float | bytes | bytearray | memoryview):
        return value.hex() if isinstance(value, float) else bytes(value).hex()
    return value


def _switch_off_audit(dest: Any) -> list[str]:
    """Stop the audit triggers for the copy: on PostgreSQL disable them (transactional);
    on SQLite drop them, keeping their SQL to create them again."""
    if dest.is_postgres:
        for table, _ in TABLES:
            dest.conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        return []
    rows = dest.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    ).fetchall()
    for name, _ in rows:
        dest.conn.execute(f'DROP TRIGGER "{name}"')
    return [sql for _, sql in rows]


def _switch_on_audit(dest: Any, triggers: list[str]) -> None:
    if dest.is_postgres:
        for table, _ in TABLES:
            dest.conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    for sql in triggers:
        dest.conn.execute(sql)
