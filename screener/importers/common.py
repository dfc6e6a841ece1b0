"""Pieces every file reader shares: the `Draft` a reader yields, field cleaners, and `finish`.

A reader turns entries into `Draft`s (fields by `Record` name, the entry's own id, or an
error); `finish` checks them, gives each a unique `source_id` and builds the `Record`s.
Pure functions only: no IO.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from screener.models import (
    FLAG_ERRATUM,
    FLAG_RETRACTED,
    FLAG_RETRACTION_NOTICE,
    KNOWN_FLAGS,
    Record,
)
from screener.normalize import normalize_doi
from screener.textsafe import clean_text

# Export placeholders that mean "no value" (bib-dedupe's CSVs write UNKNOWN, R writes NA).
EMPTY_MARKERS = frozenset({"UNKNOWN", "NA", "N/A", "NULL", "NaN", "nan", "None"})

# Only inline markup that exports really carry; a bare "<" in "p < 0.05" is left alone.
_MARKUP = re.compile(
    r"</?(?:i|b|u|em|strong|sup|sub|inf|scp|span|p|br|mml:[a-z]+|jats:[a-z]+)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_PAGE_DASH = re.compile(r"\s*(?:-{1,3}|[\u2010-\u2015\u2212])\s*")
_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dXx])$")
_DOI_IN_TEXT = re.compile(r"^(?:doi:?\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)

# Publication types (lower case) an export gives, and the flag each one means.
TYPE_FLAGS = {
    "retracted": FLAG_RETRACTED,
    "retracted publication": FLAG_RETRACTED,
    "retracted article": FLAG_RETRACTED,
    "retraction": FLAG_RETRACTION_NOTICE,
    "retraction notice": FLAG_RETRACTION_NOTICE,
    "retraction of publication": FLAG_RETRACTION_NOTICE,
    "erratum": FLAG_ERRATUM,
    "published erratum": FLAG_ERRATUM,
    "correction": FLAG_ERRATUM,
    "corrigendum": FLAG_ERRATUM,
}
# Title prefixes publishers use to mark retracted papers, retraction notices and errata.
# Kept narrow: "Retraction of the tongue ..." or "Correction to the anion gap ..." are studies.
_TITLE_FLAGS = (
    (re.compile(r"^retracted(?: article)?\s*:", re.I), FLAG_RETRACTED),
    (
        re.compile(
            r"^(?:retraction\s*:|retraction (?:note|notice)\b|notice of retraction\b)", re.I
        ),
        FLAG_RETRACTION_NOTICE,
    ),
    (
        re.compile(r"^(?:erratum\b|corrigendum\b|correction\s*:|correction to\s*[:\"“'‘])", re.I),
        FLAG_ERRATUM,
    ),
)


@dataclass
class Draft:
    """One entry as a reader saw it: `Record` fields, or an `error` that makes it a problem."""

    entry: int  # 1-based number of the entry in the file
    line: int  # 1-based line where it starts
    fields: dict[str, Any] = field(default_factory=dict)
    own_id: str = ""  # the id the export gives the entry, if any
    error: str = ""
    # Things read leniently, as (line, tag, message): kept, but the reviewer is told.
    warnings: list[tuple[int, str, str]] = field(default_factory=list)

    def warn(self, line: int, tag: str, message: str) -> None:
        self.warnings.append((line, tag, message))


@dataclass(frozen=True)
class Finished:
    """What `finish` made of the drafts: records, and (entry, line, message) problems."""

    records: list[Record]
    problems: list[tuple[int, int, str]]
    entries: int
    warnings: list[tuple[int, int, str, str]] = field(default_factory=list)  # entry, line, tag


class Interner:
    """Share one string object between records for values that repeat (journals, keywords)."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        return self._seen.setdefault(value, value)

    def many(self, values: Iterable[str]) -> tuple[str, ...]:
        return tuple(self._seen.setdefault(v, v) for v in values)


def squash(value: str | None) -> str:
    """Text with inline markup dropped, entities decoded and whitespace collapsed."""
    if not value:
        return ""
    text = str(value)
    if "<" in text:
        text = _MARKUP.sub("", text)
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    return " ".join(text.split())


def blank(value: str | None) -> str:
    """The stripped value, or "" when it is empty or an export placeholder such as UNKNOWN."""
    if value is None:
        return ""
    text = str(value).strip()
    return "" if text in EMPTY_MARKERS else text


def clean_pages(value: str | None) -> str:
    """Pages as "first-last": dashes unified, "376 -- 383" → "376-383", "616-7" → "616-617"."""
    text = squash(value)
    if not any(ch.isalnum() for ch in text):
        return ""
    parts = _PAGE_DASH.split(text)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return "-".join(parts)  # "61--62, 68" → "61-62, 68"; a lone page stays as it is
    first, last = parts
    if first.isdigit() and last.isdigit() and len(last) < len(first):
        full = first[: len(first) - len(last)] + last
        if int(full) >= int(first):
            last = full
    return first if first == last else f"{first}-{last}"


def join_pages(start: str, end: str) -> str:
    """Pages from separate start and end values (either may be empty)."""
    start, end = squash(start), squash(end)
    if start and end and _PAGE_DASH.search(start) is None:
        return clean_pages(f"{start}-{end}")
    return clean_pages(start or end)


