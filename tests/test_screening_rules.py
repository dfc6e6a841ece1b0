"""Outcomes and conflicts from votes and resolutions, and blinding."""

from __future__ import annotations

import time

import pytest

from screener.errors import InvariantError
from screener.screening import (
    CONFLICT,
    DECIDED,
    RESOLVED,
    UNDECIDED,
    DecisionError,
    Outcome,
    Resolution,
    ReviewSettings,
    Vote,
    check_resolution,
    check_reviewer,
    final_class,
    is_conflict,
    is_included,
    may_see_votes,
    outcome,
    outcomes,
    passes_to_full_text,
    visible_votes,
)

TA, FT = "title-abstract", "full-text"
DEFAULT = ReviewSettings()
SINGLE = ReviewSettings(required=1)
MAYBE_EXCLUDES = ReviewSettings(maybe_counts_as="exclude")
REASONS_AGREE = ReviewSettings(reason_conflicts_at_full_text=False)


def votes_of(stage: str, *decisions: str | tuple[str, str]) -> list[Vote]:
    """Votes on record 1 by r0, r1, ...; a decision may be (decision, reason)."""
    made = []
    for i, d in enumerate(decisions):
        decision, reason = d if isinstance(d, tuple) else (d, "")
        made.append(Vote(1, stage, f"r{i}", decision, reason, decided_at=f"2025-01-0{i + 1}"))
    return made


def resolved(decision: str, reason: str = "", stage: str = TA) -> Resolution:
    return Resolution(1, stage, decision, reason, "discussed", "carol", "2025-02-01")


POP, OUT = ("exclude", "Wrong population"), ("exclude", "Wrong outcome")

