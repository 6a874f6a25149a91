"""The `build` command: every step from the npm tarballs to the files in `models/`.

The steps run in order. Fetch the source packages and convert BlazeFace and
FaceRes to ONNX. Measure the UTKFace crop framing with BlazeFace and describe
every crop with FaceRes. Group duplicates, split, then fit the heads and
compare them with FaceRes's own outputs. Export the merged attribute model,
write metrics and manifest, and check tract against onnxruntime.
"""

import logging
import platform
import tempfile
import time
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from facecard_training import (
    convert,
    data,
    detect,
    evaluate,
    export,
    fetch,
    graphs,
    inference,
    preprocess,
    synthetic,
    tract,
)
from facecard_training.heads import LinearHead, fit_age_head, fit_logistic_head

log = logging.getLogger(__name__)

# Demo photo of @vladmandic/face-api used as a non-crop detector input.
FACE_API_PHOTO = "demo/sample1.jpg"
# Replaces the metrics note when the smoke build runs on synthetic crops.
SYNTHETIC_NOTE = (
    "smoke build on crops of face-api's demo photos with synthetic labels; "
    "every metric is meaningless"
)
# Packages whose versions the manifest records.
BUILD_PACKAGES = (
    "tensorflow-cpu",
    "tf2onnx",
    "onnx",
    "onnxruntime",
    "scikit-learn",
    "numpy",
    "pillow",
)


@dataclass(frozen=True)
class BuildConfig:
    """Options of one build; see cli.py for their meaning and defaults."""

    repo_root: Path
    cache_dir: Path
    data_dir: Path
    out_dir: Path
    split_file: Path
    seed: int
    validation_fraction: float
    near_duplicate_threshold: float
    framing_padding: float
    folds: int
    batch_size: int
    smoke: bool
    smoke_per_race: int
    tract_check: bool


@dataclass
class Descriptions:
    """FaceRes outputs for every sample, in sample order."""

    descriptor: np.ndarray
    male_probability: np.ndarray
    age_distribution: np.ndarray


def build(config: BuildConfig) -> int:
    """Run every build step and return the process exit code."""
    started = time.monotonic()
    config.out_dir.mkdir(parents=True, exist_ok=True)

    human_models = fetch.fetch_package(fetch.HUMAN_MODELS, config.cache_dir)
    face_api = fetch.fetch_package(fetch.FACE_API, config.cache_dir)
    photo = preprocess.letterbox(
        preprocess.load_rgb(face_api / FACE_API_PHOTO), preprocess.DETECTOR_INPUT_SIZE
    )[0]

    synthetic_data = config.smoke and not config.data_dir.is_dir()
    if synthetic_data:
        # The detector is converted first because it finds the faces to crop.
        detector_path, detector_diffs = convert_detector(
            human_models, photo, sample_photos(face_api), config
        )
        config = replace(
            config, data_dir=write_synthetic_crops(config, face_api, detector_path)
        )

    samples, rejected = data.load_samples(config.data_dir)
    if config.smoke:
        samples = smoke_subset(samples, config.smoke_per_race)
        log.info(
            "smoke mode: %d crops, at most %d per race",
            len(samples),
            config.smoke_per_race,
        )
    check_crops = [preprocess.load_rgb(config.data_dir / s.name) for s in samples[:4]]
    if not synthetic_data:
        detector_path, detector_diffs = convert_detector(
            human_models, photo, check_crops, config
        )
    faceres, faceres_diffs = convert.convert_faceres(
        human_models,
        np.concatenate([preprocess.attribute_input(crop) for crop in check_crops]),
    )

    geometries = inference.measure_framing(
        detector_path.read_bytes(), config.data_dir, samples, config.framing_padding
    )
    measured = [geometry for geometry in geometries if geometry is not None]
    log.info(
        "BlazeFace found no face in %d of %d crops",
        len(samples) - len(measured),
        len(samples),
    )
    framing = detect.framing_summary(measured, len(samples), config.framing_padding)

    described = inference.describe_crops(
        faceres.SerializeToString(),
        config.data_dir,
        samples,
        None if config.smoke else config.cache_dir / "descriptors",
        config.batch_size,
    )
    descriptions = Descriptions(**described)

    groups, noise = group_duplicates(config, samples, descriptions.descriptor)
    is_validation = np.asarray(
        data.split_by_group(samples, groups, config.validation_fraction, config.seed)
    )
    split_summary = write_split(config, samples, groups, is_validation, rejected)

    heads = fit_heads(config, samples, descriptions, groups, ~is_validation)
    validation = [s for s, flag in zip(samples, is_validation, strict=True) if flag]
    metrics, ship_gender, ship_age = compare_on_validation(
        validation, descriptions, is_validation, heads
    )
    metrics["label_noise"] = noise
    if synthetic_data:
        metrics["note"] = SYNTHETIC_NOTE
    metrics["split"] = split_summary

    attributes = export.merge_heads(
        faceres,
        heads["race"],
        heads["gender"] if ship_gender == "head" else None,
        heads["age"] if ship_age == "head" else None,
    )
    attributes_path = config.out_dir / "attributes.onnx"
    onnx.save(attributes, str(attributes_path))
    merge_diffs = check_merged(
        attributes_path,
        config,
        validation,
        descriptions,
        is_validation,
        heads,
        ship_gender,
        ship_age,
    )

    metrics["heads"] = {name: head_summary(head) for name, head in heads.items()}
    metrics["shipped"] = {"gender": ship_gender, "age": ship_age, "race": "head"}
    export.write_json(config.out_dir / "metrics.json", metrics)

    manifest = build_manifest(
        config,
        detector_path,
        attributes_path,
        framing,
        split_summary,
        ship_gender,
        ship_age,
    )
    manifest["checks"] = {
        "detector_onnxruntime_vs_tensorflow_max_abs_diff": detector_diffs,
        "faceres_onnxruntime_vs_tensorflow_max_abs_diff": faceres_diffs,
        "attributes_merged_vs_separate_heads_max_abs_diff": merge_diffs,
    }
    export.write_json(config.out_dir / "manifest.json", manifest)

    outcome = run_tract(config, photo, check_crops, detector_path, attributes_path)
    log.info(
        "build finished in %.0f s, outputs in %s",
        time.monotonic() - started,
        config.out_dir,
    )
    return 0 if all(not value.startswith("failed") for value in outcome.values()) else 1


