"""Time the whole `screener dedup` command on labelled sets, beside bib-dedupe in the same run.

    python bench/bench_dedup_command.py [--sets digital_work ...] [--bib-dedupe PYTHON]
                                        [--scaled 100000]

For each set: a fresh review in a temporary directory, then as a user would run them
`screener import FILE --format csv`, `screener dedup`, `screener dedup export-groups`,
each timed as a whole process (start-up, reading, writing included). The exported groups
are scored against the gold groups (pairwise precision/recall). With `--bib-dedupe` (the
python of a separate venv holding bib-dedupe 0.11.0) bib-dedupe runs on the same CSV
right after, and the ratio of its time to `screener dedup`'s is printed. `--scaled N`
times import and dedup on a review of N records built from the real ones (peak RSS from
/usr/bin/time when it is there). Figures are
reported, not asserted; the machine is shared, so compare the two sides of one run.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_dedup import DEFAULT_DATA, pairs_of  # noqa: E402


def _screener() -> list[str]:
    found = shutil.which("screener")
    return [found] if found else [sys.executable, "-m", "screener"]


PEAK: dict[str, float] = {}  # command name -> peak RSS in MiB (with /usr/bin/time)


def _timed(cmd: list[str]) -> float:
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else "")
    report = Path(tempfile.gettempdir()) / f"bench-dedup-time-{id(cmd)}.txt"
    wrapped = [timer, "-f", "%M", "-o", str(report), *cmd] if timer else cmd
    start = time.perf_counter()
    proc = subprocess.run(wrapped, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    if timer and report.exists():
        lines = report.read_text().split()
        PEAK[cmd[1] if len(cmd) > 1 else cmd[0]] = int(lines[-1]) / 1024 if lines else 0.0
        report.unlink()
    return seconds


def _gold(folder: Path) -> list[list[str]]:
    with open(folder / "merged_record_ids.csv", newline="", encoding="utf-8") as f:
        return [row["merged_ids"].split(";") for row in csv.DictReader(f)]


def _scores(gold: list[list[str]], predicted: list[list[str]]) -> tuple[float, float]:
    gold_pairs = pairs_of(gold)  # type: ignore[arg-type]
    pred_pairs = pairs_of(predicted)  # type: ignore[arg-type]
    tp = len(gold_pairs & pred_pairs)
    precision = tp / len(pred_pairs) if pred_pairs else 1.0
    recall = tp / len(gold_pairs) if gold_pairs else 1.0
    return precision, recall


def run_scaled(n: int, data: Path) -> None:
    """`screener import` + `screener dedup` on a review of about `n` records built from the
    real sets (bench/make_scaled_set.py), written to a temporary CSV first."""
    from bench_dedup import _write_bench_csv, load_set
    from make_scaled_set import build_scaled

    base = []
    for name in ("respiratory", "stroke", "haematology", "digital_work"):
        records, _, gold, _ = load_set(data / name)
        base.append((records, gold))
    records, _gold_groups = build_scaled(n, base)
    records.sort(key=lambda r: r.id)
    exe = _screener()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "scaled.csv"
        _write_bench_csv(source, records, [f"s{r.id}" for r in records])
        db = str(Path(tmp) / "review.sqlite")
        t_import = _timed(
            exe + ["import", str(source), "--format", "csv", "--database", "scaled", "--db", db]
        )
        t_dedup = _timed(exe + ["dedup", "--db", db])
    peak = PEAK.get("dedup", 0.0)
    print(
        f"scaled:{n:<8} screener: import {t_import:5.1f}s  dedup {t_dedup:5.1f}s"
        + (f"  (dedup peak RSS {peak:.0f} MiB)" if peak else "")
    )


def run_set(name: str, data: Path, bib_python: str) -> None:
    folder = data / name
    source = folder / "records_pre_merged.csv"
    gold = _gold(folder)
    exe = _screener()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "review.sqlite")
        out = str(Path(tmp) / "groups.csv")
        t_import = _timed(
            exe + ["import", str(source), "--format", "csv", "--database", name, "--db", db]
        )
        t_dedup = _timed(exe + ["dedup", "--db", db])
        t_export = _timed(exe + ["dedup", "export-groups", out, "--db", db])
        with open(out, newline="", encoding="utf-8") as f:
            predicted = [row["merged_ids"].split(";") for row in csv.DictReader(f)]
    precision, recall = _scores(gold, predicted)
    print(
        f"{name:<14} screener: import {t_import:5.1f}s  dedup {t_dedup:5.1f}s  "
        f"export-groups {t_export:4.1f}s  precision {precision:.3f} recall {recall:.3f}"
    )
    if not bib_python:
        return
    start = time.perf_counter()
    proc = subprocess.run(
        [bib_python, str(BENCH / "bench_bibdedupe.py"), str(source)],
        capture_output=True,
        text=True,
    )
    t_bib = time.perf_counter() - start
    groups = []
    for line in proc.stdout.splitlines():
        if line.startswith("GROUPS "):
            groups = [g for g in json.loads(line[7:]) if len(g) > 1]
    bp, br = _scores(gold, groups)
    print(
        f"{'':<14} bib-dedupe: {t_bib:5.1f}s whole process  precision {bp:.3f} recall {br:.3f}"
        f"  -> screener dedup takes 1/{t_bib / t_dedup:.0f} of bib-dedupe's time"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=["digital_work"])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--bib-dedupe", default="", metavar="PYTHON")
    parser.add_argument("--scaled", nargs="*", type=int, default=[], metavar="N")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"benchmark data not found at {args.data}", file=sys.stderr)
        return 2
    for name in args.sets:
        run_set(name, args.data, args.bib_dedupe)
    for n in args.scaled:
        run_scaled(n, args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
