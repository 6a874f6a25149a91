//! Runs an ONNX model with tract on a saved input and compares the outputs with saved reference
//! outputs (from onnxruntime), printing the maximum absolute difference and the largest absolute
//! reference value per output.
//!
//! Usage: `cargo run --example tract_check -- CASE.json`, where CASE.json is
//! `{"model": "models/x.onnx", "input": {"name", "shape", "file"}, "outputs": [{"name", "shape",
//! "file"}]}`. Files hold raw little-endian f32 values; relative paths are relative to CASE.json,
//! except `model`, which is relative to the working directory. Exits with 1 when any output's
//! maximum absolute difference exceeds [`RELATIVE_TOLERANCE`] times the larger of 1 and its largest
//! absolute reference value.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use facecard::onnx::{load_plan, Dim};
use serde::Deserialize;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::{bail, format_err};

/// Largest difference accepted between tract and the reference, relative to the output's largest
/// absolute reference value, or to 1 when every value is smaller. BlazeFace's background logits
/// reach several thousand, where one float32 step is about 1e-3, so an absolute limit that passes
/// them would be loose for probabilities.
const RELATIVE_TOLERANCE: f32 = 1e-5;

#[derive(Deserialize)]
struct Case {
    model: PathBuf,
    input: TensorFile,
    outputs: Vec<TensorFile>,
}

#[derive(Deserialize)]
struct TensorFile {
    name: String,
    shape: Vec<usize>,
    file: PathBuf,
}

fn read_f32(path: &Path, shape: &[usize]) -> TractResult<Vec<f32>> {
    let bytes =
        std::fs::read(path).map_err(|e| format_err!("cannot read {}: {e}", path.display()))?;
    let expected: usize = shape.iter().product();
    if bytes.len() != expected * 4 {
        bail!(
            "{} contains {} bytes, expected {} f32 values for shape {shape:?}",
            path.display(),
            bytes.len(),
            expected
        );
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

fn run(case_path: &Path) -> TractResult<bool> {
    let case: Case = serde_json::from_slice(&std::fs::read(case_path)?)?;
    let base = case_path.parent().unwrap_or(Path::new("."));
    let model = std::fs::read(&case.model)
        .map_err(|e| format_err!("cannot read {}: {e}", case.model.display()))?;

    let shape: Vec<Dim> = case
        .input
        .shape
        .iter()
        .map(|&size| Dim::Fixed(size))
        .collect();
    let names: Vec<&str> = case.outputs.iter().map(|o| o.name.as_str()).collect();
    let plan = load_plan(&model, &shape, &names)?;

    let input = read_f32(&base.join(&case.input.file), &case.input.shape)?;
    let tensor = Tensor::from_shape(&case.input.shape, &input)?;
    let outputs = plan.run(tvec!(tensor.into()))?;

    let mut all_close = true;
    for (index, expected) in case.outputs.iter().enumerate() {
        let reference = read_f32(&base.join(&expected.file), &expected.shape)?;
        let actual = facecard::onnx::output_values(&outputs, index, reference.len())?;
        let max_diff = actual
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let max_reference = reference
            .iter()
            .map(|value| value.abs())
            .fold(0.0f32, f32::max);
        let close = max_diff <= RELATIVE_TOLERANCE * max_reference.max(1.0);
        let verdict = if close { "ok" } else { "MISMATCH" };
        println!(
            "{} {}: max abs diff {max_diff:.3e}, max abs reference {max_reference:.3e}, \
             tolerance {RELATIVE_TOLERANCE:.0e} x max(1, reference) ({verdict})",
            case.model.display(),
            expected.name
        );
        all_close &= close;
    }
    Ok(all_close)
}

fn main() -> ExitCode {
    let Some(case) = std::env::args().nth(1) else {
        eprintln!("usage: tract_check CASE.json");
        return ExitCode::from(2);
    };
    match run(Path::new(&case)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("tract_check: {case}: {error:#}");
            ExitCode::from(2)
        }
    }
}
