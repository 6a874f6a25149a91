"""Linear attribute heads on the FaceRes 1024-d descriptor, tuned by grouped CV.

Input: train-split descriptors and labels. Output: each head as plain weights
(weight matrix and bias on the raw descriptor, with standardization folded
in), ready to be written into the ONNX graph.
"""

import logging
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from facecard_training.data import MAX_AGE

log = logging.getLogger(__name__)

# Inverse regularization strengths C tried for the logistic heads, and ridge
# penalties alpha for the age head, on standardized descriptors.
# C above 1 was never chosen in a 1e-4..10 search and takes the longest to fit.
LOGISTIC_C_GRID = tuple(float(c) for c in np.logspace(-4, 0, 9))
RIDGE_ALPHA_GRID = tuple(float(a) for a in np.logspace(0, 5, 11))
# Age targets tried for ridge: years, or log(1 + years), which treats a 5-year
# error at age 5 as larger than at age 60 and cannot predict below 0.
AGE_TARGETS = ("years", "log1p_years")
LOGISTIC_MAX_ITER = 2000

Candidate = TypeVar("Candidate")


@dataclass(frozen=True)
class LinearHead:
    """A linear head on the raw descriptor: `activation(descriptor @ weight + bias)`.

    `weight` is [1024, k] and `bias` [k]. `activation` is "sigmoid" (k = 1,
    probability of female), "softmax" (race probabilities) or "expm1" (age in
    years from a log(1 + years) target) or "identity" (age in years).
    """

    weight: np.ndarray
    bias: np.ndarray
    activation: str
    hyperparameter: dict[str, object]
    cv_score: dict[str, float]

    def apply(self, descriptors: np.ndarray) -> np.ndarray:
        """Compute the head's output for [n, 1024] descriptors in float64."""
        logits = (
            descriptors.astype(np.float64) @ self.weight.astype(np.float64) + self.bias
        )
        if self.activation == "sigmoid":
            result: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        elif self.activation == "softmax":
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            result = shifted / shifted.sum(axis=1, keepdims=True)
        elif self.activation == "expm1":
            result = np.clip(np.expm1(logits), 0.0, MAX_AGE)
        elif self.activation == "identity":
            result = np.clip(logits, 0.0, MAX_AGE)
        else:
            raise ValueError(f"unknown head activation {self.activation!r}")
        return result


def fold_standardizer(
    scaler: StandardScaler, weight: np.ndarray, bias: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rewrite `((x - mean) / scale) @ weight + bias` as `x @ weight' + bias'`."""
    scale = np.asarray(scaler.scale_, dtype=np.float64)
    mean = np.asarray(scaler.mean_, dtype=np.float64)
    folded_weight = weight / scale[:, np.newaxis]
    folded_bias = bias - mean @ folded_weight
    return folded_weight.astype(np.float32), folded_bias.astype(np.float32)


def grouped_folds(
    labels: np.ndarray, groups: np.ndarray, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return (train, test) index arrays of a shuffled StratifiedGroupKFold.

    Duplicate groups stay inside one fold, so near-copies never score each other.
    """
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), labels, groups))


def _cross_validate(
    name: str,
    grid: Sequence[Candidate],
    folds: list[tuple[np.ndarray, np.ndarray]],
    score_fold: Callable[[Candidate, np.ndarray, np.ndarray], float],
    higher_is_better: bool,
) -> tuple[Candidate, float, dict[str, float]]:
    """Score every grid value on every fold; return the best value and its mean."""
    means: dict[str, float] = {}
    best_value, best_score = grid[0], -math.inf if higher_is_better else math.inf
    with tqdm(
        total=len(grid) * len(folds), desc=f"tune {name}", unit="fit"
    ) as progress:
        for value in grid:
            scores = []
            for train, test in folds:
                scores.append(score_fold(value, train, test))
                progress.update(1)
            mean = float(np.mean(scores))
            means[str(value)] = round(mean, 5)
            better = mean > best_score if higher_is_better else mean < best_score
            if better:
                best_value, best_score = value, mean
    log.info("%s: best %s with CV score %.4f", name, best_value, best_score)
    return best_value, best_score, means


