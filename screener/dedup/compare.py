"""Pairwise comparison: hard conflicts and the verdict rules.

Core module: no IO. `compare` looks at two `Prepared` records (see `fields`) and returns
a verdict ("duplicate" / "uncertain" / "distinct"), a 0..1 score and the evidence.
Title similarity is rapidfuzz Indel `ratio` (0-100) on folded titles without spaces,
best over the title's translations ("[...]", "<ORIGINAL>", "; " parts).

1. Hard conflicts make a pair `distinct`: another notice type (erratum, retraction
   notice, comment/reply, protocol vs the work itself); other series numbers in the
   titles ("Part 1"/"Part 2", "I"/"II", "five-year"/"six-year"); years 2+ apart (except
   Cochrane versions); other volumes; other first pages (unless one record is an
   online-first version without volume/issue and the other a full article of 3+ pages);
   another issue without agreeing pages; other DOIs (Cochrane ".pubN" versions excepted),
   PMIDs or PMCIDs; a journal vs a conference; disjoint author lists (same family name
   with other initials counts as another person); a conference paper a year apart.
   Soft conflicts cap the verdict at `uncertain`: a shared identifier with year/volume/
   pages/venue/author conflicts, a notice-type clash on the very same volume/issue/pages
   (a missing "Erratum:" label), pages 1-3 apart with equal length (a typo), other pages
   in the same issue for the same title and authors.
2. Shared DOI/PMID/PMCID: duplicate when titles agree (ratio >= 85, one contained in the
   other, or a translation); with ratio 60-85 only if year, authors and first page agree;
   uncertain otherwise. An identifier never links titles that clearly disagree (< 60): a
   DOI of a proceedings volume or an issue, a reference-list DOI, an erratum with the
   original's DOI. A DOI carried by more than `MAX_DOI_SHARE` records is a container DOI
   and not used. Without a title on either side: duplicate only with year and authors.
3. No title on one side and no identifier: at best `uncertain`.
4. Strong title (ratio >= 95, or >= 90 for titles of 60+ characters), year equal (±1 only
   for an online-first version, for agreeing volume+pages or volume+issue, for a
   proceedings year, or between Cochrane versions):
   - stock titles ("Editorial", "Editor's comments", the journal's name) need volume and
     pages, or pages and issue, with authors; recurring titles (the same title in other
     volumes/issues of the set, e.g. a column) need the volume;
   - short titles (< 5 words) need authors plus venue or locator;
   - otherwise duplicate with agreeing authors, or venue plus volume/pages; with another
     venue name only if volume and issue agree; two differently named conferences need
     authors; else `uncertain`.
5. One title contained in the other ("X" vs "X: a randomised trial", a dropped subtitle,
   a section label): duplicate with the same year, no author/venue clash and the same
   first page; `uncertain` with year, authors and venue only.
6. Translated or reworded titles: duplicate on the locator alone (same year, volume,
   issue, full page range, venue or a translation marker, and first author); `uncertain`
   with a partial locator match.
7. Good title (85-95) with year, authors and venue: `uncertain`.

Rules added for exports the engine had never seen (named in `screener.dedup.rules`, which
also records the benchmark sets looked at while writing each):
- locator-quality / exact-core: a garbled volume or page string ("1)", "Suppl-23", "P12",
  the end page alone, a swap with the issue, a supplement number as volume) is WEAK:
  never a conflict; ignored when the title, every author and the year agree, else a soft
  conflict (a person decides);
- title-mangled: digits lost from a name ("IL-6" / "IL-") with every author and the year
  the same, or titles with the same letters split differently, are not numbered parts;
- title-truncated: a title cut at a database field length counts as a strong title;
- doi-container: DOIs on more than `MAX_DOI_SHARE` records are dropped (see `engine`);
- journal-normal: see `screener.dedup.venues` and the table in `screener.dedup.journals`.
"""

from __future__ import annotations

from collections.abc import Mapping

from screener.dedup import rules
from screener.dedup.fields import (
    WEAK,
    Prepared,
    compare_authors,
    compare_venues,
    completeness,
    digits_lost,
    every_author_agrees,
    locator_states,
    numbers_conflict,
    online_first,
    page_span,
    same_token,
    title_cut,
    title_similarity,
)
from screener.dedup.model import AGREE, DISAGREE, DISTINCT, DUPLICATE, MISSING, UNCERTAIN
from screener.dedup.titles import TitleInfo

