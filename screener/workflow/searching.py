"""Run saved searches (PubMed, Crossref) up to a cutoff; list searches and runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from screener.errors import QueryFileError, ScreenerError, SourceError
from screener.models import CrossrefQuery, PubmedQuery, Run, SavedSearch
from screener.queries import EARLIEST, PUBMED_DATE_FIELDS, check_window, parse_saved_search
from screener.sources import crossref, pubmed
from screener.sources.pubmed_parse import BatchParser
from screener.sources.pubmed_xml import PubmedXmlError
from screener.store import Store
from screener.workflow.events import (
    BatchStored,
    Event,
    FetchPlanned,
    RunFinished,
    WindowSearched,
)


def load_saved_search(path: str | Path) -> SavedSearch:
    """Read and check a saved search file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QueryFileError(f"{path}: no such file; saved searches live in queries/.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryFileError(f"{path}: cannot read it ({exc}).") from None
    return parse_saved_search(text, str(path))


def run_search(
    store: Store,
    search: SavedSearch,
    *,
    pubmed_client: pubmed.PubmedClient | None = None,
    crossref_client: crossref.CrossrefClient | None = None,
    cutoff: date | None = None,
) -> Iterator[Event]:
    """Run every source section of a saved search up to its cutoff (or `cutoff`)."""
    for section, client in (("pubmed", pubmed_client), ("crossref", crossref_client)):
        if getattr(search, section) is not None and client is None:
            raise ScreenerError(f"internal: a {section} client is needed for [{section}]")
    store.mark_interrupted_runs()
    store.save_search(search.name, search.path, search.description, search.text)
    # One process per search: two would fetch everything twice and trip rate limits.
    store.lock_search(search.name)
    try:
        if search.pubmed is not None:
            yield from run_pubmed(store, search, search.pubmed, pubmed_client, cutoff)
        if search.crossref is not None:
            yield from run_crossref(store, search, search.crossref, crossref_client, cutoff)
    finally:
        store.unlock_search(search.name)


def guarded_run(store: Store, run_id: int, body: Iterator[Event]) -> Iterator[Event]:
    """Drive a run's body; whatever happens, the run ends completed, failed or interrupted.

    What was stored before a failure stays stored: each batch is its own transaction.
    """
    try:
        yield from body
    except (KeyboardInterrupt, GeneratorExit):
        store.finish_run(run_id, "interrupted", "stopped before it finished")
        raise
    except ScreenerError as exc:
        store.finish_run(run_id, "failed", str(exc))
        raise
    except Exception as exc:  # a bug: keep the run honest, then let it surface
        store.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}")
        raise
    yield RunFinished(store.finish_run(run_id, "completed"))


def _window(start: date | None, end: date, where: str) -> date:
    check_window(start, end, where)
    return end


def run_pubmed(
    store: Store,
    search: SavedSearch,
    query: PubmedQuery,
    client: pubmed.PubmedClient,
    cutoff: date | None,
) -> Iterator[Event]:
    """One PubMed run: search all windows, link what is stored, fetch and store the rest."""
    start = query.start or EARLIEST
    end = _window(start, cutoff or query.cutoff, f"{search.path}: pubmed (with --cutoff)")
    plan = pubmed.SearchPlan(
        term_as_sent=pubmed.windowed_term(query.term, query.date_field, start, end)
    )
    run_id = store.start_run(
        kind="search",
        source="pubmed",
        database=pubmed.DATABASE,
        platform=pubmed.PLATFORM,
        search_name=search.name,
        query=plan.term_as_sent,
        date_field=f"{query.date_field} ({PUBMED_DATE_FIELDS[query.date_field]})",
        date_from=start.isoformat() if query.start else "",
        date_to=end.isoformat(),
    )
    body = _pubmed_body(store, run_id, query, client, plan, (start, end))
    yield from guarded_run(store, run_id, body)


def _pubmed_body(
    store: Store,
    run_id: int,
    query: PubmedQuery,
    client: pubmed.PubmedClient,
    plan: pubmed.SearchPlan,
    window: tuple[date, date],
) -> Iterator[Event]:
    start, end = window
    began = time.perf_counter()
    for window, pending in client.search_windows(query.term, query.date_field, start, end, plan):
        yield WindowSearched("pubmed", window.start, window.end, window.count, pending)
    client.timings.search += time.perf_counter() - began
    store.update_run(
        run_id,
        query_translation=plan.translation,
        count_reported=plan.count,
        warnings="\n".join(plan.warnings),
    )
    yield from _fetch_pubmed(store, run_id, plan, client)


def run_crossref(
    store: Store,
    search: SavedSearch,
    query: CrossrefQuery,
    client: crossref.CrossrefClient,
    cutoff: date | None,
) -> Iterator[Event]:
    """One Crossref run: every cursor page up to the cutoff, stored page by page."""
    assert query.cutoff is not None
    end = _window(query.start, cutoff or query.cutoff, f"{search.path}: crossref (with --cutoff)")
    run_id = store.start_run(
        kind="search",
        source="crossref",
        database=crossref.DATABASE,
        platform=crossref.PLATFORM,
        search_name=search.name,
        query=client.describe(query, end),
        date_field=f"{query.date_field} (from-/until-{crossref.DATE_FILTERS[query.date_field]})",
        date_from=query.start.isoformat() if query.start else "",
        date_to=end.isoformat(),
        filters=",".join(f"{k}:{v}" for k, v in query.filters),
    )
    yield from guarded_run(store, run_id, _crossref_body(store, run_id, query, client, end))


