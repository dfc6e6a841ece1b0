"""Benchmark screener's deduplication on the labelled sets in ../shared/dedup-bench.

    python bench/bench_dedup.py [--sets respiratory stroke ...] [--scaled 10000 30000 100000]
                                [--export-groups DIR] [--errors] [--data DIR]

Per set: records, gold pairs, predicted pairs, pairwise precision/recall/F1, record-removal
TP/FP/FN (the README convention), uncertain pairs, engine seconds (find_matches +
group_matches) and peak memory (MiB, max RSS of a fresh worker process). Each set runs in
its own process so the memory figure is that set's. The figures are reported, not asserted.

The CSVs are read here (the engine does no IO); the data is never copied.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from screener.dedup import (  # noqa: E402
    UNCERTAIN,
    DedupRecord,
    Match,
    find_matches,
    group_matches,
    rules,  # noqa: E402
    split_authors,
)
from screener.normalize import first_year  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "dedup-bench"
SETS = ("respiratory", "stroke", "haematology", "digital_work", "special_cases", "tests_small")
STRESS_SETS = ("respiratory", "stroke", "haematology", "digital_work")

csv.field_size_limit(1 << 30)


# --------------------------------------------------------------------------- reading


def _value(row: dict[str, str], *names: str) -> str:
    for name in names:
        v = (row.get(name) or "").strip()
        if v and v.upper() != "UNKNOWN":
            return v
    return ""


def _issue_is_counter(rows: list[dict[str, str]], column: str) -> bool:
    """True if a column holds a record counter (a permutation of 1..n), not issues.

    The Rathbone EndNote exports (respiratory) put EndNote's record number there.
    """
    values = [(r.get(column) or "").strip() for r in rows]
    if not values or not all(v.isdigit() for v in values):
        return False
    numbers = sorted(int(v) for v in values)
    return numbers == list(range(1, len(values) + 1))


def load_set(folder: Path) -> tuple[list[DedupRecord], list[str], list[list[int]], dict]:
    """Records (ids = row numbers), their CSV IDs, gold groups (row numbers), notes."""
    with open(folder / "records_pre_merged.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if (r.get("ID") or "").strip()]
    notes: dict[str, str] = {}
    issue_col = "number" if rows and "number" in rows[0] else "issue"
    drop_issue = _issue_is_counter(rows, issue_col)
    if drop_issue:
        notes["issue"] = f"column {issue_col!r} is a record counter 1..n, ignored"
    records: list[DedupRecord] = []
    ids: list[str] = []
    for index, row in enumerate(rows):
        ids.append(row["ID"].strip())
        records.append(
            DedupRecord(
                id=index,
                title=_value(row, "title"),
                authors=tuple(split_authors(_value(row, "author"))),
                year=first_year(_value(row, "year")),
                journal=_value(row, "journal"),
                volume=_value(row, "volume"),
                issue="" if drop_issue else _value(row, issue_col, "issue"),
                pages=_value(row, "pages"),
                doi=_value(row, "doi"),
                pmid=_value(row, "pmid", "pubmed_id"),
                pmcid=_value(row, "pmcid"),
                entry_type=_value(row, "ENTRYTYPE").lower(),
                abstract=_value(row, "abstract"),
                booktitle=_value(row, "booktitle"),
                issn=_value(row, "issn"),
                source=folder.name,
                search_set=_value(row, "search_set"),
            )
        )
    position = {rid: i for i, rid in enumerate(ids)}
    groups: list[list[int]] = []
    with open(folder / "merged_record_ids.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            members = [position[x] for x in row["merged_ids"].split(";") if x in position]
            if len(members) > 1:
                groups.append(members)
    return records, ids, groups, notes


# --------------------------------------------------------------------------- scoring


def pairs_of(groups: list[list[int]]) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for g in groups:
        for a, b in itertools.combinations(sorted(g), 2):
            out.add((a, b))
    return out


def predicted_groups(mapping: dict[int, int]) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for member, canonical in mapping.items():
        groups.setdefault(canonical, [canonical]).append(member)
    return list(groups.values())


def removal_counts(n: int, gold: list[list[int]], mapping: dict[int, int]) -> dict[str, int]:
    """README convention: keep the canonical record of each predicted group."""
    removed = set(mapping)
    in_gold = set()
    tp = fp = fn = 0
    for g in gold:
        in_gold.update(g)
        m = sum(1 for x in g if x in removed)
        k = len(g)
        tp += min(m, k - 1)
        fn += (k - 1) - min(m, k - 1)
        if m == k:
            fp += 1
    fp += sum(1 for x in removed if x not in in_gold)
    tn = n - tp - fp - fn
    return {"TP": tp, "FP": fp, "FN": fn, "TN": tn}


def score(
    n: int, gold: list[list[int]], mapping: dict[int, int], matches: list[Match]
) -> dict[str, object]:
    gold_pairs = pairs_of(gold)
    pred_pairs = pairs_of(predicted_groups(mapping))
    tp = len(gold_pairs & pred_pairs)
    precision = tp / len(pred_pairs) if pred_pairs else 1.0
    recall = tp / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out: dict[str, object] = {
        "records": n,
        "gold_pairs": len(gold_pairs),
        "pred_pairs": len(pred_pairs),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "uncertain": sum(1 for m in matches if m.verdict == UNCERTAIN),
        "uncertain_true": sum(
            1
            for m in matches
            if m.verdict == UNCERTAIN and (min(m.a, m.b), max(m.a, m.b)) in gold_pairs
        ),
    }
    out.update(removal_counts(n, gold, mapping))
    return out


# --------------------------------------------------------------------------- one run


def run_engine(records: list[DedupRecord]) -> tuple[list[Match], dict[int, int], float]:
    start = time.perf_counter()
    prepared: dict = {}  # as `screener dedup` does: records prepared once
    matches = find_matches(records, prepared_out=prepared)
    mapping = group_matches([r.id for r in records], matches, records=records, prepared=prepared)
    return matches, mapping, time.perf_counter() - start


def _describe(r: DedupRecord, csv_id: str) -> str:
    return (
        f"{csv_id} | {r.title[:110]} | {r.year} | {'; '.join(r.authors[:3])[:50]} | "
        f"{(r.journal or r.booktitle)[:40]} | {r.volume} ({r.issue}) {r.pages} | {r.doi}"
    )


def print_errors(
    records: list[DedupRecord],
    ids: list[str],
    gold: list[list[int]],
    mapping: dict[int, int],
    matches: list[Match],
) -> None:
    gold_pairs = pairs_of(gold)
    pred_pairs = pairs_of(predicted_groups(mapping))
    by_pair = {(m.a, m.b): m for m in matches}
    for label, wrong in (
        ("FALSE MERGE", pred_pairs - gold_pairs),
        ("MISSED", gold_pairs - pred_pairs),
    ):
        for a, b in sorted(wrong):
            m = by_pair.get((a, b))
            how = f"{m.verdict} {m.method} {m.score:.2f} {m.evidence}" if m else "not linked"
            print(f"  {label}: {how}")
            print(f"     {_describe(records[a], ids[a])}")
            print(f"     {_describe(records[b], ids[b])}")


def _stress_scores(
    gold: list[list[int]], groups: list[list[int]], kinds: dict[int, str]
) -> dict[str, list[int]]:
    """Per corruption kind: [copies, copies that joined their group]; per trap kind:
    [traps, traps merged with anything] (a merged trap is a false merge)."""
    where = {x: i for i, g in enumerate(groups) for x in g}
    gold_of = {x: set(g) for g in gold for x in g}
    out: dict[str, list[int]] = {}
    for record_id, kind in kinds.items():
        row = out.setdefault(kind, [0, 0])
        row[0] += 1
        if kind.startswith("trap-"):
            row[1] += record_id in where
        else:
            mates = gold_of.get(record_id, set()) - {record_id}
            row[1] += record_id in where and any(where.get(m) == where[record_id] for m in mates)
    return out


def _write_bench_csv(path: Path, records: list[DedupRecord], ids: list[str]) -> None:
    """The records as a CSV bib-dedupe reads (for the synthetic sets only)."""
    columns = ["ID", "ENTRYTYPE", "title", "author", "year", "journal", "booktitle", "volume"]
    columns += ["number", "pages", "doi", "abstract"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r, rid in zip(records, ids, strict=True):
            w.writerow(
                [rid, r.entry_type or "article", r.title, " and ".join(r.authors), r.year or "",
                 r.journal, r.booktitle, r.volume, r.issue, r.pages, r.doi, r.abstract]
            )  # fmt: skip


def worker(
    spec: str, data: Path, errors: bool, export: str, disable: str = "", csv_out: str = ""
) -> dict[str, object]:
    if disable:
        rules.DISABLED.update(x for x in disable.split(",") if x)
    kinds: dict[int, str] = {}
    if spec.startswith("scaled:"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from make_scaled_set import build_scaled

        n = int(spec.split(":", 1)[1])
        base = []
        for name in ("respiratory", "stroke", "haematology", "digital_work"):
            recs, _, gold, _ = load_set(data / name)
            base.append((recs, gold))
        t0 = time.perf_counter()
        records, gold = build_scaled(n, base)
        build_seconds = time.perf_counter() - t0
        # record ids are 0..n-1 but shuffled; scoring wants index == id
        records.sort(key=lambda r: r.id)
        ids = [str(r.id) for r in records]
        notes = {"build_seconds": f"{build_seconds:.1f}"}
    elif spec.startswith("stress:"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from make_stress_set import build_stress

        base_records, base_ids, base_gold, notes = load_set(data / spec.split(":", 1)[1])
        records, gold, kinds = build_stress(base_records, base_gold)
        ids = base_ids + [f"stress_{i}" for i in range(len(base_ids), len(records))]
    else:
        records, ids, gold, notes = load_set(data / spec)
    if csv_out:
        _write_bench_csv(Path(csv_out), records, ids)
    matches, mapping, seconds = run_engine(records)
    result = score(len(records), gold, mapping, matches)
    result["seconds"] = seconds
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["set"] = spec
    result["notes"] = notes
    if kinds:
        result["kinds"] = _stress_scores(gold, predicted_groups(mapping), kinds)
        result["truth"] = {"ids": ids, "gold": gold, "kinds": {str(k): v for k, v in kinds.items()}}
    elif not spec.startswith("scaled:"):
        result["truth"] = {"ids": ids, "gold": gold}
    if errors:
        print_errors(records, ids, gold, mapping, matches)
    if export:
        path = Path(export) / f"{spec.replace(':', '_')}_predicted_merged_ids.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, quoting=csv.QUOTE_ALL)
            w.writerow(["merged_ids"])
            for g in sorted(predicted_groups(mapping)):
                w.writerow([";".join(ids[i] for i in sorted(g))])
        uncertain = Path(export) / f"{spec.replace(':', '_')}_uncertain_pairs.csv"
        with open(uncertain, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id_a", "id_b", "score", "method", "evidence"])
            for m in matches:
                if m.verdict == UNCERTAIN:
                    w.writerow([ids[m.a], ids[m.b], m.score, m.method, json.dumps(m.evidence)])
    return result


# --------------------------------------------------------------------------- main

_HEADER = (
    f"{'set':<16}{'records':>8}{'gold':>7}{'pred':>7}{'prec':>8}{'recall':>8}{'F1':>7}"
    f"{'TP':>6}{'FP':>5}{'FN':>5}{'uncert':>7}{'(true)':>7}{'sec':>7}{'MiB':>7}"
)


def _row(r: dict[str, object]) -> str:
    return (
        f"{r['set']!s:<16}{r['records']:>8}{r['gold_pairs']:>7}{r['pred_pairs']:>7}"
        f"{r['precision']:>8.3f}{r['recall']:>8.3f}{r['f1']:>7.3f}"
        f"{r['TP']:>6}{r['FP']:>5}{r['FN']:>5}{r['uncertain']:>7}{r['uncertain_true']:>7}"
        f"{r['seconds']:>7.2f}{r['peak_mib']:>7.0f}"
    )


def _run_worker(spec: str, args: argparse.Namespace, disable: str = "", csv_out: str = ""):
    cmd = [sys.executable, __file__, "--worker", spec, "--data", str(args.data)]
    if args.errors:
        cmd.append("--errors")
    if args.export_groups:
        cmd += ["--export-groups", args.export_groups]
    if disable:
        cmd += ["--disable", disable]
    if csv_out:
        cmd += ["--csv-out", csv_out]
    wall = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    wall = time.perf_counter() - wall
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
        elif args.errors:
            print(line)
    if result is None:
        print(f"{spec}: failed\n{proc.stderr[-3000:]}", file=sys.stderr)
        return None
    result["wall"] = wall
    return result


def _bib_dedupe(python: str, csv_path: Path, result: dict) -> dict | None:
    """Score bib-dedupe's groups for the same records (ids and gold from `result`)."""
    wall = time.perf_counter()
    script = str(Path(__file__).resolve().parent / "bench_bibdedupe.py")
    proc = subprocess.run([python, script, str(csv_path)], capture_output=True, text=True)
    wall = time.perf_counter() - wall
    groups = None
    for line in proc.stdout.splitlines():
        if line.startswith("GROUPS "):
            groups = json.loads(line[7:])
    if groups is None:
        print(f"bib-dedupe failed on {csv_path}:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    truth = result["truth"]
    position = {rid: i for i, rid in enumerate(truth["ids"])}
    mapping: dict[int, int] = {}
    for g in groups:
        members = sorted(position[x] for x in g if x in position)
        for m in members[1:]:
            mapping[m] = members[0]
    out = score(len(truth["ids"]), truth["gold"], mapping, [])
    out.update(set="  bib-dedupe", seconds=wall, peak_mib=0.0, wall=wall)
    kinds = {int(k): v for k, v in truth.get("kinds", {}).items()}
    if kinds:
        out["kinds"] = _stress_scores(truth["gold"], predicted_groups(mapping), kinds)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=None, help=f"default: {' '.join(SETS)}")
    parser.add_argument("--scaled", nargs="*", type=int, default=[], metavar="N")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--errors", action="store_true", help="list false merges and misses")
    parser.add_argument("--export-groups", default="", metavar="DIR")
    parser.add_argument(
        "--stress", action="store_true", help="the synthetic stress sets (bench/make_stress_set.py)"
    )
    parser.add_argument(
        "--leave-one-out",
        action="store_true",
        help="also run each set with the rules written while looking at it switched off",
    )
    parser.add_argument(
        "--bib-dedupe",
        default="",
        metavar="PYTHON",
        help="the python of a separate venv with bib-dedupe 0.11.0: run it side by side",
    )
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    parser.add_argument("--disable", default="", help=argparse.SUPPRESS)
    parser.add_argument("--csv-out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = worker(
            args.worker, args.data, args.errors, args.export_groups, args.disable, args.csv_out
        )
        sys.stdout.flush()
        print("RESULT " + json.dumps(result))
        return 0

    if not args.data.is_dir():
        print(f"benchmark data not found at {args.data}", file=sys.stderr)
        return 2
    default = STRESS_SETS if args.stress else SETS
    sets = list(default) if args.sets is None and not args.scaled else list(args.sets or [])
    specs = [f"stress:{s}" if args.stress else s for s in sets]
    specs += [f"scaled:{n}" for n in args.scaled]
    print(_HEADER)
    kinds: dict[str, dict[str, list[int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            csv_out = ""
            if args.bib_dedupe and spec.startswith("stress:"):
                csv_out = str(Path(tmp) / f"{spec.replace(':', '_')}.csv")
            result = _run_worker(spec, args, csv_out=csv_out)
            if result is None:
                continue
            wall = f"  (wall {result['wall']:.1f}s)"
            print(_row(result) + wall)
            for key, value in (result.get("notes") or {}).items():
                print(f"{'':<16}note: {key}: {value}")
            _add_kinds(kinds, "screener", result)
            name = spec.split(":", 1)[-1]
            if args.leave_one_out:
                held = rules.written_from(name)
                loo = _run_worker(spec, args, disable=",".join(sorted(held)))
                if loo is not None:
                    loo["set"] = "  left out"
                    off = ", ".join(sorted(held)) or "none"
                    print(_row(loo) + f"  (rules off: {off})")
            if args.bib_dedupe and not spec.startswith("scaled:"):
                path = Path(csv_out) if csv_out else args.data / name / "records_pre_merged.csv"
                other = _bib_dedupe(args.bib_dedupe, path, result)
                if other is not None:
                    ratio = other["wall"] / max(result["wall"], 1e-9)
                    print(_row(other) + f"  (wall {other['wall']:.1f}s, {ratio:.0f}x screener)")
                    _add_kinds(kinds, "bib-dedupe", other)
    if kinds:
        _print_kinds(kinds)
    print(
        "gold/pred = pairs; prec/recall/F1 pairwise; TP/FP/FN record removal (README);"
        " uncert = uncertain pairs left for review, (true) = of which gold duplicates;"
        " sec = find_matches + group_matches; MiB = peak RSS of the worker process;"
        " wall = the whole worker process (reading the CSV included)."
    )
    return 0


def _add_kinds(kinds: dict[str, dict[str, list[int]]], tool: str, result: dict) -> None:
    for kind, (n, hit) in (result.get("kinds") or {}).items():
        row = kinds.setdefault(tool, {}).setdefault(kind, [0, 0])
        row[0] += n
        row[1] += hit


def _print_kinds(kinds: dict[str, dict[str, list[int]]]) -> None:
    tools = list(kinds)
    print(
        "\nper corruption kind (all stress sets): copies that joined their group;"
        " traps: merged with anything (false merges)"
    )
    print(f"{'kind':<22}{'n':>6}" + "".join(f"{t:>14}" for t in tools))
    names = sorted({k for t in tools for k in kinds[t]}, key=lambda k: (k.startswith("trap"), k))
    for kind in names:
        n = max(kinds[t].get(kind, [0, 0])[0] for t in tools)
        cells = ""
        for t in tools:
            total, hit = kinds[t].get(kind, [0, 0])
            cells += f"{hit} ({hit / total if total else 0:.2f})".rjust(14)
        print(f"{kind:<22}{n:>6}{cells}")


if __name__ == "__main__":
    raise SystemExit(main())