def _logistic(c: float, seed: int) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=LOGISTIC_MAX_ITER, random_state=seed)


def fit_logistic_head(
    name: str,
    descriptors: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    folds: int,
    seed: int,
    c_grid: Sequence[float] = LOGISTIC_C_GRID,
) -> LinearHead:
    """Fit a (multinomial) logistic regression head, choosing C by grouped CV accuracy.

    With two classes the head outputs the probability of class 1 through a
    sigmoid, otherwise class probabilities through a softmax.
    """
    scaler = StandardScaler().fit(descriptors)
    standardized = scaler.transform(descriptors)
    splits = grouped_folds(labels, groups, folds, seed)

    def score_fold(c: float, train: np.ndarray, test: np.ndarray) -> float:
        model = _logistic(c, seed).fit(standardized[train], labels[train])
        return float(np.mean(model.predict(standardized[test]) == labels[test]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        best_c, best_score, means = _cross_validate(
            name, c_grid, splits, score_fold, True
        )
        model = _logistic(best_c, seed).fit(standardized, labels)

    weight = np.asarray(model.coef_, dtype=np.float64).T
    bias = np.asarray(model.intercept_, dtype=np.float64)
    folded_weight, folded_bias = fold_standardizer(scaler, weight, bias)
    activation = "sigmoid" if weight.shape[1] == 1 else "softmax"
    return LinearHead(
        folded_weight,
        folded_bias,
        activation,
        {"C": best_c, "C_grid": list(c_grid), "cv_accuracy_by_C": means},
        {"cv_accuracy": round(best_score, 5)},
    )


def fit_age_head(
    descriptors: np.ndarray,
    ages: np.ndarray,
    strata: np.ndarray,
    groups: np.ndarray,
    folds: int,
    seed: int,
    alpha_grid: Sequence[float] = RIDGE_ALPHA_GRID,
) -> LinearHead:
    """Fit a ridge age head, choosing target and alpha by grouped CV mean abs error.

    Folds are stratified by `strata` (race). Predictions are clipped to
    0..MAX_AGE years before scoring, as the exported graph does.
    """
    scaler = StandardScaler().fit(descriptors)
    standardized = scaler.transform(descriptors)
    splits = grouped_folds(strata, groups, folds, seed)
    targets = {
        "years": ages.astype(np.float64),
        "log1p_years": np.log1p(ages.astype(np.float64)),
    }
    grid = [(target, alpha) for target in AGE_TARGETS for alpha in alpha_grid]

    def score_fold(
        value: tuple[str, float], train: np.ndarray, test: np.ndarray
    ) -> float:
        target, alpha = value
        model = Ridge(alpha=alpha).fit(standardized[train], targets[target][train])
        predicted = model.predict(standardized[test])
        if target == "log1p_years":
            predicted = np.expm1(predicted)
        return float(np.mean(np.abs(np.clip(predicted, 0.0, MAX_AGE) - ages[test])))

    best, best_score, means = _cross_validate("age", grid, splits, score_fold, False)
    target, alpha = best
    model = Ridge(alpha=alpha).fit(standardized, targets[target])
    weight = np.asarray(model.coef_, dtype=np.float64).reshape(-1, 1)
    bias = np.asarray([model.intercept_], dtype=np.float64)
    folded_weight, folded_bias = fold_standardizer(scaler, weight, bias)
    return LinearHead(
        folded_weight,
        folded_bias,
        "expm1" if target == "log1p_years" else "identity",
        {
            "target": target,
            "alpha": alpha,
            "alpha_grid": list(alpha_grid),
            "cv_mae_by_target_alpha": means,
        },
        {"cv_mae_years": round(best_score, 4)},
    )