def sample_photos(face_api: Path) -> list[Any]:
    """Load face-api's demo photos other than FACE_API_PHOTO, letterboxed."""
    return [
        preprocess.letterbox(
            preprocess.load_rgb(face_api / name), preprocess.DETECTOR_INPUT_SIZE
        )[0]
        for name in synthetic.SAMPLE_PHOTOS
        if name != FACE_API_PHOTO
    ]


def write_synthetic_crops(
    config: BuildConfig, face_api: Path, detector_path: Path
) -> Path:
    """Write synthetic-label crops of face-api's demo faces to a new temporary folder.

    Returns the folder. The crops take their framing from the committed
    `models/manifest.json`.
    """
    folder = Path(tempfile.mkdtemp(prefix="facecard-synthetic-utkface-"))
    framing = synthetic.load_framing(config.repo_root / "models" / "manifest.json")
    paths = synthetic.build_folder(
        face_api, detector_path.read_bytes(), framing, folder
    )
    log.warning(
        "UTKFace folder %s not found, so the smoke build uses %d synthetic-label "
        "crops from face-api's sample photos (in %s); its metrics are meaningless",
        config.data_dir,
        len(paths),
        folder,
    )
    return folder


def smoke_subset(samples: list[data.Sample], per_race: int) -> list[data.Sample]:
    """Return the first `per_race` samples of each race in name order.

    Taking some of every race keeps all five classes in the smoke run.
    """
    chosen: list[data.Sample] = []
    for race in range(len(data.RACE_NAMES)):
        chosen += [sample for sample in samples if sample.race == race][:per_race]
    return sorted(chosen, key=lambda sample: sample.name)


def convert_detector(
    package: Path, photo: Any, others: list[Any], config: BuildConfig
) -> tuple[Path, dict[str, float]]:
    """Convert BlazeFace, check it on the photo and others, and save `blazeface.onnx`.

    `others` are UTKFace crops, or more demo photos when there are no crops yet.
    """
    inputs = [preprocess.detector_input(image) for image in [photo, *others]]
    model, diffs = convert.convert_blazeface(package, inputs)
    path = config.out_dir / "blazeface.onnx"
    onnx.save(model, str(path))
    log.info("wrote %s", path)
    return path, diffs


