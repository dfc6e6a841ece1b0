"""Review uncertain duplicate pairs side by side: `screener dedup review --as NAME`.

    run_dedup_review(db_path, who)         # the CLI
    make_dedup_app(db_path, who)           # tests: .run_test()

Pairs come most likely first (`workflow.dedup.review_queue`: near-identical pairs, whose
title, authors and year are the same, then by score). Each pair shows both records field
by field, agreeing fields marked and the characters that differ highlighted, with the
pair's method, score and evidence. `y` (same work) and `n` (different works) call
`workflow.dedup.decide_pairs`, which relinks the groups; `A` links every remaining
near-identical pair at once after a confirmation. Relinking can take a while on a large
review, so decisions are saved one after another in a worker thread (each on its own
connection) while the reviewer moves on. Quitting waits for the last one.
"""

from __future__ import annotations

import difflib
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
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from screener.errors import ScreenerError
from screener.models import Record
from screener.store import Store, review_exists, review_target
from screener.store.dedup import Pair
from screener.textsafe import clean_line
from screener.tui import render
from screener.tui.dialogs import HelpScreen
from screener.tui.notices import FAILURES, NoticesMixin
from screener.tui.widgets import KeyHints
from screener.workflow.dedup import ReviewItem, decide_pairs, review_queue

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
    ("A", "link every remaining near-identical pair (title, authors, year the same), after a yes"),
    ("→ / ←", "next / previous pair without deciding"),
    ("↑ ↓ PgUp PgDn", "scroll"),
    ("?", "this help"),
    ("q", "quit (waits until the last decision is saved)"),
]
DEDUP_HINTS = [
    ("y", "same work"),
    ("n", "different"),
    ("s", "skip"),
    ("A", "accept block"),
    ("→/←", "move"),
    ("?", "help"),
    ("q", "quit"),
]


@dataclass
class PairsLoaded(Message):
    store: Store
    items: list[ReviewItem]


@dataclass
class PairsFailed(Message):
    error: str


@dataclass
class PairSaved(Message):
    pairs: tuple[tuple[int, int], ...]
    same: bool
    error: str = ""


