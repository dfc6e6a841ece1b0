"""Highlight terms for a review whose settings name none: the saved searches' PubMed terms."""

from __future__ import annotations

from screener.errors import ScreenerError
from screener.queries import parse_saved_search
from screener.screening import default_terms_from_query
from screener.store import Store


def terms_from_searches(store: Store) -> tuple[str, ...]:
    """Include terms from the saved searches' definitions when the store gives them, else
    from the PubMed queries as run (`store.list_runs()`); date and other metadata tags
    are dropped by `default_terms_from_query`."""
    queries = []
    definitions = [row["definition"] for row in store.list_searches() if "definition" in row]
    for text in definitions:
        try:
            search = parse_saved_search(text, "saved search")
        except ScreenerError:
            continue
        if search.pubmed is not None:
            queries.append(search.pubmed.term)
    if not definitions:
        queries = [
            run.query
            for run in store.list_runs()
            if run.source == "pubmed" and run.kind == "search" and run.query
        ]
    terms: dict[str, str] = {}
    for query in queries:
        for term in default_terms_from_query(query):
            terms.setdefault(term.casefold(), term)
    return tuple(terms.values())
