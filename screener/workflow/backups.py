"""Backing a review up (and restoring it) with SQLite's online backup API."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from screener.errors import ScreenerError
from screener.store import Store


@dataclass(frozen=True)
class BackupMade:
    """The end of `backup_review`: where the copy is and how big it is."""

    source: Path
    dest: Path
    size: int
    replaced: bool


def backup_review(store: Store, dest: Path, force: bool = False) -> BackupMade:
    """Copy the open review to `dest`, consistent as of one moment even while others
    write. An existing `dest` is replaced only with `force` (and only if it is a review:
    that is how a backup is restored into a review, safely even if it is open)."""
    if store.path is None:  # a review on a server: its own tools back it up
        store.backup_to(dest, replace=force)
    _refuse(store.path, dest, force)
    existed = dest.exists()
    store.backup_to(dest, replace=force)
    return BackupMade(store.path, dest, dest.stat().st_size, existed)


def _refuse(source: Path, dest: Path, force: bool) -> None:
    """The destinations a backup must never write to."""
    if _same_file(source, dest) or any(
        _same_file(source.with_name(source.name + suffix), dest)
        for suffix in ("-wal", "-shm", "-journal")
    ):
        raise ScreenerError(f"{dest}: that is the review itself; back it up to another file.")
    if not dest.exists():
        if not dest.parent.is_dir():
            raise ScreenerError(f"{dest}: no folder {dest.parent}; create it first.")
        return
    if dest.is_dir():
        raise ScreenerError(f"{dest}: that is a folder; give a file name for the backup.")
    if not stat.S_ISREG(dest.stat().st_mode):
        raise ScreenerError(f"{dest}: not a regular file; give a file name for the backup.")
    if not force:
        raise ScreenerError(f"{dest} already exists; choose another name or add --force.")


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()
