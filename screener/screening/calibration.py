"""Agreement between reviewers (Cohen's kappa, PABAK) and pilot samples for calibration.

Core module: pure functions, no IO.

Each pair of reviewers is compared over the records both decided at the stage. A decision
is reduced to include or exclude: maybe counts as `settings.maybe_counts_as`.
Not-retrieved is no judgement of eligibility (PRISMA's "reports not retrieved"), so a record
either reviewer marked not retrieved is left out of the table and counted in
`not_retrieved`. With the 2x2 table [[a, b], [c, d]] (rows: reviewer A
include / exclude; columns: reviewer B include / exclude) and n = a + b + c + d:

- observed agreement po = (a + d) / n; `percent_agreement` = 100 * po;
- chance agreement pe = ((a + b)(a + c) + (c + d)(b + d)) / n^2;
- Cohen's kappa = (po - pe) / (1 - pe), undefined (None) when pe == 1, i.e. when both
  reviewers put every record in the same single category;
- 95% CI = kappa +/- 1.96 * SE with the simple large-sample approximation
  SE = sqrt(po (1 - po) / (n (1 - pe)^2)) (Cohen 1960), clipped to [-1, 1]; it is too
  narrow for small n and is None when kappa is;
- PABAK (prevalence- and bias-adjusted kappa, Byrt et al. 1993) = 2 po - 1.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from screener.errors import InvariantError
from screener.screening.rules import Vote
from screener.screening.settings import (
    EXCLUDE,
    INCLUDE,
    MAYBE,
    NOT_RETRIEVED,
    STAGES,
    DecisionError,
    ReviewSettings,
)

Z_95 = 1.96  # as in the formula above; the exact normal quantile is 1.95996...


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of two reviewers at a stage over the `n` records both decided.

    `table` is ((both include, A include B exclude), (A exclude B include, both
    exclude)); `observed` is po and `expected` pe; `percent_agreement` is 100 * po.
    """

    reviewer_a: str
    reviewer_b: str
    stage: str
    n: int
    table: tuple[tuple[int, int], tuple[int, int]]
    percent_agreement: float
    kappa: float | None
    kappa_ci: tuple[float, float] | None
    pabak: float
    observed: float = 0.0
    expected: float = 0.0
    not_retrieved: int = 0  # records left out: a reviewer marked the report not retrieved


def pair_agreement(
    reviewer_a: str, reviewer_b: str, stage: str, table: Sequence[Sequence[int]]
) -> PairAgreement:
    """The agreement figures of one 2x2 table (see the module docstring for formulas)."""
    (a, b), (c, d) = table
    n = a + b + c + d
    if min(a, b, c, d) < 0 or n == 0:
        raise InvariantError(f"agreement table {table!r} needs non-negative counts, n > 0.")
    chance = (a + b) * (a + c) + (c + d) * (b + d)  # pe * n^2, exact in integers
    po = (a + d) / n
    pe = chance / (n * n)
    kappa: float | None = None
    ci: tuple[float, float] | None = None
    if chance != n * n:
        kappa = (n * (a + d) - chance) / (n * n - chance)
        se = math.sqrt(po * (1 - po) / (n * (1 - pe) ** 2))
        ci = (max(-1.0, kappa - Z_95 * se), min(1.0, kappa + Z_95 * se))
    return PairAgreement(
        reviewer_a=reviewer_a,
        reviewer_b=reviewer_b,
        stage=stage,
        n=n,
        table=((a, b), (c, d)),
        percent_agreement=100 * po,
        kappa=kappa,
        kappa_ci=ci,
        pabak=(2 * (a + d) - n) / n,  # 2 po - 1 without rounding noise
        observed=po,
        expected=pe,
    )


def agreement(votes: Iterable[Vote], stage: str, settings: ReviewSettings) -> list[PairAgreement]:
    """One `PairAgreement` per pair of reviewers who both decided at least one record at
    `stage`, sorted by (reviewer_a, reviewer_b) with reviewer_a < reviewer_b."""
    if stage not in STAGES:
        raise DecisionError(f"unknown stage {stage!r}: use title-abstract or full-text.")
    binary: dict[str, bool | None] = {INCLUDE: True, EXCLUDE: False, NOT_RETRIEVED: None}
    binary[MAYBE] = settings.maybe_counts_as == INCLUDE
    by_record: dict[int, dict[str, bool | None]] = {}
    for vote in votes:
        if vote.stage == stage:
            if vote.decision not in binary:
                raise InvariantError(f"vote on record {vote.record_id}: unknown {vote.decision!r}.")
            by_record.setdefault(vote.record_id, {})[vote.reviewer] = binary[vote.decision]
    tables: dict[tuple[str, str], list[int]] = {}
    set_aside: dict[tuple[str, str], int] = {}
    for decided in by_record.values():
        for ra, rb in combinations(sorted(decided), 2):
            if decided[ra] is None or decided[rb] is None:
                set_aside[(ra, rb)] = set_aside.get((ra, rb), 0) + 1
                continue
            cell = (0 if decided[ra] else 2) + (0 if decided[rb] else 1)
            tables.setdefault((ra, rb), [0, 0, 0, 0])[cell] += 1
    return [
        replace(
            pair_agreement(ra, rb, stage, ((t[0], t[1]), (t[2], t[3]))),
            not_retrieved=set_aside.get((ra, rb), 0),
        )
        for (ra, rb), t in sorted(tables.items())
    ]


def pilot_sample(record_ids: Sequence[int], size: int, seed: int) -> list[int]:
    """A reproducible random sample of `size` distinct ids for a calibration round,
    returned sorted. The same set of ids and seed give the same sample whatever the
    order of `record_ids` (Python's Mersenne Twister `random.Random(seed).sample`).
    A size larger than the set gives every id."""
    if size < 0:
        raise DecisionError(f"a pilot sample size must be 0 or more, not {size}.")
    population = sorted(set(record_ids))
    chosen = random.Random(seed).sample(population, min(size, len(population)))
    return sorted(chosen)
