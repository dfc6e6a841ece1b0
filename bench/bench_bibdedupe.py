"""Run bib-dedupe on one CSV and print its duplicate groups (a comparison, not a dependency).

    /tmp/bd-venv/bin/python bench/bench_bibdedupe.py records.csv

Run with the Python of a SEPARATE virtual environment holding bib-dedupe 0.11.0
(`python -m venv /tmp/bd-venv && /tmp/bd-venv/bin/pip install bib-dedupe==0.11.0`); it
never imports screener. Prints one line `GROUPS <json list of lists of IDs>` and one line
`SECONDS <prep+block+match+cluster seconds>`; `bench_dedup.py --bib-dedupe PYTHON` times
the whole process from outside.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from bib_dedupe.bib_dedupe import block, cluster, match, prep


def main(path: str) -> int:
    records = pd.read_csv(path, dtype=str, keep_default_na=False)
    start = time.perf_counter()
    prepared = prep(records, verbosity_level=0)
    pairs = block(prepared, verbosity_level=0)
    matched = match(pairs, verbosity_level=0)
    groups = cluster(matched, verbosity_level=0)
    seconds = time.perf_counter() - start
    print("GROUPS " + json.dumps([sorted(str(x) for x in g) for g in groups]))
    print(f"SECONDS {seconds:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
