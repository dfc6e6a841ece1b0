"""Find, group and merge duplicates. Core module: no IO.

`find_matches` returns links, never deletions: every pair judged a duplicate or
uncertain, with its score, method and evidence. `group_matches` turns links (and a
person's decisions) into groups with one canonical record each; `merge_fields` gives
the best fields of a group for the screening view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from screener.dedup import rules
from screener.dedup.blocking import candidate_pairs
from screener.dedup.compare import (
    MAX_DOI_SHARE,
    Prepared,
    compare,
    completeness,
    hard_conflict,
)
from screener.dedup.locators import normalize_identifiers
from screener.dedup.model import DUPLICATE, UNCERTAIN, DedupRecord, Match

Progress = Callable[[int, int], None]
_PROGRESS_EVERY = 2000


def find_matches(
    records: Sequence[DedupRecord],
    progress: Progress | None = None,
    *,
    prepared_out: dict[int, Prepared] | None = None,
) -> list[Match]:
    """Duplicate and uncertain pairs among `records` (pairs `a < b`, sorted).

    `prepared_out`, when given, receives every record as prepared for comparison (by
    id), so that `group_matches` over the same records need not prepare them again.

    `progress(done, total)` is called now and then; `total` is the number of records
    plus the number of candidate pairs, so it grows once, when blocking is done.

    A duplicate pair whose records would join two groups holding a hard conflict (e.g.
    A~B and B~C where A and C have different pages) is returned as `uncertain` with
    evidence "group" naming the conflict, so the duplicates never chain into a false
    merge.
    """
    n = len(records)
    prepared: list[Prepared] = []
    for index, record in enumerate(records):
        prepared.append(Prepared(record))
        if progress and index % _PROGRESS_EVERY == 0:
            progress(index, n)
    ids = [p.id for p in prepared]
    if len(set(ids)) != n:
        raise ValueError("record ids must be unique")
    doi_counts = Counter(p.doi for p in prepared if p.doi)
    forget_container_dois(prepared, doi_counts)
    mark_recurring_titles(prepared)
    if prepared_out is not None:
        prepared_out.update((p.id, p) for p in prepared)
    pairs = sorted(candidate_pairs(prepared))
    total = n + len(pairs)
    if progress:
        progress(n, total)

    found: list[tuple[Prepared, Prepared, Match]] = []
    for done, code in enumerate(pairs, start=1):
        i, j = divmod(code, n)
        p, q = prepared[i], prepared[j]
        result = compare(p, q, doi_counts, fast=True)
        if result is not None and result.verdict in (DUPLICATE, UNCERTAIN):
            a, b = (p, q) if p.id < q.id else (q, p)
            match = Match(a.id, b.id, result.score, result.method, result.verdict, result.evidence)
            found.append((a, b, match))
        if progress and done % (_PROGRESS_EVERY * 10) == 0:
            progress(n + done, total)
    matches = _consistent(found)
    if progress:
        progress(total, total)
    matches.sort(key=lambda m: (m.a, m.b))
    return matches


def forget_container_dois(prepared: Iterable[Prepared], counts: Mapping[str, int]) -> None:
    """A DOI carried by more than `MAX_DOI_SHARE` records names a container (a meeting
    supplement, an issue, a proceedings volume), not a work: it is neither evidence for
    nor against a pair, so it is dropped from the comparison (the record keeps it)."""
    if not rules.enabled("doi-container"):
        return
    for p in prepared:
        if p.doi and counts.get(p.doi, 0) > MAX_DOI_SHARE:
            p.doi = p.doi_key = ""


def _forget_containers_of(checked: Mapping[int, Prepared], records: Sequence[DedupRecord]) -> None:
    """`forget_container_dois` for a few prepared records, counting over all records
    (identifiers normalised only for the DOIs that recur: most DOIs occur once)."""
    raw = Counter(r.doi.strip().lower() for r in records if r.doi)
    recurring = {doi for doi, n in raw.items() if n > 1}
    counts: Counter[str] = Counter()
    for doi in recurring:
        counts[normalize_identifiers(doi, "", "")[0]] += raw[doi]
    forget_container_dois(checked.values(), counts)


def mark_recurring_titles(prepared: Sequence[Prepared]) -> None:
    """Flag titles that recur in different volumes or issues (a column such as
    "Gateways to clinical trials", an unlabelled erratum): such titles identify nothing,
    so their records are compared like stock titles ("Editorial")."""
    seen: dict[str, tuple[str, str]] = {}
    recurring: set[str] = set()
    quality = rules.enabled("locator-quality")
    for p in prepared:
        if not p.volume or p.title.generic:
            continue
        if quality and (not p.volume_ok or p.supplement):
            continue  # a garbled or supplement volume tells nothing about recurrence
        key = p.title.squashed
        here = (p.volume, p.issue)
        first = seen.setdefault(key, here)
        other_issue = first[1] and here[1] and first[1] != here[1]
        swapped = quality and here[0] == first[1] and here[1] == first[0]
        if (first[0] != here[0] or other_issue) and not swapped:
            recurring.add(key)
    if recurring:
        for p in prepared:
            if p.title.squashed in recurring:
                p.recurring = True


MAX_GROUP_CHECK = 60  # members per side checked for hard conflicts before a union


class _Groups:
    """Union-find over record ids with cannot-link constraints.

    A union is refused when it would put the two records of a cannot-link pair (a
    person's rejection) in one group, or, when the records are known, two records with a
    hard conflict (`hard_conflict`: other pages, volume, DOI, notice type, ...).
    """

    def __init__(self, prepared: Mapping[int, Prepared] | None = None) -> None:
        self.parent: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        self.cannot: dict[int, set[int]] = {}
        self.prepared = prepared or {}

    def add(self, x: int) -> None:
        if x not in self.parent:
            self.parent[x] = x
            self.members[x] = [x]

    def root(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def forbid(self, a: int, b: int) -> None:
        self.cannot.setdefault(a, set()).add(b)
        self.cannot.setdefault(b, set()).add(a)

    def conflict(self, ra: int, rb: int, check_records: bool) -> str:
        small, big = self.members[ra], self.members[rb]
        if len(small) > len(big):
            small, big = big, small
        if self.cannot:
            big_set = set(big)
            for x in small:
                if self.cannot.get(x, set()) & big_set:
                    return "a person rejected a pair across the groups"
        if check_records and self.prepared:
            for x in small[:MAX_GROUP_CHECK]:
                px = self.prepared.get(x)
                for y in big[:MAX_GROUP_CHECK]:
                    py = self.prepared.get(y)
                    if px is not None and py is not None:
                        reason = hard_conflict(px, py)
                        if reason:
                            return f"{reason} between {x} and {y}"
        return ""

    def union(self, a: int, b: int, check_records: bool = True) -> str:
        """Join the groups of a and b; returns "" or why they were kept apart."""
        self.add(a)
        self.add(b)
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return ""
        reason = self.conflict(ra, rb, check_records)
        if reason:
            return reason
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        return ""


def _by_score(matches: Iterable[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, m.a, m.b))


def _consistent(found: list[tuple[Prepared, Prepared, Match]]) -> list[Match]:
    """Downgrade duplicate links that would put hard-conflicting records in one group."""
    prepared: dict[int, Prepared] = {}
    for p, q, _ in found:
        prepared[p.id] = p
        prepared[q.id] = q
    groups = _Groups(prepared)
    out: list[Match] = []
    for m in _by_score(f[2] for f in found if f[2].verdict == DUPLICATE):
        reason = groups.union(m.a, m.b)
        if reason:
            evidence = dict(m.evidence)
            evidence["group"] = f"would join a group with a conflict ({reason})"
            m = Match(m.a, m.b, m.score, m.method, UNCERTAIN, evidence)
        out.append(m)
    out.extend(f[2] for f in found if f[2].verdict != DUPLICATE)
    return out


def group_matches(
    record_ids: Iterable[int],
    matches: Iterable[Match],
    decided: Mapping[tuple[int, int], bool] | None = None,
    *,
    records: Sequence[DedupRecord] | None = None,
    prepared: Mapping[int, Prepared] | None = None,
) -> dict[int, int]:
    """Map every record that duplicates another to its group's canonical record id.

    Links used: a person's decisions marked True first, then matches with verdict
    "duplicate", best score first. A pair decided False is a cannot-link: no link is
    followed if it would put the two records of a rejected pair in one group, even through
    other records (union-find with cannot-link constraints); a rejected pair's own match
    is ignored. Manual decisions always win over the engine's verdicts. When `records` is
    given, an engine link is also refused if it would join records with a hard conflict
    (other pages, volume, DOI, notice type...: each new member is checked against the
    group), so links never chain into a false merge; confirmed links are not checked.

    `prepared`: the records as `find_matches(..., prepared_out=...)` prepared them, to
    save preparing them again.

    Canonical record: the most complete one (see `completeness`: present fields, a long
    abstract, 3+ authors) when `records` is given, the lowest id among equals; without
    `records`, the lowest id. Canonical records are not keys of the result.
    """
    decided = decided or {}
    ids = set(record_ids)
    auto = [m for m in matches if m.verdict == DUPLICATE and m.a in ids and m.b in ids]
    checked: dict[int, Prepared] = {}
    if records is not None:
        linked = {x for m in auto for x in (m.a, m.b)}
        if prepared is not None and linked <= prepared.keys():
            checked = {i: prepared[i] for i in linked}  # from find_matches: ready
        else:
            checked = {r.id: Prepared(r) for r in records if r.id in linked}
            if checked and rules.enabled("doi-container"):
                _forget_containers_of(checked, records)
    groups = _Groups(checked)
    rejected: set[tuple[int, int]] = set()
    for (a, b), same in decided.items():
        if not same and a in ids and b in ids:
            groups.forbid(a, b)
            rejected.add((min(a, b), max(a, b)))
    for a, b in sorted((min(a, b), max(a, b)) for (a, b), same in decided.items() if same):
        if a in ids and b in ids and a != b:
            groups.union(a, b, check_records=False)
    for m in _by_score(auto):
        if (min(m.a, m.b), max(m.a, m.b)) not in rejected:
            groups.union(m.a, m.b)

    rank: dict[int, int] = {}
    if records is not None:
        rank = {r.id: completeness(r) for r in records}
    result: dict[int, int] = {}
    for group in groups.members.values():
        if len(group) < 2:
            continue
        canonical = min(group, key=lambda i: (-rank.get(i, 0), i))
        for i in group:
            if i != canonical:
                result[i] = canonical
    return result


def merge_fields(records: Sequence[DedupRecord]) -> dict[str, object]:
    """The best fields of a group of duplicates, for the screening view.

    Longest abstract; the fullest author list (most names, then most characters, so
    full given names beat initials); title, journal and locator of the most complete
    record (`completeness`), the most frequent year (ties: the year of a record with a
    volume, i.e. the issue year); the first DOI/PMID/PMCID by frequency; union of
    publication types, flags and sources; `ids` lists every record id.
    """
    if not records:
        return {}
    ordered = sorted(records, key=lambda r: (-completeness(r), r.id))
    best = ordered[0]

    def first(attr: str) -> str:
        values = [getattr(r, attr) for r in ordered if getattr(r, attr)]
        if not values:
            return ""
        counts = Counter(values)
        return max(values, key=lambda v: (counts[v], -values.index(v)))

    with_title = [r for r in ordered if r.title]
    title = with_title[0].title if with_title else ""
    # prefer a title not in brackets (a translation) and not all capitals
    for r in with_title:
        t = r.title.strip()
        if not t.startswith("[") and not t.isupper():
            title = r.title
            break
    authors = max((r.authors for r in ordered), key=lambda a: (len(a), sum(map(len, a))))
    years = [r.year for r in ordered if r.year is not None]
    year: int | None = None
    if years:
        counts = Counter(years)
        top = max(counts.values())
        candidates = {y for y, c in counts.items() if c == top}
        with_volume = [r.year for r in ordered if r.volume and r.year in candidates]
        year = with_volume[0] if with_volume else min(candidates)
    locator = max(ordered, key=lambda r: (bool(r.volume) + bool(r.issue) + bool(r.pages), 0))
    journals = [r.journal for r in ordered if r.journal]
    journal = max(journals, key=len) if journals else best.journal
    abstracts = [r.abstract for r in ordered if r.abstract]
    return {
        "ids": tuple(sorted(r.id for r in records)),
        "canonical": best.id,
        "title": title,
        "abstract": max(abstracts, key=len) if abstracts else "",
        "authors": tuple(authors),
        "year": year,
        "journal": journal,
        "volume": locator.volume,
        "issue": locator.issue,
        "pages": locator.pages,
        "doi": first("doi"),
        "pmid": first("pmid"),
        "pmcid": first("pmcid"),
        "entry_type": best.entry_type,
        "publication_types": tuple(dict.fromkeys(t for r in ordered for t in r.publication_types)),
        "flags": tuple(dict.fromkeys(f for r in ordered for f in r.flags)),
        "sources": tuple(dict.fromkeys(r.source for r in ordered if r.source)),
    }
