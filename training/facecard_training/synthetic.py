"""A stand-in for the UTKFace folder, so a smoke build can run without it.

Input: the demo group photos of @vladmandic/face-api, the converted BlazeFace
model and the UTKFace framing recorded in `models/manifest.json`. Output: a
folder of 200x200 JPEG face crops, framed like UTKFace crops and named
`AGE_GENDER_RACE_DATETIME.jpg.chip.jpg`. The labels follow a fixed cycle and
are unrelated to the faces, so heads fitted on them learn nothing. The folder
only lets the smoke build run every step.
"""

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

from facecard_training import detect, graphs, inference, preprocess
from facecard_training.data import FILE_SUFFIX, GENDER_NAMES, RACE_NAMES

log = logging.getLogger(__name__)

# Demo photos of @vladmandic/face-api 1.7.15, 22 faces in all.
SAMPLE_PHOTOS = tuple(f"demo/sample{number}.jpg" for number in range(1, 7))
# UTKFace "crop_part1" crops are 200x200 pixels.
CROP_SIDE = 200
JPEG_QUALITY = 95
# Side of the square cut around a first-pass face box for the second,
# keypoint-refining detector pass, in box sides. With 2, the face fills about
# half of the detector input, as in the framing measurement, where BlazeFace
# places keypoints best.
REFINE_CONTEXT = 2.0
# Ages handed out in turn, one from each of data.AGE_BANDS.
SYNTHETIC_AGES = (5, 15, 25, 35, 45, 55, 70)
# Every race and gender pair needs one face.
MIN_FACES = len(RACE_NAMES) * len(GENDER_NAMES)
# The DATETIME field of a synthetic name starts with this date, followed by
# the photo number, the face number and 1 for a mirrored crop, 3 digits each.
SYNTHETIC_DATE = "20000101"


@dataclass(frozen=True)
class Framing:
    """Eye placement in a UTKFace crop, as fractions of the crop side, y down."""

    eye_midpoint_x: float
    eye_midpoint_y: float
    inter_eye_distance: float


@dataclass(frozen=True)
class Face:
    """One face in a photo: its position in the photo list and in the photo.

    Eye centres are in photo pixels. The right eye is the subject's right,
    which appears on the image's left.
    """

    photo_index: int
    face_index: int
    right_eye: tuple[float, float]
    left_eye: tuple[float, float]


def load_framing(manifest_path: Path) -> Framing:
    """Read the mean eye placement from a manifest's `framing` block."""
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"{manifest_path} not found; the synthetic smoke crops take their "
            "framing from the committed manifest, so restore models/manifest.json"
        )
    framing = json.loads(manifest_path.read_text())["framing"]
    return Framing(
        eye_midpoint_x=float(framing["eye_midpoint_x"]["mean"]),
        eye_midpoint_y=float(framing["eye_midpoint_y"]["mean"]),
        inter_eye_distance=float(framing["inter_eye_distance"]["mean"]),
    )