def issns(values: Iterable[str]) -> str:
    """The ISSNs among the values, as "1234-5678", joined by ", "; ISBNs and notes are dropped."""
    found: list[str] = []
    for value in values:
        for token in re.split(r"[\s,;/]+", re.sub(r"\([^)]*\)", " ", value or "")):
            match = _ISSN.match(token.strip())
            if match:
                issn = f"{match.group(1)}-{match.group(2).upper()}"
                if issn not in found:
                    found.append(issn)
    return ", ".join(found)


def whole_doi(value: str | None) -> str:
    """The DOI when the whole value is one ("doi: 10.1/x", a doi.org link), else ""."""
    if not value:
        return ""
    match = _DOI_IN_TEXT.match(value.strip())
    return normalize_doi(match.group(1)) if match else ""


def split_terms(values: Iterable[str], separators: str = ";") -> list[str]:
    """Keywords from values that may each hold several, split on the separators, de-duplicated."""
    pattern = re.compile("[" + re.escape(separators) + "]")
    terms: list[str] = []
    seen: set[str] = set()
    for value in values:
        for part in pattern.split(value or ""):
            term = squash(part)
            if term and term not in seen:
                seen.add(term)
                terms.append(term)
    return terms


def type_flags(types: Iterable[str]) -> list[str]:
    """Flags meant by publication/document types such as "Erratum" or "Retracted"."""
    flags = []
    for value in types:
        for part in re.split(r"[;:]", value.lower()):
            flag = TYPE_FLAGS.get(part.strip())
            if flag:
                flags.append(flag)
    return flags


def title_flags(title: str) -> list[str]:
    """Flags a title announces itself ("RETRACTED: …", "Erratum to …", "Retraction notice …")."""
    return [flag for pattern, flag in _TITLE_FLAGS if pattern.match(title)]


def ordered_flags(flags: Iterable[str]) -> tuple[str, ...]:
    wanted = set(flags)
    return tuple(flag for flag in KNOWN_FLAGS if flag in wanted)


def derived_id(entry: int, fields: dict[str, Any]) -> str:
    """A stable id for an entry that has none: its number and a hash of title, year, author."""
    authors = fields.get("authors") or ("",)
    key = f"{fields.get('title', '')}|{fields.get('year') or ''}|{authors[0]}"
    return f"{entry}:{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


class _Ids:
    """Hands out unique source ids: a repeated id gets "#2", "#3", ... in file order."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_suffix: dict[str, int] = {}

    def claim(self, source_id: str) -> str:
        if source_id not in self.taken:
            self.taken.add(source_id)
            return source_id
        number = self.next_suffix.get(source_id, 2)
        while f"{source_id}#{number}" in self.taken:
            number += 1
        self.next_suffix[source_id] = number + 1
        unique = f"{source_id}#{number}"
        self.taken.add(unique)
        return unique


def finish(drafts: Iterable[Draft], database: str) -> Finished:
    """Check every draft and build the records; bad entries become problems, never records."""
    records: list[Record] = []
    problems: list[tuple[int, int, str]] = []
    ids = _Ids()
    entries = 0
    warnings: list[tuple[int, int, str, str]] = []
    for draft in drafts:
        entries += 1
        warnings.extend(
            (draft.entry, line, tag, clean_text(message) or "")
            for line, tag, message in draft.warnings
        )
        if draft.error:
            problems.append((draft.entry, draft.line, draft.error))
            continue
        fields = draft.fields
        # A record the database returned counts for PRISMA even when it is poor (no
        # title): keep anything that says something about a work; refuse only blanks.
        if not any(value for key, value in fields.items() if key not in _NOT_CONTENT):
            problems.append((draft.entry, draft.line, _no_title_message(fields)))
            continue
        fields = safe_fields(fields)
        fields["flags"] = ordered_flags(
            [*fields.get("flags", ()), *title_flags(fields.get("title", ""))]
        )
        own_id = (
            clean_text(draft.own_id.strip())
            or fields.get("pmid")
            or derived_id(draft.entry, fields)
        )
        source_id = ids.claim(own_id)
        records.append(Record(source=database, source_id=source_id, **fields))
    return Finished(records=records, problems=problems, entries=entries, warnings=warnings)


def safe_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields with control characters and escape sequences removed from every text.

    The one place where text from an imported file enters the review: every reader's
    drafts pass here, so no reader can forget it.
    """
    for name, value in fields.items():  # in place, with the common cases inline: it is hot
        if type(value) is str:
            if not value.isprintable():
                fields[name] = clean_text(value)
        elif value and type(value) is tuple:
            fields[name] = _safe(value)
    return fields


def _safe(value: Any) -> Any:
    if type(value) is str:
        return value if value.isprintable() else clean_text(value)
    if type(value) is tuple or type(value) is list:
        if value and type(value[0]) is str and all(map(_printable, value)):
            return value  # the common case: a tuple of plain strings, kept as it is
        return type(value)(_safe(item) for item in value)
    return value


def _printable(value: Any) -> bool:
    return type(value) is str and value.isprintable()


_NOT_CONTENT = frozenset({"entry_type", "flags", "language", "publication_types", "extra"})


def _no_title_message(fields: dict[str, Any]) -> str:
    known = []
    if fields.get("authors"):
        known.append(f"author {fields['authors'][0][:60]!r}")
    if fields.get("journal"):
        known.append(f"journal {fields['journal'][:60]!r}")
    if fields.get("year"):
        known.append(f"year {fields['year']}")
    has = f"it has only {', '.join(known)}" if known else "nor an author, journal or year"
    return f"no title or identifier: no title, DOI or PMID ({has}); add one or leave the entry out"
