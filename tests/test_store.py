"""The review database: migrations, concurrency settings, append-only audit log."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from screener.errors import DatabaseError
from screener.models import Record
from screener.store import Store
from screener.store.migrations import MIGRATIONS
from tests.conftest import ROOT


def test_new_file_is_created_migrated_and_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "review.sqlite"
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_file_from_a_newer_screener_is_refused(tmp_path):
    path = tmp_path / "review.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(DatabaseError, match="newer screener"):
        Store(path)


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "review.sqlite"
    path.write_text("this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a screener review"):
        Store(path)


def test_records_unique_on_source_and_id(store):
    run = store.start_run(kind="search", source="pubmed", database="PubMed")
    record = Record(source="pubmed", source_id="1", title="A", authors=("X, Y",))
    assert store.add_records(run, [record, record]) == (2, 1)
    assert store.count_records() == 1
    assert store.get_record(1).authors == ("X, Y",)
    finished = store.finish_run(run, "completed")
    assert (finished.count_stored, finished.count_new) == (1, 1)


def test_audit_log_is_append_only(store):
    run = store.start_run(kind="search", source="pubmed", database="PubMed")
    store.add_records(run, [Record(source="pubmed", source_id="1", title="A")])
    store.conn.execute("UPDATE records SET title = 'B' WHERE id = 1")
    entry = store.audit_entries()[0]
    assert entry["entity"] == "records" and '"B"' in entry["new"]
    with pytest.raises((sqlite3.IntegrityError, DatabaseError), match="append-only"):
        store.conn.execute("DELETE FROM audit_log")
    with pytest.raises((sqlite3.IntegrityError, DatabaseError), match="append-only"):
        store.conn.execute("UPDATE audit_log SET actor = 'x'")


def test_core_and_workflow_do_not_load_ui_toolkits():
    # click is not checked: sqlite-utils itself imports it. Our own modules may not
    # (import-linter's forbidden contract checks that).
    code = (
        "import sys, screener.workflow, screener.store, screener.sources.pubmed;"
        "bad = [m for m in ('textual', 'rich') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
