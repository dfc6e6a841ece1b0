"""Ranking use cases: the review's cached text features, what each reviewer's model may
learn from, the order of a reviewer's title-abstract queue, stopping checks and the
decision to stop screening.

Blinding: a reviewer's model learns from their own votes and from reconciled final
decisions (decided by agreement, or resolved by an adjudicator) only, never from another
reviewer's vote that is still blinded; `reviewer_labels` is the one place that decides.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from screener.errors import ScreenerError
from screener.screening import (
    INCLUDE,
    RECONCILED,
    STAGES,
    TITLE_ABSTRACT,
    ReviewSettings,
    decision_class,
    final_class,
    stopping,
)
from screener.screening import ranking as core
from screener.screening.settings import RANDOM, STORED
from screener.store import Store
from screener.workflow import screening as screening_flow
from screener.workflow.automation import STOP_KEY, automatically_excluded, screening_stop

RANKING_KEY = "ranking"
# Up to this many records, opening a queue ranks it at once (features in ~2 s if not
# cached); a larger queue opens in the seeded random order and the screen's worker ranks it.
INLINE_FEATURES = 5_000


# ---- features ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureSet:
    """Text features of every record of the review: row i belongs to record ids[i]. The
    ranker fitted on them is kept here too, so a screen that refits after every few
    decisions reuses what the last fit computed."""

    ids: np.ndarray
    matrix: sparse.csr_matrix
    fingerprint: str = ""
    rankers: dict[int, core.Ranker] = field(default_factory=dict, compare=False, repr=False)

    def rows(self, record_ids: Sequence[int]) -> np.ndarray:
        return np.searchsorted(self.ids, np.asarray(record_ids, dtype=np.int64))

    def ranker(self, seed: int) -> core.Ranker:
        return self.rankers.setdefault(seed, core.default_ranker(seed))


def review_features(
    store: Store,
    progress: Callable[[str], None] | None = None,
    cached_only: bool = False,
    reuse: FeatureSet | None = None,
) -> FeatureSet | None:
    """The features of every record: `reuse` (the set a caller already holds) or the
    cached ones while the records are unchanged, else computed (some seconds per 100,000
    records) and cached. With `cached_only`, None instead of computing."""
    fingerprint = f"{FEATURES_FORMAT}|{core.FEATURES_NAME}|{store.records_fingerprint()}"
    if reuse is not None and reuse.fingerprint == fingerprint:
        return reuse
    cached = store.load_features(fingerprint)
    if cached is not None:
        return _decode(cached, fingerprint)
    if cached_only:
        return None
    if progress:
        progress("computing the text features of the records (once per change)")
    ids: list[int] = []

    def texts() -> Iterator[str]:  # streamed: 100,000 abstracts are not held at once
        for record_id, title, abstract in store.record_texts():
            ids.append(record_id)
            yield core.record_text(title, abstract)

    matrix = core.text_features(texts())
    features = FeatureSet(np.asarray(ids, dtype=np.int64), matrix, fingerprint)
    store.save_features(fingerprint, _encode(features))
    return features


def cache_features(db_path: str) -> None:
    """Compute and cache the features of the review at `db_path` (run in a child process
    by the screen, so tokenising 100,000 abstracts never holds up a keypress)."""
    with Store(db_path) as store:
        review_features(store)


FEATURES_FORMAT = "raw-2"  # part of the cache key: a blob in another layout is never read
_ARRAYS = (("ids", np.int64), ("data", np.float32), ("indices", np.int32), ("indptr", np.int64))


def _encode(features: FeatureSet) -> bytes:
    """A JSON header line, then the raw arrays: decoding makes views on the bytes instead
    of copies (at 100,000 records the arrays are some 170 MB)."""
    m = features.matrix
    arrays = {
        "ids": features.ids.astype(np.int64),
        "data": m.data.astype(np.float32),
        "indices": m.indices.astype(np.int32),
        "indptr": m.indptr.astype(np.int64),
    }
    header = {"shape": list(m.shape), "lengths": {k: len(v) for k, v in arrays.items()}}
    parts = [json.dumps(header).encode() + b"\n"]
    parts += [memoryview(arrays[name]).cast("B") for name, _ in _ARRAYS]  # no copies
    return b"".join(parts)


def _decode(blob: bytes, fingerprint: str = "") -> FeatureSet:
    end = blob.index(b"\n")
    header = json.loads(blob[:end])
    offset, arrays = end + 1, {}
    for name, dtype in _ARRAYS:
        count = header["lengths"][name]
        arrays[name] = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
        offset += count * np.dtype(dtype).itemsize
    shape = tuple(header["shape"])
    matrix = sparse.csr_matrix(
        (arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape, copy=False
    )
    # One entry per term (text_features), not in column order. The arrays are views on the
    # read-only blob: a scipy call that sorts indices in place needs `matrix.copy()` first.
    matrix.has_sorted_indices = False
    return FeatureSet(arrays["ids"], matrix, fingerprint)


# ---- what a reviewer's model learns from -------------------------------------------------


def reviewer_labels(
    store: Store, reviewer: str, settings: ReviewSettings, own: Mapping | None = None
) -> dict[int, int]:
    """record id -> 1 (include) / 0 (exclude) that `reviewer`'s model may learn from at
    title-abstract: reconciled final decisions, and the reviewer's own votes elsewhere
    (`own`: their votes as the screen holds them, ahead of what is saved yet).

    With two reviewers and two required votes a reconciled record the reviewer voted on
    is one where the votes agree, so its label equals the reviewer's own: another
    reviewer's vote can never change these labels (tests/test_ranking_workflow.py)."""
    if own is None:
        rows = store.decision_rows(TITLE_ABSTRACT, reviewer)
        votes = {row.record_id: row.decision for row in rows}
    else:
        votes = {record_id: vote.decision for record_id, vote in own.items()}
    labels = {rid: _as_label(decision_class(d, settings)) for rid, d in votes.items()}
    voted = {row.record_id for row in store.decision_rows(TITLE_ABSTRACT)}
    voted |= {row.record_id for row in store.resolution_rows(TITLE_ABSTRACT)}
    if voted:
        current = screening_flow.stage_outcomes(store, TITLE_ABSTRACT, settings, voted)
        for record_id, outcome in current.items():
            if outcome.status in RECONCILED:
                labels[record_id] = _as_label(final_class(outcome, settings))
    return labels


