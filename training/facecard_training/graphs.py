"""Endpoint names of the converted graphs, and helpers to edit and compare ONNX graphs.

This module needs onnx and numpy only, not TensorFlow.
"""

import re

import numpy as np
import onnx

# Input of blazeface.onnx, as MediaPipe's graph names it.
BLAZEFACE_INPUT = "input"
# FaceRes tensors by their TensorFlow names: the male probability (sigmoid),
# the 100-bin age softmax and the 1024-d global-pooling descriptor.
FACERES_GENDER = "gender_pred/Sigmoid"
FACERES_AGE = "age_pred/Softmax"
FACERES_DESCRIPTOR = "global_pooling/Mean"
# Input name of the converted FaceRes graph and of attributes.onnx.
ATTRIBUTE_INPUT = "image"


class GraphMismatchError(RuntimeError):
    """Two runs of what should be the same model disagree in shape or value."""


def rename_value(graph: onnx.GraphProto, old: str, new: str) -> None:
    """Rename a tensor in every node endpoint and graph input or output of `graph`."""
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in [*graph.input, *graph.output, *graph.value_info]:
        if value.name == old:
            value.name = new


def max_abs_diff(expected: np.ndarray, actual: np.ndarray) -> float:
    """Return max |expected - actual|; raise GraphMismatchError if shapes differ."""
    if expected.shape != actual.shape:
        raise GraphMismatchError(
            f"shape mismatch: expected {expected.shape}, got {actual.shape}"
        )
    return float(
        np.max(np.abs(expected.astype(np.float64) - actual.astype(np.float64)))
    )


# tf2onnx numbers the names it makes up (`const_fold_opt__509`, `Relu__13`)
# from counters that depend on set iteration order, so two conversions of the
# same graph name things differently.
_GENERATED_SUFFIX = re.compile(r"__(\d+)")


def canonicalize_names(model: onnx.ModelProto) -> None:
    """Renumber tf2onnx's generated name suffixes in order of first appearance.

    Names are walked in graph order (inputs, each node's name, inputs and
    outputs, graph outputs, initializers), and each distinct `__N` suffix gets
    the next number, so equal graphs serialize to equal bytes. Initializers are
    then sorted by name.
    """
    graph = model.graph
    numbers: dict[str, str] = {}

    def rename(name: str) -> str:
        return _GENERATED_SUFFIX.sub(
            lambda match: "__" + numbers.setdefault(match.group(1), str(len(numbers))),
            name,
        )

    for value in graph.input:
        value.name = rename(value.name)
    for node in graph.node:
        node.name = rename(node.name)
        node.input[:] = [rename(name) for name in node.input]
        node.output[:] = [rename(name) for name in node.output]
    for value in [*graph.output, *graph.value_info]:
        value.name = rename(value.name)
    for tensor in graph.initializer:
        tensor.name = rename(tensor.name)
    for value in [*graph.input, *graph.output, *graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_param = rename(dim.dim_param)
    initializers = sorted(graph.initializer, key=lambda tensor: tensor.name)
    del graph.initializer[:]
    graph.initializer.extend(initializers)


def check_model(model: onnx.ModelProto) -> None:
    """Infer every tensor's shape strictly and run the full ONNX checker on `model`.

    Intermediate shapes are not kept in `model`: tract-onnx 0.23.9 fails to unify the
    symbolic batch dimension N in them with the concrete batch of an input,
    so shipped graphs declare shapes on their inputs and outputs only.
    """
    del model.graph.value_info[:]
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(inferred, full_check=True)
