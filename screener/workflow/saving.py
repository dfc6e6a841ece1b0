"""Saving a reviewer's decisions off the UI thread, in order, never dropping one.

`SaveQueue` owns one thread and its own store connection. Front ends hand it writes
(small functions of a `Store`) in the order the reviewer made them; it applies them one by
one, each in its own transaction as before. A write that fails (the review is locked by an
import, the disk is full) is retried with a growing pause until it succeeds: the reviewer
is told through `on_change`, and nothing later is applied before it, so the stored order is
the keypress order. No UI toolkit here: the TUI turns the callbacks into messages.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from screener.errors import ScreenerError
from screener.store import Store

Write = Callable[[Store], None]
_LIVE: weakref.WeakSet[SaveQueue] = weakref.WeakSet()


def wait_for_saves(timeout: float = 10.0) -> bool:
    """Wait until every open `SaveQueue` of this process has stored its writes (tests and
    benchmarks read the database through another connection right after a keypress)."""
    deadline = time.monotonic() + timeout
    return all(q.wait(max(deadline - time.monotonic(), 0)) for q in list(_LIVE))


@dataclass(frozen=True)
class SaveState:
    """How many writes wait, and why the oldest is late ("" when all is well)."""

    pending: int
    error: str = ""


class SaveQueue:
    """Apply writes in order on a thread of its own; see the module docstring."""

    def __init__(
        self,
        open_store: Callable[[], Store],
        on_change: Callable[[SaveState], None] = lambda state: None,
        first_pause: float = 0.25,
        longest_pause: float = 5.0,
    ) -> None:
        self._open_store = open_store
        self._on_change = on_change
        self._first_pause = first_pause
        self._longest_pause = longest_pause
        self._writes: queue.Queue[Write | None] = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="screener-saves", daemon=True)
        self._thread.start()
        _LIVE.add(self)

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def submit(self, write: Write) -> None:
        """Queue `write`; it is applied after every write submitted before it."""
        with self._lock:
            self._pending += 1
            self._idle.clear()
            pending = self._pending
        self._on_change(SaveState(pending))
        self._writes.put(write)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every submitted write is stored; False if `timeout` passed first."""
        return self._idle.wait(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Store what is queued (waiting up to `timeout`), then stop; True if all was saved."""
        saved = self.wait(timeout)
        self._stop.set()
        self._writes.put(None)
        self._thread.join(timeout=1.0)
        return saved

    def _run(self) -> None:
        store: Store | None = None
        try:
            while True:
                write = self._writes.get()
                if write is None:
                    return
                store = self._apply(write, store)
                with self._lock:
                    self._pending -= 1
                    pending = self._pending
                    if not pending:
                        self._idle.set()
                self._on_change(SaveState(pending))
        finally:
            if store is not None:
                store.close()

    def _apply(self, write: Write, store: Store | None) -> Store | None:
        pause = self._first_pause
        while True:
            try:
                if store is None:
                    store = self._open_store()
                write(store)
                return store
            except (ScreenerError, sqlite3.Error, OSError) as exc:
                self._on_change(SaveState(self.pending, _why(exc)))
                if isinstance(exc, sqlite3.ProgrammingError) and store is not None:
                    store = None  # a closed or broken connection: open a new one
                time.sleep(pause)
                pause = min(pause * 2, self._longest_pause)


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "locked" in text or "busy" in text:
        return f"the review is busy (another program is writing: {text}); retrying"
    return f"{text}; retrying"
