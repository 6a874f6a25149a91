//! Resampling a rotated square window of a photo into a small square image, as used to cut
//! aligned face crops and the detector's verification windows.

use image::{Rgb, RgbImage};

use crate::geometry::Point;

/// Maximum samples per output pixel along each axis. When the window is much larger than the
/// output, each output pixel averages up to this many squared bilinear samples, so detail is
/// averaged rather than aliased.
const MAX_SUPERSAMPLING: u32 = 4;

/// The fill of a window where it reaches past the photo's edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Padding {
    /// A solid colour.
    Color(Rgb<u8>),
    /// The photo reflected at its edges, so a face cut by the edge is completed by its mirror
    /// image, which the detector still recognises.
    Mirror,
}

/// A square region of a photo, possibly rotated and possibly reaching past the photo's edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Centre in photo pixels.
    pub center: Point,
    /// Side in photo pixels.
    pub side: f32,
    /// Rotation in radians of the window's x axis from the photo's x axis (clockwise on screen,
    /// because y points down).
    pub angle: f32,
}

impl Window {
    /// Maps a position in the window, as fractions 0..1 of its side, to photo pixels.
    pub fn to_photo(&self, u: f32, v: f32) -> Point {
        let (sin, cos) = self.angle.sin_cos();
        let dx = (u - 0.5) * self.side;
        let dy = (v - 0.5) * self.side;
        Point::new(
            self.center.x + dx * cos - dy * sin,
            self.center.y + dx * sin + dy * cos,
        )
    }

    /// Renders the window as a `size` x `size` image, with `pad` outside the photo.
    pub fn render(&self, photo: &RgbImage, size: u32, pad: Padding) -> RgbImage {
        let samples = ((self.side / size as f32).ceil() as u32).clamp(1, MAX_SUPERSAMPLING);
        let per_pixel = (samples * samples) as f32;
        let size_f = size as f32;

        RgbImage::from_fn(size, size, |px, py| {
            let mut sum = [0.0f32; 3];
            for sy in 0..samples {
                for sx in 0..samples {
                    let u = (px as f32 + (sx as f32 + 0.5) / samples as f32) / size_f;
                    let v = (py as f32 + (sy as f32 + 0.5) / samples as f32) / size_f;
                    let color = bilinear(photo, self.to_photo(u, v), pad);
                    for c in 0..3 {
                        sum[c] += color[c];
                    }
                }
            }
            Rgb(sum.map(|total| (total / per_pixel).round().clamp(0.0, 255.0) as u8))
        })
    }
}

/// Samples `photo` at a point in pixel coordinates (pixel centres at +0.5), with `pad` outside
/// the photo.
fn bilinear(photo: &RgbImage, point: Point, pad: Padding) -> [f32; 3] {
    let x = point.x - 0.5;
    let y = point.y - 0.5;
    let x0 = x.floor();
    let y0 = y.floor();
    let fx = x - x0;
    let fy = y - y0;

    let (width, height) = (photo.width() as f32, photo.height() as f32);
    let texel = |xi: f32, yi: f32| -> [f32; 3] {
        let inside = xi >= 0.0 && yi >= 0.0 && xi < width && yi < height;
        let pixel = match pad {
            _ if inside => *photo.get_pixel(xi as u32, yi as u32),
            Padding::Color(color) => color,
            Padding::Mirror => *photo.get_pixel(reflect(xi, width), reflect(yi, height)),
        };
        pixel.0.map(f32::from)
    };
    let top_left = texel(x0, y0);
    let top_right = texel(x0 + 1.0, y0);
    let bottom_left = texel(x0, y0 + 1.0);
    let bottom_right = texel(x0 + 1.0, y0 + 1.0);

    let mut color = [0.0; 3];
    for c in 0..3 {
        let top = top_left[c] + (top_right[c] - top_left[c]) * fx;
        let bottom = bottom_left[c] + (bottom_right[c] - bottom_left[c]) * fx;
        color[c] = top + (bottom - top) * fy;
    }
    color
}

/// Reflects a pixel index into 0..length (edge pixels repeated once), clamping indices more than
/// one length away.
fn reflect(index: f32, length: f32) -> u32 {
    let reflected = if index < 0.0 {
        -index - 1.0
    } else if index >= length {
        2.0 * length - index - 1.0
    } else {
        index
    };
    reflected.clamp(0.0, length - 1.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient() -> RgbImage {
        RgbImage::from_fn(100, 100, |x, y| Rgb([x as u8, y as u8, 0]))
    }

    #[test]
    fn window_copies_unscaled_region() {
        let window = Window {
            center: Point::new(50.0, 50.0),
            side: 10.0,
            angle: 0.0,
        };
        let out = window.render(&gradient(), 10, Padding::Color(Rgb([0, 0, 0])));
        assert_eq!(out.get_pixel(0, 0).0, [45, 45, 0]);
        assert_eq!(out.get_pixel(9, 9).0, [54, 54, 0]);
    }

    #[test]
    fn window_pads_outside_photo() {
        let window = Window {
            center: Point::new(0.0, 0.0),
            side: 10.0,
            angle: 0.0,
        };
        let out = window.render(&gradient(), 10, Padding::Color(Rgb([7, 8, 9])));
        assert_eq!(out.get_pixel(0, 0).0, [7, 8, 9]);
    }

    #[test]
    fn window_mirrors_at_edge() {
        let window = Window {
            center: Point::new(0.0, 50.0),
            side: 10.0,
            angle: 0.0,
        };
        let out = window.render(&gradient(), 10, Padding::Mirror);
        assert_eq!(out.get_pixel(4, 5).0, out.get_pixel(5, 5).0);
        assert_eq!(out.get_pixel(0, 5).0, out.get_pixel(9, 5).0);
    }

    #[test]
    fn window_rotation_turns_axes() {
        // Rotated by 90 degrees, the window's x axis runs down the photo.
        let window = Window {
            center: Point::new(50.0, 50.0),
            side: 10.0,
            angle: std::f32::consts::FRAC_PI_2,
        };
        let out = window.render(&gradient(), 10, Padding::Color(Rgb([0, 0, 0])));
        let left = out.get_pixel(0, 5).0;
        let right = out.get_pixel(9, 5).0;
        assert!(right[1] > left[1], "{left:?} {right:?}");
        assert!((i32::from(right[0]) - i32::from(left[0])).abs() <= 1);
    }
}
