"""Saved searches and runs (searches, imports, DOI lookups) in the review database."""

from __future__ import annotations

import os
import socket
import sqlite3

from screener.errors import NotFoundError, SearchBusyError
from screener.models import Run
from screener.store.base import _alive, now
from screener.textsafe import clean_text


class RunsMixin:
    conn: sqlite3.Connection

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
                      COUNT(r.id) AS runs, MAX(r.started) AS last_run,
                      (SELECT status FROM runs l WHERE l.search_name = s.name
                       ORDER BY l.id DESC LIMIT 1) AS last_status
               FROM searches s LEFT JOIN runs r ON r.search_name = s.name
               GROUP BY s.name ORDER BY s.name"""
        )
        return [dict(row) for row in rows]

    def lock_search(self, name: str) -> None:
        """Take the search's lock for this process, or raise SearchBusyError naming its holder.

        A lock left by a process that is gone (killed, crashed) on this host is taken over.
        """
        pid, host = os.getpid(), socket.gethostname()
        with self.transaction():
            row = self.conn.execute(
                "SELECT pid, host, since FROM search_locks WHERE search_name = ?", (name,)
            ).fetchone()
            if row is not None and _held_by_other(row, pid, host):
                raise SearchBusyError(_busy_message(name, row))
            self.conn.execute(
                """INSERT INTO search_locks (search_name, pid, host, since) VALUES (?, ?, ?, ?)
                   ON CONFLICT(search_name) DO UPDATE SET pid = excluded.pid,
                     host = excluded.host, since = excluded.since""",
                (name, pid, host, now()),
            )

    def unlock_search(self, name: str, *, force: bool = False) -> bool:
        """Release the search's lock (held by this process, or any holder with `force`)."""
        sql = "DELETE FROM search_locks WHERE search_name = ?"
        args: tuple = (name,)
        if not force:
            sql += " AND pid = ? AND host = ?"
            args = (name, os.getpid(), socket.gethostname())
        with self.transaction():
            return self.conn.execute(sql, args).rowcount > 0

    def start_run(self, **fields: object) -> int:
        """Insert a run marked running, owned by this process; return its id."""
        # Names and queries come from files and people: stored without control characters.
        fields = {k: clean_text(v) if isinstance(v, str) else v for k, v in fields.items()}
        fields.setdefault("started", now())
        fields.update(status="running", pid=os.getpid(), host=socket.gethostname())
        columns = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        with self.transaction():
            row = self.conn.execute(
                f"INSERT INTO runs ({columns}) VALUES ({marks}) RETURNING id",
                tuple(fields.values()),
            ).fetchone()
        return int(row[0])

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
        return run_from_row(row)

    def list_runs(self, search_name: str | None = None) -> list[Run]:
        sql = "SELECT * FROM runs"
        args: tuple = ()
        if search_name:
            sql += " WHERE search_name = ?"
            args = (search_name,)
        return [run_from_row(row) for row in self.conn.execute(sql + " ORDER BY id", args)]

    def find_import(self, sha256: str) -> Run | None:
        row = self.conn.execute(
            "SELECT * FROM runs WHERE file_sha256 = ? AND status = 'completed' ORDER BY id",
            (sha256,),
        ).fetchone()
        return run_from_row(row) if row else None

    # ---- records ---------------------------------------------------------------------


def _held_by_other(row: sqlite3.Row, pid: int, host: str) -> bool:
    if (row["pid"], row["host"]) == (pid, host):
        return False
    return row["host"] != host or _alive(row["pid"])  # another host: cannot tell, assume so


def _busy_message(name: str, row: sqlite3.Row) -> str:
    here = socket.gethostname()
    where = "this machine" if row["host"] == here else f"host {row['host']}"
    message = (
        f"the search {name!r} is already being run by process {row['pid']} on {where} "
        f"(since {row['since'][:19].replace('T', ' ')}); wait for it to finish."
    )
    if row["host"] != here:
        message += f" If that process is gone, `screener search unlock {name}` releases the lock."
    return message


def run_from_row(row: sqlite3.Row) -> Run:
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