def group_duplicates(
    config: BuildConfig, samples: list[data.Sample], descriptors: np.ndarray
) -> tuple[np.ndarray, dict[str, Any]]:
    """Group byte-identical files and near-identical descriptors; report label noise."""
    digests = data.file_digests(config.data_dir, samples)
    exact = data.exact_duplicate_pairs(digests)
    near = data.near_duplicate_pairs(descriptors, config.near_duplicate_threshold)
    groups = data.group_pairs(len(samples), [*exact, *((i, j) for i, j, _ in near)])
    noise = data.label_noise_report(samples, groups)
    noise["byte_identical_only"] = data.label_noise_report(
        samples, data.group_pairs(len(samples), exact), max_examples=0
    )
    noise["exact_duplicate_pairs"] = len(exact)
    noise["near_duplicate_pairs"] = len(near)
    noise["near_duplicate_threshold"] = config.near_duplicate_threshold
    noise["method"] = (
        "files with equal SHA-256, or FaceRes descriptors with cosine "
        "similarity at least "
        f"{config.near_duplicate_threshold}, joined transitively into groups"
    )
    log.info(
        "duplicates: %d exact pairs, %d near pairs, "
        "%d groups with more than one image; "
        "groups disagreeing on gender %d, race %d, age by more than 5 years %d",
        len(exact),
        len(near),
        noise["groups_with_duplicates"],
        noise["groups_disagreeing"]["gender"],
        noise["groups_disagreeing"]["race"],
        noise["groups_disagreeing"]["age_over_5_years"],
    )
    return groups, noise


def write_split(
    config: BuildConfig,
    samples: list[data.Sample],
    groups: np.ndarray,
    is_validation: np.ndarray,
    rejected: list[str],
) -> dict[str, Any]:
    """Write the split file (names only) and return its summary for the manifest."""
    validation_names = [
        s.name for s, flag in zip(samples, is_validation, strict=True) if flag
    ]
    train_names = [
        s.name for s, flag in zip(samples, is_validation, strict=True) if not flag
    ]
    summary: dict[str, Any] = {
        "file": config.split_file.name,
        "method": (
            "duplicate groups assigned whole, stratified by the group's most "
            "common race, "
            "shuffled with numpy default_rng(seed)"
        ),
        "seed": config.seed,
        "validation_fraction": config.validation_fraction,
        "images": len(samples),
        "groups": int(groups.max()) + 1,
        "train_images": len(train_names),
        "validation_images": len(validation_names),
        "rejected_names": rejected,
    }
    export.write_json(
        config.split_file,
        {**summary, "train": train_names, "validation": validation_names},
    )
    return summary


def fit_heads(
    config: BuildConfig,
    samples: list[data.Sample],
    descriptions: Descriptions,
    groups: np.ndarray,
    is_train: np.ndarray,
) -> dict[str, LinearHead]:
    """Fit the race, gender and age heads on the train split only."""
    train = [s for s, flag in zip(samples, is_train, strict=True) if flag]
    features = descriptions.descriptor[is_train]
    train_groups = groups[is_train]
    races = np.array([s.race for s in train])
    genders = np.array([s.gender for s in train])
    ages = np.array([s.age for s in train])
    grid: dict[str, Any] = {}
    if config.smoke:
        grid = {"c_grid": (0.01, 1.0)}
    race = fit_logistic_head(
        "race", features, races, train_groups, config.folds, config.seed, **grid
    )
    gender = fit_logistic_head(
        "gender", features, genders, train_groups, config.folds, config.seed, **grid
    )
    age_grid = {"alpha_grid": (10.0, 1000.0)} if config.smoke else {}
    age = fit_age_head(
        features, ages, races, train_groups, config.folds, config.seed, **age_grid
    )
    return {"race": race, "gender": gender, "age": age}


