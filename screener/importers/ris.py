"""Read RIS exports (Scopus, Web of Science, Embase, Ovid, EndNote, Zotero, ...): `read`.

A streaming reader of its own rather than rispy: it keeps the line where each entry
starts, ends an entry at the next `TY` when its `ER` is missing (with a warning; a file
cut short inside an entry, or tags without a `TY`, are problems), keeps
authors in file order whatever mix of `AU`/`A1` a producer writes, and reads 100,000
entries in seconds. Producers disagree on a few tags; `DIALECTS` says, per producer,
how those are read, and `dialect_of` tells the producer from the entry itself. Rules
every producer shares:

* Web of Science ends some lines with a lone CR (`TextFile` splits them) and continues
  abstracts and notes on untagged lines; untagged lines continue the previous field
  (for `KW` each such line is one more keyword, as EndNote writes them).
* Titles `TI`/`T1`/`CT`; journal `T2`/`JF`/`JO` (`BT` for chapters), abbreviation
  `JA`/`J2`/`JI`/`J1`/`J9`; authors `AU`/`A1` only (`A2`-`A4` are editors etc.).
  A `BOOK`'s `T2`/`T3` is its series, not a journal (kept in `extra` as "series"); a
  `CHAP`'s `T2`/`BT` is its book, stored as its container like MEDLINE and BibTeX do.
* Year: a `DA` holding a full date (year and month) first, as Zotero reads it, since
  `PY`/`Y1` are often a bare or placeholder year; then `PY`, `Y1`, a bare `DA`.
* DOI from `DO`/`DI`; failing that from the record's own links (doi.org links, or the
  `doi=` parameter of a Scopus link), from `M3` (old EndNote) and from an `N1` note that
  is nothing but a DOI - never from running text, where cited works' DOIs appear.
* Pages `SP`-`EP`, or the article number `C7` (Scopus, WoS, EndNote) when there is none.
* `M3` document types become publication types; "Erratum", "Retracted", ... set flags.
* A PMID is only taken where the producer puts one (`Dialect.pmid_tags`) or where a
  value says so itself ("PMID: 123"): accession numbers of other databases look alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from screener.importers.common import (
    Draft,
    Interner,
    clean_pages,
    issns,
    join_pages,
    split_terms,
    squash,
    type_flags,
    whole_doi,
)
from screener.importers.textio import TextFile
from screener.normalize import first_year, normalize_doi, normalize_pmcid, normalize_pmid

_TAG = re.compile(r"([A-Z][A-Z0-9]) {1,2}-(?: +(.*))?$")
_ITEM_PER_LINE = frozenset({"KW"})  # untagged lines after these are more items, not more text

ENTRY_TYPES = {
    **dict.fromkeys(("JOUR", "JFULL", "EJOUR", "MGZN", "NEWS", "ABST", "INPR", "SER"), "article"),
    **dict.fromkeys(("CONF", "CPAPER"), "inproceedings"),
    **dict.fromkeys(("BOOK", "EBOOK", "EDBOOK", "CLSWK"), "book"),
    **dict.fromkeys(("CHAP", "ECHAP"), "incollection"),
    "THES": "phdthesis",
    **dict.fromkeys(("RPRT", "GOVDOC", "STAND"), "techreport"),
    **dict.fromkeys(("UNPB", "UNPD", "MANSCPT"), "unpublished"),
    **dict.fromkeys(("ELEC", "WEB", "BLOG"), "online"),
}
_LINK_TAGS = ("UR", "L1", "L2", "L3", "L4", "LK")
_DOI_LINK = re.compile(r"doi\.org/(10\.\d{4,9}/[^\s?#&]+)", re.IGNORECASE)
_SCOPUS_EID = re.compile(r"[?&]eid=(2-s2\.0-\d+)")
_WOS_EARLY_ACCESS = re.compile(r"^[A-Z]{3} \d{4}$")
_ARTICLE_NUMBER = re.compile(r"^[A-Za-z]{0,2}\d{1,9}$")
_PMID_NOTE = re.compile(r"^\s*PMID:?\s*(\d{1,9})\s*$", re.IGNORECASE)
_PMCID = re.compile(r"^\s*(?:PMCID:?\s*)?(PMC\d+)\s*$", re.IGNORECASE)
_PMID_FORM = re.compile(r"^\d{1,8}$")  # PMIDs are below 100,000,000; Embase's are 9-10 digits
_EMBASE_ACCESSION = re.compile(r"^L?\d{9,10}$")
_ISSUE_FORM = re.compile(r"^(?:\d{1,4}[A-Za-z]?(?:\s*[-/]\s*\d{1,4})?|Suppl\.?\s*\d*)$", re.I)
_FULL_DATE = re.compile(r"^\s*\d{4}[/-]\d{1,2}(?:\b|[/-])")
_AUTHORS = "*authors"  # AU and A1 values in file order
_JOURNAL_TYPES = frozenset({"JOUR", "JFULL", "EJOUR", "MGZN", "NEWS", "ABST", "INPR"})


@dataclass(frozen=True)
class Dialect:
    """How one producer uses the RIS tags producers disagree on."""

    name: str
    pmid_tags: tuple[str, ...] = ()  # tags whose digits are this producer's PMID
    m1_issue: bool = False  # M1 is the issue ("Number") when there is no IS
    own_id_tags: tuple[str, ...] = ("AN", "ID")  # the producer's record id


# The producers whose exports differ, and the evidence for each reading.
DIALECTS = {
    # Scopus: PMID in C2 ("C2 - 12345678"), EID in the UR link; M1 unused.
    "scopus": Dialect("Scopus", pmid_tags=("C2",)),
    # Web of Science: UT accession "WOS:000..." in AN; no PMID tag in RIS.
    "wos": Dialect("Web of Science"),
    # Embase.com: own accession "L2015467890" in U2 (or ID/AN, 9-10 digits), PMID in C5,
    # even for records marked "DB - Medline" (MEDLINE-only records it also holds).
    "embase": Dialect("Embase", pmid_tags=("C5",), own_id_tags=("U2", "AN", "ID")),
    # Ovid MEDLINE / PubMed-derived RIS: the unique identifier in AN or ID is the PMID.
    "medline": Dialect("MEDLINE", pmid_tags=("AN", "ID")),
    # Everything else (EndNote, Zotero, Mendeley, JabRef, publishers): EndNote and
    # JabRef write a journal's issue ("Number") in M1 when there is no IS; Zotero
    # writes M1 only for types that have no issue, where it is left alone.
    "generic": Dialect("other", m1_issue=True),
}


def dialect_of(tags: dict[str, list[str]]) -> Dialect:
    """The producer of one entry, from its database tags, links and accession numbers."""
    database = " ".join(tags.get("DB", []) + tags.get("DP", [])).lower()
    links = " ".join(v for t in _LINK_TAGS for v in tags.get(t, [])).lower()
    if (
        "embase" in database
        or "embase.com" in links
        or any(re.fullmatch(r"L\d{6,}", v.strip()) for v in tags.get("U2", []))
    ):
        return DIALECTS["embase"]
    if "scopus" in database or "scopus.com" in links:
        return DIALECTS["scopus"]
    if "web of science" in database or _first(tags, "AN").startswith("WOS:"):
        return DIALECTS["wos"]
    if any(word in database for word in ("medline", "pubmed", "nlm")):
        return DIALECTS["medline"]
    return DIALECTS["generic"]


def read(source: TextFile) -> Iterator[Draft]:
    """One `Draft` per entry, in file order (missing `ER`/`TY` make error drafts)."""
    intern = Interner()
    entry = start = 0
    tags: dict[str, list[str]] | None = None
    values: list[str] = []
    orphan = False
    last_tag = ""
    for number, line in enumerate(source.lines(), 1):
        match = _TAG.match(line)
        if match is None:
            if tags is not None:
                _continue(values, line, last_tag)
                if last_tag in ("AU", "A1") and values:
                    tags[_AUTHORS][-1] = values[-1]
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            if tags is not None:  # no ER: Zotero and EndNote start a new entry at TY too
                yield _unfinished(entry, start, number, tags, intern)
            entry, start, orphan = entry + 1, number, False
            tags = {"TY": [value]}
            values, last_tag = tags["TY"], tag
            continue
        if tags is None:
            entry, start, orphan, tags = entry + 1, number, True, {}
        if tag == "ER":
            yield _orphan(entry, start) if orphan else build(entry, start, tags, intern)
            tags, values, last_tag = None, [], ""
            continue
        values = tags.setdefault(tag, [])
        values.append(value)
        if tag in ("AU", "A1"):
            tags.setdefault(_AUTHORS, []).append(value)
        last_tag = tag
    if tags is not None:
        yield Draft(
            entry,
            start,
            error="the file ends inside this entry (no 'ER  -' line): the export may be cut "
            "short; export it again",
        )


def _continue(values: list[str], line: str, tag: str) -> None:
    text = line.strip()
    if not text or not values:
        return
    if tag in _ITEM_PER_LINE:
        values.append(text)
    else:
        values[-1] = f"{values[-1]} {text}" if values[-1] else text


def _unfinished(
    entry: int, start: int, next_line: int, tags: dict[str, list[str]], intern: Interner
) -> Draft:
    if len(tags) <= 1:  # a TY and nothing else: nothing to keep
        return Draft(
            entry,
            start,
            error=f"an empty entry (a 'TY' line, then the next one at "
            f"line {next_line}): check the export",
        )
    draft = build(entry, start, tags, intern)
    draft.warn(
        next_line - 1,
        "ER",
        f"no 'ER  -' line ends this entry before the next one starts at line {next_line}: "
        "read up to there",
    )
    return draft


def _orphan(entry: int, start: int) -> Draft:
    return Draft(
        entry,
        start,
        error="this entry has no 'TY  -' line: it may be the tail of a broken entry; "
        "check the export",
    )


def _first(tags: dict[str, list[str]], *names: str) -> str:
    for name in names:
        for value in tags.get(name, ()):
            if value:
                return value
    return ""


def build(entry: int, start: int, tags: dict[str, list[str]], intern: Interner) -> Draft:
    """The draft for one complete entry (tag → values)."""
    kind = _first(tags, "TY").upper()
    dialect = dialect_of(tags)
    # Several types may share one M3 line ("Journal Article; Retracted Publication").
    types = [
        part.strip()
        for t in tags.get("M3", [])
        if t and not whole_doi(t)
        for part in t.split(";")
        if part.strip()
    ]
    abbrev = squash(_first(tags, "JA", "J2", "JI", "J1", "J9"))
    journal, extra = _container(kind, tags)
    fields = {
        "title": squash(
            _first(tags, "TI", "T1", "CT") or (_first(tags, "BT") if kind == "BOOK" else "")
        ),
        "abstract": squash(_first(tags, "AB", "N2")),
        "authors": tuple(squash(a) for a in tags.get(_AUTHORS, []) if a.strip()),
        "year": _year(tags),
        "journal": intern(journal or (abbrev if kind not in ("BOOK", "EBOOK", "EDBOOK") else "")),
        "journal_abbrev": intern(abbrev),
        "volume": squash(_first(tags, "VL")),
        "issue": _issue(tags, kind, dialect),
        "pages": _pages(tags),
        "doi": _doi(tags),
        "pmid": _pmid(tags, dialect),
        "pmcid": _pmcid(tags),
        "issn": intern(issns(tags.get("SN", []))),
        "publisher": intern(squash(_first(tags, "PB", "PU"))),
        "entry_type": ENTRY_TYPES.get(kind, "misc" if kind else ""),
        "publication_types": intern.many(squash(t) for t in types),
        "keywords": intern.many(split_terms(tags.get("KW", []))),
        "language": intern(", ".join(dict.fromkeys(squash(v) for v in tags.get("LA", []) if v))),
        "url": _first(tags, "UR"),
        "flags": tuple(type_flags(types)),
        "extra": extra,
    }
    return Draft(entry, start, fields, own_id=_own_id(tags, dialect))


def _container(kind: str, tags: dict[str, list[str]]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(container title, extra): a book's T2/T3 is its series, never its container; a
    chapter's container is its book (T2 or BT), as MEDLINE and BibTeX chapters store it."""
    if kind in ("BOOK", "EBOOK", "EDBOOK"):
        series = squash(_first(tags, "T2", "T3"))
        return "", ((("series", series),) if series else ())
    series = squash(_first(tags, "T3"))
    extra = (("series", series),) if series and kind in ("CHAP", "ECHAP") else ()
    if kind in ("CHAP", "ECHAP"):
        return squash(_first(tags, "T2", "BT")), extra
    return squash(_first(tags, "T2", "JF", "JO") or _first(tags, "BT")), ()


