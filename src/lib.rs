//! facecard: finds every face in a photo and estimates its gender, age and race, entirely on the
//! user's own device.
//!
//! The pipeline is four stages, each a module with one public entry: [`decode::decode`],
//! [`detect::Detector::detect`], [`align::align`] and [`predict::AttributeModel::predict`].
//! [`pipeline::Facecard`] loads both models once and runs the stages in order; [`present`] contains
//! the versioned JSON result format. The same code builds for the host (the `facecard` CLI and
//! the tests) and for wasm32 (the browser app).
//!
//! "Race" means UTKFace's five coarse labels (White, Black, Asian, Indian, Others), and every
//! output is a statistical estimate, not a fact about a person.

pub mod align;
pub mod decode;
pub mod detect;
pub mod eval;
pub mod geometry;
pub mod onnx;
pub mod pipeline;
pub mod predict;
pub mod present;
pub mod protocol;
pub mod sampling;
pub mod web;

pub use pipeline::Facecard;
pub use predict::RACE_LABELS;

// The browser build must have SIMD: tract's wasm32 kernels are 2-3x slower without it.
#[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
compile_error!(
    "build for wasm32 with `-C target-feature=+simd128` (set in .cargo/config.toml); \
     a RUSTFLAGS environment variable replaces that setting"
);
