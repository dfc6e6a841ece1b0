"""Records in the review database: insert once per (source, source id), read back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence

from screener.errors import NotFoundError
from screener.models import Record
from screener.store.base import _chunks, now
from screener.textsafe import clean_fields

_JSON_FIELDS = ("authors", "publication_types", "keywords", "mesh", "flags", "relations", "extra")
RECORD_COLUMNS = Record.field_names()


class RecordsMixin:
    conn: sqlite3.Connection

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

    def titles_of(self, source: str, source_ids: Iterable[str]) -> dict[str, str]:
        """The stored titles of the given source ids (those already stored)."""
        found: dict[str, str] = {}
        for chunk in _chunks(list(source_ids), 900):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT source_id, title FROM records WHERE source = ? AND source_id IN ({marks})",
                (source, *chunk),
            )
            found.update({row[0]: row[1] or "" for row in rows})
        return found

    def add_records(self, run_id: int, records: Sequence[Record]) -> tuple[int, int]:
        """Store records (new ones inserted, known ones left as they are) and link them to
        the run, in one transaction. Returns (linked, new)."""
        stamp = now()
        new = 0
        links: list[tuple[int, int, int]] = []
        with self.transaction():
            for record in records:
                # The one door every record comes in by (searches, imports, DOIs): no
                # control characters or escape sequences are stored, whoever sent them.
                record = clean_fields(record)
                inserted = self.conn.execute(
                    _INSERT_RECORD, (*_record_values(record), run_id, stamp)
                ).fetchone()
                is_new = inserted is not None
                new += is_new
                record_id = (
                    inserted[0]
                    if is_new
                    else self.conn.execute(
                        "SELECT id FROM records WHERE source = ? AND source_id = ?",
                        (record.source, record.source_id),
                    ).fetchone()[0]
                )
                links.append((run_id, record_id, int(is_new)))
            self.conn.executemany(
                "INSERT OR IGNORE INTO run_records (run_id, record_id, is_new) VALUES (?,?,?)",
                links,
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
        values = dict(zip(RECORD_COLUMNS, _record_values(clean_fields(record)), strict=True))
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


_INSERT_RECORD = (
    f"INSERT OR IGNORE INTO records ({', '.join(RECORD_COLUMNS)}, first_run_id, added_at) "
    f"VALUES ({', '.join('?' * (len(RECORD_COLUMNS) + 2))}) RETURNING id"
)


# json.dumps with options builds a new encoder per call: one encoder serves every record.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _record_values(record: Record) -> tuple:
    values = []
    for name in RECORD_COLUMNS:
        value = getattr(record, name)
        if name in _JSON_FIELDS:
            value = _ENCODE(value) if value else "[]"
        values.append(value)
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
