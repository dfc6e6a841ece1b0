"""The review database on a failing machine: concurrent creators, a lock held too long,
a read-only file or mount, a full disk and a damaged file each give screener's own
one-line error (never "internal error"), and reads keep working where they can.

Tests run as root here, and root ignores file permissions, so read-only and full-disk
cases on a real file system use a read-only bind mount and a small tmpfs (skipped with the
reason when mounting is not allowed); as another user, chmod a-w stands in for the mount.
SQLite's own limits (max_page_count, mode=ro) test the same error paths everywhere.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from screener.errors import (
    CorruptDatabaseError,
    DatabaseError,
    DatabaseLockedError,
    DiskFullError,
    ReadOnlyDatabaseError,
)
from screener.models import Record
from screener.store import Store
from screener.store.migrations import MIGRATIONS
from tests.conftest import ROOT


def records(count: int, prefix: str = "r", words: int = 40) -> list[Record]:
    body = " ".join(f"word{i}" for i in range(words))
    return [
        Record(source="file", source_id=f"{prefix}{i}", title=f"Title {prefix}{i}", abstract=body)
        for i in range(count)
    ]


def make_review(path: Path, count: int = 200) -> Path:
    with Store(path) as store:
        run = store.start_run(kind="import", source="file", database="Scopus")
        store.add_records(run, records(count))
        store.finish_run(run, "completed")
    return path


def cli(*args: str, db: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real entry point (with its last-resort handler), as a user runs it."""
    env = {**os.environ, "SCREENER_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "screener", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def write_ris(path: Path, count: int, abstract_words: int = 60) -> Path:
    body = " ".join(f"lorem{i}" for i in range(abstract_words))
    entries = [
        f"TY  - JOUR\nTI  - Study number {i} of hair loss\nAU  - Smith, J\nPY  - 2020\n"
        f"AB  - {body}\nER  - \n"
        for i in range(count)
    ]
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


@contextmanager
def mounted(target: Path, *args: str):
    """Run `mount ARGS TARGET`, unmount afterwards; skip when mounting is not allowed."""
    target.mkdir(exist_ok=True)
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount here ({done.stderr.strip() or 'not root'})")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


@contextmanager
def read_only_view(folder: Path):
    """The folder, seen read-only by this process: a read-only bind mount as root (root
    writes through permissions), chmod a-w otherwise."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        try:
            yield folder
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    view = folder.with_name(folder.name + "-ro")
    with mounted(view, "--bind", str(folder)):
        remount = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(view)], capture_output=True, text=True
        )
        if remount.returncode:
            pytest.skip(f"cannot remount read-only here ({remount.stderr.strip()})")
        yield view


# ---- several processes opening one new review --------------------------------------


def _open_new(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        with Store(path) as store:
            results.put(("ok", store.schema_version))
    except Exception as exc:  # reported to the parent, which asserts on it
        results.put(("failed", f"{type(exc).__name__}: {exc}"))


def test_processes_opening_one_new_review_at_once_all_succeed(tmp_path):
    # Before the fix, 4 openers failed in 18 rounds of 20 ("table searches already exists").
    context = multiprocessing.get_context("fork")
    openers = 4
    for round_ in range(6):
        path = tmp_path / f"new-{round_}" / "review.sqlite"
        barrier, results = context.Barrier(openers), context.Queue()
        processes = [
            context.Process(target=_open_new, args=(str(path), barrier, results))
            for _ in range(openers)
        ]
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=60)
        assert outcomes == [("ok", len(MIGRATIONS))] * openers, outcomes
        with Store(path) as store:
            assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# ---- a lock held past the busy timeout -----------------------------------------------


def test_a_lock_held_too_long_names_the_running_search_holding_it(tmp_path):
    path = make_review(tmp_path / "review.sqlite")
    searcher = subprocess.Popen(["sleep", "60"])  # stands in for a running `search run`
    with Store(path) as store:
        store.conn.execute(
            "UPDATE runs SET status = 'running', kind = 'search', pid = ?, host = ?",
            (searcher.pid, socket.gethostname()),
        )
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store(path, busy_timeout=0.05) as store:
            assert store.count_records() == 200  # readers are not blocked (WAL)
            with pytest.raises(DatabaseLockedError) as caught:
                store.add_records(1, records(1, prefix="x"))
    finally:
        holder.rollback()
        holder.close()
        searcher.kill()
        searcher.wait()
    message = str(caught.value)
    assert "busy: search run 1" in message and f"pid {searcher.pid} on host" in message
    assert "more than 0.05 s" in message and "\n" not in message


def test_a_lock_held_by_an_unknown_program_still_says_what_to_do(tmp_path):
    path = make_review(tmp_path / "review.sqlite")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store(path, busy_timeout=0.05) as store, pytest.raises(DatabaseLockedError) as e:
            with store.transaction():
                store.conn.execute("DELETE FROM settings")
            assert not store.conn.in_transaction
    finally:
        holder.rollback()
        holder.close()
    assert "another program has held its write lock" in str(e.value)


# ---- read-only -------------------------------------------------------------------------


def test_a_review_opened_read_only_reads_and_refuses_writes_clearly(tmp_path):
    path = make_review(tmp_path / "review.sqlite")
    with Store(path, read_only=True) as store:
        assert store.read_only and store.count_records() == 200
        with pytest.raises(ReadOnlyDatabaseError, match="read-only here"):
            store.add_records(1, records(1, prefix="x"))
    with Store(path) as store:
        assert store.count_records() == 200


def test_a_review_on_a_read_only_folder_or_mount_reads_and_refuses_writes(tmp_path):
    folder = tmp_path / "reviews"
    folder.mkdir()
    make_review(folder / "review.sqlite")
    ris = write_ris(tmp_path / "more.ris", 3)
    assert not (folder / "review.sqlite-shm").exists()  # closed cleanly: no -shm to reuse
    with read_only_view(folder) as view:
        db = view / "review.sqlite"
        with Store(db) as store:  # no -wal/-shm can be created: read as immutable
            assert store.read_only and store.count_records() == 200
        listed = cli("search", "log", "--json", db=db)
        assert listed.returncode == 0, listed.stderr
        refused = cli("import", str(ris), "--database", "Scopus", db=db)
        one_line_error(refused, "read-only here")
    assert sorted(p.name for p in folder.iterdir()) == ["review.sqlite"]


def test_a_read_only_folder_with_unsaved_wal_changes_is_refused_not_misread(tmp_path):
    folder = tmp_path / "reviews"
    folder.mkdir()
    path = make_review(folder / "review.sqlite")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE records SET title = 'changed'")
    wal = (folder / "review.sqlite-wal").read_bytes()
    writer.close()  # checkpoints and removes -wal/-shm: put the uncheckpointed -wal back
    (folder / "review.sqlite-wal").write_bytes(wal)
    with read_only_view(folder) as view, pytest.raises(ReadOnlyDatabaseError, match="-wal"):
        Store(view / "review.sqlite")


# ---- a full disk -----------------------------------------------------------------------


def test_a_full_database_rolls_back_and_says_disk_full(tmp_path):
    path = make_review(tmp_path / "review.sqlite")
    with Store(path) as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 5}")  # SQLITE_FULL, as on a disk
        with pytest.raises(DiskFullError, match="disk is full"):
            store.add_records(1, records(2000, prefix="x", words=200))
        assert not store.conn.in_transaction
        assert store.count_records() == 200
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_import_onto_a_full_disk_is_one_clear_error_and_stores_nothing(tmp_path):
    ris = write_ris(tmp_path / "big.ris", 4000)
    with mounted(tmp_path / "small", "-t", "tmpfs", "-o", "size=1m", "tmpfs") as disk:
        db = make_review(disk / "review.sqlite", count=20)
        result = cli("import", str(ris), "--database", "Scopus", db=db)
        one_line_error(result, "disk is full")
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 20


# ---- a damaged file --------------------------------------------------------------------


def damage(path: Path) -> None:
    """Overwrite a run of pages in the middle of the file with garbage."""
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2 - (size // 2) % 4096)
        f.write(b"\xde\xad\xbe\xef" * 4096)


def test_a_damaged_review_is_refused_on_open_and_import_writes_nothing(tmp_path):
    path = make_review(tmp_path / "review.sqlite", count=2000)
    damage(path)
    before = path.read_bytes()
    with pytest.raises(CorruptDatabaseError, match="damaged .* restore your latest backup"):
        Store(path)
    ris = write_ris(tmp_path / "more.ris", 3)
    one_line_error(cli("import", str(ris), "--database", "Scopus", db=path), "damaged")
    one_line_error(cli("prisma", "--json", db=path), "damaged")
    assert path.read_bytes() == before


def test_damage_found_after_open_is_the_same_clear_error(tmp_path):
    path = make_review(tmp_path / "review.sqlite", count=2000)
    damage(path)
    with Store(path, check=False) as store, pytest.raises(CorruptDatabaseError) as caught:
        store.conn.execute("SELECT sum(length(abstract)) FROM records").fetchall()
    assert "damaged (database disk image is malformed)" in str(caught.value)


def test_constraint_errors_are_not_mistaken_for_database_failures(store):
    # On PostgreSQL every driver error is screener's own, saying which rule was broken.
    refused = DatabaseError if store.is_postgres else sqlite3.IntegrityError
    store.conn.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
    with pytest.raises(refused, match="(?i)UNIQUE"):
        store.conn.execute("INSERT INTO settings (key, value) VALUES ('a', '2')")
    with pytest.raises(refused, match="append-only"):
        store.conn.execute("DELETE FROM audit_log")


# ---- file modes ------------------------------------------------------------------------


def test_a_new_review_and_its_wal_files_are_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "review.sqlite"
    old = os.umask(0o022)
    try:
        with Store(path) as store:
            store.add_records(
                store.start_run(kind="import", source="file", database="X"), records(1)
            )
            files = [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))]
            modes = {p.name: oct(p.stat().st_mode & 0o777) for p in files}
    finally:
        os.umask(old)
    assert set(modes.values()) == {"0o600"}, modes
