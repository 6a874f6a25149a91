//! The shipped models match `models/manifest.json`, which the training export writes: file
//! checksums and sizes, and every constant the Rust pipeline carries (input sizes, anchors,
//! normalisation, label order, output names and the UTKFace crop framing).

mod common;

use common::repo_path;
use facecard::{align, detect, predict};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn manifest() -> Value {
    let path = repo_path("models/manifest.json");
    let text = std::fs::read_to_string(&path).expect("models/manifest.json is readable");
    serde_json::from_str(&text).expect("models/manifest.json is JSON")
}

fn number(value: &Value) -> f32 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number")) as f32
}

#[test]
fn model_files_match_checksums() {
    let manifest = manifest();
    for (name, model) in manifest["models"].as_object().expect("models is an object") {
        let file = model["file"].as_str().expect("file is a string");
        let bytes =
            std::fs::read(repo_path(&format!("models/{file}"))).expect("model file is readable");
        assert_eq!(
            bytes.len() as u64,
            model["size"].as_u64().unwrap(),
            "{name}: size"
        );
        let digest = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(
            digest,
            model["sha256"].as_str().unwrap(),
            "{name}: SHA-256 of {file}"
        );
    }
}

#[test]
fn model_file_names_match_pipeline() {
    let manifest = manifest();
    assert_eq!(
        manifest["models"]["detector"]["file"],
        facecard::pipeline::DETECTOR_FILE
    );
    assert_eq!(
        manifest["models"]["attributes"]["file"],
        facecard::pipeline::ATTRIBUTES_FILE
    );
}

#[test]
fn detector_constants_match_export() {
    let manifest = manifest();
    let pre = &manifest["preprocessing"]["detector"];
    assert_eq!(pre["input_size"], detect::INPUT_SIZE);
    assert_eq!(pre["scale"], 127.5);
    assert_eq!(pre["offset"], -1.0);

    let detector = &manifest["detector"];
    assert_eq!(detector["anchor_count"], detect::ANCHOR_COUNT);
    let strides: Vec<usize> = detect::ANCHOR_GRIDS
        .iter()
        .map(|(stride, _)| *stride)
        .collect();
    let per_cell: Vec<usize> = detect::ANCHOR_GRIDS
        .iter()
        .map(|(_, count)| *count)
        .collect();
    assert_eq!(detector["anchor_strides"], serde_json::json!(strides));
    assert_eq!(detector["anchors_per_cell"], serde_json::json!(per_cell));
    assert_eq!(
        detector["keypoints"][detect::Keypoint::RightEye as usize],
        "right_eye"
    );
    assert_eq!(
        detector["keypoints"][detect::Keypoint::LeftEye as usize],
        "left_eye"
    );
    assert_eq!(
        detector["keypoints"][detect::Keypoint::Mouth as usize],
        "mouth_center"
    );

    let outputs = &manifest["models"]["detector"]["outputs"];
    assert_eq!(outputs[0]["name"], detect::OUTPUT_SCORES);
    assert_eq!(outputs[1]["name"], detect::OUTPUT_REGRESSORS);
    assert_eq!(outputs[1]["shape"][2], detect::REGRESSOR_WIDTH);
}

#[test]
fn attribute_constants_match_export() {
    let manifest = manifest();
    let pre = &manifest["preprocessing"]["attributes"];
    assert_eq!(pre["input_size"], align::CROP_SIZE);
    assert_eq!(pre["channel_order"], "BGR");
    let mean: Vec<f32> = pre["mean"].as_array().unwrap().iter().map(number).collect();
    assert_eq!(mean, predict::MEAN_BGR);

    let labels = &manifest["labels"];
    assert_eq!(labels["race"], serde_json::json!(predict::RACE_LABELS));
    assert_eq!(labels["age_bins"], predict::AGE_BINS);

    let names: Vec<&str> = manifest["models"]["attributes"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|output| output["name"].as_str().unwrap())
        .collect();
    for name in [
        predict::OUTPUT_FEMALE,
        predict::OUTPUT_AGE_YEARS,
        predict::OUTPUT_AGE_DISTRIBUTION,
        predict::OUTPUT_RACE,
    ] {
        assert!(
            names.contains(&name),
            "attributes.onnx has no output {name:?}: {names:?}"
        );
    }
}

#[test]
fn framing_matches_measurement() {
    let framing = &manifest()["framing"];
    let mean = |key: &str| number(&framing[key]["mean"]);
    let close = |a: f32, b: f32| (a - b).abs() < 1e-3;
    assert!(
        close(align::FRAME_EYE_CENTER.x, mean("eye_midpoint_x")),
        "eye_midpoint_x"
    );
    assert!(
        close(align::FRAME_EYE_CENTER.y, mean("eye_midpoint_y")),
        "eye_midpoint_y"
    );
    assert!(
        close(align::FRAME_EYE_DISTANCE, mean("inter_eye_distance")),
        "inter_eye_distance"
    );
    assert!(
        close(
            align::FRAME_EYE_MOUTH_DISTANCE,
            mean("eye_to_mouth_distance")
        ),
        "eye_to_mouth_distance"
    );
    assert!(
        close(align::FRAME_BOX_WIDTH, mean("box_width")),
        "box_width"
    );
    assert!(
        (align::FRAME_ROLL_DEGREES - mean("roll_degrees")).abs() < 0.01,
        "roll_degrees"
    );
}
