"""Benchmark: what opening a review costs with the integrity check (PRAGMA quick_check)
that every open now runs, against an open without it, and what `screener backup` takes.

Builds a synthetic review in a temporary directory (records with ~250-word abstracts),
then prints the size and the median of a few timed opens of each kind (warm page cache).

    python bench/bench_open.py [--records 60000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import tempfile
import time
from pathlib import Path

from screener.models import Record
from screener.store import Store


def build(path: Path, count: int) -> None:
    rng = random.Random(1)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(5000)]
    with Store(path) as store:
        run = store.start_run(kind="import", source="file", database="Synthetic")
        store.add_records(
            run,
            [
                Record(
                    source="file",
                    source_id=str(i),
                    title=" ".join(rng.choices(words, k=12)),
                    abstract=" ".join(rng.choices(words, k=250)),
                    authors=("Smith, J", "Doe, A"),
                    year=2000 + i % 25,
                )
                for i in range(count)
            ],
        )
        store.finish_run(run, "completed")


def timed(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "review.sqlite"
        build(path, args.records)
        size = path.stat().st_size / 1e6
        checked = timed(lambda: Store(path).close(), args.repeat)
        unchecked = timed(lambda: Store(path, check=False).close(), args.repeat)

        def backup() -> None:
            dest = Path(folder) / "copy.sqlite"
            dest.unlink(missing_ok=True)
            with Store(path, check=False) as store:
                store.backup_to(dest)

        copied = timed(backup, args.repeat)
    print(f"review: {args.records:,} records, {size:.0f} MB")
    print(f"open with quick_check: {checked:.3f} s; without: {unchecked:.3f} s (median)")
    print(f"backup (online API + quick_check of the copy): {copied:.3f} s (median)")


if __name__ == "__main__":
    main()
