"""Simulated screening of a labelled review, and the measures the literature reports.

Core module: pure (numpy); no IO. `simulate` replays a review through `ranked_order`, the
function that orders a reviewer's queue, retraining on the `refit_due` schedule the
screen uses, and returns the screening order; the measures are computed from it.

- `choose_priors(labels, included, excluded, seed)`: the records known before screening;
- `simulate(features, labels, ...)` -> `Simulation` (order, refits);
- `screened_to_recall`, `wss`, `recall_after`, `recall_curve`, `measures`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from screener.screening.ranking import (
    DEFAULT_SEED,
    Ranker,
    default_ranker,
    ranked_order,
    refit_due,
)
from screener.screening.stopping import stopping_point


class SimulationError(ValueError):
    """The labels cannot be simulated as asked (e.g. fewer includes than priors)."""


@dataclass(frozen=True)
class Simulation:
    """Rows in the order they were screened (priors first); screening stops once every
    include is found (the rest would all be excludes, in any order)."""

    order: np.ndarray
    labels: np.ndarray
    priors: int
    refits: int

    @property
    def sequence(self) -> np.ndarray:
        return self.labels[self.order]


def choose_priors(labels: np.ndarray, included: int, excluded: int, seed: int) -> np.ndarray:
    """`included` random includes and `excluded` random excludes (seeded)."""
    rng = np.random.default_rng(seed)
    ones, zeros = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    if included > len(ones) or excluded > len(zeros):
        raise SimulationError(
            f"asked for {included} prior includes and {excluded} prior excludes, but the "
            f"labels hold {len(ones)} includes and {len(zeros)} excludes."
        )
    return np.concatenate(
        [rng.choice(ones, included, replace=False), rng.choice(zeros, excluded, replace=False)]
    ).astype(np.int64)


def simulate(
    features: sparse.csr_matrix,
    labels: np.ndarray,
    *,
    seed: int = DEFAULT_SEED,
    prior_included: int = 1,
    prior_excluded: int = 1,
    ranker_factory: Callable[[int], Ranker] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Simulation:
    """Screen `labels` (0/1 per row) in the order the ranking proposes, learning from
    each label as it is revealed, until every include is found."""
    labels = np.asarray(labels, dtype=np.int64)
    total_includes = int(labels.sum())
    screened = list(choose_priors(labels, prior_included, prior_excluded, seed))
    known = {int(row): int(labels[row]) for row in screened}
    found = sum(known.values())
    queue: np.ndarray = np.empty(0, dtype=np.int64)
    position, refits, pending, new_include = 0, 0, len(screened), True
    ranker = (ranker_factory or default_ranker)(seed)  # one ranker: it keeps work between fits
    while found < total_includes and len(known) < len(labels):
        if refit_due(pending, len(known), new_include) or position >= len(queue):
            # The queue is read only up to the next refit, which `refit_due` calls after at
            # most len(known) // 49 + 1 labels: its head is all that need be sorted.
            queue = ranked_order(features, known, seed, ranker, limit=len(known) // 49 + 2)
            position, pending, new_include = 0, 0, False
            refits += 1
        row = int(queue[position])
        position += 1
        known[row] = int(labels[row])
        screened.append(row)
        found += known[row]
        pending += 1
        new_include = new_include or bool(known[row])
        if progress:
            progress(found, total_includes)
    priors = prior_included + prior_excluded
    return Simulation(np.asarray(screened, dtype=np.int64), labels, priors, refits)


def screened_to_recall(sequence: np.ndarray, recall: float) -> int:
    """Records screened (priors included) when `recall` of the includes had been found."""
    total = int(np.sum(sequence))
    needed = math.ceil(recall * total - 1e-9)
    hits = np.cumsum(sequence)
    return int(np.searchsorted(hits, needed) + 1)


def wss(sequence: np.ndarray, total: int, recall: float = 0.95) -> float:
    """Work saved over sampling at `recall`: (N - n_r) / N - (1 - r)."""
    return (total - screened_to_recall(sequence, recall)) / total - (1 - recall)


def recall_after(sequence: np.ndarray, total: int, fraction: float = 0.10) -> float:
    """Share of the includes found after screening `fraction` of the records."""
    n = math.floor(fraction * total)
    return float(np.sum(sequence[:n]) / max(1, np.sum(sequence)))


def recall_curve(sequence: np.ndarray, total: int) -> np.ndarray:
    """Recall after each record screened, 1..total (records after the sequence are
    excludes)."""
    full = np.zeros(total, dtype=np.int64)
    full[: len(sequence)] = sequence
    return np.cumsum(full) / max(1, int(full.sum()))


def measures(simulation: Simulation, recall_target: float = 0.95, confidence: float = 0.95) -> dict:
    """The figures `screener simulate` reports."""
    sequence = simulation.sequence
    total = len(simulation.labels)
    includes = int(simulation.labels.sum())
    stop = stopping_point(sequence, total, recall=recall_target, confidence=confidence)
    curve = recall_curve(sequence, total)
    return {
        "records": total,
        "includes": includes,
        "screened_to_95": screened_to_recall(sequence, 0.95),
        "screened_to_100": screened_to_recall(sequence, 1.0),
        "wss_95": round(wss(sequence, total, 0.95), 4),
        "recall_at_10pct": round(recall_after(sequence, total, 0.10), 4),
        "stop_rule": f"buscar (recall {recall_target:g}, confidence {confidence:g})",
        "stopped_at": stop,
        "recall_at_stop": round(float(curve[stop - 1]), 4) if stop else None,
        "refits": simulation.refits,
    }
