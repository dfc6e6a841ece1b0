"""Blinding: which votes a person may see. Enforced here, in the core, so every front end
shows the same thing.

Core module: pure functions, no IO.

The rule, for each vote and a `viewer`:

1. A viewer always sees their own votes.
2. Another person's vote on record R at stage S is shown only when `outcomes_by_record`
   holds an outcome for R *at stage S* and that outcome is reconciled: status "decided"
   (at least the required votes are in and they agree) or "resolved" (an adjudicator
   has ruled). Then everyone sees every vote on R at S.
3. A viewer named in `adjudicators` also sees every vote on R at S while that outcome's
   status is "conflict" (the required votes are in and disagree), so they can rule.
4. Everything else is hidden: undecided records (even from adjudicators, even when the
   votes already in disagree), records or stages with no outcome given (fail closed).

Outcome *status* is not blinded by this module: a reviewer who is shown "conflict" on a
record learns only that someone disagreed, after everyone required has voted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from screener.screening.rules import CONFLICT, RECONCILED, Outcome, Vote


def visible_votes(
    votes: Sequence[Vote],
    viewer: str,
    outcomes_by_record: Mapping[int, Outcome],
    adjudicators: Iterable[str],
) -> list[Vote]:
    """The votes `viewer` may see, in the order given (see the module rule)."""
    is_adjudicator = viewer in _names(adjudicators)
    shown = []
    for vote in votes:
        if vote.reviewer == viewer:
            shown.append(vote)
            continue
        current = outcomes_by_record.get(vote.record_id)
        if current is not None and current.stage == vote.stage and _open(current, is_adjudicator):
            shown.append(vote)
    return shown


def may_see_votes(viewer: str, current: Outcome | None, adjudicators: Iterable[str]) -> bool:
    """Whether `viewer` may see other people's votes on the record and stage of `current`
    (their own votes they always see)."""
    return current is not None and _open(current, viewer in _names(adjudicators))


def _open(current: Outcome, is_adjudicator: bool) -> bool:
    return current.status in RECONCILED or (is_adjudicator and current.status == CONFLICT)


def _names(adjudicators: Iterable[str]) -> set[str]:
    # A lone name passed as a string must not become a set of its letters.
    return {adjudicators} if isinstance(adjudicators, str) else set(adjudicators)