def compare_on_validation(
    validation: list[data.Sample],
    descriptions: Descriptions,
    is_validation: np.ndarray,
    heads: dict[str, LinearHead],
) -> tuple[dict[str, Any], str, str]:
    """Score heads and FaceRes's own outputs on validation.

    Returns the metrics and the gender and age sources to ship, "head" or
    "faceres", whichever scores better.
    """
    features = descriptions.descriptor[is_validation]
    builtin_female = 1.0 - descriptions.male_probability[is_validation]
    builtin_age = evaluate.builtin_age_years(
        descriptions.age_distribution[is_validation]
    )
    gender = {
        "faceres": evaluate.gender_metrics(validation, builtin_female),
        "head": evaluate.gender_metrics(
            validation, heads["gender"].apply(features)[:, 0]
        ),
    }
    age = {
        "faceres": evaluate.age_metrics(validation, builtin_age),
        "head": evaluate.age_metrics(validation, heads["age"].apply(features)[:, 0]),
    }
    race = {"head": evaluate.race_metrics(validation, heads["race"].apply(features))}

    def overall(block: dict[str, Any], metric: str) -> float:
        return float(block["overall"][metric])

    ship_gender = (
        "head"
        if overall(gender["head"], "accuracy") > overall(gender["faceres"], "accuracy")
        else "faceres"
    )
    ship_age = (
        "head"
        if overall(age["head"], "mae_years") < overall(age["faceres"], "mae_years")
        else "faceres"
    )
    log.info(
        "validation gender accuracy: FaceRes %.4f, head %.4f -> ship %s",
        overall(gender["faceres"], "accuracy"),
        overall(gender["head"], "accuracy"),
        ship_gender,
    )
    log.info(
        "validation age MAE: FaceRes %.3f, head %.3f years -> ship %s",
        overall(age["faceres"], "mae_years"),
        overall(age["head"], "mae_years"),
        ship_age,
    )
    log.info("validation race accuracy: head %.4f", overall(race["head"], "accuracy"))
    metrics = {
        "note": (
            "validation split of the UTKFace dev subset; not an independent test set"
        ),
        "validation_images": len(validation),
        "gender": gender,
        "age": age,
        "race": race,
    }
    return metrics, ship_gender, ship_age


def check_merged(
    attributes_path: Path,
    config: BuildConfig,
    validation: list[data.Sample],
    descriptions: Descriptions,
    is_validation: np.ndarray,
    heads: dict[str, LinearHead],
    ship_gender: str,
    ship_age: str,
) -> dict[str, float]:
    """Compare the merged model with the heads computed separately on validation crops.

    Returns the max abs difference per output and raises GraphMismatchError above
    1e-3, which float32 against float64 head arithmetic stays far below.
    """
    count = min(len(validation), 64)
    batch = np.concatenate(
        [
            preprocess.attribute_input(preprocess.load_rgb(config.data_dir / s.name))
            for s in validation[:count]
        ]
    )
    names = list(export.ATTRIBUTE_OUTPUTS)
    session = inference.make_session(attributes_path.read_bytes())
    actual = dict(
        zip(names, session.run(names, {graphs.ATTRIBUTE_INPUT: batch}), strict=True)
    )

    features = descriptions.descriptor[is_validation][:count]
    male = descriptions.male_probability[is_validation][:count]
    distribution = descriptions.age_distribution[is_validation][:count]
    expected = {
        "female_probability": heads["gender"].apply(features)
        if ship_gender == "head"
        else (1.0 - male)[:, np.newaxis],
        "age_years": heads["age"].apply(features)
        if ship_age == "head"
        else evaluate.builtin_age_years(distribution)[:, np.newaxis],
        "age_distribution": distribution,
        "race_probabilities": heads["race"].apply(features),
        "descriptor": features,
    }
    diffs = {name: graphs.max_abs_diff(expected[name], actual[name]) for name in names}
    for name, diff in diffs.items():
        log.info("attributes.onnx %s: max abs diff vs separate heads %.3g", name, diff)
    if max(diffs.values()) > 1e-3:
        raise graphs.GraphMismatchError(
            f"merged attribute model disagrees with the heads: {diffs}"
        )
    return diffs


def head_summary(head: LinearHead) -> dict[str, Any]:
    """Return a head's activation, chosen hyperparameters and cross-validation score."""
    return {
        "activation": head.activation,
        "outputs": int(head.weight.shape[1]),
        **head.hyperparameter,
        **head.cv_score,
    }


