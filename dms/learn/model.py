"""The classifier itself: hashed word features, linear models, and predictions from plain arrays.

Features are hashed (scikit-learn's HashingVectorizer): no vocabulary is kept, so a model is only its weights.
One model per field: `type` is single-label (multinomial logistic regression over the types seen); `products`
and `parties` are multi-label, one binary logistic regression per value (one-vs-rest). A trained model keeps
only the weights of the feature columns training saw (all others are exactly 0), as float32 arrays;
predicting needs no scikit-learn object, only `X[:, cols] @ coef.T + intercept`. Training fits on the columns
the examples hold (a few thousand) with the newton-cg solver: milliseconds, where lbfgs took 15 times longer.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

# What the features are; stored with a model, which is used only by code with the same features.
FEATURES = {"version": 1, "hashing": "sklearn HashingVectorizer", "n_features": 2**18, "ngram": [1, 2],
            "binary": True, "norm": "l2", "pages": 3, "chars": 6000}
MIN_PER_CLASS = 2  # examples of a value before it can be predicted
MIN_EXAMPLES = 5  # examples of a field before anything is predicted for it
MIN_CORRECTIONS = 5  # hand corrections of a field before it is learned at all (rules alone teach nothing)
C = 10.0  # inverse regularisation: the examples are few and the features L2-normalised
_WORDS = re.compile(r"[_\-.]+")


def vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=FEATURES["n_features"], ngram_range=tuple(FEATURES["ngram"]),
                             binary=FEATURES["binary"], norm=FEATURES["norm"], alternate_sign=False,
                             dtype=np.float32)


def document_text(name: str, text: str) -> str:
    """What a document is known by: its file name split into words, then its title and first pages."""
    return f"{_WORDS.sub(' ', name)}\n{text}"


def features(texts: list[str]):
    """A sparse matrix (documents x hashed features)."""
    return vectorizer().transform(texts)


@dataclass(frozen=True, slots=True)
class FieldModel:
    name: str
    multi: bool  # several values at once (products, parties) or one (type)
    classes: tuple[str, ...]
    cols: np.ndarray  # int32 feature columns with a weight
    coef: np.ndarray  # float32 (classes x cols)
    intercept: np.ndarray  # float32 (classes)
    examples: dict = field(default_factory=dict)  # {"hand": n, "rule": m}
    seconds: float = 0.0  # training time

    def proba(self, X) -> np.ndarray:
        """Probabilities (documents x classes): softmax over the classes, or each class's own sigmoid."""
        scores = np.asarray(X[:, self.cols] @ self.coef.T, dtype=np.float64) + self.intercept
        if self.multi:
            return 1.0 / (1.0 + np.exp(-scores))
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X, min_confidence: float) -> list[tuple[object, float] | None]:
        """Per document: (value, confidence) at or above `min_confidence`, else None. A single-label value is
        a class; a multi-label value a sorted tuple of classes, its confidence the lowest of theirs."""
        out: list[tuple[object, float] | None] = []
        for row in self.proba(X):
            if self.multi:
                chosen = [(self.classes[i], float(p)) for i, p in enumerate(row) if p >= min_confidence]
                out.append((tuple(sorted(c for c, _ in chosen)), min(p for _, p in chosen)) if chosen else None)
            else:
                i = int(row.argmax())
                out.append((self.classes[i], float(row[i])) if row[i] >= min_confidence else None)
        return out


def _seen(X):
    """The feature columns the examples hold, and the examples on those columns only: a model of a few thousand
    weights per value instead of 2**18 trains in milliseconds (unseen columns would get exactly 0 anyway)."""
    seen = np.unique(X.indices).astype(np.int32)
    return seen, X[:, seen]


def _compact(seen: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    used = np.any(coef != 0, axis=0)
    return seen[used], np.ascontiguousarray(coef[:, used], dtype=np.float32)


def _logistic():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, solver="newton-cg", max_iter=200)  # lbfgs: 15x slower here


def fit_single(name: str, X, labels: list[str], weights: np.ndarray, hand: np.ndarray) -> FieldModel | None:
    """One label per document. Values with fewer than MIN_PER_CLASS examples are left out; None when fewer
    than MIN_CORRECTIONS hand examples, MIN_EXAMPLES examples or two values remain."""
    started = time.perf_counter()
    counts = Counter(labels)
    keep = np.array([counts[label] >= MIN_PER_CLASS for label in labels], dtype=bool)
    if int((keep & hand).sum()) < MIN_CORRECTIONS or int(keep.sum()) < MIN_EXAMPLES:
        return None
    y = np.array(labels, dtype=object)[keep]
    if len(set(y)) < 2:
        return None
    seen, Xs = _seen(X[keep])
    model = _logistic().fit(Xs, y, sample_weight=weights[keep])
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two classes: sklearn keeps one row for classes_[1]; softmax([0, s]) = sigmoid(s)
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]])
    cols, sub = _compact(seen, coef)
    return FieldModel(name, False, tuple(str(c) for c in model.classes_), cols, sub,
                      np.asarray(intercept, dtype=np.float32),
                      {"hand": int((keep & hand).sum()), "rule": int((keep & ~hand).sum())},
                      time.perf_counter() - started)


def fit_multi(name: str, X, labels: list[tuple[str, ...]], weights: np.ndarray, hand: np.ndarray
              ) -> FieldModel | None:
    """Several labels per document (possibly none): one binary model per value with at least MIN_PER_CLASS
    documents holding it and MIN_PER_CLASS not holding it."""
    started = time.perf_counter()
    if int(hand.sum()) < MIN_CORRECTIONS or len(labels) < MIN_EXAMPLES:
        return None
    counts = Counter(value for values in labels for value in set(values))
    classes = sorted(c for c, n in counts.items() if n >= MIN_PER_CLASS and len(labels) - n >= MIN_PER_CLASS)
    if not classes:
        return None
    seen, Xs = _seen(X)
    rows, intercepts = [], []
    for value in classes:
        y = np.array([value in values for values in labels], dtype=bool)
        model = _logistic().fit(Xs, y, sample_weight=weights)
        rows.append(model.coef_[0])
        intercepts.append(model.intercept_[0])
    cols, sub = _compact(seen, np.vstack(rows))
    return FieldModel(name, True, tuple(classes), cols, sub, np.asarray(intercepts, dtype=np.float32),
                      {"hand": int(hand.sum()), "rule": int((~hand).sum())}, time.perf_counter() - started)
