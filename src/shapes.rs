//! GeoJSON shapes held for drawing on tile canvases: every feature's geometry projected once to
//! Web Mercator (whole numbers, 2^30 across the world), simplified once for every zoom, and its
//! properties kept as their JSON text, parsed only when a popup or tooltip needs them.
//!
//! This is what geojson-vt and Leaflet.VectorGrid.Slicer do in JavaScript, arranged for memory:
//! a vertex is 9 bytes (x, y and the zoom it is drawn from), a feature about 50, and nothing is
//! cut into tiles ahead of time. A tile is planned when Leaflet asks for it
//! ([`ShapeSet::plan_tile`]): the features whose boxes reach it, their vertices of that zoom, cut
//! to the tile's edge. Vertices are grouped in runs of [`RUN`] with a box and the lowest zoom of
//! each, so a huge coastline costs a tile only the runs near it.
//!
//! Pure: the browser side ([`crate::map`]) feeds it text and runs the drawing commands.

mod clip;
mod draw;
mod hit;
mod simplify;

use crate::geojson::{FeatureSink, GeometryPart, GeometrySink};
use crate::json::Json;

pub use draw::TileSpec;
pub use hit::{Outline, OutlineKind};

/// World units across the world (x) and down it (y): 2^30, so that a CSS pixel at zoom 22 is
/// still one unit, and longitudes out to ±360 (data crossing the antimeridian) fit an `i32`.
pub const WORLD: f64 = 1_073_741_824.0;

/// Vertices per run (see the module documentation).
pub const RUN: usize = 32;

/// Vertices per block: 8 MB of positions. Vertices are kept in blocks allocated whole and never
/// moved, so reading a large file never holds a vector and its doubled copy at once: wasm memory
/// does not shrink, and its high-water mark is what a page keeps. A part never straddles two
/// blocks (a part longer than a block gets a longer block). Tests use tiny blocks, so every
/// test crosses block boundaries.
#[cfg(not(test))]
const BLOCK: usize = 1 << 20;
#[cfg(test)]
const BLOCK: usize = 16;

/// How far (CSS px) a simplified line may stray from the data at the zoom it is drawn at:
/// less than a pixel, so simplification never shows (Leaflet's own default is a whole pixel).
pub const SIMPLIFY_PX: f64 = 0.25;

/// A vertex no zoom needs (it lies exactly on the line through its neighbours).
const NEVER: u8 = u8::MAX;

/// What a run of vertices of a part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// A polygon's outer ring.
    Exterior,
    /// A hole of the polygon whose exterior came before it.
    Hole,
    Line,
    /// One or more points (a Point, a MultiPoint).
    Points,
}

#[derive(Debug, Clone, Copy)]
struct Part {
    /// Its vertices: `blocks[block].xy[start..end]`.
    block: u32,
    start: u32,
    end: u32,
    kind: PartKind,
    /// Drawn backwards: rings are drawn with exteriors clockwise and holes counter-clockwise
    /// (on screen), whatever the data's winding, so one non-zero fill keeps holes open and
    /// overlapping features whole.
    reversed: bool,
}

/// Boxes are (min x, min y, max x, max y), in world units, inclusive.
type WorldBox = [i32; 4];

#[derive(Debug, Clone, Copy)]
struct Entry {
    bbox: WorldBox,
    /// Its parts: `parts[parts.0..parts.1]`.
    parts: (u32, u32),
    /// Its `properties` as JSON text: `properties[..]` at this range.
    properties: (u32, u32),
}

#[derive(Debug, Clone, Copy)]
struct Run {
    bbox: WorldBox,
    /// The lowest zoom any of its vertices is drawn from.
    min_zoom: u8,
}

/// Vertices, a block of them (see [`BLOCK`]).
#[derive(Debug, Clone, Default)]
struct Block {
    xy: Vec<[i32; 2]>,
    /// For each vertex, the zoom from which it is drawn ([`NEVER`]: none).
    min_zoom: Vec<u8>,
    /// Runs of [`RUN`] vertices of the block, in order.
    runs: Vec<Run>,
}

