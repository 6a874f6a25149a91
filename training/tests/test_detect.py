"""Tests for BlazeFace anchors, decoding and the framing summary."""

import math

import numpy as np
import pytest

from facecard_training import detect


def test_anchor_count_and_order() -> None:
    anchors = detect.make_anchors(256)
    assert anchors.shape == (896, 2)
    assert anchors[0].tolist() == [8.0, 8.0]
    assert anchors[1].tolist() == [8.0, 8.0]  # second anchor of the same cell
    assert anchors[2].tolist() == [24.0, 8.0]  # next cell in the row
    assert anchors[32].tolist() == [8.0, 24.0]  # first cell of the second row
    assert anchors[511].tolist() == [248.0, 248.0]
    assert anchors[512].tolist() == [16.0, 16.0]  # first stride-32 anchor
    assert anchors[517].tolist() == [16.0, 16.0]
    assert anchors[518].tolist() == [48.0, 16.0]
    assert anchors[895].tolist() == [240.0, 240.0]


def test_sigmoid_handles_large_logits() -> None:
    values = detect.sigmoid(np.array([-8000.0, 0.0, 8000.0]))
    assert values.tolist() == pytest.approx([0.0, 0.5, 1.0])


def test_best_detection_decodes_offsets() -> None:
    anchors = detect.make_anchors()
    scores = np.full((896, 1), -10.0)
    scores[600] = 3.0
    regressors = np.zeros((896, 16))
    regressors[600, :4] = [2.0, -3.0, 50.0, 60.0]
    regressors[600, 4:6] = [-10.0, -5.0]  # right eye
    regressors[600, 6:8] = [10.0, -5.0]  # left eye
    detection = detect.best_detection(scores, regressors, anchors)
    assert detection is not None
    anchor_x, anchor_y = anchors[600]
    assert detection.score == pytest.approx(1 / (1 + math.exp(-3.0)))
    assert detection.center == (anchor_x + 2.0, anchor_y - 3.0)
    assert detection.size == (50.0, 60.0)
    assert detection.keypoints["right_eye"] == (anchor_x - 10.0, anchor_y - 5.0)
    assert detection.keypoints["left_eye"] == (anchor_x + 10.0, anchor_y - 5.0)
    assert detection.keypoints["nose_tip"] == (anchor_x, anchor_y)


def test_best_detection_below_threshold() -> None:
    anchors = detect.make_anchors()
    scores = np.full((896, 1), -0.1)
    assert detect.best_detection(scores, np.zeros((896, 16)), anchors) is None


def test_face_geometry_fractions_and_roll() -> None:
    detection = detect.Detection(
        score=0.9,
        center=(128.0, 128.0),
        size=(128.0, 128.0),
        keypoints={
            "right_eye": (96.0, 64.0),
            "left_eye": (160.0, 128.0),  # 45 degrees lower on the image right
            "nose_tip": (128.0, 128.0),
            "mouth_center": (128.0, 192.0),
            "right_ear": (64.0, 96.0),
            "left_ear": (192.0, 96.0),
        },
    )
    geometry = detect.face_geometry(detection, side=256)
    assert geometry.eye_midpoint_x == pytest.approx(0.5)
    assert geometry.eye_midpoint_y == pytest.approx(0.375)
    assert geometry.inter_eye_distance == pytest.approx(math.hypot(0.25, 0.25))
    assert geometry.eye_to_mouth_distance == pytest.approx(0.375)
    assert geometry.box_width == pytest.approx(0.5)
    assert geometry.roll_degrees == pytest.approx(45.0)


def test_summarize_statistics() -> None:
    summary = detect.summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    assert summary["mean"] == 3.0
    assert summary["median"] == 3.0
    assert summary["std"] == pytest.approx(1.5811, abs=1e-4)


def test_summarize_rejects_empty() -> None:
    with pytest.raises(ValueError, match="empty"):
        detect.summarize([])


def make_detection(score: float, center: tuple[float, float]) -> detect.Detection:
    """Return a 40x40 detection with no keypoints."""
    return detect.Detection(score, center, (40.0, 40.0), {})


def test_box_iou_of_shifted_boxes() -> None:
    first = make_detection(0.9, (100.0, 100.0))
    second = make_detection(0.8, (120.0, 100.0))  # half of each box overlaps
    assert detect.box_iou(first, second) == pytest.approx(800 / 2400)
    assert detect.box_iou(first, make_detection(0.8, (200.0, 100.0))) == 0.0


def test_suppress_overlaps_keeps_highest_score() -> None:
    low = make_detection(0.6, (100.0, 100.0))
    high = make_detection(0.9, (102.0, 101.0))
    apart = make_detection(0.7, (300.0, 100.0))
    kept = detect.suppress_overlaps([low, high, apart])
    assert kept == [high, apart]


def test_all_detections_sorted_above_threshold() -> None:
    anchors = detect.make_anchors()
    scores = np.full((896, 1), -10.0)
    scores[[10, 700, 300]] = [[1.0], [3.0], [-0.5]]
    detections = detect.all_detections(scores, np.zeros((896, 16)), anchors)
    assert [d.center for d in detections] == [
        tuple(anchors[700].tolist()),
        tuple(anchors[10].tolist()),
    ]
