"""Opening a review file, and the one place where SQLite's failures become screener errors.

Part of the store layer. `connect` creates a new review readable by its owner only (SQLite
gives the -wal/-shm files the database file's mode), opens a review it may not write
read-only (so every reading command still works), and returns a `ReviewConnection`: every
statement, fetch and commit made through it turns a locked, read-only, full or corrupt
database into a `DatabaseError` subclass with a one-line message saying what to do. Other
SQLite errors (constraint failures, bugs) pass through unchanged.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

from screener.errors import (
    CorruptDatabaseError,
    DatabaseError,
    DatabaseLockedError,
    DiskFullError,
    ReadOnlyDatabaseError,
)

BUSY_TIMEOUT_MS = 60_000
FILE_MODE = 0o600  # a review holds unpublished decisions: owner only unless shared on purpose
BACKUP_HINT = "see 'Backups' in the README"


class ReviewCursor(sqlite3.Cursor):
    """A cursor whose statements and fetches raise screener errors for database failures."""

    def execute(self, sql: str, parameters: Any = (), /) -> ReviewCursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            _raise_for(self.connection, exc)

    def executemany(self, sql: str, parameters: Any, /) -> ReviewCursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as exc:
            _raise_for(self.connection, exc)

    def executescript(self, script: str, /) -> ReviewCursor:
        try:
            return super().executescript(script)
        except sqlite3.Error as exc:
            _raise_for(self.connection, exc)

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            _raise_for(self.connection, exc)

    def fetchmany(self, size: int | None = None) -> list:
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.Error as exc:
            _raise_for(self.connection, exc)

    def fetchall(self) -> list:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            _raise_for(self.connection, exc)

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            _raise_for(self.connection, exc)


class ReviewConnection(sqlite3.Connection):
    """A connection to one review file that knows its path and whether it is read-only."""

    review_path: Path
    read_only: bool = False
    busy_timeout_ms: int = BUSY_TIMEOUT_MS

    def cursor(self, factory: type = ReviewCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> ReviewCursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> ReviewCursor:
        return self.cursor().executemany(sql, parameters)

    def executescript(self, script: str, /) -> ReviewCursor:
        return self.cursor().executescript(script)

    def commit(self) -> None:
        try:
            super().commit()
        except sqlite3.Error as exc:
            _raise_for(self, exc)

    def backup(self, target: sqlite3.Connection, **kwargs: Any) -> None:
        try:
            super().backup(target, **kwargs)
        except sqlite3.Error as exc:
            # The failure may be the target's (a full disk there); name the file it concerns.
            where = getattr(target, "review_path", None)
            _raise_for(self, exc, where if _is_write_failure(exc) and where else None)


def translate(
    exc: sqlite3.Error, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> DatabaseError | None:
    """The screener error for a database failure, or None for errors that are not one
    (constraint violations, SQL mistakes: those are bugs or handled by their callers)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    if primary == sqlite3.SQLITE_BUSY:
        return DatabaseLockedError(_locked_message(path, busy_timeout_ms))
    if primary == sqlite3.SQLITE_READONLY:
        return ReadOnlyDatabaseError(
            f"{path}: the review is read-only here (the file, its folder or its disk is not "
            "writable for you): commands that only read it work, this one writes. Ask its "
            "owner for write access, or work on a copy made with `screener backup COPY`."
        )
    if primary == sqlite3.SQLITE_FULL:
        return DiskFullError(
            f"{path}: the disk is full (or your quota is used up), so this change was not "
            "saved; free some space and run the command again."
        )
    if primary == sqlite3.SQLITE_NOTADB:
        return CorruptDatabaseError(
            f"{path}: not a screener review (not an SQLite database, or damaged beyond "
            f"reading); check --db / SCREENER_DB, or restore your latest backup ({BACKUP_HINT})."
        )
    if primary == sqlite3.SQLITE_CORRUPT or code == sqlite3.SQLITE_IOERR_CORRUPTFS:
        return CorruptDatabaseError(corrupt_message(path, str(exc)))
    if primary == sqlite3.SQLITE_IOERR:
        return DatabaseError(
            f"{path}: the disk failed to read or write the review ({exc}); check the disk "
            f"or network share, then run the command again ({BACKUP_HINT} to restore a copy)."
        )
    if primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return DatabaseError(
            f"{path}: cannot open the review database ({exc}); check the path (--db or "
            "SCREENER_DB) and that you may read the file and its folder."
        )
    return None


