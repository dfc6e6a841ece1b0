"""Stopping rules for prioritised screening, computed on one reviewer's own sequence.

Core module: pure functions over the 0/1 labels in the order they were screened; no IO.

- `buscar_p(sequence, total, recall)`: the p-value of the hypothesis "recall so far is
  below `recall`" (Callaghan & Müller-Hansen 2020, Systematic Reviews 9:273): the most
  recent records are treated as a random sample from the pool still unscreened; ranking
  makes that sample richer in includes than the pool, so the test is conservative;
- `consecutive_excludes(sequence)`: the run of excludes at the end (a heuristic with no
  recall guarantee, reported beside the test because people use it);
- `StopCheck` / `check_stopping(...)`: both rules, whether the chosen one is met, and why;
- `stopping_point(...)`: where the test first stops in a complete sequence (simulation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BUSCAR = "buscar"
CONSECUTIVE = "consecutive"
RULES = (BUSCAR, CONSECUTIVE)


def buscar_p(sequence: Sequence[int] | np.ndarray, total: int, recall: float) -> float:
    """p-value for "recall < `recall`" after screening `sequence` (0/1, in screening
    order) out of `total` records. 1.0 when nothing is found yet.

    With r includes found, recall below the target means at least
    K = floor(r / recall) - r + 1 includes are still unseen. For every window of the last
    j screened records, holding k_j includes, the chance of seeing k_j or fewer includes
    in j draws from the window plus the unscreened pool (N - n + j records holding
    K + k_j includes) is the hypergeometric CDF; p is the smallest over all windows.
    """
    labels = np.asarray(sequence, dtype=np.int64)
    n, found = len(labels), int(labels.sum())
    if not 0 < recall <= 1:
        raise ValueError("recall must be in (0, 1]")
    if found == 0 or n == 0:
        return 1.0
    if n >= total:
        return 0.0
    missing = math.floor(found / recall + 1e-9) - found + 1
    latest_first = labels[::-1]
    in_window = np.cumsum(latest_first)  # includes among the last j screened, j = 1..n
    # Among windows holding the same number of includes, the longest has the smallest p
    # (more draws, same successes), so only the windows that end just before an include
    # (going back in time) and the whole sequence need testing: r + 1 windows, not n.
    windows = np.unique(np.append(np.flatnonzero(latest_first[1:] == 1) + 1, n))
    k = in_window[windows - 1]
    population = total - n + windows
    successes = missing + k
    if (successes > population).any():
        return 0.0  # the pool cannot hold that many includes: recall is already reached
    return float(np.min(hypergeom_cdf(k, population, successes, windows)))


def hypergeom_cdf(k, population, successes, draws) -> np.ndarray:
    """P(X <= k) for X hypergeometric (vectorised; scipy.stats would cost seconds to import).
    Sums the probability mass of 0..k successes, computed in logs."""
    k, m, s, d = (
        np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (k, population, successes, draws)
    )
    i = np.arange(int(k.max()) + 1, dtype=np.float64)[None, :]
    k, m, s, d = k[:, None], m[:, None], s[:, None], d[:, None]
    valid = (i <= k) & (i <= s) & (d - i <= m - s) & (i <= d)
    with np.errstate(invalid="ignore"):
        log_mass = _log_choose(s, i) + _log_choose(m - s, d - i) - _log_choose(m, d)
    mass = np.where(valid, np.exp(np.where(valid, log_mass, 0.0)), 0.0)
    return np.minimum(mass.sum(axis=1), 1.0)


def _log_choose(n, k):
    """log C(n, k) for whole numbers (arrays of floats); entries with k outside 0..n are
    garbage, masked by the caller."""
    n, k = n.astype(np.int64), k.astype(np.int64)
    top = int(max(n.max(initial=0), k.max(initial=0))) if n.size else 0
    table = _log_factorials(top)
    return table[np.clip(n, 0, top)] - table[np.clip(k, 0, top)] - table[np.clip(n - k, 0, top)]


_LOG_FACTORIALS = np.zeros(1)  # log(k!) for k = 0, 1, ...: grown as needed


def _log_factorials(top: int) -> np.ndarray:
    """log(k!) for k = 0..top at least (math.lgamma: no need to import scipy.special)."""
    global _LOG_FACTORIALS
    if len(_LOG_FACTORIALS) <= top:
        size = max(top + 1, 2 * len(_LOG_FACTORIALS), 1024)
        _LOG_FACTORIALS = np.fromiter((math.lgamma(k + 1) for k in range(size)), np.float64, size)
    return _LOG_FACTORIALS


def consecutive_excludes(sequence: Sequence[int] | np.ndarray) -> int:
    """How many records at the end of the sequence were excluded in a row."""
    labels = np.asarray(sequence, dtype=np.int64)
    hits = np.flatnonzero(labels)
    return len(labels) if not len(hits) else len(labels) - 1 - int(hits[-1])


@dataclass(frozen=True)
class StopCheck:
    """The outcome of checking a stopping rule on one reviewer's sequence."""

    rule: str
    met: bool
    screened: int
    total: int
    found: int
    recall: float
    confidence: float
    p_value: float
    run_of_excludes: int
    consecutive: int
    reason: str

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "met": self.met,
            "screened": self.screened,
            "total": self.total,
            "includes_found": self.found,
            "recall_target": self.recall,
            "confidence": self.confidence,
            "p_value": round(self.p_value, 6),
            "consecutive_excludes": self.run_of_excludes,
            "consecutive_needed": self.consecutive,
            "reason": self.reason,
        }


