//! Geometry shared by the stages: points, boxes and weighted non-maximum suppression.
//!
//! Coordinates are `f32` pixels with the origin at the image's top-left corner, x to the right
//! and y down.

use serde::{Deserialize, Serialize};

/// A point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    pub fn distance(self, other: Point) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    pub fn midpoint(self, other: Point) -> Point {
        Point::new((self.x + other.x) / 2.0, (self.y + other.y) / 2.0)
    }
}

/// An axis-aligned box: top-left corner, width and height, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BoundingBox {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl BoundingBox {
    pub fn from_center(center: Point, width: f32, height: f32) -> Self {
        Self {
            x: center.x - width / 2.0,
            y: center.y - height / 2.0,
            width,
            height,
        }
    }

    pub fn right(&self) -> f32 {
        self.x + self.width
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.height
    }

    pub fn center(&self) -> Point {
        Point::new(self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    pub fn area(&self) -> f32 {
        self.width.max(0.0) * self.height.max(0.0)
    }

    /// Returns the part of this box inside `width` x `height`, possibly with zero area.
    pub fn clamp_to(&self, width: f32, height: f32) -> BoundingBox {
        let x0 = self.x.clamp(0.0, width);
        let y0 = self.y.clamp(0.0, height);
        let x1 = self.right().clamp(0.0, width);
        let y1 = self.bottom().clamp(0.0, height);
        BoundingBox {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }

    /// Intersection over union, 0 for disjoint or empty boxes.
    pub fn iou(&self, other: &BoundingBox) -> f32 {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = self.right().min(other.right());
        let y1 = self.bottom().min(other.bottom());
        let intersection = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        let union = self.area() + other.area() - intersection;
        if union <= 0.0 {
            return 0.0;
        }
        intersection / union
    }

    /// Maps the box through `point -> point * scale + offset`.
    pub fn scaled(&self, scale: f32, offset: Point) -> BoundingBox {
        BoundingBox {
            x: self.x * scale + offset.x,
            y: self.y * scale + offset.y,
            width: self.width * scale,
            height: self.height * scale,
        }
    }
}

/// Anything that weighted non-maximum suppression can score, compare and blend.
pub trait Candidate: Clone {
    fn score(&self) -> f32;
    fn bbox(&self) -> &BoundingBox;
    /// Returns the score-weighted mean of `cluster`, keeping the first member's score.
    fn blend(cluster: &[&Self]) -> Self;
}

/// Weighted non-maximum suppression, as BlazeFace's decoder uses it.
///
/// Candidates are taken in descending score order. Each one that is still unclaimed claims every
/// unclaimed candidate whose box overlaps its own by more than `iou_threshold`, and the cluster
/// is replaced by its score-weighted mean, which keeps the highest score. Returns clusters in
/// descending score order.
pub fn weighted_nms<C: Candidate>(candidates: &[C], iou_threshold: f32) -> Vec<C> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| candidates[b].score().total_cmp(&candidates[a].score()));

    let mut claimed = vec![false; candidates.len()];
    let mut kept = Vec::new();
    for (rank, &best) in order.iter().enumerate() {
        if claimed[best] {
            continue;
        }
        claimed[best] = true;
        let mut cluster = vec![&candidates[best]];
        for &other in &order[rank + 1..] {
            if !claimed[other]
                && candidates[best].bbox().iou(candidates[other].bbox()) > iou_threshold
            {
                claimed[other] = true;
                cluster.push(&candidates[other]);
            }
        }
        kept.push(C::blend(&cluster));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Scored {
        bbox: BoundingBox,
        score: f32,
    }

    impl Candidate for Scored {
        fn score(&self) -> f32 {
            self.score
        }

        fn bbox(&self) -> &BoundingBox {
            &self.bbox
        }

        fn blend(cluster: &[&Self]) -> Self {
            let total: f32 = cluster.iter().map(|c| c.score).sum();
            let mean = |f: fn(&BoundingBox) -> f32| {
                cluster.iter().map(|c| f(&c.bbox) * c.score).sum::<f32>() / total
            };
            Scored {
                bbox: BoundingBox {
                    x: mean(|b| b.x),
                    y: mean(|b| b.y),
                    width: mean(|b| b.width),
                    height: mean(|b| b.height),
                },
                score: cluster[0].score,
            }
        }
    }

    fn scored(x: f32, score: f32) -> Scored {
        Scored {
            bbox: BoundingBox {
                x,
                y: 0.0,
                width: 10.0,
                height: 10.0,
            },
            score,
        }
    }

    #[test]
    fn iou_of_identical_boxes_is_one() {
        let b = scored(0.0, 1.0).bbox;
        assert_eq!(b.iou(&b), 1.0);
    }

    #[test]
    fn iou_of_half_overlap() {
        let a = scored(0.0, 1.0).bbox;
        let b = scored(5.0, 1.0).bbox;
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
    }

    #[test]
    fn iou_of_empty_box_is_zero() {
        let empty = BoundingBox::default();
        assert_eq!(empty.iou(&empty), 0.0);
    }

    #[test]
    fn nms_keeps_highest_score() {
        let kept = weighted_nms(&[scored(1.0, 0.6), scored(0.0, 0.9), scored(2.0, 0.7)], 0.3);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].score, 0.9);
    }

    #[test]
    fn nms_blends_by_score() {
        let kept = weighted_nms(&[scored(0.0, 0.75), scored(2.0, 0.25)], 0.3);
        assert!((kept[0].bbox.x - 0.5).abs() < 1e-6);
    }

    #[test]
    fn nms_keeps_disjoint_boxes() {
        let kept = weighted_nms(&[scored(0.0, 0.5), scored(50.0, 0.9)], 0.3);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].bbox.x, 50.0);
    }

    #[test]
    fn clamp_cuts_box_at_edge() {
        let b = BoundingBox {
            x: 90.0,
            y: -5.0,
            width: 20.0,
            height: 10.0,
        };
        let clamped = b.clamp_to(100.0, 100.0);
        assert_eq!(clamped.width, 10.0);
        assert_eq!(clamped.height, 5.0);
    }
}
