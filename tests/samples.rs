//! The real models on the six group photos of `@vladmandic/face-api` 1.7.15: every face found,
//! each box on a face, every output in range, and the same faces after EXIF rotation and
//! upscaling.

mod common;

use std::io::Cursor;

use common::{analyze, box_center, match_faces, sample_bytes, SAMPLE_FACE_COUNTS};
use facecard::predict::GenderLabel;
use facecard::present::ImageResult;
use image::{DynamicImage, ImageFormat};

/// Face centres in each sample photo, in pixels, recorded once from boxes drawn on the photos
/// and checked by eye. Every one must fall inside exactly one detected box.
const FACE_CENTERS: [&[(f32, f32)]; 6] = [
    &[(514.0, 498.0), (942.0, 558.0), (1570.0, 339.0)],
    &[(467.0, 299.0), (984.0, 361.0), (1554.0, 290.0)],
    &[(692.0, 485.0), (1187.0, 387.0), (1577.0, 456.0)],
    &[
        (327.0, 341.0),
        (760.0, 210.0),
        (1082.0, 318.0),
        (1363.0, 291.0),
    ],
    &[
        (477.0, 1046.0),
        (676.0, 565.0),
        (860.0, 246.0),
        (1200.0, 350.0),
        (1521.0, 544.0),
    ],
    &[
        (352.0, 650.0),
        (785.0, 501.0),
        (1271.0, 465.0),
        (1594.0, 432.0),
    ],
];

/// Faces (sample number, index into `FACE_CENTERS`) that look straight at the camera, with
/// nothing covering them. All the women in the photos are adults.
const FRONTAL_FACES: [(usize, usize); 12] = [
    (1, 0),
    (1, 2),
    (2, 2),
    (3, 0),
    (3, 1),
    (3, 2),
    (5, 2),
    (5, 4),
    (6, 0),
    (6, 1),
    (6, 2),
    (6, 3),
];

fn analyze_sample(n: usize) -> ImageResult {
    common::sample_results()[n - 1].clone()
}

fn assert_faces_at(result: &ImageResult, centers: &[(f32, f32)], what: &str) {
    assert_eq!(result.faces.len(), centers.len(), "{what}: face count");
    let matches = match_faces(result, centers);
    for (center, matched) in centers.iter().zip(&matches) {
        assert!(
            matched.is_some(),
            "{what}: no box contains the face at {center:?}"
        );
    }
    let mut distinct: Vec<usize> = matches.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        centers.len(),
        "{what}: two faces share one box"
    );
}

#[test]
fn samples_face_counts() {
    for (index, expected) in SAMPLE_FACE_COUNTS.iter().enumerate() {
        let result = analyze_sample(index + 1);
        assert_eq!(result.faces.len(), *expected, "sample{}.jpg", index + 1);
    }
}

#[test]
fn samples_boxes_land_on_faces() {
    for (index, centers) in FACE_CENTERS.iter().enumerate() {
        let result = analyze_sample(index + 1);
        assert_faces_at(&result, centers, &format!("sample{}.jpg", index + 1));
    }
}

#[test]
fn samples_outputs_in_range() {
    for n in 1..=6 {
        let result = analyze_sample(n);
        for face in &result.faces {
            let [x, y, w, h] = face.bbox;
            let what = format!("sample{n}.jpg face at ({x}, {y})");
            assert!(w > 0.0 && h > 0.0, "{what}: empty box");
            assert!(x >= 0.0 && y >= 0.0, "{what}: box starts outside");
            assert!(
                x + w <= result.width as f32 && y + h <= result.height as f32,
                "{what}: box ends outside"
            );
            assert!(
                (0.5..=1.0).contains(&face.score),
                "{what}: score {}",
                face.score
            );
            assert!(
                (0.5..=1.0).contains(&face.gender.probability),
                "{what}: gender probability"
            );
            assert!(
                (1.0..=99.0).contains(&face.age.years),
                "{what}: age {}",
                face.age.years
            );
            assert!(
                face.age.low <= face.age.years,
                "{what}: age low above years"
            );
            assert!(
                face.age.high >= face.age.years,
                "{what}: age high below years"
            );
            let race = face.race.probabilities.to_array();
            assert!(
                race.iter().all(|p| (0.0..=1.0).contains(p)),
                "{what}: race {race:?}"
            );
            assert!(
                (race.iter().sum::<f32>() - 1.0).abs() < 1e-3,
                "{what}: race sums to {}",
                race.iter().sum::<f32>()
            );
        }
    }
}

#[test]
fn samples_frontal_faces_are_female() {
    for (n, index) in FRONTAL_FACES {
        let result = analyze_sample(n);
        let center = FACE_CENTERS[n - 1][index];
        let face = match_faces(&result, &[center])[0].expect("frontal face is found");
        let gender = &result.faces[face].gender;
        assert_eq!(
            gender.label,
            GenderLabel::Female,
            "sample{n}.jpg face at {center:?}: {gender:?}"
        );
    }
}

/// Inserts an EXIF block with `orientation` after the JPEG start-of-image marker.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    // TIFF header (little endian), one IFD entry: tag 0x0112 Orientation, type SHORT, count 1.
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());

    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let length = (segment.len() + 2) as u16;

    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn encode_jpeg(image: &DynamicImage) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, ImageFormat::Jpeg)
        .expect("JPEG encodes");
    bytes.into_inner()
}

#[test]
fn exif_rotated_copies_come_out_upright() {
    let upright = image::load_from_memory(&sample_bytes(1)).expect("sample1 decodes");
    // Stored pixels for each orientation: the upright photo turned the opposite way.
    let cases = [
        (3, upright.rotate180()),
        (6, upright.rotate270()),
        (8, upright.rotate90()),
    ];
    for (orientation, stored) in cases {
        let bytes = with_exif_orientation(&encode_jpeg(&stored), orientation);
        let result = analyze(&format!("sample1-orientation{orientation}.jpg"), &bytes);
        assert_eq!(
            (result.width, result.height),
            (1920, 1280),
            "orientation {orientation}"
        );
        assert_faces_at(
            &result,
            FACE_CENTERS[0],
            &format!("orientation {orientation}"),
        );
    }
}

#[test]
fn upscaled_sample_finds_same_faces() {
    let original = image::load_from_memory(&sample_bytes(1)).expect("sample1 decodes");
    let large = original.resize_exact(8000, 5333, image::imageops::FilterType::Triangle);
    let result = analyze("sample1-8000.jpg", &encode_jpeg(&large));

    let scale = 8000.0 / 1920.0;
    let centers: Vec<(f32, f32)> = FACE_CENTERS[0]
        .iter()
        .map(|(x, y)| (x * scale, y * scale))
        .collect();
    assert_faces_at(&result, &centers, "sample1 at 8000 x 5333");

    let reference = analyze_sample(1);
    for (face, center) in result.faces.iter().zip(&centers) {
        let (x, y) = box_center(&face.bbox);
        let nearest = reference
            .faces
            .iter()
            .map(|r| {
                let (rx, ry) = box_center(&r.bbox);
                ((rx * scale - x).hypot(ry * scale - y), r)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("reference has faces");
        let width_ratio = face.bbox[2] / (nearest.1.bbox[2] * scale);
        assert!(
            (0.8..1.25).contains(&width_ratio),
            "face near {center:?}: width ratio {width_ratio}"
        );
    }
}