def _as_label(decision_class_: str) -> int:
    return 1 if decision_class_ == INCLUDE else 0


def review_seed(store: Store) -> int:
    """The review's ranking seed: drawn once, stored, so every order is reproducible."""
    text = store.get_setting(RANKING_KEY)
    if text:
        return int(json.loads(text)["seed"])
    seed = secrets.randbelow(2**31)
    store.set_setting(RANKING_KEY, json.dumps({"seed": seed}))
    return seed


# ---- the queue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranking:
    """One reviewer's title-abstract queue: `undecided` in the order to screen."""

    undecided: list[int]
    ranked: bool  # False: the review's seeded random order (no include and exclude yet)
    labels: int
    estimated_remaining: float | None


def random_undecided(ids: Sequence[int], undecided: Sequence[int], seed: int) -> list[int]:
    """`undecided` in the review's seeded random order over all of `ids`."""
    every = np.asarray(sorted(ids), dtype=np.int64)
    wanted = set(undecided)
    return [int(i) for i in every[core.random_order(len(every), seed)] if int(i) in wanted]


def rank_undecided(
    features: FeatureSet,
    labels: Mapping[int, int],
    ids: Sequence[int],
    undecided: Sequence[int],
    seed: int,
) -> Ranking:
    """Order `undecided` (record ids among the stage's `ids`) for a reviewer whose model
    learns from `labels`; the seeded random order until there are both classes."""
    known = {int(row): labels[rid] for rid, row in _rows(features, labels)}
    if not core.can_rank(known):
        return Ranking(random_undecided(ids, undecided, seed), False, len(known), None)
    scores = core.fitted_scores(features.matrix, known, seed, features.ranker(seed))
    order = core.ranked_order(features.matrix, known, seed, scores=scores)
    wanted = np.zeros(features.matrix.shape[0], dtype=bool)
    wanted[[row for _, row in _rows(features, undecided)]] = True
    ordered = features.ids[order[wanted[order]]].tolist()
    placed = set(ordered)  # labelled by a reconciled decision but not by this reviewer: last
    ordered += [i for i in undecided if i not in placed]
    rows = np.fromiter(known, dtype=np.int64)
    y = np.fromiter(known.values(), dtype=np.int64)
    unlabelled = order[np.isin(features.ids[order], list(ids))]
    estimate = core.estimate_remaining(scores[rows], y, scores[unlabelled])
    return Ranking(ordered, True, len(known), estimate)


