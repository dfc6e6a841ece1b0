"""Review uncertain duplicate pairs side by side: `screener dedup review --as NAME`.

    run_dedup_review(db_path, who)         # the CLI
    make_dedup_app(db_path, who)           # tests: .run_test()

Each pair shows both records field by field, agreeing fields marked, with the pair's
method, score and evidence. `y` (same work) and `n` (different works) call
`workflow.dedup.decide_pair`, which relinks the groups; that can take a while on a large
review, so decisions are saved one after another in a worker thread (each on its own
connection) while the reviewer moves on. Quitting waits for the last one.
"""

from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from screener.errors import ScreenerError
from screener.models import Record
from screener.store import Store
from screener.store.dedup import Pair
from screener.textsafe import clean_line
from screener.tui import render
from screener.tui.dialogs import HelpScreen
from screener.tui.notices import FAILURES, NoticesMixin
from screener.tui.widgets import KeyHints
from screener.workflow.dedup import decide_pair, pending_pairs

DEFAULT_DB = Path("db") / "review.sqlite"
ABSTRACT_START = 240
FIELDS = (
    ("title", "title"),
    ("authors", "authors"),
    ("year", "year"),
    ("journal", "journal"),
    ("volume", "volume"),
    ("issue", "issue"),
    ("pages", "pages"),
    ("DOI", "doi"),
    ("PMID", "pmid"),
    ("source", "source"),
    ("abstract", "abstract"),
)
DEDUP_KEYS = [
    ("y", "same work: link the two records as duplicates"),
    ("n", "different works: never link them"),
    ("s", "skip this pair for now"),
    ("→ / ←", "next / previous pair without deciding"),
    ("↑ ↓ PgUp PgDn", "scroll"),
    ("?", "this help"),
    ("q", "quit (waits until the last decision is saved)"),
]
DEDUP_HINTS = [
    ("y", "same work"),
    ("n", "different"),
    ("s", "skip"),
    ("→/←", "move"),
    ("?", "help"),
    ("q", "quit"),
]


@dataclass
class PairsLoaded(Message):
    store: Store
    pairs: list[Pair]


@dataclass
class PairsFailed(Message):
    error: str


@dataclass
class PairSaved(Message):
    a: int
    b: int
    same: bool
    error: str = ""


def field_value(record: Record, name: str) -> str:
    """A field of `record` as shown: outside text, so control characters are removed."""
    return clean_line(_raw_value(record, name))


def _raw_value(record: Record, name: str) -> str:
    if name == "authors":
        return render.authors_line(record.authors, limit=6) if record.authors else ""
    if name == "year":
        return str(record.year) if record.year else ""
    if name == "journal":
        return record.journal or record.journal_abbrev
    if name == "source":
        return f"{record.source} {record.source_id}".strip()
    if name == "abstract":
        text = " ".join(record.abstract.split())
        return text[:ABSTRACT_START] + ("…" if len(text) > ABSTRACT_START else "")
    return str(getattr(record, name) or "")


def _key(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.casefold())


def agreement_mark(name: str, a: Record, b: Record) -> Text:
    """'=' when the field agrees (ignoring case, spacing, punctuation), '≠' when it
    differs, blank when either record lacks it. Sources always differ: not marked."""
    left, right = field_value(a, name), field_value(b, name)
    if name == "source" or not left or not right:
        return Text(" ")
    return Text("=", "bold green") if _key(left) == _key(right) else Text("≠", "bold red")


def pair_table(pair: Pair, a: Record, b: Record) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        expand=True,
        padding=(0, 1),
        caption="= agrees · ≠ differs (ignoring case, spacing and punctuation)",
    )
    table.add_column("", width=1, no_wrap=True)
    table.add_column("field", width=8, no_wrap=True, style="bold")
    table.add_column(f"#{pair.a}", ratio=1)
    table.add_column(f"#{pair.b}", ratio=1)
    for label, name in FIELDS:
        table.add_row(agreement_mark(name, a, b), label, field_value(a, name), field_value(b, name))
    return table


def pair_info(pair: Pair, number: int, total: int, decided: bool | None) -> Text:
    text = Text(f"pair {number} of {total}", style="bold")
    text.append(f" · method {pair.method} · score {pair.score:.2f}")
    if decided is not None:
        text.append(
            "  you said: " + ("SAME WORK" if decided else "DIFFERENT"),
            style="bold green" if decided else "bold red",
        )
    if pair.evidence:
        evidence = clean_line("; ".join(f"{key}: {value}" for key, value in pair.evidence.items()))
        text.append("\nevidence: ", style="bold")
        text.append(evidence)
    return text


