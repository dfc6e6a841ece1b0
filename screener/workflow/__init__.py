"""Use cases, one function each, shared by the CLI and the TUI. No click, no textual.

Long work is a generator of small event dataclasses (see `events`), so the CLI can draw
a progress bar and the TUI can post messages from a worker thread over the same code.

The names below are loaded on first use (PEP 562): importing this package costs nothing,
so a command that needs one use case does not wait for every other's libraries (the
search use cases alone pull in requests, sqlite_utils and the source clients).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> the submodule that defines it
_LAZY = {
    "BatchStored": "events",
    "FetchPlanned": "events",
    "RunFinished": "events",
    "WindowSearched": "events",
    "list_searches": "searching",
    "load_saved_search": "searching",
    "run_search": "searching",
    "search_log": "searching",
    "unlock_search": "searching",
}

__all__ = [  # the same names as _LAZY (a test checks)
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

if TYPE_CHECKING:  # for type checkers and editors; never run
    from screener.workflow.events import BatchStored, FetchPlanned, RunFinished, WindowSearched
    from screener.workflow.searching import (
        list_searches,
        load_saved_search,
        run_search,
        search_log,
        unlock_search,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:  # AttributeError lets `from screener.workflow import sub` import it
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
