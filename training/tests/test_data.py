"""Tests for label parsing, duplicate grouping and the split."""

from pathlib import Path

import numpy as np
import pytest

from facecard_training import data
from facecard_training.data import LabelError, Sample


def make_samples(count: int) -> list[Sample]:
    """Return `count` samples cycling through every race, gender and many ages."""
    return [
        Sample(
            f"{1 + i % 90}_{i % 2}_{i % 5}_2017010{i:09d}.jpg.chip.jpg",
            1 + i % 90,
            i % 2,
            i % 5,
        )
        for i in range(count)
    ]


def test_parse_name_reads_labels() -> None:
    sample = data.parse_name("26_1_3_20170119180459000.jpg.chip.jpg")
    assert sample.age == 26
    assert sample.gender == 1
    assert sample.race == 3


@pytest.mark.parametrize(
    "name",
    [
        "61_3_20170109150557335.jpg.chip.jpg",  # gender or race field missing
        "26_1_3_20170119180459000.jpg",  # wrong suffix
        "26_2_3_20170119180459000.jpg.chip.jpg",  # gender out of range
        "26_1_5_20170119180459000.jpg.chip.jpg",  # race out of range
        "117_1_3_20170119180459000.jpg.chip.jpg",  # age out of range
        "x_1_3_20170119180459000.jpg.chip.jpg",  # not numeric
    ],
)
def test_parse_name_rejects_malformed(name: str) -> None:
    with pytest.raises(LabelError, match="jpg"):
        data.parse_name(name)


def test_parse_name_message_counts_fields() -> None:
    with pytest.raises(LabelError, match="found 3"):
        data.parse_name("61_3_20170109150557335.jpg.chip.jpg")


def test_load_samples_skips_malformed(tmp_path: Path) -> None:
    for name in [
        "1_0_0_20170101000000000.jpg.chip.jpg",
        "61_3_20170109150557335.jpg.chip.jpg",
    ]:
        (tmp_path / name).write_bytes(b"")
    samples, rejected = data.load_samples(tmp_path)
    assert [sample.name for sample in samples] == [
        "1_0_0_20170101000000000.jpg.chip.jpg"
    ]
    assert rejected == ["61_3_20170109150557335.jpg.chip.jpg"]


def test_load_samples_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="FACECARD_UTKFACE_DIR"):
        data.load_samples(tmp_path / "absent")


@pytest.mark.parametrize(
    ("age", "band"),
    [(0, "0-9"), (9, "0-9"), (10, "10-19"), (59, "50-59"), (60, "60+"), (116, "60+")],
)
def test_age_band_edges(age: int, band: str) -> None:
    assert data.age_band(age) == band


def test_exact_duplicate_pairs_link_to_first() -> None:
    assert data.exact_duplicate_pairs(["a", "b", "a", "c", "a"]) == [(0, 2), (0, 4)]


def test_near_duplicate_pairs_threshold() -> None:
    descriptors = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [2.0, 0.0]])
    pairs = data.near_duplicate_pairs(descriptors, 0.95, block_size=2)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (0, 3), (1, 3)]
    assert pairs[1][2] == pytest.approx(1.0)


def test_nearest_neighbor_similarity_excludes_self() -> None:
    descriptors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    best = data.nearest_neighbor_similarity(descriptors, block_size=2)
    np.testing.assert_allclose(best, [np.sqrt(0.5)] * 3)


def test_group_pairs_is_transitive() -> None:
    groups = data.group_pairs(6, [(4, 5), (1, 3), (3, 5)])
    assert groups.tolist() == [0, 1, 2, 1, 1, 1]


def test_group_pairs_without_links() -> None:
    assert data.group_pairs(3, []).tolist() == [0, 1, 2]


def test_label_noise_report_counts_disagreements() -> None:
    samples = [
        Sample("a", 17, 1, 0),
        Sample("b", 21, 0, 0),  # same image as a: gender differs, age within 5 years
        Sample("c", 30, 0, 1),
        Sample("d", 40, 0, 2),  # same image as c: race and age differ
        Sample("e", 50, 1, 3),
    ]
    report = data.label_noise_report(samples, np.array([0, 0, 1, 1, 2]))
    assert report["groups_with_duplicates"] == 2
    assert report["images_in_those_groups"] == 4
    assert report["groups_disagreeing"] == {
        "any": 2,
        "gender": 1,
        "race": 1,
        "age_over_5_years": 1,
    }
    assert report["examples"] == [["a", "b"], ["c", "d"]]


def test_split_is_deterministic() -> None:
    samples = make_samples(500)
    groups = data.group_pairs(len(samples), [(i, i + 1) for i in range(0, 100, 2)])
    first = data.split_by_group(samples, groups, 0.2, seed=7)
    second = data.split_by_group(samples, groups, 0.2, seed=7)
    other_seed = data.split_by_group(samples, groups, 0.2, seed=8)
    assert first == second
    assert first != other_seed


def test_split_keeps_groups_together() -> None:
    samples = make_samples(500)
    groups = data.group_pairs(len(samples), [(i, i + 1) for i in range(0, 100, 2)])
    flags = data.split_by_group(samples, groups, 0.2, seed=0)
    for i in range(0, 100, 2):
        assert flags[i] == flags[i + 1]


def test_split_is_stratified_by_race() -> None:
    samples = make_samples(1000)
    flags = data.split_by_group(samples, np.arange(len(samples)), 0.2, seed=0)
    for race in range(len(data.RACE_NAMES)):
        in_race = [
            flag
            for flag, sample in zip(flags, samples, strict=True)
            if sample.race == race
        ]
        assert sum(in_race) == 40


def test_split_rejects_bad_fraction() -> None:
    samples = make_samples(10)
    with pytest.raises(ValueError, match="fraction"):
        data.split_by_group(samples, np.arange(10), 1.0, seed=0)