/// The shapes of one GeoJSON layer. Filled through [`FeatureSink`] (from
/// [`crate::geojson::stream::GeoJsonStream`]), features in document order.
#[derive(Debug, Clone, Default)]
pub struct ShapeSet {
    blocks: Vec<Block>,
    parts: Vec<Part>,
    features: Vec<Entry>,
    properties: String,
    /// Every feature's box together.
    bbox: Option<WorldBox>,
    /// The first vertex of the part being read, in the last block.
    part_start: usize,
    /// The latitudes of the part being read, projected when it ends (all in one call).
    latitudes: Vec<f64>,
    /// Where each geometry being read (nested in GeometryCollections) began.
    marks: Vec<Mark>,
    /// Where the feature being read began.
    feature_start: Option<Mark>,
}

/// Where the shapes stood at a moment (see [`ShapeSet::mark`]).
#[derive(Debug, Clone, Copy)]
struct Mark {
    parts: usize,
    blocks: usize,
    /// Vertices in the last block.
    vertices: usize,
}

impl ShapeSet {
    /// How many features there are.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// How many vertices there are.
    pub fn vertices(&self) -> usize {
        self.blocks.iter().map(|b| b.xy.len()).sum()
    }

    /// The memory the set holds, in bytes (what a benchmark compares).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.blocks
            .iter()
            .map(|b| {
                b.xy.capacity() * size_of::<[i32; 2]>()
                    + b.min_zoom.capacity()
                    + b.runs.capacity() * size_of::<Run>()
            })
            .sum::<usize>()
            + self.parts.capacity() * size_of::<Part>()
            + self.features.capacity() * size_of::<Entry>()
            + self.properties.capacity()
    }

    /// Frees what was reserved for growth (once every feature is in).
    pub fn shrink(&mut self) {
        for block in &mut self.blocks {
            block.xy.shrink_to_fit();
            block.min_zoom.shrink_to_fit();
            block.runs.shrink_to_fit();
        }
        self.parts.shrink_to_fit();
        self.features.shrink_to_fit();
        self.properties.shrink_to_fit();
        self.latitudes = Vec::new();
    }

    /// A feature's properties (`Json::Null` when it has none).
    pub fn properties(&self, feature: usize) -> Json {
        self.features
            .get(feature)
            .and_then(|f| {
                self.properties
                    .get(f.properties.0 as usize..f.properties.1 as usize)
            })
            .and_then(|text| Json::parse(text).ok())
            .unwrap_or(Json::Null)
    }

    /// Where the shapes stand now: what a discard goes back to.
    fn mark(&self) -> Mark {
        Mark {
            parts: self.parts.len(),
            blocks: self.blocks.len(),
            vertices: self.blocks.last().map_or(0, |b| b.xy.len()),
        }
    }

    /// Goes back to `mark`: the parts and vertices given since are gone.
    fn truncate_to(&mut self, mark: Mark) {
        self.parts.truncate(mark.parts);
        self.blocks.truncate(mark.blocks);
        if let Some(block) = self.blocks.last_mut() {
            block.xy.truncate(mark.vertices);
            block.min_zoom.truncate(mark.vertices);
            // The last run may cover vertices that are gone: its box and zoom stay wide enough
            // (it is recomputed when the next part ends).
            block.runs.truncate(mark.vertices.div_ceil(RUN));
        }
        self.part_start = if self.blocks.is_empty() {
            0
        } else {
            mark.vertices
        };
        self.latitudes.clear();
    }

    /// The block the next vertex goes into: the last one, or a new one when the last is full and
    /// the vertex starts a part.
    fn block_for_vertex(&mut self) -> &mut Block {
        let full = self
            .blocks
            .last()
            .is_none_or(|b| b.xy.len() >= BLOCK && self.part_start == b.xy.len());
        if full {
            // The first block grows as a vector does, so a small document holds little; later
            // blocks (a large one) are allocated whole.
            let capacity = if self.blocks.is_empty() { 0 } else { BLOCK };
            self.blocks.push(Block {
                xy: Vec::with_capacity(capacity),
                min_zoom: Vec::with_capacity(capacity),
                runs: Vec::new(),
            });
            self.part_start = 0;
        }
        let last = self.blocks.len() - 1;
        &mut self.blocks[last]
    }

    /// A part's vertices and their zooms.
    fn part_vertices(&self, part: &Part) -> (&[[i32; 2]], &[u8]) {
        let block = &self.blocks[part.block as usize];
        let range = part.start as usize..part.end as usize;
        (&block.xy[range.clone()], &block.min_zoom[range])
    }

    /// A position of the part being read.
    fn push_position(&mut self, lng: f64, lat: f64) {
        // y is projected with the rest of the part (see `end_part`).
        let block = self.block_for_vertex();
        block
            .xy
            .push([((lng + 180.0) / 360.0 * WORLD).round() as i32, 0]);
        block.min_zoom.push(0);
        self.latitudes.push(lat);
    }

    /// Ends the part whose vertices were read since the last one ended.
    fn end_part_of(&mut self, kind: PartKind) {
        let Some(index) = self.blocks.len().checked_sub(1) else {
            return;
        };
        let block = &mut self.blocks[index];
        let (start, end) = (self.part_start, block.xy.len());
        if end == start {
            return;
        }
        crate::math::mercator_y_many(&mut self.latitudes);
        for (v, y) in block.xy[start..end]
            .iter_mut()
            .zip(self.latitudes.drain(..))
        {
            v[1] = (y * WORLD).round() as i32;
        }
        let vertices = &block.xy[start..end];
        let reversed = match kind {
            PartKind::Exterior => ring_area(vertices) < 0.0,
            PartKind::Hole => ring_area(vertices) > 0.0,
            PartKind::Line | PartKind::Points => false,
        };
        if kind != PartKind::Points {
            simplify::min_zooms(vertices, &mut block.min_zoom[start..end]);
        }
        // The runs from the one holding the part's first vertex (it may hold the end of the
        // part before) to the end of the block.
        block.runs.truncate(start / RUN);
        for from in (block.runs.len() * RUN..end).step_by(RUN) {
            let to = (from + RUN).min(end);
            block.runs.push(Run {
                bbox: bounds(&block.xy[from..to]),
                min_zoom: block.min_zoom[from..to]
                    .iter()
                    .copied()
                    .min()
                    .unwrap_or(NEVER),
            });
        }
        self.parts.push(Part {
            block: index as u32,
            start: start as u32,
            end: end as u32,
            kind,
            reversed,
        });
        self.part_start = end;
    }

    /// Ends the feature whose parts were read since the last one ended: `properties` is the
    /// text of its `properties` member.
    fn end_feature(&mut self, properties: &str) {
        // A vertex read into no part (the check lets no such feature through) joins nothing.
        if let Some(block) = self.blocks.last_mut() {
            block.xy.truncate(self.part_start);
            block.min_zoom.truncate(self.part_start);
        }
        self.latitudes.clear();
        let first_part = self.features.last().map_or(0, |f| f.parts.1);
        let last_part = self.parts.len() as u32;
        if first_part == last_part {
            return;
        }
        let bbox = self.parts[first_part as usize..]
            .iter()
            .map(|p| bounds(self.part_vertices(p).0))
            .reduce(union)
            .unwrap_or([0; 4]);
        let properties_start = self.properties.len() as u32;
        self.properties.push_str(properties);
        self.features.push(Entry {
            bbox,
            parts: (first_part, last_part),
            properties: (properties_start, self.properties.len() as u32),
        });
        self.bbox = Some(self.bbox.map_or(bbox, |b| union(b, bbox)));
    }

    /// Where the keyboard's stand-in for a feature goes: its first point, the middle of its
    /// first line, or a point inside its first polygon. Worked out when the keyboard asks (for
    /// the few features it stops at), not for every feature read.
    fn anchor_of(&self, feature: usize) -> [i32; 2] {
        let first = self.features[feature].parts.0 as usize;
        let part = self.parts[first];
        let vertices = self.part_vertices(&part).0;
        match part.kind {
            PartKind::Points => vertices[0],
            PartKind::Line => vertices[vertices.len() / 2],
            PartKind::Exterior | PartKind::Hole => {
                // The polygon's rings in f32 about its first vertex (world units are too fine
                // for f32 far from the origin).
                let origin = vertices[0];
                let rings: Vec<Vec<[f32; 2]>> = self.parts[first..]
                    .iter()
                    .enumerate()
                    .take_while(|(i, p)| *i == 0 || p.kind == PartKind::Hole)
                    .map(|(_, p)| {
                        self.part_vertices(p)
                            .0
                            .iter()
                            .map(|v| [(v[0] - origin[0]) as f32, (v[1] - origin[1]) as f32])
                            .collect()
                    })
                    .collect();
                crate::focus_order::interior_point(&rings).map_or(origin, |[x, y]| {
                    [origin[0] + x.round() as i32, origin[1] + y.round() as i32]
                })
            }
        }
    }
}

