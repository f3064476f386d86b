//! What is under the pointer, what the hover highlight outlines, and where the keyboard's
//! stand-ins go, on a [`ShapeSet`]: found on the data itself (every vertex), not on what a tile
//! drew.

use super::{unproject, PartKind, ShapeSet, WORLD};
use crate::config::Style;
use crate::focus_order::{feature_label, nearest_places, Target, ViewBox, FOCUS_INSET, TAB_STOPS};
use crate::tile_math::{crosses, distance, segment_distance, TILE_SIZE};

/// A feature's shape in degrees (latitude, longitude), to draw a highlight with.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    pub kind: OutlineKind,
    /// Points (one path), lines, or every ring of every polygon.
    pub paths: Vec<Vec<(f64, f64)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutlineKind {
    Points,
    Lines,
    Areas,
}

impl ShapeSet {
    /// The feature drawn on top at a place (longitude, latitude; any world copy) on a map at
    /// `zoom`: an area containing it, or a line or point within `reach_px` CSS pixels (plus
    /// half the stroke, and a point's radius). `points`: whether points are drawn (see
    /// [`ShapeSet::plan_tile`]).
    pub fn hit(
        &self,
        lat: f64,
        lng: f64,
        zoom: f64,
        reach_px: f64,
        style: &Style,
        points: bool,
    ) -> Option<usize> {
        let all = self.bbox?;
        let units_per_px = WORLD / (TILE_SIZE * 2f64.powf(zoom));
        let line_reach = (style.weight / 2.0 + reach_px) as f32;
        let point_reach = (style.radius + style.weight / 2.0 + reach_px) as f32;
        let margin = f64::from(point_reach.max(line_reach)) * units_per_px;
        let [x, y] = super::project((lng + 180.0).rem_euclid(360.0) - 180.0, lat);
        let (x, y) = (f64::from(x), f64::from(y));
        // Pixels from the place, in f32: exact enough near it, and far edges hardly matter.
        let local = |v: [i32; 2], copy: f64| {
            [
                ((f64::from(v[0]) + copy - x) / units_per_px) as f32,
                ((f64::from(v[1]) - y) / units_per_px) as f32,
            ]
        };
        let near = |b: &[i32; 4], copy: f64| {
            super::touches(
                b,
                &[x - copy - margin, y - margin, x - copy + margin, y + margin],
            )
        };
        for (index, feature) in self.features.iter().enumerate().rev() {
            for copy in [0.0, -WORLD, WORLD] {
                if !near(&all, copy) || !near(&feature.bbox, copy) {
                    continue;
                }
                let mut inside = false;
                let mut close = false;
                for part in &self.parts[feature.parts.0 as usize..feature.parts.1 as usize] {
                    let vertices = self.part_vertices(part).0;
                    let at = [0.0f32, 0.0];
                    match part.kind {
                        PartKind::Points if points => {
                            close |= vertices
                                .iter()
                                .any(|&v| distance(local(v, copy), at) <= point_reach);
                        }
                        PartKind::Points => {}
                        PartKind::Line => {
                            close |= vertices.windows(2).any(|s| {
                                segment_distance(at, local(s[0], copy), local(s[1], copy))
                                    <= line_reach
                            });
                        }
                        PartKind::Exterior | PartKind::Hole => {
                            let n = vertices.len();
                            for i in 0..n {
                                let (a, b) =
                                    (local(vertices[i], copy), local(vertices[(i + 1) % n], copy));
                                inside ^= crosses(a, b, at);
                                close |=
                                    style.weight > 0.0 && segment_distance(at, a, b) <= line_reach;
                            }
                        }
                    }
                }
                if inside || close {
                    return Some(index);
                }
            }
        }
        None
    }

    /// A feature's shape as drawn at `zoom` (its simplified vertices), in degrees on the world
    /// copy that holds longitude `lng`.
    pub fn outline(&self, feature: usize, zoom: f64, lng: f64) -> Option<Outline> {
        let entry = self.features.get(feature)?;
        let shift = ((lng + 180.0) / 360.0).floor() * 360.0;
        let zoom = zoom.round().clamp(0.0, 254.0) as u8;
        let mut kind = OutlineKind::Points;
        let mut paths = Vec::new();
        for part in &self.parts[entry.parts.0 as usize..entry.parts.1 as usize] {
            let (vertices, zooms) = self.part_vertices(part);
            let path: Vec<(f64, f64)> = vertices
                .iter()
                .zip(zooms)
                .filter(|(_, &z)| z <= zoom)
                .map(|(v, _)| {
                    let (lat, lng) = unproject(f64::from(v[0]), f64::from(v[1]));
                    (lat, lng + shift)
                })
                .collect();
            kind = match (kind, part.kind) {
                (_, PartKind::Exterior | PartKind::Hole) | (OutlineKind::Areas, _) => {
                    OutlineKind::Areas
                }
                (_, PartKind::Line) | (OutlineKind::Lines, _) => OutlineKind::Lines,
                _ => OutlineKind::Points,
            };
            paths.push(path);
        }
        // One kind per outline: an area's outline is its rings (its lines and points, in a
        // GeometryCollection, are drawn as they are).
        Some(Outline { kind, paths })
    }

    /// The features the keyboard reaches in `view`: the [`TAB_STOPS`] nearest its middle, each
    /// at its anchor (a point of it; inside it, for areas), named after it and `layer`. Chosen
    /// by the middles of their boxes (cheap for every feature in view), then placed at their
    /// anchors (worked out for those few).
    pub fn keyboard_targets(&self, view: &ViewBox, layer: &str, style: &Style) -> Vec<Target> {
        let projector = view.projector();
        let to_zoom0 = TILE_SIZE / WORLD;
        let place = |v: [f64; 2]| projector.project_world(0, v[0] * to_zoom0, v[1] * to_zoom0);
        let places: Vec<(f64, f64, u64)> = self
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let b = f.bbox.map(f64::from);
                let (x, y) = place([(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0]);
                (x, y, i as u64)
            })
            .collect();
        nearest_places(view, places, TAB_STOPS * 2)
            .into_iter()
            .filter_map(|(_, _, i)| {
                let anchor = self.anchor_of(i as usize);
                let (x, y) = place([f64::from(anchor[0]), f64::from(anchor[1])]);
                view.shows(x, y, FOCUS_INSET).then_some((x, y, i))
            })
            .take(TAB_STOPS)
            .map(|(x, y, i)| {
                let (lat, lng) = view.unproject(x, y);
                let properties = self.properties(i as usize);
                Target {
                    x,
                    y,
                    lat,
                    lng,
                    layer: layer.to_owned(),
                    label: feature_label(&properties, style.tooltip.as_deref(), layer),
                    key: format!("{layer}\u{1f}{i}"),
                }
            })
            .collect()
    }
}
