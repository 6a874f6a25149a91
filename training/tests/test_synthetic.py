"""Tests for the synthetic-label crops that stand in for UTKFace in smoke builds."""

import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from facecard_training import data, synthetic
from facecard_training.synthetic import Face, Framing

FRAMING = Framing(eye_midpoint_x=0.487, eye_midpoint_y=0.292, inter_eye_distance=0.4)
NAME_PATTERN = re.compile(r"^\d+_[01]_[0-4]_20000101\d{9}\.jpg\.chip\.jpg$")


def make_photo_and_faces(count: int) -> tuple[Image.Image, list[Face]]:
    """Return a photo that brightens from left to right, and `count` faces on a grid."""
    ramp = np.tile(np.linspace(0, 255, 800, dtype=np.uint8), (600, 1))
    photo = Image.fromarray(np.stack([ramp] * 3, axis=2))
    faces = [
        Face(
            photo_index=0,
            face_index=index,
            right_eye=(40.0 + 60 * (index % 12), 100.0 + 120 * (index // 12)),
            left_eye=(70.0 + 60 * (index % 12), 104.0 + 120 * (index // 12)),
        )
        for index in range(count)
    ]
    return photo, faces


def dot_center(image: Image.Image, color: tuple[int, int, int]) -> tuple[float, float]:
    """Return the centroid of the pixels close to `color`."""
    pixels = np.asarray(image, dtype=np.int32)
    distance = np.abs(pixels - np.asarray(color)).sum(axis=2)
    rows, cols = np.nonzero(distance < 60)
    return float(cols.mean()), float(rows.mean())


def halves_brightness(image: Image.Image) -> tuple[float, float]:
    """Return the mean pixel value of the left and right halves of an image."""
    pixels = np.asarray(image, dtype=np.float64)
    middle = pixels.shape[1] // 2
    return float(pixels[:, :middle].mean()), float(pixels[:, middle:].mean())


def test_write_crops_names_parse(tmp_path: Path) -> None:
    photo, faces = make_photo_and_faces(12)
    paths = synthetic.write_crops([photo], faces, FRAMING, tmp_path)
    assert len(paths) == 2 * len(faces)
    assert len({path.name for path in paths}) == len(paths)
    for path in paths:
        assert NAME_PATTERN.match(path.name), path.name
        data.parse_name(path.name)


def test_write_crops_cover_every_label(tmp_path: Path) -> None:
    photo, faces = make_photo_and_faces(synthetic.MIN_FACES)
    synthetic.write_crops([photo], faces, FRAMING, tmp_path)
    samples, rejected = data.load_samples(tmp_path)
    assert rejected == []
    pairs = Counter((sample.race, sample.gender) for sample in samples)
    for race in range(len(data.RACE_NAMES)):
        for gender in range(len(data.GENDER_NAMES)):
            assert pairs[(race, gender)] == 2, (race, gender)
    bands = {data.age_band(sample.age) for sample in samples}
    assert len(bands) == len(synthetic.SYNTHETIC_AGES)


def test_write_crops_mirror_keeps_labels(tmp_path: Path) -> None:
    photo, faces = make_photo_and_faces(synthetic.MIN_FACES)
    paths = synthetic.write_crops([photo], faces, FRAMING, tmp_path)
    for original, mirrored in zip(paths[::2], paths[1::2], strict=True):
        labels = data.parse_name(original.name)
        mirrored_labels = data.parse_name(mirrored.name)
        assert (labels.age, labels.gender, labels.race) == (
            mirrored_labels.age,
            mirrored_labels.gender,
            mirrored_labels.race,
        )
        with Image.open(original) as image:
            left, right = halves_brightness(image)
        assert left < right
        with Image.open(mirrored) as image:
            left, right = halves_brightness(image)
        assert left > right


def test_write_crops_are_200px_jpegs(tmp_path: Path) -> None:
    photo, faces = make_photo_and_faces(synthetic.MIN_FACES)
    for path in synthetic.write_crops([photo], faces, FRAMING, tmp_path):
        with Image.open(path) as image:
            assert image.format == "JPEG"
            assert image.size == (synthetic.CROP_SIDE, synthetic.CROP_SIDE)
            assert image.mode == "RGB"


def test_write_crops_rejects_too_few_faces(tmp_path: Path) -> None:
    photo, faces = make_photo_and_faces(synthetic.MIN_FACES - 1)
    with pytest.raises(RuntimeError, match="at least 10"):
        synthetic.write_crops([photo], faces, FRAMING, tmp_path)


def test_align_face_places_tilted_eyes() -> None:
    photo = Image.new("RGB", (400, 400))
    draw = ImageDraw.Draw(photo)
    right_eye, left_eye = (150.0, 180.0), (230.0, 240.0)  # rolled by 36.9 degrees
    for (x, y), color in ((right_eye, (255, 0, 0)), (left_eye, (0, 0, 255))):
        draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=color)

    crop = synthetic.align_face(photo, right_eye, left_eye, FRAMING, side=200)

    half_distance = FRAMING.inter_eye_distance * 200 / 2
    red_x, red_y = dot_center(crop, (255, 0, 0))
    blue_x, blue_y = dot_center(crop, (0, 0, 255))
    assert red_x == pytest.approx(FRAMING.eye_midpoint_x * 200 - half_distance, abs=1)
    assert blue_x == pytest.approx(FRAMING.eye_midpoint_x * 200 + half_distance, abs=1)
    assert red_y == pytest.approx(FRAMING.eye_midpoint_y * 200, abs=1)
    assert blue_y == pytest.approx(FRAMING.eye_midpoint_y * 200, abs=1)
    assert math.hypot(blue_x - red_x, blue_y - red_y) == pytest.approx(
        2 * half_distance, abs=1
    )


def test_synthetic_labels_cycle() -> None:
    labels = [synthetic.synthetic_labels(index) for index in range(10)]
    assert [race for _, _, race in labels] == [0, 1, 2, 3, 4] * 2
    assert [gender for _, gender, _ in labels] == [0] * 5 + [1] * 5


def test_load_framing_reads_means(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    framing = {
        name: {"mean": value, "median": 0.0}
        for name, value in (
            ("eye_midpoint_x", 0.5),
            ("eye_midpoint_y", 0.3),
            ("inter_eye_distance", 0.4),
        )
    }
    manifest.write_text(json.dumps({"framing": framing}))
    assert synthetic.load_framing(manifest) == Framing(0.5, 0.3, 0.4)


def test_load_framing_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"manifest\.json"):
        synthetic.load_framing(tmp_path / "manifest.json")
