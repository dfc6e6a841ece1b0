"""Candidate pairs: records that share a blocking key. Cost grows near-linearly.

Core module: no IO. Keys (a record gets at most ~15):

- identifiers: DOI, DOI without Cochrane version, PMID, PMCID;
- title: the whole folded title (and each translation), its first and its last 24
  characters (catches a dropped subtitle, a prepended section label, truncation and a typo
  at either end), and pairs of the title's three rarest words (catches typos in the middle);
- locator: (year, volume, first page), (first author, year, first page), which catch
  translated and reworded titles;
- stock titles ("Editorial"): (title, year, volume, issue).

A bucket larger than `MAX_BUCKET` (a stock title, a container DOI, a very common title
prefix) is split by year, then by volume; what is still too large is scanned with a
sliding window of `WINDOW` neighbours sorted by issue and first page, so cost stays linear
while identical records still end up linked in a chain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence

from screener.dedup.compare import Prepared

MAX_BUCKET = 40
WINDOW = 4  # neighbours compared in a bucket still too large after splitting
AFFIX = 24
_STOP = frozenset(
    [
        "with",
        "from",
        "that",
        "this",
        "than",
        "into",
        "over",
        "under",
        "between",
        "among",
        "after",
        "before",
        "during",
        "without",
        "within",
        "their",
        "there",
        "were",
        "have",
        "been",
        "study",
        "trial",
        "review",
        "analysis",
        "effect",
        "effects",
        "patients",
        "randomized",
        "randomised",
        "controlled",
        "clinical",
        "case",
        "report",
        "versus",
    ]
)


def _rare_tokens(tokens: Iterable[str], df: dict[str, int]) -> list[str]:
    unique = {t for t in tokens if len(t) >= 4 and t not in _STOP and not t.isdigit()}
    return sorted(unique, key=lambda t: (df.get(t, 0), t))[:3]


def record_keys(p: Prepared, df: dict[str, int]) -> list[Hashable]:
    keys: list[Hashable] = []
    if p.doi:
        keys.append(("d", p.doi))
        if p.doi_key:
            keys.append(("dk", p.doi_key))
    if p.pmid:
        keys.append(("p", p.pmid))
    if p.pmcid:
        keys.append(("c", p.pmcid))
    title = p.title
    if title.generic:
        if title.squashed:
            keys.append(("g", title.squashed, p.year, p.volume, p.issue))
    else:
        for variant in title.variants:
            keys.append(("t", variant))
            if len(variant) > AFFIX:
                keys.append(("tp", variant[:AFFIX]))
                keys.append(("ts", variant[-AFFIX:]))
        rare = _rare_tokens(title.main.split(), df)
        if len(rare) >= 2:
            rare.sort()
            for i in range(len(rare)):
                for j in range(i + 1, len(rare)):
                    keys.append(("r", rare[i], rare[j]))
    start = p.pages.start
    if start and p.year is not None:
        if p.volume:
            keys.append(("l", p.year, p.volume, start))
        if p.authors:
            surname = min(p.authors[0].surname)
            keys.append(("la", surname, p.year, start))
    return keys


def document_frequencies(prepared: Sequence[Prepared]) -> dict[str, int]:
    df: dict[str, int] = defaultdict(int)
    for p in prepared:
        for token in set(p.title.main.split()):
            df[token] += 1
    return df


def candidate_pairs(prepared: Sequence[Prepared]) -> set[int]:
    """Index pairs (encoded as `i * n + j`, i < j) of records sharing a key."""
    n = len(prepared)
    df = document_frequencies(prepared)
    buckets: dict[Hashable, list[int]] = defaultdict(list)
    for index, p in enumerate(prepared):
        for key in record_keys(p, df):
            buckets[key].append(index)
    pairs: set[int] = set()
    for members in buckets.values():
        if len(members) > 1:
            _emit(members, prepared, n, pairs)
    return pairs


def _emit(members: list[int], prepared: Sequence[Prepared], n: int, pairs: set[int]) -> None:
    """All pairs of a small bucket; a large one is split by year, then by volume, and
    what is still large is scanned with a sliding window (sorted by locator), so that
    even hundreds of identical records are linked in a chain at linear cost."""
    if len(members) <= MAX_BUCKET:
        _add_pairs(members, n, pairs)
        return
    by_year: dict[object, list[int]] = defaultdict(list)
    for i in members:
        by_year[prepared[i].year].append(i)
    for group in by_year.values():
        if len(group) <= MAX_BUCKET:
            _add_pairs(group, n, pairs)
            continue
        by_volume: dict[object, list[int]] = defaultdict(list)
        for i in group:
            by_volume[prepared[i].volume].append(i)
        for sub in by_volume.values():
            if len(sub) <= MAX_BUCKET:
                _add_pairs(sub, n, pairs)
            else:
                _add_window(sub, prepared, n, pairs)


def _add_window(group: list[int], prepared: Sequence[Prepared], n: int, pairs: set[int]) -> None:
    ordered = sorted(
        set(group), key=lambda i: (prepared[i].issue, prepared[i].pages.start, prepared[i].id)
    )
    for x, i in enumerate(ordered):
        for j in ordered[x + 1 : x + 1 + WINDOW]:
            pairs.add(i * n + j if i < j else j * n + i)


def _add_pairs(group: list[int], n: int, pairs: set[int]) -> None:
    if len(group) < 2:
        return
    ordered = sorted(set(group))
    for x in range(len(ordered)):
        base = ordered[x] * n
        for y in range(x + 1, len(ordered)):
            pairs.add(base + ordered[y])
