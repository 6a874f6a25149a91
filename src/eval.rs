//! Scoring against UTKFace labels: parsing the labels from file names and computing accuracy and
//! mean absolute error overall and per group.
//!
//! UTKFace names a file `AGE_GENDER_RACE_DATETIME.jpg` (crops add `.chip.jpg`): age in years,
//! gender 0 male / 1 female, race 0-4 in [`RACE_LABELS`] order.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use crate::predict::{FaceAttributes, GenderLabel, RACE_LABELS};

/// Age bands of the per-age breakdown, as (label, first year, last year).
pub const AGE_BANDS: [(&str, u32, u32); 7] = [
    ("0-9", 0, 9),
    ("10-19", 10, 19),
    ("20-29", 20, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-59", 50, 59),
    ("60+", 60, u32::MAX),
];

/// Oldest age UTKFace labels (116 years); larger values are typos.
pub const MAX_LABEL_AGE: u32 = 116;

/// The ground truth read from a UTKFace file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub age: u32,
    pub gender: GenderLabel,
    /// Index into [`RACE_LABELS`].
    pub race: usize,
}

/// Errors from reading a label from a file name.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LabelError {
    #[error(
        "{name}: expected AGE_GENDER_RACE_DATETIME.jpg, found {fields} underscore-separated fields"
    )]
    FieldCount { name: String, fields: usize },
    #[error("{name}: age {value:?} is not a whole number of years from 0 to {MAX_LABEL_AGE}")]
    Age { name: String, value: String },
    #[error("{name}: gender {value:?} is not 0 (male) or 1 (female)")]
    Gender { name: String, value: String },
    #[error("{name}: race {value:?} is not 0-4 (White, Black, Asian, Indian, Others)")]
    Race { name: String, value: String },
}

/// Parses the label from a UTKFace file name (the name only, not a path).
pub fn parse_label(name: &str) -> Result<Label, LabelError> {
    let fields: Vec<&str> = name.split('_').collect();
    if fields.len() < 4 {
        return Err(LabelError::FieldCount {
            name: name.to_owned(),
            fields: fields.len(),
        });
    }
    let age = match fields[0].parse::<u32>() {
        Ok(age) if age <= MAX_LABEL_AGE => age,
        _ => {
            return Err(LabelError::Age {
                name: name.to_owned(),
                value: fields[0].to_owned(),
            })
        }
    };
    let gender = match fields[1] {
        "0" => GenderLabel::Male,
        "1" => GenderLabel::Female,
        other => {
            return Err(LabelError::Gender {
                name: name.to_owned(),
                value: other.to_owned(),
            })
        }
    };
    let race = match fields[2].parse::<usize>() {
        Ok(race) if race < RACE_LABELS.len() => race,
        _ => {
            return Err(LabelError::Race {
                name: name.to_owned(),
                value: fields[2].to_owned(),
            })
        }
    };
    Ok(Label { age, gender, race })
}

/// Returns the label of the age band that contains `age`.
pub fn age_band(age: u32) -> &'static str {
    AGE_BANDS
        .iter()
        .find(|(_, first, last)| (*first..=*last).contains(&age))
        .map_or("60+", |(label, _, _)| label)
}

/// Metrics for one group of images.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupMetrics {
    pub count: usize,
    /// Fraction of faces whose gender was right, 0..1.
    pub gender_accuracy: f64,
    /// Fraction of faces whose race label was right, 0..1.
    pub race_accuracy: f64,
    /// Mean absolute error of the age estimate, in years.
    pub age_mae: f64,
}

#[derive(Debug, Clone, Default)]
struct Tally {
    count: usize,
    gender_correct: usize,
    race_correct: usize,
    age_error_sum: f64,
}

impl Tally {
    fn add(&mut self, label: &Label, predicted: &FaceAttributes, race_index: usize) {
        self.count += 1;
        self.gender_correct += usize::from(predicted.gender.label == label.gender);
        self.race_correct += usize::from(race_index == label.race);
        self.age_error_sum += f64::from((predicted.age.years - label.age as f32).abs());
    }

    fn metrics(&self) -> GroupMetrics {
        if self.count == 0 {
            return GroupMetrics::default();
        }
        let n = self.count as f64;
        GroupMetrics {
            count: self.count,
            gender_accuracy: self.gender_correct as f64 / n,
            race_accuracy: self.race_correct as f64 / n,
            age_mae: self.age_error_sum / n,
        }
    }
}

/// The full evaluation report, as `facecard eval --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Images scored (with a label and a face).
    pub count: usize,
    pub gender_accuracy: f64,
    pub race_accuracy: f64,
    pub age_mae: f64,
    /// Rows are true labels, columns predicted labels, both in `race_labels` order.
    pub race_confusion: [[usize; 5]; 5],
    pub race_labels: [&'static str; 5],
    pub by_race: BTreeMap<String, GroupMetrics>,
    pub by_gender: BTreeMap<String, GroupMetrics>,
    pub by_age_band: BTreeMap<String, GroupMetrics>,
    /// Labelled images in which no face was found (full pipeline only).
    pub no_face: Vec<String>,
    /// Images that could not be read or decoded, with the reason.
    pub failed: Vec<String>,
    /// File names that carry no valid label, with the reason.
    pub malformed: Vec<String>,
}

