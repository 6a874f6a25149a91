"""Image loading and the input tensors that the two models expect.

Every constant here is also written to `models/manifest.json`, so the Rust
pipeline can check that it prepares images the same way.
"""

from pathlib import Path

import numpy as np
from PIL import Image

# BlazeFace (MediaPipe's back-camera model) takes a 256x256 RGB image
# scaled to [-1, 1] as pixel / 127.5 - 1.
DETECTOR_INPUT_SIZE = 256
DETECTOR_SCALE = 127.5
DETECTOR_OFFSET = -1.0

# HSE FaceRes was trained in Keras/Caffe style: 224x224 BGR with the ImageNet
# channel means subtracted and no scaling, listed here in B, G, R order.
ATTRIBUTE_INPUT_SIZE = 224
ATTRIBUTE_MEAN_BGR = (103.939, 116.779, 123.68)

# PIL's bilinear filter is used for every resize here; the Rust side may
# resample differently, which the tract agreement cases do not cover.
RESAMPLE = Image.Resampling.BILINEAR


def load_rgb(path: Path) -> Image.Image:
    """Open an image file and convert it to 8-bit RGB."""
    with Image.open(path) as image:
        return image.convert("RGB")


def letterbox(
    image: Image.Image, size: int
) -> tuple[Image.Image, float, tuple[int, int]]:
    """Scale `image` to fit a `size` x `size` square and pad the rest with black.

    Returns the square image, the scale factor applied and the (left, top)
    padding in output pixels.
    """
    scale = size / max(image.width, image.height)
    width = max(1, round(image.width * scale))
    height = max(1, round(image.height * scale))
    resized = image.resize((width, height), RESAMPLE)
    square = Image.new("RGB", (size, size))
    offset = ((size - width) // 2, (size - height) // 2)
    square.paste(resized, offset)
    return square, scale, offset


def pad_to_square_canvas(
    image: Image.Image, factor: float
) -> tuple[Image.Image, tuple[int, int]]:
    """Center `image` on a black square `factor` times its longer side.

    Returns the canvas and the (left, top) position of the image on it.
    """
    side = round(max(image.width, image.height) * factor)
    offset = ((side - image.width) // 2, (side - image.height) // 2)
    canvas = Image.new("RGB", (side, side))
    canvas.paste(image, offset)
    return canvas, offset


def detector_input(image: Image.Image) -> np.ndarray:
    """Build the [1, 256, 256, 3] float32 BlazeFace input from an RGB image.

    The image is resized to the square input without keeping its aspect
    ratio, so callers letterbox non-square photos first.
    """
    resized = image.resize((DETECTOR_INPUT_SIZE, DETECTOR_INPUT_SIZE), RESAMPLE)
    pixels = np.asarray(resized, dtype=np.float32)
    return (pixels / DETECTOR_SCALE + DETECTOR_OFFSET)[np.newaxis]


def attribute_input(image: Image.Image) -> np.ndarray:
    """Build the [1, 224, 224, 3] float32 FaceRes input (BGR minus means) from RGB."""
    resized = image.resize((ATTRIBUTE_INPUT_SIZE, ATTRIBUTE_INPUT_SIZE), RESAMPLE)
    bgr = np.asarray(resized, dtype=np.float32)[:, :, ::-1]
    return (bgr - np.asarray(ATTRIBUTE_MEAN_BGR, dtype=np.float32))[np.newaxis]
