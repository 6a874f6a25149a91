//! The `facecard` binary as a user runs it: `predict` on good and bad files, and `eval` on a
//! UTKFace-named folder made from the sample photos' faces.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{repo_path, sample_path};
use image::imageops::{self, FilterType};

/// Faces in the samples as (sample number, centre x, centre y, face width), recorded by eye.
const FACES: [(usize, u32, u32, u32); 8] = [
    (1, 514, 498, 197),
    (1, 1570, 339, 172),
    (3, 692, 485, 226),
    (3, 1187, 387, 242),
    (5, 860, 246, 180),
    (5, 1521, 544, 238),
    (6, 352, 650, 238),
    (6, 1594, 432, 244),
];

fn facecard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facecard"))
        .args(args)
        .output()
        .expect("facecard runs")
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = repo_path(&format!("target/test-output/{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder can be created");
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn predict_prints_table() {
    let output = facecard(&["predict", sample_path(1).to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.starts_with("sample1.jpg (1920 x 1280): 3 faces"),
        "{stdout}"
    );
    assert!(
        stdout.contains("race (estimate; UTKFace labels)"),
        "{stdout}"
    );
}

#[test]
fn predict_json_follows_schema() {
    let output = facecard(&["predict", "--json", sample_path(4).to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(json["schema"], "facecard/1");
    let image = &json["images"][0];
    assert_eq!(image["file"], "sample4.jpg");
    assert_eq!(image["width"], 1920);
    let faces = image["faces"].as_array().expect("faces is an array");
    assert_eq!(faces.len(), 4);
    for face in faces {
        assert_eq!(face["box"].as_array().map(Vec::len), Some(4));
        assert!(face["gender"]["label"] == "female" || face["gender"]["label"] == "male");
        assert!(face["age"]["years"].is_number());
        let probabilities = face["race"]["probabilities"]
            .as_object()
            .expect("race probabilities");
        assert_eq!(probabilities.len(), 5);
        assert!(face["keypoints"]["left_eye"].is_array());
    }
}

#[test]
fn predict_reports_bad_file_and_continues() {
    let dir = scratch_dir("predict-bad");
    let fake = dir.join("notes.jpg");
    std::fs::write(&fake, "this is a text file, not a photo").unwrap();
    let missing = dir.join("missing.png");

    let output = facecard(&[
        "predict",
        "--json",
        fake.to_str().unwrap(),
        missing.to_str().unwrap(),
        sample_path(2).to_str().unwrap(),
    ]);
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "a bad file must give a non-zero exit"
    );
    assert!(
        stderr.contains("notes.jpg: the file is not a recognised image"),
        "{stderr}"
    );
    assert!(
        stderr.contains("missing.png: cannot read the file"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 2, "one line per bad file: {stderr}");

    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(json["images"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["images"][0]["faces"].as_array().map(Vec::len), Some(3));
}

#[test]
fn predict_rejects_missing_models() {
    let output = facecard(&[
        "--models",
        "/nonexistent",
        "predict",
        sample_path(1).to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("cannot read the model /nonexistent/blazeface.onnx"));
}

/// Writes face crops named like UTKFace files (all labelled 30-year-old women, race White),
/// plus a file with a malformed name and a labelled file that is not an image.
fn make_utkface_folder(dir: &Path) {
    for (index, &(n, cx, cy, width)) in FACES.iter().enumerate() {
        let sample = image::open(sample_path(n))
            .expect("sample decodes")
            .to_rgb8();
        // A square of twice the face width keeps hair and chin, so the detector still finds a face.
        let side = width * 2;
        let x = cx.saturating_sub(side / 2).min(sample.width() - side);
        let y = cy.saturating_sub(side / 2).min(sample.height() - side);
        let crop = imageops::crop_imm(&sample, x, y, side, side).to_image();
        let crop = imageops::resize(&crop, 200, 200, FilterType::Triangle);
        crop.save(dir.join(format!("30_1_0_20170101000000{index:03}.jpg.chip.jpg")))
            .unwrap();
        if index == 0 {
            crop.save_with_format(
                dir.join("39_1_20170101000000999.jpg.chip.jpg"),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        }
    }
    std::fs::write(
        dir.join("25_0_1_20170101000000500.jpg.chip.jpg"),
        "not a photo",
    )
    .unwrap();
}

#[test]
fn eval_scores_folder_with_json() {
    let dir = scratch_dir("eval");
    make_utkface_folder(&dir);

    let output = facecard(&["eval", dir.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");

    assert_eq!(report["count"], FACES.len());
    let gender = report["gender_accuracy"].as_f64().unwrap();
    assert!(gender >= 0.75, "gender accuracy {gender} on adult women");
    let race = report["race_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&race), "race accuracy {race}");
    let mae = report["age_mae"].as_f64().unwrap();
    assert!((0.0..40.0).contains(&mae), "age MAE {mae}");
    assert_eq!(report["by_gender"]["female"]["count"], FACES.len());
    assert_eq!(report["by_age_band"]["30-39"]["count"], FACES.len());
    assert_eq!(
        report["race_confusion"][0].as_array().map(|row| row.len()),
        Some(5)
    );

    let malformed = report["malformed"].as_array().unwrap();
    assert_eq!(malformed.len(), 1);
    assert!(malformed[0]
        .as_str()
        .unwrap()
        .contains("39_1_20170101000000999"));
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].as_str().unwrap().starts_with("25_0_1_"));
}

#[test]
fn eval_crops_prints_breakdowns() {
    let dir = scratch_dir("eval-crops");
    make_utkface_folder(&dir);

    let output = facecard(&["eval", dir.to_str().unwrap(), "--crops", "--limit", "5"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // The first five labelled names in order include the file that is not an image.
    assert!(stdout.starts_with("images scored: 4\n"), "{stdout}");
    for heading in [
        "race confusion",
        "by race",
        "by gender",
        "by age band",
        "could not be read: 1",
        "malformed names",
    ] {
        assert!(stdout.contains(heading), "missing {heading:?} in {stdout}");
    }
    assert!(text(&output.stderr).contains("eval: 5/5 images"));
}
