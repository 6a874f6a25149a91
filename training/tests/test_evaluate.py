"""Tests for the validation metrics and their Markdown rendering."""

import numpy as np
import pytest

from facecard_training import evaluate
from facecard_training.data import Sample

SAMPLES = [
    Sample("a", 5, 0, 0),
    Sample("b", 25, 1, 0),
    Sample("c", 65, 1, 1),
    Sample("d", 35, 0, 2),
]


def test_gender_metrics_by_group() -> None:
    female_probability = np.array([0.1, 0.9, 0.2, 0.6])  # c and d are wrong
    metrics = evaluate.gender_metrics(SAMPLES, female_probability)
    assert metrics["overall"] == {"count": 4, "accuracy": 0.5}
    assert metrics["by_race"]["White"] == {"count": 2, "accuracy": 1.0}
    assert metrics["by_race"]["Black"] == {"count": 1, "accuracy": 0.0}
    assert metrics["by_race"]["Indian"] == {"count": 0, "accuracy": None}
    assert metrics["by_age_band"]["60+"] == {"count": 1, "accuracy": 0.0}


def test_age_metrics_mae_and_bias() -> None:
    metrics = evaluate.age_metrics(SAMPLES, np.array([7.0, 25.0, 55.0, 35.0]))
    assert metrics["overall"]["mae_years"] == pytest.approx(3.0)
    assert metrics["by_age_band"]["0-9"]["mae_years"] == pytest.approx(2.0)
    assert metrics["bias_by_age_band"]["60+"]["mean_error_years"] == pytest.approx(
        -10.0
    )


def test_race_confusion_matrix() -> None:
    probabilities = np.eye(5)[[0, 3, 1, 2]]  # b is predicted Indian
    metrics = evaluate.race_metrics(SAMPLES, probabilities)
    counts = metrics["confusion_matrix"]["counts"]
    assert counts[0] == [1, 0, 0, 1, 0]
    assert counts[1] == [0, 1, 0, 0, 0]
    assert metrics["overall"]["accuracy"] == 0.75


def test_builtin_age_is_expected_value() -> None:
    distribution = np.zeros((1, 100))
    distribution[0, [20, 30]] = 0.5
    assert evaluate.builtin_age_years(distribution).tolist() == [25.0]


def test_markdown_report_tables() -> None:
    female = np.array([0.1, 0.9, 0.8, 0.2])
    ages = np.array([5.0, 25.0, 65.0, 35.0])
    metrics = {
        "validation_images": 4,
        "shipped": {"gender": "head", "age": "faceres"},
        "gender": {
            "faceres": evaluate.gender_metrics(SAMPLES, female),
            "head": evaluate.gender_metrics(SAMPLES, female),
        },
        "age": {
            "faceres": evaluate.age_metrics(SAMPLES, ages),
            "head": evaluate.age_metrics(SAMPLES, ages),
        },
        "race": {"head": evaluate.race_metrics(SAMPLES, np.eye(5)[[0, 0, 1, 2]])},
    }
    report = evaluate.markdown_report(metrics)
    assert "| all | 4 | 100.0 % | 100.0 % | 0.00 | 0.00 | 100.0 % |" in report
    assert "| Indian | 0 | - | - | - | - | - |" in report
    assert "| White | 2 | 0 | 0 | 0 | 0 |" in report
