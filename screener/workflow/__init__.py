"""Use cases, one function each, shared by the CLI and the TUI. No click, no textual.

Long work is a generator of small event dataclasses (see `events`), so the CLI can draw
a progress bar and the TUI can post messages from a worker thread over the same code.
"""

from screener.workflow.events import BatchStored, FetchPlanned, RunFinished, WindowSearched
from screener.workflow.searching import (
    list_searches,
    load_saved_search,
    run_search,
    search_log,
    unlock_search,
)

__all__ = [
    "BatchStored",
    "FetchPlanned",
    "RunFinished",
    "WindowSearched",
    "list_searches",
    "load_saved_search",
    "run_search",
    "search_log",
    "unlock_search",
]
