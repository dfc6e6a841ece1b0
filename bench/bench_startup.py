"""Benchmark command start-up: what `screener --help`, `screener simulate --help` and a
small `screener simulate FILE` cost before any work is done.

    python bench/bench_startup.py [--repeat 7]

For each command it runs `python -m screener ...` --repeat times in fresh interpreters and
prints the best and median wall time, then once with `python -X importtime` and prints the
total import time, the number of modules imported, the cumulative time of `screener.cli`
and which heavy libraries were imported (a command should import only what it needs:
`simulate` needs numpy and scipy, not scikit-learn, requests, sqlite_utils or textual).
The simulated review is a small synthetic CSV written to a temporary directory.

To compare with another checkout, run this file with PYTHONPATH=/path/to/that/checkout
(the child interpreters inherit it). The machine is shared: compare runs made together.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("click", "numpy", "scipy", "sklearn", "requests", "sqlite_utils", "psycopg", "textual")


def labelled_csv(path: Path, records: int = 400) -> None:
    lines = ["title,abstract,label"]
    for i in range(records):
        words = "randomised trial" if i % 20 == 0 else "cohort survey"
        lines.append(f"record {i} {words},abstract of record {i} on {words},{int(i % 20 == 0)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def wall_times(args: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "screener", *args], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def import_profile(args: list[str]) -> dict:
    """Total import time (s), module count, screener.cli's cumulative time, heavy libraries."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "screener", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    total, count, cli, heavy = 0, 0, 0, set()
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)  # "import time: self | cumulative | name"
        cumulative_us = int(cumulative.strip())
        count += 1
        if not name.startswith("  "):  # top level (nested names are indented further)
            total += cumulative_us
        name = name.strip()
        if name == "screener.cli":
            cli = cumulative_us
        top = name.split(".")[0]  # a package's own line can be missing, its modules' not
        if top in HEAVY:
            heavy.add(top)
    return {"total": total / 1e6, "count": count, "cli": cli / 1e6, "heavy": sorted(heavy)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "labels.csv"
        labelled_csv(labels)
        commands = [["--help"], ["simulate", "--help"], ["simulate", str(labels)]]
        where = os.environ.get("PYTHONPATH") or "the installed screener"
        print(f"screener from {where}; {options.repeat} runs each; load {os.getloadavg()[0]:.1f}")
        for args in commands:
            shown = " ".join(a if a != str(labels) else "labels.csv (400 records)" for a in args)
            times = wall_times(args, options.repeat)
            profile = import_profile(args)
            print(
                f"screener {shown}: wall best {min(times):.3f} s, median "
                f"{statistics.median(times):.3f} s; imports {profile['total']:.3f} s "
                f"({profile['count']} modules, screener.cli {profile['cli']:.3f} s); "
                f"heavy: {', '.join(profile['heavy']) or 'none'}"
            )


if __name__ == "__main__":
    main()