def _crossref_body(
    store: Store, run_id: int, query: CrossrefQuery, client: crossref.CrossrefClient, end: date
) -> Iterator[Event]:
    for page in client.search(query, end):
        if page.number == 1:
            store.update_run(run_id, count_reported=page.total_results)
            yield FetchPlanned("crossref", page.total_results, page.total_results, 0, 1)
        _linked, new = store.add_records(run_id, page.items)
        yield BatchStored("crossref", len(page.items), new)


def _fetch_pubmed(
    store: Store, run_id: int, plan: pubmed.SearchPlan, client: pubmed.PubmedClient
) -> Iterator[Event]:
    all_ids = [pmid for window in plan.windows for pmid in window.ids]
    known = store.known_ids("pubmed", all_ids)
    store.link_records(run_id, known.values())
    jobs = [(window, [pmid for pmid in window.ids if pmid not in known]) for window in plan.windows]
    jobs = [(window, wanted) for window, wanted in jobs if wanted]
    to_fetch = sum(len(wanted) for _, wanted in jobs)
    yield FetchPlanned("pubmed", plan.count, to_fetch, len(known), len(plan.windows))
    missing: list[str] = []
    yield from _fetch_and_store(store, run_id, client, jobs, to_fetch, missing)
    if missing:
        # Paging the history server gave less than ESearch listed (a lower EFetch cap, a
        # transient gap): ask for those PMIDs by id once before calling them missing.
        by_id = pubmed.Window(start=plan.windows[0].start, end=plan.windows[-1].end, count=0)
        retry, missing = [(by_id, missing)], []
        for _event in _fetch_and_store(store, run_id, client, retry, len(retry[0][1]), missing):
            pass
    if missing:
        note = f"EFetch did not return {len(missing)} PMID(s) ESearch listed: {missing[:10]}"
        store.update_run(run_id, warnings="\n".join([*plan.warnings, note]))


def _fetch_and_store(store, run_id, client, jobs, to_fetch: int, missing: list[str]):
    """Fetch (a thread), parse and map (worker processes), store (here), all at once.

    Each stage works on a different batch, so the run takes about as long as the slowest
    stage rather than their sum; parsing in other processes keeps it off this process's
    GIL, where the SQLite writes run. Batches are stored in the order they were fetched.
    """
    timings = client.timings
    processes = client.parse_processes if to_fetch > 2 * client.batch_size else 0
    with BatchParser(processes, timings) as parser:
        bodies = client.prefetch(jobs)
        while True:
            began = time.perf_counter()
            try:
                item = next(bodies, None)
            except ScreenerError:
                # The fetch failed: keep what was already fetched, then report the failure.
                while parser.pending:
                    yield _store_parsed(store, run_id, parser, missing)
                raise
            timings.network_wait += time.perf_counter() - began
            if item is None:
                break
            _window, ids, body = item
            parser.submit(ids, body)
            while parser.full or (parser.pending and processes == 0):
                yield _store_parsed(store, run_id, parser, missing)
        while parser.pending:
            yield _store_parsed(store, run_id, parser, missing)


def _store_parsed(store: Store, run_id: int, parser: BatchParser, missing: list[str]) -> Event:
    try:
        batch = parser.next_result()
    except PubmedXmlError as exc:
        raise SourceError(f"PubMed EFetch returned unreadable XML ({exc}).") from None
    began = time.perf_counter()
    _linked, new = store.add_records(run_id, batch.records)
    parser.timings.write += time.perf_counter() - began
    returned = {r.source_id for r in batch.records}
    missing.extend(pmid for pmid in batch.ids if pmid not in returned)
    return BatchStored("pubmed", len(batch.ids), new)


def list_searches(store: Store, queries_dir: Path | None = None) -> list[dict]:
    """Saved searches that have run, plus any file in `queries_dir` not yet run."""
    searches = {row["name"]: row for row in store.list_searches()}
    if queries_dir is not None and queries_dir.is_dir():
        for path in sorted(queries_dir.glob("*.toml")):
            try:
                search = load_saved_search(path)
            except QueryFileError as exc:
                searches.setdefault(
                    path.stem, {"name": path.stem, "path": str(path), "error": str(exc)}
                )
                continue
            row = searches.setdefault(
                search.name,
                {"name": search.name, "runs": 0, "last_run": None},
            )
            row.update(path=str(path), description=search.description)
            row["sources"] = [s for s in ("pubmed", "crossref") if getattr(search, s)]
    return sorted(searches.values(), key=lambda row: row["name"])


def unlock_search(store: Store, search_name: str) -> bool:
    """Release a search's lock whoever holds it (for a process gone on another machine)."""
    return store.unlock_search(search_name, force=True)


def search_log(store: Store, search_name: str | None = None) -> list[Run]:
    store.mark_interrupted_runs()
    return store.list_runs(search_name)
