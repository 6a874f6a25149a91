//! Shared set-up for the integration tests: the real models and the real test photos.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use facecard::present::ImageResult;
use facecard::Facecard;

/// Faces per face-api sample photo, sample1.jpg to sample6.jpg, counted by eye.
pub const SAMPLE_FACE_COUNTS: [usize; 6] = [3, 3, 3, 4, 5, 4];

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Returns the path of face-api's `sampleN.jpg`, failing with the fix when it was not fetched.
pub fn sample_path(n: usize) -> PathBuf {
    let path = repo_path(&format!("tests/data/face-api/sample{n}.jpg"));
    assert!(
        path.exists(),
        "{} is missing: run tests/fetch-test-data.sh (make test runs it)",
        path.display()
    );
    path
}

pub fn sample_bytes(n: usize) -> Vec<u8> {
    std::fs::read(sample_path(n)).expect("sample photo is readable")
}

/// The models, loaded once for all tests of one test binary.
pub fn facecard() -> &'static Facecard {
    static FACECARD: OnceLock<Facecard> = OnceLock::new();
    FACECARD.get_or_init(|| {
        Facecard::load_dir(&repo_path("models")).expect("models/ loads; run the README's set-up")
    })
}

pub fn analyze(name: &str, bytes: &[u8]) -> ImageResult {
    facecard()
        .analyze(name, bytes)
        .unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Results for face-api's six samples, computed once per test binary.
pub fn sample_results() -> &'static [ImageResult] {
    static RESULTS: OnceLock<Vec<ImageResult>> = OnceLock::new();
    RESULTS.get_or_init(|| {
        (1..=6)
            .map(|n| analyze(&format!("sample{n}.jpg"), &sample_bytes(n)))
            .collect()
    })
}

/// Centre of a face box, in image pixels.
pub fn box_center(bbox: &[f32; 4]) -> (f32, f32) {
    (bbox[0] + bbox[2] / 2.0, bbox[1] + bbox[3] / 2.0)
}

/// Returns, for each expected centre, the index of the face whose box contains it.
pub fn match_faces(result: &ImageResult, expected: &[(f32, f32)]) -> Vec<Option<usize>> {
    expected
        .iter()
        .map(|&(x, y)| {
            result.faces.iter().position(|face| {
                let [bx, by, bw, bh] = face.bbox;
                x >= bx && x <= bx + bw && y >= by && y <= by + bh
            })
        })
        .collect()
}
