"""Map Crossref `/works` items and CSL-JSON (doi.org content negotiation) to `Record`s.

Both shapes share most keys: `title` (a list in Crossref, a string in CSL-JSON),
`container-title`, `author`, partial dates with `date-parts`, `page`, `DOI`, and an
`abstract` that is a JATS XML string. Crossmark updates become flags: `updated-by` on an
updated work (retracted, corrected, ...) and `update-to` on the notice itself.

Pure functions only: no IO.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

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
from screener.normalize import first_year, normalize_doi
from screener.textsafe import clean_fields

# Crossref work types (and CSL types, which doi.org may send) → our BibTeX-like entry types.
_ENTRY_TYPES = {
    "journal-article": "article",
    "article-journal": "article",
    "proceedings-article": "inproceedings",
    "paper-conference": "inproceedings",
    "book-chapter": "inbook",
    "chapter": "inbook",
    "book-section": "inbook",
    "book-part": "inbook",
    "reference-entry": "inbook",
    "entry": "inbook",
    "entry-encyclopedia": "inbook",
    "entry-dictionary": "inbook",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "book-set": "book",
    "book-series": "book",
    "book-track": "book",
    "posted-content": "preprint",
    "dissertation": "thesis",
    "thesis": "thesis",
    "report": "report",
    "report-component": "report",
    "report-series": "report",
    "dataset": "dataset",
    "database": "dataset",
    "proceedings": "proceedings",
    "proceedings-series": "proceedings",
    "standard": "standard",
}
_RETRACTIONS = {"retraction", "withdrawal", "removal"}
_CORRECTIONS = {"correction", "erratum", "corrigendum"}
# Relations that list citations rather than notices or versions: too many, not useful here.
_SKIPPED_RELATIONS = {"cites", "is-cited-by", "references", "is-referenced-by"}
_YEAR_KEYS = ("issued", "published-print", "published-online", "published", "posted", "created")
# Fields `fill_gaps` may fill when the source left them empty.
FILLABLE = (
    "abstract",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "authors",
    "issn",
    "publisher",
)

# In a JATS string every literal "<" is escaped, so anything shaped like a tag is one.
_TAG = re.compile(r"<(/?)(?:[A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)(?:\s[^<>]*)?(/?)>")
_BLOCKS = {"p", "sec", "list", "list-item", "abstract", "trans-abstract", "title"}
_SPACE = re.compile(r"\s+")
_GENERIC_HEADINGS = {"abstract", "summary"}


def record_from_crossref(item: Mapping[str, Any], source: str = "crossref") -> Record:
    """One Crossref work (or CSL-JSON item) as a Record; `source_id` is the lower-case DOI."""
    doi = normalize_doi(_text(item.get("DOI"))) or _text(item.get("DOI")).lower()
    kind = _text(item.get("type"))
    flags, relations = updates_of(item)
    record = Record(
        source=source,
        source_id=doi,
        title=_title(item),
        abstract=jats_to_text(_text(item.get("abstract"))),
        authors=_authors(item.get("author")),
        year=_year(item),
        journal=_flat(_first(item.get("container-title"))),
        journal_abbrev=_flat(
            _first(item.get("short-container-title")) or _first(item.get("container-title-short"))
        ),
        volume=_text(item.get("volume")),
        issue=_text(item.get("issue")),
        pages=_text(item.get("page")) or _text(item.get("article-number")),
        doi=doi,
        issn=_issn(item),
        publisher=_flat(_text(item.get("publisher"))),
        entry_type=_ENTRY_TYPES.get(kind, "misc") if kind else "",
        publication_types=(kind,) if kind else (),
        keywords=tuple(k for k in (_flat(s) for s in _strings(item.get("subject"))) if k),
        language=_text(item.get("language")),
        url=_text(item.get("URL")),
        flags=flags,
        relations=relations,
    )
    return clean_fields(record)  # the boundary where Crossref's text enters the review


def updates_of(item: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Flags and relations from Crossmark `updated-by` / `update-to` and from `relation`.

    Relations are (type, DOI): ("correction", X) means X corrects this work,
    ("correction-of", X) means this work is a correction of X. Entries pointing at the
    work itself (PLOS's in-place "new_version") are skipped.
    """
    own = normalize_doi(_text(item.get("DOI")))
    flags: list[str] = []
    relations: list[tuple[str, str]] = []
    for update in _dicts(item.get("updated-by")):
        kind, target = _update_kind(update), normalize_doi(_text(update.get("DOI")))
        if target and target == own:
            continue
        flags.append(_updated_by_flag(kind))
        relations.append((kind or "update", target))
    for update in _dicts(item.get("update-to")):
        kind, target = _update_kind(update), normalize_doi(_text(update.get("DOI")))
        if target and target == own:
            continue
        flags.append(_update_to_flag(kind))
        relations.append((f"{kind or 'update'}-of", target))
    relations.extend(_relation_links(item.get("relation"), own))
    kept = tuple((kind, target) for kind, target in dict.fromkeys(relations) if target)
    return tuple(dict.fromkeys(flags)), kept


