"""`screener backup`: a consistent, checked, owner-only copy, safe while others write, and
the restore the README describes."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing

import pytest

from screener.cli import main
from screener.models import Record
from screener.store import Store


def add(path, prefix: str, count: int) -> None:
    with Store(path) as store:
        run = store.start_run(kind="import", source="file", database="Scopus")
        store.add_records(
            run,
            [Record(source="file", source_id=f"{prefix}{i}", title=f"T {i}") for i in range(count)],
        )
        store.finish_run(run, "completed")


def count(path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]


def integrity(path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.fixture
def review(tmp_path, monkeypatch):
    path = tmp_path / "review.sqlite"
    add(path, "a", 300)
    monkeypatch.setenv("SCREENER_DB", str(path))
    return path


def test_backup_writes_a_checked_owner_only_copy(review, runner, tmp_path):
    dest = tmp_path / "copies" / "backup.sqlite"
    dest.parent.mkdir()
    result = runner.invoke(main, ["backup", str(dest), "--json"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["dest"] == str(dest) and made["size"] == dest.stat().st_size
    assert sorted(p.name for p in dest.parent.iterdir()) == ["backup.sqlite"]  # no temp left
    assert dest.stat().st_mode & 0o777 == 0o600
    assert integrity(dest) == "ok" and count(dest) == 300


def test_backup_refuses_to_overwrite_without_force_and_never_the_review(review, runner, tmp_path):
    dest = tmp_path / "backup.sqlite"
    dest.write_text("my notes")
    refused = runner.invoke(main, ["backup", str(dest)])
    assert refused.exit_code == 1 and "already exists" in refused.output
    assert dest.read_text() == "my notes"
    not_review = runner.invoke(main, ["backup", str(dest), "--force"])
    assert not_review.exit_code == 1 and "not a screener review" in not_review.output
    assert dest.read_text() == "my notes"
    for same in (review, review.parent / "." / review.name, review.with_name(review.name + "-wal")):
        itself = runner.invoke(main, ["backup", str(same), "--force"])
        assert itself.exit_code == 1 and "the review itself" in itself.output, itself.output
    assert integrity(review) == "ok" and count(review) == 300
    folder = runner.invoke(main, ["backup", str(tmp_path), "--force"])
    assert folder.exit_code == 1 and "that is a folder" in folder.output


def test_backup_while_another_process_writes_is_a_consistent_snapshot(review, tmp_path):
    stop = threading.Event()

    def write() -> None:
        with Store(review) as store:
            batch = 0
            while not stop.is_set():
                run = store.start_run(kind="import", source="file", database="Scopus")
                batch += 1
                store.add_records(
                    run,
                    [
                        Record(source="file", source_id=f"w{batch}-{i}", title="W")
                        for i in range(50)
                    ],
                )
                store.finish_run(run, "completed")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        copies = []
        for n in range(5):
            dest = tmp_path / f"b{n}.sqlite"
            with Store(review) as store:
                store.backup_to(dest)
            copies.append(dest)
    finally:
        stop.set()
        writer.join()
    for dest in copies:
        assert integrity(dest) == "ok"
        # every batch is whole (records and their run links are one transaction)
        with closing(sqlite3.connect(dest)) as conn:
            per_run = conn.execute(
                "SELECT count(run_records.record_id) FROM runs "
                "LEFT JOIN run_records ON run_records.run_id = runs.id GROUP BY runs.id"
            ).fetchall()
        assert set(per_run[1:]) <= {(0,), (50,)} and per_run[0] == (300,)
        assert count(dest) == sum(n for (n,) in per_run)


def test_restore_the_other_way_replaces_the_review_even_while_it_is_open(review, runner, tmp_path):
    backup = tmp_path / "backup.sqlite"
    assert runner.invoke(main, ["backup", str(backup)]).exit_code == 0
    add(review, "later", 40)  # work done after the backup, to be rolled back
    with Store(review) as reader:  # someone has the review open
        assert reader.count_records() == 340
        result = runner.invoke(main, ["backup", "--db", str(backup), str(review), "--force"])
        assert result.exit_code == 0, result.output
        assert reader.count_records() == 300
    assert integrity(review) == "ok" and count(review) == 300
