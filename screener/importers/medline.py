"""Read MEDLINE text exports (PubMed "Save → PubMed format", `.nbib`): `read`.

Entries are blocks separated by blank lines; each line is a 4-character tag padded with
spaces, "- ", then the value, and continuation lines start with six spaces. This module
splits the blocks (keeping the line each starts on), checks every line, joins continuation
lines onto their field, and hands the block to Biopython's `Bio.Medline.parse`. It reads
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


def _tag(line: str) -> str:
    """The tag of a field line ("PMID- 1", "TI  - x"), or "" when it is not one."""
    if len(line) >= 5 and line[4] == "-" and (len(line) == 5 or line[5] == " "):
        tag = line[:4].rstrip()
        if tag and tag.isalnum() and tag.isupper() and " " not in tag:
            return tag
    return ""


def join_fields(block: list[tuple[int, str]]) -> tuple[list[tuple[str, str]], str]:
    """(tag, value) pairs with continuation lines joined on, or an error for a bad line."""
    pairs: list[tuple[str, str]] = []
    for number, line in block:
        if line.startswith(_CONTINUATION) and pairs:
            tag, value = pairs[-1]
            pairs[-1] = (tag, f"{value} {line.strip()}".strip())
            continue
        tag = _tag(line)
        if not tag:
            shown = line.strip()[:40]
            return [], (
                f"line {number} ({shown!r}) is neither a MEDLINE field ('TAG - value') nor a "
                "continuation line (six spaces): the export may be damaged"
            )
        pairs.append((tag, line[6:].strip()))
    return pairs, ""


def build(entry: int, start: int, block: list[tuple[int, str]], intern: Interner) -> Draft:
    """The draft for one block of MEDLINE lines."""
    pairs, error = join_fields(block)
    if error:
        return Draft(entry, start, error=error)
    record = next(Medline.parse(f"{tag:<4}- {value}" for tag, value in pairs))
    pmid = normalize_pmid(record.get("PMID", ""))
    pub_types = [squash(t) for t in record.get("PT", [])]
    relations, flags = _relations(pairs)
    flags += type_flags(pub_types)
    flags += [_PT_FLAGS[t.lower()] for t in pub_types if t.lower() in _PT_FLAGS]
    book_title = squash(" ".join(record.get("BTI", [])))
    title = squash(record.get("TI", "")) or book_title
    fields = {
        "title": title,
        "abstract": squash(record.get("AB", "")),
        "authors": _authors(pairs),
        "year": first_year(record.get("DP")) or first_year(record.get("SO")),
        "journal": intern(
            squash(record.get("JT", "")) or (book_title if title != book_title else "")
        ),
        "journal_abbrev": intern(squash(record.get("TA", ""))),
        "volume": squash(record.get("VI", "")),
        "issue": squash(record.get("IP", "")),
        "pages": clean_pages(record.get("PG", "")),
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
    }
    return Draft(entry, start, fields, own_id=pmid)


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
