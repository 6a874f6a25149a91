//! Present: the versioned `facecard/1` result format and its text rendering.
//!
//! Input: detections and attributes per image. Output: [`Results`], serialized as the JSON that
//! the CLI prints with `--json`, the page downloads and the widget sends. The format is described
//! in `docs/results-schema.md`; any change to a field's name or meaning needs a new schema name.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::detect::{Detection, Keypoint};
use crate::predict::{Age, FaceAttributes, Gender, GenderLabel, Race, RACE_LABELS};

/// Value of the `schema` field.
pub const SCHEMA: &str = "facecard/1";

/// Decimal places kept for pixel coordinates.
const PIXEL_DECIMALS: i32 = 1;

/// Decimal places kept for scores and probabilities.
const PROBABILITY_DECIMALS: i32 = 4;

/// Results for one or more images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub schema: String,
    pub images: Vec<ImageResult>,
}

impl Results {
    pub fn new(images: Vec<ImageResult>) -> Self {
        Self {
            schema: SCHEMA.to_owned(),
            images,
        }
    }
}

/// Results for one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageResult {
    /// The file name as the user gave it.
    pub file: String,
    /// Width and height of the upright image, after the EXIF orientation was applied.
    pub width: u32,
    pub height: u32,
    /// Faces in descending detection score order.
    pub faces: Vec<FaceResult>,
    /// Time spent in each stage, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub timings_ms: Option<StageTimings>,
}

/// Milliseconds spent in each stage for one image.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StageTimings {
    pub decode: f64,
    pub detect: f64,
    pub align: f64,
    pub predict: f64,
}

/// One face: where it is and what the model estimates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceResult {
    /// `[x, y, width, height]` in image pixels, clamped to the image.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// Detection score, 0..1.
    pub score: f32,
    pub keypoints: Keypoints,
    pub gender: Gender,
    pub age: Age,
    pub race: Race,
}

/// BlazeFace's six keypoints as `[x, y]` in image pixels. "Right" is the subject's right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keypoints {
    pub right_eye: [f32; 2],
    pub left_eye: [f32; 2],
    pub nose_tip: [f32; 2],
    pub mouth: [f32; 2],
    pub right_ear: [f32; 2],
    pub left_ear: [f32; 2],
}

fn round_to(value: f32, decimals: i32) -> f32 {
    let factor = 10f32.powi(decimals);
    (value * factor).round() / factor
}

impl FaceResult {
    /// Combines a detection and its attributes, rounding to the precision the format keeps.
    pub fn new(detection: &Detection, attributes: FaceAttributes) -> Self {
        let pixel = |v: f32| round_to(v, PIXEL_DECIMALS);
        let point = |which: Keypoint| {
            let p = detection.keypoint(which);
            [pixel(p.x), pixel(p.y)]
        };
        let b = detection.bbox;
        let probability = |v: f32| round_to(v, PROBABILITY_DECIMALS);
        let mut race = attributes.race;
        let rounded = race.probabilities.to_array().map(probability);
        race.probabilities = crate::predict::RaceProbabilities {
            white: rounded[0],
            black: rounded[1],
            asian: rounded[2],
            indian: rounded[3],
            others: rounded[4],
        };
        FaceResult {
            bbox: [pixel(b.x), pixel(b.y), pixel(b.width), pixel(b.height)],
            score: probability(detection.score),
            keypoints: Keypoints {
                right_eye: point(Keypoint::RightEye),
                left_eye: point(Keypoint::LeftEye),
                nose_tip: point(Keypoint::NoseTip),
                mouth: point(Keypoint::Mouth),
                right_ear: point(Keypoint::RightEar),
                left_ear: point(Keypoint::LeftEar),
            },
            gender: Gender {
                label: attributes.gender.label,
                probability: probability(attributes.gender.probability),
            },
            age: Age {
                years: pixel(attributes.age.years),
                low: pixel(attributes.age.low),
                high: pixel(attributes.age.high),
            },
            race,
        }
    }

