"""Records from other methods (DOIs found by citation searching, websites, ...) and
enrichment of stored records from Crossref."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from screener.errors import ReadOnlyDatabaseError, ScreenerError
from screener.models import Record, Run
from screener.normalize import normalize_doi
from screener.sources.crossref import CrossrefClient
from screener.sources.crossref_map import fill_gaps
from screener.sources.doi import DoiResolver
from screener.store import Store
from screener.workflow.events import BatchStored, FetchPlanned
from screener.workflow.searching import guarded_run

# PRISMA 2020's "other methods" column, and the name each is listed under.
OTHER_METHODS = {
    "citation-searching": "Citation searching",
    "websites": "Websites",
    "organisations": "Organisations",
    "other": "Other methods",
}


@dataclass(frozen=True)
class DoiProblem:
    doi: str
    reason: str


@dataclass(frozen=True)
class DoisAdded:
    """The end of `add_dois`: the run, and the DOIs that could not be stored, with why."""

    run: Run
    problems: tuple[DoiProblem, ...]


@dataclass
class EnrichReport:
    looked_up: int = 0
    filled: dict[str, int] = field(default_factory=dict)  # field name -> records filled
    flagged: list[tuple[int, str, tuple[str, ...]]] = field(default_factory=list)
    not_found: int = 0


def add_dois(
    store: Store, resolver: DoiResolver, dois: Iterable[str], method: str, note: str = ""
) -> Iterator[FetchPlanned | BatchStored | DoisAdded]:
    """Look up each DOI and store it as identified by an "other method" for PRISMA.

    Unknown or malformed DOIs do not stop the rest; they are listed at the end.
    """
    if method not in OTHER_METHODS:
        raise ScreenerError(f"unknown method {method!r}: use one of {', '.join(OTHER_METHODS)}.")
    wanted = [d.strip() for d in dois if d.strip()]
    if not wanted:
        raise ScreenerError("no DOIs given: pass them as arguments or with --file.")
    store.mark_interrupted_runs()
    run_id = store.start_run(
        kind="doi",
        source="doi",
        database=OTHER_METHODS[method],
        platform="Crossref REST API, doi.org content negotiation",
        method=method,
        query=note or f"{len(wanted)} DOI(s) added by hand",
    )
    problems: list[DoiProblem] = []
    body = _add_dois_body(store, run_id, resolver, wanted, method, problems)
    for event in guarded_run(store, run_id, body):
        if hasattr(event, "run"):
            yield DoisAdded(event.run, tuple(problems))
        else:
            yield event


def _add_dois_body(store, run_id, resolver, wanted, method, problems):
    yield FetchPlanned("doi", len(wanted), len(wanted), 0, 1)
    store.update_run(run_id, count_reported=len(wanted))
    for lookup in resolver.lookup_many(wanted):
        if lookup.record is None:
            problems.append(DoiProblem(lookup.doi, lookup.problem or "not found"))
            yield BatchStored("doi", 1, 0)
            continue
        record = lookup.record.with_changes(source=method, source_id=lookup.record.doi)
        _linked, new = store.add_records(run_id, [record])
        yield BatchStored("doi", 1, new)
    if problems:
        store.update_run(run_id, warnings="\n".join(f"{p.doi}: {p.reason}" for p in problems))


def read_doi_lines(text: str) -> list[str]:
    """DOIs from a text file: one per line (or separated by spaces); # starts a comment."""
    dois = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        dois.extend(part for part in line.replace(",", " ").split() if part)
    return dois


def enrich(
    store: Store, client: CrossrefClient, *, only_gaps: bool = False, again: bool = False
) -> Iterator[FetchPlanned | BatchStored | EnrichReport]:
    """Fill empty fields of records with a DOI from Crossref, and take Crossref's
    retraction / correction / update flags. Never overwrites what a source gave."""
    if store.read_only:  # say so before asking Crossref about every record
        raise ReadOnlyDatabaseError(
            f"{store.path}: the review is read-only here, so nothing could be filled in; "
            "run enrich where the review may be written."
        )
    todo = store.records_to_enrich(only_gaps, again)
    report = EnrichReport()
    yield FetchPlanned("crossref", len(todo), len(todo), 0, 1)
    for record_id, record in todo:
        found = client.work(record.doi)
        report.looked_up += 1
        filled: list[str] = []
        if found is None:
            report.not_found += 1
        elif normalize_doi(found.doi) == record.doi:
            updated, filled = fill_gaps(record, found)
            _note(report, record_id, record, updated, filled)
            record = updated
        store.save_enrichment(record_id, record, filled)
        yield BatchStored("crossref", 1, 0)
    yield report


def _note(report: EnrichReport, record_id: int, old: Record, new: Record, filled) -> None:
    for name in filled:
        report.filled[name] = report.filled.get(name, 0) + 1
    added = tuple(f for f in new.flags if f not in old.flags)
    if added:
        report.flagged.append((record_id, new.title, added))
