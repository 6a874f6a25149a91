//! Messages between the page and the inference worker, as JSON strings.
//!
//! The page sends [`Request`]s and the worker replies with [`Response`]s. A photo's bytes travel
//! beside the JSON as a transferred `ArrayBuffer`, so they are never copied into a string.
//! Results use the `facecard/1` format of [`crate::present`].

use serde::{Deserialize, Serialize};

use crate::present::ImageResult;

/// Paths of the model files, relative to the page, as Trunk copies them into the bundle.
pub const DETECTOR_URL: &str = "models/blazeface.onnx";
pub const ATTRIBUTES_URL: &str = "models/attributes.onnx";

/// A message from the page to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Downloads and prepares both models; sent once, and again after a failed load.
    Load,
    /// Analyses the photo whose bytes follow the message.
    Analyze { id: u32, file: String },
}

/// A message from the worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// The worker's message handler is installed. Messages sent before it are lost, so the page
    /// sends its first request only after this one.
    Started,
    /// Bytes of the model files received so far; `total` is 0 until the sizes are known.
    Progress { loaded: u64, total: u64 },
    /// Both models are loaded and optimized.
    Ready { load_ms: f64 },
    /// The models could not be loaded; the page offers a retry.
    LoadFailed { message: String },
    /// The analysis of photo `id`.
    Result { id: u32, result: ImageResult },
    /// Photo `id` could not be analysed; `message` gives the reason and what to do next.
    Failed { id: u32, message: String },
}

impl Request {
    pub fn to_json(&self) -> String {
        // Serializing these plain enums cannot fail: every field is a string or a number.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Response {
    pub fn to_json(&self) -> String {
        // Serializing cannot fail: the result holds only strings, numbers and finite floats.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyze_request_round_trips() {
        let request = Request::Analyze {
            id: 7,
            file: "group.jpg".to_owned(),
        };
        let parsed: Request = serde_json::from_str(&request.to_json()).unwrap();
        assert_eq!(parsed, request);
    }

    #[test]
    fn load_request_is_tagged() {
        assert_eq!(Request::Load.to_json(), r#"{"type":"load"}"#);
    }

    #[test]
    fn failed_response_is_tagged() {
        let json = Response::Failed {
            id: 2,
            message: "bad".to_owned(),
        }
        .to_json();
        assert_eq!(json, r#"{"type":"failed","id":2,"message":"bad"}"#);
    }
}
