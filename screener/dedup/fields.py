"""Records prepared for comparison, and field-by-field evidence.

Core module: no IO. `Prepared` normalizes a `DedupRecord` once; the `compare_*` functions
return "agree" / "disagree" / "missing" (or a finer state) for one field of two records.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Indel

from screener.dedup import rules
from screener.dedup.authors import AuthorKey, prepare_authors
from screener.dedup.locators import (
    MARKED,
    RANGE,
    SINGLE,
    PagesInfo,
    doi_work_key,
    normalize_identifiers,
    normalize_issue,
    normalize_volume,
    prepare_pages,
    volume_well_formed,
)
from screener.dedup.model import AGREE, DISAGREE, MISSING, DedupRecord
from screener.dedup.titles import TitleInfo, prepare_title
from screener.dedup.venues import VenueInfo, prepare_venue, venues_compatible
from screener.models import (
    FLAG_ERRATUM,
    FLAG_EXPRESSION_OF_CONCERN,
    FLAG_RETRACTION_NOTICE,
)

_NO_DIGITS = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")
MIN_CONTAINED = 20  # characters the shorter title needs for prefix/suffix matching

_ratio = Indel.normalized_similarity


class Prepared:
    """A record with every field normalized for comparison."""

    __slots__ = (
        "id",
        "record",
        "title",
        "doi",
        "doi_key",
        "pmid",
        "pmcid",
        "year",
        "authors",
        "authors_real",
        "venue",
        "volume",
        "issue",
        "pages",
        "entry_type",
        "completeness",
        "cochrane",
        "search_set",
        "shifted",
        "recurring",
        "kind",
        "volume_ok",
        "supplement",
    )

    def __init__(self, record: DedupRecord) -> None:
        self.id = record.id
        self.record = record
        journal = record.journal or record.booktitle
        entry_type = (record.entry_type or "").lower()
        self.entry_type = entry_type
        self.venue: VenueInfo = prepare_venue(journal, entry_type)
        self.title: TitleInfo = prepare_title(record.title, self.venue.folded)
        self.doi, self.pmid, self.pmcid = normalize_identifiers(
            record.doi, record.pmid, record.pmcid
        )
        self.doi_key = doi_work_key(self.doi)
        self.year = record.year
        self.authors, self.authors_real = prepare_authors(record.authors)
        self.volume = normalize_volume(record.volume)
        if self.volume and record.year is not None and self.volume == str(record.year):
            self.volume = ""  # "2016 (May)": a year in the volume field
        self.issue = normalize_issue(record.issue)
        self.pages: PagesInfo = prepare_pages(record.pages)
        self.volume_ok = not self.volume or volume_well_formed(record.volume)
        # a meeting abstract printed in a journal supplement: its volume field often holds
        # the supplement or issue number instead of the volume
        self.supplement = (
            self.venue.supplement
            or self.issue.startswith("s")
            or (self.pages.shape == MARKED and record.pages.strip()[:1] in ("S", "s"))
        )
        self.shifted = not self.volume and bool(self.issue) and bool(self.pages.start)
        self.completeness = completeness(record)
        self.cochrane = "cochrane" in self.venue.folded or self.doi.startswith("10.1002/14651858")
        self.search_set = record.search_set
        self.recurring = False  # set by find_matches: the title recurs in other issues
        # notice type: from the title, else from the source's flags / publication types
        self.kind = self.title.kind or notice_kind(record.flags, record.publication_types)


_NOTICE_FLAGS = {
    FLAG_ERRATUM: "erratum",
    FLAG_RETRACTION_NOTICE: "retraction",
    FLAG_EXPRESSION_OF_CONCERN: "retraction",
}
_NOTICE_TYPES = {
    "published erratum": "erratum",
    "erratum": "erratum",
    "correction": "erratum",
    "retraction of publication": "retraction",
    "retraction notice": "retraction",
    "expression of concern": "retraction",
}


def notice_kind(flags: tuple[str, ...], publication_types: tuple[str, ...]) -> str:
    """ "erratum" / "retraction" when the source marks the record itself as a notice."""
    for flag in flags:
        if flag in _NOTICE_FLAGS:
            return _NOTICE_FLAGS[flag]
    for kind in publication_types:
        found = _NOTICE_TYPES.get(kind.strip().lower())
        if found:
            return found
    return ""


def completeness(record: DedupRecord) -> int:
    """How complete a record's metadata is (used to pick a group's canonical record).

    One point per present field among title, authors, year, journal, volume, issue, pages,
    DOI, PMID, PMCID and abstract; one more for an abstract of 500+ characters and one
    more for 3+ authors.
    """
    score = sum(
        1
        for value in (
            record.title,
            record.authors,
            record.year,
            record.journal or record.booktitle,
            record.volume,
            record.issue,
            record.pages,
            record.doi,
            record.pmid,
            record.pmcid,
            record.abstract,
        )
        if value
    )
    if len(record.abstract) >= 500:
        score += 1
    if len(record.authors) >= 3:
        score += 1
    return score


# --------------------------------------------------------------------------- field checks


def title_similarity(p: TitleInfo, q: TitleInfo) -> tuple[float, bool, bool]:
    """(best ratio 0..100 over title variants, contained, matched via a variant)."""
    if not p.variants or not q.variants:
        return 0.0, False, False
    a, b = p.squashed, q.squashed
    if a and a == b:
        return 100.0, False, False
    best = _ratio(a, b) * 100 if a and b else 0.0
    via_variant = False
    if len(p.variants) > 1 or len(q.variants) > 1:
        for va in p.variants:
            for vb in q.variants:
                if va is a and vb is b:
                    continue
                score = 100.0 if va == vb else _ratio(va, vb) * 100
                if score > best + 0.5:
                    best, via_variant = score, True
    contained = False
    if a and b and best < 100:
        short, long = (a, b) if len(a) <= len(b) else (b, a)
        longer = len(long) - len(short) >= max(8, len(long) // 10)
        contained = (
            len(short) >= MIN_CONTAINED
            and longer
            and (
                long.startswith(short)
                or long.endswith(short)
                or _ratio(short, long[: len(short)]) >= 0.95
            )
        )
    return best, contained, via_variant


def digits_lost(p: TitleInfo, q: TitleInfo) -> bool:
    """The titles differ only by digits one of them lost ("IL-6 and IL-10" exported as
    "IL- and IL-10", "[18F]" as "[8F]"): a mangled name, not another numbered part.
    Changed digits ("Part 1" / "Part 2") are not lost digits."""
    if not rules.enabled("title-mangled"):
        return False
    a, b = p.squashed, q.squashed
    if a == b or _NO_DIGITS.sub("", a) != _NO_DIGITS.sub("", b):
        return False
    da, db = "".join(_DIGIT.findall(a)), "".join(_DIGIT.findall(b))
    short, long = (da, db) if len(da) < len(db) else (db, da)
    return len(short) < len(long) and _is_subsequence(short, long)


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def title_cut(p: TitleInfo, q: TitleInfo) -> bool:
    """The shorter title (already known to be the start of the longer) ends at a field
    length some databases cut titles to."""
    if not rules.enabled("title-truncated"):
        return False
    short, long = (p, q) if len(p.squashed) <= len(q.squashed) else (q, p)
    return short.cut and long.squashed.startswith(short.squashed[:-1])


def every_author_agrees(p: Prepared, q: Prepared, detail: str) -> bool:
    """Both author lists name the same people, one for one (initials may be shortened)."""
    n = len(p.authors)
    return n > 0 and n == len(q.authors) and detail == f"agree ({n}/{n})"


def numbers_conflict(p: TitleInfo, q: TitleInfo, contained: bool) -> bool:
    """Series numbers disagree ("Part 1" vs "Part 2", "I" vs "II"). Titles with the very
    same letters and digits never do ("first-line" / "firstline" only split differently)."""
    a, b = p.numbers, q.numbers
    if a == b:
        return False
    if p.squashed and p.squashed == q.squashed and rules.enabled("title-mangled"):
        return False
    if contained:
        short, long = (a, b) if len(p.squashed) <= len(q.squashed) else (b, a)
        return not set(short) <= set(long)
    return True


def _surnames_close(a: frozenset[str], b: frozenset[str]) -> bool:
    """Family names equal up to a lost diacritic letter or a typo ("Mulic"/"Muli")."""
    for x in a:
        for y in b:
            if (
                len(x) >= 4
                and len(y) >= 4
                and x[:3] == y[:3]
                and (x.startswith(y) or y.startswith(x) or _ratio(x, y) >= 0.8)
            ):
                return True
    return False


def _author_match(x: AuthorKey, y: AuthorKey) -> bool:
    if x.surname & y.surname:
        # same family name but other initials: another person ("Sun, H." / "Sun, S. X.")
        return not (x.initials and y.initials and not x.initials & y.initials)
    # swapped family/given names ("Andrea, C." vs "Carignani, Andrea")
    if x.surname & y.given and any(s[0] in x.initials for s in y.surname):
        return True
    if y.surname & x.given and any(s[0] in y.initials for s in x.surname):
        return True
    if x.surname & y.alt and y.surname & x.alt:
        return True
    return _surnames_close(x.surname, y.surname)


def compare_authors(p: Prepared, q: Prepared) -> tuple[str, str]:
    if not p.authors or not q.authors or not p.authors_real or not q.authors_real:
        return MISSING, MISSING
    pa, qa = p.authors, q.authors
    first = _author_match(pa[0], qa[0])
    if not first and len(qa) > 1:
        first = _author_match(pa[0], qa[1])
    if not first and len(pa) > 1:
        first = _author_match(pa[1], qa[0])
    short, long = (pa, qa) if len(pa) <= len(qa) else (qa, pa)
    matched = sum(1 for x in short if any(_author_match(x, y) for y in long))
    share = matched / len(short)
    detail = f"{matched}/{len(short)}"
    if first and (share >= 0.5 or len(short) == 1):
        return AGREE, f"agree ({detail})"
    if first or share >= 0.34:
        return "partial", f"partial ({detail})"
    if matched == 0:
        return DISAGREE, f"disagree ({detail})"
    return "partial", f"partial ({detail})"


def compare_venues(p: Prepared, q: Prepared) -> str:
    """agree | disagree | conflict (journal vs conference) | missing."""
    va, vb = p.venue, q.venue
    if not va.alternatives or not vb.alternatives:
        return MISSING
    for x in va.alternatives:
        for y in vb.alternatives:
            if venues_compatible(x, y):
                return AGREE
    if (va.supplement and vb.conference) or (vb.supplement and va.conference):
        return "weak"  # a meeting's abstracts in a journal supplement vs the meeting's name
    if va.conference != vb.conference and (va.journal_like or vb.journal_like):
        return "conflict"
    if va.conference and vb.conference:
        return "weak"  # conference names vary too much to tell anything
    return DISAGREE


def same_token(a: str, b: str) -> str:
    if not a or not b:
        return MISSING
    if a == b:
        return AGREE
    return DISAGREE


def compare_issue(a: str, b: str) -> str:
    if not a or not b:
        return MISSING
    if a == b:
        return AGREE
    if a.startswith("s") and b.startswith("s") and (a == "s" or b == "s"):
        return AGREE
    # "4-5" vs "4"
    if "-" in a and b in a.split("-") or "-" in b and a in b.split("-"):
        return AGREE
    return DISAGREE


def compare_pages(a: PagesInfo, b: PagesInfo) -> str:
    """full (same first and last page) | agree (same first page, or same last page of two
    ranges) | near (first pages 1-3 apart, a typo) | disagree | missing."""
    if not a.start or not b.start:
        return MISSING
    if a.start == b.start:
        if a.end and b.end and a.end == b.end:
            return "full"
        return AGREE
    if a.starts & b.starts:
        return AGREE
    if a.end and b.end and a.end == b.end:
        return AGREE  # "2297-2108" vs "2097-2108"
    if _shifted_range(a, b):
        return "near"  # "678-684" vs "676-682": the same article with a typo
    if rules.enabled("locator-quality") and not _comparable_pages(a, b):
        return WEAK
    return DISAGREE


WEAK = "weak"  # values differ but one is malformed: neither agreement nor a conflict


def _comparable_pages(a: PagesInfo, b: PagesInfo) -> bool:
    """Two page strings that can really disagree: both ranges or plain page numbers, or
    both letter-and-digits pages ("S27"/"S31"). The end page alone against the full
    range ("1240" / "1234-1240") is the same locator cut short."""
    shapes = {a.shape, b.shape}
    if shapes == {SINGLE, RANGE}:
        single, full = (a, b) if a.shape == SINGLE else (b, a)
        return single.start != full.end
    return shapes <= {SINGLE, RANGE} or shapes == {MARKED}


def _shifted_range(a: PagesInfo, b: PagesInfo) -> bool:
    try:
        sa, ea, sb, eb = int(a.start), int(a.end), int(b.start), int(b.end)
    except ValueError:
        return False
    return 0 < abs(sa - sb) <= 3 and ea - sa == eb - sb and ea - sa >= 2


def locator_states(p: Prepared, q: Prepared) -> tuple[str, str, str]:
    """Volume, issue and pages evidence (an export's shifted fields are realigned).

    A volume disagreement is WEAK, not a conflict, when one volume is malformed ("1)"),
    the volumes and issues are swapped, or a meeting-supplement record carries a one- or
    two-digit number below the other's volume (the supplement or issue number)."""
    if (p.shifted or q.shifted) and _shifted_match(p, q):
        return AGREE, AGREE, MISSING
    volume = same_token(p.volume, q.volume)
    issue = compare_issue(p.issue, q.issue)
    if volume == DISAGREE and rules.enabled("locator-quality") and _weak_volume(p, q):
        volume = WEAK
        if issue == DISAGREE:
            issue = WEAK
    return volume, issue, compare_pages(p.pages, q.pages)


def _weak_volume(p: Prepared, q: Prepared) -> bool:
    if not (p.volume_ok and q.volume_ok):
        return True
    for x, y in ((p, q), (q, p)):
        if x.volume == y.issue and x.issue in ("", y.volume):
            return True  # swapped, or the issue number repeated as the volume
    return any(
        x.supplement
        and len(x.volume) <= 2
        and x.volume.isdigit()
        and y.volume.isdigit()
        and int(x.volume) < int(y.volume)
        for x, y in ((p, q), (q, p))
    )


def _shifted_match(p: Prepared, q: Prepared) -> bool:
    """Fields shifted by one in an export: volume empty, issue = the volume, pages = the
    issue ("" / "26" / "9" against "26" / "9" / "1746")."""
    for x, y in ((p, q), (q, p)):
        if x.shifted and y.volume and x.issue == y.volume and x.pages.start == y.issue:
            return True
    return False


def page_span(pages: PagesInfo) -> int:
    """Number of pages of the first range (1 for a single page, 0 if unknown)."""
    if not pages.start:
        return 0
    if not pages.end:
        return 1
    try:
        return max(1, int(pages.end) - int(pages.start) + 1)
    except ValueError:
        return 1


def online_first(p: Prepared) -> bool:
    """An ahead-of-print record: no volume and no issue."""
    return not p.volume and not p.issue
