"""Events that long-running use cases yield, for progress bars and TUI messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from screener.models import Run


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


Event = WindowSearched | FetchPlanned | BatchStored | RunFinished