/// Accumulates predictions against labels.
#[derive(Debug, Default)]
pub struct Evaluation {
    overall: Tally,
    confusion: [[usize; 5]; 5],
    by_race: BTreeMap<String, Tally>,
    by_gender: BTreeMap<String, Tally>,
    by_age_band: BTreeMap<String, Tally>,
    pub no_face: Vec<String>,
    pub failed: Vec<String>,
    pub malformed: Vec<String>,
}

impl Evaluation {
    /// Records one prediction against its label.
    pub fn add(&mut self, label: &Label, predicted: &FaceAttributes) {
        let race_index = RACE_LABELS
            .iter()
            .position(|name| *name == predicted.race.label)
            .unwrap_or(RACE_LABELS.len() - 1);
        self.overall.add(label, predicted, race_index);
        self.confusion[label.race][race_index] += 1;
        let gender = format!("{:?}", label.gender).to_lowercase();
        let groups = [
            (&mut self.by_race, RACE_LABELS[label.race].to_owned()),
            (&mut self.by_gender, gender),
            (&mut self.by_age_band, age_band(label.age).to_owned()),
        ];
        for (map, key) in groups {
            map.entry(key)
                .or_default()
                .add(label, predicted, race_index);
        }
    }

    pub fn count(&self) -> usize {
        self.overall.count
    }

    pub fn report(&self) -> EvalReport {
        let metrics = |map: &BTreeMap<String, Tally>| {
            map.iter()
                .map(|(k, t)| (k.clone(), t.metrics()))
                .collect::<BTreeMap<_, _>>()
        };
        let overall = self.overall.metrics();
        EvalReport {
            count: overall.count,
            gender_accuracy: overall.gender_accuracy,
            race_accuracy: overall.race_accuracy,
            age_mae: overall.age_mae,
            race_confusion: self.confusion,
            race_labels: RACE_LABELS,
            by_race: metrics(&self.by_race),
            by_gender: metrics(&self.by_gender),
            by_age_band: metrics(&self.by_age_band),
            no_face: self.no_face.clone(),
            failed: self.failed.clone(),
            malformed: self.malformed.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predict::{Age, Gender, Race, RaceProbabilities};

    fn predicted(gender: GenderLabel, years: f32, race: &str) -> FaceAttributes {
        FaceAttributes {
            gender: Gender {
                label: gender,
                probability: 0.9,
            },
            age: Age {
                years,
                low: years - 5.0,
                high: years + 5.0,
            },
            race: Race {
                label: race.to_owned(),
                probabilities: RaceProbabilities {
                    white: 0.2,
                    black: 0.2,
                    asian: 0.2,
                    indian: 0.2,
                    others: 0.2,
                },
            },
        }
    }

    #[test]
    fn parse_label_reads_crop_name() {
        let label = parse_label("26_1_2_20170116174525125.jpg.chip.jpg").unwrap();
        assert_eq!(
            label,
            Label {
                age: 26,
                gender: GenderLabel::Female,
                race: 2
            }
        );
    }

    #[test]
    fn parse_label_rejects_missing_field() {
        let error = parse_label("39_1_20170116174525125.jpg.chip.jpg").unwrap_err();
        assert_eq!(
            error,
            LabelError::FieldCount {
                name: "39_1_20170116174525125.jpg.chip.jpg".into(),
                fields: 3
            }
        );
    }

    #[test]
    fn parse_label_rejects_race_five() {
        assert!(matches!(
            parse_label("20_0_5_x.jpg"),
            Err(LabelError::Race { .. })
        ));
    }

    #[test]
    fn parse_label_rejects_gender_two() {
        assert!(matches!(
            parse_label("20_2_1_x.jpg"),
            Err(LabelError::Gender { .. })
        ));
    }

    #[test]
    fn parse_label_rejects_word_age() {
        assert!(matches!(
            parse_label("old_0_1_x.jpg"),
            Err(LabelError::Age { .. })
        ));
    }

    #[test]
    fn age_band_edges() {
        assert_eq!(age_band(9), "0-9");
        assert_eq!(age_band(10), "10-19");
        assert_eq!(age_band(116), "60+");
    }

    #[test]
    fn evaluation_counts_groups() {
        let mut evaluation = Evaluation::default();
        let label = Label {
            age: 30,
            gender: GenderLabel::Female,
            race: 2,
        };
        evaluation.add(&label, &predicted(GenderLabel::Female, 34.0, "Asian"));
        evaluation.add(&label, &predicted(GenderLabel::Male, 28.0, "White"));
        let report = evaluation.report();
        assert_eq!(report.count, 2);
        assert_eq!(report.gender_accuracy, 0.5);
        assert_eq!(report.race_accuracy, 0.5);
        assert_eq!(report.age_mae, 3.0);
        assert_eq!(report.race_confusion[2][0], 1);
        assert_eq!(report.by_race["Asian"].count, 2);
        assert_eq!(report.by_age_band["30-39"].count, 2);
    }
}
