//! The whole pipeline, decode -> detect -> align -> predict, behind one type that loads both
//! models once and is reused for every image. The CLI, the tests and the browser all call
//! [`Facecard::analyze`].

use thiserror::Error;
use web_time::Instant;

use crate::align::{self, AlignedFace};
use crate::decode::{self, DecodeError, DecodedImage};
use crate::detect::{DetectError, Detection, Detector};
use crate::predict::{AttributeModel, FaceAttributes, PredictError};
use crate::present::{FaceResult, ImageResult, StageTimings};

/// File names of the models inside the models folder.
pub const DETECTOR_FILE: &str = "blazeface.onnx";
pub const ATTRIBUTES_FILE: &str = "attributes.onnx";

/// Any failure on the way from bytes to results, tagged by stage.
#[derive(Debug, Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error(transparent)]
    Predict(#[from] PredictError),
}

/// Both models, loaded and optimized once.
pub struct Facecard {
    detector: Detector,
    attributes: AttributeModel,
}

impl Facecard {
    /// Loads both models from their ONNX bytes.
    pub fn from_model_bytes(detector: &[u8], attributes: &[u8]) -> Result<Facecard, AnalyzeError> {
        Ok(Facecard {
            detector: Detector::load(detector)?,
            attributes: AttributeModel::load(attributes)?,
        })
    }

    /// Loads both models from a folder holding [`DETECTOR_FILE`] and [`ATTRIBUTES_FILE`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir(dir: &std::path::Path) -> Result<Facecard, LoadDirError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| LoadDirError::Read { path, source })
        };
        let detector = read(DETECTOR_FILE)?;
        let attributes = read(ATTRIBUTES_FILE)?;
        Ok(Self::from_model_bytes(&detector, &attributes)?)
    }

    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    pub fn attribute_model(&self) -> &AttributeModel {
        &self.attributes
    }

    /// Runs the whole pipeline on one photo's bytes; `file` is the name reported in the result.
    pub fn analyze(&self, file: &str, bytes: &[u8]) -> Result<ImageResult, AnalyzeError> {
        let mut timings = StageTimings::default();

        let started = Instant::now();
        let image = decode::decode(bytes)?;
        timings.decode = elapsed_ms(started);

        let started = Instant::now();
        let detections = self.detector.detect(&image)?;
        timings.detect = elapsed_ms(started);

        let started = Instant::now();
        let (detections, crops) = align_all(&image, detections);
        timings.align = elapsed_ms(started);

        let started = Instant::now();
        let attributes = self.attributes.predict(&crops)?;
        timings.predict = elapsed_ms(started);

        log::debug!("{file}: {} faces, {timings:?}", detections.len());
        Ok(ImageResult {
            file: file.to_owned(),
            width: image.width(),
            height: image.height(),
            faces: combine(&detections, attributes),
            timings_ms: Some(timings),
        })
    }

    /// Estimates attributes for an image that is already a UTKFace-style face crop, with no
    /// detection.
    pub fn predict_crop(&self, image: &DecodedImage) -> Result<FaceAttributes, AnalyzeError> {
        let crop = align::resize_crop(image);
        let mut attributes = self.attributes.predict(std::slice::from_ref(&crop))?;
        // predict returns one result per crop, and one crop went in.
        Ok(attributes.remove(0))
    }
}

/// Aligns every detection, dropping (and logging) a face whose keypoints give it no size, so one
/// bad detection does not cost the other faces their results.
fn align_all(
    image: &DecodedImage,
    detections: Vec<Detection>,
) -> (Vec<Detection>, Vec<AlignedFace>) {
    let mut kept = Vec::with_capacity(detections.len());
    let mut crops = Vec::with_capacity(detections.len());
    for detection in detections {
        match align::align(image, &detection) {
            Ok(crop) => {
                kept.push(detection);
                crops.push(crop);
            }
            Err(error) => log::warn!("skipping a face: {error}"),
        }
    }
    (kept, crops)
}

fn combine(detections: &[Detection], attributes: Vec<FaceAttributes>) -> Vec<FaceResult> {
    detections
        .iter()
        .zip(attributes)
        .map(|(detection, attributes)| FaceResult::new(detection, attributes))
        .collect()
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Errors from loading the models from a folder.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Error)]
pub enum LoadDirError {
    #[error(
        "cannot read the model {path}: {source}; run the README's set-up, or pass --models DIR"
    )]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Load(#[from] AnalyzeError),
}
