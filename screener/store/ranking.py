"""The ranking feature cache: one row per review holding the text features of every record,
keyed by a fingerprint of the texts they were computed from (a changed or added record
changes the fingerprint, so stale features are never used)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from screener.store.base import now


class RankingMixin:
    conn: sqlite3.Connection

    def record_texts(self) -> Iterator[tuple[int, str, str]]:
        """(id, title, abstract) of every record, in id order."""
        rows = self.conn.execute(
            "SELECT id, COALESCE(title, ''), COALESCE(abstract, '') FROM records ORDER BY id"
        )
        for row in rows:
            yield row[0], row[1], row[2]

    def load_features(self, fingerprint: str) -> bytes | None:
        """The cached features if they were computed from texts with this fingerprint."""
        row = self.conn.execute(
            "SELECT data FROM ranking_features WHERE id = 1 AND fingerprint = ?", (fingerprint,)
        ).fetchone()
        return bytes(row[0]) if row else None

    def save_features(self, fingerprint: str, data: bytes) -> None:
        with self.transaction():
            self.conn.execute(
                """INSERT INTO ranking_features (id, fingerprint, data, computed_at)
                   VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET
                   fingerprint = excluded.fingerprint, data = excluded.data,
                   computed_at = excluded.computed_at""",
                (fingerprint, sqlite3.Binary(data), now()),
            )