def corrupt_message(path: Path, detail: str) -> str:
    return (
        f"{path}: the review file is damaged ({detail}); stop writing to it and restore "
        f"your latest backup: copy it back while nobody has the review open ({BACKUP_HINT})."
    )


def _raise_for(conn: Any, exc: sqlite3.Error, path: Path | None = None) -> NoReturn:
    where = path or getattr(conn, "review_path", Path("the review"))
    mapped = translate(exc, where, getattr(conn, "busy_timeout_ms", BUSY_TIMEOUT_MS))
    if mapped is None:
        raise exc
    raise mapped from exc


def _is_write_failure(exc: sqlite3.Error) -> bool:
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    return code in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR)


# ---- who holds the lock ----------------------------------------------------------------


def _locked_message(path: Path, busy_timeout_ms: int) -> str:
    waited = f"{busy_timeout_ms / 1000:g} s"
    return (
        f"{path}: the review is busy: {lock_holder(path) or 'another program'} has held its "
        f"write lock for more than {waited}; wait for it to finish (or stop it) and run "
        "the command again."
    )


def lock_holder(path: Path) -> str | None:
    """The running searches/imports recorded in the review that are alive (or on another
    host, so unknown): the likely holders of the write lock. None when none is recorded."""
    try:
        conn = sqlite3.connect(_uri(path, read_only=True), uri=True, timeout=1)
    except sqlite3.Error:
        return None
    try:
        rows = conn.execute(
            "SELECT id, kind, search_name, pid, host, started FROM runs "
            "WHERE status = 'running' ORDER BY id DESC LIMIT 3"
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    here, me = socket.gethostname(), os.getpid()
    holders = [
        _describe_run(*row)
        for row in rows
        if row[4] != here or (row[3] != me and _alive(row[3]))  # not our own run
    ]
    return "; ".join(holders) or None


def _describe_run(
    run_id: int, kind: str, search: str | None, pid: int | None, host: str | None, started: str
) -> str:
    what = f"{kind} run {run_id}" + (f" of search '{search}'" if search else "")
    return f"{what} (pid {pid or '?'} on host {host or '?'}, started {started})"


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---- opening ---------------------------------------------------------------------------


def connect(
    path: Path, read_only: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> ReviewConnection:
    """Open (creating when absent, mode 0600) the review at `path`, configured for
    screener. Read-only when asked, or when the file or its folder may not be written."""
    read_only = read_only or (path.exists() and not _writable(path))
    try:
        if not read_only:
            _create(path)
        conn = _open(path, read_only, busy_timeout_ms)
    except OSError as exc:
        raise DatabaseError(
            f"{path}: cannot open the review database ({exc.strerror or exc}); check the "
            "path (--db or SCREENER_DB) and that you may write its folder."
        ) from None
    return conn


def _writable(path: Path) -> bool:
    """May we write the file and create its -wal/-shm next to it? (os.access also says
    no on a read-only mount, even to root.)"""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _create(path: Path) -> None:
    """Create an empty review file readable by its owner only (an empty file is a valid
    empty SQLite database); racing creators all succeed."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def _open(path: Path, read_only: bool, busy_timeout_ms: int) -> ReviewConnection:
    conn = _raw_connect(path, read_only, busy_timeout_ms)
    try:
        conn.execute("PRAGMA schema_version").fetchone()  # reads the header: fails early
        if not read_only:
            _use_wal(conn, busy_timeout_ms)
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except DatabaseError as exc:
        conn.close()
        if read_only and not isinstance(exc, CorruptDatabaseError) and _can_open_immutable(path):
            return _open_immutable(path, busy_timeout_ms)
        raise
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: ReviewConnection, busy_timeout_ms: int) -> None:
    """Switch a new file to WAL. SQLite answers BUSY at once, without waiting, when
    another process is switching the same new file at the same moment: retry until the
    busy timeout, as for any other lock."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except DatabaseLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _raw_connect(
    path: Path, read_only: bool, busy_timeout_ms: int, immutable: bool = False
) -> ReviewConnection:
    target: str | Path = _uri(path, read_only, immutable) if read_only else path
    try:
        conn = sqlite3.connect(
            target,
            timeout=busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
            factory=ReviewConnection,
            uri=read_only,
        )
    except sqlite3.Error as exc:
        _raise_for(None, exc, path)
    conn.review_path = path
    conn.read_only = read_only
    conn.busy_timeout_ms = busy_timeout_ms
    conn.row_factory = sqlite3.Row
    return conn


def _can_open_immutable(path: Path) -> bool:
    """In a folder we may not write, SQLite cannot create the -shm a WAL reader needs;
    reading the file as immutable is then right as long as no -wal holds changes not yet
    in the file (a writer there would have created -shm, so none is writing now)."""
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    if shm.exists():
        return False
    if wal.exists() and wal.stat().st_size > 0:
        raise ReadOnlyDatabaseError(
            f"{path}: its latest changes are still in {wal.name}, and only someone who may "
            "write its folder can fold them in; open it once with write access, or copy "
            "the file and its -wal file together to a folder you may write and use the copy."
        )
    return True


def _open_immutable(path: Path, busy_timeout_ms: int) -> ReviewConnection:
    conn = _raw_connect(path, True, busy_timeout_ms, immutable=True)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _uri(path: Path, read_only: bool, immutable: bool = False) -> str:
    uri = "file:" + quote(str(path.absolute()))
    if read_only:
        uri += "?mode=ro" + ("&immutable=1" if immutable else "")
    return uri


# ---- copying (backups and restores) ----------------------------------------------------


def copy_into_new_file(source: sqlite3.Connection, dest: Path) -> None:
    """Back `source` up into a new file `dest`: written as a hidden file beside it (mode
    0600), checked, flushed and renamed into place, so `dest` is whole or absent."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
        target = _raw_connect(tmp, False, BUSY_TIMEOUT_MS)
        target.review_path = dest
        try:
            source.backup(target)
            check_integrity(target, dest)
        finally:
            target.close()
        with open(tmp, "rb") as copied:
            os.fsync(copied.fileno())
        os.replace(tmp, dest)
        _fsync_folder(dest.parent)
    except OSError as exc:
        raise DatabaseError(f"{dest}: cannot write the backup ({exc.strerror or exc}).") from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            leftover.unlink(missing_ok=True)


def copy_into_review(source: sqlite3.Connection, dest: Path) -> None:
    """Replace the review `dest` with a copy of `source` in one transaction on `dest`:
    SQLite locks it, so anyone with it open sees either the old or the new review."""
    try:
        target = _open(dest, False, BUSY_TIMEOUT_MS)
    except CorruptDatabaseError:
        raise DatabaseError(
            f"{dest} exists and is not a screener review; refusing to replace it: remove "
            "it yourself or choose another name."
        ) from None
    try:
        source.backup(target)
        check_integrity(target, dest)
    finally:
        target.close()


def check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """PRAGMA quick_check (every page and record readable and well formed; a second or so
    per GB): a damaged review is refused before anything reads or writes it."""
    report = "\n".join(row[0] for row in conn.execute("PRAGMA quick_check(3)").fetchall())
    if report != "ok":
        lines = [line for line in report.splitlines() if line and not line.startswith("***")]
        raise CorruptDatabaseError(corrupt_message(path, "; ".join(lines[:3])))


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
