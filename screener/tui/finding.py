"""Finding a record in the screening screen: `g` (go to a number or #id) and `/` (search).

A search is a LIKE over every title and abstract, so it runs in a worker thread on its own
connection; the same text searched again goes to the next match from the cached hits.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App

from screener.errors import ScreenerError
from screener.store import Store
from screener.tui.dialogs import TextPrompt
from screener.tui.messages import SearchFinished
from screener.tui.notices import FAILURES
from screener.workflow.screening import ReviewerQueue


class FindingMixin:
    """`g` and `/` for `ScreeningScreen` (which provides what is declared here)."""

    app: App
    db_path: Path
    stage: str
    queue: ReviewerQueue | None
    index: int
    last_search: str
    _hits: tuple[str, list[int]] | None

    if TYPE_CHECKING:  # provided by the screen; not defined here, not to shadow it

        def show(self, index: int, scroll_home: bool = True) -> None: ...
        def position(self, record_id: int) -> int | None: ...
        def fail(self, exc: BaseException | str) -> None: ...
        def _ready(self) -> bool: ...
        def post_message(self, message: object) -> bool: ...

    def action_goto(self) -> None:
        if not self._ready():
            return
        assert self.queue is not None
        question = f"Go to record number 1–{len(self.queue):,}, or #id for a record id"
        self.app.push_screen(TextPrompt(question, "", "e.g. 120 or #4711"), self.went)

    def went(self, text: str | None) -> None:
        if not text or not text.strip() or self.queue is None:
            return
        text = text.strip()
        try:
            if text.startswith("#"):
                record_id = int(text[1:])
                target = self.position(record_id)
                if target is None:
                    raise ScreenerError(
                        f"record #{record_id} is not in your queue at {self.stage} (unknown, "
                        "a duplicate of another record, or not at this stage)."
                    )
            else:
                target = int(text.replace(",", "")) - 1
                if not 0 <= target < len(self.queue):
                    raise ScreenerError(f"there is no record number {text}: 1–{len(self.queue):,}.")
        except ValueError:
            self.fail(f"{text!r}: type a record number such as 12, or #id such as #4711.")
            return
        except ScreenerError as exc:
            self.fail(exc)
            return
        self.show(target)

    def action_search(self) -> None:
        if not self._ready():
            return
        question = "Search title, abstract, authors, DOI or PMID (Enter: next match)"
        self.app.push_screen(TextPrompt(question, self.last_search), self.searched)

    def searched(self, text: str | None) -> None:
        if text is None or not text.strip():
            return
        self.last_search = text = text.strip()
        if self._hits is not None and self._hits[0] == text:
            self.jump_to_hit(text, self._hits[1])
        else:
            self.run_search(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def run_search(self, text: str) -> None:
        """Search on this thread's own connection (a LIKE over every abstract)."""
        assert self.queue is not None
        try:
            # Checked when the screen opened it; a quick_check per search would add
            # a second on a large review.
            with Store(self.db_path, check=False) as store:
                positions = replace(self.queue, store=store).search(text)
        except FAILURES as exc:
            self.post_message(SearchFinished(text, error=str(exc)))
            return
        self.post_message(SearchFinished(text, positions))

    def on_search_finished(self, message: SearchFinished) -> None:
        if message.error:
            self.fail(message.error)
            return
        self._hits = (message.text, message.positions)
        self.jump_to_hit(message.text, message.positions)

    def jump_to_hit(self, text: str, positions: list[int]) -> None:
        if not positions:
            self.app.notify(f"No record in your queue matches {text!r}.", severity="warning")
            return
        after = bisect_right(positions, self.index)
        wrapped = after == len(positions)
        number = 0 if wrapped else after
        self.show(positions[number])
        again = " (from the top)" if wrapped else ""
        self.app.notify(f"Match {number + 1} of {len(positions)}{again}.", markup=False)
