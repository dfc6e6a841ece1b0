"""The ranking feature cache: one row per review holding the text features of every record,
keyed by a fingerprint of the records they were computed from (`records_fingerprint`: an
added, removed or enriched record changes it, so stale features are never used)."""

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

    def records_fingerprint(self) -> str:
        """Changes whenever a record is added or removed or its fields are changed (the
        only change of a stored record, enrichment, sets updated_at), without reading
        the texts of 100,000 records."""
        row = self.conn.execute(
            "SELECT COUNT(*), MAX(id), SUM(id), MAX(COALESCE(updated_at, '')), MAX(added_at) "
            "FROM records"
        ).fetchone()
        return "/".join(str(value) for value in row)

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
