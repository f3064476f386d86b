//! A tile of a [`ShapeSet`] as drawing commands ([`crate::tile_plan`]'s list, run on the canvas
//! by `src/map/canvas.rs`): every area of the tile in one path filled and stroked once, then
//! the lines, then the points' circles.

use super::clip::{self, Square, P};
use super::{touches, PartKind, ShapeSet, RUN, WORLD};
use crate::config::Style;
use crate::tile_math::TILE_SIZE;
use crate::tile_plan::{paint_paths, Plan, CIRCLE, CLOSE, LINE, MOVE};

/// Which tile, for which screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileSpec {
    pub z: u32,
    /// Leaflet's tile coordinates, wrapped into the world (0..2^z).
    pub x: u32,
    pub y: u32,
    /// Canvas pixels per CSS pixel.
    pub ratio: f64,
}

/// Reused between parts: no allocation per part.
#[derive(Default)]
struct Scratch {
    kept: Vec<P>,
    clipped: Vec<P>,
    other: Vec<P>,
}

impl ShapeSet {
    /// What to draw on a tile. `points`: whether Point features are drawn as circles (a layer
    /// that shows them as markers leaves them to Leaflet).
    pub fn plan_tile(&self, tile: TileSpec, style: &Style, points: bool) -> Plan {
        let mut plan = Plan {
            commands: Vec::new(),
            label_positions: Vec::new(),
            label_texts: Vec::new(),
            features: 0,
        };
        let Some(all) = self.bbox else {
            return plan;
        };
        let ratio = tile.ratio;
        let size = TILE_SIZE * ratio;
        let tile_units = WORLD / f64::from(1u32 << tile.z.min(31));
        let scale = size / tile_units;
        // Where lines are cut (canvas px beyond the edge): past any stroke's reach.
        let cut = (style.weight / 2.0 + 2.0) * ratio;
        // How far a point's circle reaches: a point that close to the tile draws on it.
        let reach = (style.radius + style.weight / 2.0 + 1.0) * ratio;
        let margin = cut.max(reach) / scale;
        let square = Square {
            lo: -cut,
            hi: size + cut,
        };
        let (mut areas, mut lines, mut circles) = (Vec::new(), Vec::new(), Vec::new());
        let mut scratch = Scratch::default();
        // The data may reach past the antimeridian: the world copies either side draw it too.
        for copy in [-1.0, 0.0, 1.0] {
            let origin = [
                f64::from(tile.x) * tile_units - copy * WORLD,
                f64::from(tile.y) * tile_units,
            ];
            let query = [
                origin[0] - margin,
                origin[1] - margin,
                origin[0] + tile_units + margin,
                origin[1] + tile_units + margin,
            ];
            if !touches(&all, &query) {
                continue;
            }
            // The square in world units, for the runs and boxes that need no cutting.
            let cut_world = [
                origin[0] - cut / scale,
                origin[1] - cut / scale,
                origin[0] + (size + cut) / scale,
                origin[1] + (size + cut) / scale,
            ];
            let to_canvas = |v: [i32; 2]| {
                [
                    (f64::from(v[0]) - origin[0]) * scale,
                    (f64::from(v[1]) - origin[1]) * scale,
                ]
            };
            for feature in &self.features {
                if !touches(&feature.bbox, &query) {
                    continue;
                }
                let inside = within(&feature.bbox, &cut_world);
                let mut drawn = false;
                for part in &self.parts[feature.parts.0 as usize..feature.parts.1 as usize] {
                    match part.kind {
                        PartKind::Points if points => {
                            for &v in self.part_vertices(part).0 {
                                let [x, y] = to_canvas(v);
                                if (-reach..=size + reach).contains(&x)
                                    && (-reach..=size + reach).contains(&y)
                                {
                                    circles.extend_from_slice(&[
                                        CIRCLE,
                                        x as f32,
                                        y as f32,
                                        (style.radius * ratio) as f32,
                                    ]);
                                    drawn = true;
                                }
                            }
                        }
                        PartKind::Points => {}
                        PartKind::Line => {
                            self.kept(part, tile.z, inside, &cut_world, to_canvas, &mut scratch);
                            let before = lines.len();
                            if inside {
                                push_path(&mut lines, &scratch.kept, false);
                            } else {
                                clip::line(
                                    &scratch.kept,
                                    square,
                                    |piece| push_path(&mut lines, piece, false),
                                    &mut scratch.other,
                                );
                            }
                            drawn |= lines.len() > before;
                        }
                        PartKind::Exterior | PartKind::Hole => {
                            self.kept(part, tile.z, inside, &cut_world, to_canvas, &mut scratch);
                            if part.reversed {
                                scratch.kept.reverse();
                            }
                            let ring = if inside {
                                &scratch.kept
                            } else {
                                clip::ring(
                                    &scratch.kept,
                                    square,
                                    &mut scratch.clipped,
                                    &mut scratch.other,
                                );
                                &scratch.clipped
                            };
                            if ring.len() >= 2 {
                                push_path(&mut areas, ring, true);
                                drawn = true;
                            }
                        }
                    }
                }
                plan.features += usize::from(drawn);
            }
        }
        paint_paths(&mut plan.commands, [areas, lines, circles], style);
        plan
    }

