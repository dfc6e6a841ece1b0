"""Read PubMed XML files (PubmedArticleSet, as saved from PubMed or written by older
tools): `read`, `prepare`.

The records are mapped by `screener.sources.pubmed_xml`, the same code that maps EFetch
answers, so a file import and a search store the same fields. Biopython's Entrez parser
needs a DTD to know the shape of the document, and refuses what such files often have:
an `http://` DTD URL, no DOCTYPE, no XML declaration, or a bare PubmedArticle as the root.
`prepare` therefore drops the file's own prolog and gives the document a DTD Biopython
ships: the version the file names when it is bundled, else the newest, then older ones
(`bundled_dtds`) until one fits, since the structure changed over the years.
The parse itself is `screener.sources.entrez.read_entrez`, the offline parser searches
use too: it refuses any DTD that is not on disk, so no parser ever fetches anything from
the network, whatever the file names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from Bio.Entrez.Parser import CorruptedXMLError, DataHandler, NotXMLError, ValidationError

from screener.importers.common import Draft, clean_pages
from screener.importers.textio import TextFile
from screener.sources.entrez import read_entrez
from screener.sources.pubmed_xml import article_record, book_record

_DOCTYPE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE PubmedArticleSet SYSTEM '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/{name}">\n'
)
_DTD_NAME = re.compile(r"<!DOCTYPE[^>]*?(pubmed_\d{6}\.dtd)", re.IGNORECASE)
_PROLOG = re.compile(
    r"\A\ufeff?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*"
    r"(?:<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)?(?:<!--.*?-->\s*)*",
    re.DOTALL,
)
_ROOT = re.compile(r"<([A-Za-z][\w.-]*)")
_ENTRY = re.compile(r"<(PubmedArticle|PubmedBookArticle)[\s>]")
_ARTICLE_NUMBER = re.compile(r"^[A-Za-z]{0,2}\d{1,9}$")
ROOTS = ("PubmedArticleSet", "PubmedArticle", "PubmedBookArticle")


class PubmedXmlFileError(ValueError):
    """The document is not PubMed XML, or cannot be parsed."""


def bundled_dtds() -> list[str]:
    """The PubMed DTDs Biopython ships, newest first."""
    folder = Path(DataHandler.global_dtd_dir)
    return sorted((p.name for p in folder.glob("pubmed_*.dtd")), key=_dtd_date, reverse=True)


def _dtd_date(name: str) -> str:
    digits = re.sub(r"\D", "", name)  # yymmdd: 020114 ... 250101
    return ("19" if digits[:2] > "50" else "20") + digits


def _candidates(text: str) -> list[str]:
    dtds = bundled_dtds()
    named = _DTD_NAME.search(text[:2000])
    first = named.group(1).lower() if named and named.group(1).lower() in dtds else ""
    return [first] + [d for d in dtds if d != first] if first else dtds


def prepare(text: str, dtd: str) -> bytes:
    """The document with a bundled DTD's prolog, a bare article wrapped in a set."""
    body = text[_PROLOG.match(text).end() :]
    root = _ROOT.match(body.lstrip())
    if root is None or root.group(1) not in ROOTS:
        found = f"<{root.group(1)}>" if root else "no element"
        raise PubmedXmlFileError(f"the root element is {found}, not <PubmedArticleSet>")
    if root.group(1) != "PubmedArticleSet":
        body = f"<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n"
    return (_DOCTYPE.format(name=dtd) + body).encode("utf-8")


def parse(text: str) -> Any:
    """What Biopython's Entrez parser makes of the document (offline): with the DTD the
    file names, else the newest bundled one that fits its structure."""
    first_error = None
    for dtd in _candidates(text):
        try:
            return read_entrez(prepare(text, dtd))
        except CorruptedXMLError as exc:  # not well-formed: no DTD will help
            raise PubmedXmlFileError(f"the XML is not well-formed: {exc}") from None
        except (NotXMLError, ValidationError, RuntimeError, ValueError) as exc:
            first_error = first_error or exc
    raise PubmedXmlFileError(f"{type(first_error).__name__}: {first_error}")


def read(source: TextFile) -> Iterator[Draft]:
    """One `Draft` per PubmedArticle / PubmedBookArticle, in file order."""
    text = source.read_text()
    starts = _entry_lines(text)
    try:
        parsed = parse(text)
    except PubmedXmlFileError as exc:
        line = min((line for lines in starts.values() for line in lines), default=1)
        yield Draft(1, line, error=f"not readable as PubMed XML: {exc}")
        return
    items = _items(parsed)
    order = sorted(
        (line, kind, index)
        for kind, lines in starts.items()
        for index, line in enumerate(lines[: len(items[kind])])
    )
    for entry, (line, kind, index) in enumerate(order, 1):
        yield _draft(entry, line, kind, items[kind][index])


def _entry_lines(text: str) -> dict[str, list[int]]:
    """The line where each article and each book article starts, by kind."""
    starts: dict[str, list[int]] = {"PubmedArticle": [], "PubmedBookArticle": []}
    line, position = 1, 0
    for match in _ENTRY.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        starts[match.group(1)].append(line)
    return starts


def _items(parsed: Any) -> dict[str, list[Any]]:
    if isinstance(parsed, Mapping):
        return {
            "PubmedArticle": list(parsed.get("PubmedArticle", [])),
            "PubmedBookArticle": list(parsed.get("PubmedBookArticle", [])),
        }
    return {  # the 2013 shape: one list holding both kinds
        "PubmedArticle": [item for item in parsed if "MedlineCitation" in item],
        "PubmedBookArticle": [item for item in parsed if "BookDocument" in item],
    }


def _draft(entry: int, line: int, kind: str, item: Mapping[str, Any]) -> Draft:
    try:
        record = article_record(item) if kind == "PubmedArticle" else book_record(item)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return Draft(entry, line, error=f"this {kind} lacks what PubMed XML requires: {exc}")
    fields = {
        name: getattr(record, name)
        for name in record.field_names()
        if name not in ("source", "source_id")
    }
    fields["pages"] = clean_pages(fields["pages"])  # "311-9" → "311-319", as MEDLINE reads it
    if not fields["pages"] and kind == "PubmedArticle":
        fields["pages"] = _article_number(item)
    return Draft(entry, line, fields, own_id=record.pmid)


def _article_number(article: Mapping[str, Any]) -> str:
    """An ELocationID of type pii or e-number that is an article number ("e1042")."""
    locations = article["MedlineCitation"]["Article"].get("ELocationID", [])
    for location in locations:
        kind = getattr(location, "attributes", {}).get("EIdType", "")
        value = str(location).strip()
        if kind in ("pii", "e-number") and _ARTICLE_NUMBER.match(value):
            return value
    return ""
