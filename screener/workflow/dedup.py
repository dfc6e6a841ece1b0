"""Deduplicate the review: find pairs, keep people's decisions, rewrite the links.

Duplicates are links, never deletions. Rules that keep screening stable when dedup is
rerun after new records arrive:
- a person's decision on a pair always wins (confirmed pairs link, rejected never do);
- a group's canonical record stays the one reviewers screened, else the one it was;
- two records that were both screened are never merged automatically: the pair is put
  up for a person to confirm (`screener dedup review`).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from screener.dedup import DUPLICATE, DedupRecord, Match, find_matches, group_matches
from screener.errors import NotFoundError, ScreenerError
from screener.models import Record
from screener.store import Store
from screener.store.dedup import Link, Pair

HELD = "held-screened"  # method of a pair held back because both records were screened


@dataclass
class DedupReport:
    records: int = 0
    pairs_by_method: dict[str, int] = field(default_factory=dict)
    uncertain_pending: int = 0
    links_added: int = 0
    links_changed: int = 0
    links_removed: int = 0
    duplicates: int = 0  # records linked to a canonical record
    groups: int = 0
    held_screened: int = 0


def _dedup_record(row: dict) -> DedupRecord:
    return DedupRecord(**{k: v for k, v in row.items() if k in DedupRecord.__dataclass_fields__})


def deduplicate(store: Store, progress: Callable[[int, int], None] | None = None) -> DedupReport:
    """Find duplicate pairs among all records, store them, and relink the groups."""
    rows = store.dedup_rows()
    records = [_dedup_record(row) for row in rows]
    prepared: dict = {}  # records as the engine prepared them, reused when grouping
    matches = find_matches(records, progress, prepared_out=prepared)
    # Pairs and links change together: a run killed in between leaves the review as it was
    # (the slow comparison above holds no lock).
    with store.transaction():
        store.save_pairs((m.a, m.b, m.score, m.method, m.verdict, m.evidence) for m in matches)
        report = relink(store, records, prepared)
    report.records = len(records)
    return report


def relink(
    store: Store, records: list[DedupRecord] | None = None, prepared: dict | None = None
) -> DedupReport:
    """Recompute the groups from stored pairs and decisions, and store the links
    (`prepared`: what `find_matches` prepared for these records, if at hand)."""
    if records is None:
        records = [_dedup_record(row) for row in store.dedup_rows()]
    pairs = store.pairs()
    decided = store.pair_decisions()
    matches = [_as_match(p) for p in pairs if p.verdict == DUPLICATE or p.decision]
    mapping = group_matches(
        [r.id for r in records], matches, decided, records=records, prepared=prepared
    )
    groups = _groups(mapping)
    old = store.links()
    screened = store.screened_ids()
    held: list[tuple[int, int]] = []
    by_pair = {(p.a, p.b): p for p in pairs}
    links: dict[int, Link] = {}
    for members in groups:
        canonical, kept_apart = _choose_canonical(members, mapping, old, screened)
        for member in sorted(members):
            if member == canonical:
                continue
            if member in kept_apart and not decided.get(_key(canonical, member)):
                held.append((canonical, member))
                continue
            links[member] = _link(member, canonical, by_pair, decided)
    for a, b in held:
        store.hold_pair(a, b, HELD, {"note": "both records were already screened"})
    added, changed, removed = store.replace_links(links)
    return _report(store, links, added, changed, removed, len(held))


def _key(a: int, b: int) -> tuple[int, int]:
    return min(a, b), max(a, b)


def _groups(mapping: dict[int, int]) -> list[set[int]]:
    groups: dict[int, set[int]] = {}
    for member, canonical in mapping.items():
        groups.setdefault(canonical, {canonical}).add(member)
    return list(groups.values())


def _choose_canonical(
    members: set[int], mapping: dict[int, int], old: dict[int, Link], screened: set[int]
) -> tuple[int, set[int]]:
    """The group's canonical record, and screened members to keep apart from it."""
    screened_here = sorted(members & screened)
    if screened_here:
        canonical = screened_here[0]
        return canonical, set(screened_here[1:])
    before = Counter(old[m].canonical_id for m in members if m in old)
    previous = [c for c, _ in before.most_common() if c in members]
    if previous:
        return previous[0], set()
    any_member = next(iter(members))
    return mapping.get(any_member, any_member), set()


def _link(member: int, canonical: int, by_pair: dict, decided: dict) -> Link:
    pair = by_pair.get((min(member, canonical), max(member, canonical)))
    if pair is None:  # linked through other members of the group
        return Link(
            member, canonical, "group", 0.0, {"via": "other members of the group"}, "screener"
        )
    who = pair.decided_by if pair.decision == "confirmed" else "screener"
    return Link(member, canonical, pair.method, pair.score, pair.evidence, who)


def _as_match(pair: Pair) -> Match:
    return Match(pair.a, pair.b, pair.score, pair.method, pair.verdict, pair.evidence)


