"""Agreement cases between onnxruntime and tract, the Rust runtime facecard ships.

Each case is a JSON file naming a model, one input and the expected outputs,
with tensors stored as raw little-endian float32 next to it. The cargo
example `tract_check` (training/tract_check/main.rs) runs tract on the input
and compares.
"""

import json
import logging
import shutil
import subprocess
import tomllib
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# The Rust example that runs a case; cargo finds it either by its default path
# or through an [[example]] entry in Cargo.toml.
TRACT_EXAMPLE = "tract_check"


def tract_example_available(repo_root: Path) -> bool:
    """Return whether the repository defines the tract_check cargo example."""
    if (repo_root / "examples" / f"{TRACT_EXAMPLE}.rs").exists():
        return True
    manifest = repo_root / "Cargo.toml"
    if not manifest.exists():
        return False
    examples = tomllib.loads(manifest.read_text()).get("example", [])
    return any(example.get("name") == TRACT_EXAMPLE for example in examples)


def write_case(
    case_dir: Path,
    name: str,
    model: Path,
    input_name: str,
    input_value: np.ndarray,
    outputs: dict[str, np.ndarray],
) -> Path:
    """Write `<name>.json` and its .f32 tensors into `case_dir`; return the JSON path.

    The model path is written as an absolute path. Tensor file paths are
    relative to the JSON file.
    """
    case_dir.mkdir(parents=True, exist_ok=True)

    def tensor(label: str, value: np.ndarray) -> dict[str, object]:
        file_name = f"{name}.{label.replace('/', '_')}.f32"
        value.astype("<f4").tofile(case_dir / file_name)
        return {"name": label, "shape": list(value.shape), "file": file_name}

    case = {
        "model": str(model.resolve()),
        "input": tensor(input_name, input_value),
        "outputs": [tensor(label, value) for label, value in outputs.items()],
    }
    path = case_dir / f"{name}.json"
    path.write_text(json.dumps(case, indent=2) + "\n")
    return path


def run_tract_checks(repo_root: Path, cases: list[Path]) -> dict[str, str]:
    """Run the tract example on each case and return each case's outcome.

    An outcome is "passed", "failed: <output>" or "skipped: <reason>". The
    check is skipped with a warning when cargo or the example is missing.
    """
    if not tract_example_available(repo_root):
        log.warning(
            "cargo example %s not found, skipping the tract check", TRACT_EXAMPLE
        )
        return {
            case.name: f"skipped: example {TRACT_EXAMPLE} not found" for case in cases
        }
    cargo = shutil.which("cargo")
    if cargo is None:
        log.warning("cargo not found, skipping the tract agreement check")
        return {case.name: "skipped: cargo not found" for case in cases}

    # The first case compiles the example. The dev profile optimizes at level 3
    # like release (Cargo.toml) and shares its build with `cargo test`, while a
    # release build adds minutes of fat LTO.
    outcomes: dict[str, str] = {}
    for case in cases:
        command = [
            cargo,
            "run",
            "--quiet",
            "--example",
            TRACT_EXAMPLE,
            "--",
            str(case),
        ]
        log.info("tract check: %s", " ".join(command))
        result = subprocess.run(
            command, cwd=repo_root, capture_output=True, text=True, check=False
        )
        output = (result.stdout + result.stderr).strip()
        if result.returncode == 0:
            log.info("tract agrees on %s:\n%s", case.name, output)
            outcomes[case.name] = "passed"
        else:
            log.error(
                "tract disagrees on %s (exit %d):\n%s",
                case.name,
                result.returncode,
                output,
            )
            outcomes[case.name] = f"failed: {output[-2000:]}"
    return outcomes