class ConfirmBlock(ModalScreen[bool]):
    """Yes / no before linking a block of pairs."""

    BINDINGS = [
        Binding("y", "answer(True)", "yes"),
        Binding("n", "answer(False)", "no"),
        Binding("escape", "answer(False)", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question, style="bold"))
            yield Static(Text("y yes · n no", style="italic"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


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


HIGHLIGHT = "bold black on yellow"
MAX_DIFF = 400  # characters compared per field (the abstract is cut shorter anyway)


def diff_texts(left: str, right: str) -> tuple[Text, Text]:
    """Both values with the characters that differ highlighted (difflib opcodes)."""
    a, b = Text(left), Text(right)
    if left == right or not left or not right or _key(left) == _key(right):
        return a, b
    matcher = difflib.SequenceMatcher(None, left[:MAX_DIFF], right[:MAX_DIFF], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            a.stylize(HIGHLIGHT, i1, i2)
            b.stylize(HIGHLIGHT, j1, j2)
    return a, b


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
        caption="= agrees · ≠ differs (ignoring case, spacing and punctuation); "
        "differing characters highlighted",
    )
    table.add_column("", width=1, no_wrap=True)
    table.add_column("field", width=8, no_wrap=True, style="bold")
    table.add_column(f"#{pair.a}", ratio=1)
    table.add_column(f"#{pair.b}", ratio=1)
    for label, name in FIELDS:
        left, right = field_value(a, name), field_value(b, name)
        # sources always differ: highlighting them tells nothing
        cells = (Text(left), Text(right)) if name == "source" else diff_texts(left, right)
        table.add_row(agreement_mark(name, a, b), label, *cells)
    return table


def pair_info(pair: Pair, number: int, total: int, decided: bool | None, near: int = 0) -> Text:
    """`near`: how many undecided near-identical pairs remain, when this is one of them."""
    text = Text(f"pair {number} of {total}", style="bold")
    text.append(f" · method {pair.method} · score {pair.score:.2f}")
    if near:
        text.append(
            f"\nnear-identical: title, authors and year the same ({near} such pairs left: "
            "A links them all)",
            style="bold cyan",
        )
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
        Binding("A", "accept_block", "accept block"),
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
        self.db_path = review_target(db_path)
        self.who = who
        self.notices = []
        self.store: Store | None = None
        self.items: list[ReviewItem] = []
        self.index = 0
        self.decided: dict[tuple[int, int], bool] = {}
        self.todo: deque[tuple[tuple[tuple[int, int], ...], bool]] = deque()
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
            items = review_queue(store)
        except FAILURES as exc:
            store.close()
            self.post_message(PairsFailed(str(exc)))
            return
        self.post_message(PairsLoaded(store, items))

    def on_pairs_loaded(self, message: PairsLoaded) -> None:
        self.store, self.items = message.store, message.items
        self.show(0)

    @property
    def pairs(self) -> list[Pair]:
        return [item.pair for item in self.items]

    def _open_block(self) -> list[ReviewItem]:
        """Near-identical pairs nobody has decided in this session yet."""
        return [
            item
            for item in self.items
            if item.near_identical and (item.pair.a, item.pair.b) not in self.decided
        ]

    def on_pairs_failed(self, message: PairsFailed) -> None:
        self.query_one("#pair-info", Static).update(Text(message.error, style="bold red"))
        self.notify(message.error, severity="error", markup=False, timeout=10)

    # ---- showing a pair ----------------------------------------------------------------

    def show(self, index: int) -> None:
        self.index = index
        info = self.query_one("#pair-info", Static)
        table = self.query_one("#pair-table", Static)
        if index >= len(self.items):
            done = len(self.decided)
            info.update(
                Text(
                    f"No more pairs: {len(self.items)} waited for a decision, you decided "
                    f"{done}. Press q to quit, ← to go back.",
                    style="bold",
                )
            )
            table.update(Text())
        else:
            item = self.items[index]
            pair = item.pair
            decided = self.decided.get((pair.a, pair.b))
            near = len(self._open_block()) if item.near_identical and decided is None else 0
            info.update(pair_info(pair, index + 1, len(self.items), decided, near))
            table.update(pair_table(pair, item.a, item.b))
            self.query_one("#pair", VerticalScroll).scroll_home(animate=False)
        self.query_one("#topbar", Static).update(self._topbar_text())

    def _topbar_text(self) -> Text:
        text = Text(" screener ", style="bold reverse")
        text.append(f" dedup review · {clean_line(self.who)}")
        if self.store is not None:
            text.append(f" · {len(self.items)} pairs · {self.saved} saved")
            if self.saving or self.todo:
                waiting = sum(len(p) for p, _ in self.todo) + self.saving
                text.append(f" · saving {waiting}…", style="italic")
        return text

    # ---- deciding ----------------------------------------------------------------------

    def action_decide(self, same: bool) -> None:
        if self.store is None or self.index >= len(self.items) or self.quitting:
            return
        pair = self.items[self.index].pair
        self.decided[(pair.a, pair.b)] = same
        self.todo.append((((pair.a, pair.b),), same))
        self._save_next()
        self.show(self.index + 1)

    def action_accept_block(self) -> None:
        """Link every undecided near-identical pair, after the reviewer says yes."""
        if self.store is None or self.quitting:
            return
        block = self._open_block()
        if not block:
            self.notify("No near-identical pairs are left to accept.", markup=False)
            return
        question = (
            f"Link {len(block)} near-identical pair(s) as duplicates? In each, title, "
            "authors and year are the same; only journal, locator or identifiers differ."
        )
        self.push_screen(ConfirmBlock(question), self._block_answered)

    def _block_answered(self, yes: bool | None) -> None:
        if not yes:
            return
        block = self._open_block()
        for item in block:
            self.decided[(item.pair.a, item.pair.b)] = True
        self.todo.append((tuple((item.pair.a, item.pair.b) for item in block), True))
        self._save_next()
        undecided = [
            i for i, item in enumerate(self.items) if (item.pair.a, item.pair.b) not in self.decided
        ]
        self.show(undecided[0] if undecided else len(self.items))

    def _save_next(self) -> None:
        if not self.saving and self.todo:
            self.saving = True
            self.save_pairs(*self.todo.popleft())

    @work(thread=True, exit_on_error=False, group="save")
    def save_pairs(self, pairs: tuple[tuple[int, int], ...], same: bool) -> None:
        """Decisions and the one relink they cause, on this thread's own connection."""
        try:
            with Store(self.db_path) as store:
                decide_pairs(store, list(pairs), same, self.who)
        except FAILURES as exc:
            self.post_message(PairSaved(pairs, same, str(exc)))
            return
        self.post_message(PairSaved(pairs, same))

    def on_pair_saved(self, message: PairSaved) -> None:
        self.saving = False
        if message.error:
            for pair in message.pairs:
                self.decided.pop(pair, None)
            self.notify(message.error, severity="error", markup=False, timeout=8)
        else:
            self.saved += len(message.pairs)
        self._save_next()
        self.query_one("#topbar", Static).update(self._topbar_text())
        if self.quitting and not self.saving:
            self.exit()

    # ---- moving, help, quitting --------------------------------------------------------

    def action_move(self, step: int) -> None:
        target = self.index + step
        if self.store is not None and 0 <= target <= len(self.items):
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
        db_path = env if env else DEFAULT_DB
    if not who.strip():
        raise ScreenerError("say who decides: --as NAME.")
    if not review_exists(review_target(db_path)):
        raise ScreenerError(f"{db_path}: no review here yet; run a search or an import first.")
    return DedupReviewApp(review_target(db_path), who.strip())


def run_dedup_review(db_path: Path | str | None, who: str) -> None:
    """Run the dedup review in the terminal (`screener dedup review --as NAME`)."""
    make_dedup_app(db_path, who).run()
