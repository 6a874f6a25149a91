"""Validation metrics overall and per group (race, gender, age band), with counts.

Input: validation samples and per-sample predictions. Output: JSON-ready
dictionaries for `models/metrics.json` and the model card.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from facecard_training.data import AGE_BANDS, GENDER_NAMES, RACE_NAMES, Sample, age_band


def grouped(
    samples: Sequence[Sample],
    per_sample: np.ndarray,
    metric: str,
    reduce: Callable[[np.ndarray], float],
) -> dict[str, Any]:
    """Reduce a per-sample score overall and by race, gender and age band."""

    def entry(mask: np.ndarray) -> dict[str, Any]:
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
) -> dict[str, Any]:
    """Return accuracy of "female when probability > 0.5", overall and per group."""
    truth = np.array([sample.gender for sample in samples])
    correct = ((female_probability > 0.5).astype(int) == truth).astype(np.float64)
    return grouped(samples, correct, "accuracy", _mean)


def age_metrics(
    samples: Sequence[Sample], predicted_years: np.ndarray
) -> dict[str, Any]:
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
) -> dict[str, Any]:
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


def _entry(block: dict[str, Any], section: str, key: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = block[section] if key is None else block[section][key]
    return entry


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _years(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown_report(metrics: dict[str, Any]) -> str:
    """Render the validation metrics of `metrics.json` as Markdown tables.

    Accuracy is in percent and mean absolute error (MAE) in years.
    """
    gender, age, race = metrics["gender"], metrics["age"], metrics["race"]["head"]
    lines = [
        f"Validation images: {metrics['validation_images']}. "
        f"Shipped: gender from {metrics['shipped']['gender']}, "
        f"age from {metrics['shipped']['age']}, race from the head.",
        "",
        "| group | count | gender acc. FaceRes | gender acc. head "
        "| age MAE FaceRes | age MAE head | race acc. head |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    sections: list[tuple[str, tuple[str | None, ...]]] = [
        ("overall", (None,)),
        ("by_race", RACE_NAMES),
        ("by_gender", GENDER_NAMES),
        ("by_age_band", tuple(label for label, _, _ in AGE_BANDS)),
    ]
    for section, keys in sections:
        for key in keys:
            cells = [
                "all" if key is None else key,
                str(_entry(race, section, key)["count"]),
                _percent(_entry(gender["faceres"], section, key)["accuracy"]),
                _percent(_entry(gender["head"], section, key)["accuracy"]),
                _years(_entry(age["faceres"], section, key)["mae_years"]),
                _years(_entry(age["head"], section, key)["mae_years"]),
                _percent(_entry(race, section, key)["accuracy"]),
            ]
            lines.append("| " + " | ".join(cells) + " |")

    matrix = race["confusion_matrix"]
    lines += ["", "Race confusion matrix (rows: true label, columns: predicted):", ""]
    lines.append("| true \\ predicted | " + " | ".join(matrix["labels"]) + " |")
    lines.append("|---" + "|---:" * len(matrix["labels"]) + "|")
    for label, row in zip(matrix["labels"], matrix["counts"], strict=True):
        lines.append(f"| {label} | " + " | ".join(str(value) for value in row) + " |")
    return "\n".join(lines) + "\n"
