"""Duplicate pairs and links in the review database.

`dedup_pairs` keeps every candidate pair the engine found, with its verdict and any
person's decision; `duplicates` keeps the resulting links (duplicate → canonical).
Links are rewritten by diff, so the audit log shows exactly what changed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from screener.store.base import now, retried


@dataclass(frozen=True)
class Link:
    """A stored duplicate link."""

    record_id: int
    canonical_id: int
    method: str
    score: float
    evidence: dict[str, str]
    decided_by: str


@dataclass(frozen=True)
class Pair:
    """A stored candidate pair."""

    a: int
    b: int
    score: float
    method: str
    verdict: str
    evidence: dict[str, str]
    decision: str  # "" | confirmed | rejected
    decided_by: str
    decided_at: str


_DEDUP_COLUMNS = (
    "id, title, authors, year, CASE WHEN journal != '' THEN journal ELSE journal_abbrev END "
    "AS journal, volume, issue, pages, doi, pmid, pmcid, entry_type, abstract, "
    "publication_types, flags, source, issn, extra"
)


class DedupMixin:
    conn: sqlite3.Connection
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """A transaction of its own, or part of the caller's (`with store.transaction()`
        around several dedup writes makes them one: all or nothing)."""
        if self.conn.in_transaction:
            yield self.conn
        else:
            with self.transaction() as conn:
                yield conn

    def dedup_rows(self) -> list[dict]:
        """What dedup compares, for every record (authors etc. decoded from JSON)."""
        rows = []
        for row in self.conn.execute(f"SELECT {_DEDUP_COLUMNS} FROM records ORDER BY id"):
            item = dict(row)
            for key in ("authors", "publication_types", "flags"):
                item[key] = tuple(json.loads(item[key])) if item[key] else ()
            # A search set's records were deduplicated before (bib-dedupe's convention).
            extra = dict(json.loads(item.pop("extra") or "[]"))
            item["search_set"] = extra.get("search_set", "")
            for key, value in item.items():
                if value is None and key != "year":
                    item[key] = ""
            rows.append(item)
        return rows

    def save_pairs(self, pairs: Iterable[tuple[int, int, float, str, str, dict]]) -> int:
        """Upsert the engine's pairs (a, b, score, method, verdict, evidence); a person's
        decision on a pair is kept. Undecided pairs the engine no longer finds are dropped."""
        stamp = now()
        rows = [(a, b, s, m, v, json.dumps(e, sort_keys=True), stamp) for a, b, s, m, v, e in pairs]
        with self._writing():
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS found (a INTEGER, b INTEGER)")
            self.conn.execute("DELETE FROM found")
            self.conn.executemany("INSERT INTO found VALUES (?, ?)", [(r[0], r[1]) for r in rows])
            self.conn.execute(
                """DELETE FROM dedup_pairs WHERE decision IS NULL
                   AND NOT EXISTS (SELECT 1 FROM found f WHERE f.a = dedup_pairs.a
                                   AND f.b = dedup_pairs.b)"""
            )
            self.conn.executemany(
                """INSERT INTO dedup_pairs (a, b, score, method, verdict, evidence, found_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(a, b) DO UPDATE SET score = excluded.score,
                     method = excluded.method, verdict = excluded.verdict,
                     evidence = excluded.evidence
                   WHERE dedup_pairs.score != excluded.score
                     OR dedup_pairs.verdict != excluded.verdict
                     OR dedup_pairs.evidence != excluded.evidence""",
                rows,
            )
        return len(rows)

    def hold_pair(self, a: int, b: int, method: str, evidence: Mapping[str, str]) -> None:
        """Put an undecided pair up for a person to look at (verdict 'uncertain')."""
        a, b = min(a, b), max(a, b)
        with self._writing():
            self.conn.execute(
                """INSERT INTO dedup_pairs (a, b, score, method, verdict, evidence, found_at)
                   VALUES (?, ?, 0, ?, 'uncertain', ?, ?)
                   ON CONFLICT(a, b) DO UPDATE SET verdict = 'uncertain'
                   WHERE dedup_pairs.decision IS NULL AND dedup_pairs.verdict != 'uncertain'""",
                (a, b, method, json.dumps(dict(evidence), sort_keys=True), now()),
            )

    def pairs(self, *, verdict: str | None = None, undecided: bool = False) -> list[Pair]:
        sql, args = "SELECT * FROM dedup_pairs WHERE TRUE", []
        if verdict:
            sql += " AND verdict = ?"
            args.append(verdict)
        if undecided:
            sql += " AND decision IS NULL"
        rows = self.conn.execute(sql + " ORDER BY score DESC, a, b", args)
        return [_pair(row) for row in rows]

    def get_pair(self, a: int, b: int) -> Pair | None:
        a, b = min(a, b), max(a, b)
        row = self.conn.execute("SELECT * FROM dedup_pairs WHERE a = ? AND b = ?", (a, b))
        found = row.fetchone()
        return _pair(found) if found else None

    @retried
    def decide_pair(self, a: int, b: int, decision: str, who: str) -> None:
        """Record a person's decision on a pair, adding the pair if the engine never saw it."""
        a, b = min(a, b), max(a, b)
        with self._writing():
            self.conn.execute(
                """INSERT INTO dedup_pairs (a, b, score, method, verdict, evidence, decision,
                     decided_by, decided_at, found_at)
                   VALUES (?, ?, 0, 'manual', 'uncertain', '{}', ?, ?, ?, ?)
                   ON CONFLICT(a, b) DO UPDATE SET decision = excluded.decision,
                     decided_by = excluded.decided_by, decided_at = excluded.decided_at""",
                (a, b, decision, who, now(), now()),
            )

    def pair_decisions(self) -> dict[tuple[int, int], bool]:
        rows = self.conn.execute(
            "SELECT a, b, decision FROM dedup_pairs WHERE decision IS NOT NULL"
        )
        return {(a, b): decision == "confirmed" for a, b, decision in rows}

    def links(self) -> dict[int, Link]:
        rows = self.conn.execute("SELECT * FROM duplicates")
        return {row["record_id"]: _link(row) for row in rows}

    def replace_links(self, links: Mapping[int, Link]) -> tuple[int, int, int]:
        """Make the stored links equal `links`: (added, changed, removed)."""
        old = self.links()
        added = [link for rid, link in links.items() if rid not in old]
        changed = [
            link
            for rid, link in links.items()
            if rid in old
            and (old[rid].canonical_id, old[rid].method, old[rid].decided_by)
            != (link.canonical_id, link.method, link.decided_by)
        ]
        removed = [rid for rid in old if rid not in links]
        stamp = now()
        with self._writing():
            self.conn.executemany(
                "DELETE FROM duplicates WHERE record_id = ?", [(rid,) for rid in removed]
            )
            self.conn.executemany(
                """INSERT INTO duplicates (record_id, canonical_id, method, score, evidence,
                     decided_by, linked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(record_id) DO UPDATE SET canonical_id = excluded.canonical_id,
                     method = excluded.method, score = excluded.score,
                     evidence = excluded.evidence, decided_by = excluded.decided_by,
                     linked_at = excluded.linked_at""",
                [
                    (
                        link.record_id,
                        link.canonical_id,
                        link.method,
                        link.score,
                        json.dumps(link.evidence, sort_keys=True),
                        link.decided_by,
                        stamp,
                    )
                    for link in added + changed
                ],
            )
        return len(added), len(changed), len(removed)

    def screened_ids(self) -> set[int]:
        """Records that have any screening decision or resolution."""
        rows = self.conn.execute(
            "SELECT record_id FROM decisions UNION SELECT record_id FROM resolutions"
        )
        return {row[0] for row in rows}

    def source_ids(self) -> dict[int, tuple[str, str]]:
        rows = self.conn.execute("SELECT id, source, source_id FROM records")
        return {row[0]: (row[1], row[2]) for row in rows}


def _pair(row: sqlite3.Row) -> Pair:
    return Pair(
        a=row["a"],
        b=row["b"],
        score=row["score"],
        method=row["method"],
        verdict=row["verdict"],
        evidence=json.loads(row["evidence"] or "{}"),
        decision=row["decision"] or "",
        decided_by=row["decided_by"] or "",
        decided_at=row["decided_at"] or "",
    )


def _link(row: sqlite3.Row) -> Link:
    return Link(
        record_id=row["record_id"],
        canonical_id=row["canonical_id"],
        method=row["method"],
        score=row["score"],
        evidence=json.loads(row["evidence"] or "{}"),
        decided_by=row["decided_by"],
    )
