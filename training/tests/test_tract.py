"""Tests for the tract agreement case files."""

import json
from pathlib import Path

import numpy as np

from facecard_training import tract


def test_write_case_layout(tmp_path: Path) -> None:
    value = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    path = tract.write_case(
        tmp_path, "c", tmp_path / "m.onnx", "input", value, {"out/x": value * 2}
    )
    case = json.loads(path.read_text())
    assert case["model"] == str((tmp_path / "m.onnx").resolve())
    assert case["input"] == {"name": "input", "shape": [1, 2, 3], "file": "c.input.f32"}
    assert case["outputs"][0]["file"] == "c.out_x.f32"
    stored = np.fromfile(tmp_path / "c.out_x.f32", dtype="<f4")
    np.testing.assert_array_equal(stored, (value * 2).ravel())


def test_example_found_in_cargo_manifest(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text(
        '[package]\nname = "x"\n\n'
        '[[example]]\nname = "tract_check"\npath = "t/main.rs"\n'
    )
    assert tract.tract_example_available(tmp_path)


def test_example_missing(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "x"\n')
    assert not tract.tract_example_available(tmp_path)
    assert not tract.tract_example_available(tmp_path / "absent")


def test_checks_skipped_without_example(tmp_path: Path) -> None:
    outcomes = tract.run_tract_checks(tmp_path, [tmp_path / "a.json"])
    assert outcomes == {"a.json": "skipped: example tract_check not found"}