def fill_gaps(record: Record, crossref: Record) -> tuple[Record, list[str]]:
    """Fill the record's empty fields from Crossref's record of the same DOI.

    Only empty fields among FILLABLE are filled; what the source gave is never
    overwritten. Crossref's update flags and relations are added. Returns the new record
    and the names of the fields that changed ("flags" and "relations" included).
    """
    if record.doi and crossref.doi and normalize_doi(record.doi) != normalize_doi(crossref.doi):
        raise ValueError(f"fill_gaps: DOI {record.doi} is not {crossref.doi}")
    changes: dict[str, object] = {}
    for name in FILLABLE:
        if not getattr(record, name) and getattr(crossref, name):
            changes[name] = getattr(crossref, name)
    flags = tuple(dict.fromkeys(record.flags + crossref.flags))
    if flags != record.flags:
        changes["flags"] = flags
    relations = tuple(dict.fromkeys(record.relations + crossref.relations))
    if relations != record.relations:
        changes["relations"] = relations
    if not changes:
        return record, []
    return record.with_changes(**changes), list(changes)


def jats_to_text(value: str) -> str:
    """Flatten a JATS (or plain HTML) abstract to text, one paragraph per line.

    Section titles are kept as labels ("Background: ..."); a leading generic heading
    ("Abstract", "Summary") is dropped.
    """
    if not value:
        return ""
    lines: list[str] = []
    buffer: list[str] = []
    label = ""
    heading: list[str] | None = None
    position = 0

    def flush() -> None:
        nonlocal label
        text = _squash("".join(buffer))
        buffer.clear()
        if text:
            lines.append(f"{label}: {text}" if label else text)
            label = ""

    for match in _TAG.finditer(value):
        (heading if heading is not None else buffer).append(value[position : match.start()])
        position = match.end()
        closing, name, empty = match.group(1), match.group(2).lower(), match.group(3)
        if name == "title" and not empty:
            if not closing:
                flush()
                heading = []
            elif heading is not None:
                text = _squash("".join(heading)).rstrip(":.").strip()
                heading = None
                if text and not (not lines and not label and text.lower() in _GENERIC_HEADINGS):
                    label = f"{label}: {text}" if label else text
        elif name in _BLOCKS:
            flush()
    (heading if heading is not None else buffer).append(value[position:])
    flush()
    if label:  # a heading with nothing after it
        lines.append(label)
    return "\n".join(lines)


# ---- helpers ---------------------------------------------------------------------------


def _title(item: Mapping[str, Any]) -> str:
    title = _flat(_first(item.get("title"))) or _flat(_first(item.get("original-title")))
    subtitle = _flat(_first(item.get("subtitle")))
    if subtitle and subtitle.lower() not in title.lower():
        title = f"{title}: {subtitle}" if title else subtitle
    return title


def _authors(authors: Any) -> tuple[str, ...]:
    names = []
    for author in _dicts(authors):
        family = _flat(_text(author.get("family")))
        given = _flat(_text(author.get("given")))
        suffix = _flat(_text(author.get("suffix")))
        if family:
            name = f"{family}, {given}" if given else family
            names.append(f"{name} {suffix}" if suffix else name)
        else:  # organisations and single names come as `name` (or only `given`)
            name = _flat(_text(author.get("name"))) or _flat(_text(author.get("literal"))) or given
            if name:
                names.append(name)
    return tuple(names)


def _year(item: Mapping[str, Any]) -> int | None:
    for key in _YEAR_KEYS:
        value = item.get(key)
        if not isinstance(value, Mapping):
            continue
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = first_year(parts[0][0]) if parts[0][0] is not None else None
            if year:
                return year
        for text_key in ("date-time", "raw", "literal"):
            year = first_year(value.get(text_key))
            if year:
                return year
    return None


def _issn(item: Mapping[str, Any]) -> str:
    for entry in _dicts(item.get("issn-type")):
        if entry.get("type") == "print" and entry.get("value"):
            return _text(entry["value"])
    return _first(item.get("ISSN"))


def _relation_links(relation: Any, own: str) -> list[tuple[str, str]]:
    links = []
    if not isinstance(relation, Mapping):
        return links
    for kind, entries in relation.items():
        if kind in _SKIPPED_RELATIONS:
            continue
        for entry in _dicts(entries if isinstance(entries, list) else [entries]):
            raw = _text(entry.get("id"))
            target = normalize_doi(raw) if entry.get("id-type") == "doi" else raw
            if target and target != own:
                links.append((str(kind), target))
    return links


def _update_kind(update: Mapping[str, Any]) -> str:
    return _text(update.get("type")).lower().replace("-", "_").replace(" ", "_")


def _updated_by_flag(kind: str) -> str:
    if kind in _RETRACTIONS:
        return FLAG_RETRACTED
    if kind in _CORRECTIONS or kind == "partial_retraction":
        return FLAG_HAS_ERRATUM
    if kind == "expression_of_concern":
        return FLAG_EXPRESSION_OF_CONCERN
    return FLAG_UPDATED


def _update_to_flag(kind: str) -> str:
    if kind in _RETRACTIONS or kind == "partial_retraction":
        return FLAG_RETRACTION_NOTICE
    if kind in _CORRECTIONS:
        return FLAG_ERRATUM
    return FLAG_UPDATE_NOTICE


def _flat(value: str) -> str:
    """Inline markup dropped, entities decoded, whitespace collapsed (titles, names)."""
    return _squash(_TAG.sub("", value)) if value else ""


def _squash(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(text)).strip()


def _first(value: Any) -> str:
    """The first non-empty string of a list, or the string itself."""
    for text in _strings(value):
        if text.strip():
            return text
    return ""


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    return [str(value)]


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def _dicts(value: Any) -> Iterable[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping)]