def _issue(tags: dict[str, list[str]], kind: str, dialect: Dialect) -> str:
    issue = squash(_first(tags, "IS"))
    if issue or not dialect.m1_issue or kind not in _JOURNAL_TYPES:
        return issue
    number = squash(_first(tags, "M1"))
    return number if _ISSUE_FORM.match(number) else ""


def _year(tags: dict[str, list[str]]) -> int | None:
    for value in tags.get("DA", ()):
        if _FULL_DATE.match(value) and first_year(value):
            return first_year(value)
    for name in ("PY", "Y1", "DA"):
        for value in tags.get(name, ()):
            year = first_year(value)
            if year:
                return year
    early = _first(tags, "C6")  # Web of Science: early-access date "MAY 2024"
    return first_year(early) if _WOS_EARLY_ACCESS.match(early) else None


def _pages(tags: dict[str, list[str]]) -> str:
    pages = join_pages(_first(tags, "SP"), _first(tags, "EP"))
    if pages:
        return pages
    number = _first(tags, "C7").strip()
    return clean_pages(number) if _ARTICLE_NUMBER.match(number) else ""


def _doi(tags: dict[str, list[str]]) -> str:
    for name in ("DO", "DI"):
        for value in tags.get(name, ()):
            doi = normalize_doi(value) or whole_doi(value)
            if doi:
                return doi
    for value in tags.get("M3", []):
        doi = whole_doi(value)
        if doi:
            return doi
    for name in _LINK_TAGS:
        for value in tags.get(name, ()):
            doi = _doi_from_link(value)
            if doi:
                return doi
    for value in tags.get("N1", []):
        doi = whole_doi(value)
        if doi:
            return doi
    return ""


