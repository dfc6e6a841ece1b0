"""Benchmark: import a 100,000-entry RIS export into a review (`screener import`'s path).

Builds the file at run time in a temporary directory, by replicating the real Scopus and
Web of Science entries of ../shared/fixtures/ris with fresh ids, DOIs and titles (or, when
../shared is absent, from synthetic entries of the same shape), then reads it in a child
process and prints records/s, seconds and the child's peak memory (ru_maxrss, the whole
process: interpreter, file reading, the records kept and SQLite). It times the whole
import (hash, read, store in one transaction) and the reading alone. The target: well
under a minute and under 1 GiB.

    python bench/bench_import.py [--records 100000] [--tracemalloc] [--baseline DIR]

CPU seconds are printed beside wall-clock seconds: on a shared, loaded machine they are
the steadier figure. `--baseline DIR` (another checkout of screener, e.g. made with
`git archive <commit> | tar -x -C DIR`) imports the same file with that code too, in the
same run, so both sides of a comparison see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RIS_FIXTURES = SHARED / "fixtures" / "ris"
TARGET_SECONDS = 60.0
TARGET_MIB = 1024.0


def fixture_entries() -> list[str]:
    """The raw text of every entry in the real RIS fixtures ([] when ../shared is absent)."""
    entries: list[str] = []
    for path in sorted(RIS_FIXTURES.glob("*.ris")):
        text = path.read_bytes().decode("utf-8-sig")
        for chunk in re.split(r"^ER  -[^\n]*\n?", text, flags=re.MULTILINE):
            chunk = chunk.strip("\n")
            if chunk.lstrip().startswith("TY  -"):
                entries.append(chunk.lstrip() + "\nER  - \n\n")
    return entries


def synthetic_entry(rng: random.Random) -> str:
    """One realistic Scopus-shaped entry (used when the real fixtures are absent)."""
    words = ["canine", "feline", "sleep", "taurine", "plasma", "cohort", "trial", "renal"]

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    lines = ["TY  - JOUR"]
    lines += [f"AU  - {text(1).title()}, {chr(65 + rng.randrange(26))}." for _ in range(6)]
    lines += [f"TI  - {text(12).capitalize()}", "PY  - 2024", "T2  - Journal of Examples"]
    lines += ["VL  - 12", "IS  - 3", "SP  - 100", "EP  - 110", "DO  - 10.5555/example"]
    lines += ["UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-1&partnerID=40"]
    lines += [f"AB  - {text(200)}"] + [f"KW  - {text(2)}" for _ in range(35)]
    lines += ["SN  - 20762615 (ISSN)", "LA  - English", "J2  - J. Ex.", "M3  - Article"]
    lines += ["DB  - Scopus", f"N1  - Export Date: 1 May 2025; {text(30)}"]
    return "\n".join(lines) + "\nER  - \n\n"


def varied(entry: str, number: int) -> str:
    """The entry with ids, DOI and title made unique for copy `number`."""
    entry = re.sub(r"eid=2-s2\.0-\d+", f"eid=2-s2.0-{90000000000 + number}", entry)
    entry = re.sub(r"(^|\r)AN  - WOS:\w+", rf"\1AN  - WOS:{number:015d}", entry, flags=re.MULTILINE)
    entry = re.sub(r"^(DO  - \S+)", rf"\1.{number}", entry, flags=re.MULTILINE)
    return re.sub(r"^(TI  - .*)$", rf"\1 [{number}]", entry, count=1, flags=re.MULTILINE)


def generate(path: Path, count: int) -> int:
    """Write `count` entries to `path`; returns the file size in bytes."""
    templates = fixture_entries()
    rng = random.Random(20250101)
    if not templates:
        templates = [synthetic_entry(rng) for _ in range(60)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\ufeff")
        for number in range(count):
            handle.write(varied(templates[number % len(templates)], number))
    return path.stat().st_size


def read_in_this_process(path: Path, trace: bool, code: Path) -> dict[str, float]:
    """Read the file; the measurements as a dict (run in the child process)."""
    sys.path.insert(0, str(code))
    from screener.importers import read_file
    from screener.store import Store
    from screener.workflow.importing import import_file

    if trace:
        import tracemalloc

        tracemalloc.start()
    began, cpu = time.perf_counter(), time.process_time()
    result = read_file(path, "Scopus")
    read_seconds, read_cpu = time.perf_counter() - began, time.process_time() - cpu
    del result
    began, cpu = time.perf_counter(), time.process_time()
    database = path.with_name(f"bench-{os.getpid()}.sqlite")
    with Store(database) as store:
        imported = import_file(store, path, "Scopus")
    seconds, whole_cpu = time.perf_counter() - began, time.process_time() - cpu
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "records": imported.run.count_stored,
        "problems": len(imported.skipped),
        "seconds": seconds,
        "read_seconds": read_seconds,
        "cpu": whole_cpu,
        "read_cpu": read_cpu,
        "code": str(code),
        "peak_mib": peak_kib / 1024,
        "traced_mib": traced,
        "encoding": imported.encoding,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    parser.add_argument("--baseline", type=Path, help="another checkout to measure alongside")
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        print(json.dumps(read_in_this_process(args.read, args.tracemalloc, args.code)))
        return
    source = "real Scopus + WoS fixture entries" if fixture_entries() else "synthetic entries"
    codes = [ROOT] + ([args.baseline.resolve()] if args.baseline else [])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ris"
        size = generate(path, args.records)
        print(f"generated {args.records:,} entries from {source}: {size / 2**20:.1f} MiB")
        runs = []
        for code in codes:
            command = [sys.executable, __file__, "--read", str(path), "--code", str(code)]
            if args.tracemalloc:
                command.append("--tracemalloc")
            child = subprocess.run(command, capture_output=True, text=True, check=True)
            runs.append(json.loads(child.stdout))
    ok = True
    for stats in runs:
        ok = report(stats, args.tracemalloc, len(runs) > 1) and ok
        ok = ok and stats["records"] == args.records
    print("OK" if ok else "TOO SLOW OR TOO BIG")
    sys.exit(0 if ok else 1)


def report(stats: dict, traced: bool, named: bool) -> bool:
    """Print one run's figures; whether it met the targets."""
    if named:
        print(f"--- code: {stats['code']}")
    rate = stats["records"] / stats["seconds"]
    print(f"records:   {stats['records']:,} ({stats['problems']} problems, {stats['encoding']})")
    print(
        f"seconds:   {stats['seconds']:.2f} whole import (target < {TARGET_SECONDS:.0f}); "
        f"{stats['read_seconds']:.2f} reading alone"
    )
    print(f"cpu:       {stats['cpu']:.2f} s whole import; {stats['read_cpu']:.2f} s reading alone")
    print(f"records/s: {rate:,.0f}")
    print(f"peak RSS:  {stats['peak_mib']:.0f} MiB  (target < {TARGET_MIB:.0f})")
    if traced:
        print(f"peak traced Python allocations: {stats['traced_mib']:.0f} MiB")
    return stats["seconds"] < TARGET_SECONDS and stats["peak_mib"] < TARGET_MIB


if __name__ == "__main__":
    main()
