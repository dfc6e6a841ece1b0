"""Benchmark screener's screening prioritisation against ASReview LAB on labelled reviews.

    python bench/bench_ranking.py [--data ../shared/screening-sets] [--sets NAME ...]
        [--seeds 1 2 3 4 5] [--asreview /tmp/asr-venv/bin/asreview] [--cache DIR]
        [--candidates]

Per set and seed, both tools start from the same two priors (one include, one exclude,
drawn by `screener.screening.simulation.choose_priors` and passed to ASReview with
`--prior-idx`), retrain as they go and stop when every include is found. Printed per set:
records screened to 95% / 100% recall, WSS@95, recall after 10% (mean over seeds), the
buscar stopping point and the recall there (screener), and CPU / wall seconds per run of
the whole command, process start to exit, for both: `asreview simulate FILE` and
`screener simulate FILE --json` (which reads the file, computes the features and replays).

ASReview runs are slow (minutes per run on the largest set), so their results are cached
in --cache (default /tmp/asr-runs) by set, seed and priors; delete it to re-measure. Without
--asreview only screener is run. `--candidates` also runs the other rankers the default was
chosen from (a benchmark, not a zoo in the product). The data is read in place, never copied.
"""

from __future__ import annotations

import os

# Each command runs with the environment as it was (ASReview with its own defaults;
# screener sets one BLAS thread itself, screener/__init__.py); this process, which runs
# candidate rankers itself, does as screener does, before numpy is imported.
THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
AS_GIVEN = dict(os.environ)
for _variable in THREADS:
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from screener.screening import ranking, simulation  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "screening-sets"
SETS = ("van_de_Schoot_2017", "Hall_2012", "Cohen_2006_ACEInhibitors")
csv.field_size_limit(1 << 30)


