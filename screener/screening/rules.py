"""Votes, resolutions and the outcome they give a record at one stage.

Core module: pure functions and frozen dataclasses, no IO. Conflicts are derived here from
the stored decisions and resolutions, never stored twice.

The rules, per record and stage:

- Each decision falls in a class: include, exclude or not-retrieved; maybe falls in the
  class `settings.maybe_counts_as` (include by default).
- Votes *conflict* when their classes differ (include vs exclude, include vs
  not-retrieved, exclude vs not-retrieved - PRISMA counts the last two in different
  boxes), or, at full-text with `reason_conflicts_at_full_text`, when excludes give
  different reasons (compared ignoring case and spacing). With `required_for(stage) == 1`
  votes never conflict: the earliest vote (by `decided_at`) stands and later ones are
  checks that only show in the agreement figures.
- The outcome's status is "resolved" when an adjudicator's resolution exists (it
  overrides the votes, however many); else "undecided" while fewer than the required
  votes are in (even if those disagree, so nobody is told before everyone has voted);
  else "conflict" or "decided".
- A decided outcome's decision is "maybe" when every vote is maybe, else the class
  (include / exclude / not-retrieved). Its reason is the excludes' most frequent
  non-empty reason; ties go to the reason listed first in `settings.exclusion_reasons`,
  then alphabetical order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from screener.errors import InvariantError
from screener.screening.settings import (
    DECISIONS,
    EXCLUDE,
    FULL_TEXT,
    INCLUDE,
    MAYBE,
    STAGES,
    TITLE_ABSTRACT,
    DecisionError,
    ReviewSettings,
)

UNDECIDED = "undecided"
CONFLICT = "conflict"
DECIDED = "decided"
RESOLVED = "resolved"
STATUSES = (UNDECIDED, CONFLICT, DECIDED, RESOLVED)
RECONCILED = frozenset({DECIDED, RESOLVED})


@dataclass(frozen=True, slots=True)
class Vote:
    """One reviewer's decision on one record at one stage (a row of `decisions`)."""

    record_id: int
    stage: str
    reviewer: str
    decision: str
    reason: str = ""
    note: str = ""
    decided_at: str = ""


