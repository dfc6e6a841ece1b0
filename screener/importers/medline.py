"""Read MEDLINE text exports (PubMed "Save → PubMed format", `.nbib`): `read`.

Entries are blocks separated by blank lines; each line is a 4-character tag padded with
spaces, "- ", then the value, and continuation lines start with six spaces. This module
splits the blocks (keeping the line each starts on), joins continuation lines onto their
field, and hands the block to Biopython's `Bio.Medline.parse`. It reads leniently and
says so: field lines not in the exact layout ("ISSN - x", "AB  -x"), lines that are no
field (joined to the one before), and tags MEDLINE does not define (kept in `extra`) each
give a warning naming the entry and line, never the loss of the entry or the file. It reads
the repeated fields whose order matters (authors, article ids, comments/corrections)
from the joined lines itself, since Biopython splits wrapped values of list fields into
separate items and joins repeated text fields with spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from Bio import Medline

from screener.importers.common import Draft, Interner, clean_pages, issns, squash, type_flags
from screener.importers.textio import TextFile
from screener.models import (
    FLAG_ERRATUM,
    FLAG_EXPRESSION_OF_CONCERN,
    FLAG_HAS_ERRATUM,
    FLAG_RETRACTED,
    FLAG_RETRACTION_NOTICE,
    FLAG_UPDATE_NOTICE,
    FLAG_UPDATED,
)
from screener.normalize import first_year, normalize_doi, normalize_pmcid, normalize_pmid

# Comment/correction tags: (relation name as PubMed XML's RefType, flag it sets or "").
RELATIONS = {
    "RIN": ("RetractionIn", FLAG_RETRACTED),
    "ROF": ("RetractionOf", FLAG_RETRACTION_NOTICE),
    "EIN": ("ErratumIn", FLAG_HAS_ERRATUM),
    "EFR": ("ErratumFor", FLAG_ERRATUM),
    "UIN": ("UpdateIn", FLAG_UPDATED),
    "UOF": ("UpdateOf", FLAG_UPDATE_NOTICE),
    "ECI": ("ExpressionOfConcernIn", FLAG_EXPRESSION_OF_CONCERN),
    "ECF": ("ExpressionOfConcernFor", FLAG_UPDATE_NOTICE),
    "RPI": ("RepublishedIn", FLAG_UPDATED),
    "RPF": ("RepublishedFrom", ""),
    "RRI": ("RetractedandRepublishedIn", FLAG_RETRACTED),
    "RRF": ("RetractedandRepublishedFrom", ""),
    "CRI": ("CorrectedandRepublishedIn", FLAG_UPDATED),
    "CRF": ("CorrectedandRepublishedFrom", ""),
}
# Publication types that set flags, as in screener.sources.pubmed_xml.
_PT_FLAGS = {"expression of concern": FLAG_UPDATE_NOTICE}
_CONTINUATION = "      "
_PMID_IN_TEXT = re.compile(r"PMID:\s*(\d+)")
# A field line, leniently: tag, any spaces, dash, value ("ISSN - x" and "AB  -x" too).
_LOOSE_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3}) *-(?: ?(.*))?$")
_PAGE = r"[A-Za-z]?\d+[A-Za-z]?"
# The source line, "Environ Health. 2015 Jan 5;4(1):1042. doi: ...": journal, volume,
# issue and pages, used for what the entry has no own field for.
_SO = re.compile(
    r"^(?P<journal>[^;]*?)\.\s+(?:1[5-9]|20|21)\d\d[^;]*;\s*(?P<volume>[^(:;.\s-]*)"
    r"(?:\((?P<issue>[^)]*)\))?(?::\s*(?P<pages>" + _PAGE + "(?:-" + _PAGE + r")?))?[.;\s]"
)
_ARTICLE_NUMBER = re.compile(r"^[A-Za-z]{0,2}\d{1,9}$")
# Every tag of NLM's MEDLINE/PubMed field list; others are kept in `extra`, with a warning.
KNOWN_TAGS = frozenset(
    str.split(
        """AB AD AID AU AUID BTI CI CIN CN COI COIS CON CP CRDT CRF CRI CTDT CTI DA DCOM DDIN DEP
    DP DRDT DRIN ECF ECI ED EDAT EFR EIN EN FAU FED FIR FPS GN GR GS IP IR IRAD IS ISBN JID
    JT LA LID LR MH MHDA MID NM OAB OABL OCI OID ORI OT OTO OWN PB PG PHST PL PMC PMCR PMID
    PRIN PROF PS PST PT PUBM RF RIN RN ROF RPF RPI RRF RRI SB SFM SI SO SPIN STAT TA TI TT UIN
    UOF VI VTI"""
    )
)


def read(source: TextFile) -> Iterator[Draft]:
    """One `Draft` per blank-line-separated block, in file order."""
    intern = Interner()
    entry = start = 0
    block: list[tuple[int, str]] = []
    for number, line in enumerate(source.lines(), 1):
        if not line.strip():
            if block:
                yield build(entry, start, block, intern)
                block = []
            continue
        if not block:
            entry, start = entry + 1, number
        block.append((number, line))
    if block:
        yield build(entry, start, block, intern)


def _tag(line: str) -> tuple[str, str, bool]:
    """(tag, value, strict) of a field line, or ("", "", False) when it is not one.

    `strict` is False for lines read leniently: no space after the dash, or the dash not
    in column 5 (ERIC writes "ISSN - EISSN-...").
    """
    if len(line) >= 5 and line[4] == "-" and (len(line) == 5 or line[5] == " "):
        tag = line[:4].rstrip()
        if tag and tag.isalnum() and tag.isupper() and " " not in tag:
            return tag, line[6:].strip(), True
    match = _LOOSE_TAG.match(line)
    if match:
        return match.group(1), (match.group(2) or "").strip(), False
    return "", "", False


def join_fields(draft: Draft, block: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """(tag, value) pairs with continuation lines joined on; odd lines are warned about.

    A line that is neither a field nor a six-space continuation is taken as a
    continuation of the field before it (a wrapped line with other indentation), or
    kept in `extra` when nothing comes before it: one odd line never loses the entry.
    """
    pairs: list[tuple[str, str]] = []
    for number, line in block:
        if line.startswith(_CONTINUATION) and pairs:
            tag, value = pairs[-1]
            pairs[-1] = (tag, f"{value} {line.strip()}".strip())
            continue
        tag, value, strict = _tag(line)
        if tag:
            if not strict:
                draft.warn(number, tag, f"field line not in MEDLINE layout ({line[:40]!r})")
            pairs.append((tag, value))
            continue
        shown = line.strip()[:40]
        if pairs:
            tag, value = pairs[-1]
            pairs[-1] = (tag, f"{value} {line.strip()}".strip())
            draft.warn(number, tag, f"line {shown!r} is not a MEDLINE field: joined to {tag}")
        else:
            pairs.append(("?", line.strip()))
            draft.warn(number, "?", f"line {shown!r} is not a MEDLINE field: kept in extra")
    return pairs


def _unknown(draft: Draft, block: list[tuple[int, str]], pairs: list[tuple[str, str]]) -> tuple:
    """Fields with tags MEDLINE does not define, kept as (tag, value), each warned about."""
    unknown = [(tag, value) for tag, value in pairs if tag not in KNOWN_TAGS]
    if not unknown:
        return ()
    lines: dict[str, list[int]] = {}  # where each unknown tag stands, in order
    for number, text in block:
        tag = _tag(text)[0]
        if tag and tag not in KNOWN_TAGS:
            lines.setdefault(tag, []).append(number)
    for tag, value in unknown:
        if tag == "?":
            continue
        line = lines[tag].pop(0) if lines.get(tag) else 0
        draft.warn(line, tag, f"unknown MEDLINE tag {tag!r} (value {value[:40]!r}): kept in extra")
    return tuple((tag if tag != "?" else "unparsed", value) for tag, value in unknown)


def build(entry: int, start: int, block: list[tuple[int, str]], intern: Interner) -> Draft:
    """The draft for one block of MEDLINE lines."""
    draft = Draft(entry, start)
    pairs = join_fields(draft, block)
    extra = _unknown(draft, block, pairs)
    known = [(tag, value) for tag, value in pairs if tag in KNOWN_TAGS]
    record = next(Medline.parse(f"{tag:<4}- {value}" for tag, value in known), {})
    pmid = normalize_pmid(record.get("PMID", ""))
    pub_types = [squash(t) for t in record.get("PT", [])]
    relations, flags = _relations(pairs)
    flags += type_flags(pub_types)
    flags += [_PT_FLAGS[t.lower()] for t in pub_types if t.lower() in _PT_FLAGS]
    book_title = squash(" ".join(record.get("BTI", [])))
    source = _source(record)
    title = squash(record.get("TI", "")) or book_title
    fields = {
        "title": title,
        "abstract": squash(record.get("AB", "")),
        "authors": _authors(pairs),
        "year": first_year(record.get("DP")) or first_year(record.get("SO")),
        "journal": intern(
            squash(record.get("JT", ""))
            or (book_title if title != book_title else "")
            or squash(source.get("journal", "") if not record.get("TA") else "")
        ),
        "journal_abbrev": intern(squash(record.get("TA", ""))),
        "volume": squash(record.get("VI", "") or source.get("volume", "")),
        "issue": squash(record.get("IP", "") or source.get("issue", "")),
        "pages": _pages(record, pairs),
        "doi": _doi(pairs),
        "pmid": pmid,
        "pmcid": normalize_pmcid(record.get("PMC", "")),
        "issn": intern(issns(v for t, v in pairs if t == "IS")),
        "publisher": intern(squash(" ".join(record.get("PB", [])))),
        "entry_type": _entry_type(record, title, book_title),
        "publication_types": intern.many(pub_types),
        "keywords": intern.many(squash(k) for k in record.get("OT", [])),
        "mesh": intern.many(squash(m) for m in record.get("MH", [])),
        "language": intern(", ".join(record.get("LA", []))),
        "flags": tuple(flags),
        "relations": tuple(relations),
        "extra": extra,
    }
    draft.fields, draft.own_id = fields, pmid
    return draft


def _source(record: Medline.Record) -> dict[str, str]:
    """Journal, volume, issue and pages from the SO line ({} when it has another form)."""
    match = _SO.match(str(record.get("SO", "")) + " ")
    return {k: v for k, v in match.groupdict().items() if v} if match else {}


def _pages(record: Medline.Record, pairs: list[tuple[str, str]]) -> str:
    """PG; else the article number: from the SO line, or a LID/AID of type pii/e-number."""
    pages = clean_pages(record.get("PG", ""))
    if pages:
        return pages
    pages = _source(record).get("pages") or ""
    if pages:
        return clean_pages(pages)
    for tag, value in pairs:
        if tag in ("LID", "AID") and value.endswith(("[pii]", "[e-number]")):
            number = value.rsplit("[", 1)[0].strip()
            if _ARTICLE_NUMBER.match(number):
                return number
    return ""


def _authors(pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    """Full author names (FAU) in order, with collective names (CN) where they stand."""
    wanted = ("FAU", "CN") if any(tag == "FAU" for tag, _ in pairs) else ("AU", "CN")
    return tuple(squash(value) for tag, value in pairs if tag in wanted and value)


def _doi(pairs: list[tuple[str, str]]) -> str:
    for wanted in ("LID", "AID"):
        for tag, value in pairs:
            if tag == wanted and value.endswith("[doi]"):
                doi = normalize_doi(value[: -len("[doi]")])
                if doi:
                    return doi
    return ""


def _relations(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    relations: list[tuple[str, str]] = []
    flags: list[str] = []
    for tag, value in pairs:
        if tag not in RELATIONS:
            continue
        name, flag = RELATIONS[tag]
        match = _PMID_IN_TEXT.search(value)
        relations.append((name, f"PMID {match.group(1)}" if match else squash(value)))
        if flag:
            flags.append(flag)
    return relations, flags


def _entry_type(record: Medline.Record, title: str, book_title: str) -> str:
    if book_title:
        return "book" if title == book_title else "incollection"
    return "article"
