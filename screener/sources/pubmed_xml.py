"""Map PubMed EFetch XML (PubmedArticle and PubmedBookArticle) to `Record`s.

Biopython's Entrez parser (kept offline, see `entrez`) parses; this module only walks
what it returns. Identifiers
come from the article's own ArticleIdList and ELocationID, never from its ReferenceList
(which holds the DOIs of the works it cites).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from Bio.Entrez.Parser import CorruptedXMLError, NotXMLError, ValidationError

from screener.models import (
    FLAG_ERRATUM,
    FLAG_EXPRESSION_OF_CONCERN,
    FLAG_HAS_ERRATUM,
    FLAG_RETRACTED,
    FLAG_RETRACTION_NOTICE,
    FLAG_UPDATE_NOTICE,
    FLAG_UPDATED,
    Record,
)
from screener.normalize import clean_text as _clean_markup
from screener.normalize import first_year, normalize_doi, normalize_pmcid
from screener.sources.entrez import read_entrez

SOURCE = "pubmed"

_TYPE_FLAGS = {
    "retracted publication": FLAG_RETRACTED,
    "retraction of publication": FLAG_RETRACTION_NOTICE,
    "published erratum": FLAG_ERRATUM,
    "expression of concern": FLAG_UPDATE_NOTICE,
}
_COMMENT_FLAGS = {
    "RetractionIn": FLAG_RETRACTED,
    "RetractionOf": FLAG_RETRACTION_NOTICE,
    "ErratumIn": FLAG_HAS_ERRATUM,
    "ErratumFor": FLAG_ERRATUM,
    "UpdateIn": FLAG_UPDATED,
    "UpdateOf": FLAG_UPDATE_NOTICE,
    "ExpressionOfConcernIn": FLAG_EXPRESSION_OF_CONCERN,
    "ExpressionOfConcernFor": FLAG_UPDATE_NOTICE,
    "RepublishedIn": FLAG_UPDATED,
}


def clean_text(value: str) -> str:
    """`normalize.clean_text`, without its regexes for the many fields with no markup.

    Exactly the same result: tags need a "<" and entities a "&"; without them only
    whitespace is folded, which `str.split` does as `\\s+` does.
    """
    if "<" in value or "&" in value:
        return _clean_markup(value)
    return " ".join(value.split())


class PubmedXmlError(Exception):
    """The EFetch body could not be parsed as PubMed XML."""


def xml_errors() -> tuple[type[Exception], ...]:
    """What the Entrez parser raises on a body it cannot read."""
    return (NotXMLError, CorruptedXMLError, ValidationError, RuntimeError, ValueError)


def parse_efetch(body: bytes) -> list[Record]:
    """Parse one EFetch response body into records (an empty set gives [])."""
    try:
        parsed = read_entrez(body)  # offline: never fetches a DTD
    except xml_errors() as exc:
        raise PubmedXmlError(f"{type(exc).__name__}: {exc}") from None
    return records_from_parsed(parsed)


def records_from_parsed(parsed: Any) -> list[Record]:
    """Records from what `Entrez.read` returned: a dict (current DTDs) or a list (2013 DTD)."""
    if isinstance(parsed, Mapping):
        articles = list(parsed.get("PubmedArticle", []))
        books = list(parsed.get("PubmedBookArticle", []))
    else:  # the legacy shape: one list holding both kinds
        articles = [item for item in parsed if "MedlineCitation" in item]
        books = [item for item in parsed if "BookDocument" in item]
    return [article_record(a) for a in articles] + [book_record(b) for b in books]


def article_record(article: Mapping[str, Any]) -> Record:
    citation = article["MedlineCitation"]
    art = citation["Article"]
    journal = art.get("Journal", {})
    issue = journal.get("JournalIssue", {})
    ids = _article_ids(article.get("PubmedData", {}).get("ArticleIdList", []))
    ids.setdefault("doi", _elocation_doi(art.get("ELocationID", [])))
    pub_types = tuple(str(t) for t in art.get("PublicationTypeList", []))
    comments = list(citation.get("CommentsCorrectionsList", []))
    return Record(
        source=SOURCE,
        source_id=str(citation["PMID"]),
        title=_title(art.get("ArticleTitle", ""), art.get("VernacularTitle", "")),
        abstract=_abstract(art.get("Abstract")),
        authors=_authors(art.get("AuthorList", [])),
        year=_pub_year(issue.get("PubDate", {})) or _article_date_year(art),
        journal=clean_text(journal.get("Title", "")),
        journal_abbrev=clean_text(journal.get("ISOAbbreviation", ""))
        or clean_text(citation.get("MedlineJournalInfo", {}).get("MedlineTA", "")),
        volume=str(issue.get("Volume", "")),
        issue=str(issue.get("Issue", "")),
        pages=_pages(art.get("Pagination", {})),
        doi=normalize_doi(ids.get("doi", "")),
        pmid=str(citation["PMID"]),
        pmcid=normalize_pmcid(ids.get("pmc", "")),
        issn=str(journal.get("ISSN", "")),
        entry_type="article",
        publication_types=pub_types,
        keywords=_keywords(citation.get("KeywordList", [])),
        mesh=_mesh(citation.get("MeshHeadingList", [])),
        language=", ".join(str(x) for x in art.get("Language", [])),
        flags=_flags(pub_types, comments),
        relations=_relations(comments),
    )


def book_record(book: Mapping[str, Any]) -> Record:
    doc = book["BookDocument"]
    info = doc.get("Book", {})
    ids = _article_ids(doc.get("ArticleIdList", []))
    title = doc.get("ArticleTitle") or info.get("BookTitle", "")
    authors = _authors(_first_author_list(doc) or _first_author_list(info))
    publisher = info.get("Publisher", {})
    return Record(
        source=SOURCE,
        source_id=str(doc["PMID"]),
        title=clean_text(str(title)),
        abstract=_abstract(doc.get("Abstract")),
        authors=authors,
        year=_pub_year(info.get("PubDate", {})),
        journal=clean_text(str(info.get("BookTitle", ""))),
        doi=normalize_doi(ids.get("doi", "")),
        pmid=str(doc["PMID"]),
        pmcid=normalize_pmcid(ids.get("pmc", "")),
        publisher=clean_text(str(publisher.get("PublisherName", ""))),
        entry_type="book" if not doc.get("ArticleTitle") else "inbook",
        publication_types=tuple(str(t) for t in doc.get("PublicationType", [])),
        keywords=_keywords(doc.get("KeywordList", [])),
        language=", ".join(str(x) for x in doc.get("Language", [])),
        url=f"https://www.ncbi.nlm.nih.gov/books/{ids['bookaccession']}/"
        if ids.get("bookaccession")
        else "",
    )


def _first_author_list(node: Mapping[str, Any]) -> list:
    lists = node.get("AuthorList", [])
    # Book documents hold a list of AuthorLists (authors, editors); take the authors.
    if lists and isinstance(lists[0], list):
        for author_list in lists:
            if getattr(author_list, "attributes", {}).get("Type", "authors") == "authors":
                return list(author_list)
        return list(lists[0])
    return list(lists)


def _article_ids(id_list: Iterable[Any]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for item in id_list:
        kind = getattr(item, "attributes", {}).get("IdType", "")
        if kind and kind not in ids:
            ids[kind] = str(item).strip()
    return ids


def _elocation_doi(locations: Iterable[Any]) -> str:
    for loc in locations:
        attrs = getattr(loc, "attributes", {})
        if attrs.get("EIdType") == "doi" and attrs.get("ValidYN", "Y") == "Y":
            return str(loc)
    return ""


def _title(title: Any, vernacular: Any) -> str:
    text = clean_text(str(title))
    # Untranslated titles come in [brackets]; the original-language title is kept as is.
    return text or clean_text(str(vernacular))


def _abstract(abstract: Mapping[str, Any] | None) -> str:
    if not abstract:
        return ""
    parts = []
    for part in abstract.get("AbstractText", []):
        text = clean_text(str(part))
        label = getattr(part, "attributes", {}).get("Label", "")
        parts.append(f"{label}: {text}" if label and text else text)
    return "\n".join(p for p in parts if p)


def _authors(author_list: Iterable[Any]) -> tuple[str, ...]:
    names = []
    for author in author_list:
        if "CollectiveName" in author:
            names.append(clean_text(str(author["CollectiveName"])))
            continue
        last = clean_text(str(author.get("LastName", "")))
        first = clean_text(str(author.get("ForeName", "") or author.get("Initials", "")))
        suffix = str(author.get("Suffix", ""))
        name = f"{last}, {first}" if first else last
        names.append(f"{name} {suffix}".strip() if suffix else name)
    return tuple(n for n in names if n)


def _pub_year(pub_date: Mapping[str, Any]) -> int | None:
    if "Year" in pub_date:
        return first_year(pub_date["Year"])
    return first_year(pub_date.get("MedlineDate"))


def _article_date_year(art: Mapping[str, Any]) -> int | None:
    for article_date in art.get("ArticleDate", []):
        year = first_year(article_date.get("Year"))
        if year:
            return year
    return None


def _pages(pagination: Mapping[str, Any]) -> str:
    if not pagination:
        return ""
    if pagination.get("MedlinePgn"):
        return str(pagination["MedlinePgn"])
    start, end = str(pagination.get("StartPage", "")), str(pagination.get("EndPage", ""))
    return f"{start}-{end}" if start and end else start


def _keywords(keyword_lists: Iterable[Any]) -> tuple[str, ...]:
    return tuple(clean_text(str(k)) for kl in keyword_lists for k in kl)


def _mesh(headings: Iterable[Any]) -> tuple[str, ...]:
    terms = []
    for heading in headings:
        name = str(heading.get("DescriptorName", ""))
        qualifiers = [str(q) for q in heading.get("QualifierName", [])]
        terms.append(name + "".join(f"/{q}" for q in qualifiers))
    return tuple(terms)


def _flags(pub_types: tuple[str, ...], comments: list) -> tuple[str, ...]:
    flags = [_TYPE_FLAGS[t.lower()] for t in pub_types if t.lower() in _TYPE_FLAGS]
    for comment in comments:
        ref_type = getattr(comment, "attributes", {}).get("RefType", "")
        if ref_type in _COMMENT_FLAGS:
            flags.append(_COMMENT_FLAGS[ref_type])
    return tuple(dict.fromkeys(flags))


def _relations(comments: list) -> tuple[tuple[str, str], ...]:
    relations = []
    for comment in comments:
        ref_type = getattr(comment, "attributes", {}).get("RefType", "")
        if ref_type not in _COMMENT_FLAGS:
            continue
        pmid = str(comment.get("PMID", ""))
        target = f"PMID {pmid}" if pmid else clean_text(str(comment.get("RefSource", "")))
        relations.append((ref_type, target))
    return tuple(relations)