def _report(store, links, added, changed, removed, held) -> DedupReport:
    report = DedupReport(links_added=added, links_changed=changed, links_removed=removed)
    report.pairs_by_method = dict(Counter(p.method for p in store.pairs(verdict=DUPLICATE)))
    report.uncertain_pending = len(store.pairs(verdict="uncertain", undecided=True))
    report.duplicates = len(links)
    report.groups = len({link.canonical_id for link in links.values()})
    report.held_screened = held
    return report


def stats(store: Store) -> dict:
    """Counts by method and decision, and the PRISMA 'duplicates removed' number."""
    links = store.links()
    pairs = store.pairs()
    return {
        "records": store.count_records(),
        "duplicates_removed": len(links),
        "groups": len({link.canonical_id for link in links.values()}),
        "links_by_method": dict(Counter(link.method for link in links.values())),
        "links_confirmed_by_a_person": sum(1 for k in links.values() if k.decided_by != "screener"),
        "pairs_duplicate": sum(1 for p in pairs if p.verdict == DUPLICATE),
        "pairs_uncertain_pending": sum(
            1 for p in pairs if p.verdict == "uncertain" and not p.decision
        ),
        "pairs_confirmed": sum(1 for p in pairs if p.decision == "confirmed"),
        "pairs_rejected": sum(1 for p in pairs if p.decision == "rejected"),
    }


def pending_pairs(store: Store) -> list[Pair]:
    """Uncertain pairs no one has decided yet, most similar first."""
    return store.pairs(verdict="uncertain", undecided=True)


@dataclass(frozen=True)
class ReviewItem:
    """A pending pair with both records, for a person to judge."""

    pair: Pair
    a: Record
    b: Record
    near_identical: bool


def near_identical(a: Record, b: Record) -> bool:
    """Title, every author and year the same (ignoring case, spacing, punctuation and
    initials' dots): pairs a person can confirm as a block after one look."""
    if not a.title or not b.title or not a.authors or a.year != b.year:
        return False
    if _folded(a.title) != _folded(b.title) or len(a.authors) != len(b.authors):
        return False
    return all(_folded(x) == _folded(y) for x, y in zip(a.authors, b.authors, strict=True))


def _folded(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def review_queue(store: Store) -> list[ReviewItem]:
    """Undecided uncertain pairs, the most likely duplicates first: near-identical pairs
    (title, authors, year the same) before the rest, each part by score."""
    items = []
    for pair in pending_pairs(store):
        a, b = store.get_record(pair.a), store.get_record(pair.b)
        items.append(ReviewItem(pair, a, b, near_identical(a, b)))
    items.sort(key=lambda item: (not item.near_identical, -item.pair.score, item.pair.a))
    return items


def decide_pairs(store: Store, pairs: list[tuple[int, int]], same: bool, who: str) -> DedupReport:
    """One person's verdict on several pairs at once: stored together, relinked once."""
    if not who.strip():
        raise ScreenerError("say who decides: --as NAME.")
    with store.transaction():
        for a, b in pairs:
            if a == b:
                raise ScreenerError("a record cannot be a duplicate of itself.")
            store.get_record(a)
            store.get_record(b)
            store.decide_pair(a, b, "confirmed" if same else "rejected", who)
        return relink(store)


def decide_pair(store: Store, a: int, b: int, same: bool, who: str) -> DedupReport:
    """A person's verdict on a pair; the groups are recomputed at once."""
    if not who.strip():
        raise ScreenerError("say who decides: --as NAME.")
    for record_id in (a, b):
        store.get_record(record_id)  # NotFoundError if unknown
    if a == b:
        raise ScreenerError("a record cannot be a duplicate of itself.")
    with store.transaction():  # the decision and the links it implies, or neither
        store.decide_pair(a, b, "confirmed" if same else "rejected", who)
        return relink(store)


def undo_link(store: Store, record_id: int, who: str) -> DedupReport:
    """Split a record out of its group: reject its pairs with every other member."""
    links = store.links()
    if record_id in links:
        canonical = links[record_id].canonical_id
    elif any(link.canonical_id == record_id for link in links.values()):
        canonical = record_id
    else:
        raise NotFoundError(f"record {record_id} is not in a duplicate group.")
    members = {canonical} | {r for r, link in links.items() if link.canonical_id == canonical}
    with store.transaction():
        for other in members - {record_id}:
            store.decide_pair(record_id, other, "rejected", who)
        return relink(store)


def group_rows(store: Store) -> Iterator[list[str]]:
    """Each group's source ids (canonical first)."""
    ids = store.source_ids()
    groups: dict[int, list[int]] = {}
    for record_id, link in sorted(store.links().items()):
        groups.setdefault(link.canonical_id, []).append(record_id)
    for canonical, members in sorted(groups.items()):
        yield [ids[canonical][1], *(ids[m][1] for m in members)]


def export_groups_csv(store: Store) -> str:
    """The groups in the dedup-bench format: one column `merged_ids`, ids joined by ';'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["merged_ids"])
    for row in group_rows(store):
        writer.writerow([";".join(row)])
    return out.getvalue()
