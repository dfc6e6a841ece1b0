"""Screening prioritisation in the screening screen: a refit worker and a status line.

`RankingMixin` is mixed into `ScreeningScreen`. After each decision it counts what is new
and, when `refit_due` says so (after every include; after every k other decisions on a
large review), starts a thread worker that retrains the reviewer's model and posts the
new order of the records not yet shown. The screen keeps what is behind and at the
cursor and takes the next record from the newest ranking that has arrived: a keypress
never waits for a refit. Features missing from the cache are computed in a child
process (tokenising 100,000 abstracts would otherwise hold the interpreter lock).

Blinding: the worker learns from `workflow.ranking.reviewer_labels` only (the reviewer's
own votes and reconciled decisions).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Static

from screener.screening import INCLUDE, TITLE_ABSTRACT
from screener.screening.settings import RELEVANCE
from screener.store import Store
from screener.tui.notices import FAILURES


@dataclass
class QueueRanked(Message):
    """A refit finished: `order` holds the reviewer's undecided records, best first."""

    generation: int
    order: list[int] | None
    estimate: float | None
    learned: int


class RankingLine(Static):
    """One line: how the queue is ordered and how many relevant records the model expects
    among those the reviewer has not screened."""

    DEFAULT_CSS = "RankingLine { height: 1; color: $text-muted; }"


class RankingMixin:
    """Refits in a worker after decisions; see the module docstring."""

    _rank_generation = 0
    _rank_pending = 0
    _rank_new_include = False
    _rank_on = False
    _rank_running = False  # one refit at a time: a thread cannot be stopped half-way
    _features = None  # the worker's FeatureSet, kept from refit to refit
    _rank_again = False

    def start_ranking(self) -> None:
        """Call once the queue is loaded: rank from the start (and show the estimate)."""
        queue = self.queue
        self._rank_on = queue.stage == TITLE_ABSTRACT and queue.settings.order == RELEVANCE
        if self._rank_on:
            self._show_ranking("relevance: ranking…")
            self.refit()
        else:
            self._show_ranking(f"order: {queue.settings.order}")

    def ranking_noted(self, decision: str) -> None:
        """Call after each decision (or undo): refit when it is due."""
        from screener.screening.ranking import refit_due

        if not self._rank_on:
            return
        self._rank_pending += 1
        counts_as = self.queue.settings.maybe_counts_as if decision == "maybe" else decision
        self._rank_new_include = self._rank_new_include or counts_as == INCLUDE
        if refit_due(self._rank_pending, len(self.queue.own), self._rank_new_include):
            self.refit()

    def refit(self) -> None:
        self._rank_pending, self._rank_new_include = 0, False
        if self._rank_running:  # refit again with everything once this one is done
            self._rank_again = True
            return
        self._rank_running, self._rank_again = True, False
        self._rank_generation += 1
        # Snapshots: decisions reach the database on the save queue's thread, a little later.
        self._refit_worker(self._rank_generation, list(self.queue.ids), dict(self.queue.own))

    @work(thread=True, exclusive=True, exit_on_error=False, group="rank")
    def _refit_worker(self, generation: int, ids: list[int], own: dict) -> None:
        from screener.workflow import ranking as flow
        from screener.workflow.screening import current_pilot, load_settings

        # Checked (PRAGMA quick_check) when the screen opened it: not again on every
        # refit, which on a 100,000-record review took longer than the refit itself.
        store = Store(self.db_path, check=False)
        try:
            settings = load_settings(store)
            if current_pilot(store)["ids"]:  # calibration: everyone sees the same sample
                self.post_message(QueueRanked(generation, None, None, -1))
                return
            labels = flow.reviewer_labels(store, self.reviewer, settings, own)
            if len(set(labels.values())) < 2:
                self.post_message(QueueRanked(generation, None, None, len(labels)))
                return
            # The set from the last refit while the records are unchanged: its ranker keeps
            # the similarities of labelled records from fit to fit.
            features = flow.review_features(store, cached_only=True, reuse=self._features)
            if features is None:
                _cache_in_child(str(self.db_path))
                features = flow.review_features(store)  # cached by now, or computed here
            self._features = features
            undecided = [i for i in ids if i not in own]
            seed = flow.review_seed(store)
            ranking = flow.rank_undecided(features, labels, ids, undecided, seed)
            message = QueueRanked(
                generation, ranking.undecided, ranking.estimated_remaining, ranking.labels
            )
            self.post_message(message)
        except FAILURES as exc:
            self.post_message(QueueRanked(generation, None, None, -1))
            self.app.call_from_thread(self.fail, f"ranking stopped: {exc}")
        finally:
            store.close()

    def on_queue_ranked(self, message: QueueRanked) -> None:
        self._rank_running = False
        if message.generation != self._rank_generation or self.queue is None:
            return
        try:
            self._apply_ranking(message)
        finally:
            if self._rank_again:  # decisions came in meanwhile: rank again with them
                self.refit()

    def _apply_ranking(self, message: QueueRanked) -> None:
        """Keep the records up to the one on screen; the rest in the new order."""
        if message.order is None:
            if message.learned >= 0:
                self._show_ranking(
                    "relevance: random order until you have an include and an exclude"
                )
            return
        queue = self.queue
        keep = queue.ids[: self.index + 1]
        kept = set(keep)
        later_decided = [i for i in queue.ids[self.index + 1 :] if i in queue.own]
        fresh = [i for i in message.order if i not in kept and i not in queue.own]
        placed = kept | set(later_decided) | set(fresh)
        rest = [i for i in queue.ids if i not in placed]  # nothing may drop out of the queue
        queue.ids = keep + later_decided + fresh + rest
        self._positions = None
        estimate = message.estimate or 0.0
        self._show_ranking(
            f"relevance: ranked by {message.learned:,} decisions · about {estimate:,.0f} "
            "relevant records left"
        )

    def _show_ranking(self, text: str) -> None:
        with contextlib.suppress(NoMatches):  # the screen is closing
            self.query_one(RankingLine).update(Text(text))


def _cache_in_child(db_path: str) -> None:
    """Compute the review's features in a child process (its own interpreter lock); if
    that fails the worker computes them itself."""
    code = (
        "import sys\nfrom screener.workflow.ranking import cache_features\n"
        "cache_features(sys.argv[1])"
    )
    subprocess.run([sys.executable, "-c", code, db_path], check=False, capture_output=True)