def _rows(features: FeatureSet, record_ids) -> list[tuple[int, int]]:
    """(record id, feature row) for the ids that have features."""
    ids = list(record_ids)
    if not ids:
        return []
    rows = features.rows(ids)
    rows = np.minimum(rows, len(features.ids) - 1)
    return [(rid, int(r)) for rid, r in zip(ids, rows, strict=True) if features.ids[r] == rid]


def queue_order(
    store: Store, reviewer: str, settings: ReviewSettings, ids: list[int], own: Mapping
) -> list[int]:
    """A title-abstract queue in the review's order: records the reviewer decided first
    (in the order decided), then the undecided ones by relevance, random or stored order."""
    if settings.order == STORED:
        return ids
    in_queue = set(ids)
    done = [v.record_id for v in sorted(own.values(), key=_when) if v.record_id in in_queue]
    left = [i for i in ids if i not in own]
    seed = review_seed(store)
    if settings.order == RANDOM:
        return done + random_undecided(ids, left, seed)
    if len(ids) > INLINE_FEATURES:  # opening stays quick: the screen's worker ranks it
        return done + random_undecided(ids, left, seed)
    labels = reviewer_labels(store, reviewer, settings)
    features = review_features(store) if core.can_rank(labels) else None
    if features is None:
        return done + random_undecided(ids, left, seed)
    return done + rank_undecided(features, labels, ids, left, seed).undecided


def _when(vote) -> tuple:
    return (vote.decided_at or "", vote.record_id)


# ---- stopping -------------------------------------------------------------------------------


def own_sequence(store: Store, reviewer: str, settings: ReviewSettings) -> list[int]:
    """The reviewer's own title-abstract decisions as 0/1, in the order they were made."""
    rows = sorted(
        store.decision_rows(TITLE_ABSTRACT, reviewer),
        key=lambda r: (r.decided_at or "", r.record_id),
    )
    return [_as_label(decision_class(r.decision, settings)) for r in rows]


def stop_check(
    store: Store,
    reviewer: str,
    *,
    rule: str = stopping.BUSCAR,
    recall: float = 0.95,
    confidence: float = 0.95,
    consecutive: int = 100,
) -> stopping.StopCheck:
    """Whether the stopping rule is met on `reviewer`'s own sequence of decisions."""
    settings = screening_flow.load_settings(store)
    reviewer = screening_flow.check_person(settings, reviewer)
    _check_rule(rule, recall, confidence, consecutive)
    total = len(screening_flow.stage_ids(store, TITLE_ABSTRACT, settings))
    sequence = own_sequence(store, reviewer, settings)
    return stopping.check_stopping(
        sequence, total, rule=rule, recall=recall, confidence=confidence, consecutive=consecutive
    )