def check_stopping(
    sequence: Sequence[int] | np.ndarray,
    total: int,
    *,
    rule: str = BUSCAR,
    recall: float = 0.95,
    confidence: float = 0.95,
    consecutive: int = 100,
) -> StopCheck:
    """Whether `rule` says screening may stop after `sequence` (0/1 in screening order)."""
    if rule not in RULES:
        raise ValueError(f"unknown stopping rule {rule!r}: use {' or '.join(RULES)}")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    labels = np.asarray(sequence, dtype=np.int64)
    p = buscar_p(labels, total, recall)
    run = consecutive_excludes(labels)
    found = int(labels.sum())
    if rule == BUSCAR:
        met = p < 1 - confidence
        reason = _buscar_reason(met, p, found, len(labels), total, recall, confidence)
    else:
        met = found > 0 and run >= consecutive
        reason = (
            f"{run} excludes in a row (needs {consecutive}); a heuristic with no recall "
            f"guarantee (the hypergeometric test gives p = {p:.3g})."
        )
    return StopCheck(
        rule, met, len(labels), total, found, recall, confidence, p, run, consecutive, reason
    )


def _buscar_reason(met, p, found, screened, total, recall, confidence) -> str:
    if found == 0:
        return "no include found yet: nothing to estimate recall from."
    verdict = "below" if met else "not below"
    outcome = "stop" if met else "keep screening"
    return (
        f"p = {p:.3g} that recall is under {recall:.0%} after {screened:,} of {total:,} "
        f"records ({found} includes); {verdict} {1 - confidence:.3g}: {outcome}."
    )


def stopping_point(
    sequence: Sequence[int] | np.ndarray,
    total: int,
    *,
    recall: float = 0.95,
    confidence: float = 0.95,
    check_every: int = 1,
) -> int | None:
    """The number screened when the test first says stop, checking after every
    `check_every` records (later checks only make it stop later); None if it never does.
    `sequence` may be shorter than `total`: the records after it are taken as excludes
    (a simulation that found every include need not replay the rest).

    Between two includes the p-value only falls: each exclude screened lengthens every
    window by one draw with the same includes in the same pool. So each stretch after an
    include is tested at its end, and searched by bisection only if it stops there: some
    fifty tests instead of one per record."""
    labels = np.zeros(total, dtype=np.int64)
    labels[: len(sequence)] = sequence
    hits = np.flatnonzero(labels)
    if not len(hits):
        return None
    step, first = max(1, check_every), int(hits[0]) + 1
    alpha = 1 - confidence

    def stops(n: int) -> bool:
        return buscar_p(labels[:n], total, recall) < alpha

    for start, end in zip(hits + 1, [*hits[1:], total], strict=True):
        low = first + -(-(int(start) - first) // step) * step  # first check in the stretch
        if low > end:
            continue
        high = first + (int(end) - first) // step * step  # last check in the stretch
        if not stops(high):
            continue
        while low < high:  # the first check that stops
            middle = low + (high - low) // step // 2 * step
            if stops(middle):
                high = middle
            else:
                low = middle + step
        return low
    return None
