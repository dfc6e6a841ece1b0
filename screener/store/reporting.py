"""Read-only views for reports: where each record came from, and any table's rows as
they stood on a past date (replayed from the append-only audit log).

A change counts from when it was written (the log's `at`), except a decision: it counts
from its own time (`decided_at`), which `decisions import` takes from the file (a pilot
screened in a spreadsheet last month is dated last month, not the day of the import). A
change that only restores or edits a decision of an earlier time (undo, a new note, the
same file imported again) is no new decision: it counts from when it was written."""

from __future__ import annotations

import json
import sqlite3

from screener.models import Run
from screener.screening.decision_time import stored_time
from screener.store.runs import run_from_row


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
        end = _end_of(as_of)
        if table == "decisions":
            return _replay_decisions(self.conn, end)
        rows = self.conn.execute(
            """SELECT entity_id, new FROM audit_log WHERE entity = ? AND at <= ?
               ORDER BY id""",
            (table, end),
        )
        state: dict[str, str | None] = {}
        for entity_id, new in rows:
            state[entity_id] = new  # a delete leaves None
        return [json.loads(value) for value in state.values() if value]

    def search_runs(self) -> list[Run]:
        rows = self.conn.execute("SELECT * FROM runs WHERE kind = 'search' ORDER BY started, id")
        return [run_from_row(row) for row in rows]


def _replay_decisions(conn: sqlite3.Connection, end: str) -> list[dict]:
    """The decisions as they stood at `end`: each change in log order, counted from the
    decision's own time when it brings a new one, else from when it was written."""
    # A change counts from its write time or an earlier decision time, so nothing later
    # than `end` by both can count; an earlier change of the same decision always passes.
    rows = conn.execute(
        """SELECT entity_id, at, new FROM audit_log WHERE entity = 'decisions'
             AND (at <= ? OR json_extract(new, '$.decided_at') <= ?)
           ORDER BY id""",
        (end, end),
    )
    seen: dict[str, set[str]] = {}  # decision times already written, per decision
    state: dict[str, dict | None] = {}
    for entity_id, at, new in rows:
        row = json.loads(new) if new else None
        decided = stored_time(row.get("decided_at")) if row else None
        times = seen.setdefault(entity_id, set())
        when = decided if decided and decided not in times else at
        if decided:
            times.add(decided)
        if when <= end:
            state[entity_id] = row  # a delete leaves None
    return [row for row in state.values() if row]


def _end_of(as_of: str) -> str:
    """'2025-05-10' means the whole day: compare against its last instant."""
    return as_of + "T23:59:59.999999Z" if len(as_of) == 10 else as_of