    /// The vertices of `start..end` drawn at `zoom`, on the canvas, into `scratch.kept`. A run
    /// wholly beyond one side of the square (`cut`, world units) adds only the first and last
    /// of its vertices drawn at that zoom: cutting gives the same result without the ones
    /// between, which lie beyond that side too.
    fn kept(
        &self,
        part: &super::Part,
        zoom: u32,
        inside: bool,
        cut: &[f64; 4],
        to_canvas: impl Fn([i32; 2]) -> P,
        scratch: &mut Scratch,
    ) {
        let kept = &mut scratch.kept;
        kept.clear();
        let zoom = zoom.min(u32::from(u8::MAX - 1)) as u8;
        let block = &self.blocks[part.block as usize];
        let (start, end) = (part.start as usize, part.end as usize);
        let mut from = start;
        while from < end {
            let run = from / RUN;
            let to = ((run + 1) * RUN).min(end);
            let info = &block.runs[run.min(block.runs.len().saturating_sub(1))];
            let ends_here = from == start || to == end;
            if !inside && !ends_here && beyond_one_side(&info.bbox, cut) {
                let shown = |i: &usize| block.min_zoom[*i] <= zoom;
                if let (Some(first), Some(last)) =
                    ((from..to).find(shown), (from..to).rev().find(shown))
                {
                    kept.push(to_canvas(block.xy[first]));
                    if last != first {
                        kept.push(to_canvas(block.xy[last]));
                    }
                }
            } else if ends_here || info.min_zoom <= zoom {
                for i in from..to {
                    if block.min_zoom[i] <= zoom {
                        kept.push(to_canvas(block.xy[i]));
                    }
                }
            }
            from = to;
        }
    }
}

/// Whether a box lies wholly beyond one side of a rectangle (left, top, right, bottom).
fn beyond_one_side(b: &[i32; 4], rect: &[f64; 4]) -> bool {
    f64::from(b[2]) < rect[0]
        || f64::from(b[0]) > rect[2]
        || f64::from(b[3]) < rect[1]
        || f64::from(b[1]) > rect[3]
}

/// Whether a box lies wholly inside a rectangle: nothing of it needs cutting.
fn within(b: &[i32; 4], rect: &[f64; 4]) -> bool {
    f64::from(b[0]) >= rect[0]
        && f64::from(b[2]) <= rect[2]
        && f64::from(b[1]) >= rect[1]
        && f64::from(b[3]) <= rect[3]
}

/// A sub-path through `points`, closed for a ring.
fn push_path(commands: &mut Vec<f32>, points: &[P], closed: bool) {
    if points.len() < 2 {
        return;
    }
    commands.reserve(points.len() * 3 + 1);
    for (i, p) in points.iter().enumerate() {
        commands.extend_from_slice(&[if i == 0 { MOVE } else { LINE }, p[0] as f32, p[1] as f32]);
    }
    if closed {
        commands.push(CLOSE);
    }
}
