"""The resolve screen: an adjudicator goes through the conflicts at one stage.

Votes come from `workflow.screening.conflicts(..., viewer=adjudicator)`, so blinding is
the core's decision: someone who is not an adjudicator sees which records conflict, never
the votes. Each resolution (decision, reason, rationale) is stored by `resolve` at once.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from screener.screening import FULL_TEXT, TITLE_ABSTRACT, ReviewSettings
from screener.store import Store
from screener.tui import render
from screener.tui.dialogs import HelpScreen, ReasonPicker, TextPrompt
from screener.tui.keys import RESOLVE_HINTS, RESOLVE_KEYS, SCROLL_BINDINGS, for_stage
from screener.tui.messages import ConflictsLoaded, LoadFailed, ResolutionSaved
from screener.tui.notices import FAILURES
from screener.tui.widgets import KeyHints, RecordPanel, record_of
from screener.workflow.screening import Conflict, conflicts, load_settings, resolve


class ResolveScreen(Screen):
    """Conflicts one at a time: the record, every visible vote side by side, keys to resolve."""

    BINDINGS = [
        Binding("i", "resolve('include')", "include"),
        Binding("e", "resolve('exclude')", "exclude"),
        Binding("m", "resolve('maybe')", "maybe"),
        Binding("r", "resolve('not-retrieved')", "not retrieved"),
        Binding("right,j", "move(1)", "next"),
        Binding("left,k", "move(-1)", "previous"),
        Binding("question_mark", "help", "help"),
        Binding("q", "app.quit", "quit"),
        *SCROLL_BINDINGS,
    ]

    def __init__(self, db_path: Path, adjudicator: str, stage: str) -> None:
        super().__init__()
        self.db_path = db_path
        self.adjudicator = adjudicator
        self.stage = stage
        self.store: Store | None = None
        self.settings = ReviewSettings()
        self.conflicts: list[Conflict] = []
        self.index = 0
        self.resolved: dict[int, tuple[str, str, str]] = {}

    def compose(self) -> ComposeResult:
        yield Static(self._topbar_text(), id="topbar")
        yield Static(Text("Looking for conflicts…", style="italic"), id="status")
        yield Static(id="votes")
        yield RecordPanel(id="record")
        yield KeyHints(for_stage(RESOLVE_HINTS, self.stage), id="keys")

    def on_mount(self) -> None:
        self.load_conflicts()

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_conflicts(self) -> None:
        store = Store(self.db_path)
        try:
            found = conflicts(store, self.stage, viewer=self.adjudicator)
        except FAILURES as exc:
            store.close()
            self.post_message(LoadFailed(str(exc)))
            return
        self.post_message(ConflictsLoaded(store, found))

    def on_conflicts_loaded(self, message: ConflictsLoaded) -> None:
        self.store, self.conflicts = message.store, message.conflicts
        try:
            self.settings = load_settings(self.store)
        except FAILURES as exc:
            self.fail(exc)
        if not self.conflicts:
            self.query_one("#status", Static).update(Text("Nothing to resolve.", style="bold"))
            self.query_one("#votes", Static).display = False
            self.query_one(RecordPanel).message(
                f"No conflicts at {self.stage}: every record with all its votes agrees, "
                "or is resolved."
            )
            return
        self.show(0)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one(RecordPanel).message(message.error, style="bold red")
        self.app.notify(message.error, severity="error", markup=False, timeout=10)

    # ---- showing a conflict ------------------------------------------------------------

    def show(self, index: int) -> None:
        assert self.store is not None
        conflict = self.conflicts[index]
        try:
            record, size = record_of(self.store, conflict.record_id)
        except FAILURES as exc:
            self.fail(exc)
            return
        self.index = index
        settings = self.settings
        self.query_one(RecordPanel).show(
            conflict.record_id, record, size, settings.include_terms, settings.exclude_terms
        )
        self.query_one("#votes", Static).update(self._votes(conflict))
        self.query_one("#status", Static).update(self._status(conflict))
        self.query_one("#topbar", Static).update(self._topbar_text())

    def _votes(self, conflict: Conflict) -> RenderableType:
        if not conflict.votes:
            return Text(
                "Votes are hidden: only an adjudicator of this review sees them.", style="italic"
            )
        table = Table(box=None, expand=True, show_header=False, padding=(0, 2, 0, 0))
        for _ in conflict.votes:
            table.add_column(ratio=1)
        table.add_row(*(render.other_vote_text(vote) for vote in conflict.votes))
        return table

    def _status(self, conflict: Conflict) -> Text:
        done = self.resolved.get(conflict.record_id)
        if done is not None:
            decision, reason, rationale = done
            text = Text("RESOLVED: ", style="bold green")
            text.append(decision.upper(), style=render.DECISION_STYLES.get(decision, "bold"))
            text.append(f" — {reason}" if reason else "")
            text.append(f"  rationale: {rationale}" if rationale else "")
            return text
        adjudicators = self.settings.adjudicators
        if adjudicators and self.adjudicator not in adjudicators:
            return Text(
                f"{self.adjudicator} is not an adjudicator of this review "
                f"({', '.join(adjudicators)}): you cannot resolve conflicts.",
                style="bold red",
            )
        return Text(f"Conflict: {len(conflict.votes)} votes disagree. Decide with i/e/m.")

    def _topbar_text(self) -> Text:
        text = Text(" screener ", style="bold reverse")
        text.append(f" resolve · {self.stage} · {self.adjudicator}")
        if self.conflicts:
            text.append(f" · conflict {self.index + 1} of {len(self.conflicts)}", style="bold")
            text.append(f" · #{self.conflicts[self.index].record_id}")
            text.append(f" · {len(self.resolved)} resolved")
        return text

    def fail(self, exc: BaseException | str) -> None:
        self.app.notify(str(exc), severity="error", markup=False, timeout=8)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve" and parameters == ("not-retrieved",):
            return self.stage == FULL_TEXT
        return True

    # ---- resolving ---------------------------------------------------------------------

    def action_resolve(self, decision: str) -> None:
        if self.store is None or not self.conflicts:
            return
        record_id = self.conflicts[self.index].record_id
        if decision != "exclude":
            self.ask_rationale(record_id, decision, "")
            return
        reasons = self.settings.exclusion_reasons
        picker = ReasonPicker(
            reasons,
            required=self.settings.reason_required_for(self.stage),
            free_text=self.stage == TITLE_ABSTRACT or not reasons,
        )

        def picked(reason: str | None) -> None:
            if reason is not None:
                self.ask_rationale(record_id, decision, reason)

        self.app.push_screen(picker, picked)

    def ask_rationale(self, record_id: int, decision: str, reason: str) -> None:
        what = decision + (f" ({reason})" if reason else "")
        prompt = TextPrompt(
            f"Rationale for resolving #{record_id} as {what}", "", "why this decision"
        )

        def answered(rationale: str | None) -> None:
            if rationale is not None:
                self.resolve_record(record_id, decision, reason, rationale.strip())

        self.app.push_screen(prompt, answered)

    @work(thread=True, exit_on_error=False, group="resolve")
    def resolve_record(self, record_id: int, decision: str, reason: str, rationale: str) -> None:
        """Store the resolution on this thread's own connection: a review locked by an
        import never freezes the screen; the result comes back as `ResolutionSaved`."""
        error = ""
        try:
            with Store(self.db_path) as store:
                resolve(store, record_id, self.stage, decision, reason, rationale, self.adjudicator)
        except FAILURES as exc:
            error = str(exc)
        self.post_message(ResolutionSaved(record_id, decision, reason, rationale, error))

    def on_resolution_saved(self, message: ResolutionSaved) -> None:
        if message.error:
            self.fail(message.error)
            return
        record_id, decision = message.record_id, message.decision
        self.resolved[record_id] = (decision, message.reason, message.rationale)
        self.app.notify(f"#{record_id} resolved as {decision}.", markup=False)
        following = [
            i
            for i in [*range(self.index + 1, len(self.conflicts)), *range(self.index)]
            if self.conflicts[i].record_id not in self.resolved
        ]
        if following:
            self.show(following[0])
        else:
            self.show(self.index)
            self.app.notify("Every conflict is resolved.", markup=False)

    # ---- moving around -----------------------------------------------------------------

    def action_move(self, step: int) -> None:
        target = self.index + step
        if self.conflicts and 0 <= target < len(self.conflicts):
            self.show(target)
        else:
            self.app.bell()

    def action_scroll(self, lines: int) -> None:
        self.query_one(RecordPanel).scroll_relative(y=lines, animate=False)

    def action_scroll_to(self, end: int) -> None:
        panel = self.query_one(RecordPanel)
        (panel.scroll_end if end else panel.scroll_home)(animate=False)

    def action_help(self) -> None:
        title = f"Resolving conflicts ({self.stage})"
        self.app.push_screen(HelpScreen(title, for_stage(RESOLVE_KEYS, self.stage)))
