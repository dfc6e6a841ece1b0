"""Highlight terms in titles and abstracts, and derive them from a PubMed query.

Core module: pure functions, no IO.

A term is a word or a phrase, matched case-insensitively on whole words. A trailing `*`
on any word matches any ending ("alopeci*" matches alopecia, alopecic); the words of a
phrase match across spaces, hyphens, slashes and commas ("hair loss" matches
"hair-loss"). Surrounding quotes and PubMed field tags (`[tiab]`) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

INCLUDE_TERM = "include"
EXCLUDE_TERM = "exclude"
_SEPARATOR = r"[\s\-\u2010\u2011\u2013/,]+"
_TAG = re.compile(r"\[[^\]]*\]")
_TOKEN = re.compile(
    r'"(?P<phrase>[^"]*)"|\[(?P<tag>[^\]]*)\]|(?P<open>\()|(?P<close>\))|(?P<word>[^\s()\[\]"]+)'
)
_OPERATORS = {"AND", "OR", "NOT"}
# PubMed tags that name metadata rather than the topic: their terms are not highlighted.
_METADATA_TAGS = frozenset(
    {
        *("au", "auth", "author", "1au", "lastau", "fau", "full author name", "cn"),
        *("corporate author", "ir", "investigator", "fir", "full investigator name"),
        *("dp", "pdat", "publication date", "edat", "entrez date", "crdt", "create date"),
        *("mhda", "mesh date", "dcom", "date - completion", "lr", "date - modification"),
        *("dp", "date - publication", "date - entry", "date - create", "epdat", "ppdat"),
        *("la", "lang", "language", "pt", "publication type", "sb", "subset", "filter"),
        *("ta", "jour", "journal", "jt", "vi", "volume", "ip", "issue", "pg", "page"),
        *("pmid", "uid", "doi", "aid", "lid", "ad", "affil", "affiliation", "is", "issn"),
        *("pl", "place of publication", "gr", "grant number", "si", "so", "own", "pmcid"),
    }
)
_MESH_TAGS = frozenset({"mh", "mesh", "majr", "mesh terms", "mesh major topic"})


def highlight_spans(
    text: str, include_terms: Iterable[str], exclude_terms: Iterable[str]
) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, "include" | "exclude") spans of `text`, in order.

    Where matches overlap the leftmost wins, then the longest; on the very same span an
    exclude term wins over an include term (the reviewer chose it on purpose).
    """
    found: list[tuple[int, int, int, str]] = []
    for kind, rank, terms in (
        (EXCLUDE_TERM, 0, exclude_terms),
        (INCLUDE_TERM, 1, include_terms),
    ):
        for term in (terms,) if isinstance(terms, str) else terms:
            pattern = _term_pattern(term)
            if pattern is not None:
                found.extend((m.start(), -m.end(), rank, kind) for m in pattern.finditer(text))
    found.sort()
    spans: list[tuple[int, int, str]] = []
    last_end = 0
    for start, neg_end, _rank, kind in found:
        if start >= last_end and -neg_end > start:
            spans.append((start, -neg_end, kind))
            last_end = -neg_end
    return spans


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str] | None:
    """The compiled whole-word pattern of a term, or None for an empty term."""
    cleaned = _TAG.sub(" ", term).replace('"', " ")
    parts = []
    for word in re.split(_SEPARATOR, cleaned):
        core = word.rstrip("*")
        if core:
            parts.append(re.escape(core) + (r"\w*" if word.endswith("*") else ""))
    if not parts:
        return None
    return re.compile(r"(?<!\w)" + _SEPARATOR.join(parts) + r"(?!\w)", re.IGNORECASE)


def default_terms_from_query(term: str) -> tuple[str, ...]:
    """Words and phrases of a PubMed query worth highlighting as include terms.

    Field tags, boolean operators, parentheses, history references (#1) and numbers are
    dropped; quoted phrases and truncations (exosom*) are kept; MeSH subheadings are cut
    ("Alopecia/therapy" gives "Alopecia") and inverted MeSH headings also give their
    natural order ("Carcinoma, Squamous Cell" adds "Squamous Cell Carcinoma"). Terms with
    a metadata tag (author, date, language, publication type, journal ...) and terms
    after NOT are left out: see `query_terms` for the NOT side.
    """
    return query_terms(term)[0]


def query_terms(term: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(terms searched for, terms excluded with NOT) of a PubMed query.

    PubMed reads booleans left to right, so only the operand right after a NOT (a term,
    a run of words, or a parenthesized group) is negated; a NOT inside a negated group
    negates back.
    """
    positive: dict[str, str] = {}
    negative: dict[str, str] = {}
    polarity = [True]  # per parenthesis level
    negate_next = False
    run: list[tuple[str, bool]] = []  # (text, quoted) since the last operator

    def flush(tag: str | None) -> None:
        nonlocal negate_next
        if run:
            sign = polarity[-1] != negate_next
            for text in _run_terms(run, tag):
                (positive if sign else negative).setdefault(text.casefold(), text)
            run.clear()
            negate_next = False

    for match in _TOKEN.finditer(term):
        kind, value = match.lastgroup, match.group(match.lastgroup or 0)
        if kind == "tag":
            flush(value)
        elif kind in ("phrase", "word") and value.upper() not in _OPERATORS:
            run.append((value, kind == "phrase"))
        else:
            flush(None)
            if kind == "open":
                polarity.append(polarity[-1] != negate_next)
                negate_next = False
            elif kind == "close":
                if len(polarity) > 1:
                    polarity.pop()
            else:
                negate_next = value.upper() == "NOT"
    flush(None)
    return tuple(positive.values()), tuple(negative.values())


def _run_terms(run: list[tuple[str, bool]], tag: str | None) -> list[str]:
    """The terms of a run of words/phrases. A tag applies to the last item: to a quoted
    phrase, or to the trailing bare words joined as one phrase (PubMed searches
    `hair loss[tiab]` as a phrase)."""
    items = [text for text, _quoted in run]
    if tag is None:
        return [term for item in items for term in _clean(item, mesh=False)]
    if not run[-1][1]:
        start = len(run)
        while start > 0 and not run[start - 1][1]:
            start -= 1
        items = items[:start] + [" ".join(items[start:])]
    tag_name = tag.split(":")[0].strip().casefold()
    terms = [term for item in items[:-1] for term in _clean(item, mesh=False)]
    if tag_name not in _METADATA_TAGS:
        terms.extend(_clean(items[-1], mesh=tag_name in _MESH_TAGS))
    return terms


def _clean(text: str, mesh: bool) -> list[str]:
    """The highlight terms of one word or phrase: none for numbers and history
    references; a MeSH heading loses its subheading and adds its natural order."""
    if mesh:
        text = text.split("/")[0]
    text = " ".join(text.split())
    if text.startswith("#") or not any(ch.isalpha() for ch in text):
        return []
    terms = [text]
    if mesh and text.count(", ") == 1:
        head, modifier = text.split(", ")
        terms.append(f"{modifier} {head}")
    return terms
