//! Loading ONNX models into optimized tract plans, with outputs selected by name.
//!
//! Both models are loaded once from bytes (a file on the host, a fetched response in the
//! browser) and the resulting plan is reused for every image.

use std::io::Cursor;
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::bail;

/// An optimized, runnable tract plan.
pub type Plan = Arc<TypedSimplePlan>;

/// One input dimension: fixed, or the batch size chosen at run time.
#[derive(Debug, Clone, Copy)]
pub enum Dim {
    Fixed(usize),
    Batch,
}

/// Parses `bytes` as ONNX, fixes the input shape, keeps the outputs named in `outputs` (in that
/// order) and optimizes the graph.
pub fn load_plan(bytes: &[u8], input_shape: &[Dim], outputs: &[&str]) -> TractResult<Plan> {
    let mut model = tract_onnx::onnx().model_for_read(&mut Cursor::new(bytes))?;

    let batch = model.symbols.sym("N");
    let shape: TVec<TDim> = input_shape
        .iter()
        .map(|dim| match dim {
            Dim::Fixed(size) => TDim::from(*size),
            Dim::Batch => TDim::Sym(batch.clone()),
        })
        .collect();
    model.set_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), shape))?;

    let outlets = outputs
        .iter()
        .map(|name| find_output(&model, name))
        .collect::<TractResult<Vec<_>>>()?;
    model.select_output_outlets(&outlets)?;

    model.into_optimized()?.into_runnable()
}

/// Finds an output by its ONNX name, listing the names the model has when it is missing.
fn find_output(model: &InferenceModel, name: &str) -> TractResult<OutletId> {
    if let Some(outlet) = model.find_outlet_label(name) {
        return Ok(outlet);
    }
    if let Ok(node) = model.node_by_name(name) {
        return Ok(OutletId::new(node.id, 0));
    }
    let known: Vec<String> = model
        .output_outlets()?
        .iter()
        .map(|outlet| {
            model
                .outlet_label(*outlet)
                .map(str::to_owned)
                .unwrap_or_else(|| model.node(outlet.node).name.clone())
        })
        .collect();
    bail!("the model has no output named {name:?}; its outputs are {known:?}")
}

/// Copies output `index` of a run into a flat `f32` vector, checking its element count.
pub fn output_values(
    outputs: &TVec<TValue>,
    index: usize,
    expected_len: usize,
) -> TractResult<Vec<f32>> {
    let Some(value) = outputs.get(index) else {
        bail!(
            "the model returned {} outputs, expected at least {}",
            outputs.len(),
            index + 1
        );
    };
    let view = value.to_plain_array_view::<f32>()?;
    if view.len() != expected_len {
        bail!(
            "output {index} has shape {:?} ({} values), expected {expected_len} values",
            view.shape(),
            view.len()
        );
    }
    Ok(view.iter().copied().collect())
}
