"""The screening app and its factory, shared by `screener screen` and the Pilot tests.

    make_app(db_path, reviewer, stage="title-abstract", resolve=False).run()

The factory checks what it cheaply can (the stage, the name, the database file) and
raises `ScreenerError` before any terminal is taken over; the queue itself is opened by
the screen in a worker thread, so the first record shows quickly on a large review.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.screen import Screen

from screener.errors import ScreenerError
from screener.screening import STAGES
from screener.store import review_exists, review_target
from screener.tui.notices import NoticesMixin
from screener.tui.resolving import ResolveScreen
from screener.tui.screening import ScreeningScreen


class ScreenerApp(NoticesMixin, App):
    """Screen records (or, with `resolve`, adjudicate conflicts) at one stage."""

    CSS_PATH = "screener.tcss"
    TITLE = "screener"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, db_path: Path, reviewer: str, stage: str, resolve: bool) -> None:
        super().__init__()
        self.db_path = review_target(db_path)
        self.reviewer = reviewer
        self.stage = stage
        self.resolve_mode = resolve
        self.notices = []
        self.failure: BaseException | None = None

    def _handle_exception(self, error: Exception) -> None:
        # Textual's own handler prints a traceback with local variables (which may hold
        # review text) and the process then exits 0. Keep the error instead, so the CLI
        # reports it as one line with a non-zero exit; Pilot tests still see it re-raised.
        self.failure = error
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self.bell()
        self._close_messages_no_wait()

    def get_default_screen(self) -> Screen:
        if self.resolve_mode:
            return ResolveScreen(self.db_path, self.reviewer, self.stage)
        return ScreeningScreen(self.db_path, self.reviewer, self.stage)


def make_app(
    db_path: Path, reviewer: str, stage: str = "title-abstract", resolve: bool = False
) -> ScreenerApp:
    """The screening app for `reviewer` at `stage` (an adjudicator with `resolve`)."""
    if stage not in STAGES:
        raise ScreenerError(f"unknown stage {stage!r}: use {' or '.join(STAGES)}.")
    if not reviewer.strip():
        raise ScreenerError("say who is screening: --reviewer NAME.")
    if not review_exists(review_target(db_path)):
        raise ScreenerError(f"{db_path}: no review here yet; run a search or an import first.")
    return ScreenerApp(review_target(db_path), reviewer.strip(), stage, resolve)