def _doi_from_link(url: str) -> str:
    """The DOI in a record's own link: a doi.org URL, or a doi=/id=doi: query parameter."""
    match = _DOI_LINK.search(url)
    if match:
        return normalize_doi(unquote(match.group(1)))
    try:
        query = parse_qs(urlsplit(url.strip()).query)
    except ValueError:
        return ""
    for name in ("doi", "id", "rft_id"):
        for value in query.get(name, []):
            value = value.strip()
            if name != "doi" and not value.lower().startswith(("doi:", "info:doi/")):
                continue
            doi = normalize_doi(re.sub(r"^(?:info:doi/|doi:)", "", value, flags=re.I))
            if doi:
                return doi
    return ""


def _pmid(tags: dict[str, list[str]], dialect: Dialect) -> str:
    for name in dialect.pmid_tags:
        value = _first(tags, name).strip()
        if _PMID_FORM.match(value):
            return normalize_pmid(value)
    for name in ("AN", "ID", "C2", "C5", "M1", "M2", "N1", "U1", "U2"):
        for value in tags.get(name, ()):
            match = _PMID_NOTE.match(value)
            if match:
                return normalize_pmid(match.group(1))
    return ""


def _pmcid(tags: dict[str, list[str]]) -> str:
    for name in ("C2", "M2", "N1"):
        for value in tags.get(name, ()):
            match = _PMCID.match(value)
            if match:
                return normalize_pmcid(match.group(1))
    return ""


def _own_id(tags: dict[str, list[str]], dialect: Dialect) -> str:
    for name in dialect.own_id_tags:
        value = _first(tags, name).strip()
        if name == "U2" and not _EMBASE_ACCESSION.match(value):
            continue
        if value:
            return value
    match = _SCOPUS_EID.search(_first(tags, "UR"))
    return match.group(1) if match else ""
