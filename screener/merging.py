"""The one merged view of a duplicate group: what reviewers see, exports write and reports count.

Core module: a pure function over `Record`s, no IO. The canonical record keeps its identity
(source, source id); every other field takes the best value of the group
(`dedup.merge_fields`), and list-like fields (flags, publication types, keywords, MeSH,
relations, extra columns) are the union of the group in order, canonical first, so a flag
such as an erratum or a retraction on any member is never hidden.
"""

from __future__ import annotations

from collections.abc import Sequence

from screener.dedup.engine import merge_fields
from screener.dedup.model import DedupRecord
from screener.models import Record

# Fields merge_fields chooses a single best value for.
_BEST_FIELDS = (
    "title",
    "abstract",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "pmcid",
)
# Fields that are the union of the group's values.
_UNION_FIELDS = ("flags", "publication_types", "keywords", "mesh", "relations", "extra")


def merge_group(canonical: Record, others: Sequence[Record] = ()) -> Record:
    """The canonical record with the best fields of its group; never raises on any records."""
    if not others:
        return canonical
    group = [canonical, *others]
    best = merge_fields([_dedup_view(i, r) for i, r in enumerate(group)])
    changes: dict[str, object] = {
        name: best[name] for name in _BEST_FIELDS if best.get(name) not in (None, "", ())
    }
    for name in _UNION_FIELDS:
        changes[name] = tuple(dict.fromkeys(v for r in group for v in getattr(r, name)))
    for name in ("journal_abbrev", "issn", "publisher", "language", "url", "entry_type"):
        if not getattr(canonical, name):
            value = next((getattr(r, name) for r in others if getattr(r, name)), "")
            if value:
                changes[name] = value
    return canonical.with_changes(**changes)


def _dedup_view(index: int, record: Record) -> DedupRecord:
    return DedupRecord(
        index,
        record.title,
        record.authors,
        record.year,
        record.journal,
        record.volume,
        record.issue,
        record.pages,
        record.doi,
        record.pmid,
        record.pmcid,
        record.entry_type,
        record.abstract,
        record.publication_types,
        record.flags,
        record.source,
    )
