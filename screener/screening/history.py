"""Independent votes and late changes, replayed from the history of decisions.

Core module: pure functions over `VoteEvent`s (the audit log's decision entries, in the
order they were written), no IO.

A reviewer's vote is *independent* while no other reviewer's vote on the record could
have shaped it. Blinding hides the other votes, but a reviewer can still infer one: a
record that stays unreconciled after both have voted is a conflict. So for each record
the history is replayed in write order until the moment the first `needed` reviewers all
have a vote standing at once (the record's required votes were in); the votes standing
then are the independent ones, and agreement is computed on them. A reviewer who first
votes after that moment contributes that first vote. Any later change of decision by a
reviewer whose vote was in the snapshot is a *late change*: listed for the adjudicator
(`conflicts --changed`) and counted in the methods, because it may erase a conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from screener.screening.rules import Vote


@dataclass(frozen=True)
class VoteEvent:
    """One write of a decision: `decision` is "" when the vote was deleted (undo)."""

    seq: int  # the order of writes (audit log id)
    record_id: int
    stage: str
    reviewer: str
    decision: str
    reason: str = ""
    at: str = ""


@dataclass(frozen=True)
class LateChange:
    """A vote changed after the record's required votes were in."""

    record_id: int
    stage: str
    reviewer: str
    before: str  # the decision it replaced ("" if there was none standing)
    after: str  # the new decision ("" if withdrawn)
    at: str
    first: str = ""  # the reviewer's independent decision, which agreement counts


def independent_votes(
    events: Iterable[VoteEvent], needed: int = 2
) -> tuple[list[Vote], list[LateChange]]:
    """The independent vote of every reviewer on every record, and every late change.

    `needed` is how many reviewers' votes make a record's votes complete (at least 2; a
    record only ever voted on by one reviewer keeps that reviewer's current vote)."""
    by_record: dict[tuple[int, str], list[VoteEvent]] = {}
    for event in sorted(events, key=lambda e: e.seq):
        by_record.setdefault((event.record_id, event.stage), []).append(event)
    votes: list[Vote] = []
    changes: list[LateChange] = []
    for (record_id, stage), history in by_record.items():
        got, late = _replay(record_id, stage, history, max(needed, 2))
        votes.extend(got)
        changes.extend(late)
    return votes, changes


def _replay(
    record_id: int, stage: str, history: list[VoteEvent], needed: int
) -> tuple[list[Vote], list[LateChange]]:
    standing: dict[str, VoteEvent] = {}
    snapshot: dict[str, VoteEvent] | None = None
    changes: list[LateChange] = []
    for event in history:
        if snapshot is None:
            if event.decision:
                standing[event.reviewer] = event
            else:
                standing.pop(event.reviewer, None)
            if len(standing) >= needed:
                snapshot = dict(standing)
            continue
        first = snapshot.get(event.reviewer)
        if first is None:
            if event.decision and event.reviewer not in standing:
                standing[event.reviewer] = event  # a later reviewer's own first vote
                snapshot[event.reviewer] = event
            continue
        now = standing.get(event.reviewer)
        was = now.decision if now else ""
        if event.decision != was:
            changes.append(
                LateChange(
                    record_id, stage, event.reviewer, was, event.decision, event.at, first.decision
                )
            )
        if event.decision:
            standing[event.reviewer] = event
        else:
            standing.pop(event.reviewer, None)
    chosen = snapshot if snapshot is not None else standing
    votes = [
        Vote(record_id, stage, who, e.decision, e.reason, "", e.at) for who, e in chosen.items()
    ]
    return votes, changes
