"""The screening screen: one record at a time, the reviewer's own vote, keys to decide.

Blinding: the screen only ever holds the reviewer's `ReviewerQueue`, which loads their
own votes and nothing of anyone else's. Every decision is committed, one transaction each,
in keypress order by a `SaveQueue` on a thread of its own, so a review locked by an import
never freezes a keypress: the top bar says "saving…" while any wait, and quitting waits for
them. The queue is opened in a worker thread (a review may hold 100,000 records), and so
is a search; everything else is quick and runs on the UI thread.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import ProgressBar, Static

from screener.screening import FULL_TEXT, TITLE_ABSTRACT
from screener.store import Store
from screener.tui import render
from screener.tui.dialogs import HelpScreen, ReasonPicker, TextPrompt
from screener.tui.finding import FindingMixin
from screener.tui.fulltext import FulltextMixin
from screener.tui.keys import HINTS, SCREEN_KEYS, SCROLL_BINDINGS, for_stage
from screener.tui.messages import (
    LoadFailed,
    QueueLoaded,
    SavesChanged,
    TermsLoaded,
)
from screener.tui.notices import FAILURES
from screener.tui.ranking import RankingLine, RankingMixin
from screener.tui.terms import terms_from_searches
from screener.tui.widgets import KeyHints, RecordPanel
from screener.workflow.saving import SaveQueue, SaveState
from screener.workflow.screening import RecordView, ReviewerQueue

FULL_TEXT_ONLY = {"decide('not-retrieved')", "attach", "open_fulltext"}


class ScreeningScreen(RankingMixin, FindingMixin, FulltextMixin, Screen):
    """A reviewer screens their queue at one stage."""

    BINDINGS = [
        Binding("i", "decide('include')", "include"),
        Binding("e", "exclude", "exclude"),
        Binding("m", "decide('maybe')", "maybe"),
        Binding("r", "decide('not-retrieved')", "not retrieved"),
        Binding("n", "note", "note"),
        Binding("u", "undo", "undo"),
        Binding("right,j", "move(1)", "next"),
        Binding("left,k", "move(-1)", "previous"),
        Binding("slash", "search", "search"),
        Binding("g", "goto", "go to"),
        Binding("f", "attach", "attach full text"),
        Binding("o", "open_fulltext", "open full text"),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        *SCROLL_BINDINGS,
    ]

    def __init__(self, db_path: Path, reviewer: str, stage: str) -> None:
        super().__init__()
        self.db_path = db_path
        self.reviewer = reviewer
        self.stage = stage
        self.queue: ReviewerQueue | None = None
        self.view: RecordView | None = None
        self.index = 0
        self.include_terms: tuple[str, ...] = ()
        self.exclude_terms: tuple[str, ...] = ()
        self.pending_notes: dict[int, str] = {}
        self.last_search = ""
        self._hits: tuple[str, list[int]] | None = None
        self._positions: dict[int, int] | None = None
        self._counts_due = False
        self._counts_stale = True  # the counts change on a decision or an undo only
        self._quit_warned = False
        self.saves: SaveQueue | None = None
        self.save_state = SaveState(0)
        self._quit_when_saved = False

    # ---- layout and loading ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._topbar_text(), id="topbar")
        with Horizontal(id="progress-row"):
            yield ProgressBar(id="progress", show_eta=False)
            yield Static(id="counts")
        yield RankingLine(id="ranking")
        yield RecordPanel(id="record")
        yield Static(id="vote")
        yield KeyHints(for_stage(HINTS, self.stage), id="keys")

    def on_mount(self) -> None:
        self.load_queue()

    def on_unmount(self) -> None:
        if self.saves is not None:
            self.saves.close(timeout=120)  # the app is going: store what waits first
        if self.queue is not None:
            self.queue.store.close()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_queue(self) -> None:
        """Open the queue on this thread's own connection, then hand it to the screen."""
        store = Store(self.db_path)
        try:
            queue = ReviewerQueue.open(store, self.reviewer, self.stage)
            index = queue.first_undecided()
        except FAILURES as exc:
            store.close()
            self.post_message(LoadFailed(str(exc)))
            return
        self.post_message(QueueLoaded(queue, index))

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        self.queue = message.queue
        self.saves = SaveQueue(
            lambda: Store(self.db_path),
            lambda state: self.post_message(SavesChanged(state.pending, state.error)),
        )
        self.queue.writer = self.saves.submit
        settings = self.queue.settings
        self.include_terms, self.exclude_terms = settings.include_terms, settings.exclude_terms
        if not (self.include_terms or self.exclude_terms):
            self.load_terms()
        self.start_ranking()
        if not len(self.queue):
            self.query_one(RecordPanel).message(f"Nothing to screen at {self.stage}.")
            self.refresh_status()
            return
        self.show(message.index)

    def on_saves_changed(self, message: SavesChanged) -> None:
        late = message.error and not self.save_state.error
        self.save_state = SaveState(message.pending, message.error if message.pending else "")
        if late:
            self.app.notify(
                f"Your decision is not stored yet: {message.error}. Keep going; it is kept "
                "and saved in order.",
                severity="warning",
                markup=False,
                timeout=8,
            )
        self.query_one("#topbar", Static).update(self._topbar_text())
        if self._quit_when_saved and not message.pending:
            self.app.exit()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one(RecordPanel).message(message.error, style="bold red")
        self.app.notify(message.error, severity="error", markup=False, timeout=10)

    @work(thread=True, exclusive=True, exit_on_error=False, group="terms")
    def load_terms(self) -> None:
        """Include terms from the saved searches (when the settings have none)."""
        with Store(self.db_path) as store:
            terms = terms_from_searches(store)
        if terms:
            self.post_message(TermsLoaded(terms))

    def on_terms_loaded(self, message: TermsLoaded) -> None:
        self.include_terms, self.exclude_terms = message.include, message.exclude
        if self.view is not None:
            self.show(self.index, scroll_home=False)

    # ---- showing a record --------------------------------------------------------------

    def show(self, index: int, scroll_home: bool = True) -> None:
        assert self.queue is not None
        try:
            view = self.queue.view(index)
        except FAILURES as exc:
            self.fail(exc)
            return
        self.index, self.view = index, view
        panel = self.query_one(RecordPanel)
        panel.show(
            view.record_id,
            view.record,
            view.group_size,
            self.include_terms,
            self.exclude_terms,
            scroll_home=scroll_home,
        )
        self.refresh_status()

    def refresh_status(self) -> None:
        self.query_one("#topbar", Static).update(self._topbar_text())
        if self.queue is None:
            return
        if self._counts_stale and not self._counts_due:
            # After the record is painted, and once for a burst of fast keypresses.
            self._counts_due = True
            self.call_after_refresh(self.refresh_counts)
        if self.view is not None:
            rid = self.view.record_id
            vote = render.vote_text(
                self.queue.own.get(rid), self.pending_notes.get(rid, ""), self.view.fulltext
            )
            self.query_one("#vote", Static).update(vote)

    def refresh_counts(self) -> None:
        """The progress bar and this reviewer's counts (`queue.progress` is O(queue))."""
        self._counts_due = self._counts_stale = False
        if self.queue is None:
            return
        progress = self.queue.progress()
        bar = self.query_one(ProgressBar)
        bar.update(total=max(progress["total"], 1), progress=progress["done"])
        counts = render.counts_text(progress, self.stage == FULL_TEXT)
        self.query_one("#counts", Static).update(counts)

    def _topbar_text(self) -> Text:
        text = Text(" screener ", style="bold reverse")
        text.append(f" {self.stage} · {self.reviewer}")
        if self.queue is not None and self.view is not None:
            text.append(f" · record {self.index + 1:,} of {len(self.queue):,}", style="bold")
            text.append(f" · #{self.view.record_id}")
        if self.save_state.pending:
            style = "bold yellow" if self.save_state.error else "dim"
            text.append(f" · saving… ({self.save_state.pending})", style=style)
        return text

    def position(self, record_id: int) -> int | None:
        assert self.queue is not None
        if self._positions is None:
            self._positions = {rid: i for i, rid in enumerate(self.queue.ids)}
        return self._positions.get(record_id)

    def fail(self, exc: BaseException | str) -> None:
        self.app.notify(str(exc), severity="error", markup=False, timeout=8)

    def _ready(self) -> bool:
        return self.queue is not None and self.view is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.stage == TITLE_ABSTRACT:
            shown = action + (f"({', '.join(map(repr, parameters))})" if parameters else "")
            if shown in FULL_TEXT_ONLY:
                return False
        return True

    # ---- decisions ---------------------------------------------------------------------

    def action_decide(self, decision: str) -> None:
        if self._ready():
            self.decide(decision)

    def decide(self, decision: str, reason: str = "") -> None:
        assert self.queue is not None and self.view is not None
        record_id = self.view.record_id
        try:
            self.queue.decide(record_id, decision, reason, self.pending_notes.get(record_id, ""))
        except FAILURES as exc:
            self.fail(exc)
            return
        self.pending_notes.pop(record_id, None)
        self._counts_stale = True
        self.ranking_noted(decision)
        if self.index + 1 < len(self.queue):
            self.show(self.index + 1)
            return
        self.show(self.index, scroll_home=False)
        left = self.queue.progress()
        undecided = left["total"] - left["done"]
        where = f"; the first is number {self.queue.first_undecided() + 1}" if undecided else ""
        self.app.notify(f"That was the last record: {undecided:,} undecided{where}.", markup=False)

    def action_exclude(self) -> None:
        if not self._ready():
            return
        assert self.queue is not None and self.view is not None
        settings = self.queue.settings
        reasons = settings.exclusion_reasons
        picker = ReasonPicker(
            reasons,
            required=settings.reason_required_for(self.stage),
            free_text=self.stage == TITLE_ABSTRACT or not reasons,
        )
        record_id = self.view.record_id

        def picked(reason: str | None) -> None:
            if reason is not None and self.view is not None and self.view.record_id == record_id:
                self.decide("exclude", reason)

        self.app.push_screen(picker, picked)

    def action_note(self) -> None:
        if not self._ready():
            return
        assert self.queue is not None and self.view is not None
        record_id = self.view.record_id
        own = self.queue.own.get(record_id)
        current = self.pending_notes.get(record_id) or (own.note if own else "")
        prompt = TextPrompt(f"Note on record #{record_id}", current, "saved with your decision")
        self.app.push_screen(prompt, lambda text: self.noted(record_id, text))

    def noted(self, record_id: int, text: str | None) -> None:
        if text is None or self.queue is None:
            return
        text = text.strip()
        if record_id in self.queue.own:
            try:
                self.queue.note(record_id, text)
            except FAILURES as exc:
                self.fail(exc)
                return
            self.app.notify("Note saved.")
        elif text:
            self.pending_notes[record_id] = text
            self.app.notify("Note kept: it is saved with your decision on this record.")
        else:
            self.pending_notes.pop(record_id, None)
        self.refresh_status()

    def action_undo(self) -> None:
        if not self._ready():
            return
        assert self.queue is not None
        try:
            record_id = self.queue.undo()
        except FAILURES as exc:
            self.fail(exc)
            return
        if record_id is None:
            self.app.notify("Nothing to undo in this session.", severity="warning")
            return
        self._counts_stale = True
        self.ranking_noted("undo")
        kept = self.queue.kept_notes.pop(record_id, "")
        if kept:
            self.pending_notes[record_id] = kept
        position = self.position(record_id)
        self.show(self.index if position is None else position)
        also = " Your note is kept: it is saved with your next decision on it." if kept else ""
        self.app.notify(f"Undone: your decision on #{record_id}.{also}", markup=False)

    # ---- moving around -----------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if not self._ready():
            return
        assert self.queue is not None
        target = self.index + step
        if 0 <= target < len(self.queue):
            self.show(target)
        else:
            self.app.bell()

    def action_scroll(self, lines: int) -> None:
        self.query_one(RecordPanel).scroll_relative(y=lines, animate=False)

    def action_scroll_to(self, end: int) -> None:
        panel = self.query_one(RecordPanel)
        (panel.scroll_end if end else panel.scroll_home)(animate=False)

    def action_quit(self) -> None:
        """Quit once every decision is stored; a note kept for an undecided record is
        lost, so say so once first."""
        if self.pending_notes and not self._quit_warned:
            self._quit_warned = True
            records = ", ".join(f"#{rid}" for rid in self.pending_notes)
            self.app.notify(
                f"Notes on {records} are not saved: they go with a decision. "
                "Press q again to quit anyway.",
                severity="warning",
                markup=False,
            )
            return
        if self.saves is not None and self.saves.pending:
            self._quit_when_saved = True
            self.app.notify(
                f"Saving {self.saves.pending} decision(s) first; screener closes when they "
                "are stored.",
                markup=False,
            )
            return
        self.app.exit()

    # ---- help ----------------------------------------------------------------------------

    def action_help(self) -> None:
        title = f"Screening keys ({self.stage})"
        self.app.push_screen(HelpScreen(title, for_stage(SCREEN_KEYS, self.stage)))