impl GeometrySink for ShapeSet {
    fn begin(&mut self) {
        if self.feature_start.is_none() {
            self.feature_start = Some(self.mark());
        }
        let mark = self.mark();
        self.marks.push(mark);
    }

    fn end(&mut self) {
        self.marks.pop();
    }

    fn discard(&mut self) {
        if let Some(&mark) = self.marks.last() {
            self.truncate_to(mark);
        }
    }

    fn position(&mut self, lng: f64, lat: f64) {
        self.push_position(lng, lat);
    }

    fn end_part(&mut self, part: GeometryPart) {
        self.end_part_of(match part {
            GeometryPart::Exterior => PartKind::Exterior,
            GeometryPart::Hole => PartKind::Hole,
            GeometryPart::Line => PartKind::Line,
            GeometryPart::Points => PartKind::Points,
        });
    }
}

impl FeatureSink for ShapeSet {
    fn feature(&mut self, properties: &str) {
        self.end_feature(properties);
        self.feature_start = None;
    }

    fn drop_feature(&mut self) {
        self.discard_feature();
    }

    fn discard_feature(&mut self) {
        if let Some(mark) = self.feature_start.take() {
            self.truncate_to(mark);
        }
    }

    fn reset(&mut self) {
        *self = ShapeSet::default();
    }
}

