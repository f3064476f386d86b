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

use crate::geojson::stream::FeatureSink;
use crate::json::{Json, Scanner};

pub use draw::TileSpec;
pub use hit::{Outline, OutlineKind};

/// World units across the world (x) and down it (y): 2^30, so that a CSS pixel at zoom 22 is
/// still one unit, and longitudes out to ±360 (data crossing the antimeridian) fit an `i32`.
pub const WORLD: f64 = 1_073_741_824.0;

/// Vertices per run (see the module documentation).
pub const RUN: usize = 32;

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
    /// Its vertices: `xy[start..end]`.
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
    /// Where the keyboard's stand-in for it goes: a point, the middle of a line, inside an area.
    anchor: [i32; 2],
}

#[derive(Debug, Clone, Copy)]
struct Run {
    bbox: WorldBox,
    /// The lowest zoom any of its vertices is drawn from.
    min_zoom: u8,
}

/// The shapes of one GeoJSON layer. Filled through [`FeatureSink`] (from
/// [`crate::geojson::stream::GeoJsonStream`]), features in document order.
#[derive(Debug, Clone, Default)]
pub struct ShapeSet {
    xy: Vec<[i32; 2]>,
    /// For each vertex, the zoom from which it is drawn ([`NEVER`]: none).
    min_zoom: Vec<u8>,
    runs: Vec<Run>,
    parts: Vec<Part>,
    features: Vec<Entry>,
    properties: String,
    /// Every feature's box together.
    bbox: Option<WorldBox>,
    /// The first vertex of the part being read.
    part_start: usize,
    /// The latitudes of the part being read, projected when it ends (all in one call).
    latitudes: Vec<f64>,
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
        self.xy.len()
    }

    /// The memory the set holds, in bytes (what a benchmark compares).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.xy.capacity() * size_of::<[i32; 2]>()
            + self.min_zoom.capacity()
            + self.runs.capacity() * size_of::<Run>()
            + self.parts.capacity() * size_of::<Part>()
            + self.features.capacity() * size_of::<Entry>()
            + self.properties.capacity()
    }

    /// Frees what was reserved for growth (once every feature is in).
    pub fn shrink(&mut self) {
        self.xy.shrink_to_fit();
        self.min_zoom.shrink_to_fit();
        self.runs.shrink_to_fit();
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

    /// Adds a geometry object (the text at `at`, checked) to the feature being read.
    fn read_geometry(&mut self, text: &str, at: usize, depth: u32) {
        let Ok([kind, coordinates, geometries]) = crate::geojson::fields(
            &mut Scanner::at(text, at),
            &["type", "coordinates", "geometries"],
        ) else {
            return;
        };
        let Some(kind) = kind.and_then(|k| Scanner::at(text, k).string().ok()) else {
            return;
        };
        let mut scanner = Scanner::at(text, coordinates.unwrap_or(0));
        let scanner = &mut scanner;
        match kind.as_ref() {
            "Point" => {
                self.read_positions(scanner, 0);
                self.end_part(PartKind::Points);
            }
            "MultiPoint" => {
                self.read_positions(scanner, 1);
                self.end_part(PartKind::Points);
            }
            "LineString" => {
                self.read_positions(scanner, 1);
                self.end_part(PartKind::Line);
            }
            "MultiLineString" => each_item(scanner, |line| {
                self.read_positions(line, 1);
                self.end_part(PartKind::Line);
            }),
            "Polygon" => self.read_polygon(scanner),
            "MultiPolygon" => each_item(scanner, |polygon| self.read_polygon(polygon)),
            // Nesting is bounded by the check (the scanner's depth limit); this bounds the
            // recursion again, whatever text it is handed.
            "GeometryCollection" if depth < crate::json::MAX_DEPTH as u32 => {
                if let Some(at) = geometries {
                    each_item(&mut Scanner::at(text, at), |member| {
                        member.skip_space();
                        let start = member.offset();
                        self.read_geometry(text, start, depth + 1);
                        let _ = member.skip_value(1);
                    })
                }
            }
            _ => {}
        }
    }

    fn read_polygon(&mut self, scanner: &mut Scanner) {
        let mut first = true;
        each_item(scanner, |ring| {
            self.read_positions(ring, 1);
            self.end_part(if first {
                PartKind::Exterior
            } else {
                PartKind::Hole
            });
            first = false;
        });
    }

    /// Reads positions nested `depth` arrays deep (0: one position) onto the part being read.
    fn read_positions(&mut self, scanner: &mut Scanner, depth: u32) {
        if depth > 0 {
            each_item(scanner, |item| self.read_positions(item, depth - 1));
            return;
        }
        scanner.skip_space();
        if scanner.peek() != Some(b'[') {
            let _ = scanner.skip_value(1);
            return;
        }
        let mut numbers = [f64::NAN; 2];
        let mut i = 0;
        each_item(scanner, |n| {
            if i < 2 {
                numbers[i] = n.number().unwrap_or(f64::NAN);
            } else {
                let _ = n.skip_value(1);
            }
            i += 1;
        });
        let [lng, lat] = numbers;
        if lng.is_finite() && lat.is_finite() {
            // y is projected with the rest of the part (see `end_part`).
            self.xy
                .push([((lng + 180.0) / 360.0 * WORLD).round() as i32, 0]);
            self.latitudes.push(lat);
            self.min_zoom.push(0);
        }
    }

    /// Ends the part whose vertices were read since the last one ended.
    fn end_part(&mut self, kind: PartKind) {
        let (start, end) = (self.part_start, self.xy.len());
        if end == start {
            return;
        }
        crate::math::mercator_y_many(&mut self.latitudes);
        for (v, y) in self.xy[start..end].iter_mut().zip(self.latitudes.drain(..)) {
            v[1] = (y * WORLD).round() as i32;
        }
        let vertices = &self.xy[start..end];
        let reversed = match kind {
            PartKind::Exterior => ring_area(vertices) < 0.0,
            PartKind::Hole => ring_area(vertices) > 0.0,
            PartKind::Line | PartKind::Points => false,
        };
        if kind != PartKind::Points {
            simplify::min_zooms(vertices, &mut self.min_zoom[start..end]);
        }
        self.parts.push(Part {
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
        self.xy.truncate(self.part_start);
        self.min_zoom.truncate(self.part_start);
        self.latitudes.clear();
        let first_part = self.features.last().map_or(0, |f| f.parts.1);
        let last_part = self.parts.len() as u32;
        let Some(start) = self
            .parts
            .get(first_part as usize)
            .map(|p| p.start as usize)
        else {
            return;
        };
        let end = self.xy.len();
        let bbox = bounds(&self.xy[start..end]);
        let anchor = self.anchor_of(first_part as usize);
        let properties_start = self.properties.len() as u32;
        self.properties.push_str(properties);
        self.features.push(Entry {
            bbox,
            parts: (first_part, last_part),
            properties: (properties_start, self.properties.len() as u32),
            anchor,
        });
        self.bbox = Some(self.bbox.map_or(bbox, |b| union(b, bbox)));
        self.refresh_runs(start);
    }

    /// Recomputes the runs that hold vertices from `start` on.
    fn refresh_runs(&mut self, start: usize) {
        let total = self.xy.len();
        self.runs.truncate(start / RUN);
        for from in (self.runs.len() * RUN..total).step_by(RUN) {
            let to = (from + RUN).min(total);
            self.runs.push(Run {
                bbox: bounds(&self.xy[from..to]),
                min_zoom: self.min_zoom[from..to]
                    .iter()
                    .copied()
                    .min()
                    .unwrap_or(NEVER),
            });
        }
    }

    /// Where the keyboard's stand-in for the feature whose first part is `first` goes.
    fn anchor_of(&self, first: usize) -> [i32; 2] {
        let part = self.parts[first];
        let vertices = &self.xy[part.start as usize..part.end as usize];
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
                        self.xy[p.start as usize..p.end as usize]
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

impl FeatureSink for ShapeSet {
    fn feature(&mut self, text: &str) {
        let Ok([geometry, properties]) =
            crate::geojson::fields(&mut Scanner::new(text), &["geometry", "properties"])
        else {
            return;
        };
        if let Some(at) = geometry {
            self.read_geometry(text, at, 0);
        }
        let properties = properties
            .and_then(|at| {
                let mut scanner = Scanner::at(text, at);
                scanner.skip_value(1).ok()?;
                text.get(at..scanner.offset())
            })
            .unwrap_or("null");
        self.end_feature(properties);
    }

    fn geometry(&mut self, text: &str) {
        let start = text.len() - text.trim_start().len();
        self.read_geometry(text, start, 0);
        self.end_feature("null");
    }

    fn reset(&mut self) {
        *self = ShapeSet::default();
    }
}

/// Calls `f` with the scanner at each item of the array at the scanner (consumed). `f` must
/// consume its item.
fn each_item(scanner: &mut Scanner, mut f: impl FnMut(&mut Scanner)) {
    scanner.skip_space();
    if scanner.peek() != Some(b'[') {
        let _ = scanner.skip_value(1);
        return;
    }
    if !scanner.open(b'[', b']') {
        return;
    }
    loop {
        scanner.skip_space();
        f(scanner);
        if !scanner.more(b']', "").unwrap_or(false) {
            return;
        }
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