def _check_rule(rule: str, recall: float, confidence: float, consecutive: int) -> None:
    if rule not in stopping.RULES:
        raise ScreenerError(f"unknown rule {rule!r}: use {' or '.join(stopping.RULES)}.")
    if not 0 < recall <= 1:
        raise ScreenerError(f"--recall {recall}: give a share between 0 and 1, e.g. 0.95.")
    if not 0 < confidence < 1:
        raise ScreenerError(f"--confidence {confidence}: give a share between 0 and 1.")
    if consecutive < 1:
        raise ScreenerError("--consecutive must be at least 1.")


# ---- status, the decision to stop, and the methods text -----------------------------------


def ranking_status(store: Store, reviewer: str) -> dict:
    """A reviewer's own progress at title-abstract, how their queue is ordered and how
    many includes the model expects among what they have not screened (blinding: their
    own numbers and reconciled decisions only)."""
    settings = screening_flow.load_settings(store)
    reviewer = screening_flow.check_person(settings, reviewer)
    ids = screening_flow.stage_ids(store, TITLE_ABSTRACT, settings)
    in_stage = set(ids)
    own = [r for r in store.decision_rows(TITLE_ABSTRACT, reviewer) if r.record_id in in_stage]
    counts = {d: sum(1 for r in own if r.decision == d) for d in ("include", "exclude", "maybe")}
    status = {
        "reviewer": reviewer,
        "order": settings.order,
        "records": len(ids),
        "screened": len(own),
        "remaining": len(ids) - len(own),
        **counts,
        "ranked": False,
        "learned_from": 0,
        "estimated_relevant_remaining": None,
    }
    if settings.order == "relevance":
        labels = reviewer_labels(store, reviewer, settings)
        status["learned_from"] = len(labels)
        if core.can_rank(labels):
            decided = {r.record_id for r in own}
            left = [i for i in ids if i not in decided]
            ranking = rank_undecided(review_features(store), labels, ids, left, review_seed(store))
            status["ranked"] = True
            estimate = ranking.estimated_remaining
            status["estimated_relevant_remaining"] = round(estimate, 1) if estimate else 0.0
    status["stopping"] = stop_check(store, reviewer).as_dict()
    return status


def stop_screening(
    store: Store,
    stage: str,
    adjudicator: str,
    reviewers: Sequence[str],
    *,
    rule: str = stopping.BUSCAR,
    recall: float = 0.95,
    confidence: float = 0.95,
    consecutive: int = 100,
) -> dict:
    """Record that title-abstract screening stops by a rule, with the rule's statistics
    per reviewer. Refused unless the rule is met for every reviewer named (default: every
    reviewer who has screened). Records nobody has screened are then counted in PRISMA as
    marked ineligible by automation tools, never as excluded by reviewers."""
    if stage != TITLE_ABSTRACT:
        raise ScreenerError(
            "only title-abstract screening can stop by a rule; at full text "
            "every report is assessed."
        )
    settings = screening_flow.load_settings(store)
    adjudicator = screening_flow.check_person(settings, adjudicator)
    if settings.adjudicators and adjudicator not in settings.adjudicators:
        raise ScreenerError(
            f"{adjudicator!r} is not an adjudicator of this review "
            f"({', '.join(settings.adjudicators)}): an adjudicator decides."
        )
    _check_rule(rule, recall, confidence, consecutive)
    names = list(reviewers) or sorted({r.reviewer for r in store.decision_rows(TITLE_ABSTRACT)})
    if not names:
        raise ScreenerError("nobody has screened yet: there is no sequence to stop on.")
    checks = [
        stop_check(
            store, name, rule=rule, recall=recall, confidence=confidence, consecutive=consecutive
        )
        for name in names
    ]
    unmet = [(n, c) for n, c in zip(names, checks, strict=True) if not c.met]
    if unmet:
        name, check = unmet[0]
        raise ScreenerError(
            f"the {rule} rule is not met for {name}: {check.reason} "
            "Keep screening, then check again with `screener ranking stop-check`."
        )
    decision = {
        "stage": stage,
        "rule": rule,
        "recall_target": recall,
        "confidence": confidence,
        "consecutive": consecutive if rule == stopping.CONSECUTIVE else None,
        "decided_by": adjudicator,
        "decided_at": _now(),
        "reviewers": {n: c.as_dict() for n, c in zip(names, checks, strict=True)},
    }
    store.set_setting(STOP_KEY, json.dumps(decision, sort_keys=True))
    decision["marked_by_automation"] = len(automatically_excluded(store))
    return decision


