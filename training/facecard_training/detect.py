"""BlazeFace decoding and the measurement of where UTKFace crops place a face.

Input: BlazeFace `scores` [1,896,1] logits and `regressors` [1,896,16] for a
256x256 input. Output: detections in input pixels, and statistics of face
geometry as fractions of the crop side, which the Rust aligner uses to cut
crops framed like the ones the attribute heads were fitted on.
"""

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from facecard_training.preprocess import DETECTOR_INPUT_SIZE

log = logging.getLogger(__name__)

# Anchor layout of MediaPipe's back-camera face detector: (stride in input
# pixels, anchors per grid cell). A 256-pixel input gives a 16x16 grid with 2
# anchors per cell, then an 8x8 grid with 6, in total 512 + 384 = 896.
ANCHOR_LAYERS = ((16, 2), (32, 6))
# Keypoint order in the regressors, after the 4 box columns (MediaPipe order).
# "Right" is the subject's right, which appears on the image's left.
KEYPOINT_NAMES = (
    "right_eye",
    "left_eye",
    "nose_tip",
    "mouth_center",
    "right_ear",
    "left_ear",
)
# A detection counts as a face when sigmoid(logit) reaches this score.
SCORE_THRESHOLD = 0.5
# Boxes that overlap more than this intersection over union are taken to be
# the same face: the default minSuppressionThreshold of MediaPipe's Face
# Detector task (mediapipe/tasks/web/vision/face_detector).
NMS_IOU_THRESHOLD = 0.3


@dataclass(frozen=True)
class Detection:
    """One decoded BlazeFace box, in input pixels with y pointing down."""

    score: float
    center: tuple[float, float]
    size: tuple[float, float]
    keypoints: dict[str, tuple[float, float]]


def make_anchors(input_size: int = DETECTOR_INPUT_SIZE) -> np.ndarray:
    """Return the [896, 2] anchor centres (x, y) in input pixels, in model output order.

    Layers come in ANCHOR_LAYERS order, cells row-major, and each cell's
    anchors share its centre.
    """
    centers: list[tuple[float, float]] = []
    for stride, per_cell in ANCHOR_LAYERS:
        cells = input_size // stride
        for row in range(cells):
            for col in range(cells):
                center = (stride * (col + 0.5), stride * (row + 0.5))
                centers.extend([center] * per_cell)
    return np.asarray(centers, dtype=np.float64)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Return the logistic function of `logits`, without overflow for large ones."""
    clipped = np.clip(logits.astype(np.float64), -100.0, 100.0)
    result: np.ndarray = 1.0 / (1.0 + np.exp(-clipped))
    return result


def decode(
    index: int, score: float, regressors: np.ndarray, anchors: np.ndarray
) -> Detection:
    """Decode one anchor's 16 regressor values into a box and six keypoints."""
    anchor_x, anchor_y = anchors[index]
    row = regressors[index]
    keypoints = {
        name: (float(anchor_x + row[4 + 2 * k]), float(anchor_y + row[5 + 2 * k]))
        for k, name in enumerate(KEYPOINT_NAMES)
    }
    return Detection(
        score=score,
        center=(float(anchor_x + row[0]), float(anchor_y + row[1])),
        size=(float(row[2]), float(row[3])),
        keypoints=keypoints,
    )


def best_detection(
    scores: np.ndarray, regressors: np.ndarray, anchors: np.ndarray
) -> Detection | None:
    """Return the highest-scoring detection if it reaches SCORE_THRESHOLD, else None.

    `scores` and `regressors` are one image's outputs, of shapes [896, 1] or
    [896] and [896, 16].
    """
    probabilities = sigmoid(scores.reshape(-1))
    index = int(np.argmax(probabilities))
    if probabilities[index] < SCORE_THRESHOLD:
        return None
    return decode(
        index, float(probabilities[index]), regressors.reshape(-1, 16), anchors
    )


def all_detections(
    scores: np.ndarray, regressors: np.ndarray, anchors: np.ndarray
) -> list[Detection]:
    """Return every detection that reaches SCORE_THRESHOLD, highest score first.

    Neighbouring anchors often fire on the same face, so callers that want
    one detection per face pass the result to `suppress_overlaps`.
    """
    probabilities = sigmoid(scores.reshape(-1))
    rows = regressors.reshape(-1, 16)
    order = np.argsort(-probabilities, kind="stable")
    return [
        decode(int(index), float(probabilities[index]), rows, anchors)
        for index in order
        if probabilities[index] >= SCORE_THRESHOLD
    ]


def box_iou(first: Detection, second: Detection) -> float:
    """Return the intersection over union of two detections' boxes."""

    def corners(detection: Detection) -> tuple[float, float, float, float]:
        (x, y), (width, height) = detection.center, detection.size
        return (x - width / 2, y - height / 2, x + width / 2, y + height / 2)

    a, b = corners(first), corners(second)
    overlap_width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    overlap_height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    intersection = overlap_width * overlap_height
    union = (
        first.size[0] * first.size[1] + second.size[0] * second.size[1] - intersection
    )
    return intersection / union if union > 0 else 0.0


