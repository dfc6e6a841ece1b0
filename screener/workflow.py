"""Use cases: run a saved search, list searches and runs. No click, no textual.

Long work is a generator of small event dataclasses, so the CLI can draw a progress
bar and the TUI can post messages from a worker thread, over the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from screener.errors import QueryFileError, ScreenerError, SourceError
from screener.models import PubmedQuery, Run, SavedSearch
from screener.queries import EARLIEST, PUBMED_DATE_FIELDS, check_window, parse_saved_search
from screener.sources import pubmed
from screener.sources.pubmed_xml import PubmedXmlError, parse_efetch
from screener.store import Store


@dataclass(frozen=True)
class WindowSearched:
    """ESearch answered for one date window (after any bisection)."""

    source: str
    start: date
    end: date
    count: int
    pending: int


@dataclass(frozen=True)
class FetchPlanned:
    """Everything is searched: how many records the service reported, how many to fetch."""

    source: str
    reported: int
    to_fetch: int
    already_stored: int
    windows: int


@dataclass(frozen=True)
class BatchStored:
    """One batch was fetched, parsed and committed."""

    source: str
    fetched: int
    new: int


@dataclass(frozen=True)
class RunFinished:
    """A run ended (completed); `run` is the row as stored."""

    run: Run


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
    cutoff: date | None = None,
) -> Iterator[WindowSearched | FetchPlanned | BatchStored | RunFinished]:
    """Run every source section of a saved search up to its cutoff (or `cutoff`)."""
    store.mark_interrupted_runs()
    store.save_search(search.name, search.path, search.description, search.text)
    if search.pubmed is not None:
        if pubmed_client is None:
            raise ScreenerError("internal: a PubMed client is needed for a [pubmed] search")
        yield from run_pubmed(store, search, search.pubmed, pubmed_client, cutoff)


def run_pubmed(
    store: Store,
    search: SavedSearch,
    query: PubmedQuery,
    client: pubmed.PubmedClient,
    cutoff: date | None,
) -> Iterator[WindowSearched | FetchPlanned | BatchStored | RunFinished]:
    """One PubMed run: search all windows, link what is stored, fetch and store the rest."""
    end = cutoff or query.cutoff
    start = query.start or EARLIEST
    check_window(start, end, f"{search.path}: pubmed (with --cutoff)")
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
    try:
        for window, pending in client.search_windows(
            query.term, query.date_field, start, end, plan
        ):
            yield WindowSearched("pubmed", window.start, window.end, window.count, pending)
        store.update_run(
            run_id,
            query_translation=plan.translation,
            count_reported=plan.count,
            warnings="\n".join(plan.warnings),
        )
        yield from _fetch_pubmed(store, run_id, plan, client)
        run = store.finish_run(run_id, "completed")
    except KeyboardInterrupt:
        store.finish_run(run_id, "interrupted", "stopped by the user (Ctrl-C)")
        raise
    except ScreenerError as exc:
        store.finish_run(run_id, "failed", str(exc))
        raise
    except Exception as exc:  # a bug: keep the run honest, then let it surface
        store.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}")
        raise
    yield RunFinished(run)


def _fetch_pubmed(
    store: Store, run_id: int, plan: pubmed.SearchPlan, client: pubmed.PubmedClient
) -> Iterator[FetchPlanned | BatchStored]:
    all_ids = [pmid for window in plan.windows for pmid in window.ids]
    known = store.known_ids("pubmed", all_ids)
    store.link_records(run_id, known.values())
    jobs = [(window, [pmid for pmid in window.ids if pmid not in known]) for window in plan.windows]
    jobs = [(window, wanted) for window, wanted in jobs if wanted]
    to_fetch = sum(len(wanted) for _, wanted in jobs)
    yield FetchPlanned("pubmed", plan.count, to_fetch, len(known), len(plan.windows))
    missing: list[str] = []
    for _window, ids, body in client.prefetch(jobs):
        try:
            records = parse_efetch(body)
        except PubmedXmlError as exc:
            raise SourceError(f"PubMed EFetch returned unreadable XML ({exc}).") from None
        _linked, new = store.add_records(run_id, records)
        returned = {r.source_id for r in records}
        missing.extend(pmid for pmid in ids if pmid not in returned)
        yield BatchStored("pubmed", len(ids), new)
    if missing:
        note = f"EFetch did not return {len(missing)} PMID(s) ESearch listed: {missing[:10]}"
        store.update_run(run_id, warnings="\n".join([*plan.warnings, note]))


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


def search_log(store: Store, search_name: str | None = None) -> list[Run]:
    store.mark_interrupted_runs()
    return store.list_runs(search_name)
