"""UTKFace labels, duplicate groups and the seeded train/validation split.

Input: a folder of UTKFace aligned crops named `AGE_GENDER_RACE_DATETIME.jpg.chip.jpg`
(gender 0 = male, 1 = female; race 0..4 = White, Black, Asian, Indian, Others).
Output: parsed samples, groups of duplicate images and a split by group.
"""

import hashlib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

RACE_NAMES = ("White", "Black", "Asian", "Indian", "Others")
GENDER_NAMES = ("male", "female")
# UTKFace's documented age range, in years.
MIN_AGE = 0
MAX_AGE = 116
# Age bands used for per-group metrics: (label, first year, last year).
AGE_BANDS = (
    ("0-9", 0, 9),
    ("10-19", 10, 19),
    ("20-29", 20, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-59", 50, 59),
    ("60+", 60, MAX_AGE),
)

FILE_SUFFIX = ".jpg.chip.jpg"
_NAME_PATTERN = re.compile(r"^(\d+)_(\d+)_(\d+)_(\d+)$")


class LabelError(ValueError):
    """A file name does not follow `AGE_GENDER_RACE_DATETIME.jpg.chip.jpg`."""


@dataclass(frozen=True)
class Sample:
    """One labelled crop: its file name and the labels parsed from that name."""

    name: str
    age: int
    gender: int
    race: int


def parse_name(name: str) -> Sample:
    """Parse a UTKFace crop file name into its labels.

    Raises LabelError when the name is malformed or a label is out of range.
    """
    if not name.endswith(FILE_SUFFIX):
        raise LabelError(f"{name!r}: expected a name ending in {FILE_SUFFIX!r}")
    stem = name[: -len(FILE_SUFFIX)]
    match = _NAME_PATTERN.match(stem)
    if match is None:
        fields = stem.split("_")
        raise LabelError(
            f"{name!r}: expected 4 numeric fields AGE_GENDER_RACE_DATETIME, "
            f"found {len(fields)} "
            f"({'_'.join(fields)}); a missing field cannot be guessed"
        )
    age, gender, race = (int(match.group(index)) for index in (1, 2, 3))
    if not MIN_AGE <= age <= MAX_AGE:
        raise LabelError(f"{name!r}: age {age} is outside {MIN_AGE}..{MAX_AGE}")
    if gender not in (0, 1):
        raise LabelError(f"{name!r}: gender {gender} is not 0 (male) or 1 (female)")
    if not 0 <= race < len(RACE_NAMES):
        raise LabelError(f"{name!r}: race {race} is not in 0..{len(RACE_NAMES) - 1}")
    return Sample(name, age, gender, race)


def load_samples(
    data_dir: Path, limit: int | None = None
) -> tuple[list[Sample], list[str]]:
    """List and parse the crops in `data_dir`, sorted by name.

    Files whose names do not parse are left out with a warning. Returns the
    samples and the rejected names. With `limit`, only the first `limit`
    valid samples in name order are returned.
    """
    if not data_dir.is_dir():
        raise FileNotFoundError(
            f"UTKFace crop folder {data_dir} not found; "
            "pass --data-dir or set FACECARD_UTKFACE_DIR"
        )
    samples: list[Sample] = []
    rejected: list[str] = []
    for path in sorted(data_dir.glob("*.jpg")):
        try:
            samples.append(parse_name(path.name))
        except LabelError as error:
            log.warning("skipping %s", error)
            rejected.append(path.name)
    if not samples:
        raise FileNotFoundError(
            f"no UTKFace crops (*{FILE_SUFFIX}) with valid names in {data_dir}"
        )
    if limit is not None:
        samples = samples[:limit]
    log.info(
        "loaded %d labelled crops from %s, rejected %d names",
        len(samples),
        data_dir,
        len(rejected),
    )
    return samples, rejected


def age_band(age: int) -> str:
    """Return the AGE_BANDS label that contains `age`."""
    for label, first, last in AGE_BANDS:
        if first <= age <= last:
            return label
    raise ValueError(f"age {age} is outside every band")


def file_digests(data_dir: Path, samples: Sequence[Sample]) -> list[str]:
    """Return the SHA-256 of each sample's file, in sample order."""
    return [
        hashlib.sha256((data_dir / sample.name).read_bytes()).hexdigest()
        for sample in samples
    ]


def exact_duplicate_pairs(digests: Sequence[str]) -> list[tuple[int, int]]:
    """Return (first index, later index) pairs of files with the same SHA-256."""
    first_seen: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    for index, digest in enumerate(digests):
        if digest in first_seen:
            pairs.append((first_seen[digest], index))
        else:
            first_seen[digest] = index
    return pairs


def near_duplicate_pairs(
    descriptors: np.ndarray, threshold: float, block_size: int = 1024
) -> list[tuple[int, int, float]]:
    """Return (i, j, cosine similarity) for each pair i < j at or above `threshold`."""
    norms = np.linalg.norm(descriptors, axis=1, keepdims=True)
    unit = descriptors / np.maximum(norms, 1e-12)
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, len(unit), block_size):
        similarity = unit[start : start + block_size] @ unit.T
        rows, cols = np.nonzero(similarity >= threshold)
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            if start + row < col:
                pairs.append((start + row, col, float(similarity[row, col])))
    return pairs


