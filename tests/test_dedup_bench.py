"""Deduplication on the small labelled benchmark sets in ../shared/dedup-bench.

Skipped when the shared folder is absent. The big sets are measured by
`bench/bench_dedup.py`, not asserted here.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest

from screener.dedup import DUPLICATE, DedupRecord, find_matches, group_matches, split_authors
from screener.normalize import first_year

SHARED = Path(__file__).resolve().parents[2] / "shared"
BENCH = SHARED / "dedup-bench"

pytestmark = pytest.mark.skipif(
    not BENCH.is_dir(), reason=f"benchmark data not found at {BENCH} (../shared is absent)"
)


def _field(row: dict[str, object], *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value is not None and str(value).strip() and str(value).strip() != "UNKNOWN":
            return str(value).strip()
    return ""


def _record(index: int, row: dict[str, object]) -> DedupRecord:
    return DedupRecord(
        id=index,
        title=_field(row, "title"),
        authors=tuple(split_authors(_field(row, "author"))),
        year=first_year(_field(row, "year")),
        journal=_field(row, "journal"),
        volume=_field(row, "volume"),
        issue=_field(row, "number", "issue"),
        pages=_field(row, "pages"),
        doi=_field(row, "doi"),
        pmid="",
        pmcid="",
        entry_type=_field(row, "ENTRYTYPE").lower(),
        abstract=_field(row, "abstract"),
        booktitle=_field(row, "booktitle"),
        search_set=_field(row, "search_set"),
    )


def _load(name: str) -> tuple[list[DedupRecord], set[tuple[int, int]]]:
    folder = BENCH / name
    with open(folder / "records_pre_merged.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if (r.get("ID") or "").strip()]
    position = {r["ID"].strip(): i for i, r in enumerate(rows)}
    gold: set[tuple[int, int]] = set()
    with open(folder / "merged_record_ids.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            members = sorted(position[x] for x in row["merged_ids"].split(";") if x in position)
            gold.update(itertools.combinations(members, 2))
    return [_record(i, r) for i, r in enumerate(rows)], gold


def _predicted_pairs(records: list[DedupRecord]) -> set[tuple[int, int]]:
    mapping = group_matches([r.id for r in records], find_matches(records), records=records)
    groups: dict[int, set[int]] = {}
    for member, canonical in mapping.items():
        groups.setdefault(canonical, {canonical}).add(member)
    return {pair for g in groups.values() for pair in itertools.combinations(sorted(g), 2)}


@pytest.mark.parametrize("name", ["tests_small", "special_cases"])
def test_small_sets_precision_and_recall(name: str) -> None:
    records, gold = _load(name)
    predicted = _predicted_pairs(records)
    false_merges = predicted - gold
    assert not false_merges, f"false merges in {name}: {sorted(false_merges)}"
    assert predicted == gold, f"missed in {name}: {sorted(gold - predicted)}"


def _cases() -> list[dict[str, object]]:
    path = BENCH / "test_cases_pairs.json"
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: str(c["id"]))
def test_hard_pairs(case: dict[str, object]) -> None:
    a = _record(1, case["record_a"])  # type: ignore[arg-type]
    b = _record(2, case["record_b"])  # type: ignore[arg-type]
    matches = find_matches([a, b])
    linked = any(m.verdict == DUPLICATE for m in matches)
    assert linked is case["expected_duplicate"], (case["note"], matches)
