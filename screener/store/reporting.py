"""Read-only views for reports: where each record came from, and any table's rows as
they stood on a past date (replayed from the append-only audit log)."""

from __future__ import annotations

import json
import sqlite3


class ReportingMixin:
    conn: sqlite3.Connection

    def record_origins(self, as_of: str | None = None) -> list[tuple[int, str, str, str]]:
        """(record id, database, method, first seen) for every record identified by a run
        started on or before `as_of` (an ISO date or timestamp; None for now)."""
        sql = """SELECT rr.record_id, MIN(ru.database), MIN(COALESCE(ru.method, '')),
                        MIN(ru.started)
                 FROM run_records rr JOIN runs ru ON ru.id = rr.run_id"""
        args: tuple = ()
        if as_of:
            sql += " WHERE ru.started <= ?"
            args = (_end_of(as_of),)
        rows = self.conn.execute(sql + " GROUP BY rr.record_id ORDER BY rr.record_id", args)
        return [tuple(row) for row in rows]

    def rows_as_of(self, table: str, as_of: str | None) -> list[dict]:
        """The rows of an audited table now, or as they stood at the end of `as_of`."""
        if table not in ("decisions", "resolutions", "duplicates"):
            raise ValueError(f"{table} is not an audited table")
        if not as_of:
            return [dict(row) for row in self.conn.execute(f"SELECT * FROM {table}")]
        rows = self.conn.execute(
            """SELECT entity_id, new FROM audit_log WHERE entity = ? AND at <= ?
               ORDER BY id""",
            (table, _end_of(as_of)),
        )
        state: dict[str, str | None] = {}
        for entity_id, new in rows:
            state[entity_id] = new  # a delete leaves None
        return [json.loads(value) for value in state.values() if value]

    def search_runs(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM runs WHERE kind = 'search' ORDER BY started"
        ).fetchall()


def _end_of(as_of: str) -> str:
    """'2025-05-10' means the whole day: compare against its last instant."""
    return as_of + "T23:59:59.999999Z" if len(as_of) == 10 else as_of
