//! Align: cuts each detected face out of the photo, framed the way UTKFace crops are framed.
//!
//! Input: the [`DecodedImage`] and one [`Detection`]. Output: an [`AlignedFace`], a square RGB crop
//! of [`CROP_SIZE`] pixels with the eyes level. Runs no model.
//!
//! The attribute model was trained and its heads fitted on UTKFace's aligned 200 x 200 crops, so
//! a real photo's face must reach it framed the same way: the crop is rotated so the eyes are
//! level, and scaled and placed so that the eyes and mouth land where they sit, on average, in
//! the UTKFace crops. Those positions were measured by running the detector over the development
//! crops (`framing` in `models/manifest.json`, written by the training pipeline).

use image::{Rgb, RgbImage};
use thiserror::Error;

use crate::decode::DecodedImage;
use crate::detect::{Detection, Keypoint};
use crate::geometry::Point;
use crate::sampling::{Padding, Window};

/// Side of the aligned crop in pixels: the attribute model's input size.
pub const CROP_SIZE: u32 = 224;

// The framing constants below are means over the 7,775 development crops in which the detector
// found a face (`framing` in `models/manifest.json`, written by `bash training/build-models`),
// as fractions of the crop side.

/// Mean eye midpoint in UTKFace crops (`framing.eye_midpoint_x`, `framing.eye_midpoint_y`).
pub const FRAME_EYE_CENTER: Point = Point {
    x: 0.4867,
    y: 0.2916,
};

/// Mean distance between the eyes (`framing.inter_eye_distance`).
pub const FRAME_EYE_DISTANCE: f32 = 0.4021;

/// Mean distance from the eye midpoint to the mouth centre (`framing.eye_to_mouth_distance`).
pub const FRAME_EYE_MOUTH_DISTANCE: f32 = 0.4363;

/// Mean width of the detector's face box (`framing.box_width`).
pub const FRAME_BOX_WIDTH: f32 = 0.9451;

/// Mean roll of the eye line in degrees, positive when the subject's left eye (on the image's
/// right) is lower (`framing.roll_degrees`); aligned faces are given the same small tilt.
pub const FRAME_ROLL_DEGREES: f32 = 0.31;

/// Colour outside the photo, for faces cut by its edge: the Caffe mean colour that the attribute
/// model subtracts, so padding reaches the model as zeros.
pub const PAD_COLOR: Rgb<u8> = Rgb([124, 117, 104]);

/// A face crop ready for the attribute model.
#[derive(Debug, Clone)]
pub struct AlignedFace {
    pub pixels: RgbImage,
}

/// Errors from aligning a face.
#[derive(Debug, Error)]
pub enum AlignError {
    /// The keypoints coincide or are not finite, so the face has no size or direction.
    #[error(
        "the face at ({x:.0}, {y:.0}) has degenerate keypoints (eye distance {eye_distance:.2} px, \
         eye-mouth distance {eye_mouth_distance:.2} px)"
    )]
    Degenerate {
        x: f32,
        y: f32,
        eye_distance: f32,
        eye_mouth_distance: f32,
    },
}

/// Crops `detection` out of `image`, rotated upright and framed like a UTKFace crop.
pub fn align(image: &DecodedImage, detection: &Detection) -> Result<AlignedFace, AlignError> {
    let right_eye = detection.keypoint(Keypoint::RightEye);
    let left_eye = detection.keypoint(Keypoint::LeftEye);
    let mouth = detection.keypoint(Keypoint::Mouth);
    let eye_center = right_eye.midpoint(left_eye);

    // The eye line sets the roll. The crop's side comes from three estimates of the face's
    // size, and their median is used: a turned head shrinks the eye distance and a tilted one
    // the eye-mouth distance, but rarely both.
    let eye_distance = right_eye.distance(left_eye);
    let eye_mouth_distance = eye_center.distance(mouth);
    let box_width = detection.bbox.width.max(detection.bbox.height);
    let side = median_of_three(
        eye_distance / FRAME_EYE_DISTANCE,
        eye_mouth_distance / FRAME_EYE_MOUTH_DISTANCE,
        box_width / FRAME_BOX_WIDTH,
    );
    if !side.is_finite() || side < 1.0 || eye_distance < 1.0 {
        return Err(AlignError::Degenerate {
            x: eye_center.x,
            y: eye_center.y,
            eye_distance,
            eye_mouth_distance,
        });
    }
    let eye_angle = (left_eye.y - right_eye.y).atan2(left_eye.x - right_eye.x);
    let angle = eye_angle - FRAME_ROLL_DEGREES.to_radians();

    // The square's centre sits where the eye midpoint's offset from the crop centre puts it.
    let (sin, cos) = angle.sin_cos();
    let dx = (0.5 - FRAME_EYE_CENTER.x) * side;
    let dy = (0.5 - FRAME_EYE_CENTER.y) * side;
    let window = Window {
        center: Point::new(
            eye_center.x + dx * cos - dy * sin,
            eye_center.y + dx * sin + dy * cos,
        ),
        side,
        angle,
    };
    Ok(AlignedFace {
        pixels: window.render(&image.pixels, CROP_SIZE, Padding::Color(PAD_COLOR)),
    })
}