def suppress_overlaps(
    detections: Sequence[Detection], iou_threshold: float = NMS_IOU_THRESHOLD
) -> list[Detection]:
    """Keep the highest-scoring detection of each cluster of overlapping boxes.

    Greedy non-maximum suppression: detections are visited from the highest
    score down, and one is dropped when its box overlaps a kept box with an
    IoU above `iou_threshold`.
    """
    kept: list[Detection] = []
    for detection in sorted(detections, key=lambda d: d.score, reverse=True):
        if all(box_iou(detection, other) <= iou_threshold for other in kept):
            kept.append(detection)
    return kept


def to_image_coordinates(
    detection: Detection, scale: float, offset: tuple[float, float]
) -> Detection:
    """Map a detection from model input pixels to image pixels.

    An input point p maps to `p * scale - offset`, where `scale` is image
    pixels per input pixel and `offset` is where the image sits in the
    canvas that was resized to the input.
    """

    def point(xy: tuple[float, float]) -> tuple[float, float]:
        return (xy[0] * scale - offset[0], xy[1] * scale - offset[1])

    return Detection(
        score=detection.score,
        center=point(detection.center),
        size=(detection.size[0] * scale, detection.size[1] * scale),
        keypoints={name: point(xy) for name, xy in detection.keypoints.items()},
    )


@dataclass(frozen=True)
class FaceGeometry:
    """Face measurements in one square crop, as fractions of its side.

    Roll is in degrees.
    """

    eye_midpoint_x: float
    eye_midpoint_y: float
    inter_eye_distance: float
    eye_to_mouth_distance: float
    box_center_x: float
    box_center_y: float
    box_width: float
    box_height: float
    roll_degrees: float
    score: float


def face_geometry(
    detection: Detection, side: float = DETECTOR_INPUT_SIZE
) -> FaceGeometry:
    """Measure a detection in a square input of `side` pixels.

    Roll is the angle of the line from the subject's right eye (image left)
    to the left eye, in degrees, positive when the left eye sits lower in the
    image, which is a clockwise tilt as seen on screen.
    """
    right_eye = np.asarray(detection.keypoints["right_eye"]) / side
    left_eye = np.asarray(detection.keypoints["left_eye"]) / side
    mouth = np.asarray(detection.keypoints["mouth_center"]) / side
    midpoint = (right_eye + left_eye) / 2
    eye_vector = left_eye - right_eye
    return FaceGeometry(
        eye_midpoint_x=float(midpoint[0]),
        eye_midpoint_y=float(midpoint[1]),
        inter_eye_distance=float(np.hypot(*eye_vector)),
        eye_to_mouth_distance=float(np.hypot(*(mouth - midpoint))),
        box_center_x=detection.center[0] / side,
        box_center_y=detection.center[1] / side,
        box_width=detection.size[0] / side,
        box_height=detection.size[1] / side,
        roll_degrees=math.degrees(math.atan2(eye_vector[1], eye_vector[0])),
        score=detection.score,
    )


def summarize(values: Iterable[float]) -> dict[str, float]:
    """Return mean, standard deviation and 5th, 50th and 95th percentiles.

    Values are rounded to 4 decimals.
    """
    array = np.asarray(list(values), dtype=np.float64)
    if array.size == 0:
        raise ValueError("cannot summarize an empty list of measurements")
    summary = {
        "mean": array.mean(),
        "std": array.std(ddof=1) if array.size > 1 else 0.0,
        "p05": np.percentile(array, 5),
        "median": np.median(array),
        "p95": np.percentile(array, 95),
    }
    return {key: round(float(value), 4) for key, value in summary.items()}


def framing_summary(
    geometries: list[FaceGeometry], crops_total: int, padding: float
) -> dict[str, object]:
    """Build the manifest's `framing` block from per-crop measurements."""
    fields = [name for name in FaceGeometry.__dataclass_fields__ if name != "score"]
    block: dict[str, object] = {
        "method": (
            f"each UTKFace crop centered on a black square {padding} times its "
            "side, resized to 256x256 and run through BlazeFace; the best "
            f"detection per crop is kept when its score is at least "
            f"{SCORE_THRESHOLD}, and its points are mapped back to the crop"
        ),
        "units": (
            "fractions of the crop side, origin at the top-left corner, y down; "
            "roll in degrees, positive when the subject's left eye (image right) "
            "is lower"
        ),
        "padding": padding,
        "crops_total": crops_total,
        "crops_measured": len(geometries),
        "crops_without_face": crops_total - len(geometries),
        "score_threshold": SCORE_THRESHOLD,
    }
    for name in fields:
        block[name] = summarize(getattr(geometry, name) for geometry in geometries)
    block["detection_score"] = summarize(geometry.score for geometry in geometries)
    return block