def _now() -> str:
    from screener.store import now

    return now()


def methods(store: Store) -> dict:
    """What PRISMA 2020 item 8 asks about automation: the tool, model, features, how the
    queue was ordered, the stopping rule and recall target, the numbers screened."""
    from screener import __version__

    settings = screening_flow.load_settings(store)
    ids = screening_flow.stage_ids(store, TITLE_ABSTRACT, settings)
    in_stage = set(ids)
    screened = {r.record_id for r in store.decision_rows(TITLE_ABSTRACT)} & in_stage
    stop = screening_stop(store)
    info = {
        "tool": f"screener {__version__}",
        "order": settings.order,
        "model": core.MODEL_NAME if settings.order == "relevance" else None,
        "features": core.FEATURES_NAME if settings.order == "relevance" else None,
        "training": (
            "each reviewer's own title-abstract decisions and reconciled final decisions "
            f"(every include, and up to {core.MAX_TRAINING_EXCLUDES:,} excludes, a fixed "
            "seeded sample beyond that); retrained after every include and every few excludes"
            if settings.order == "relevance"
            else None
        ),
        "records": len(ids),
        "screened_by_people": len(screened),
        "stopping": stop,
        "marked_by_automation": len(automatically_excluded(store, ids)) if stop else 0,
        "votes_changed_after_other_voted": {
            stage: len(screening_flow.count_late_changes(store, stage)) for stage in STAGES
        },
    }
    return info


def methods_text(info: dict) -> str:
    """The methods paragraph (PRISMA 2020 item 8) from `methods`."""
    parts = []
    if info["order"] == "relevance":
        parts.append(
            f"Title and abstract screening used screening prioritisation in {info['tool']}: "
            f"each reviewer's queue was ordered by a {info['model']} trained on "
            f"{info['features']}, from {info['training']}. Until a reviewer had one include "
            "and one exclude, records were shown in a seeded random order."
        )
    else:
        order = "a seeded random order" if info["order"] == "random" else "the stored order"
        parts.append(
            f"Titles and abstracts were screened in {info['tool']} in {order}; no "
            "automation ranked the records."
        )
    stop = info["stopping"]
    screened = f"{info['screened_by_people']:,} of {info['records']:,} records"
    if stop:
        rule = (
            f"the hypergeometric stopping criterion of Callaghan and Müller-Hansen (2020) "
            f"with a recall target of {stop['recall_target']:.0%} at {stop['confidence']:.0%}"
            " confidence, computed on each reviewer's own sequence of decisions"
            if stop["rule"] == stopping.BUSCAR
            else f"a heuristic rule ({stop['consecutive']} consecutive excludes; no recall "
            f"guarantee), recall target {stop['recall_target']:.0%}"
        )
        parts.append(
            f"Screening stopped by {rule}, decided by {stop['decided_by']} on "
            f"{stop['decided_at'][:10]}. People screened {screened}; the "
            f"{info['marked_by_automation']:,} records not screened are reported as "
            "marked ineligible by automation tools."
        )
    else:
        parts.append(f"People screened {screened}; no stopping rule was applied.")
    changed = info.get("votes_changed_after_other_voted") or {}
    if any(changed.values()):
        where = ", ".join(f"{n} at {stage}" for stage, n in changed.items() if n)
        parts.append(
            f"Agreement was computed on each reviewer's first independent vote; {where} "
            "vote(s) were changed after the other reviewer had voted (listed for the "
            "adjudicator by conflicts --changed)."
        )
    return " ".join(parts)
