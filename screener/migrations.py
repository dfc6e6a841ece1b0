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


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m001_foundation,
    _m002_enrichment,
]
