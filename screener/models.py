"""Frozen dataclasses that cross the layers: records, saved searches, runs.

Core module: no IO, no UI toolkit, no SQL. Sources and importers build `Record`s,
the store persists them, the front ends show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date

# Flags a record can carry; shown everywhere a record is shown or exported.
FLAG_RETRACTED = "retracted"  # the work itself has been retracted
FLAG_RETRACTION_NOTICE = "retraction-notice"  # the record *is* a retraction notice
FLAG_ERRATUM = "erratum"  # the record is an erratum / correction notice
FLAG_HAS_ERRATUM = "has-erratum"  # an erratum or correction was published for it
FLAG_UPDATED = "updated"  # a newer version / update exists
FLAG_EXPRESSION_OF_CONCERN = "expression-of-concern"
FLAG_UPDATE_NOTICE = "update-notice"  # the record updates another work
KNOWN_FLAGS = (
    FLAG_RETRACTED,
    FLAG_RETRACTION_NOTICE,
    FLAG_ERRATUM,
    FLAG_HAS_ERRATUM,
    FLAG_UPDATED,
    FLAG_EXPRESSION_OF_CONCERN,
    FLAG_UPDATE_NOTICE,
)


@dataclass(frozen=True)
class Record:
    """One bibliographic record as a source gave it, normalized.

    `source` names where it came from ("pubmed", "crossref", or the database of a file
    import such as "Scopus"); `source_id` is its id there (PMID, DOI, file record id).
    Together they identify the row in the review.
    """

    source: str
    source_id: str
    title: str = ""
    abstract: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str = ""
    journal_abbrev: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    issn: str = ""
    publisher: str = ""
    entry_type: str = ""
    publication_types: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    language: str = ""
    url: str = ""
    flags: tuple[str, ...] = ()
    # Links to related notices, e.g. ("ErratumIn", "PMID 123") or ("retraction", "10.1/x").
    relations: tuple[tuple[str, str], ...] = ()
    # Fields the source had that no column above holds (e.g. an export's own columns),
    # kept as (name, value) so nothing the user imported is lost.
    extra: tuple[tuple[str, str], ...] = ()

    def with_changes(self, **changes: object) -> Record:
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class PubmedQuery:
    """The [pubmed] section of a saved search."""

    term: str
    date_field: str  # pdat | edat | crdt
    cutoff: date
    start: date | None = None


@dataclass(frozen=True)
class CrossrefQuery:
    """The [crossref] section of a saved search."""

    query: str = ""
    field_queries: tuple[tuple[str, str], ...] = ()  # (("query.bibliographic", "..."),)
    filters: tuple[tuple[str, str], ...] = ()  # (("type", "journal-article"),)
    date_field: str = "pub"  # pub | created | index
    cutoff: date | None = None
    start: date | None = None


@dataclass(frozen=True)
class SavedSearch:
    """A saved search as loaded from a `queries/*.toml` file."""

    name: str
    description: str = ""
    path: str = ""
    pubmed: PubmedQuery | None = None
    crossref: CrossrefQuery | None = None
    text: str = field(default="", repr=False)  # the file as written, kept for PRISMA-S


@dataclass(frozen=True)
class Run:
    """One execution of a search or a file import, as stored."""

    id: int
    kind: str  # search | import | doi
    source: str  # pubmed | crossref | file | doi
    database: str  # the name PRISMA lists, e.g. "PubMed", "Scopus"
    platform: str
    search_name: str
    query: str
    query_translation: str
    date_field: str
    date_from: str
    date_to: str
    filters: str
    method: str  # databases | registers | citation-searching | websites | organisations | other
    file_name: str
    file_sha256: str
    started: str
    finished: str
    status: str  # running | completed | failed | interrupted
    count_reported: int | None
    count_stored: int
    count_new: int
    error: str
    warnings: str = ""
