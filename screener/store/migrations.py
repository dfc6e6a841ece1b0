"""Schema migrations of the review database, applied in order by `store.Store` on open.

Part of the store layer. Never edit a migration that has shipped: add a new one. The
schema version is SQLite's `user_version`, equal to the number of migrations applied.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _m001_foundation(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE searches (
             name TEXT PRIMARY KEY,
             path TEXT,
             description TEXT,
             definition TEXT,          -- the TOML file as it was when last run
             saved_at TEXT NOT NULL
           )"""
    )
    db.execute(
        """CREATE TABLE runs (
             id INTEGER PRIMARY KEY,
             kind TEXT NOT NULL,       -- search | import | doi
             source TEXT NOT NULL,     -- pubmed | crossref | file | doi
             database TEXT NOT NULL,   -- the name PRISMA lists: PubMed, Scopus, ...
             platform TEXT,
             search_name TEXT REFERENCES searches(name),
             query TEXT,               -- exactly as sent
             query_translation TEXT,   -- as the service interpreted it
             date_field TEXT,
             date_from TEXT,
             date_to TEXT,
             filters TEXT,
             method TEXT,              -- databases | registers | citation-searching | ...
             file_name TEXT,
             file_sha256 TEXT,
             started TEXT NOT NULL,
             finished TEXT,
             status TEXT NOT NULL CHECK (status IN
               ('running', 'completed', 'failed', 'interrupted')),
             count_reported INTEGER,
             count_stored INTEGER DEFAULT 0,
             count_new INTEGER DEFAULT 0,
             error TEXT,
             warnings TEXT,
             pid INTEGER,
             host TEXT
           )"""
    )
    db.execute(
        """CREATE TABLE records (
             id INTEGER PRIMARY KEY,
             source TEXT NOT NULL,
             source_id TEXT NOT NULL,
             title TEXT, abstract TEXT, authors TEXT, year INTEGER,
             journal TEXT, journal_abbrev TEXT, volume TEXT, issue TEXT, pages TEXT,
             doi TEXT, pmid TEXT, pmcid TEXT, issn TEXT, publisher TEXT, entry_type TEXT,
             publication_types TEXT, keywords TEXT, mesh TEXT, language TEXT, url TEXT,
             flags TEXT, relations TEXT,
             first_run_id INTEGER REFERENCES runs(id),
             added_at TEXT NOT NULL,
             updated_at TEXT,
             UNIQUE (source, source_id)
           )"""
    )
    db.execute("CREATE INDEX records_doi ON records(doi) WHERE doi != ''")
    db.execute("CREATE INDEX records_pmid ON records(pmid) WHERE pmid != ''")
    db.execute(
        """CREATE TABLE run_records (
             run_id INTEGER NOT NULL REFERENCES runs(id),
             record_id INTEGER NOT NULL REFERENCES records(id),
             is_new INTEGER NOT NULL DEFAULT 0,   -- first stored by this run
             PRIMARY KEY (run_id, record_id)
           ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX run_records_record ON run_records(record_id)")
    db.execute(
        """CREATE TABLE audit_log (
             id INTEGER PRIMARY KEY,
             at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
             entity TEXT NOT NULL,     -- which table changed
             entity_id TEXT NOT NULL,
             action TEXT NOT NULL,     -- insert | update | delete
             actor TEXT,
             old TEXT,                 -- JSON of the old values
             new TEXT                  -- JSON of the new values
           )"""
    )
    # The log is append-only: nothing may rewrite history.
    db.execute(
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""
    )
    db.execute(
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""
    )
    # Record changes after the first store (enrichment, corrections) are audited.
    db.execute(
        """CREATE TRIGGER records_audit_update AFTER UPDATE ON records
           BEGIN
             INSERT INTO audit_log (entity, entity_id, action, actor, old, new)
             VALUES ('records', NEW.id, 'update', 'screener',
               json_object('title', OLD.title, 'abstract', OLD.abstract, 'year', OLD.year,
                 'journal', OLD.journal, 'doi', OLD.doi, 'flags', OLD.flags),
               json_object('title', NEW.title, 'abstract', NEW.abstract, 'year', NEW.year,
                 'journal', NEW.journal, 'doi', NEW.doi, 'flags', NEW.flags));
           END"""
    )


def _m002_enrichment(db: sqlite_utils.Database) -> None:
    # When Crossref was last asked about the record, and what it filled in.
    db.execute("ALTER TABLE records ADD COLUMN enriched_at TEXT")
    db.execute("ALTER TABLE records ADD COLUMN enriched_fields TEXT")


def _audit_triggers(db: sqlite_utils.Database, table: str, key: str, actor: str) -> None:
    """Every insert, update and delete on `table` lands in audit_log, old and new values,
    written by the database itself so no code path can skip it."""
    columns = [c.name for c in db[table].columns]

    def obj(prefix: str) -> str:
        return "json_object(" + ", ".join(f"'{c}', {prefix}.{c}" for c in columns) + ")"

    for action, old, new, row in (
        ("insert", "NULL", obj("NEW"), "NEW"),
        ("update", obj("OLD"), obj("NEW"), "NEW"),
        ("delete", obj("OLD"), "NULL", "OLD"),
    ):
        db.execute(
            f"""CREATE TRIGGER {table}_audit_{action} AFTER {action.upper()} ON {table}
                BEGIN
                  INSERT INTO audit_log (entity, entity_id, action, actor, old, new)
                  VALUES ('{table}', {key.replace("ROW", row)}, '{action}',
                          {actor.replace("ROW", row)}, {old}, {new});
                END"""
        )


def _m003_dedup_and_screening(db: sqlite_utils.Database) -> None:
    # Candidate pairs found by dedup, with the engine's verdict and any person's decision.
    db.execute(
        """CREATE TABLE dedup_pairs (
             a INTEGER NOT NULL REFERENCES records(id),
             b INTEGER NOT NULL REFERENCES records(id),
             score REAL NOT NULL,
             method TEXT NOT NULL,
             verdict TEXT NOT NULL CHECK (verdict IN ('duplicate', 'uncertain')),
             evidence TEXT NOT NULL,         -- JSON: field -> agree/disagree/...
             decision TEXT CHECK (decision IN ('confirmed', 'rejected')),
             decided_by TEXT,
             decided_at TEXT,
             found_at TEXT NOT NULL,
             PRIMARY KEY (a, b),
             CHECK (a < b)
           ) WITHOUT ROWID"""
    )
    # The resulting links: each duplicate points at its group's canonical record.
    db.execute(
        """CREATE TABLE duplicates (
             record_id INTEGER PRIMARY KEY REFERENCES records(id),
             canonical_id INTEGER NOT NULL REFERENCES records(id),
             method TEXT NOT NULL,
             score REAL NOT NULL,
             evidence TEXT NOT NULL,
             decided_by TEXT NOT NULL,       -- 'screener' or the person who confirmed
             linked_at TEXT NOT NULL,
             CHECK (record_id != canonical_id)
           )"""
    )
    db.execute("CREATE INDEX duplicates_canonical ON duplicates(canonical_id)")
    db.execute(
        """CREATE TABLE decisions (
             record_id INTEGER NOT NULL REFERENCES records(id),
             stage TEXT NOT NULL CHECK (stage IN ('title-abstract', 'full-text')),
             reviewer TEXT NOT NULL,
             decision TEXT NOT NULL
               CHECK (decision IN ('include', 'exclude', 'maybe', 'not-retrieved')),
             reason TEXT NOT NULL DEFAULT '',
             note TEXT NOT NULL DEFAULT '',
             decided_at TEXT NOT NULL,
             PRIMARY KEY (record_id, stage, reviewer)
           )"""
    )
    db.execute("CREATE INDEX decisions_reviewer ON decisions(reviewer, stage)")
    db.execute(
        """CREATE TABLE resolutions (
             record_id INTEGER NOT NULL REFERENCES records(id),
             stage TEXT NOT NULL CHECK (stage IN ('title-abstract', 'full-text')),
             decision TEXT NOT NULL
               CHECK (decision IN ('include', 'exclude', 'maybe', 'not-retrieved')),
             reason TEXT NOT NULL DEFAULT '',
             rationale TEXT NOT NULL DEFAULT '',
             adjudicator TEXT NOT NULL,
             resolved_at TEXT NOT NULL,
             PRIMARY KEY (record_id, stage)
           )"""
    )
    db.execute(
        """CREATE TABLE fulltexts (
             record_id INTEGER PRIMARY KEY REFERENCES records(id),
             location TEXT NOT NULL,         -- a path or URL to the PDF
             added_by TEXT NOT NULL,
             added_at TEXT NOT NULL
           )"""
    )
    db.execute(
        """CREATE TABLE settings (
             key TEXT PRIMARY KEY,
             value TEXT NOT NULL             -- JSON
           )"""
    )
    pair = "ROW.a || '-' || ROW.b"
    _audit_triggers(db, "dedup_pairs", pair, "COALESCE(ROW.decided_by, 'screener')")
    _audit_triggers(db, "duplicates", "ROW.record_id", "ROW.decided_by")
    stage_key = "ROW.record_id || '/' || ROW.stage"
    _audit_triggers(db, "decisions", stage_key + " || '/' || ROW.reviewer", "ROW.reviewer")
    _audit_triggers(db, "resolutions", stage_key, "ROW.adjudicator")
    _audit_triggers(db, "fulltexts", "ROW.record_id", "ROW.added_by")
    _audit_triggers(db, "settings", "ROW.key", "'screener'")


def _m004_extra_fields(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE records ADD COLUMN extra TEXT")


def _m005_decision_recorder(db: sqlite_utils.Database) -> None:
    # Who entered a decision when it is not the reviewer (a decisions file imported by a
    # coordinator): audited as the actor, while the vote stays the reviewer's.
    db.execute("ALTER TABLE decisions ADD COLUMN recorded_by TEXT")
    for action in ("insert", "update", "delete"):
        db.execute(f"DROP TRIGGER decisions_audit_{action}")
    key = "ROW.record_id || '/' || ROW.stage || '/' || ROW.reviewer"
    _audit_triggers(db, "decisions", key, "COALESCE(NULLIF(ROW.recorded_by, ''), ROW.reviewer)")


def _m006_search_locks(db: sqlite_utils.Database) -> None:
    # One process runs a search at a time; the row says who, so a second one can say so.
    db.execute(
        """CREATE TABLE search_locks (
             search_name TEXT PRIMARY KEY,
             pid INTEGER NOT NULL,
             host TEXT NOT NULL,
             since TEXT NOT NULL
           )"""
    )


def _m007_ranking_features(db: sqlite_utils.Database) -> None:
    # A cache, not review data: no audit trigger; rebuilt whenever the texts change.
    db.execute(
        """CREATE TABLE ranking_features (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             fingerprint TEXT NOT NULL,
             data BLOB NOT NULL,
             computed_at TEXT NOT NULL
           )"""
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m001_foundation,
    _m002_enrichment,
    _m003_dedup_and_screening,
    _m004_extra_fields,
    _m005_decision_recorder,
    _m006_search_locks,
    _m007_ranking_features,
]