class DedupReviewApp(NoticesMixin, App):
    """Go through the pending (uncertain, undecided) pairs."""

    CSS_PATH = "screener.tcss"
    TITLE = "screener dedup review"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("y", "decide(True)", "same work"),
        Binding("n", "decide(False)", "different"),
        Binding("s", "move(1)", "skip"),
        Binding("right", "move(1)", show=False),
        Binding("left", "move(-1)", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        Binding("up", "scroll(-1)", show=False),
        Binding("down", "scroll(1)", show=False),
        Binding("pageup", "scroll(-10)", show=False),
        Binding("pagedown", "scroll(10)", show=False),
    ]

    def __init__(self, db_path: Path, who: str) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.who = who
        self.notices = []
        self.store: Store | None = None
        self.pairs: list[Pair] = []
        self.index = 0
        self.decided: dict[tuple[int, int], bool] = {}
        self.todo: deque[tuple[int, int, bool]] = deque()
        self.saving = False
        self.saved = 0
        self.quitting = False

    def compose(self) -> ComposeResult:
        yield Static(self._topbar_text(), id="topbar")
        yield Static(Text("Loading the pairs…", style="italic"), id="pair-info")
        with VerticalScroll(id="pair", can_focus=False):
            yield Static(id="pair-table")
        yield KeyHints(DEDUP_HINTS, id="keys")

    def on_mount(self) -> None:
        self.load_pairs()

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_pairs(self) -> None:
        store = Store(self.db_path)
        try:
            pairs = pending_pairs(store)
        except FAILURES as exc:
            store.close()
            self.post_message(PairsFailed(str(exc)))
            return
        self.post_message(PairsLoaded(store, pairs))

    def on_pairs_loaded(self, message: PairsLoaded) -> None:
        self.store, self.pairs = message.store, message.pairs
        self.show(0)

    def on_pairs_failed(self, message: PairsFailed) -> None:
        self.query_one("#pair-info", Static).update(Text(message.error, style="bold red"))
        self.notify(message.error, severity="error", markup=False, timeout=10)

    # ---- showing a pair ----------------------------------------------------------------

    def show(self, index: int) -> None:
        self.index = index
        info = self.query_one("#pair-info", Static)
        table = self.query_one("#pair-table", Static)
        if index >= len(self.pairs):
            done = len(self.decided)
            info.update(
                Text(
                    f"No more pairs: {len(self.pairs)} waited for a decision, you decided "
                    f"{done}. Press q to quit, ← to go back.",
                    style="bold",
                )
            )
            table.update(Text())
        else:
            assert self.store is not None
            pair = self.pairs[index]
            try:
                a, b = self.store.get_record(pair.a), self.store.get_record(pair.b)
            except FAILURES as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            decided = self.decided.get((pair.a, pair.b))
            info.update(pair_info(pair, index + 1, len(self.pairs), decided))
            table.update(pair_table(pair, a, b))
            self.query_one("#pair", VerticalScroll).scroll_home(animate=False)
        self.query_one("#topbar", Static).update(self._topbar_text())

    def _topbar_text(self) -> Text:
        text = Text(" screener ", style="bold reverse")
        text.append(f" dedup review · {self.who}")
        if self.store is not None:
            text.append(f" · {len(self.pairs)} pairs · {self.saved} saved")
            if self.saving or self.todo:
                text.append(f" · saving {len(self.todo) + int(self.saving)}…", style="italic")
        return text

    # ---- deciding ----------------------------------------------------------------------

    def action_decide(self, same: bool) -> None:
        if self.store is None or self.index >= len(self.pairs) or self.quitting:
            return
        pair = self.pairs[self.index]
        self.decided[(pair.a, pair.b)] = same
        self.todo.append((pair.a, pair.b, same))
        self._save_next()
        self.show(self.index + 1)

    def _save_next(self) -> None:
        if not self.saving and self.todo:
            self.saving = True
            self.save_pair(*self.todo.popleft())

    @work(thread=True, exit_on_error=False, group="save")
    def save_pair(self, a: int, b: int, same: bool) -> None:
        """One decision and the relink it causes, on this thread's own connection."""
        try:
            with Store(self.db_path) as store:
                decide_pair(store, a, b, same, self.who)
        except FAILURES as exc:
            self.post_message(PairSaved(a, b, same, str(exc)))
            return
        self.post_message(PairSaved(a, b, same))

    def on_pair_saved(self, message: PairSaved) -> None:
        self.saving = False
        if message.error:
            self.decided.pop((message.a, message.b), None)
            self.notify(message.error, severity="error", markup=False, timeout=8)
        else:
            self.saved += 1
        self._save_next()
        self.query_one("#topbar", Static).update(self._topbar_text())
        if self.quitting and not self.saving:
            self.exit()

    # ---- moving, help, quitting --------------------------------------------------------

    def action_move(self, step: int) -> None:
        target = self.index + step
        if self.store is not None and 0 <= target <= len(self.pairs):
            self.show(target)
        else:
            self.bell()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#pair", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen("Reviewing duplicate pairs", DEDUP_KEYS))

    async def action_quit(self) -> None:
        if self.saving or self.todo:
            self.quitting = True
            self.notify("Saving your last decisions, then quitting…")
            self.query_one("#topbar", Static).update(self._topbar_text())
        else:
            self.exit()


def make_dedup_app(db_path: Path | str | None, who: str) -> DedupReviewApp:
    """The dedup review app; `db_path` None means $SCREENER_DB, else db/review.sqlite."""
    if db_path is None:
        env = os.environ.get("SCREENER_DB")
        db_path = Path(env) if env else DEFAULT_DB
    if not who.strip():
        raise ScreenerError("say who decides: --as NAME.")
    if not Path(db_path).exists():
        raise ScreenerError(f"{db_path}: no review here yet; run a search or an import first.")
    return DedupReviewApp(Path(db_path), who.strip())


def run_dedup_review(db_path: Path | str | None, who: str) -> None:
    """Run the dedup review in the terminal (`screener dedup review --as NAME`)."""
    make_dedup_app(db_path, who).run()