STRONG_TITLE = 95.0
STRONG_TITLE_LONG = 90.0  # for titles of 60+ characters (without spaces)
GOOD_TITLE = 85.0
CLASH_TITLE = 60.0
MAX_DOI_SHARE = 6  # a DOI on more records than this is a container (volume, issue) DOI


# --------------------------------------------------------------------------- the verdict


class Comparison:
    __slots__ = ("verdict", "score", "method", "evidence", "hard")

    def __init__(
        self, verdict: str, score: float, method: str, evidence: dict[str, str], hard: list[str]
    ):
        self.verdict = verdict
        self.score = score
        self.method = method
        self.evidence = evidence
        self.hard = hard


def compare(
    p: Prepared, q: Prepared, doi_counts: Mapping[str, int] | None = None, fast: bool = False
) -> Comparison | None:
    """Compare two prepared records. Returns None for pairs not worth reporting.

    With `fast`, pairs with a cheap-to-find hard conflict also return None instead of a
    `distinct` comparison with its evidence.
    """
    if p.search_set and p.search_set == q.search_set:
        return None
    tp, tq = p.title, q.title
    title, contained, via_variant = title_similarity(tp, tq)
    has_titles = bool(tp.variants and tq.variants)

    # identifiers
    id_method = ""
    id_conflict: list[str] = []
    doi_state = MISSING
    if p.doi and q.doi:
        if p.doi == q.doi:
            shared = doi_counts.get(p.doi, 2) if doi_counts else 2
            doi_state = AGREE if shared <= MAX_DOI_SHARE else "agree (shared by many records)"
            if shared <= MAX_DOI_SHARE:
                id_method = "doi"
        elif p.doi_key and p.doi_key == q.doi_key:
            doi_state = "version"
        else:
            doi_state = DISAGREE
            id_conflict.append("doi")
    pmid_state = same_token(p.pmid, q.pmid)
    if pmid_state == AGREE:
        id_method = id_method or "pmid"
    elif pmid_state == DISAGREE:
        id_conflict.append("pmid")
    pmcid_state = same_token(p.pmcid, q.pmcid)
    if pmcid_state == AGREE:
        id_method = id_method or "pmcid"
    elif pmcid_state == DISAGREE:
        id_conflict.append("pmcid")

    volume, issue, pages = locator_states(p, q)
    pages_ok = pages in (AGREE, "full")
    locator = volume == AGREE and pages_ok

    # cheap exit: nothing links these two
    linked_by_id = bool(id_method) or doi_state == "version"
    if title < GOOD_TITLE and not (contained or via_variant or linked_by_id or locator):
        return None
    ydiff = abs(p.year - q.year) if p.year is not None and q.year is not None else None
    if fast and not linked_by_id:
        if id_conflict or (ydiff is not None and ydiff >= 2 and not (p.cochrane and q.cochrane)):
            return None
        if volume == DISAGREE:
            return None
        if pages == DISAGREE and online_first(p) == online_first(q) and title < 97:
            return None

    venue = compare_venues(p, q)
    authors, authors_detail = compare_authors(p, q)
    stock = tp.stock or tq.stock
    recurring = p.recurring or q.recurring  # the title recurs in other volumes/issues
    short = tp.generic or tq.generic  # stock, or too short to identify a work
    kind_clash = p.kind != q.kind
    numbers = (
        has_titles and (title >= CLASH_TITLE or contained) and numbers_conflict(tp, tq, contained)
    )
    every_author = every_author_agrees(p, q, authors_detail)
    if numbers and every_author and ydiff == 0 and digits_lost(tp, tq):
        numbers = False  # "IL-6" exported as "IL-": a name mangled, not another part
        evidence_title_note = " (digits lost)"
    else:
        evidence_title_note = ""
    truncated = contained and title_cut(tp, tq)
    # Title, every author and year the same: one garbled locator (WEAK) is no evidence
    # either way; otherwise it holds the pair for a person.
    exact_core = (
        has_titles
        and ydiff == 0
        and every_author
        and (tp.squashed == tq.squashed or title >= 97 or bool(evidence_title_note))
        and not short
        and (len(p.authors) >= 2 or tp.tokens >= 8)
        and rules.enabled("exact-core")
    )
    garbled = [
        n for n, state in (("volume", volume), ("issue", issue), ("pages", pages)) if state == WEAK
    ]
    if WEAK in (volume, issue, pages):
        volume, issue, pages = (MISSING if x == WEAK else x for x in (volume, issue, pages))
        pages_ok = pages in (AGREE, "full")
        locator = volume == AGREE and pages_ok
    conference = p.venue.conference or q.venue.conference
    one_online_first = online_first(p) != online_first(q)
    exact_locator = locator and issue != DISAGREE
    cochrane = p.cochrane and q.cochrane

    long_title = min(len(tp.squashed), len(tq.squashed)) >= 60
    strong = title >= STRONG_TITLE or (long_title and title >= STRONG_TITLE_LONG) or truncated
    good = title >= GOOD_TITLE or contained or via_variant
    clash = has_titles and title < CLASH_TITLE and not contained and not via_variant
    author_ok = authors == AGREE
    venue_ok = venue == AGREE

    evidence: dict[str, str] = {}
    evidence["title"] = f"{title:.1f}" + (" contained" if contained else "")
    if via_variant:
        evidence["title"] += " (translation)"
    evidence["title"] += evidence_title_note
    if truncated:
        evidence["title"] += " (cut at a field length)"
    if not has_titles:
        evidence["title"] = MISSING
    if p.kind or q.kind:
        evidence["kind"] = (
            f"disagree ({p.kind or 'article'} vs {q.kind or 'article'})"
            if kind_clash
            else f"agree ({p.kind})"
        )
    if tp.retracted != tq.retracted:
        evidence["retracted"] = "one record marks the work as retracted"
    if numbers:
        evidence["title numbers"] = f"disagree ({_nums(tp)} vs {_nums(tq)})"
    evidence["doi"] = doi_state
    if p.pmid or q.pmid:
        evidence["pmid"] = pmid_state
    if p.pmcid or q.pmcid:
        evidence["pmcid"] = pmcid_state
    if ydiff is None:
        evidence["year"] = MISSING
    elif ydiff == 0:
        evidence["year"] = AGREE
    else:
        evidence["year"] = f"{'near' if ydiff == 1 else DISAGREE} ({p.year}/{q.year})"
    evidence["authors"] = authors_detail
    evidence["journal"] = venue
    evidence["volume"] = volume
    evidence["issue"] = issue
    evidence["pages"] = pages
    for name in garbled:
        evidence[name] = "garbled" + (
            " (ignored: title, authors and year agree)" if exact_core else ""
        )

    # ---- conflicts: hard ones make the pair distinct, soft ones at best uncertain
    hard: list[str] = []
    soft: list[str] = []
    if kind_clash:
        (soft if exact_locator and good else hard).append("kind")
    if numbers:
        hard.append("title numbers")
    hard.extend(id_conflict)
    if ydiff is not None and ydiff >= 2:
        if cochrane and strong:
            evidence["year"] += " (Cochrane versions)"
        else:
            (soft if id_method and good else hard).append("year")
    if volume == DISAGREE:
        (soft if id_method else hard).append("volume")
    if pages == DISAGREE and not one_online_first:
        same_issue = volume == AGREE and issue == AGREE and ydiff == 0 and venue == AGREE
        if id_method or (same_issue and title >= 97 and author_ok and not stock and not recurring):
            soft.append("pages")  # same issue, same title: one of the records may be wrong
        else:
            hard.append("pages")
    elif pages == DISAGREE and not id_method:
        printed = q if online_first(p) else p
        if page_span(printed.pages) < 3:
            # a short item (abstract, letter) is not the print version of an article
            hard.append("pages (short item vs online-first)")
    if pages == "near":
        soft.append("pages near")
    if garbled and not exact_core and not id_method:
        soft.append("garbled " + "/".join(garbled))
    if venue == "conflict" and not (exact_locator and pages == "full"):
        (soft if id_method else hard).append("journal")
    if authors == DISAGREE:
        (soft if id_method and good else hard).append("authors")
    if issue == DISAGREE and not pages_ok and not id_method:
        hard.append("issue")
    conference_year = False
    if ydiff == 1 and conference and not id_method:
        # proceedings are often indexed under the next year; accept that only for the
        # same full title by the same authors at the same conference
        if (
            title >= 97
            and author_ok
            and venue == AGREE
            and not stock
            and not short
            and doi_state == MISSING
        ):
            conference_year = True
        else:
            (soft if strong and author_ok else hard).append("year (conference)")

    score = _score(title, contained, authors, ydiff, venue, volume, pages, issue, id_method)
    if hard or soft:
        evidence["conflicts"] = ", ".join(hard + soft)

    def result(verdict: str, method: str) -> Comparison:
        return Comparison(verdict, score, method, evidence, hard)

    if hard:
        return result(DISTINCT, id_method or "fuzzy-title")

    # ---- rule 2: a shared identifier, corroborated by the titles
    if id_method or doi_state == "version":
        method = id_method or "doi-version"
        if clash and not short:
            if author_ok and ydiff == 0 and not soft:
                return result(UNCERTAIN, method)
            return result(DISTINCT, method)
        if method == "doi-version":
            if good and authors != DISAGREE and not soft and (ydiff is None or ydiff <= 1):
                return result(DUPLICATE, method)
            return result(UNCERTAIN, method)
        if not has_titles:
            verdict = DUPLICATE if ydiff == 0 and author_ok and not soft else UNCERTAIN
            return result(verdict, method)
        if soft:
            formatting_only = set(soft) <= {"pages", "pages near", "volume", "journal"}
            if formatting_only and strong and author_ok and (ydiff is None or ydiff <= 1):
                return result(DUPLICATE, method)
            return result(UNCERTAIN, method)
        if good:
            return result(DUPLICATE, method)
        if ydiff == 0 and author_ok and pages_ok:
            return result(DUPLICATE, method)
        return result(UNCERTAIN, method)

    if not has_titles:
        # no title to corroborate: never merged automatically
        if locator and ydiff == 0 and author_ok:
            return result(UNCERTAIN, "locator")
        return None

    if soft:
        if soft == ["pages"] and _same_short_item(p, q, authors_detail):
            # The same abstract listed at two short page numbers of one issue (a
            # supplement's index and its text): same title, every author, same issue.
            return result(DUPLICATE, "fuzzy-title")
        if (
            soft == ["pages near"]
            and not short
            and strong
            and author_ok
            and venue_ok
            and volume == AGREE
            and ydiff == 0
        ):
            return result(DUPLICATE, "fuzzy-title")
        return result(UNCERTAIN, "fuzzy-title")

    # ---- year (for everything below): +-1 only for an online-first version
    year_ok = ydiff == 0 or ydiff is None or (cochrane and strong)
    if conference_year:
        year_ok = True
        evidence["year"] += " (proceedings year)"
    if ydiff == 1 and not year_ok:
        year_ok = (
            (one_online_first and venue_ok)
            or (locator and venue != DISAGREE)
            or (volume == AGREE and issue == AGREE)
        )
        if year_ok:
            evidence["year"] += " online-first"

    if recurring and volume != AGREE and not stock:
        # which of the recurring items this is cannot be told without the volume
        return result(UNCERTAIN, "fuzzy-title") if strong and author_ok else None

    # ---- rule 3: strong title
    if strong:
        if not year_ok:
            return result(UNCERTAIN if ydiff == 1 and author_ok else DISTINCT, "fuzzy-title")
        if stock:
            if locator and authors != DISAGREE and venue not in (DISAGREE, "weak"):
                return result(DUPLICATE, "fuzzy-title")
            if pages_ok and issue == AGREE and author_ok and venue not in (DISAGREE, "weak"):
                return result(DUPLICATE, "fuzzy-title")
            if volume == AGREE and issue == AGREE and author_ok and venue != DISAGREE:
                return result(UNCERTAIN, "fuzzy-title")
            return None
        if short or tp.tokens < 5 or tq.tokens < 5:
            if locator and author_ok:
                return result(DUPLICATE, "fuzzy-title")
            if author_ok and venue_ok and ydiff == 0 and not short:
                return result(DUPLICATE, "fuzzy-title")
            if locator and authors == MISSING and venue_ok:
                return result(DUPLICATE, "fuzzy-title")
            return result(UNCERTAIN, "fuzzy-title") if author_ok else None
        if venue == DISAGREE and not locator:
            if author_ok and volume == AGREE and issue == AGREE and ydiff == 0:
                return result(DUPLICATE, "fuzzy-title")
            return result(UNCERTAIN, "fuzzy-title")
        if venue == "weak":  # two differently named conferences
            if author_ok and (ydiff == 0 or conference_year):
                return result(DUPLICATE, "fuzzy-title")
            return result(UNCERTAIN, "fuzzy-title")
        if conference_year:
            return result(DUPLICATE, "fuzzy-title")
        if author_ok or (venue_ok and (volume == AGREE or pages != MISSING)) or locator:
            return result(DUPLICATE, "fuzzy-title")
        both_abstracts = bool(p.record.abstract and q.record.abstract)
        if authors == MISSING and ydiff == 0 and (venue_ok or both_abstracts):
            return result(DUPLICATE, "fuzzy-title")
        return result(UNCERTAIN, "fuzzy-title")

    # ---- rule 4: one title contained in the other
    if contained and not short:
        if (
            ydiff == 0
            and authors != DISAGREE
            and venue not in (DISAGREE, "conflict")
            and pages_ok
            and (author_ok or pages == "full")
        ):
            return result(DUPLICATE, "title-prefix")
        if ydiff == 0 and author_ok and venue in (AGREE, "weak"):
            return result(UNCERTAIN, "title-prefix")
        if not locator:
            return None

    # ---- rule 5: translated or reworded titles, same locator
    if exact_locator and ydiff == 0 and venue != "conflict":
        translated = tp.translated or tq.translated or via_variant
        close = title >= CLASH_TITLE or translated
        if pages == "full" and (venue_ok or translated):
            if author_ok and (close or issue == AGREE):
                return result(DUPLICATE, "locator")
            if authors == MISSING and close:
                return result(DUPLICATE, "locator")
        if author_ok or (authors == MISSING and close):
            return result(UNCERTAIN, "locator")
        return None

    # ---- good but not strong title
    if good and year_ok and not short and author_ok and venue_ok and ydiff == 0:
        return result(UNCERTAIN, "fuzzy-title")
    return None