    /// A short label such as "F 31 (25-38)", as drawn beside the face box.
    pub fn short_label(&self) -> String {
        let letter = match self.gender.label {
            GenderLabel::Female => "F",
            GenderLabel::Male => "M",
        };
        format!(
            "{letter} {:.0} ({:.0}-{:.0})",
            self.age.years, self.age.low, self.age.high
        )
    }
}

/// Renders one image's results as a plain-text table.
pub fn render_table(image: &ImageResult) -> String {
    let mut out = String::new();
    let faces = image.faces.len();
    let noun = if faces == 1 { "face" } else { "faces" };
    // Writing to a String cannot fail, so the results of writeln! are ignored.
    let _ = writeln!(
        out,
        "{} ({} x {}): {faces} {noun}",
        image.file, image.width, image.height
    );
    if faces == 0 {
        return out;
    }
    let _ = writeln!(
        out,
        "{:>3}  {:<23}  {:>5}  {:<13}  {:<16}  race (estimate; UTKFace labels)",
        "#", "box x,y,w,h", "score", "gender", "age (80% range)"
    );
    for (index, face) in image.faces.iter().enumerate() {
        let [x, y, w, h] = face.bbox;
        let gender = format!(
            "{:?} {:.0}%",
            face.gender.label,
            face.gender.probability * 100.0
        )
        .to_lowercase();
        let age = format!(
            "{:.0} ({:.0}-{:.0})",
            face.age.years, face.age.low, face.age.high
        );
        let _ = writeln!(
            out,
            "{index:>3}  {:<23}  {:>5.2}  {gender:<13}  {age:<16}  {}",
            format!("{x:.0},{y:.0},{w:.0},{h:.0}"),
            face.score,
            race_summary(&face.race),
        );
    }
    out
}

/// Lists the race labels from most to least likely, with percentages above 1 %.
fn race_summary(race: &Race) -> String {
    let mut ranked: Vec<(&str, f32)> = RACE_LABELS
        .iter()
        .copied()
        .zip(race.probabilities.to_array())
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
        .iter()
        .filter(|(_, p)| *p >= 0.01)
        .map(|(label, p)| format!("{label} {:.0}%", p * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::KEYPOINT_COUNT;
    use crate::geometry::{BoundingBox, Point};
    use crate::predict::RaceProbabilities;

    fn sample_face() -> FaceResult {
        let detection = Detection {
            bbox: BoundingBox {
                x: 10.04,
                y: 20.0,
                width: 30.0,
                height: 31.0,
            },
            score: 0.912_345,
            keypoints: [Point::new(1.0, 2.0); KEYPOINT_COUNT],
        };
        let attributes = FaceAttributes {
            gender: Gender {
                label: GenderLabel::Female,
                probability: 0.9,
            },
            age: Age {
                years: 31.2,
                low: 25.0,
                high: 38.4,
            },
            race: Race {
                label: "Asian".to_owned(),
                probabilities: RaceProbabilities {
                    white: 0.1,
                    black: 0.0,
                    asian: 0.8,
                    indian: 0.05,
                    others: 0.05,
                },
            },
        };
        FaceResult::new(&detection, attributes)
    }

    #[test]
    fn short_label_reads_like_card() {
        assert_eq!(sample_face().short_label(), "F 31 (25-38)");
    }

    #[test]
    fn face_serializes_box_field() {
        let text = serde_json::to_string(&sample_face()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["box"][0], serde_json::json!(10.0));
        assert_eq!(json["gender"]["label"], "female");
        assert_eq!(
            json["race"]["probabilities"]["Asian"],
            serde_json::json!(0.8)
        );
    }

    #[test]
    fn results_carry_schema() {
        let json = serde_json::to_value(Results::new(Vec::new())).unwrap();
        assert_eq!(json["schema"], SCHEMA);
    }

    #[test]
    fn table_lists_each_face() {
        let image = ImageResult {
            file: "group.jpg".to_owned(),
            width: 100,
            height: 80,
            faces: vec![sample_face(), sample_face()],
            timings_ms: None,
        };
        let table = render_table(&image);
        assert!(
            table.starts_with("group.jpg (100 x 80): 2 faces"),
            "{table}"
        );
        assert!(table.contains("female 90%"), "{table}");
        assert!(table.contains("Asian 80%, White 10%"), "{table}");
    }
}
