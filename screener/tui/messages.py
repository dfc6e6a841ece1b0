"""Messages that worker threads post to the screens: small dataclasses, past-tense events.

`post_message` is the thread-safe call; a screen handles `QueueLoaded` in
`on_queue_loaded` and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from screener.store import Store
from screener.workflow.screening import Conflict, ReviewerQueue


@dataclass
class QueueLoaded(Message):
    """A reviewer's queue is open; the screen now owns it (and its store)."""

    queue: ReviewerQueue
    index: int


@dataclass
class ConflictsLoaded(Message):
    """The conflicts an adjudicator is to resolve; the screen now owns the store."""

    store: Store
    conflicts: list[Conflict]


@dataclass
class LoadFailed(Message):
    error: str


@dataclass
class TermsLoaded(Message):
    """Highlight terms, from the review settings or else the saved searches."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()


@dataclass
class SearchFinished(Message):
    text: str
    positions: list[int] = field(default_factory=list)
    error: str = ""


@dataclass
class FulltextOpened(Message):
    location: str
    how: str = ""
    error: str = ""


@dataclass
class SavesChanged(Message):
    """How many decisions still wait to be stored, and why the oldest is late."""

    pending: int
    error: str = ""


@dataclass
class ResolutionSaved(Message):
    """An adjudicator's resolution is stored (or `error` says why not)."""

    record_id: int
    decision: str
    reason: str
    rationale: str
    error: str = ""
