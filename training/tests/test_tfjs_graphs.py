"""Tests for TF.js weight decoding and the ONNX graph helpers."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from facecard_training import graphs, tfjs
from facecard_training.tfjs import TfjsFormatError


def test_decode_float32_and_int32() -> None:
    floats = np.arange(6, dtype="<f4")
    ints = np.array([7, -8], dtype="<i4")
    entries = [
        {"name": "w", "shape": [2, 3], "dtype": "float32"},
        {"name": "shape", "shape": [2], "dtype": "int32"},
    ]
    weights = tfjs.decode_weight_group(
        entries, floats.tobytes() + ints.tobytes(), "test"
    )
    np.testing.assert_array_equal(weights["w"], floats.reshape(2, 3))
    np.testing.assert_array_equal(weights["shape"], ints)


def test_decode_uint8_quantized() -> None:
    entry = {
        "name": "q",
        "shape": [3],
        "dtype": "float32",
        "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0},
    }
    weights = tfjs.decode_weight_group([entry], bytes([0, 2, 255]), "test")
    np.testing.assert_allclose(weights["q"], [-1.0, 0.0, 126.5])
    assert weights["q"].dtype == np.float32


def test_decode_float16_quantized() -> None:
    entry = {
        "name": "h",
        "shape": [2],
        "dtype": "float32",
        "quantization": {"dtype": "float16"},
    }
    stored = np.array([1.5, -2.25], dtype="<f2").tobytes()
    weights = tfjs.decode_weight_group([entry], stored, "test")
    np.testing.assert_array_equal(weights["h"], [1.5, -2.25])


def test_decode_scalar_shape() -> None:
    entry = {"name": "s", "shape": [], "dtype": "float32"}
    weights = tfjs.decode_weight_group([entry], np.float32(6.0).tobytes(), "test")
    assert weights["s"].shape == ()


def test_decode_rejects_short_shard() -> None:
    entry = {"name": "w", "shape": [4], "dtype": "float32"}
    with pytest.raises(TfjsFormatError, match=r"needs bytes 0\.\.16"):
        tfjs.decode_weight_group([entry], bytes(8), "test")


def test_decode_rejects_leftover_bytes() -> None:
    entry = {"name": "w", "shape": [1], "dtype": "float32"}
    with pytest.raises(TfjsFormatError, match="describes 4 bytes"):
        tfjs.decode_weight_group([entry], bytes(8), "test")


def test_decode_rejects_string_dtype() -> None:
    entry = {"name": "w", "shape": [1], "dtype": "string"}
    with pytest.raises(TfjsFormatError, match="unsupported dtype 'string'"):
        tfjs.decode_weight_group([entry], b"", "test")


def make_graph(suffixes: tuple[int, int]) -> onnx.ModelProto:
    first, second = suffixes
    constant = numpy_helper.from_array(
        np.ones(2, np.float32), f"const_fold_opt__{first}"
    )
    nodes = [
        helper.make_node(
            "Add", ["x", constant.name], [f"add__{second}:0"], name=f"Add__{second}"
        ),
        helper.make_node("Relu", [f"add__{second}:0"], ["y"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
        [constant],
    )
    return helper.make_model(graph)


def test_canonicalize_names_equal_bytes() -> None:
    first = make_graph((509, 13))
    second = make_graph((486, 77))
    graphs.canonicalize_names(first)
    graphs.canonicalize_names(second)
    assert first.SerializeToString() == second.SerializeToString()
    assert first.graph.node[0].name == "Add__0"
    assert first.graph.initializer[0].name == "const_fold_opt__1"


def test_rename_value_updates_io_and_nodes() -> None:
    model = make_graph((1, 2))
    graphs.rename_value(model.graph, "x", "input")
    assert model.graph.input[0].name == "input"
    assert model.graph.node[0].input[0] == "input"


def test_max_abs_diff_rejects_shape_mismatch() -> None:
    with pytest.raises(graphs.GraphMismatchError, match="shape mismatch"):
        graphs.max_abs_diff(np.zeros(2), np.zeros(3))
