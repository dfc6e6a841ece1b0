"""The review database: one SQLite file per review, and the only module that writes SQL.

Opening a file creates it and applies any pending migrations (users never run an
upgrade step); a file written by a newer screener is refused with a clear error.
WAL mode and a busy timeout let several reviewers write to one file at once.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from screener.errors import DatabaseError, NotFoundError
from screener.migrations import MIGRATIONS
from screener.models import Record, Run

BUSY_TIMEOUT_MS = 60_000
_JSON_FIELDS = ("authors", "publication_types", "keywords", "mesh", "flags", "relations")
RECORD_COLUMNS = Record.field_names()


def now() -> str:
    """UTC timestamp with seconds, as stored everywhere."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Store:
    """An open review database."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.conn = _connect(self.path)
        self.db = sqlite_utils.Database(self.conn)
        self._migrate()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: writers queue on the lock instead of failing late."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # ---- schema ----------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise DatabaseError(
                f"{self.path} was written by a newer screener (schema {version}, this one "
                f"knows {len(MIGRATIONS)}); upgrade screener to open it."
            )
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                migration(self.db)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # ---- searches and runs -----------------------------------------------------------

    def save_search(self, name: str, path: str, description: str, text: str) -> None:
        with self.transaction():
            self.conn.execute(
                """INSERT INTO searches (name, path, description, definition, saved_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(name) DO UPDATE SET path = excluded.path,
                     description = excluded.description, definition = excluded.definition,
                     saved_at = excluded.saved_at""",
                (name, path, description, text, now()),
            )

    def list_searches(self) -> list[dict]:
        rows = self.conn.execute(
            """SELECT s.name, s.path, s.description, s.saved_at,
                      COUNT(r.id) AS runs, MAX(r.started) AS last_run
               FROM searches s LEFT JOIN runs r ON r.search_name = s.name
               GROUP BY s.name ORDER BY s.name"""
        )
        return [dict(row) for row in rows]

    def start_run(self, **fields: object) -> int:
        """Insert a run marked running, owned by this process; return its id."""
        fields = dict(fields)
        fields.setdefault("started", now())
        fields.update(status="running", pid=os.getpid(), host=socket.gethostname())
        columns = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        with self.transaction():
            cursor = self.conn.execute(
                f"INSERT INTO runs ({columns}) VALUES ({marks})", tuple(fields.values())
            )
        return int(cursor.lastrowid)

    def update_run(self, run_id: int, **fields: object) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction():
            self.conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", (*fields.values(), run_id))

    def finish_run(self, run_id: int, status: str, error: str = "", **fields: object) -> Run:
        """Close a run: its stored/new counts are counted from run_records, not trusted."""
        with self.transaction():
            stored, new = self.conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(is_new), 0) FROM run_records WHERE run_id = ?",
                (run_id,),
            ).fetchone()
            values = dict(fields, status=status, error=error, finished=now())
            values.update(count_stored=stored, count_new=new)
            sets = ", ".join(f"{k} = ?" for k in values)
            self.conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", (*values.values(), run_id))
        return self.get_run(run_id)

    def mark_interrupted_runs(self) -> int:
        """Runs left 'running' by a process that is gone (killed, crashed) are interrupted."""
        host = socket.gethostname()
        rows = self.conn.execute(
            "SELECT id, pid, host FROM runs WHERE status = 'running'"
        ).fetchall()
        dead = [r["id"] for r in rows if r["host"] != host or not _alive(r["pid"])]
        if dead:
            with self.transaction():
                self.conn.executemany(
                    """UPDATE runs SET status = 'interrupted', finished = ?,
                         error = 'the process running it stopped before it finished'
                       WHERE id = ?""",
                    [(now(), run_id) for run_id in dead],
                )
                for run_id in dead:
                    self._recount(run_id)
        return len(dead)

    def _recount(self, run_id: int) -> None:
        self.conn.execute(
            """UPDATE runs SET
                 count_stored = (SELECT COUNT(*) FROM run_records WHERE run_id = :id),
                 count_new = (SELECT COALESCE(SUM(is_new), 0) FROM run_records
                              WHERE run_id = :id)
               WHERE id = :id""",
            {"id": run_id},
        )

    def get_run(self, run_id: int) -> Run:
        row = self.conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"there is no run {run_id}; `screener search log` lists runs.")
        return _run(row)

    def list_runs(self, search_name: str | None = None) -> list[Run]:
        sql = "SELECT * FROM runs"
        args: tuple = ()
        if search_name:
            sql += " WHERE search_name = ?"
            args = (search_name,)
        return [_run(row) for row in self.conn.execute(sql + " ORDER BY id", args)]

    def find_import(self, sha256: str) -> Run | None:
        row = self.conn.execute(
            "SELECT * FROM runs WHERE file_sha256 = ? AND status = 'completed' ORDER BY id",
            (sha256,),
        ).fetchone()
        return _run(row) if row else None

    # ---- records ---------------------------------------------------------------------

    def known_ids(self, source: str, source_ids: Iterable[str]) -> dict[str, int]:
        """Map the given source ids that are already stored to their record ids."""
        found: dict[str, int] = {}
        ids = list(source_ids)
        for chunk in _chunks(ids, 900):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT source_id, id FROM records WHERE source = ? AND source_id IN ({marks})",
                (source, *chunk),
            )
            found.update({row[0]: row[1] for row in rows})
        return found

    def add_records(self, run_id: int, records: Sequence[Record]) -> tuple[int, int]:
        """Store records (new ones inserted, known ones left as they are) and link them to
        the run, in one transaction. Returns (linked, new)."""
        stamp = now()
        new = 0
        with self.transaction():
            for record in records:
                cursor = self.conn.execute(_INSERT_RECORD, (*_record_values(record), run_id, stamp))
                is_new = cursor.rowcount == 1
                new += is_new
                record_id = (
                    cursor.lastrowid
                    if is_new
                    else self.conn.execute(
                        "SELECT id FROM records WHERE source = ? AND source_id = ?",
                        (record.source, record.source_id),
                    ).fetchone()[0]
                )
                self.conn.execute(
                    "INSERT OR IGNORE INTO run_records (run_id, record_id, is_new) VALUES (?,?,?)",
                    (run_id, record_id, int(is_new)),
                )
        return len(records), new

    def link_records(self, run_id: int, record_ids: Iterable[int]) -> None:
        """Note that a run returned records already stored (found again, not new)."""
        with self.transaction():
            self.conn.executemany(
                "INSERT OR IGNORE INTO run_records (run_id, record_id, is_new) VALUES (?, ?, 0)",
                [(run_id, rid) for rid in record_ids],
            )

    def get_record(self, record_id: int) -> Record:
        row = self.conn.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"there is no record {record_id}.")
        return row_to_record(row)

    def iter_records(self, source: str | None = None) -> Iterator[tuple[int, Record]]:
        sql, args = "SELECT * FROM records", ()
        if source:
            sql, args = sql + " WHERE source = ?", (source,)
        for row in self.conn.execute(sql + " ORDER BY id", args):
            yield row["id"], row_to_record(row)

    def records_to_enrich(self, only_gaps: bool, again: bool) -> list[tuple[int, Record]]:
        """Records with a DOI to look up in Crossref: those with gaps, or all of them;
        by default only those never looked up."""
        sql = "SELECT * FROM records WHERE doi != ''"
        if only_gaps:
            sql += " AND (abstract = '' OR journal = '' OR year IS NULL)"
        if not again:
            sql += " AND enriched_at IS NULL"
        return [(row["id"], row_to_record(row)) for row in self.conn.execute(sql + " ORDER BY id")]

    def save_enrichment(self, record_id: int, record: Record, filled: Sequence[str]) -> None:
        """Write the fields Crossref filled (never others) and note the lookup."""
        names = [name for name in filled if name in RECORD_COLUMNS]
        values = dict(zip(RECORD_COLUMNS, _record_values(record), strict=True))
        sets = "".join(f"{name} = :{name}, " for name in names)
        params = {name: values[name] for name in names}
        params.update(id=record_id, at=now(), filled=json.dumps(list(filled)))
        with self.transaction():
            self.conn.execute(
                f"UPDATE records SET {sets}updated_at = CASE WHEN :filled != '[]' THEN :at "
                "ELSE updated_at END, enriched_at = :at, enriched_fields = :filled WHERE id = :id",
                params,
            )

    def count_records(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]

    def audit_entries(self, limit: int = 100) -> list[dict]:
        rows = self.conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(row) for row in rows]


_INSERT_RECORD = (
    f"INSERT OR IGNORE INTO records ({', '.join(RECORD_COLUMNS)}, first_run_id, added_at) "
    f"VALUES ({', '.join('?' * (len(RECORD_COLUMNS) + 2))})"
)


def _record_values(record: Record) -> tuple:
    values = []
    for name in RECORD_COLUMNS:
        value = getattr(record, name)
        values.append(json.dumps(value, ensure_ascii=False) if name in _JSON_FIELDS else value)
    return tuple(values)


def row_to_record(row: sqlite3.Row) -> Record:
    values = {}
    for name in RECORD_COLUMNS:
        value = row[name]
        if name in _JSON_FIELDS:
            loaded = json.loads(value) if value else []
            value = tuple(tuple(v) if isinstance(v, list) else v for v in loaded)
        elif value is None and name != "year":
            value = ""
        values[name] = value
    return Record(**values)


def _run(row: sqlite3.Row) -> Run:
    names = Run.__dataclass_fields__
    values = {name: row[name] for name in names}
    for text in ("query", "query_translation", "date_field", "date_from", "date_to", "filters"):
        values[text] = values[text] or ""
    for text in (
        "method",
        "file_name",
        "file_sha256",
        "finished",
        "error",
        "search_name",
        "warnings",
    ):
        values[text] = values[text] or ""
    values["count_stored"] = values["count_stored"] or 0
    values["count_new"] = values["count_new"] or 0
    return Run(**values)


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except (sqlite3.DatabaseError, OSError) as exc:
        raise DatabaseError(
            f"cannot open the review database {path}: {exc}. Check the path (--db or "
            "SCREENER_DB) points to a screener review file you may write."
        ) from None
    return conn


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