fn median_of_three(a: f32, b: f32, c: f32) -> f32 {
    a.max(b).min(a.min(b).max(c))
}

/// Resizes an image that is already a UTKFace-style crop to the model's input size.
pub fn resize_crop(image: &DecodedImage) -> AlignedFace {
    let pixels = image::imageops::resize(
        &image.pixels,
        CROP_SIZE,
        CROP_SIZE,
        image::imageops::FilterType::Triangle,
    );
    AlignedFace { pixels }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::KEYPOINT_COUNT;
    use crate::geometry::BoundingBox;
    use image::ImageFormat;

    fn detection_with_eyes(right: Point, left: Point, mouth: Point) -> Detection {
        let mut keypoints = [Point::default(); KEYPOINT_COUNT];
        keypoints[Keypoint::RightEye as usize] = right;
        keypoints[Keypoint::LeftEye as usize] = left;
        keypoints[Keypoint::Mouth as usize] = mouth;
        // A box whose size agrees with the eye distance, so the median size estimate is exact.
        let width = right.distance(left) / FRAME_EYE_DISTANCE * FRAME_BOX_WIDTH;
        Detection {
            bbox: BoundingBox::from_center(right.midpoint(left), width, width),
            score: 1.0,
            keypoints,
        }
    }

    /// A photo with a red square at the right eye and a blue square at the left eye.
    fn marked_photo(right: Point, left: Point) -> DecodedImage {
        let mut pixels = RgbImage::from_pixel(400, 400, Rgb([128, 128, 128]));
        for (center, color) in [(right, Rgb([255, 0, 0])), (left, Rgb([0, 0, 255]))] {
            for dy in -3..=3 {
                for dx in -3..=3 {
                    pixels.put_pixel(
                        (center.x as i32 + dx) as u32,
                        (center.y as i32 + dy) as u32,
                        color,
                    );
                }
            }
        }
        DecodedImage {
            pixels,
            format: ImageFormat::Png,
        }
    }

    /// Where an eye lands in the crop: offset -1 for the right eye, 1 for the left.
    fn expected_eye(offset: f32) -> (u32, u32) {
        let (sin, cos) = FRAME_ROLL_DEGREES.to_radians().sin_cos();
        let half = offset * FRAME_EYE_DISTANCE / 2.0;
        let x = (FRAME_EYE_CENTER.x + half * cos) * CROP_SIZE as f32;
        let y = (FRAME_EYE_CENTER.y + half * sin) * CROP_SIZE as f32;
        (x as u32, y as u32)
    }

    #[test]
    fn align_levels_rotated_eyes() {
        // Eyes 80 px apart on a line tilted by 30 degrees.
        let right = Point::new(160.0, 180.0);
        let left = Point::new(160.0 + 80.0 * 0.866, 180.0 + 80.0 * 0.5);
        let mouth = Point::new(190.0, 260.0);
        let face = align(
            &marked_photo(right, left),
            &detection_with_eyes(right, left, mouth),
        )
        .unwrap();

        let (rx, ry) = expected_eye(-1.0);
        let (lx, ly) = expected_eye(1.0);
        assert_eq!(face.pixels.get_pixel(rx, ry).0, [255, 0, 0]);
        assert_eq!(face.pixels.get_pixel(lx, ly).0, [0, 0, 255]);
    }

    #[test]
    fn align_pads_face_cut_by_edge() {
        let right = Point::new(370.0, 200.0);
        let left = Point::new(395.0, 200.0);
        let mouth = Point::new(382.0, 225.0);
        let face = align(
            &marked_photo(right, left),
            &detection_with_eyes(right, left, mouth),
        )
        .unwrap();
        assert_eq!(
            face.pixels.get_pixel(CROP_SIZE - 1, CROP_SIZE / 2).0,
            PAD_COLOR.0
        );
    }

    #[test]
    fn align_rejects_coincident_keypoints() {
        let point = Point::new(10.0, 10.0);
        let result = align(
            &marked_photo(point, Point::new(30.0, 10.0)),
            &detection_with_eyes(point, point, point),
        );
        assert!(matches!(result, Err(AlignError::Degenerate { .. })));
    }

    #[test]
    fn align_output_has_model_size() {
        let right = Point::new(100.0, 100.0);
        let left = Point::new(140.0, 100.0);
        let mouth = Point::new(120.0, 140.0);
        let face = align(
            &marked_photo(right, left),
            &detection_with_eyes(right, left, mouth),
        )
        .unwrap();
        assert_eq!(face.pixels.dimensions(), (CROP_SIZE, CROP_SIZE));
    }
}
