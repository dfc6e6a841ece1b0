"""Screening prioritisation: text features, a swappable ranker, and the order of a queue.

Core module: pure functions over numpy / scipy sparse matrices and scikit-learn; no IO,
no store, no UI toolkit. The workflow builds the features once per review (and caches
them), then calls `ranked_order` with only the labels the blinding rules let a reviewer
see; `screener simulate` runs the very same `ranked_order` on a labelled file.

- `text_features(texts)`: TF-IDF on word 1-2-grams (sublinear tf), one row per record;
- `Ranker` (protocol: `fit(features, labels)`, `rank(features) -> scores`), the default
  `LinearRanker` (linear SVM, includes weighted up) and `default_ranker()`;
- `estimate_remaining(...)`: the includes the model expects among the unscreened;
- `random_order(n, seed)`: the seeded order used until a reviewer has one include and
  one exclude; `ranked_order(...)`: unlabelled rows, most likely relevant first;
- `refit_due(...)`: when to retrain (after every include; after every k excludes, k
  growing with the number labelled, so a large review never refits after every key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import sparse

DEFAULT_SEED = 0
# A fit on every exclude of a large review would take seconds; beyond this many excludes
# the model learns from a seeded random sample of them (and from every include).
MAX_TRAINING_EXCLUDES = 5_000
MODEL_NAME = (
    "linear SVM (scikit-learn LinearSVC, squared hinge, C=0.11), includes weighted 9.8:1 "
    "over excludes"
)
FEATURES_NAME = (
    "TF-IDF of title (counted twice) and abstract, word 1-2-grams, sublinear tf, max_df=0.95"
)


def record_text(title: str, abstract: str) -> str:
    """The text a record is ranked on. The title counts twice: it is the densest statement
    of what a record is about (it raised WSS@95 on van de Schoot and Cohen; Hall, not used
    to choose, is the check: bench/bench_ranking.py)."""
    title = title or ""
    return f"{title}\n{title}\n{abstract or ''}"


def text_features(texts: Sequence[str]) -> sparse.csr_matrix:
    """TF-IDF rows (float32, L2-normalised) for `texts`, in order.

    Every word 1-2-gram is kept, also those of one record only: they carry nothing from
    record to record, but they weigh in each row's L2 norm, and dropping them (min_df=2)
    lowered WSS@95 on the benchmark (bench/bench_ranking.py). Terms in more than 95% of
    records are dropped as noise.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer  # seconds to import: late

    if not texts:
        return sparse.csr_matrix((0, 0), dtype=np.float32)
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=1,
        max_df=0.95 if len(texts) > 20 else 1.0,
        dtype=np.float32,
    )
    try:
        matrix = vectorizer.fit_transform(texts).tocsr()
        matrix.sum_duplicates()  # canonical (sorted) once, so row slices need no sorting
        return matrix
    except ValueError:  # no term left (empty texts): every record is alike
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


class Ranker(Protocol):
    """A model that learns from labelled rows and scores every row (higher = relevant)."""

    name: str

    def fit(self, features: sparse.csr_matrix, labels: np.ndarray) -> None: ...

    def rank(self, features: sparse.csr_matrix) -> np.ndarray: ...


@dataclass
class LinearRanker:
    """A linear SVM over the TF-IDF rows. The rare includes are weighted up so that they
    weigh `ratio` times as much as all excludes together (the balance ASReview LAB's
    default model uses; plain class balance ranked worse on the benchmark). Deterministic:
    liblinear's solver is seeded."""

    c: float = 0.11
    ratio: float = 9.8
    seed: int = DEFAULT_SEED
    name: str = MODEL_NAME

    def __post_init__(self) -> None:
        self._coef: np.ndarray | None = None
        self._intercept = 0.0

    def fit(self, features: sparse.csr_matrix, labels: np.ndarray) -> None:
        from sklearn.svm import LinearSVC

        labels = np.asarray(labels)
        includes = int(labels.sum())
        excludes = len(labels) - includes
        weights = np.where(labels == 1, 1.0, includes / (self.ratio * max(1, excludes)))
        weights *= len(labels) / weights.sum()
        model = LinearSVC(C=self.c, random_state=self.seed)
        model.fit(features, labels, sample_weight=weights)
        self._coef = model.coef_.ravel().astype(np.float32)
        self._intercept = float(model.intercept_[0])

    def rank(self, features: sparse.csr_matrix) -> np.ndarray:
        if self._coef is None:
            raise RuntimeError("fit the ranker before ranking")
        return features @ self._coef + self._intercept


