"""Deduplication engine: link records that are the same work.

Core package: pure functions, no IO, no UI. The public API:

- `DedupRecord`, `Match` - what dedup reads and returns;
- `find_matches(records, progress=None)` - duplicate and uncertain pairs with evidence;
- `group_matches(record_ids, matches, decided={}, records=None)` - record id -> canonical id;
- `merge_fields(records)` - the best fields of a group;
- `completeness(record)` - the rule that picks a group's canonical record.

See `screener.dedup.compare` for the rules and thresholds and
`screener.dedup.blocking` for the blocking keys.
"""

from screener.dedup.compare import completeness
from screener.dedup.engine import find_matches, group_matches, merge_fields
from screener.dedup.model import DISTINCT, DUPLICATE, UNCERTAIN, DedupRecord, Match
from screener.dedup.normalize import split_authors

__all__ = [
    "DISTINCT",
    "DUPLICATE",
    "UNCERTAIN",
    "DedupRecord",
    "Match",
    "completeness",
    "find_matches",
    "group_matches",
    "merge_fields",
    "split_authors",
]
