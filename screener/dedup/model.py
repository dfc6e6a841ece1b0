"""The data that crosses the dedup boundary: what dedup reads and what it returns.

Core module: no IO.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Verdicts a `Match` can carry.
DUPLICATE = "duplicate"
UNCERTAIN = "uncertain"
DISTINCT = "distinct"

# Evidence values for a field.
AGREE = "agree"
DISAGREE = "disagree"
MISSING = "missing"


@dataclass(frozen=True)
class DedupRecord:
    """What dedup needs from a stored record.

    `id` is the store's record id (a benchmark can use row numbers). Text fields hold
    what the source gave; dedup normalizes them itself. `authors` holds one name per item,
    "Last, First" or "First Last" or "Last FM" (an item that still holds several names
    joined by " and " or ";" is split).
    """

    id: int
    title: str
    authors: tuple[str, ...]
    year: int | None
    journal: str
    volume: str
    issue: str
    pages: str
    doi: str
    pmid: str
    pmcid: str
    entry_type: str = ""
    abstract: str = ""
    publication_types: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    source: str = ""
    # Optional extras (not required by callers).
    booktitle: str = ""  # conference name when the journal field is empty
    issn: str = ""
    # Records of one search set were deduplicated already (e.g. one database export
    # checked before): two records with the same non-empty `search_set` are never linked.
    search_set: str = ""


@dataclass(frozen=True)
class Match:
    """One candidate pair after comparison.

    `score` is in 0..1: a weighted summary of how much of the compared metadata agrees
    (title similarity weighs most). The verdict is *not* a threshold on the score; it comes
    from explicit rules (identifier corroboration, hard conflicts, required corroborating
    fields) and the score only orders pairs for review. `method` names the rule that fired
    ("doi", "pmid", "pmcid", "doi-version", "fuzzy-title", "title-prefix", "locator").
    `evidence` maps a field to "agree" / "disagree" / "missing" or a short detail.
    """

    a: int
    b: int
    score: float
    method: str
    verdict: str
    evidence: dict[str, str] = field(default_factory=dict, compare=False)
