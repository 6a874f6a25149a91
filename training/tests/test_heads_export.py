"""Tests for head fitting, standardizer folding and merging heads into an ONNX graph."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from sklearn.preprocessing import StandardScaler

from facecard_training import export, graphs, heads
from facecard_training.heads import LinearHead


def fake_faceres(seed: int = 0) -> onnx.ModelProto:
    """Build a small graph with FaceRes's endpoint names and an [N,8] input."""
    rng = np.random.default_rng(seed)
    to_descriptor = numpy_helper.from_array(
        rng.normal(size=(8, 1024)).astype(np.float32), "w1"
    )
    to_age = numpy_helper.from_array(
        rng.normal(size=(1024, 100)).astype(np.float32) * 0.01, "w2"
    )
    to_gender = numpy_helper.from_array(
        rng.normal(size=(1024, 1)).astype(np.float32) * 0.01, "w3"
    )
    nodes = [
        helper.make_node("MatMul", ["image", "w1"], [graphs.FACERES_DESCRIPTOR]),
        helper.make_node("MatMul", [graphs.FACERES_DESCRIPTOR, "w2"], ["age_logits"]),
        helper.make_node("Softmax", ["age_logits"], [graphs.FACERES_AGE], axis=-1),
        helper.make_node("MatMul", [graphs.FACERES_DESCRIPTOR, "w3"], ["gender_logit"]),
        helper.make_node("Sigmoid", ["gender_logit"], [graphs.FACERES_GENDER]),
    ]
    graph = helper.make_graph(
        nodes,
        "fake_faceres",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 8])],
        [
            helper.make_tensor_value_info(
                graphs.FACERES_GENDER, TensorProto.FLOAT, ["N", 1]
            ),
            helper.make_tensor_value_info(
                graphs.FACERES_AGE, TensorProto.FLOAT, ["N", 100]
            ),
            helper.make_tensor_value_info(
                graphs.FACERES_DESCRIPTOR, TensorProto.FLOAT, ["N", 1024]
            ),
        ],
        [to_descriptor, to_age, to_gender],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def random_head(outputs: int, activation: str, seed: int) -> LinearHead:
    rng = np.random.default_rng(seed)
    weight = (rng.normal(size=(1024, outputs)) * 0.01).astype(np.float32)
    bias = rng.normal(size=outputs).astype(np.float32)
    return LinearHead(weight, bias, activation, {}, {})


def run(model: onnx.ModelProto, image: np.ndarray) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(names, {"image": image}), strict=True))


def test_fold_standardizer_matches_pipeline() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(3.0, 2.0, size=(50, 6))
    scaler = StandardScaler().fit(features)
    weight = rng.normal(size=(6, 2))
    bias = rng.normal(size=2)
    folded_weight, folded_bias = heads.fold_standardizer(scaler, weight, bias)
    expected = scaler.transform(features) @ weight + bias
    np.testing.assert_allclose(
        features @ folded_weight + folded_bias, expected, rtol=1e-4, atol=1e-4
    )


def test_merge_heads_outputs_and_values() -> None:
    base = fake_faceres()
    race = random_head(5, "softmax", 1)
    gender = random_head(1, "sigmoid", 2)
    age = random_head(1, "expm1", 3)
    merged = export.merge_heads(base, race, gender, age)
    assert [output.name for output in merged.graph.output] == list(
        export.ATTRIBUTE_OUTPUTS
    )

    image = np.random.default_rng(4).normal(size=(3, 8)).astype(np.float32)
    base_out = run(base, image)
    merged_out = run(merged, image)
    descriptor = base_out[graphs.FACERES_DESCRIPTOR]
    np.testing.assert_allclose(merged_out["descriptor"], descriptor)
    np.testing.assert_allclose(
        merged_out["age_distribution"], base_out[graphs.FACERES_AGE]
    )
    np.testing.assert_allclose(
        merged_out["race_probabilities"], race.apply(descriptor), atol=1e-5
    )
    np.testing.assert_allclose(
        merged_out["female_probability"], gender.apply(descriptor), atol=1e-5
    )
    np.testing.assert_allclose(
        merged_out["age_years"], age.apply(descriptor), rtol=1e-4, atol=1e-3
    )


def test_merge_heads_with_builtin_gender_and_age() -> None:
    base = fake_faceres()
    merged = export.merge_heads(base, random_head(5, "softmax", 1), None, None)
    image = np.random.default_rng(5).normal(size=(2, 8)).astype(np.float32)
    base_out = run(base, image)
    merged_out = run(merged, image)
    np.testing.assert_allclose(
        merged_out["female_probability"],
        1.0 - base_out[graphs.FACERES_GENDER],
        atol=1e-6,
    )
    expected_age = base_out[graphs.FACERES_AGE] @ np.arange(100, dtype=np.float32)
    np.testing.assert_allclose(merged_out["age_years"][:, 0], expected_age, rtol=1e-5)


def test_merge_heads_prunes_unused_gender_branch() -> None:
    merged = export.merge_heads(
        fake_faceres(), random_head(5, "softmax", 1), random_head(1, "sigmoid", 2), None
    )
    assert all(graphs.FACERES_GENDER not in node.output for node in merged.graph.node)


def test_merge_heads_keeps_no_intermediate_shapes() -> None:
    merged = export.merge_heads(
        fake_faceres(), random_head(5, "softmax", 1), None, None
    )
    assert len(merged.graph.value_info) == 0
    assert merged.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"


def test_linear_head_rejects_unknown_activation() -> None:
    head = random_head(1, "relu", 0)
    with pytest.raises(ValueError, match="relu"):
        head.apply(np.zeros((1, 1024)))


def test_fit_logistic_head_learns_separable_classes() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 40)
    features = rng.normal(size=(120, 1024)) + labels[:, np.newaxis] * 0.5
    head = heads.fit_logistic_head(
        "test", features, labels, np.arange(120), folds=3, seed=0, c_grid=(0.01, 1.0)
    )
    assert head.activation == "softmax"
    assert head.weight.shape == (1024, 3)
    assert float(np.mean(head.apply(features).argmax(axis=1) == labels)) > 0.95


def test_fit_age_head_predicts_years() -> None:
    rng = np.random.default_rng(0)
    ages = rng.integers(1, 90, size=150)
    features = rng.normal(size=(150, 1024))
    features[:, 0] = np.log1p(ages)
    head = heads.fit_age_head(
        features,
        ages,
        ages % 5,
        np.arange(150),
        folds=3,
        seed=0,
        alpha_grid=(0.1, 10.0),
    )
    predicted = head.apply(features)[:, 0]
    assert head.activation in ("expm1", "identity")
    assert float(np.mean(np.abs(predicted - ages))) < 5.0