def _nums(t: TitleInfo) -> str:
    return ",".join(str(n) for n in t.numbers) or "none"


def _score(
    title: float,
    contained: bool,
    authors: str,
    ydiff: int | None,
    venue: str,
    volume: str,
    pages: str,
    issue: str,
    id_method: str,
) -> float:
    """0..1 summary of agreement (for ordering review; the verdict uses the rules)."""
    score = 0.45 * (max(title, 90.0) if contained else title) / 100
    score += {AGREE: 0.15, "partial": 0.08, MISSING: 0.05}.get(authors, 0.0)
    score += 0.1 if ydiff == 0 else 0.06 if ydiff == 1 else 0.04 if ydiff is None else 0.0
    score += {AGREE: 0.08, MISSING: 0.03}.get(venue, 0.0)
    score += {AGREE: 0.05, MISSING: 0.02}.get(volume, 0.0)
    score += {"full": 0.1, AGREE: 0.08, MISSING: 0.03}.get(pages, 0.0)
    score += {AGREE: 0.02, MISSING: 0.01}.get(issue, 0.0)
    score += 0.05 if id_method else 0.0
    return round(min(score, 1.0), 4)


def hard_conflict(p: Prepared, q: Prepared) -> str:
    """A reason two records can never be the same work, or "" (used when grouping)."""
    if p.search_set and p.search_set == q.search_set:
        return "same search set"
    volume, issue, pages = locator_states(p, q)
    if p.kind != q.kind and not (volume == AGREE and pages in (AGREE, "full")):
        return "kind"
    if p.doi and q.doi and p.doi != q.doi and not (p.doi_key and p.doi_key == q.doi_key):
        return "doi"
    if p.pmid and q.pmid and p.pmid != q.pmid:
        return "pmid"
    shared_id = bool((p.doi and p.doi == q.doi) or (p.pmid and p.pmid == q.pmid))
    far = p.year is not None and q.year is not None and abs(p.year - q.year) >= 2
    if far and not shared_id and not (p.cochrane and q.cochrane):
        return "year"
    if volume == DISAGREE and not shared_id:
        return "volume"
    if pages == DISAGREE and online_first(p) == online_first(q) and not shared_id:
        same_item = issue == AGREE and _same_short_item(p, q, compare_authors(p, q)[1])
        if not same_item:
            return "pages"
    if volume == AGREE and issue == DISAGREE and pages not in (AGREE, "full") and not shared_id:
        return "issue"
    if p.title.numbers != q.title.numbers and p.title.variants and q.title.variants:
        _, contained, _ = title_similarity(p.title, q.title)
        lost = (
            digits_lost(p.title, q.title)
            and p.year == q.year
            and every_author_agrees(p, q, compare_authors(p, q)[1])
        )
        if numbers_conflict(p.title, q.title, contained) and not lost:
            return "title numbers"
    return ""


__all__ = [
    "Comparison",
    "Prepared",
    "compare",
    "completeness",
    "hard_conflict",
]


def _same_short_item(p: Prepared, q: Prepared, authors_detail: str) -> bool:
    """Both records are short items (at most 2 pages) with the same full author list of
    three or more people: different page numbers alone do not make them two works."""
    n = len(p.authors)
    if n < 3 or len(q.authors) != n or authors_detail != f"agree ({n}/{n})":
        return False
    return page_span(p.pages) < 3 and page_span(q.pages) < 3
