"""The ranking model against its references: the features against scikit-learn's
TfidfVectorizer, the SVM against LinearSVC, the kept similarities against fresh fits, the
stopping point's search against testing every record, the head of a queue against the
whole order. scikit-learn is a test dependency only: screener computes the same things
itself, faster (bench/bench_ranking.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.screening import ranking, simulation, stopping

sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
sklearn_svm = pytest.importorskip("sklearn.svm")
sklearn_linear = pytest.importorskip("sklearn.linear_model")

# Text that takes both roads of the tokeniser: ASCII with one-letter words, digits,
# underscores and punctuation, and non-ASCII letters, marks, scripts and case changes.
ALPHABET = "abcxyz AB_09-.,;'\t\n éßÆİǅαΩжк中文\u0301\u2013’"


def _tfidf_reference(texts):
    vectorizer = sklearn_text.TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, max_df=0.95 if len(texts) > 20 else 1.0
    )
    return vectorizer.fit_transform(texts).tocsr()


def _same_rows(ours, theirs):
    """Equal up to the order of columns: same shape, same sorted values per row, same
    dot products between rows."""
    assert ours.shape == theirs.shape
    for i in range(ours.shape[0]):
        assert np.allclose(np.sort(ours[i].data), np.sort(theirs[i].data), atol=1e-6)
    assert np.allclose((ours @ ours.T).toarray(), (theirs @ theirs.T).toarray(), atol=1e-5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(ALPHABET, max_size=60), min_size=2, max_size=30))
def test_features_equal_scikit_learns_tfidf(texts):
    texts = [t + " shared words here" for t in texts]  # at least one term everywhere
    _same_rows(ranking.text_features(texts), _tfidf_reference(texts))


def test_features_of_real_looking_records_equal_scikit_learns():
    texts = [
        ranking.record_text(f"Trial {i} of minoxidil – α-blockers", f"Patients (n = {i}) were…")
        for i in range(40)
    ] + [ranking.record_text("Ünïcödé İstanbul ǅ", "naïve café 中文 abstract")] * 3
    _same_rows(ranking.text_features(texts), _tfidf_reference(texts))


def _corpus(n=300, seed=0):
    rng = np.random.default_rng(seed)
    topic, other = (
        ["hair", "loss", "alopecia", "minoxidil", "trial"],
        ["crop", "wheat", "soil", "yield"],
    )
    common = ["study", "results", "patients", "method", "data", "the", "of", "and"]
    texts, labels = [], []
    for i in range(n):
        relevant = i % 10 == 0
        words = (
            rng.choice(topic if relevant else other, 5).tolist() + rng.choice(common, 8).tolist()
        )
        if rng.random() < 0.3:  # some cross-topic noise so the fit is not trivial
            words += rng.choice(topic if not relevant else other, 2).tolist()
        texts.append(" ".join(words) + f" unique{i}")
        labels.append(int(relevant))
    return ranking.text_features(texts), np.array(labels)


def _svm_reference(x, rows, y):
    weights = ranking.class_weights(y, 9.8)
    model = sklearn_svm.LinearSVC(C=0.11, tol=1e-8, max_iter=100_000)
    model.fit(x[rows], y, sample_weight=weights)
    return x @ model.coef_.ravel() + model.intercept_[0]


def test_the_svm_solves_linearsvcs_problem_through_growing_and_shrinking_label_sets():
    x, labels = _corpus()
    ranker = ranking.LinearRanker()
    rng = np.random.default_rng(1)
    rows = np.sort(rng.choice(len(labels), 20, replace=False))
    rows = np.union1d(rows, [0, 1])  # an include and an exclude
    for change in ("grow", "grow", "shrink", "grow", "swap"):
        if change == "grow":
            rows = np.union1d(rows, rng.choice(len(labels), 25, replace=False))
        elif change == "shrink":
            rows = np.union1d(rows[::2], [0, 1])
        else:
            rows = np.union1d(np.setdiff1d(rows, rows[5:9]), rng.choice(len(labels), 4))
        ranker.fit(x, rows, labels[rows])
        ours = ranker.rank(x)
        assert np.allclose(ours, _svm_reference(x, rows, labels[rows]), atol=1e-4)
        fresh = ranking.LinearRanker()
        fresh.fit(x, rows, labels[rows])
        assert np.allclose(ours, fresh.rank(x), atol=1e-9)  # kept work changes nothing


def test_a_weak_regularisation_leaves_rows_outside_the_margin_and_still_matches():
    x, labels = _corpus(200, seed=3)
    rows = np.arange(0, 200, 2)
    ranker = ranking.LinearRanker(c=50.0)
    ranker.fit(x, rows, labels[rows])
    weights = ranking.class_weights(labels[rows], 9.8)
    model = sklearn_svm.LinearSVC(C=50.0, tol=1e-10, max_iter=1_000_000)
    model.fit(x[rows], labels[rows], sample_weight=weights)
    reference = x @ model.coef_.ravel() + model.intercept_[0]
    assert np.allclose(ranker.rank(x), reference, atol=1e-3)


def test_a_ranker_ranks_only_once_fitted_and_starts_afresh_on_another_matrix():
    x, labels = _corpus(50)
    ranker = ranking.LinearRanker()
    with pytest.raises(RuntimeError):
        ranker.rank(x)
    ranker.fit(x, np.arange(20), labels[:20])
    other = x.copy()
    other.data[:] = 1.0  # same shape, other values: nothing kept may be reused
    ranker.fit(other, np.arange(20), labels[:20])
    fresh = ranking.LinearRanker()
    fresh.fit(other, np.arange(20), labels[:20])
    assert np.allclose(ranker.rank(other), fresh.rank(other))


def test_simulation_with_kept_work_equals_fitting_afresh_every_time():
    x, labels = _corpus(400, seed=5)
    kept = simulation.simulate(x, labels, seed=2)
    afresh = simulation.simulate(x, labels, seed=2, ranker_factory=_FreshEachFit)
    assert kept.order.tolist() == afresh.order.tolist()


class _FreshEachFit:
    """A LinearRanker that forgets everything between fits."""

    name = "fresh"

    def __init__(self, seed):
        self.seed = seed

    def fit(self, features, rows, labels):
        self.inner = ranking.LinearRanker()
        self.inner.fit(features, rows, labels)

    def rank(self, features):
        return self.inner.rank(features)


def test_the_head_of_a_queue_is_the_head_of_the_whole_order_ties_included():
    x, labels = _corpus(200)
    x = ranking.text_features([t for t in ["same text"] * 30] + [f"text {i}" for i in range(170)])
    known = {0: 1, 50: 0, 60: 0}
    whole = ranking.ranked_order(x, known, seed=3)
    for limit in (1, 5, 29, 30, 100, 500):
        assert (
            ranking.ranked_order(x, known, seed=3, limit=limit).tolist() == whole[:limit].tolist()
        )


def test_the_training_sample_changes_by_one_row_when_one_exclude_arrives(monkeypatch):
    monkeypatch.setattr(ranking, "MAX_TRAINING_EXCLUDES", 50)
    rows = np.arange(0, 400, 2)
    y = (rows % 40 == 0).astype(int)
    before, _ = ranking.training_sample(rows, y, seed=4)
    after, _ = ranking.training_sample(np.append(rows, 999), np.append(y, 0), seed=4)
    assert len(np.setdiff1d(before, after)) <= 1 and len(np.setdiff1d(after, before)) <= 1
    assert set(rows[y == 1]) <= set(after.tolist())


def test_platt_scaling_equals_scikit_learns_logistic_regression():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=300) * 2
    y = (rng.random(300) < 1 / (1 + np.exp(-(1.5 * scores - 1)))).astype(float)
    model = sklearn_linear.LogisticRegression(C=100.0, tol=1e-10).fit(scores.reshape(-1, 1), y)
    a, b = ranking.platt_scaling(scores, y)
    assert a == pytest.approx(model.coef_[0, 0], rel=1e-3)
    assert b == pytest.approx(model.intercept_[0], rel=1e-3, abs=1e-4)


def _stopping_point_by_testing_every_record(sequence, total, recall, check_every):
    labels = np.zeros(total, dtype=np.int64)
    labels[: len(sequence)] = sequence
    first = int(np.argmax(labels)) if labels.any() else total
    for n in range(first + 1, total + 1, check_every):
        if stopping.buscar_p(labels[:n], total, recall) < 1 - 0.95:  # as the rule computes it
            return n
    return None


@settings(max_examples=150, deadline=None)
@given(
    st.integers(5, 300),
    st.floats(0.0, 0.6),
    st.integers(1, 7),
    st.sampled_from([0.8, 0.9, 0.95, 1.0]),
    st.integers(0, 2**32 - 1),
)
def test_stopping_point_equals_testing_every_record(total, rate, check_every, recall, seed):
    rng = np.random.default_rng(seed)
    length = int(rng.integers(0, total + 1))
    sequence = (rng.random(length) < np.linspace(rate, 0, length)).astype(int)
    expected = _stopping_point_by_testing_every_record(sequence, total, recall, check_every)
    found = stopping.stopping_point(sequence, total, recall=recall, check_every=check_every)
    assert found == expected


def test_scores_through_every_records_products_equal_scores_through_the_weights(monkeypatch):
    """Small reviews score from every record's products with the labelled rows; large
    ones (past EVERYONE_LIMIT) through w = Σ β_i x_i: the same numbers either way, also
    when a review crosses the limit in the middle of screening."""
    x, labels = _corpus(300, seed=7)
    rows = np.union1d(np.arange(0, 300, 3), [0, 1])  # 100 rows
    monkeypatch.setattr(ranking.SimilarityCache, "EVERYONE_READS", 1_000)  # a tiny corpus
    dense = ranking.LinearRanker()
    dense.fit(x, rows, labels[rows])
    assert dense._cache.everyone is not None
    crossing = ranking.LinearRanker()
    crossing.fit(x, rows[:20], labels[rows[:20]])  # room for 64 rows
    assert crossing._cache.everyone is not None
    monkeypatch.setattr(ranking.SimilarityCache, "EVERYONE_LIMIT", 300 * 50)
    crossing.fit(x, rows, labels[rows])  # 100 rows: past the limit now
    assert crossing._cache.everyone is None
    monkeypatch.setattr(ranking.SimilarityCache, "EVERYONE_LIMIT", 0)
    sparse_only = ranking.LinearRanker()
    sparse_only.fit(x, rows, labels[rows])
    assert sparse_only._cache.everyone is None
    assert np.allclose(dense.rank(x), sparse_only.rank(x), atol=1e-5)
    assert np.allclose(crossing.rank(x), sparse_only.rank(x), atol=1e-5)
    cache = dense._cache  # its products, read directly (ranking picks the cheaper road)
    m = len(cache.rows)
    through_products = cache.everyone[:, :m] @ cache.beta.astype(np.float32)
    assert np.allclose(through_products, x @ dense.weights, atol=1e-5)
    figures = simulation.measures(simulation.simulate(x, labels, seed=3))
    assert figures["screened_to_100"] < 100


def test_a_fit_refuses_a_row_twice_or_a_single_class_and_keeps_nothing_of_it():
    x, labels = _corpus(50)
    ranker = ranking.LinearRanker()
    with pytest.raises(ValueError, match="twice"):
        ranker.fit(x, np.array([0, 0, 1]), np.array([1, 1, 0]))
    with pytest.raises(ValueError, match="one include and one exclude"):
        ranker.fit(x, np.array([1, 2, 3]), np.array([0, 0, 0]))
    rows = np.array([0, 1, 2, 3])
    ranker.fit(x, rows, np.array([1, 0, 0, 1]))
    fresh = ranking.LinearRanker()
    fresh.fit(x, rows, np.array([1, 0, 0, 1]))
    assert ranker._cache.rows.tolist() == [0, 1, 2, 3]
    assert np.allclose(ranker.rank(x), fresh.rank(x))


def test_the_random_order_before_a_model_also_stops_at_the_limit():
    x, _ = _corpus(50)
    head = ranking.ranked_order(x, {0: 1}, seed=2, limit=5)
    assert head.tolist() == ranking.ranked_order(x, {0: 1}, seed=2)[:5].tolist()