def load(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    titles = [r["title"] for r in rows]
    abstracts = [r["abstract"] for r in rows]
    return titles, abstracts, np.array([int(r["label_final"]) for r in rows])


# ---------------------------------------------------------------------------- screener


def run_screener(path: Path, seed: int) -> dict:
    """`screener simulate` on the file, as a user runs it: process start to exit."""
    command = [sys.executable, "-m", "screener", "simulate", str(path), "--seed", str(seed)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(
        [*command, "--json"], check=True, capture_output=True, cwd=ROOT, env=AS_GIVEN
    )
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = json.loads(done.stdout)
    figures["cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)
    figures["wall_s"] = round(wall, 2)
    return figures


def run_in_process(texts, labels, seed, ranker_factory=None) -> dict:
    """A candidate ranker, in this process (features included, imports not)."""
    cpu, wall = time.process_time(), time.perf_counter()
    features = ranking.text_features(texts)
    sim = simulation.simulate(features, labels, seed=seed, ranker_factory=ranker_factory)
    figures = simulation.measures(sim)
    figures["cpu_s"] = round(time.process_time() - cpu, 2)
    figures["wall_s"] = round(time.perf_counter() - wall, 2)
    return figures


# ---------------------------------------------------------------------------- ASReview


def run_asreview(
    exe: str, name: str, titles, abstracts, labels, seed, cache: Path, cached_only=False
) -> dict | None:
    priors = simulation.choose_priors(labels, 1, 1, seed)
    key = cache / f"{name}-seed{seed}-priors{'-'.join(map(str, priors))}.json"
    if key.exists():
        return json.loads(key.read_text())
    if cached_only:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / f"{name}.csv"
        with open(data, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["title", "abstract", "label_included"])
            writer.writerows(zip(titles, abstracts, labels.tolist(), strict=True))
        project = Path(tmp) / "run.asreview"
        command = [exe, "simulate", str(data), "--prior-idx", *map(str, priors)]
        command += ["--seed", str(seed), "-o", str(project)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=AS_GIVEN)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        order = _asreview_order(project, Path(tmp))
    sequence = labels[order]
    total = len(labels)
    figures = {
        "screened_to_95": simulation.screened_to_recall(sequence, 0.95),
        "screened_to_100": simulation.screened_to_recall(sequence, 1.0),
        "wss_95": round(simulation.wss(sequence, total, 0.95), 4),
        "recall_at_10pct": round(simulation.recall_after(sequence, total, 0.10), 4),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        "wall_s": round(wall, 2),
        "priors": priors.tolist(),
    }
    cache.mkdir(parents=True, exist_ok=True)
    key.write_text(json.dumps(figures))
    return figures


def _asreview_order(project: Path, tmp: Path) -> np.ndarray:
    with zipfile.ZipFile(project) as z:
        z.extract("results.db", tmp)
    conn = sqlite3.connect(tmp / "results.db")
    rows = conn.execute(
        "SELECT r.dataset_row FROM results s JOIN record r ON r.record_id = s.record_id "
        "ORDER BY s.rowid"
    ).fetchall()
    conn.close()
    return np.array([row[0] for row in rows], dtype=np.int64)


# ---------------------------------------------------------------------------- report

COLUMNS = ("screened_to_95", "screened_to_100", "wss_95", "recall_at_10pct", "cpu_s", "wall_s")


def summary(runs: list[dict]) -> str:
    parts = []
    for column in COLUMNS:
        values = [r[column] for r in runs]
        parts.append(
            f"{column}={np.mean(values):.4f}"
            if "wss" in column or "recall" in column
            else f"{column}={np.mean(values):.1f}"
        )
    return " ".join(parts)


def candidates() -> dict:
    from sklearn.linear_model import LogisticRegression  # noqa: F401 (used below)

    class Logistic:
        name = "logistic regression C=1 balanced"

        def __init__(self, seed):
            self.model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)

        def fit(self, x, rows, y):
            self.model.fit(x[rows], y)

        def rank(self, x):
            return self.model.decision_function(x)

    return {
        "svm C=0.1": lambda s: ranking.LinearRanker(c=0.1),
        "svm C=0.5": lambda s: ranking.LinearRanker(c=0.5),
        "logistic": Logistic,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--asreview", help="path to ASReview LAB's `asreview` (3.0.8)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/asr-runs"))
    parser.add_argument("--candidates", action="store_true")
    parser.add_argument(
        "--cached-only", action="store_true", help="Compare with cached ASReview runs only."
    )
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no labelled sets at {args.data}: pass --data DIR")
    stops_ok = stops = 0
    for name in args.sets:
        titles, abstracts, labels = load(args.data / f"{name}.csv")
        texts = [ranking.record_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
        print(f"\n{name}: {len(labels):,} records, {int(labels.sum())} includes", flush=True)
        ours = [run_screener(args.data / f"{name}.csv", seed) for seed in args.seeds]
        print(f"  screener  {summary(ours)}", flush=True)
        for seed, run in zip(args.seeds, ours, strict=True):
            stops += 1
            stops_ok += bool(run["recall_at_stop"] and run["recall_at_stop"] >= 0.95)
            print(
                f"    seed {seed}: 95%={run['screened_to_95']} 100%={run['screened_to_100']} "
                f"stop at {run['stopped_at']} (recall {run['recall_at_stop']}) "
                f"refits={run['refits']} cpu={run['cpu_s']}s",
                flush=True,
            )
        if args.candidates:
            for label, factory in candidates().items():
                runs = [run_in_process(texts, labels, s, factory) for s in args.seeds]
                print(f"  {label:9} {summary(runs)}", flush=True)
        if args.asreview:
            pairs = [
                (
                    o,
                    run_asreview(
                        args.asreview,
                        name,
                        titles,
                        abstracts,
                        labels,
                        s,
                        args.cache,
                        args.cached_only,
                    ),
                )
                for s, o in zip(args.seeds, ours, strict=True)
            ]
            pairs = [(o, t) for o, t in pairs if t is not None]
            if not pairs:
                print("  asreview  (no cached run)")
                continue
            mine, theirs = [o for o, _ in pairs], [t for _, t in pairs]
            print(f"  asreview  {summary(theirs)}  ({len(theirs)} seeds)", flush=True)
            print(f"  screener  {summary(mine)}  (the same seeds)", flush=True)
            cpu = np.mean([t["cpu_s"] for t in theirs]) / np.mean([o["cpu_s"] for o in mine])
            wall = np.mean([t["wall_s"] for t in theirs]) / np.mean([o["wall_s"] for o in mine])
            wss_gap = np.mean([o["wss_95"] for o in mine]) - np.mean([t["wss_95"] for t in theirs])
            print(
                f"  screener vs asreview: WSS@95 {wss_gap:+.4f}, CPU {cpu:.1f}x less, "
                f"wall {wall:.1f}x less (ASReview's wall from its cached runs: same load?)"
            )
    print(
        f"\nbuscar (recall 0.95, confidence 0.95) stopped at or above 95% recall in "
        f"{stops_ok}/{stops} runs"
    )


if __name__ == "__main__":
    main()
