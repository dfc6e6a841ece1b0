"""Screening decisions, conflict resolutions, full-text locations and review settings.

Every write is its own transaction, committed before the call returns (a reviewer's
keypress survives a crash the moment it is acknowledged), and every change lands in
the audit log through triggers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping

from screener.screening.history import VoteEvent
from screener.screening.rules import Resolution, Vote
from screener.store.base import now, retried

_CANONICAL = "NOT EXISTS (SELECT 1 FROM duplicates d WHERE d.record_id = r.id)"


class ScreeningMixin:
    conn: sqlite3.Connection

    # ---- what is screened ------------------------------------------------------------

    def canonical_ids(self) -> list[int]:
        """Records that are not duplicates of another: the units screened, in id order."""
        rows = self.conn.execute(f"SELECT r.id FROM records r WHERE {_CANONICAL} ORDER BY r.id")
        return [row[0] for row in rows]

    def group_sizes(self) -> dict[int, int]:
        """Canonical record id -> number of records in its duplicate group (2+ only)."""
        rows = self.conn.execute(
            "SELECT canonical_id, COUNT(*) + 1 FROM duplicates GROUP BY canonical_id"
        )
        return dict(rows.fetchall())

    def group_members(self, canonical_id: int) -> list[int]:
        rows = self.conn.execute(
            "SELECT record_id FROM duplicates WHERE canonical_id = ? ORDER BY record_id",
            (canonical_id,),
        )
        return [canonical_id, *(row[0] for row in rows)]

    def search_ids(self, text: str) -> list[int]:
        """Canonical records whose title, abstract, authors or ids contain `text`."""
        like = f"%{text}%"
        rows = self.conn.execute(
            f"""SELECT r.id FROM records r WHERE {_CANONICAL} AND (r.title LIKE :q
                  OR r.abstract LIKE :q OR r.authors LIKE :q OR r.doi LIKE :q
                  OR r.pmid = :exact OR r.source_id = :exact) ORDER BY r.id""",
            {"q": like, "exact": text.strip()},
        )
        return [row[0] for row in rows]

    # ---- decisions ---------------------------------------------------------------------

    @retried
    def save_decision(
        self,
        record_id: int,
        stage: str,
        reviewer: str,
        decision: str,
        reason: str = "",
        note: str = "",
        at: str | None = None,
    ) -> None:
        """Insert or change one reviewer's decision on a record at a stage."""
        with self.transaction():
            self.conn.execute(
                """INSERT INTO decisions (record_id, stage, reviewer, decision, reason, note,
                     decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(record_id, stage, reviewer) DO UPDATE SET
                     decision = excluded.decision, reason = excluded.reason,
                     note = excluded.note, decided_at = excluded.decided_at,
                     recorded_by = NULL""",
                (record_id, stage, reviewer, decision, reason, note, at or now()),
            )

    def save_decisions(self, rows: Iterable[Mapping[str, object]], recorded_by: str) -> int:
        """Insert or change many decisions in one transaction (all or nothing).

        Each row has record_id, stage, reviewer, decision, reason, and note / decided_at
        that may be None: None keeps the stored value (a file without a note column must
        not wipe notes). `recorded_by` is who entered them (audited as the actor)."""
        sql = """INSERT INTO decisions (record_id, stage, reviewer, decision, reason, note,
                   decided_at, recorded_by)
                 VALUES (:record_id, :stage, :reviewer, :decision, :reason,
                   COALESCE(:note, ''), COALESCE(:decided_at, :now), :recorded_by)
                 ON CONFLICT(record_id, stage, reviewer) DO UPDATE SET
                   decision = excluded.decision, reason = excluded.reason,
                   note = COALESCE(:note, decisions.note),
                   decided_at = COALESCE(:decided_at, :now),
                   recorded_by = excluded.recorded_by
                 WHERE decisions.decision != excluded.decision
                   OR decisions.reason != excluded.reason
                   OR decisions.note != COALESCE(:note, decisions.note)
                   OR (:decided_at IS NOT NULL AND decisions.decided_at != :decided_at)"""
        stamp = now()
        changed = 0
        with self.transaction():
            for row in rows:
                cursor = self.conn.execute(sql, {**row, "now": stamp, "recorded_by": recorded_by})
                changed += cursor.rowcount
        return changed

    @retried
    def save_note(self, record_id: int, stage: str, reviewer: str, note: str) -> bool:
        """Change the note of an existing decision; False if there is no decision yet."""
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE decisions SET note = ? WHERE record_id = ? AND stage = ? AND reviewer = ?",
                (note, record_id, stage, reviewer),
            )
        return cursor.rowcount == 1

    @retried
    def delete_decision(self, record_id: int, stage: str, reviewer: str) -> None:
        with self.transaction():
            self.conn.execute(
                "DELETE FROM decisions WHERE record_id = ? AND stage = ? AND reviewer = ?",
                (record_id, stage, reviewer),
            )

    def decision_rows(
        self, stage: str | None = None, reviewer: str | None = None
    ) -> Iterator[Vote]:
        """The stored votes (all of them on SQLite; on PostgreSQL those the server lets
        this role see), by record and reviewer."""
        sql, args = "SELECT * FROM decisions WHERE TRUE", []
        if stage:
            sql += " AND stage = ?"
            args.append(stage)
        if reviewer:
            sql += " AND reviewer = ?"
            args.append(reviewer)
        for row in self.conn.execute(sql + " ORDER BY record_id, reviewer", args):
            yield _vote(row)

    def decisions_of_record(self, record_id: int, stage: str) -> list[Vote]:
        rows = self.conn.execute(
            "SELECT * FROM decisions WHERE record_id = ? AND stage = ? ORDER BY reviewer",
            (record_id, stage),
        )
        return [_vote(row) for row in rows]

    def decision_events(self, stage: str) -> list[VoteEvent]:
        """Every write of a decision at `stage`, in write order, from the audit log."""
        rows = self.conn.execute(
            """SELECT id, action, old, new, at FROM audit_log
               WHERE entity = 'decisions' AND entity_id LIKE '%/' || ? || '/%' ORDER BY id""",
            (stage,),
        )
        events = []
        for row in rows:
            deleted = row["action"] == "delete"
            values = json.loads(row["old"] if deleted else row["new"])
            if values.get("stage") != stage:
                continue
            events.append(
                VoteEvent(
                    row["id"],
                    int(values["record_id"]),
                    stage,
                    values["reviewer"],
                    "" if deleted else values["decision"],
                    "" if deleted else values.get("reason") or "",
                    (values.get("decided_at") if not deleted else None) or row["at"],
                )
            )
        return events

    def decision_history(self, record_id: int, stage: str, reviewer: str) -> list[dict]:
        """The audit trail of one reviewer's decision on a record, newest first."""
        key = f"{record_id}/{stage}/{reviewer}"
        rows = self.conn.execute(
            "SELECT * FROM audit_log WHERE entity = 'decisions' AND entity_id = ? ORDER BY id DESC",
            (key,),
        )
        return [dict(row) for row in rows]

    # ---- resolutions -------------------------------------------------------------------

    @retried
    def save_resolution(
        self,
        record_id: int,
        stage: str,
        decision: str,
        reason: str,
        rationale: str,
        adjudicator: str,
    ) -> None:
        with self.transaction():
            self.conn.execute(
                """INSERT INTO resolutions (record_id, stage, decision, reason, rationale,
                     adjudicator, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(record_id, stage) DO UPDATE SET decision = excluded.decision,
                     reason = excluded.reason, rationale = excluded.rationale,
                     adjudicator = excluded.adjudicator, resolved_at = excluded.resolved_at""",
                (record_id, stage, decision, reason, rationale, adjudicator, now()),
            )

    def resolution_rows(self, stage: str | None = None) -> list[Resolution]:
        sql, args = "SELECT * FROM resolutions", ()
        if stage:
            sql, args = sql + " WHERE stage = ?", (stage,)
        return [_resolution(row) for row in self.conn.execute(sql + " ORDER BY record_id", args)]

    # ---- full texts and settings ---------------------------------------------------------

    @retried
    def save_fulltext(self, record_id: int, location: str, who: str) -> None:
        with self.transaction():
            self.conn.execute(
                """INSERT INTO fulltexts (record_id, location, added_by, added_at)
                   VALUES (?, ?, ?, ?) ON CONFLICT(record_id) DO UPDATE SET
                   location = excluded.location, added_by = excluded.added_by,
                   added_at = excluded.added_at""",
                (record_id, location, who, now()),
            )

    def fulltext(self, record_id: int) -> str:
        row = self.conn.execute(
            "SELECT location FROM fulltexts WHERE record_id = ?", (record_id,)
        ).fetchone()
        return row[0] if row else ""

    def get_setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @retried
    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def record_ids_by_identifier(self, values: Iterable[str]) -> dict[str, int]:
        """Map record ids (as text), DOIs, PMIDs or source ids to record ids."""
        found: dict[str, int] = {}
        for value in values:
            text = value.strip()
            if (
                text.isdigit()
                and self.conn.execute("SELECT 1 FROM records WHERE id = ?", (int(text),)).fetchone()
            ):
                found[value] = int(text)
                continue
            row = self.conn.execute(
                "SELECT id FROM records WHERE doi = lower(?) OR pmid = ? OR source_id = ? "
                "ORDER BY id LIMIT 1",
                (text, text, text),
            ).fetchone()
            if row:
                found[value] = row[0]
        return found


def _vote(row: sqlite3.Row) -> Vote:
    return Vote(
        row["record_id"],
        row["stage"],
        row["reviewer"],
        row["decision"],
        row["reason"],
        row["note"],
        row["decided_at"],
    )


def _resolution(row: sqlite3.Row) -> Resolution:
    return Resolution(
        row["record_id"],
        row["stage"],
        row["decision"],
        row["reason"],
        row["rationale"],
        row["adjudicator"],
        row["resolved_at"],
    )
