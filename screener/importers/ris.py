"""Read RIS exports (Scopus, Web of Science, Embase, Ovid, EndNote, Zotero, ...): `read`.

A streaming reader of its own rather than rispy: it keeps the line where each entry
starts, reports a missing `ER` or `TY` as a problem instead of merging entries, and
reads 100,000 entries in seconds. Dialect quirks it handles:

* Web of Science ends some lines with a lone CR (`TextFile` splits them) and continues
  abstracts and notes on untagged lines; untagged lines continue the previous field
  (for `KW` each such line is one more keyword, as EndNote writes them).
* Titles `TI`/`T1`/`CT`; journal `T2`/`JF`/`JO` (`BT` for chapters), abbreviation
  `JA`/`J2`/`JI`/`J1`/`J9`; authors `AU`/`A1` only (`A2`-`A4` are editors etc.).
* DOI from `DO`/`DI`; failing that from the record's own links (doi.org links, or the
  `doi=` parameter of a Scopus link), from `M3` (old EndNote) and from an `N1` note that
  is nothing but a DOI - never from running text, where cited works' DOIs appear.
* Ids: `AN`, then `ID` (Ovid, CINAHL, EndNote), then an Embase `U2 L…` number, then the
  Scopus EID in the `UR` link.
* PMIDs: Scopus `C2`; `AN`/`ID` when `DB`/`DP` names MEDLINE, PubMed or NLM (Ovid
  MEDLINE puts the PMID there, Embase its own accession number); Embase `C5`; any
  tag whose whole value is "PMID: 123". PMCIDs: a `C2` of the form "PMC123" (EndNote).
* Pages `SP`-`EP`, or the article number `C7` (Scopus, WoS, EndNote) when there is none.
* `M3` document types become publication types; "Erratum", "Retracted", ... set flags.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
_PMCID = re.compile(r"^\s*(PMC\d+)\s*$", re.IGNORECASE)


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
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            if tags is not None:
                yield _unfinished(entry, start, number)
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


def _unfinished(entry: int, start: int, next_line: int) -> Draft:
    return Draft(
        entry,
        start,
        error=f"no 'ER  -' line ends this entry before the next one starts at line {next_line}: "
        "the entries may have been merged; check the export",
    )


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
    database = " ".join(tags.get("DB", []) + tags.get("DP", [])).lower()
    scopus = "scopus" in database or "scopus.com" in _first(tags, "UR")
    types = [t for t in tags.get("M3", []) if t and not whole_doi(t)]
    abbrev = squash(_first(tags, "JA", "J2", "JI", "J1", "J9"))
    journal = squash(
        _first(tags, "T2", "JF", "JO") or (_first(tags, "BT") if kind != "BOOK" else "")
    )
    fields = {
        "title": squash(
            _first(tags, "TI", "T1", "CT") or (_first(tags, "BT") if kind == "BOOK" else "")
        ),
        "abstract": squash(_first(tags, "AB", "N2")),
        "authors": tuple(squash(a) for a in tags.get("AU", []) + tags.get("A1", []) if a.strip()),
        "year": _year(tags),
        "journal": intern(journal or abbrev),
        "journal_abbrev": intern(abbrev),
        "volume": squash(_first(tags, "VL")),
        "issue": squash(_first(tags, "IS")),
        "pages": _pages(tags),
        "doi": _doi(tags),
        "pmid": _pmid(tags, database, scopus),
        "pmcid": _pmcid(tags),
        "issn": intern(issns(tags.get("SN", []))),
        "publisher": intern(squash(_first(tags, "PB", "PU"))),
        "entry_type": ENTRY_TYPES.get(kind, "misc" if kind else ""),
        "publication_types": intern.many(squash(t) for t in types),
        "keywords": intern.many(split_terms(tags.get("KW", []))),
        "language": intern(", ".join(dict.fromkeys(squash(v) for v in tags.get("LA", []) if v))),
        "url": _first(tags, "UR"),
        "flags": tuple(type_flags(types)),
    }
    return Draft(entry, start, fields, own_id=_own_id(tags, database))


def _year(tags: dict[str, list[str]]) -> int | None:
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


def _pmid(tags: dict[str, list[str]], database: str, scopus: bool) -> str:
    if any(word in database for word in ("medline", "pubmed", "nlm")):
        for name in ("AN", "ID"):
            value = _first(tags, name).strip()
            if value.isdigit():
                return normalize_pmid(value)
    candidates = []
    if scopus:
        candidates.append("C2")
    if "embase" in database:
        candidates.append("C5")
    for name in candidates:
        value = _first(tags, name).strip()
        if value.isdigit():
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


def _own_id(tags: dict[str, list[str]], database: str) -> str:
    own = _first(tags, "AN", "ID").strip()
    if own:
        return own
    if "embase" in database:
        for value in tags.get("U2", []):
            if re.fullmatch(r"L\d+", value.strip()):
                return value.strip()
    match = _SCOPUS_EID.search(_first(tags, "UR"))
    return match.group(1) if match else ""
