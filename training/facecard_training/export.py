"""Merge the fitted heads into the FaceRes ONNX graph and write the model manifest.

Input: the converted FaceRes model, the heads and which gender and age
source ships. Output: `attributes.onnx` with input `image` and the outputs in
ATTRIBUTE_OUTPUTS, and `manifest.json` describing every shipped file.
"""

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from facecard_training import graphs
from facecard_training.heads import LinearHead

log = logging.getLogger(__name__)

# Output names of attributes.onnx with their widths; every output is [N, width].
ATTRIBUTE_OUTPUTS = {
    "female_probability": 1,
    "age_years": 1,
    "age_distribution": 100,
    "race_probabilities": 5,
    "descriptor": 1024,
}
BATCH_DIM = "N"
MANIFEST_SCHEMA = "facecard-models/1"


def _head_nodes(
    head: LinearHead, prefix: str, output: str
) -> tuple[list[onnx.NodeProto], list[TensorProto]]:
    """Build MatMul + Add + activation nodes that compute `head` on the descriptor."""
    weight = numpy_helper.from_array(head.weight.astype(np.float32), f"{prefix}/weight")
    bias = numpy_helper.from_array(head.bias.astype(np.float32), f"{prefix}/bias")
    linear = f"{prefix}/linear"
    nodes = [
        helper.make_node(
            "MatMul", [graphs.FACERES_DESCRIPTOR, weight.name], [f"{prefix}/matmul"]
        ),
        helper.make_node("Add", [f"{prefix}/matmul", bias.name], [linear]),
    ]
    initializers = [weight, bias]
    if head.activation == "sigmoid":
        nodes.append(helper.make_node("Sigmoid", [linear], [output]))
    elif head.activation == "softmax":
        nodes.append(helper.make_node("Softmax", [linear], [output], axis=-1))
    elif head.activation in ("expm1", "identity"):
        low = numpy_helper.from_array(np.array(0.0, np.float32), f"{prefix}/min_years")
        high = numpy_helper.from_array(
            np.array(116.0, np.float32), f"{prefix}/max_years"
        )
        initializers += [low, high]
        years = linear
        if head.activation == "expm1":
            one = numpy_helper.from_array(np.array(1.0, np.float32), f"{prefix}/one")
            initializers.append(one)
            nodes += [
                helper.make_node("Exp", [linear], [f"{prefix}/exp"]),
                helper.make_node(
                    "Sub", [f"{prefix}/exp", one.name], [f"{prefix}/years"]
                ),
            ]
            years = f"{prefix}/years"
        nodes.append(helper.make_node("Clip", [years, low.name, high.name], [output]))
    else:
        raise ValueError(f"unknown head activation {head.activation!r}")
    return nodes, initializers


def merge_heads(
    faceres: onnx.ModelProto,
    race_head: LinearHead,
    gender_head: LinearHead | None,
    age_head: LinearHead | None,
) -> onnx.ModelProto:
    """Return a copy of FaceRes with the heads and the ATTRIBUTE_OUTPUTS outputs.

    When `gender_head` is None, `female_probability` is 1 minus FaceRes's own
    male sigmoid. When `age_head` is None, `age_years` is the expected value
    of FaceRes's 100-bin age softmax (bins are ages 0..99).
    """
    model = onnx.ModelProto()
    model.CopyFrom(faceres)
    graph = model.graph
    nodes: list[onnx.NodeProto] = []
    initializers: list[TensorProto] = []

    race_nodes, race_init = _head_nodes(race_head, "race_head", "race_probabilities")
    nodes += race_nodes
    initializers += race_init

    if gender_head is None:
        one = numpy_helper.from_array(np.array(1.0, np.float32), "gender_builtin/one")
        initializers.append(one)
        nodes.append(
            helper.make_node(
                "Sub", [one.name, graphs.FACERES_GENDER], ["female_probability"]
            )
        )
    else:
        gender_nodes, gender_init = _head_nodes(
            gender_head, "gender_head", "female_probability"
        )
        nodes += gender_nodes
        initializers += gender_init

    if age_head is None:
        bins = np.arange(
            ATTRIBUTE_OUTPUTS["age_distribution"], dtype=np.float32
        ).reshape(-1, 1)
        ages = numpy_helper.from_array(bins, "age_builtin/bin_years")
        initializers.append(ages)
        nodes.append(
            helper.make_node("MatMul", [graphs.FACERES_AGE, ages.name], ["age_years"])
        )
    else:
        age_nodes, age_init = _head_nodes(age_head, "age_head", "age_years")
        nodes += age_nodes
        initializers += age_init

    nodes += [
        helper.make_node("Identity", [graphs.FACERES_AGE], ["age_distribution"]),
        helper.make_node("Identity", [graphs.FACERES_DESCRIPTOR], ["descriptor"]),
    ]
    graph.node.extend(nodes)
    graph.initializer.extend(initializers)
    del graph.output[:]
    graph.output.extend(
        helper.make_tensor_value_info(name, TensorProto.FLOAT, [BATCH_DIM, width])
        for name, width in ATTRIBUTE_OUTPUTS.items()
    )
    prune_unused(graph)
    del graph.value_info[:]
    model.doc_string = (
        "HSE FaceRes (deep) descriptor with facecard's heads fitted on UTKFace crops: "
        "race, and gender and age where they beat FaceRes's own outputs on validation"
    )
    graphs.check_model(model)
    return model


def prune_unused(graph: onnx.GraphProto) -> None:
    """Remove nodes and initializers that no graph output depends on."""
    needed = {value.name for value in graph.output}
    kept: list[onnx.NodeProto] = []
    for node in reversed(graph.node):
        if any(name in needed for name in node.output):
            kept.append(node)
            needed.update(node.input)
    removed = len(graph.node) - len(kept)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    initializers = [tensor for tensor in graph.initializer if tensor.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    if removed:
        log.info("pruned %d nodes that no output uses", removed)


def describe_file(path: Path, source: dict[str, Any]) -> dict[str, Any]:
    """Return the manifest entry of one ONNX file: hash, size, source and I/O shapes."""
    model = onnx.load(str(path))

    def values(entries: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": value.name,
                "shape": [
                    dim.dim_param if dim.dim_param else dim.dim_value
                    for dim in value.type.tensor_type.shape.dim
                ],
            }
            for value in entries
        ]

    return {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "size": path.stat().st_size,
        "opset": max(
            entry.version
            for entry in model.opset_import
            if entry.domain in ("", "ai.onnx")
        ),
        "source": source,
        "inputs": values(model.graph.input),
        "outputs": values(model.graph.output),
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write `document` as indented JSON with a trailing newline."""
    path.write_text(json.dumps(document, indent=2) + "\n")
    log.info("wrote %s", path)
