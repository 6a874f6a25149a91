"""Read TF.js graph models (`model.json` plus binary weight shards) without TensorFlow.

In a graph model's model.json, `modelTopology` is a GraphDef in protobuf JSON
form whose weight Const nodes carry no values. `weightsManifest` lists, group
by group, the shard files and the tensors packed back to back in them.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Storage dtypes that TF.js writes, mapped to numpy.
_NUMPY_DTYPES = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("bool"),
    "uint8": np.dtype("uint8"),
    "uint16": np.dtype("<u2"),
    "float16": np.dtype("<f2"),
}


class TfjsFormatError(ValueError):
    """A model.json or weight shard does not match the TF.js graph-model format."""


@dataclass(frozen=True)
class TfjsModel:
    """A parsed model.json with its decoded weights."""

    path: Path
    topology: dict[str, Any]
    weights: dict[str, np.ndarray]
    metadata: dict[str, Any]


def load_tfjs_model(model_json: Path) -> TfjsModel:
    """Parse `model_json` and decode every weight listed in its manifest."""
    document = json.loads(model_json.read_text())
    if document.get("format") != "graph-model":
        raise TfjsFormatError(
            f"{model_json}: format is {document.get('format')!r}, "
            "expected 'graph-model'"
        )
    weights: dict[str, np.ndarray] = {}
    for group in document["weightsManifest"]:
        shard_bytes = b"".join(
            (model_json.parent / name).read_bytes() for name in group["paths"]
        )
        weights.update(
            decode_weight_group(group["weights"], shard_bytes, str(model_json))
        )
    metadata = {
        key: document[key] for key in ("generatedBy", "convertedBy") if key in document
    }
    return TfjsModel(model_json, document["modelTopology"], weights, metadata)


def decode_weight_group(
    entries: list[dict[str, Any]], shard_bytes: bytes, source: str
) -> dict[str, np.ndarray]:
    """Decode the tensors of one manifest group from its concatenated shard bytes.

    Quantized entries are expanded to their declared dtype: uint8 and uint16
    values become `value * scale + min`, float16 values are widened, matching
    the TF.js loader. Raises TfjsFormatError if the bytes are too short or left
    over, or a dtype is not supported.
    """
    weights: dict[str, np.ndarray] = {}
    offset = 0
    for entry in entries:
        name = entry["name"]
        shape = [int(size) for size in entry["shape"]]
        count = int(np.prod(shape)) if shape else 1
        quantization = entry.get("quantization")
        stored_name = quantization["dtype"] if quantization else entry["dtype"]
        if stored_name not in _NUMPY_DTYPES:
            raise TfjsFormatError(
                f"{source}: weight {name} has unsupported dtype {stored_name!r}"
            )
        stored = _NUMPY_DTYPES[stored_name]

        end = offset + count * stored.itemsize
        if end > len(shard_bytes):
            raise TfjsFormatError(
                f"{source}: weight {name} needs bytes {offset}..{end}, "
                f"but the shards hold only {len(shard_bytes)}"
            )
        values = np.frombuffer(shard_bytes, dtype=stored, count=count, offset=offset)
        offset = end

        if quantization:
            values = _dequantize(values, quantization, entry["dtype"])
        weights[name] = values.astype(_NUMPY_DTYPES[entry["dtype"]]).reshape(shape)
    if offset != len(shard_bytes):
        raise TfjsFormatError(
            f"{source}: manifest describes {offset} bytes, "
            f"but the shards hold {len(shard_bytes)}"
        )
    return weights


def _dequantize(
    values: np.ndarray, quantization: dict[str, Any], dtype: str
) -> np.ndarray:
    """Expand quantized weights as the TF.js loader does."""
    if quantization["dtype"] == "float16":
        return values.astype(np.float32)
    scale = np.float32(quantization["scale"])
    minimum = np.float32(quantization.get("min", 0.0))
    expanded = values.astype(np.float32) * scale + minimum
    return np.round(expanded) if dtype == "int32" else expanded
