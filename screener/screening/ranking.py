"""Screening prioritisation: text features, a swappable ranker, and the order of a queue.

Core module: pure functions over numpy and scipy sparse matrices; no IO,
no store, no UI toolkit. The workflow builds the features once per review (and caches
them), then calls `ranked_order` with only the labels the blinding rules let a reviewer
see; `screener simulate` runs the very same `ranked_order` on a labelled file.

- `text_features(texts)`: TF-IDF on word 1-2-grams (sublinear tf), one row per record;
- `Ranker` (protocol: `fit(features, rows, labels)`, `rank(features) -> scores`), the
  default `LinearRanker` (linear SVM, includes weighted up, solved here with what it
  computed at the last fit: `SimilarityCache`) and `default_ranker()`;
- `estimate_remaining(...)`: the includes the model expects among the unscreened;
- `random_order(n, seed)`: the seeded order used until a reviewer has one include and
  one exclude; `ranked_order(...)`: unlabelled rows, most likely relevant first;
- `refit_due(...)`: when to retrain (after every include; after every k excludes, k
  growing with the number labelled, so a large review never refits after every key).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain, count, islice
from typing import Protocol

import numpy as np
from scipy import sparse

DEFAULT_SEED = 0
# The model's linear system grows with the rows it learns from (a fit on 1,000 rows takes
# some 20 ms, on 4,000 about a second); beyond this many excludes it learns from a seeded
# sample of them (and from every include). On the benchmark sets this changed neither
# WSS@95 nor the stopping rule's recall, only when the last includes were found (Cohen
# 2,037 vs 2,012 records, Hall 3,946 vs 4,096, with 2,000 kept: bench/bench_ranking.py).
MAX_TRAINING_EXCLUDES = 1_000
MODEL_NAME = (
    "linear SVM (squared hinge, C=0.11, intercept regularised: the problem of scikit-learn's "
    "LinearSVC), includes weighted 9.8:1 over excludes"
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


def text_features(texts: Iterable[str]) -> sparse.csr_matrix:
    """TF-IDF rows (float32, L2-normalised) for `texts`, in order.

    The same matrix as scikit-learn's `TfidfVectorizer(ngram_range=(1, 2),
    sublinear_tf=True, max_df=0.95)` up to the order of its columns (a test holds the two
    together), built with array operations instead of a dictionary of n-gram strings: a
    tenth of the time, and no string per bigram in memory.

    Every word 1-2-gram is kept, also those of one record only: they carry nothing from
    record to record, but they weigh in each row's L2 norm, and dropping them (min_df=2)
    lowered WSS@95 on the benchmark (bench/bench_ranking.py). Terms in more than 95% of
    records are dropped as noise.
    """
    counts, columns, indptr, width = _ngram_counts(texts)
    n = len(indptr) - 1
    if not n:
        return sparse.csr_matrix((0, 0), dtype=np.float32)
    df = np.bincount(columns, minlength=width)
    keep = (df > 0) & (df <= (0.95 * n if n > 20 else n))
    if not keep.any():  # no term (empty texts), or none left: every record is alike
        return sparse.csr_matrix((n, 1), dtype=np.float32)
    kept = keep[columns]
    dropped = np.flatnonzero(~kept)  # entries of the few terms in nearly every text
    dropped_rows = np.searchsorted(indptr, dropped, side="right") - 1
    indptr = indptr - np.concatenate([[0], np.cumsum(np.bincount(dropped_rows, minlength=n))])
    # Columns numbered from the most common term down: the weights a row meets most often
    # sit together in memory, and scoring every record after every refit is 15% faster.
    df = df[keep]
    by_frequency = np.argsort(-df, kind="stable")
    column = np.empty(len(keep), dtype=np.int32)
    column[np.flatnonzero(keep)[by_frequency]] = np.arange(len(df), dtype=np.int32)
    indices = column[columns[kept]]
    data = np.log(counts[kept], dtype=np.float32)
    del columns, kept, counts, dropped, dropped_rows, column
    data += 1.0  # sublinear tf: 1 + log(count)
    data *= (np.log((1.0 + n) / (1.0 + df[by_frequency])) + 1.0).astype(np.float32)[indices]
    lengths = np.diff(indptr)
    norms = np.ones(n, dtype=np.float32)
    filled = lengths > 0
    if filled.any():
        squares = np.add.reduceat(np.square(data), indptr[:-1][filled], dtype=np.float64)
        norms[filled] = np.sqrt(squares)
    for row in range(0, n, 10_000):  # a block of rows at a time: no second copy of data
        first, last = indptr[row], indptr[min(row + 10_000, n)]
        data[first:last] /= np.repeat(norms[row : row + 10_000], lengths[row : row + 10_000])
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(n, len(df)))
    matrix.has_sorted_indices = False  # one entry per term, but not in column order
    return matrix


# Words as scikit-learn's default token_pattern finds them: two or more word characters
# (its (?u)\b\w\w+\b, scanned left to right, is the same as \w{2,}).
TOKEN = re.compile(r"\w{2,}")
# ASCII texts take a faster road to the same words: a chunk of them is joined (a mark
# between two texts), bytes that are not word characters become spaces, the whole is
# split once, and one-letter words are dropped by their id.
_MARK = b"\x01"
_ASCII_SPACES = bytes(c if re.match(r"\w", chr(c)) or c == _MARK[0] else 32 for c in range(128)) + (
    b" " * 128
)
CHUNK = 2_000


def _ascii_text(text: str) -> str | None:
    """`text` lowercased as ASCII with the same words, or None if only the regular
    expression will find them (é, α, 中 are word characters; – ’ © are separators)."""
    text = text.lower()
    if not text.isascii():
        others = [c for c in set(text) if c > "\x7f"]
        if any(map(_is_word_character, others)):
            return None
        for character in others:
            text = text.replace(character, " ")
    return None if "\x01" in text else text


@functools.cache
def _is_word_character(character: str) -> bool:
    return re.match(r"\w", character) is not None


# Within a chunk of texts an entry is one number: the text (11 bits, CHUNK < 2**11), then a
# word id, or for a pair (first id + 1) * 2**26 + second id (ids below 2**26).
_ID_BITS, _TEXT_SHIFT = 26, 52
_PAIR = 1 << _ID_BITS


def _ngram_counts(texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """How often each word and each pair of adjacent words occurs in each text, as the
    data, column indices and row pointers of a CSR matrix (columns sorted in each row)
    and its width (the words, then the pairs; a column may be empty).

    Words become integer ids through one dictionary; a chunk of texts is then counted by
    sorting numbers, not strings, and only its distinct entries are kept; the pairs get
    their columns at the end. Memory stays near the size of the result (12 bytes an
    entry while counting): 100,000 abstracts in well under a gigabyte."""
    vocabulary: dict[bytes, int] = {_MARK: 0}
    one_letter = bytearray(b"\x01")  # per word id (the mark counts as one letter)
    chunks: list[list[np.ndarray]] = []
    stream = iter(texts)
    while chunk := list(islice(stream, CHUNK)):
        ascii_texts = [_ascii_text(text) for text in chunk]
        fast = [i for i, text in enumerate(ascii_texts) if text is not None]
        slow = [i for i, text in enumerate(ascii_texts) if text is None]
        joined = " \x01 ".join([ascii_texts[i] for i in fast])  # type: ignore[misc]
        words = joined.encode().translate(_ASCII_SPACES).split()
        slow_words = [list(map(str.encode, TOKEN.findall(chunk[i].lower()))) for i in slow]
        words += chain.from_iterable(slow_words)
        new = [word for word in dict.fromkeys(words) if word not in vocabulary]
        vocabulary.update(zip(new, count(len(vocabulary)), strict=False))
        one_letter.extend(len(word) == 1 for word in new)
        if len(vocabulary) >= _PAIR:
            raise ValueError(f"more than {_PAIR:,} distinct words: too many to rank")
        ids = np.fromiter(map(vocabulary.__getitem__, words), np.int64, len(words))
        fast_count = len(words) - sum(map(len, slow_words))
        marks = ids[:fast_count] == 0  # the k-th mark ends the k-th fast text
        docs = np.concatenate(
            [
                np.asarray(fast, dtype=np.int64)[np.cumsum(marks)],
                np.repeat(np.asarray(slow, dtype=np.int64), list(map(len, slow_words))),
            ]
        )
        kept = ~np.frombuffer(bytes(one_letter), dtype=np.bool_)[ids]  # marks are one letter
        ids, docs = ids[kept], docs[kept]
        same = docs[1:] == docs[:-1]  # a pair never spans two texts
        keys = np.concatenate(
            [
                (docs << _TEXT_SHIFT) | ids,
                (docs[1:][same] << _TEXT_SHIFT)
                | ((ids[:-1][same] + 1) << _ID_BITS)
                | ids[1:][same],
            ]
        )
        del ids, docs, same
        keys.sort()  # by text, then words before pairs, each in id order
        starts = np.flatnonzero(np.diff(keys, prepend=-1))  # keys are >= 0
        # A term more than 65,535 times in one text counts as that many (log-scaled anyway).
        counts = np.minimum(np.diff(np.append(starts, len(keys))), 65_535).astype(np.uint16)
        keys = keys[starts]
        indptr = np.searchsorted(keys, np.arange(len(chunk) + 1, dtype=np.int64) << _TEXT_SHIFT)
        keys &= (1 << _TEXT_SHIFT) - 1  # now the word id or the pair's number
        pairs = keys >= _PAIR
        distinct, which = _distinct_and_which(keys[pairs])
        keys[pairs] = _PAIR + which  # a pair now names its place among `distinct`
        del pairs, which
        chunks.append([indptr, keys, counts, distinct])
    return _assemble(chunks, len(vocabulary))


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (by sorting: numpy's hashing unique is slower here)."""
    values = np.sort(values)
    return values[np.diff(values, prepend=values[:1] - 1) != 0] if len(values) else values


def _distinct_and_which(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values (sorted) and, for each value, its index among them."""
    order = np.argsort(values)
    ordered = values[order]
    first = np.diff(ordered, prepend=ordered[:1] - 1) != 0 if len(values) else ordered > 0
    which = np.empty(len(values), dtype=np.int32)
    which[order] = np.cumsum(first) - 1
    return ordered[first], which


def _assemble(chunks: list[list[np.ndarray]], words: int):
    """One CSR matrix from the chunks' counts: pairs numbered after the words, in the
    order of their numbers (so columns stay sorted within each row)."""
    pairs = _distinct(np.concatenate([part[3] for part in chunks])) if chunks else np.empty(0)
    width = words + len(pairs)
    total = sum(len(part[1]) for part in chunks)
    columns = np.empty(total, dtype=np.int32 if width < 2**31 else np.int64)
    counts = np.empty(total, dtype=np.uint16)
    indptr = [np.zeros(1, dtype=np.int64)]
    offset = 0
    for at, (starts, terms, numbers, distinct) in enumerate(chunks):
        end = offset + len(terms)
        # The chunk's distinct pairs are looked up (in order: fast), not every entry.
        is_pair = terms >= _PAIR
        terms[is_pair] = (words + np.searchsorted(pairs, distinct))[terms[is_pair] - _PAIR]
        columns[offset:end], counts[offset:end] = terms, numbers
        indptr.append(starts[1:] + offset)
        chunks[at] = []  # freed as the result fills: memory stays near one copy
        offset = end
    return counts, columns, np.concatenate(indptr), width


class Ranker(Protocol):
    """A model that learns from some rows of a feature matrix and scores every row
    (higher = more likely relevant). The same ranker may be fitted again and again on the
    same matrix as labels arrive, and may keep what it computed between fits."""

    name: str

    def fit(self, features: sparse.csr_matrix, rows: np.ndarray, labels: np.ndarray) -> None: ...

    def rank(self, features: sparse.csr_matrix) -> np.ndarray: ...


@dataclass
class LinearRanker:
    """A linear SVM over the TF-IDF rows: the weights w (and intercept) minimising
    ½|w|² + Σ C_i max(0, 1 - y_i (w·x_i + b))², with the intercept regularised too: the
    problem scikit-learn's LinearSVC (liblinear) solves, to its tolerance (a test holds
    the two together). The rare includes are weighted up so that they weigh `ratio` times
    as much as all excludes together (the balance ASReview LAB's default model uses;
    plain class balance ranked worse on the benchmark).

    Solved in the space of the labelled rows (w = Σ β_i x_i; Chapelle 2007, "Training a
    support vector machine in the primal"): Newton steps on the rows inside the margin,
    each one linear system of their similarities. A screening session fits the same
    matrix again after every few labels, so the similarities of labelled rows are kept
    between fits (`SimilarityCache`) and the last solution starts the next one. No
    randomness: the same labels give the same scores."""

    c: float = 0.11
    ratio: float = 9.8
    name: str = MODEL_NAME

    def __post_init__(self) -> None:
        self._cache: SimilarityCache | None = None
        self._weights: np.ndarray | None = None
        self._intercept = 0.0
        self._fitted = False

    def fit(self, features: sparse.csr_matrix, rows: np.ndarray, labels: np.ndarray) -> None:
        if self._cache is None or not self._cache.covers(features):
            self._cache = SimilarityCache(features)
        order = np.argsort(rows, kind="stable")
        rows, labels = np.asarray(rows)[order], np.asarray(labels)[order]
        if len(rows) > 1 and not (rows[1:] != rows[:-1]).all():
            raise ValueError("each labelled row once: a row was given twice")
        if not (labels == 1).any() or not (labels != 1).any():
            raise ValueError("the model needs at least one include and one exclude to learn")
        gram, beta = self._cache.gram(rows)
        y = labels[np.searchsorted(rows, self._cache.rows)]  # in the cache's order
        signs = np.where(y == 1, 1.0, -1.0)
        beta, _ = solve_l2_svm(gram, signs, self.c * class_weights(y, self.ratio), beta)
        self._cache.beta = beta
        self._weights = None  # computed when needed (`weights`)
        self._intercept = float(beta.sum())
        self._fitted = True

    def rank(self, features: sparse.csr_matrix) -> np.ndarray:
        if not self._fitted or self._cache is None:
            raise RuntimeError("fit the ranker before ranking")
        cache = self._cache
        scores = cache.scores(cache.beta) if cache.covers(features) else None
        if scores is None:
            scores = cache.halves.product(self.weights) if cache.covers(features) else None
        if scores is None:
            scores = features @ self.weights
        return scores.astype(np.float64) + self._intercept

    @property
    def weights(self) -> np.ndarray:
        """w = Σ β_i x_i over the features' columns, in their precision (float32)."""
        if self._weights is None:
            assert self._cache is not None
            cache = self._cache
            self._weights = cache.labelled.T @ cache.beta.astype(cache.features.dtype)
        return self._weights


def class_weights(labels: np.ndarray, ratio: float) -> np.ndarray:
    """Per-row weights averaging 1, the includes together `ratio` times the excludes."""
    includes = int(labels.sum())
    excludes = len(labels) - includes
    weights = np.where(labels == 1, 1.0, includes / (ratio * max(1, excludes)))
    return weights * (len(labels) / weights.sum())


def solve_l2_svm(
    gram: np.ndarray, signs: np.ndarray, costs: np.ndarray, beta: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """β minimising ½ βᵀGβ + Σ C_i max(0, 1 - y_i (Gβ)_i)² (an L2-loss SVM in the space of
    the rows; G includes the intercept as a constant feature), and the outputs Gβ.

    Newton's method on the active set (rows with y·output < 1): each step solves
    (G_aa + ½ diag(1/C_a)) β_a = y_a, which is exact for that set; it stops when the set
    no longer changes, with a halving line search whenever a full step would not lower
    the objective. With strong regularisation every row is active and one step does."""
    m = len(signs)
    beta = np.zeros(m) if beta is None else beta.astype(np.float64)
    outputs = gram @ beta
    objective = _svm_objective(beta, outputs, signs, costs)
    previous = None
    for _ in range(100):
        active = signs * outputs < 1
        if previous is not None and np.array_equal(active, previous):
            break
        rows = np.flatnonzero(active)
        system = gram.copy() if len(rows) == m else gram[np.ix_(rows, rows)]
        system[np.diag_indices_from(system)] += 0.5 / costs[rows]
        step = np.zeros(m)
        step[rows] = _solve_positive(system, signs[rows])
        step_outputs = gram @ step
        value = _svm_objective(step, step_outputs, signs, costs)
        t = 1.0
        while value > objective and t > 1e-8:  # a full Newton step overshot: go part way
            t /= 2
            candidate, candidate_outputs = (
                beta + t * (step - beta),
                outputs + t * (step_outputs - outputs),
            )
            value = _svm_objective(candidate, candidate_outputs, signs, costs)
            step, step_outputs = candidate, candidate_outputs
        previous = active if t == 1.0 else None
        beta, outputs, objective = step, step_outputs, value
    return beta, outputs


def _solve_positive(system: np.ndarray, right: np.ndarray) -> np.ndarray:
    """x with system·x = right, for a symmetric positive definite system (overwritten):
    by Cholesky, half the work of a general solve."""
    from scipy.linalg import cho_factor, cho_solve

    factor = cho_factor(system, lower=True, overwrite_a=True, check_finite=False)
    return cho_solve(factor, right, check_finite=False)


def _svm_objective(beta, outputs, signs, costs) -> float:
    return float(0.5 * beta @ outputs + costs @ np.maximum(0.0, 1.0 - signs * outputs) ** 2)


class SimilarityCache:
    """Dot products between the labelled rows of one feature matrix (plus 1 for the
    intercept), kept from fit to fit: a refit computes only the new rows' products.

    `rows` is in the order rows arrived (new rows are appended to a buffer with room to
    grow; a row no longer wanted is dropped by copying the rest once).

    While few records are labelled, the cache also keeps every record's dot products with
    the labelled rows (`everyone`, records x labelled rows): a record's score is then
    those products weighted by β, a dense product far cheaper than the sparse one, and a
    new row's similarities are read from it. Past EVERYONE_LIMIT numbers or once it
    would read more memory than the sparse product, it is dropped and records are scored
    through the weights w = Σ β_i x_i."""

    EVERYONE_LIMIT = 1 << 24  # numbers (float32): 64 MB
    EVERYONE_READS = 2  # (records x labelled rows) / entries of the features

    def __init__(self, features: sparse.csr_matrix) -> None:
        self.features = features
        self.rows = np.empty(0, dtype=np.int64)
        self.buffer = np.empty((0, 0))
        self.beta = np.empty(0)  # the last solution, in the order of `rows`
        # Kept only where it can hold a thousand labelled rows (up to some 16,000 records).
        small = features.shape[0] * 1024 <= self.EVERYONE_LIMIT
        self.everyone = np.empty((features.shape[0], 0), np.float32) if small else None
        self._labelled: sparse.csr_matrix | None = None
        self._dense: np.ndarray | None = None

    @functools.cached_property
    def halves(self) -> RowHalves:
        return RowHalves(self.features)

    @functools.cached_property
    def _by_column(self) -> sparse.csc_matrix:
        return self.features.tocsc()

    @property
    def labelled(self) -> sparse.csr_matrix:
        """The rows of `rows` (sliced when first needed after a change)."""
        if self._labelled is None:
            self._labelled = self.features[self.rows]
        return self._labelled

    def covers(self, features: sparse.csr_matrix) -> bool:
        return features is self.features

    def gram(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The similarities of `rows` (sorted), in the order of `self.rows` afterwards
        (a view: do not change it), and a start for β (the last solution, 0 for new rows)."""
        wanted = np.zeros(self.features.shape[0], dtype=bool)
        wanted[rows] = True
        kept = wanted[self.rows]
        if not kept.all():
            self._drop(kept)
        m = len(self.rows)
        wanted[self.rows] = False
        new = rows[wanted[rows]]
        if len(new):
            size = m + len(new)
            self._grow(size)
            self.rows = np.concatenate([self.rows, new])
            self._labelled = None
            if self.everyone is not None:
                for at, row in enumerate(new, start=m):
                    self.everyone[:, at] = self._with_everyone(row)
                block = self.everyone[self.rows, m:size].astype(np.float64)
            elif len(new) <= 16:  # the usual refit: a few new rows, one dense row at a time
                block = np.column_stack([self._products(row) for row in new])
            else:
                block = (self.labelled @ self.features[new].T).toarray()
            block += 1.0  # the intercept, a feature of 1 in every row
            self.buffer[:size, m:size] = block
            self.buffer[m:size, :m] = block[:m].T
            self.beta = np.concatenate([self.beta, np.zeros(len(new))])
        size = len(self.rows)
        return self.buffer[:size, :size], self.beta

    def scores(self, beta: np.ndarray) -> np.ndarray | None:
        """Every record's Σ β_i x_i·x (without the intercept) from `everyone`, or None
        when it is not kept."""
        if self.everyone is None:
            return None
        return self.everyone[:, : len(self.rows)] @ beta.astype(np.float32)

    def _with_everyone(self, row: int) -> np.ndarray:
        """Every record's dot product with `row`, through the columns `row` uses."""
        start, end = self.features.indptr[row], self.features.indptr[row + 1]
        return self._by_column[:, self.features.indices[start:end]] @ self.features.data[start:end]

    def _products(self, row: int) -> np.ndarray:
        """The labelled rows' dot products with `row`, through one dense vector kept
        zero between calls (filling a fresh one would cost more than the product)."""
        if self._dense is None:
            self._dense = np.zeros(self.features.shape[1], dtype=self.features.dtype)
        start, end = self.features.indptr[row], self.features.indptr[row + 1]
        columns = self.features.indices[start:end]
        self._dense[columns] = self.features.data[start:end]
        products = np.asarray(self.labelled @ self._dense, dtype=np.float64)
        self._dense[columns] = 0
        return products

    def _grow(self, size: int) -> None:
        m = len(self.rows)
        if size > len(self.buffer):
            bigger = np.empty((max(size, 2 * len(self.buffer), 64),) * 2)
            bigger[:m, :m] = self.buffer[:m, :m]
            self.buffer = bigger
        records = self.features.shape[0]
        # Reading `everyone` (4 bytes a record and labelled row) costs more than the sparse
        # product (8 bytes an entry) past EVERYONE_READS x the entries: from there on, as
        # past the memory limit, records are scored through the weights.
        if self.everyone is not None and (
            records * size > self.EVERYONE_LIMIT
            or records * size > self.EVERYONE_READS * self.features.nnz
        ):
            self.everyone = None
            self.__dict__.pop("_by_column", None)
        if self.everyone is not None and size > self.everyone.shape[1]:
            width = max(size, self.everyone.shape[1] * 5 // 4, 64)
            wider = np.empty((records, min(width, self.EVERYONE_LIMIT // records)), np.float32)
            wider[:, :m] = self.everyone[:, :m]
            self.everyone = wider

    def _drop(self, kept: np.ndarray) -> None:
        m = len(self.rows)
        self.buffer = self.buffer[:m, :m][np.ix_(kept, kept)].copy()
        if self.everyone is not None:
            self.everyone = self.everyone[:, :m][:, kept].copy()
        self.rows, self.beta = self.rows[kept], self.beta[kept]
        self._labelled = None


class RowHalves:
    """A matrix as two blocks of rows (views, no copy) whose products with a vector are
    computed on two cores at once: scoring every record after every refit is most of a
    simulation's time, and scipy lets go of the interpreter lock while it multiplies.
    The rows are cut where half the entries lie; each row's sum is the same either way."""

    MIN_ENTRIES = 500_000  # below this a thread costs more than it saves

    def __init__(self, matrix: sparse.csr_matrix) -> None:
        self.matrix = matrix
        self.blocks: list[sparse.csr_matrix] = []
        if matrix.nnz >= self.MIN_ENTRIES:
            cut = int(np.searchsorted(matrix.indptr, matrix.nnz // 2))
            self.blocks = [_row_block(matrix, 0, cut), _row_block(matrix, cut, matrix.shape[0])]

    def product(self, vector: np.ndarray) -> np.ndarray:
        if not self.blocks:
            return self.matrix @ vector
        pending = _helper_thread().submit(self.blocks[1].__matmul__, vector)
        return np.concatenate([self.blocks[0] @ vector, pending.result()])


def _row_block(matrix: sparse.csr_matrix, start: int, end: int) -> sparse.csr_matrix:
    first, last = matrix.indptr[start], matrix.indptr[end]
    block = sparse.csr_matrix(
        (
            matrix.data[first:last],
            matrix.indices[first:last],
            matrix.indptr[start : end + 1] - first,
        ),
        shape=(end - start, matrix.shape[1]),
        copy=False,
    )
    block.has_canonical_format = matrix.has_canonical_format
    return block


@functools.cache
def _helper_thread():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="screener-ranking")


def default_ranker(seed: int = DEFAULT_SEED) -> Ranker:
    """The ranker screener ships (chosen by bench/bench_ranking.py). It has no randomness;
    `seed` is the factory's signature (`simulate` passes it to every ranker)."""
    return LinearRanker()


def random_order(n: int, seed: int) -> np.ndarray:
    """A seeded permutation of range(n): the same review and seed give the same order."""
    return _random_order(n, seed).copy()


@functools.lru_cache(maxsize=4)
def _random_order(n: int, seed: int) -> np.ndarray:
    """random_order, kept for the queue's refits (read-only)."""
    order = np.random.default_rng(seed).permutation(n)
    order.flags.writeable = False
    return order


@functools.lru_cache(maxsize=4)
def _rank_in_random_order(n: int, seed: int) -> np.ndarray:
    rank = np.empty(n, dtype=np.int64)
    rank[_random_order(n, seed)] = np.arange(n)
    rank.flags.writeable = False
    return rank


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
    limit: int | None = None,
) -> np.ndarray:
    """Rows without a label, most likely relevant first (only the first `limit` of them
    if given: the same rows as the head of the whole order, found without sorting all).

    `labels` maps row -> 1 (include) or 0 (exclude): only what the caller may learn
    from. Without both an include and an exclude the order is `random_order`. Ties are
    broken by the seeded random order, so the result depends on nothing but the inputs.
    `scores` from `fitted_scores` on the same labels saves fitting twice.
    """
    n = features.shape[0]
    tiebreak = _random_order(n, seed)
    unlabelled = np.ones(n, dtype=bool)
    rows = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
    unlabelled[rows] = False
    if not can_rank(labels):
        return tiebreak[unlabelled[tiebreak]][:limit]
    if scores is None:
        scores = fitted_scores(features, labels, seed, ranker)
    rank_of = _rank_in_random_order(n, seed)
    candidates = np.flatnonzero(unlabelled)
    if limit is not None and 0 < limit < len(candidates):
        # Every row scoring at least the limit-th best score (ties included), then sorted.
        head = scores[candidates]
        cut = np.partition(head, len(head) - limit)[len(head) - limit]
        candidates = candidates[head >= cut]
    order = np.lexsort((rank_of[candidates], -scores[candidates]))
    return candidates[order][:limit]


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
    ranker.fit(features, rows, y)
    return np.asarray(ranker.rank(features), dtype=np.float64).ravel()


def training_sample(rows: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every include, and at most MAX_TRAINING_EXCLUDES excludes, in row order.

    The excludes kept are those with the lowest seeded pseudo-random priority, a fixed
    number per row: as labels arrive, a new exclude enters the sample only by pushing one
    out, so one fit's sample is nearly the last one's (and their similarities are kept)."""
    excludes = np.flatnonzero(y == 0)
    if len(excludes) <= MAX_TRAINING_EXCLUDES:
        return rows, y
    chosen = excludes[np.argsort(_priority(rows[excludes], seed), kind="stable")]
    keep = np.sort(np.concatenate([np.flatnonzero(y != 0), chosen[:MAX_TRAINING_EXCLUDES]]))
    return rows[keep], y[keep]


def _priority(rows: np.ndarray, seed: int) -> np.ndarray:
    """A pseudo-random number per (row, seed) (splitmix64's mixing: no state, no order)."""
    with np.errstate(over="ignore"):
        z = (rows.astype(np.uint64) + np.uint64(seed & 0xFFFFFFFF) * np.uint64(0x100000001)) * (
            np.uint64(0x9E3779B97F4A7C15)
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


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
    y = np.asarray(labels, dtype=np.float64)
    if len(unlabelled_scores) == 0 or len(set(y.tolist())) < 2:
        return 0.0
    a, b = platt_scaling(np.asarray(labelled_scores, dtype=np.float64), y)
    return float(_sigmoid(a * np.asarray(unlabelled_scores, dtype=np.float64) + b).sum())


def platt_scaling(scores: np.ndarray, y: np.ndarray, c: float = 100.0) -> tuple[float, float]:
    """(a, b) of P(include) = 1 / (1 + exp(-(a·score + b))): the logistic fit minimising
    a²/2 + c Σ log-loss (the slope lightly regularised so separable labels stay finite),
    by Newton's method with step halving."""

    def loss(a: float, b: float) -> float:
        z = a * scores + b
        return a * a / 2 + c * float(np.sum(np.logaddexp(0.0, z) - y * z))

    a = b = 0.0
    current = loss(a, b)
    for _ in range(100):
        p = _sigmoid(a * scores + b)
        w = p * (1 - p)
        gradient = np.array([a + c * np.dot(p - y, scores), c * np.sum(p - y)])
        hessian = c * np.array(
            [[np.dot(w, scores * scores) + 1 / c, np.dot(w, scores)], [np.dot(w, scores), w.sum()]]
        )
        hessian[1, 1] += 1e-9
        step = np.linalg.solve(hessian, gradient)
        t = 1.0
        while t > 1e-10:
            value = loss(a - t * step[0], b - t * step[1])
            if value <= current:
                break
            t /= 2
        a, b = a - t * step[0], b - t * step[1]
        done = abs(current - value) < 1e-12 * max(1.0, abs(current))
        current = value
        if done or t <= 1e-10:
            break
    return a, b


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|