@dataclass(frozen=True, slots=True)
class Resolution:
    """An adjudicator's final word on a record at a stage (a row of `resolutions`)."""

    record_id: int
    stage: str
    decision: str
    reason: str
    rationale: str
    adjudicator: str
    resolved_at: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a record stands at a stage. `decision` and `reason` are '' unless the status
    is decided or resolved; `votes` counts the votes cast (also when resolved)."""

    record_id: int
    stage: str
    status: str
    decision: str
    reason: str
    votes: int


class _StageRules:
    """What `settings` says for one stage, precomputed for the hot loop in `outcomes`."""

    __slots__ = ("stage", "required", "classes", "reason_conflicts", "reason_rank")

    def __init__(self, settings: ReviewSettings, stage: str) -> None:
        if stage not in STAGES:
            raise DecisionError(f"unknown stage {stage!r}: use title-abstract or full-text.")
        self.stage = stage
        self.required = settings.required_for(stage)
        self.classes = {d: d for d in DECISIONS}
        self.classes[MAYBE] = settings.maybe_counts_as
        self.reason_conflicts = stage == FULL_TEXT and settings.reason_conflicts_at_full_text
        self.reason_rank = {r: i for i, r in enumerate(settings.exclusion_reasons)}

    def class_of(self, vote: Vote) -> str:
        try:
            return self.classes[vote.decision]
        except KeyError:
            raise InvariantError(
                f"vote by {vote.reviewer} on record {vote.record_id} has unknown decision "
                f"{vote.decision!r}."
            ) from None


def decision_class(decision: str, settings: ReviewSettings) -> str:
    """include / exclude / not-retrieved: what a decision counts as (maybe per settings)."""
    if decision not in DECISIONS:
        raise DecisionError(f"unknown decision {decision!r}.")
    return settings.maybe_counts_as if decision == MAYBE else decision


def is_conflict(votes: Sequence[Vote], settings: ReviewSettings, stage: str) -> bool:
    """Whether the votes of one record at `stage` disagree (see the module rules).

    Only the disagreement is judged here, not whether enough votes are in: `outcome`
    adds that. Votes of other stages are ignored; never a conflict with required == 1.
    """
    rules = _StageRules(settings, stage)
    votes = [v for v in votes if v.stage == stage]
    if len({v.record_id for v in votes}) > 1:
        raise InvariantError("is_conflict takes the votes of one record.")
    return rules.required > 1 and _disagree(votes, rules)


def _disagree(votes: Sequence[Vote], rules: _StageRules) -> bool:
    classes = {rules.class_of(v) for v in votes}
    if len(classes) > 1:
        return True
    if rules.reason_conflicts and EXCLUDE in classes:
        reasons = {_key(v.reason) for v in votes if v.decision == EXCLUDE and v.reason.strip()}
        return len(reasons) > 1
    return False


def outcome(
    record_id: int,
    stage: str,
    votes: Sequence[Vote],
    resolution: Resolution | None,
    settings: ReviewSettings,
) -> Outcome:
    """The outcome of one record at `stage` from its votes and resolution (or None)."""
    for vote in votes:
        if vote.record_id != record_id or vote.stage != stage:
            raise InvariantError(
                f"outcome of record {record_id} at {stage} was given a vote on record "
                f"{vote.record_id} at {vote.stage}."
            )
    if resolution is not None and (resolution.record_id != record_id or resolution.stage != stage):
        raise InvariantError(f"outcome of record {record_id} was given another's resolution.")
    return _decide(record_id, votes, resolution, _StageRules(settings, stage))


def outcomes(
    votes: Iterable[Vote],
    resolutions: Iterable[Resolution],
    settings: ReviewSettings,
    stage: str,
    record_ids: Iterable[int],
) -> dict[int, Outcome]:
    """Outcomes at `stage` for every id in `record_ids`, in one pass over the votes.

    Votes and resolutions of other stages or other records are ignored, so the caller can
    pass everything it loaded.
    """
    rules = _StageRules(settings, stage)
    by_record: dict[int, list[Vote]] = {}
    for vote in votes:
        if vote.stage == stage:
            group = by_record.get(vote.record_id)
            if group is None:
                by_record[vote.record_id] = [vote]
            else:
                group.append(vote)
    resolved = {r.record_id: r for r in resolutions if r.stage == stage}
    none: list[Vote] = []
    return {
        rid: _decide(rid, by_record.get(rid, none), resolved.get(rid), rules) for rid in record_ids
    }


def _decide(
    record_id: int, votes: Sequence[Vote], resolution: Resolution | None, rules: _StageRules
) -> Outcome:
    n = len(votes)
    stage = rules.stage
    if resolution is not None:
        return Outcome(record_id, stage, RESOLVED, resolution.decision, resolution.reason, n)
    if n < rules.required:
        return Outcome(record_id, stage, UNDECIDED, "", "", n)
    # Fast paths for the common cases, so `outcomes` over 100k records stays quick.
    first = votes[0]
    decision = first.decision
    if n == 1 and decision in rules.classes:
        reason = first.reason.strip() if decision == EXCLUDE else ""
        return Outcome(record_id, stage, DECIDED, decision, reason, n)
    if n == 2 and first.reviewer != votes[1].reviewer:
        second = votes[1]
        if decision == second.decision and first.reason == second.reason:
            if decision in rules.classes:
                reason = first.reason.strip() if decision == EXCLUDE else ""
                return Outcome(record_id, stage, DECIDED, decision, reason, n)
        elif rules.required == 2:
            classes = rules.classes
            cls = classes.get(decision)
            if cls is not None and cls != classes.get(second.decision, cls):
                return Outcome(record_id, stage, CONFLICT, "", "", n)
    return _decide_mixed(record_id, votes, rules)


def _decide_mixed(record_id: int, votes: Sequence[Vote], rules: _StageRules) -> Outcome:
    n = len(votes)
    stage = rules.stage
    if len({v.reviewer for v in votes}) != n:
        raise InvariantError(f"record {record_id} has two votes by one reviewer at {stage}.")
    if rules.required == 1:
        votes = [min(votes, key=_decided_at)]
    elif _disagree(votes, rules):
        return Outcome(record_id, stage, CONFLICT, "", "", n)
    cls = rules.class_of(votes[0])
    if all(v.decision == MAYBE for v in votes):
        return Outcome(record_id, stage, DECIDED, MAYBE, "", n)
    reason = _common_reason(votes, rules) if cls == EXCLUDE else ""
    return Outcome(record_id, stage, DECIDED, cls, reason, n)


def _decided_at(vote: Vote) -> str:
    return vote.decided_at


def _key(reason: str) -> str:
    return " ".join(reason.split()).casefold()


def _common_reason(votes: Sequence[Vote], rules: _StageRules) -> str:
    reasons = [v.reason.strip() for v in votes if v.decision == EXCLUDE and v.reason.strip()]
    if not reasons:
        return ""
    if len(reasons) == 1:
        return reasons[0]
    counts = Counter(reasons)
    unlisted = len(rules.reason_rank)
    return min(counts, key=lambda r: (-counts[r], rules.reason_rank.get(r, unlisted), r))


def final_class(o: Outcome, settings: ReviewSettings) -> str:
    """include / exclude / not-retrieved for a decided or resolved outcome, else ''."""
    if o.status not in RECONCILED:
        return ""
    return decision_class(o.decision, settings)


def passes_to_full_text(o: Outcome, settings: ReviewSettings) -> bool:
    """A title-abstract outcome that sends the record to full-text screening: decided or
    resolved as include, or as maybe when `maybe_counts_as` is include."""
    return o.stage == TITLE_ABSTRACT and final_class(o, settings) == INCLUDE


def is_included(o: Outcome, settings: ReviewSettings) -> bool:
    """A full-text outcome that includes the record in the review."""
    return o.stage == FULL_TEXT and final_class(o, settings) == INCLUDE


def may_adjudicate(person: str, settings: ReviewSettings) -> bool:
    """Only the people listed in `adjudicators` resolve conflicts (they may also review)."""
    return person in settings.adjudicators


def check_resolution(
    adjudicator: str,
    current: Outcome,
    decision: str,
    reason: str,
    settings: ReviewSettings,
) -> None:
    """Raise `DecisionError` unless `adjudicator` may resolve `current` with this decision:
    they are listed as an adjudicator, the record is in conflict (or resolved, to revise),
    and the decision obeys `validate_decision`."""
    if not may_adjudicate(adjudicator, settings):
        listed = ", ".join(settings.adjudicators) or "nobody yet"
        raise DecisionError(
            f"{adjudicator} is not an adjudicator of this review (adjudicators: {listed}); "
            "add them to adjudicators in review.toml."
        )
    if current.status not in (CONFLICT, RESOLVED):
        raise DecisionError(
            f"record {current.record_id} is {current.status} at {current.stage}, not in "
            "conflict: there is nothing to resolve."
        )
    settings.validate_decision(current.stage, decision, reason)


def check_reviewer(person: str, settings: ReviewSettings) -> None:
    """Raise `DecisionError` when reviewers are listed and `person` is not one of them."""
    if settings.reviewers and person not in settings.reviewers:
        raise DecisionError(
            f"{person} is not a reviewer of this review (reviewers: "
            f"{', '.join(settings.reviewers)}); add them to reviewers in review.toml."
        )