def nearest_neighbor_similarity(
    descriptors: np.ndarray, block_size: int = 1024
) -> np.ndarray:
    """Return each descriptor's highest cosine similarity to any other descriptor."""
    norms = np.linalg.norm(descriptors, axis=1, keepdims=True)
    unit = descriptors / np.maximum(norms, 1e-12)
    best = np.empty(len(unit))
    for start in range(0, len(unit), block_size):
        similarity = unit[start : start + block_size] @ unit.T
        rows = np.arange(similarity.shape[0])
        similarity[rows, start + rows] = -np.inf
        best[start : start + block_size] = similarity.max(axis=1)
    return best


def group_pairs(count: int, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """Join linked items into groups (union-find) and return a group id per item.

    Links are transitive, so a chain a-b, b-c puts a, b and c in one group.
    Group ids are numbered in order of each group's lowest item index.
    """
    parent = list(range(count))

    def root(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for first, second in pairs:
        a, b = root(first), root(second)
        if a != b:
            parent[max(a, b)] = min(a, b)

    ids: dict[int, int] = {}
    groups = np.empty(count, dtype=np.int64)
    for item in range(count):
        groups[item] = ids.setdefault(root(item), len(ids))
    return groups


def label_noise_report(
    samples: Sequence[Sample], groups: np.ndarray, max_examples: int = 20
) -> dict[str, Any]:
    """Count duplicate groups and the groups whose members disagree on a label.

    A disagreement inside a group of the same face is label noise: at least
    one of the names is wrong. Age counts as a disagreement only when the
    members' ages differ by more than 5 years, because one person photographed
    at different ages may be in a near-duplicate group legitimately.
    """
    members: dict[int, list[int]] = defaultdict(list)
    for index, group in enumerate(groups.tolist()):
        members[group].append(index)
    multi = [indices for indices in members.values() if len(indices) > 1]

    disagreements: Counter[str] = Counter()
    examples: list[list[str]] = []
    for indices in multi:
        group_samples = [samples[index] for index in indices]
        ages = [sample.age for sample in group_samples]
        kinds = []
        if len({sample.gender for sample in group_samples}) > 1:
            kinds.append("gender")
        if len({sample.race for sample in group_samples}) > 1:
            kinds.append("race")
        if max(ages) - min(ages) > 5:
            kinds.append("age_over_5_years")
        disagreements.update(kinds)
        if kinds:
            disagreements["any"] += 1
            if len(examples) < max_examples:
                examples.append([sample.name for sample in group_samples])
    return {
        "groups_with_duplicates": len(multi),
        "images_in_those_groups": sum(len(indices) for indices in multi),
        "largest_group": max((len(indices) for indices in multi), default=1),
        "groups_disagreeing": {
            key: disagreements[key]
            for key in ("any", "gender", "race", "age_over_5_years")
        },
        "examples": examples,
    }


def split_by_group(
    samples: Sequence[Sample], groups: np.ndarray, validation_fraction: float, seed: int
) -> list[bool]:
    """Assign whole duplicate groups to validation, stratified by race.

    Returns one flag per sample, True for validation.

    Each group's stratum is its members' most common race (lowest race id on a
    tie). Within each stratum, groups are ordered by their first file name,
    shuffled with numpy's PCG64 generator seeded with `seed`, and the first
    round(fraction x group count) go to validation. The result depends only on
    the names, labels, groups, fraction and seed.
    """
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(
            f"validation fraction {validation_fraction} must be between 0 and 1"
        )
    members: dict[int, list[int]] = defaultdict(list)
    for index, group in enumerate(groups.tolist()):
        members[group].append(index)

    strata: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for group, indices in members.items():
        races = Counter(samples[index].race for index in indices)
        race = min(races, key=lambda value: (-races[value], value))
        first_name = min(samples[index].name for index in indices)
        strata[race].append((first_name, group))

    rng = np.random.default_rng(seed)
    validation_groups: set[int] = set()
    for race in sorted(strata):
        ordered = [group for _, group in sorted(strata[race])]
        shuffled = [ordered[position] for position in rng.permutation(len(ordered))]
        validation_groups.update(shuffled[: round(validation_fraction * len(shuffled))])
    return [group in validation_groups for group in groups.tolist()]