/// A place in world units: longitude across (beyond ±180 stays beyond, for data that crosses
/// the antimeridian), Web Mercator down.
pub fn project(lng: f64, lat: f64) -> [i32; 2] {
    [
        ((lng + 180.0) / 360.0 * WORLD).round() as i32,
        (crate::math::mercator_y(lat) * WORLD).round() as i32,
    ]
}

/// A place in world units as (latitude, longitude).
pub fn unproject(x: f64, y: f64) -> (f64, f64) {
    (
        crate::math::mercator_lat((y / WORLD).clamp(0.0, 1.0)),
        x / WORLD * 360.0 - 180.0,
    )
}

/// Twice the signed area of a ring (y down: positive is clockwise on screen).
fn ring_area(ring: &[[i32; 2]]) -> f64 {
    let Some(origin) = ring.first() else {
        return 0.0;
    };
    let local = |v: &[i32; 2]| (f64::from(v[0] - origin[0]), f64::from(v[1] - origin[1]));
    ring.iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| {
            let ((ax, ay), (bx, by)) = (local(a), local(b));
            ax * by - bx * ay
        })
        .sum()
}

fn bounds(vertices: &[[i32; 2]]) -> WorldBox {
    vertices.iter().fold(
        [i32::MAX, i32::MAX, i32::MIN, i32::MIN],
        |[x0, y0, x1, y1], v| [x0.min(v[0]), y0.min(v[1]), x1.max(v[0]), y1.max(v[1])],
    )
}

fn union(a: WorldBox, b: WorldBox) -> WorldBox {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// Whether a box overlaps (left, top, right, bottom) in world units, edges included.
fn touches(b: &WorldBox, rect: &[f64; 4]) -> bool {
    f64::from(b[0]) <= rect[2]
        && f64::from(b[2]) >= rect[0]
        && f64::from(b[1]) <= rect[3]
        && f64::from(b[3]) >= rect[1]
}

#[cfg(test)]
mod tests;