def default_ranker(seed: int = DEFAULT_SEED) -> Ranker:
    """The ranker screener ships (chosen by bench/bench_ranking.py)."""
    return LinearRanker(seed=seed)


def random_order(n: int, seed: int) -> np.ndarray:
    """A seeded permutation of range(n): the same review and seed give the same order."""
    return np.random.default_rng(seed).permutation(n)


def can_rank(labels: Mapping[int, int]) -> bool:
    """A model needs at least one include and one exclude to learn from."""
    values = set(labels.values())
    return 0 in values and 1 in values


def ranked_order(
    features: sparse.csr_matrix,
    labels: Mapping[int, int],
    seed: int = DEFAULT_SEED,
    ranker: Ranker | None = None,
    scores: np.ndarray | None = None,
) -> np.ndarray:
    """Rows without a label, most likely relevant first.

    `labels` maps row -> 1 (include) or 0 (exclude): only what the caller may learn
    from. Without both an include and an exclude the order is `random_order`. Ties are
    broken by the seeded random order, so the result depends on nothing but the inputs.
    `scores` from `fitted_scores` on the same labels saves fitting twice.
    """
    n = features.shape[0]
    tiebreak = random_order(n, seed)
    unlabelled = np.ones(n, dtype=bool)
    rows = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
    unlabelled[rows] = False
    if not can_rank(labels):
        return tiebreak[unlabelled[tiebreak]]
    if scores is None:
        scores = fitted_scores(features, labels, seed, ranker)
    rank_of = np.empty(n, dtype=np.int64)
    rank_of[tiebreak] = np.arange(n)
    candidates = np.flatnonzero(unlabelled)
    order = np.lexsort((rank_of[candidates], -scores[candidates]))
    return candidates[order]


def fitted_scores(
    features: sparse.csr_matrix,
    labels: Mapping[int, int],
    seed: int = DEFAULT_SEED,
    ranker: Ranker | None = None,
) -> np.ndarray:
    """Fit a ranker on the labelled rows and score every row."""
    ranker = ranker or default_ranker(seed)
    rows = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
    order = np.argsort(rows)  # the fit must not depend on the mapping's order
    rows = rows[order]
    y = np.fromiter(labels.values(), dtype=np.int64, count=len(labels))[order]
    rows, y = training_sample(rows, y, seed)
    subset = features[rows]
    if features.has_canonical_format:  # rows of a canonical matrix are canonical too
        subset.has_canonical_format = True
    ranker.fit(subset, y)
    return np.asarray(ranker.rank(features), dtype=np.float64).ravel()


def training_sample(rows: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every include, and at most MAX_TRAINING_EXCLUDES excludes (a seeded sample), in
    row order: a refit stays under a second or two however many records are screened."""
    excludes = np.flatnonzero(y == 0)
    if len(excludes) <= MAX_TRAINING_EXCLUDES:
        return rows, y
    rng = np.random.default_rng(seed)
    keep = np.sort(
        np.concatenate(
            [np.flatnonzero(y != 0), rng.choice(excludes, MAX_TRAINING_EXCLUDES, replace=False)]
        )
    )
    return rows[keep], y[keep]


def refit_due(new_labels: int, labelled: int, new_include: bool) -> bool:
    """Whether to retrain now: after every include, and after every k other decisions
    where k = max(1, labelled // 50) (every decision for the first hundred, then about
    every 2% of what is labelled: a refit costs more as the labels grow)."""
    if new_labels <= 0:
        return False
    return new_include or new_labels >= max(1, labelled // 50)


def estimate_remaining(
    labelled_scores: np.ndarray, labels: np.ndarray, unlabelled_scores: np.ndarray
) -> float:
    """Expected number of includes among the unlabelled rows, from the model's scores.

    Scores are turned into probabilities by a logistic fit of the labels on the scores of
    the labelled rows (Platt scaling), and the probabilities of the unlabelled rows are
    summed. A rough guide for the screen, not a stopping rule: the labelled rows are the
    top of the ranking, so the fit extrapolates to the rest.
    """
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels)
    if len(unlabelled_scores) == 0 or len(set(y.tolist())) < 2:
        return 0.0
    model = LogisticRegression(C=100.0)
    model.fit(np.asarray(labelled_scores, dtype=np.float64).reshape(-1, 1), y)
    p = model.predict_proba(np.asarray(unlabelled_scores, dtype=np.float64).reshape(-1, 1))
    return float(p[:, 1].sum())
