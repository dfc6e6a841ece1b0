"""Full texts in the screening screen: `f` attaches a PDF path or URL, `o` opens it.

Opening runs in a worker thread (`opener.open_location` starts a desktop viewer), so the
UI never waits on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import App

from screener.errors import ScreenerError
from screener.tui import opener
from screener.tui.dialogs import TextPrompt
from screener.tui.messages import FulltextOpened
from screener.tui.notices import FAILURES
from screener.workflow.screening import RecordView, ReviewerQueue


class FulltextMixin:
    """`f` and `o` for `ScreeningScreen` (which provides what is declared here)."""

    app: App
    queue: ReviewerQueue | None
    view: RecordView | None
    index: int

    if TYPE_CHECKING:  # provided by the screen; not defined here, not to shadow it

        def show(self, index: int, scroll_home: bool = True) -> None: ...
        def fail(self, exc: BaseException | str) -> None: ...
        def _ready(self) -> bool: ...
        def post_message(self, message: object) -> bool: ...

    def action_attach(self) -> None:
        if not self._ready():
            return
        assert self.view is not None
        record_id = self.view.record_id
        prompt = TextPrompt(f"Full text of #{record_id}: a PDF path or a URL", self.view.fulltext)
        self.app.push_screen(prompt, lambda location: self.attached(record_id, location))

    def attached(self, record_id: int, location: str | None) -> None:
        if location is None or not location.strip() or self.queue is None:
            return
        location = location.strip()
        try:
            self.queue.attach_fulltext(record_id, location)
        except FAILURES as exc:
            self.fail(exc)
            return
        try:
            opener.as_target(location)
            self.app.notify(f"Full text attached to #{record_id}.", markup=False)
        except ScreenerError as exc:
            self.app.notify(f"Attached, but: {exc}", severity="warning", markup=False)
        if self.view is not None and self.view.record_id == record_id:
            self.show(self.index, scroll_home=False)

    def action_open_fulltext(self) -> None:
        if not self._ready():
            return
        assert self.view is not None
        if not self.view.fulltext:
            self.app.notify(
                f"No full text attached to #{self.view.record_id}: press f to attach one.",
                severity="warning",
            )
            return
        self.open_fulltext(self.view.fulltext)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def open_fulltext(self, location: str) -> None:
        try:
            how = opener.open_location(location)
        except (ScreenerError, OSError) as exc:
            self.post_message(FulltextOpened(location, error=str(exc)))
            return
        self.post_message(FulltextOpened(location, how))

    def on_fulltext_opened(self, message: FulltextOpened) -> None:
        if message.error:
            self.fail(message.error)
        else:
            self.app.notify(f"Opened {message.location}.", markup=False)