def build_manifest(
    config: BuildConfig,
    detector_path: Path,
    attributes_path: Path,
    framing: dict[str, Any],
    split_summary: dict[str, Any],
    ship_gender: str,
    ship_age: str,
) -> dict[str, Any]:
    """Return the manifest: files, preprocessing, labels, framing and split."""
    package = fetch.HUMAN_MODELS
    source = {
        "npm_package": package.name,
        "version": package.version,
        "tarball_sha256": package.sha256,
    }
    detector = export.describe_file(
        detector_path, {**source, "file": f"package/{convert.BLAZEFACE_FILE}"}
    )
    attributes = export.describe_file(
        attributes_path,
        {
            **source,
            "file": f"package/{convert.FACERES_FILE}",
            "heads_fitted_on": "UTKFace aligned crops, train split in split.file",
        },
    )
    return {
        "schema": export.MANIFEST_SCHEMA,
        "smoke_build": config.smoke,
        "models": {"detector": detector, "attributes": attributes},
        "preprocessing": {
            "detector": {
                "input_size": preprocess.DETECTOR_INPUT_SIZE,
                "layout": "NHWC",
                "channel_order": "RGB",
                "scale": preprocess.DETECTOR_SCALE,
                "offset": preprocess.DETECTOR_OFFSET,
                "formula": "pixel / scale + offset",
            },
            "attributes": {
                "input_size": preprocess.ATTRIBUTE_INPUT_SIZE,
                "layout": "NHWC",
                "channel_order": "BGR",
                "mean": list(preprocess.ATTRIBUTE_MEAN_BGR),
                "mean_order": "BGR",
                "scale": 1.0,
                "formula": "pixel - mean, per channel in B, G, R order",
            },
        },
        "detector": {
            "anchor_strides": [stride for stride, _ in detect.ANCHOR_LAYERS],
            "anchors_per_cell": [per_cell for _, per_cell in detect.ANCHOR_LAYERS],
            "anchor_count": len(detect.make_anchors()),
            "regressor_layout": (
                "0,1 box centre offset x,y from the anchor; 2,3 box width,height; "
                "4..15 keypoint x,y offsets from the anchor; all in input pixels"
            ),
            "keypoints": list(detect.KEYPOINT_NAMES),
            "score": "sigmoid of the scores output",
            "score_threshold": detect.SCORE_THRESHOLD,
        },
        "labels": {
            "race": list(data.RACE_NAMES),
            "age_bins": export.ATTRIBUTE_OUTPUTS["age_distribution"],
            "age_bin_years": "bin i is age i years, i = 0..99",
            "gender_source": ship_gender,
            "age_source": ship_age,
        },
        "framing": framing,
        "split": split_summary,
        "build": {
            "command": "bash training/build-models",
            "python": platform.python_version(),
            **{package: version(package) for package in BUILD_PACKAGES},
        },
    }


def run_tract(
    config: BuildConfig,
    photo: Any,
    crops: list[Any],
    detector_path: Path,
    attributes_path: Path,
) -> dict[str, str]:
    """Write onnxruntime reference cases to a temp folder and check tract on them."""
    if not config.tract_check:
        log.info("tract agreement check disabled")
        return {}
    case_dir = Path(tempfile.mkdtemp(prefix="facecard-tract-"))
    cases = []

    # The detector has a fixed batch of 1: one case per image.
    detector = inference.make_session(detector_path.read_bytes())
    for name, image in [("detector-photo", photo), ("detector-crop", crops[0])]:
        value = preprocess.detector_input(image)
        scores, regressors = detector.run(
            ["scores", "regressors"], {graphs.BLAZEFACE_INPUT: value}
        )
        cases.append(
            tract.write_case(
                case_dir,
                name,
                detector_path,
                graphs.BLAZEFACE_INPUT,
                value,
                {"scores": scores, "regressors": regressors},
            )
        )

    # The attribute model has a dynamic batch: one case with two crops.
    attributes = inference.make_session(attributes_path.read_bytes())
    batch = np.concatenate([preprocess.attribute_input(crop) for crop in crops[:2]])
    names = list(export.ATTRIBUTE_OUTPUTS)
    outputs = dict(
        zip(names, attributes.run(names, {graphs.ATTRIBUTE_INPUT: batch}), strict=True)
    )
    cases.append(
        tract.write_case(
            case_dir,
            "attributes-crops",
            attributes_path,
            graphs.ATTRIBUTE_INPUT,
            batch,
            outputs,
        )
    )
    log.info("wrote %d tract cases to %s", len(cases), case_dir)

    return tract.run_tract_checks(config.repo_root, cases)
