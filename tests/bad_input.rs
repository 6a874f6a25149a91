//! A corpus of broken and awkward files, made in the test: each must give its named error, never
//! a panic, and the same loaded pipeline must still work on a good photo afterwards.

mod common;

use std::io::Cursor;

use common::{analyze, facecard, sample_bytes};
use facecard::decode::DecodeError;
use facecard::pipeline::AnalyzeError;
use image::{DynamicImage, ImageFormat, RgbImage};

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).expect("encodes");
    bytes.into_inner()
}

/// A BMP header announcing `width` x `height` pixels of 24 bits, with no pixel data.
fn bmp_header(width: i32, height: i32) -> Vec<u8> {
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&width.to_le_bytes());
    bmp.extend_from_slice(&height.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    bmp
}

/// The start of a little-endian TIFF file: enough for its format to be recognised.
fn tiff_header() -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&[0; 16]);
    tiff
}

/// Whether an error is the variant a case expects.
type ErrorCheck = fn(&DecodeError) -> bool;

fn decode_error(name: &str, bytes: &[u8]) -> DecodeError {
    match facecard().analyze(name, bytes) {
        Err(AnalyzeError::Decode(error)) => error,
        Err(other) => panic!("{name}: expected a decode error, got {other}"),
        Ok(result) => panic!(
            "{name}: expected a decode error, got {} faces",
            result.faces.len()
        ),
    }
}

#[test]
fn corpus_gives_named_errors() {
    let png = encode(
        &DynamicImage::ImageRgb8(RgbImage::new(64, 64)),
        ImageFormat::Png,
    );
    let jpeg = sample_bytes(1);
    let tiff = tiff_header();

    let cases: Vec<(&str, Vec<u8>, ErrorCheck)> = vec![
        ("empty.jpg", Vec::new(), |e| {
            matches!(e, DecodeError::NotAnImage { .. })
        }),
        ("text.jpg", b"hello".to_vec(), |e| {
            matches!(e, DecodeError::NotAnImage { .. })
        }),
        ("truncated.png", png[..png.len() / 2].to_vec(), |e| {
            matches!(e, DecodeError::Corrupt { .. })
        }),
        ("header-only.jpg", jpeg[..200].to_vec(), |e| {
            matches!(e, DecodeError::Corrupt { .. })
        }),
        ("huge.bmp", bmp_header(30_000, 20_000), |e| {
            matches!(e, DecodeError::TooLarge { .. })
        }),
        ("no-pixels.bmp", bmp_header(0, 10), |e| {
            matches!(e, DecodeError::Corrupt { .. } | DecodeError::Empty { .. })
        }),
        ("scan.tiff", tiff, |e| {
            matches!(e, DecodeError::UnsupportedFormat { .. })
        }),
    ];
    for (name, bytes, expected) in cases {
        let error = decode_error(name, &bytes);
        assert!(expected(&error), "{name}: unexpected error {error:?}");
        assert!(!error.to_string().is_empty(), "{name}: empty message");
    }
}

#[test]
fn too_large_message_names_size_and_limit() {
    let message = decode_error("huge.bmp", &bmp_header(30_000, 20_000)).to_string();
    assert!(message.contains("30000 x 20000"), "{message}");
    assert!(message.contains("limit of 50 megapixels"), "{message}");
}

#[test]
fn unsupported_message_suggests_conversion() {
    let message = decode_error("scan.tiff", &tiff_header()).to_string();
    assert!(
        message.starts_with("TIFF images are not supported"),
        "{message}"
    );
    assert!(
        message.contains("convert the file to JPEG or PNG"),
        "{message}"
    );
}

#[test]
fn awkward_images_give_results() {
    let gray = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(300, 200, image::Luma([128])));
    let tiny = DynamicImage::ImageRgb8(RgbImage::new(1, 1));
    let wide = DynamicImage::ImageRgb8(RgbImage::new(4000, 3));
    let cases = [
        ("gray.png", encode(&gray, ImageFormat::Png)),
        ("tiny.gif", encode(&tiny, ImageFormat::Gif)),
        ("wide.bmp", encode(&wide, ImageFormat::Bmp)),
        (
            "blank.webp",
            encode(
                &DynamicImage::ImageRgb8(RgbImage::new(50, 50)),
                ImageFormat::WebP,
            ),
        ),
    ];
    for (name, bytes) in cases {
        let result = analyze(name, &bytes);
        assert!(
            result.faces.is_empty(),
            "{name}: found {} faces in a blank image",
            result.faces.len()
        );
    }
}

#[test]
fn pipeline_works_after_bad_input() {
    let _ = decode_error("text.jpg", b"not a photo");
    let result = analyze("sample5.jpg", &sample_bytes(5));
    assert_eq!(result.faces.len(), 5);
}