CASES = [
    # (name, settings, stage, decisions, resolution, status, decision, reason)
    ("no votes", DEFAULT, TA, [], None, UNDECIDED, "", ""),
    ("1 of 2 votes", DEFAULT, TA, ["include"], None, UNDECIDED, "", ""),
    ("1 of 2, already opposed", DEFAULT, TA, ["exclude"], None, UNDECIDED, "", ""),
    ("agree include", DEFAULT, TA, ["include", "include"], None, DECIDED, "include", ""),
    ("agree exclude", DEFAULT, TA, ["exclude", "exclude"], None, DECIDED, "exclude", ""),
    ("include vs exclude", DEFAULT, TA, ["include", "exclude"], None, CONFLICT, "", ""),
    ("maybe + include", DEFAULT, TA, ["maybe", "include"], None, DECIDED, "include", ""),
    ("maybe + maybe", DEFAULT, TA, ["maybe", "maybe"], None, DECIDED, "maybe", ""),
    ("maybe vs exclude", DEFAULT, TA, ["maybe", "exclude"], None, CONFLICT, "", ""),
    (
        "maybe as exclude + exclude",
        MAYBE_EXCLUDES,
        TA,
        ["maybe", ("exclude", "Animals")],
        None,
        DECIDED,
        "exclude",
        "Animals",
    ),
    ("maybe as exclude vs include", MAYBE_EXCLUDES, TA, ["maybe", "include"], None, CONFLICT),
    ("ft same reason", DEFAULT, FT, [POP, POP], None, DECIDED, "exclude", "Wrong population"),
    ("ft different reasons", DEFAULT, FT, [POP, OUT], None, CONFLICT, "", ""),
    (
        "ft different reasons allowed",
        REASONS_AGREE,
        FT,
        [OUT, POP, POP],
        None,
        DECIDED,
        "exclude",
        "Wrong population",  # the most frequent reason
    ),
    (
        "ft reason tie goes to list order",
        REASONS_AGREE,
        FT,
        [OUT, POP],
        None,
        DECIDED,
        "exclude",
        "Wrong population",  # listed before Wrong outcome
    ),
    (
        "ta different reasons are no conflict",
        DEFAULT,
        TA,
        [("exclude", "b"), ("exclude", "a")],
        None,
        DECIDED,
        "exclude",
        "a",
    ),
    (
        "ft reasons differ in case only",
        DEFAULT,
        FT,
        [POP, ("exclude", "wrong population")],
        None,
        DECIDED,
        "exclude",
        "Wrong population",  # the listed spelling wins the tie
    ),
    ("not-retrieved agreed", DEFAULT, FT, ["not-retrieved"] * 2, None, DECIDED, "not-retrieved"),
    ("not-retrieved vs include", DEFAULT, FT, ["not-retrieved", "include"], None, CONFLICT),
    ("not-retrieved vs exclude", DEFAULT, FT, ["not-retrieved", POP], None, CONFLICT),
    ("3 votes, one dissent", DEFAULT, TA, ["include", "include", "exclude"], None, CONFLICT),
    ("3 votes agree", DEFAULT, TA, ["include", "maybe", "include"], None, DECIDED, "include"),
    (
        "resolution overrides conflict",
        DEFAULT,
        TA,
        ["include", "exclude"],
        resolved("exclude", "Animals"),
        RESOLVED,
        "exclude",
        "Animals",
    ),
    (
        "resolution overrides agreement",
        DEFAULT,
        TA,
        ["include", "include"],
        resolved("exclude"),
        RESOLVED,
        "exclude",
    ),
    ("resolution before votes", DEFAULT, TA, [], resolved("include"), RESOLVED, "include"),
    ("required 1: one vote decides", SINGLE, TA, ["exclude"], None, DECIDED, "exclude"),
    ("required 1: first vote stands", SINGLE, TA, ["include", "exclude"], None, DECIDED, "include"),
    ("required 1: no votes", SINGLE, TA, [], None, UNDECIDED),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_outcome(case):
    _name, settings, stage, decisions, resolution, *expected = case
    status, decision, reason = (expected + ["", "", ""])[:3]
    votes = votes_of(stage, *decisions)
    got = outcome(1, stage, votes, resolution, settings)
    assert got == Outcome(1, stage, status, decision, reason, len(votes))
    # The bulk function agrees with the single one.
    assert outcomes(votes, [resolution] if resolution else [], settings, stage, [1]) == {1: got}


def test_required_1_earliest_vote_stands_whatever_the_order():
    later = Vote(1, TA, "a", "include", decided_at="2025-03-01")
    earlier = Vote(1, TA, "b", "exclude", decided_at="2025-01-01")
    assert outcome(1, TA, [later, earlier], None, SINGLE).decision == "exclude"


@pytest.mark.parametrize(
    ("settings", "stage", "decisions", "expected"),
    [
        (DEFAULT, TA, ["include", "exclude"], True),
        (DEFAULT, TA, ["include"], False),
        (DEFAULT, TA, ["exclude"], False),  # one vote: nothing to disagree with
        (DEFAULT, TA, ["maybe", "include"], False),
        (DEFAULT, TA, ["maybe", "exclude"], True),
        (MAYBE_EXCLUDES, TA, ["maybe", "exclude"], False),
        (DEFAULT, FT, [POP, OUT], True),
        (REASONS_AGREE, FT, [POP, OUT], False),
        (DEFAULT, FT, ["not-retrieved", "include"], True),
        (SINGLE, TA, ["include", "exclude"], False),  # required 1: never
    ],
)
def test_is_conflict(settings, stage, decisions, expected):
    assert is_conflict(votes_of(stage, *decisions), settings, stage) is expected


def test_is_conflict_ignores_other_stages():
    votes = votes_of(TA, "include") + votes_of(FT, "exclude")
    assert is_conflict(votes, DEFAULT, TA) is False


def test_is_conflict_takes_one_record():
    votes = [Vote(1, TA, "a", "include"), Vote(2, TA, "b", "exclude")]
    with pytest.raises(InvariantError):
        is_conflict(votes, DEFAULT, TA)


def test_outcome_refuses_votes_of_another_record_or_stage():
    with pytest.raises(InvariantError, match="was given a vote on record 2"):
        outcome(1, TA, [Vote(2, TA, "a", "include")], None, DEFAULT)
    with pytest.raises(InvariantError):
        outcome(1, TA, [Vote(1, FT, "a", "include")], None, DEFAULT)


@pytest.mark.parametrize(
    "votes",
    [
        [Vote(1, TA, "a", "include"), Vote(1, TA, "a", "include")],
        [Vote(1, TA, "a", "include"), Vote(1, TA, "a", "exclude")],
    ],
)
def test_two_votes_by_one_reviewer_is_a_bug(votes):
    with pytest.raises(InvariantError, match="two votes by one reviewer"):
        outcome(1, TA, votes, None, DEFAULT)


def test_unknown_decision_is_a_bug():
    votes = [Vote(1, TA, "a", "yes"), Vote(1, TA, "b", "yes")]
    with pytest.raises(InvariantError, match="unknown decision 'yes'"):
        outcome(1, TA, votes, None, DEFAULT)


def test_unknown_stage():
    with pytest.raises(DecisionError, match="unknown stage"):
        outcomes([], [], DEFAULT, "abstract", [1])


def test_outcomes_filters_stage_and_records():
    votes = [
        Vote(1, TA, "a", "include"),
        Vote(1, TA, "b", "include"),
        Vote(1, FT, "a", "exclude", "Wrong outcome"),
        Vote(2, TA, "a", "exclude"),
        Vote(9, TA, "a", "exclude"),  # not asked for
    ]
    res = [Resolution(2, FT, "include", "", "", "carol", "t")]  # other stage
    got = outcomes(votes, res, DEFAULT, TA, [1, 2, 3])
    assert got == {
        1: Outcome(1, TA, DECIDED, "include", "", 2),
        2: Outcome(2, TA, UNDECIDED, "", "", 1),
        3: Outcome(3, TA, UNDECIDED, "", "", 0),
    }


def test_outcomes_for_100k_records_is_fast():
    """Not a timed assertion: prints the figure, so a slow change shows in `pytest -s`."""
    settings = ReviewSettings(reason_conflicts_at_full_text=True)
    votes = []
    for i in range(100_000):
        votes.append(Vote(i, TA, "alice", "include" if i % 10 else "exclude"))
        votes.append(Vote(i, TA, "bob", "include" if i % 7 else "maybe"))
    started = time.perf_counter()
    got = outcomes(votes, [], settings, TA, range(100_000))
    seconds = time.perf_counter() - started
    assert len(got) == 100_000
    assert got[0].status == CONFLICT  # alice exclude, bob maybe
    assert got[1] == Outcome(1, TA, DECIDED, "include", "", 2)
    print(f"\noutcomes(): 100k records x 2 votes in {seconds:.2f} s")


@pytest.mark.parametrize(
    ("o", "passes", "included", "cls"),
    [
        (Outcome(1, TA, DECIDED, "include", "", 2), True, False, "include"),
        (Outcome(1, TA, DECIDED, "maybe", "", 2), True, False, "include"),
        (Outcome(1, TA, RESOLVED, "include", "", 2), True, False, "include"),
        (Outcome(1, TA, DECIDED, "exclude", "", 2), False, False, "exclude"),
        (Outcome(1, TA, CONFLICT, "", "", 2), False, False, ""),
        (Outcome(1, TA, UNDECIDED, "", "", 1), False, False, ""),
        (Outcome(1, FT, DECIDED, "include", "", 2), False, True, "include"),
        (Outcome(1, FT, RESOLVED, "not-retrieved", "", 2), False, False, "not-retrieved"),
    ],
)
def test_passes_and_included(o, passes, included, cls):
    assert passes_to_full_text(o, DEFAULT) is passes
    assert is_included(o, DEFAULT) is included
    assert final_class(o, DEFAULT) == cls


def test_maybe_does_not_pass_when_it_counts_as_exclude():
    o = Outcome(1, TA, DECIDED, "maybe", "", 2)
    assert passes_to_full_text(o, MAYBE_EXCLUDES) is False


ADJ = ReviewSettings(reviewers=("alice", "bob"), adjudicators=("carol", "alice"))


@pytest.mark.parametrize(
    ("who", "status", "decision", "reason", "error"),
    [
        ("carol", CONFLICT, "include", "", ""),
        ("alice", CONFLICT, "exclude", "Wrong outcome", ""),  # adjudicator who also reviews
        ("carol", RESOLVED, "exclude", "Wrong outcome", ""),  # revising a resolution
        ("bob", CONFLICT, "include", "", "bob is not an adjudicator of this review"),
        ("carol", DECIDED, "include", "", "record 1 is decided at full-text, not in conflict"),
        ("carol", UNDECIDED, "include", "", "is undecided"),
        ("carol", CONFLICT, "exclude", "", "needs a reason"),
    ],
)
def test_check_resolution(who, status, decision, reason, error):
    current = Outcome(1, FT, status, "", "", 2)
    if not error:
        check_resolution(who, current, decision, reason, ADJ)
        return
    with pytest.raises(DecisionError, match=error):
        check_resolution(who, current, decision, reason, ADJ)


def test_check_reviewer():
    check_reviewer("alice", ADJ)
    check_reviewer("anyone", DEFAULT)  # no list: anyone may screen
    with pytest.raises(DecisionError, match="carol is not a reviewer"):
        check_reviewer("carol", ADJ)


# --- blinding ---------------------------------------------------------------------------

BLIND_VOTES = [
    Vote(1, TA, "alice", "include"),  # 1: decided (agree)
    Vote(1, TA, "bob", "include"),
    Vote(2, TA, "alice", "include"),  # 2: conflict
    Vote(2, TA, "bob", "exclude"),
    Vote(3, TA, "bob", "exclude"),  # 3: undecided (bob only)
    Vote(4, TA, "alice", "include"),  # 4: resolved
    Vote(4, TA, "bob", "exclude"),
    Vote(5, FT, "bob", "include"),  # 5: a full-text vote; only a TA outcome is given
    Vote(6, TA, "bob", "include"),  # 6: no outcome given at all
]
BLIND_OUTCOMES = {
    1: Outcome(1, TA, DECIDED, "include", "", 2),
    2: Outcome(2, TA, CONFLICT, "", "", 2),
    3: Outcome(3, TA, UNDECIDED, "", "", 1),
    4: Outcome(4, TA, RESOLVED, "include", "", 2),
    5: Outcome(5, TA, DECIDED, "include", "", 2),
}


@pytest.mark.parametrize(
    ("viewer", "adjudicators", "expected"),
    [
        # alice sees her own votes, and bob's only on reconciled records 1 and 4.
        ("alice", (), [(1, "alice"), (1, "bob"), (2, "alice"), (4, "alice"), (4, "bob")]),
        # carol, not an adjudicator and no votes: only reconciled records.
        ("carol", (), [(1, "alice"), (1, "bob"), (4, "alice"), (4, "bob")]),
        # carol as adjudicator also sees the conflict (2), never the undecided record 3.
        (
            "carol",
            ("carol",),
            [(1, "alice"), (1, "bob"), (2, "alice"), (2, "bob"), (4, "alice"), (4, "bob")],
        ),
        # bob sees all his own votes, whatever the stage or outcome.
        (
            "bob",
            (),
            [(1, "alice"), (1, "bob"), (2, "bob"), (3, "bob"), (4, "alice"), (4, "bob")]
            + [(5, "bob"), (6, "bob")],
        ),
    ],
)
def test_visible_votes(viewer, adjudicators, expected):
    shown = visible_votes(BLIND_VOTES, viewer, BLIND_OUTCOMES, adjudicators)
    assert [(v.record_id, v.reviewer) for v in shown] == expected


def test_a_lone_adjudicator_name_is_not_split_into_letters():
    shown = visible_votes(BLIND_VOTES, "c", BLIND_OUTCOMES, "carol")
    assert all(v.record_id != 2 for v in shown)
    assert len(visible_votes(BLIND_VOTES, "carol", BLIND_OUTCOMES, "carol")) == 6


def test_votes_of_another_stage_stay_hidden():
    # Record 5 is decided at title-abstract; bob's full-text vote stays hidden from alice.
    shown = visible_votes(BLIND_VOTES, "alice", BLIND_OUTCOMES, ())
    assert all(v.record_id != 5 for v in shown)


@pytest.mark.parametrize(
    ("viewer", "current", "expected"),
    [
        ("alice", None, False),
        ("alice", BLIND_OUTCOMES[1], True),
        ("alice", BLIND_OUTCOMES[2], False),
        ("carol", BLIND_OUTCOMES[2], True),
        ("carol", BLIND_OUTCOMES[3], False),
        ("alice", BLIND_OUTCOMES[4], True),
    ],
)
def test_may_see_votes(viewer, current, expected):
    assert may_see_votes(viewer, current, ("carol",)) is expected
