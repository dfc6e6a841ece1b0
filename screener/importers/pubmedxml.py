"""Read PubMed XML files (PubmedArticleSet, as saved from PubMed or written by older
tools): `read`.

The records are mapped by `screener.sources.pubmed_xml`, the same code that maps EFetch
answers, so a file import and a search store the same fields. Biopython's Entrez parser
needs a DTD to know the shape of the document, and refuses what such files often have:
an `http://` DTD URL, no DOCTYPE, no XML declaration, or a bare PubmedArticle as the root.
The articles are therefore cut out of the file and given, in batches, a new prolog with
a DTD Biopython ships: the version the file names when it is bundled, else the newest,
then older ones (`bundled_dtds`) until one fits, since the structure changed over the
years. The parse itself is `screener.sources.entrez.read_entrez`, the offline parser
searches use too: it refuses any DTD that is not on disk, so no parser ever fetches
anything from the network, whatever the file names.
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
BATCH = 500  # articles parsed at once
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


def root_of(text: str) -> str:
    """The name of the document's root element ("" when there is none)."""
    root = _ROOT.match(text[_PROLOG.match(text).end() :].lstrip())
    return root.group(1) if root else ""


def document(articles: list[str], dtd: str) -> bytes:
    """Articles (their XML text) as one PubmedArticleSet with a bundled DTD's prolog."""
    body = "\n".join(articles)
    return f"{_DOCTYPE.format(name=dtd)}<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n".encode()


def parse(articles: list[str], dtds: list[str]) -> tuple[Any, str]:
    """What Biopython's Entrez parser makes of the articles (offline), and the DTD that
    fitted: the first of `dtds` whose structure the articles match."""
    first_error = None
    for dtd in dtds:
        try:
            return read_entrez(document(articles, dtd)), dtd
        except CorruptedXMLError as exc:  # not well-formed: no DTD will help
            raise PubmedXmlFileError(f"the XML is not well-formed: {exc}") from None
        except (NotXMLError, ValidationError, RuntimeError, ValueError) as exc:
            first_error = first_error or exc
    raise PubmedXmlFileError(f"{type(first_error).__name__}: {first_error}")


def read(source: TextFile) -> Iterator[Draft]:
    """One `Draft` per PubmedArticle / PubmedBookArticle, in file order.

    Articles are parsed in batches of `BATCH`, so a file of 10,000 (PubMed's largest
    download) never holds Biopython's objects for all of them at once; a batch that
    cannot be parsed is parsed article by article, so one broken article is one problem.
    """
    text = source.read_text()
    root = root_of(text)
    if root not in ROOTS:
        found = f"<{root}>" if root else "no element"
        yield Draft(1, 1, error=f"the root element is {found}, not <PubmedArticleSet>")
        return
    entries = list(_entries(text))
    dtds = _candidates(text)
    entry = 0
    for batch in range(0, len(entries), BATCH):
        for draft in _batch(entries[batch : batch + BATCH], dtds):
            entry += 1
            draft.entry = entry
            yield draft


def _entries(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, kind, xml) of every article and book article, in file order; an article
    the file ends inside of has xml "" (the file was cut short)."""
    line, position = 1, 0
    for match in _ENTRY.finditer(text):
        if match.start() < position:
            continue  # inside the previous article (cannot happen in valid PubMed XML)
        line += text.count("\n", position, match.start())
        position = match.start()
        kind = match.group(1)
        close = text.find(f"</{kind}>", match.start())
        xml = text[match.start() : close + len(kind) + 3] if close >= 0 else ""
        yield line, kind, xml
        if close < 0:
            return
        line += text.count("\n", position, close)
        position = close


def _batch(entries: list[tuple[int, str, str]], dtds: list[str]) -> list[Draft]:
    """The drafts of a batch of articles; `dtds` is reordered to try what fitted first."""
    whole = [e for e in entries if e[2]]
    try:
        parsed, dtd = parse([xml for _, _, xml in whole], dtds) if whole else ({}, "")
    except PubmedXmlFileError:
        if len(entries) == 1:
            raise
        return [draft for one in entries for draft in _single(one, dtds)]
    if dtd and dtds[0] != dtd:
        dtds.remove(dtd)
        dtds.insert(0, dtd)
    items = _items(parsed)
    taken = {"PubmedArticle": 0, "PubmedBookArticle": 0}
    drafts = []
    for line, kind, xml in entries:
        if not xml:
            drafts.append(Draft(0, line, error=_CUT_SHORT))
            continue
        drafts.append(_draft(0, line, kind, items[kind][taken[kind]]))
        taken[kind] += 1
    return drafts


def _single(entry: tuple[int, str, str], dtds: list[str]) -> list[Draft]:
    line, kind, xml = entry
    if not xml:
        return [Draft(0, line, error=_CUT_SHORT)]
    try:
        return _batch([entry], dtds)
    except PubmedXmlFileError as exc:
        return [Draft(0, line, error=f"this {kind} is not readable as PubMed XML: {exc}")]


_CUT_SHORT = "the file ends inside this article: the download may be cut short; save it again"


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