def synthetic_labels(index: int) -> tuple[int, int, int]:
    """Return (age, gender, race) for the `index`-th face.

    Race cycles fastest and gender flips every len(RACE_NAMES) faces, so the
    first MIN_FACES faces cover every race and gender pair.
    """
    race = index % len(RACE_NAMES)
    gender = (index // len(RACE_NAMES)) % len(GENDER_NAMES)
    age = SYNTHETIC_AGES[index % len(SYNTHETIC_AGES)]
    return age, gender, race


def crop_name(index: int, face: Face, mirrored: bool) -> str:
    """Return the UTKFace-style file name of a face's crop or its mirror image."""
    age, gender, race = synthetic_labels(index)
    stamp = (
        f"{SYNTHETIC_DATE}{face.photo_index + 1:03d}"
        f"{face.face_index + 1:03d}{int(mirrored):03d}"
    )
    return f"{age}_{gender}_{race}_{stamp}{FILE_SUFFIX}"


def align_face(
    photo: Image.Image,
    right_eye: tuple[float, float],
    left_eye: tuple[float, float],
    framing: Framing,
    side: int = CROP_SIDE,
) -> Image.Image:
    """Cut a `side`-pixel square crop that places the eyes as `framing` does.

    The face is rotated until the eyes are level, then scaled and shifted so
    that the eye midpoint and the distance between the eyes match. Pixels
    outside the photo are black.
    """
    eye_dx = left_eye[0] - right_eye[0]
    eye_dy = left_eye[1] - right_eye[1]
    # Photo pixels per crop pixel, and the roll of the eye line in the photo.
    scale = math.hypot(eye_dx, eye_dy) / (framing.inter_eye_distance * side)
    roll = math.atan2(eye_dy, eye_dx)
    cos, sin = scale * math.cos(roll), scale * math.sin(roll)
    photo_x = (right_eye[0] + left_eye[0]) / 2
    photo_y = (right_eye[1] + left_eye[1]) / 2
    crop_x = framing.eye_midpoint_x * side
    crop_y = framing.eye_midpoint_y * side

    # PIL's affine transform maps each crop pixel (x, y) to the photo point
    # (a x + b y + c, d x + e y + f). Here that point is the photo's eye
    # midpoint plus the pixel's offset from the crop's eye midpoint, rotated
    # by the roll and scaled.
    coefficients = (
        cos,
        -sin,
        photo_x - cos * crop_x + sin * crop_y,
        sin,
        cos,
        photo_y - sin * crop_x - cos * crop_y,
    )
    return photo.transform(
        (side, side), Image.Transform.AFFINE, coefficients, preprocess.RESAMPLE
    )


def find_faces(
    session: ort.InferenceSession, photo: Image.Image
) -> list[detect.Detection]:
    """Detect every face in a photo, in photo pixels, sorted left to right.

    A first pass on the letterboxed photo finds the faces. Their keypoints are
    coarse there, because each face covers a few dozen input pixels, so each
    face is detected again in a square cut around it.
    """
    anchors = detect.make_anchors()
    square, scale, offset = preprocess.letterbox(photo, preprocess.DETECTOR_INPUT_SIZE)
    scores, regressors = session.run(
        ["scores", "regressors"],
        {graphs.BLAZEFACE_INPUT: preprocess.detector_input(square)},
    )
    found = detect.suppress_overlaps(
        detect.all_detections(scores[0], regressors[0], anchors)
    )
    faces = []
    for coarse in found:
        in_photo = detect.to_image_coordinates(
            coarse, 1 / scale, (offset[0] / scale, offset[1] / scale)
        )
        refined = refine_detection(session, photo, in_photo, anchors)
        if refined is None:
            log.warning(
                "face at (%.0f, %.0f) not found again in its cut-out; using the "
                "first-pass keypoints",
                *in_photo.center,
            )
            refined = in_photo
        faces.append(refined)
    return sorted(faces, key=lambda face: face.center[0])


def refine_detection(
    session: ort.InferenceSession,
    photo: Image.Image,
    coarse: detect.Detection,
    anchors: np.ndarray,
) -> detect.Detection | None:
    """Detect a face again in a square around its coarse box, in photo pixels.

    Returns the detection whose centre is nearest the square's centre, or
    None when the second pass finds no face.
    """
    side = max(1, round(REFINE_CONTEXT * max(coarse.size)))
    left = round(coarse.center[0] - side / 2)
    top = round(coarse.center[1] - side / 2)
    region = photo.crop((left, top, left + side, top + side))
    scores, regressors = session.run(
        ["scores", "regressors"],
        {graphs.BLAZEFACE_INPUT: preprocess.detector_input(region)},
    )
    candidates = detect.all_detections(scores[0], regressors[0], anchors)
    if not candidates:
        return None
    middle = preprocess.DETECTOR_INPUT_SIZE / 2
    nearest = min(
        candidates,
        key=lambda d: math.hypot(d.center[0] - middle, d.center[1] - middle),
    )
    pixels_per_input = side / preprocess.DETECTOR_INPUT_SIZE
    return detect.to_image_coordinates(nearest, pixels_per_input, (-left, -top))


def write_crops(
    photos: Sequence[Image.Image],
    faces: Sequence[Face],
    framing: Framing,
    out_dir: Path,
) -> list[Path]:
    """Write each face's crop and its mirror image into `out_dir`; return the paths.

    The mirror image is cut from the mirrored photo, so both crops keep the
    framing. The face at position i gets `synthetic_labels(i)`, and so does
    its mirror image.
    """
    if len(faces) < MIN_FACES:
        raise RuntimeError(
            f"found {len(faces)} faces, expected at least {MIN_FACES} to cover "
            "every race and gender label"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    mirrored_photos = [ImageOps.mirror(photo) for photo in photos]
    paths = []
    for index, face in enumerate(faces):
        photo = photos[face.photo_index]
        crop = align_face(photo, face.right_eye, face.left_eye, framing)
        # Mirroring swaps the image sides, so each eye takes the other's place.
        width = photo.width
        mirrored = align_face(
            mirrored_photos[face.photo_index],
            (width - face.left_eye[0], face.left_eye[1]),
            (width - face.right_eye[0], face.right_eye[1]),
            framing,
        )
        for image, is_mirror in ((crop, False), (mirrored, True)):
            path = out_dir / crop_name(index, face, is_mirror)
            image.save(path, "JPEG", quality=JPEG_QUALITY)
            paths.append(path)
    return paths


def build_folder(
    package: Path, detector_bytes: bytes, framing: Framing, out_dir: Path
) -> list[Path]:
    """Detect the faces in face-api's demo photos and write their crops to `out_dir`.

    `package` is the unpacked @vladmandic/face-api package. Returns the paths
    of the crops, two per face.
    """
    session = inference.make_session(detector_bytes)
    photos = [preprocess.load_rgb(package / name) for name in SAMPLE_PHOTOS]
    faces = []
    for photo_index, photo in enumerate(photos):
        detections = find_faces(session, photo)
        log.info("%s: %d faces", SAMPLE_PHOTOS[photo_index], len(detections))
        faces += [
            Face(
                photo_index,
                face_index,
                detection.keypoints["right_eye"],
                detection.keypoints["left_eye"],
            )
            for face_index, detection in enumerate(detections)
        ]
    return write_crops(photos, faces, framing, out_dir)
