//! Small faces in a large picture: a collage of faces cut from the sample photos, scaled to 24-60
//! pixels wide, must all be found at their positions, with nothing else found.

mod common;

use std::io::Cursor;

use common::{analyze, box_center, sample_bytes};
use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// Faces cut from the samples: (sample number, centre x, centre y, face width), in sample pixels.
/// Centres and widths were recorded from boxes drawn on the photos and checked by eye.
const SOURCE_FACES: [(usize, f32, f32, f32); 22] = [
    (1, 514.0, 498.0, 197.0),
    (1, 942.0, 558.0, 184.0),
    (1, 1570.0, 339.0, 172.0),
    (2, 467.0, 299.0, 228.0),
    (2, 984.0, 361.0, 202.0),
    (2, 1554.0, 290.0, 201.0),
    (3, 692.0, 485.0, 226.0),
    (3, 1187.0, 387.0, 242.0),
    (3, 1577.0, 456.0, 231.0),
    (4, 327.0, 341.0, 193.0),
    (4, 760.0, 210.0, 165.0),
    (4, 1082.0, 318.0, 184.0),
    (4, 1363.0, 291.0, 161.0),
    (5, 477.0, 1046.0, 252.0),
    (5, 676.0, 565.0, 199.0),
    (5, 860.0, 246.0, 180.0),
    (5, 1200.0, 350.0, 188.0),
    (5, 1521.0, 544.0, 238.0),
    (6, 352.0, 650.0, 238.0),
    (6, 785.0, 501.0, 255.0),
    (6, 1271.0, 465.0, 234.0),
    (6, 1594.0, 432.0, 244.0),
];

const COLLAGE_WIDTH: u32 = 2400;
const COLLAGE_HEIGHT: u32 = 1600;
const GRID_COLUMNS: u32 = 8;
const GRID_ROWS: u32 = 4;
const MIN_FACE: f32 = 24.0;
const MAX_FACE: f32 = 60.0;

/// Side of the pasted square around each face, as a multiple of the face width, so the face
/// keeps some hair and neck around it.
const CONTEXT: f32 = 2.0;

/// A face pasted into the collage: its centre and width in collage pixels.
#[derive(Debug, Clone, Copy)]
struct Placed {
    x: f32,
    y: f32,
    width: f32,
}

/// Cuts the square around a source face and scales it so the face is `width` pixels wide.
fn cut_face(sample: &RgbImage, (cx, cy, face): (f32, f32, f32), width: f32) -> RgbImage {
    let side = face * CONTEXT;
    let x0 = (cx - side / 2.0).max(0.0) as u32;
    let y0 = (cy - side / 2.0).max(0.0) as u32;
    let side_px = (side as u32)
        .min(sample.width() - x0)
        .min(sample.height() - y0);
    let square = imageops::crop_imm(sample, x0, y0, side_px, side_px).to_image();
    let target = (width * CONTEXT).round() as u32;
    imageops::resize(&square, target, target, FilterType::Triangle)
}

/// A soft diagonal gradient, so the background is neither flat nor face-like.
fn background() -> RgbImage {
    RgbImage::from_fn(COLLAGE_WIDTH, COLLAGE_HEIGHT, |x, y| {
        let t = (x + y) as f32 / (COLLAGE_WIDTH + COLLAGE_HEIGHT) as f32;
        Rgb([
            (90.0 + 80.0 * t) as u8,
            (110.0 + 40.0 * t) as u8,
            (140.0 - 50.0 * t) as u8,
        ])
    })
}

/// Builds the collage: 32 faces on a grid plus one face cut in half by the right edge.
fn build_collage() -> (RgbImage, Vec<Placed>) {
    let samples: Vec<RgbImage> = (1..=6)
        .map(|n| {
            image::load_from_memory(&sample_bytes(n))
                .expect("sample decodes")
                .to_rgb8()
        })
        .collect();
    let mut collage = background();
    let mut placed = Vec::new();

    let count = (GRID_COLUMNS * GRID_ROWS) as usize;
    let cell_w = COLLAGE_WIDTH / GRID_COLUMNS;
    let cell_h = COLLAGE_HEIGHT / GRID_ROWS;
    for i in 0..count {
        let (n, cx, cy, face) = SOURCE_FACES[i % SOURCE_FACES.len()];
        let width = MIN_FACE + (MAX_FACE - MIN_FACE) * i as f32 / (count - 1) as f32;
        let tile = cut_face(&samples[n - 1], (cx, cy, face), width);

        // Cells in row-major order; the face sits off the cell's centre by a fixed pattern.
        let col = (i as u32) % GRID_COLUMNS;
        let row = (i as u32) / GRID_COLUMNS;
        let jitter_x = ((i * 37) % 61) as i64 - 30;
        let jitter_y = ((i * 53) % 81) as i64 - 40;
        let center_x = i64::from(col * cell_w + cell_w / 2) + jitter_x;
        let center_y = i64::from(row * cell_h + cell_h / 2) + jitter_y;
        let left = center_x - i64::from(tile.width() / 2);
        let top = center_y - i64::from(tile.height() / 2);
        imageops::replace(&mut collage, &tile, left, top);
        placed.push(Placed {
            x: left as f32 + tile.width() as f32 / 2.0,
            y: top as f32 + tile.height() as f32 / 2.0,
            width,
        });
    }

    // A 60-pixel frontal face whose centre lies on the right edge, so its right half is cut off.
    let (n, cx, cy, face) = SOURCE_FACES[7];
    let tile = cut_face(&samples[n - 1], (cx, cy, face), MAX_FACE);
    let left = i64::from(COLLAGE_WIDTH) - i64::from(tile.width() / 2);
    let top = i64::from(COLLAGE_HEIGHT / 2) - i64::from(tile.height() / 2);
    imageops::replace(&mut collage, &tile, left, top);
    placed.push(Placed {
        x: COLLAGE_WIDTH as f32,
        y: top as f32 + tile.height() as f32 / 2.0,
        width: MAX_FACE,
    });

    (collage, placed)
}

#[test]
fn collage_finds_every_small_face() {
    let (collage, placed) = build_collage();
    // Kept for a person to look at when the test fails.
    let out = common::repo_path("target/test-output");
    std::fs::create_dir_all(&out).expect("target/test-output can be created");
    collage
        .save(out.join("collage.png"))
        .expect("collage.png is written");

    let mut png = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(collage)
        .write_to(&mut png, ImageFormat::Png)
        .expect("PNG encodes");
    let result = analyze("collage.png", png.get_ref());

    let mut claimed = vec![false; result.faces.len()];
    for face in &placed {
        let nearest = result
            .faces
            .iter()
            .enumerate()
            .map(|(index, found)| {
                let (x, y) = box_center(&found.bbox);
                ((x - face.x).hypot(y - face.y), index)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let Some((distance, index)) = nearest else {
            panic!("no face found at all; expected {}", placed.len());
        };
        // A face cut by the edge has its box clamped, so its centre moves by up to a half width.
        assert!(distance < face.width * 0.6, "face of {:.0} px at ({:.0}, {:.0}) not found; nearest box centre {distance:.0} px away", face.width, face.x, face.y);
        claimed[index] = true;
    }
    let extra: Vec<_> = result
        .faces
        .iter()
        .zip(&claimed)
        .filter(|(_, c)| !**c)
        .map(|(f, _)| f.bbox)
        .collect();
    assert!(
        extra.is_empty(),
        "found faces where none was pasted: {extra:?}"
    );
    assert_eq!(result.faces.len(), placed.len());
}
