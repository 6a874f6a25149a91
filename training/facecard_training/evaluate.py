"""Validation metrics overall and per group (race, gender, age band), with counts.

Input: validation samples and per-sample predictions. Output: JSON-ready
dictionaries for `models/metrics.json` and the model card.
"""

from collections.abc import Callable, Sequence

import numpy as np

from facecard_training.data import AGE_BANDS, GENDER_NAMES, RACE_NAMES, Sample, age_band


def grouped(
    samples: Sequence[Sample],
    per_sample: np.ndarray,
    metric: str,
    reduce: Callable[[np.ndarray], float],
) -> dict[str, object]:
    """Reduce a per-sample score overall and by race, gender and age band."""

    def entry(mask: np.ndarray) -> dict[str, object]:
        count = int(mask.sum())
        value = round(reduce(per_sample[mask]), 4) if count else None
        return {"count": count, metric: value}

    races = np.array([sample.race for sample in samples])
    genders = np.array([sample.gender for sample in samples])
    bands = np.array([age_band(sample.age) for sample in samples])
    return {
        "overall": entry(np.ones(len(samples), dtype=bool)),
        "by_race": {
            name: entry(races == index) for index, name in enumerate(RACE_NAMES)
        },
        "by_gender": {
            name: entry(genders == index) for index, name in enumerate(GENDER_NAMES)
        },
        "by_age_band": {label: entry(bands == label) for label, _, _ in AGE_BANDS},
    }


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values))


def gender_metrics(
    samples: Sequence[Sample], female_probability: np.ndarray
) -> dict[str, object]:
    """Return accuracy of "female when probability > 0.5", overall and per group."""
    truth = np.array([sample.gender for sample in samples])
    correct = ((female_probability > 0.5).astype(int) == truth).astype(np.float64)
    return grouped(samples, correct, "accuracy", _mean)


def age_metrics(
    samples: Sequence[Sample], predicted_years: np.ndarray
) -> dict[str, object]:
    """Return age MAE in years overall and per group, and signed error per band."""
    truth = np.array([sample.age for sample in samples], dtype=np.float64)
    result = grouped(samples, np.abs(predicted_years - truth), "mae_years", _mean)
    by_band = grouped(samples, predicted_years - truth, "mean_error_years", _mean)[
        "by_age_band"
    ]
    result["bias_by_age_band"] = by_band
    return result


def race_metrics(
    samples: Sequence[Sample], probabilities: np.ndarray
) -> dict[str, object]:
    """Return race accuracy overall and per group, and the confusion matrix.

    Matrix rows are the true labels and columns the predicted ones.
    """
    truth = np.array([sample.race for sample in samples])
    predicted = probabilities.argmax(axis=1)
    result = grouped(
        samples, (predicted == truth).astype(np.float64), "accuracy", _mean
    )
    matrix = np.zeros((len(RACE_NAMES), len(RACE_NAMES)), dtype=int)
    np.add.at(matrix, (truth, predicted), 1)
    result["confusion_matrix"] = {
        "rows": "true label",
        "columns": "predicted label",
        "labels": list(RACE_NAMES),
        "counts": matrix.tolist(),
    }
    return result


def builtin_age_years(age_distribution: np.ndarray) -> np.ndarray:
    """Return FaceRes's age estimate, the expected value over its 100 one-year bins.

    Bin i stands for age i years, i = 0..99.
    """
    return age_distribution @ np.arange(age_distribution.shape[1], dtype=np.float64)
