"""Agreement (Cohen's kappa, its CI, PABAK) and pilot samples, checked against hand-computed
figures."""

from __future__ import annotations

import math

import pytest

from screener.errors import InvariantError
from screener.screening import (
    DecisionError,
    ReviewSettings,
    Vote,
    agreement,
    pair_agreement,
    pilot_sample,
)

TA, FT = "title-abstract", "full-text"


def votes_from_table(table, stage=TA, a="alice", b="bob", a_inc="include", b_inc="include"):
    """Votes that fill a 2x2 table: rows alice include/exclude, columns bob."""
    votes, rid = [], 0
    for (da, db), count in zip(
        [("inc", "inc"), ("inc", "exc"), ("exc", "inc"), ("exc", "exc")],
        [table[0][0], table[0][1], table[1][0], table[1][1]],
        strict=True,
    ):
        for _ in range(count):
            rid += 1
            votes.append(Vote(rid, stage, a, a_inc if da == "inc" else "exclude"))
            votes.append(Vote(rid, stage, b, b_inc if db == "inc" else "exclude"))
    return votes


def test_textbook_example():
    # po = 35/50 = 0.7; pe = (25*30 + 25*20)/2500 = 0.5; kappa = 0.2/0.5 = 0.4
    # SE = sqrt(0.7*0.3 / (50 * 0.25)) = sqrt(0.0168) = 0.129615; CI = 0.4 -/+ 1.96*SE
    got = pair_agreement("alice", "bob", TA, [[20, 5], [10, 15]])
    assert got.n == 50
    assert got.table == ((20, 5), (10, 15))
    assert got.observed == pytest.approx(0.7)
    assert got.expected == pytest.approx(0.5)
    assert got.percent_agreement == pytest.approx(70.0)
    assert got.kappa == pytest.approx(0.4)
    se = math.sqrt(0.0168)
    assert got.kappa_ci == pytest.approx((0.4 - 1.96 * se, 0.4 + 1.96 * se))
    assert got.kappa_ci == pytest.approx((0.14595, 0.65405), abs=1e-5)
    assert got.pabak == pytest.approx(0.4)


def test_agreement_from_votes_matches_the_table():
    votes = votes_from_table([[20, 5], [10, 15]])
    (got,) = agreement(votes, TA, ReviewSettings())
    assert (got.reviewer_a, got.reviewer_b, got.stage) == ("alice", "bob", TA)
    assert got == pair_agreement("alice", "bob", TA, [[20, 5], [10, 15]])


def test_maybe_counts_per_settings():
    votes = votes_from_table([[20, 5], [10, 15]], b_inc="maybe")
    (as_include,) = agreement(votes, TA, ReviewSettings())
    assert as_include.table == ((20, 5), (10, 15))
    (as_exclude,) = agreement(votes, TA, ReviewSettings(maybe_counts_as="exclude"))
    assert as_exclude.table == ((0, 25), (0, 25))


def test_not_retrieved_is_left_out_of_the_table_and_counted_apart():
    votes = [
        Vote(1, FT, "alice", "not-retrieved"),
        Vote(1, FT, "bob", "exclude", "Wrong outcome"),
        Vote(2, FT, "alice", "include"),
        Vote(2, FT, "bob", "not-retrieved"),
        Vote(3, FT, "alice", "include"),
        Vote(3, FT, "bob", "exclude", "Wrong outcome"),
    ]
    (got,) = agreement(votes, FT, ReviewSettings())
    assert got.table == ((0, 1), (0, 0)) and got.not_retrieved == 2


def test_pe_of_one_leaves_kappa_undefined():
    # Both include everything: pe = 1, kappa = 0/0.
    got = pair_agreement("a", "b", TA, [[10, 0], [0, 0]])
    assert got.expected == 1.0
    assert got.kappa is None
    assert got.kappa_ci is None
    assert got.percent_agreement == 100.0
    assert got.pabak == 1.0


@pytest.mark.parametrize(
    ("table", "kappa", "pabak"),
    [
        ([[10, 0], [0, 10]], 1.0, 1.0),  # perfect agreement
        ([[0, 10], [10, 0]], -1.0, -1.0),  # perfect disagreement
        ([[45, 5], [5, 45]], 0.8, 0.8),
        # Prevalence paradox: 90% agreement, kappa below zero, PABAK 0.8.
        ([[90, 5], [5, 0]], (0.9 - 0.905) / (1 - 0.905), 0.8),
    ],
)
def test_kappa_and_pabak(table, kappa, pabak):
    got = pair_agreement("a", "b", TA, table)
    assert got.kappa == pytest.approx(kappa)
    assert got.pabak == pytest.approx(pabak)


def test_ci_is_clipped_and_zero_width_at_perfect_agreement():
    perfect = pair_agreement("a", "b", TA, [[10, 0], [0, 10]])
    assert perfect.kappa_ci == (1.0, 1.0)
    # po = 4/6, pe = 1/2, kappa = 1/3, SE = sqrt((2/9) / (6/4)) = 0.3849: 1/3 + 0.754 > 1.
    small = pair_agreement("a", "b", TA, [[2, 1], [1, 2]])
    assert small.kappa == pytest.approx(1 / 3)
    se = math.sqrt((2 / 9) / 1.5)
    assert small.kappa_ci == pytest.approx((1 / 3 - 1.96 * se, 1.0))


def test_empty_table_is_a_bug():
    with pytest.raises(InvariantError):
        pair_agreement("a", "b", TA, [[0, 0], [0, 0]])


def test_pairs_only_over_records_both_decided():
    votes = [
        Vote(1, TA, "carol", "include"),
        Vote(1, TA, "alice", "include"),
        Vote(1, TA, "bob", "exclude"),
        Vote(2, TA, "alice", "exclude"),
        Vote(2, TA, "bob", "exclude"),
        Vote(3, TA, "carol", "exclude"),  # nobody else decided 3
        Vote(4, FT, "carol", "include"),  # another stage
        Vote(4, FT, "bob", "include"),
    ]
    got = agreement(votes, TA, ReviewSettings())
    assert [(p.reviewer_a, p.reviewer_b, p.n, p.table) for p in got] == [
        ("alice", "bob", 2, ((0, 1), (0, 1))),
        ("alice", "carol", 1, ((1, 0), (0, 0))),
        ("bob", "carol", 1, ((0, 0), (1, 0))),
    ]


def test_agreement_unknown_stage():
    with pytest.raises(DecisionError):
        agreement([], "abstract", ReviewSettings())


def test_pilot_sample_is_reproducible_and_order_free():
    ids = list(range(1, 1001))
    first = pilot_sample(ids, 50, seed=7)
    assert len(first) == 50 and len(set(first)) == 50
    assert first == sorted(first)
    assert set(first) <= set(ids)
    assert pilot_sample(list(reversed(ids)), 50, seed=7) == first
    assert pilot_sample(ids + ids[:10], 50, seed=7) == first  # duplicates are ignored
    assert pilot_sample(ids, 50, seed=8) != first


@pytest.mark.parametrize(("size", "expected"), [(0, []), (5, [1, 2, 3]), (3, [1, 2, 3])])
def test_pilot_sample_edges(size, expected):
    assert pilot_sample([3, 1, 2], size, seed=1) == expected


def test_pilot_sample_negative_size():
    with pytest.raises(DecisionError, match="0 or more"):
        pilot_sample([1, 2], -1, seed=1)
