//! Plain state of the page: the models' loading state and the current photo's analysis. The
//! components only connect these to signals and the view.

use crate::present::{ImageResult, Results};

/// Progress of the models' one-time download and preparation.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelState {
    /// Downloading; `total` is 0 until the sizes are known.
    Loading {
        loaded: u64,
        total: u64,
    },
    Ready,
    /// The download or preparation failed, with the message to show beside the retry button.
    Failed(String),
}

impl ModelState {
    pub fn is_ready(&self) -> bool {
        matches!(self, ModelState::Ready)
    }

    /// Fraction of the model bytes received, 0..1, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        match self {
            ModelState::Loading { loaded, total } if *total > 0 => {
                Some((*loaded as f64 / *total as f64).min(1.0))
            }
            _ => None,
        }
    }

    /// Returns the status line shown to the user.
    pub fn describe(&self) -> String {
        match self {
            ModelState::Loading { loaded, total } if *total > 0 => format!(
                "Downloading the models: {:.1} of {:.1} MB",
                *loaded as f64 / 1e6,
                *total as f64 / 1e6
            ),
            ModelState::Loading { loaded, .. } => {
                format!("Downloading the models: {:.1} MB", *loaded as f64 / 1e6)
            }
            ModelState::Ready => "ready".to_owned(),
            ModelState::Failed(message) => format!("The models could not be loaded: {message}"),
        }
    }
}

/// The value of the results region's `data-status` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Idle,
    Busy,
    Done,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Busy => "busy",
            Status::Done => "done",
            Status::Error => "error",
        }
    }
}

/// The photo being analysed or shown, and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Request number, so that a late result for an older photo is ignored.
    pub id: u32,
    pub file: String,
    pub status: Status,
    pub result: Option<ImageResult>,
    pub error: Option<String>,
}

impl Default for Analysis {
    fn default() -> Self {
        Self {
            id: 0,
            file: String::new(),
            status: Status::Idle,
            result: None,
            error: None,
        }
    }
}

impl Analysis {
    /// Starts a new analysis, dropping the previous photo's result and error.
    pub fn start(&mut self, file: &str) -> u32 {
        self.id += 1;
        self.file = file.to_owned();
        self.status = Status::Busy;
        self.result = None;
        self.error = None;
        self.id
    }

    /// Records the worker's result if it belongs to the current request.
    pub fn finish(&mut self, id: u32, result: ImageResult) {
        if id == self.id {
            self.status = Status::Done;
            self.result = Some(result);
        }
    }

    /// Records a failure; `id` 0 marks a failure before any request reached the worker.
    pub fn fail(&mut self, id: u32, message: String) {
        if id == self.id || id == 0 {
            self.status = Status::Error;
            self.error = Some(message);
        }
    }

    /// Returns the message to show when the photo was analysed but had no face.
    pub fn no_face_message(&self) -> Option<String> {
        let result = self.result.as_ref()?;
        result.faces.is_empty().then(|| {
            format!(
                "No face was found in {}. Faces smaller than about 24 pixels, turned far to the \
                 side or covered are missed; try a larger or sharper photo.",
                result.file
            )
        })
    }

    /// Returns the results as `facecard/1` JSON, for the download button.
    pub fn results_json(&self) -> Option<String> {
        let result = self.result.clone()?;
        serde_json::to_string_pretty(&Results::new(vec![result])).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_result(file: &str) -> ImageResult {
        ImageResult {
            file: file.to_owned(),
            width: 10,
            height: 10,
            faces: Vec::new(),
            timings_ms: None,
        }
    }

    #[test]
    fn analysis_ignores_stale_result() {
        let mut analysis = Analysis::default();
        let first = analysis.start("a.jpg");
        analysis.start("b.jpg");
        analysis.finish(first, empty_result("a.jpg"));
        assert_eq!(analysis.status, Status::Busy);
        assert!(analysis.result.is_none());
    }

    #[test]
    fn analysis_clears_error_on_start() {
        let mut analysis = Analysis::default();
        analysis.fail(0, "bad".to_owned());
        analysis.start("b.jpg");
        assert!(analysis.error.is_none());
        assert_eq!(analysis.status, Status::Busy);
    }

    #[test]
    fn no_face_message_names_file() {
        let mut analysis = Analysis::default();
        let id = analysis.start("empty.png");
        analysis.finish(id, empty_result("empty.png"));
        assert!(analysis.no_face_message().unwrap().contains("empty.png"));
    }

    #[test]
    fn results_json_has_schema() {
        let mut analysis = Analysis::default();
        let id = analysis.start("a.jpg");
        analysis.finish(id, empty_result("a.jpg"));
        assert!(analysis.results_json().unwrap().contains("\"facecard/1\""));
    }

    #[test]
    fn loading_fraction_needs_total() {
        assert_eq!(
            ModelState::Loading {
                loaded: 5,
                total: 0
            }
            .fraction(),
            None
        );
        assert_eq!(
            ModelState::Loading {
                loaded: 5,
                total: 10
            }
            .fraction(),
            Some(0.5)
        );
    }
}
