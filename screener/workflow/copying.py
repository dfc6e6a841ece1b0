"""Moving a review between backends: `screener review copy SRC DEST`.

Workflow layer over store.copying: open both reviews (DEST is created and migrated if
new), copy every table with its ids, verify counts and checksums, report per table.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from screener.errors import ScreenerError
from screener.store import Store, review_exists
from screener.store.copying import TableCopied, copy_review, count_rows


def copy(
    source: str | Path, dest: str | Path, progress: Callable[[str, int], None] | None = None
) -> list[TableCopied]:
    """Copy the review at `source` (a file or postgresql:// URL) to `dest`, which must be
    new or empty; returns each table's rows and checksum, equal on both sides."""
    if str(source) == str(dest):
        raise ScreenerError(f"{dest}: that is the review itself; copy it somewhere else.")
    if not review_exists(source):
        raise ScreenerError(f"{source}: no review here; check the path or URL.")
    with Store(source) as src, Store(dest) as out:
        return copy_review(src, out, progress)


def total_rows(source: str | Path) -> int:
    """How many rows a copy of `source` moves (for a progress bar)."""
    with Store(source) as src:
        return count_rows(src)
