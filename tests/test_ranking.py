"""The ranking core: features, the order of a queue, the stopping rules and simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import hypergeom

from screener.screening import ranking, simulation, stopping

TOPIC = "hair loss alopecia minoxidil trial"
OTHER = "crop yield wheat soil nitrogen"


def _corpus(n_relevant: int = 10, n_other: int = 90, seed: int = 0):
    rng = np.random.default_rng(seed)
    words_a, words_b = TOPIC.split(), OTHER.split()
    texts, labels = [], []
    for i in range(n_relevant + n_other):
        relevant = i < n_relevant
        words = rng.choice(words_a if relevant else words_b, 6).tolist()
        words += rng.choice(["study", "results", "patients", "method", "data"], 4).tolist()
        texts.append(" ".join(words))
        labels.append(int(relevant))
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.array(labels)[order]


def test_features_are_tfidf_rows_and_deterministic():
    texts, _ = _corpus()
    a, b = ranking.text_features(texts), ranking.text_features(texts)
    assert a.shape[0] == len(texts) and (a != b).nnz == 0
    assert np.allclose(np.sqrt(a.multiply(a).sum(axis=1)), 1.0)  # L2-normalised rows
    assert ranking.text_features(["", ""]).shape[0] == 2  # empty texts do not fail


def test_before_an_include_and_an_exclude_the_order_is_the_seeded_random_one():
    texts, labels = _corpus()
    x = ranking.text_features(texts)
    only_excludes = {int(np.flatnonzero(labels == 0)[0]): 0}
    order = ranking.ranked_order(x, only_excludes, seed=7)
    expected = [r for r in ranking.random_order(len(texts), 7) if r not in only_excludes]
    assert order.tolist() == expected
    assert ranking.ranked_order(x, only_excludes, seed=8).tolist() != expected


def test_the_relevant_records_come_first_once_the_model_can_learn():
    texts, labels = _corpus()
    x = ranking.text_features(texts)
    known = {int(np.flatnonzero(labels == 1)[0]): 1, int(np.flatnonzero(labels == 0)[0]): 0}
    order = ranking.ranked_order(x, known, seed=1)
    assert set(order.tolist()).isdisjoint(known) and len(order) == len(texts) - 2
    assert labels[order[:9]].all()  # the other nine relevant records on top


def test_the_order_depends_only_on_labels_and_seed_not_on_their_order():
    texts, labels = _corpus()
    x = ranking.text_features(texts)
    rows = np.random.default_rng(3).choice(len(texts), 30, replace=False)
    known = {int(r): int(labels[r]) for r in rows}
    backwards = dict(reversed(list(known.items())))
    same = ranking.ranked_order(x, known, 5) == ranking.ranked_order(x, backwards, 5)
    assert same.all()


@pytest.mark.parametrize(
    "new,labelled,include,due",
    [
        (0, 10, False, False),
        (1, 10, False, True),
        (1, 500, False, False),
        (10, 500, False, True),
        (1, 5000, True, True),
    ],
)
def test_refit_schedule(new, labelled, include, due):
    assert ranking.refit_due(new, labelled, include) is due


def test_estimate_of_remaining_includes_is_sensible():
    scores_l = np.array([3.0, 2.5, 2.0, -1.0, -1.5, -2.0, -2.5])
    y = np.array([1, 1, 1, 0, 0, 0, 0])
    assert ranking.estimate_remaining(scores_l, y, np.array([-3.0] * 100)) < 1
    assert ranking.estimate_remaining(scores_l, y, np.array([3.0] * 10)) > 8


# ---- stopping ---------------------------------------------------------------------------


def test_hypergeometric_cdf_matches_scipy():
    rng = np.random.default_rng(0)
    for _ in range(300):
        m = int(rng.integers(1, 3000))
        s, d = int(rng.integers(0, m + 1)), int(rng.integers(0, m + 1))
        k = int(rng.integers(0, min(s, d) + 1))
        assert stopping.hypergeom_cdf(k, m, s, d)[0] == pytest.approx(hypergeom.cdf(k, m, s, d))


def _buscar_by_definition(seq, total, recall):
    seq = np.asarray(seq)
    n, r = len(seq), int(seq.sum())
    missing = int(np.floor(r / recall)) - r + 1
    ps = []
    for j in range(1, n + 1):
        k = int(seq[n - j :].sum())
        ps.append(hypergeom.cdf(k, total - n + j, missing + k, j))
    return min(ps)


def test_buscar_p_is_the_smallest_p_over_all_windows():
    rng = np.random.default_rng(2)
    for _ in range(40):
        total = int(rng.integers(200, 2000))
        n = int(rng.integers(20, total // 2))
        seq = (rng.random(n) < np.linspace(0.3, 0.0, n)).astype(int)
        if seq.sum():
            expected = _buscar_by_definition(seq, total, 0.95)
            assert stopping.buscar_p(seq, total, 0.95) == pytest.approx(expected, rel=1e-6)


def test_stop_check_says_why():
    early = [1, 0, 1, 1, 0, 0, 0, 0]
    check = stopping.check_stopping(early, 5000)
    assert not check.met and "keep screening" in check.reason and check.found == 3
    late = [1] * 20 + [0] * 3000
    met = stopping.check_stopping(late, 3500)
    assert met.met and met.p_value < 0.05 and "stop" in met.reason
    heuristic = stopping.check_stopping(late, 3500, rule="consecutive", consecutive=3000)
    assert heuristic.met and heuristic.run_of_excludes == 3000 and "no recall" in heuristic.reason
    assert not stopping.check_stopping([0] * 50, 100).met  # nothing found: no estimate


def test_consecutive_excludes():
    assert stopping.consecutive_excludes([1, 0, 0]) == 2
    assert stopping.consecutive_excludes([0, 0]) == 2
    assert stopping.consecutive_excludes([0, 1]) == 0


# ---- simulation ---------------------------------------------------------------------------


def test_measures_on_a_known_sequence():
    seq = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 1])
    assert simulation.screened_to_recall(seq, 1.0) == 10
    assert simulation.screened_to_recall(seq, 0.5) == 3
    assert simulation.wss(seq, 100, 0.95) == pytest.approx(0.90 - 0.05)
    assert simulation.recall_after(seq, 50, 0.10) == pytest.approx(0.5)
    curve = simulation.recall_curve(seq, 20)
    assert len(curve) == 20 and curve[-1] == 1.0 and curve[2] == 0.5


def test_simulation_finds_every_include_early_and_is_deterministic():
    texts, labels = _corpus(10, 290)
    x = ranking.text_features(texts)
    a = simulation.simulate(x, labels, seed=4)
    b = simulation.simulate(x, labels, seed=4)
    assert a.order.tolist() == b.order.tolist()
    figures = simulation.measures(a)
    assert figures["screened_to_100"] <= 20 and figures["wss_95"] > 0.8
    assert len(set(a.order.tolist())) == len(a.order)


def test_simulation_needs_enough_includes_for_the_priors():
    texts, labels = _corpus(1, 20)
    with pytest.raises(simulation.SimulationError):
        simulation.simulate(ranking.text_features(texts), labels, prior_included=2)


def test_cli_rule_names_match_the_core():
    import importlib

    cli_ranking = importlib.import_module("screener.cli.ranking")

    assert cli_ranking.RULES == stopping.RULES


def test_training_sample_keeps_every_include_and_caps_excludes(monkeypatch):
    monkeypatch.setattr(ranking, "MAX_TRAINING_EXCLUDES", 10)
    rows = np.arange(100)
    y = (rows % 20 == 0).astype(int)
    kept_rows, kept_y = ranking.training_sample(rows, y, seed=1)
    assert kept_y.sum() == 5 and (kept_y == 0).sum() == 10
    assert (np.diff(kept_rows) > 0).all()
    again, _ = ranking.training_sample(rows, y, seed=1)
    assert again.tolist() == kept_rows.tolist()
    small = ranking.training_sample(rows[:11], y[:11], seed=1)  # 10 excludes: all kept
    assert small[0].tolist() == list(range(11))
