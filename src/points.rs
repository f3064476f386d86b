//! Many points (a million and more) on tile canvases: a spatial index and a rasteriser, the way
//! Leaflet.glify reaches millions with WebGL, here with plain pixels computed in Rust.
//!
//! - [`PointIndex`]: each point projected once to Web Mercator in 32-bit fixed point and sorted
//!   by its Morton (Z-order) code, so the points of any tile at zoom ≤ 16 are one contiguous
//!   run, found by two binary searches; deeper tiles filter their zoom-16 ancestor's run.
//! - [`Painter`]: a circle (fill and outline, anti-aliased, Leaflet's circle-marker look) drawn
//!   once as a sprite and stamped at each point's pixel, straight into RGBA pixels; a pixel is
//!   stamped once however many points fall on it, so a dense tile costs at most one stamp per
//!   pixel.
//!
//! Pure: no browser, tested natively.

pub mod geojson;

use crate::tile_math::TILE_SIZE;

/// Bits of the Morton code per axis: tiles down to zoom 16 are one run of the sorted codes.
const MORTON_BITS: u32 = 16;

/// Points a layer holds at most: the index is 16 bytes a point (the data's own copy aside).
pub const MAX_POINTS: usize = 20_000_000;

#[derive(Debug, Default)]
pub struct PointIndex {
    /// Morton codes, ascending.
    codes: Vec<u32>,
    /// World position in 1/2^32 of the world's width, in the same order.
    xs: Vec<u32>,
    ys: Vec<u32>,
    /// Each position's point in the data (an index into what was handed over).
    ids: Vec<u32>,
}

/// The data's invalid points (not numbers, latitude beyond ±90, longitude beyond ±360), left
/// out of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Skipped(pub usize);

impl PointIndex {
    /// Indexes points given as (longitude, latitude) pairs in degrees; the id of a point is its
    /// place in `lng_lat` (pair number). Points beyond [`MAX_POINTS`] are skipped.
    pub fn from_pairs(lng_lat: &[f64]) -> (PointIndex, Skipped) {
        Self::build(
            lng_lat.chunks_exact(2).map(|p| (p[0], p[1])),
            lng_lat.len() / 2,
        )
    }

    /// As [`PointIndex::from_pairs`], from single-precision pairs (the compact binary form).
    pub fn from_pairs_f32(lng_lat: &[f32]) -> (PointIndex, Skipped) {
        Self::build(
            lng_lat
                .chunks_exact(2)
                .map(|p| (f64::from(p[0]), f64::from(p[1]))),
            lng_lat.len() / 2,
        )
    }

    fn build(points: impl Iterator<Item = (f64, f64)>, count: usize) -> (PointIndex, Skipped) {
        let mut skipped = 0;
        let mut entries: Vec<(u32, u32, u32, u32)> = Vec::with_capacity(count.min(MAX_POINTS));
        for (id, (lng, lat)) in points.enumerate() {
            match project(lng, lat) {
                Some((x, y)) if entries.len() < MAX_POINTS => entries.push((
                    morton(x >> (32 - MORTON_BITS), y >> (32 - MORTON_BITS)),
                    x,
                    y,
                    id as u32,
                )),
                _ => skipped += 1,
            }
        }
        entries.sort_unstable_by_key(|e| (e.0, e.3));
        let mut index = PointIndex {
            codes: Vec::with_capacity(entries.len()),
            xs: Vec::with_capacity(entries.len()),
            ys: Vec::with_capacity(entries.len()),
            ids: Vec::with_capacity(entries.len()),
        };
        for (code, x, y, id) in entries {
            index.codes.push(code);
            index.xs.push(x);
            index.ys.push(y);
            index.ids.push(id);
        }
        (index, Skipped(skipped))
    }

    /// Indexes positions already in Web Mercator fixed point (as [`PointIndex::positions`] gives
    /// them); the id of each is its place in `positions`.
    pub fn from_fixed(positions: &[(u32, u32)]) -> PointIndex {
        // (u64, u32) pairs: the same sort as the clustering's grid (one copy of it in the wasm).
        let mut order: Vec<(u64, u32)> = positions
            .iter()
            .zip(0u32..)
            .map(|(&(x, y), id)| {
                let code = morton(x >> (32 - MORTON_BITS), y >> (32 - MORTON_BITS));
                (u64::from(code), id)
            })
            .collect();
        radix_sort(&mut order, u64::from(u32::MAX));
        PointIndex {
            codes: order.iter().map(|&(code, _)| code as u32).collect(),
            xs: order
                .iter()
                .map(|&(_, id)| positions[id as usize].0)
                .collect(),
            ys: order
                .iter()
                .map(|&(_, id)| positions[id as usize].1)
                .collect(),
            ids: order.iter().map(|&(_, id)| id).collect(),
        }
    }

    /// Every point in index order: (x, y) in Web Mercator fixed point (1/2^32 of the world) and
    /// its id.
    pub fn positions(&self) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
        (0..self.ids.len()).map(|i| (self.xs[i], self.ys[i], self.ids[i]))
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The points on tile `z/x/y` or within `margin` pixels of it (x may be unwrapped, as Leaflet
    /// asks for tiles of the repeated worlds): (pixel x, pixel y, id), pixels from the tile's top
    /// left at 256 px per tile. In the order they were indexed within each pixel region, so the
    /// same data draws the same way every time.
    pub fn in_tile(&self, z: u32, x: i64, y: i64, margin: f64) -> Vec<(f32, f32, u32)> {
        let mut out = Vec::new();
        if z > 30 {
            return out;
        }
        let n = 1i64 << z;
        let scale = TILE_SIZE * (1u64 << z) as f64 / 4_294_967_296.0;
        for (dx, dy) in [
            (0, 0),
            (-1, 0),
            (1, 0),
            (0, -1),
            (0, 1),
            (-1, -1),
            (1, -1),
            (-1, 1),
            (1, 1),
        ] {
            let (tx, ty) = (x + dx, y + dy);
            if !(0..n).contains(&ty) || (dx != 0 || dy != 0) && margin <= 0.0 {
                continue;
            }
            // A neighbour beyond the world's edge is a tile of the next copy of the world.
            let wrapped = tx.rem_euclid(n);
            let world_shift = (tx - wrapped) as f64 * TILE_SIZE;
            let (left, top) = (x as f64 * TILE_SIZE, y as f64 * TILE_SIZE);
            for i in self.run(z, wrapped as u32, ty as u32) {
                let px = self.xs[i] as f64 * scale + world_shift - left;
                let py = self.ys[i] as f64 * scale - top;
                if (-margin..TILE_SIZE + margin).contains(&px)
                    && (-margin..TILE_SIZE + margin).contains(&py)
                {
                    out.push((px as f32, py as f32, self.ids[i]));
                }
            }
        }
        out
    }

    /// Positions (into the sorted arrays) of the points in tile z/x/y (x, y in the world).
    fn run(&self, z: u32, x: u32, y: u32) -> std::ops::Range<usize> {
        let (from, to) = if z <= MORTON_BITS {
            let shift = 2 * (MORTON_BITS - z);
            let prefix = u64::from(morton(x, y)) << shift;
            (prefix, prefix + (1u64 << shift))
        } else {
            // Deeper than the code: the zoom-16 ancestor's run (the caller filters by pixel).
            let shift = z - MORTON_BITS;
            let code = u64::from(morton(x >> shift, y >> shift));
            (code, code + 1)
        };
        let start = self.codes.partition_point(|&c| u64::from(c) < from);
        let end = self.codes.partition_point(|&c| u64::from(c) < to);
        start..end
    }

    /// The id of the point drawn at a place (degrees) on a map at `zoom`, within `radius`
    /// pixels; the nearest, and of equally near ones the last indexed (drawn on top).
    pub fn nearest(&self, lat: f64, lng: f64, zoom: u32, radius: f64) -> Option<u32> {
        let (x, y) = project(lng, lat)?;
        let world = TILE_SIZE * (1u64 << zoom.min(30)) as f64;
        let (px, py) = (
            x as f64 / 4_294_967_296.0 * world,
            y as f64 / 4_294_967_296.0 * world,
        );
        let (tx, ty) = (
            (px / TILE_SIZE).floor() as i64,
            (py / TILE_SIZE).floor() as i64,
        );
        let (in_x, in_y) = (px - tx as f64 * TILE_SIZE, py - ty as f64 * TILE_SIZE);
        let mut best: Option<(f64, u32)> = None;
        for (cx, cy, id) in self.in_tile(zoom.min(30), tx, ty, radius) {
            let (dx, dy) = (f64::from(cx) - in_x, f64::from(cy) - in_y);
            let d = (dx * dx + dy * dy).sqrt();
            if d <= radius && best.is_none_or(|(bd, bid)| d < bd || (d == bd && id > bid)) {
                best = Some((d, id));
            }
        }
        best.map(|(_, id)| id)
    }
}

/// Sorts (key, id) pairs by key, keeping the order of equal keys, when no key exceeds `max_key`:
/// a least-significant-digit radix sort, 11 bits a pass, as many passes as `max_key` needs. For
/// the clustering's grids and indexes (a sort per zoom level) it is several times faster than a
/// comparison sort.
pub fn radix_sort(items: &mut Vec<(u64, u32)>, max_key: u64) {
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    let passes = (64 - max_key.leading_zeros()).div_ceil(BITS);
    let mut other = vec![(0u64, 0u32); items.len()];
    for pass in 0..passes {
        let shift = pass * BITS;
        let digit = |key: u64| ((key >> shift) as usize) & (BUCKETS - 1);
        let mut starts = vec![0usize; BUCKETS + 1];
        for &(key, _) in items.iter() {
            starts[digit(key) + 1] += 1;
        }
        for i in 0..BUCKETS {
            starts[i + 1] += starts[i];
        }
        for &item in items.iter() {
            let slot = &mut starts[digit(item.0)];
            other[*slot] = item;
            *slot += 1;
        }
        std::mem::swap(items, &mut other);
    }
}

/// Web Mercator in 32-bit fixed point (0..2^32 across the world, top to bottom); `None` for a
/// point that is not a place.
fn project(lng: f64, lat: f64) -> Option<(u32, u32)> {
    if !lng.is_finite()
        || !lat.is_finite()
        || !(-90.0..=90.0).contains(&lat)
        || !(-360.0..=360.0).contains(&lng)
    {
        return None;
    }
    let lng = (lng + 180.0).rem_euclid(360.0) - 180.0;
    let fx = (lng + 180.0) / 360.0;
    let fy = crate::math::mercator_y(lat);
    let fixed = |f: f64| (f * 4_294_967_296.0).clamp(0.0, 4_294_967_295.0) as u32;
    Some((fixed(fx), fixed(fy)))
}

/// Interleaves the low 16 bits of x and y: x in the even bits, y in the odd ones.
fn morton(x: u32, y: u32) -> u32 {
    fn spread(v: u32) -> u32 {
        let mut v = v & 0xFFFF;
        v = (v | (v << 8)) & 0x00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    }
    spread(x) | (spread(y) << 1)
}

/// An RGBA colour, 0..255 each, not premultiplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba(pub [u8; 4]);

/// Stamps point symbols into a tile's pixels.
pub struct Painter {
    /// The symbol, premultiplied RGBA, `size`×`size`, centred on the point.
    sprite: Vec<[u16; 4]>,
    size: i32,
}

impl Painter {
    /// A circle of `radius` pixels filled with `fill`, outlined `weight` pixels wide in `stroke`
    /// (the outline centred on the edge, as Leaflet's circle markers are).
    pub fn circle(radius: f64, weight: f64, fill: Rgba, stroke: Rgba) -> Painter {
        let radius = radius.clamp(0.0, 100.0);
        let weight = weight.clamp(0.0, 50.0);
        let extent = radius + weight / 2.0 + 1.0;
        let size = (2.0 * extent).ceil() as i32 | 1;
        let centre = f64::from(size / 2);
        let mut sprite = Vec::with_capacity((size * size) as usize);
        for row in 0..size {
            for col in 0..size {
                // Coverage by 4×4 supersampling: smooth edges, exact enough for dots.
                let (mut fill_cover, mut stroke_cover) = (0.0, 0.0);
                for sy in 0..4 {
                    for sx in 0..4 {
                        let dx = f64::from(col) + (f64::from(sx) + 0.5) / 4.0 - 0.5 - centre;
                        let dy = f64::from(row) + (f64::from(sy) + 0.5) / 4.0 - 0.5 - centre;
                        let d = (dx * dx + dy * dy).sqrt();
                        if d <= radius {
                            fill_cover += 1.0 / 16.0;
                        }
                        if weight > 0.0 && (d - radius).abs() <= weight / 2.0 {
                            stroke_cover += 1.0 / 16.0;
                        }
                    }
                }
                // Fill, then the outline over it (source over), premultiplied.
                let mut pixel = [0.0f64; 4];
                for (colour, cover) in [(fill, fill_cover), (stroke, stroke_cover)] {
                    let alpha = f64::from(colour.0[3]) / 255.0 * cover;
                    for (out, &channel) in pixel.iter_mut().zip(&colour.0[..3]) {
                        *out = f64::from(channel) * alpha + *out * (1.0 - alpha);
                    }
                    pixel[3] = 255.0 * alpha + pixel[3] * (1.0 - alpha);
                }
                sprite.push(pixel.map(|v| v.round().clamp(0.0, 255.0) as u16));
            }
        }
        Painter { sprite, size }
    }

    /// Draws `points` (pixel positions, see [`PointIndex::in_tile`], times `ratio` for the
    /// screen's pixel density) into `width`×`height` RGBA pixels (what `ImageData` holds, not
    /// premultiplied). Returns how many symbols were stamped.
    pub fn paint(
        &self,
        points: &[(f32, f32, u32)],
        ratio: f32,
        width: usize,
        height: usize,
        pixels: &mut [u8],
    ) -> usize {
        debug_assert_eq!(pixels.len(), width * height * 4);
        // Premultiplied while stamping; one stamp per pixel position.
        let mut canvas = vec![[0u16; 4]; width * height];
        let mut stamped = vec![false; width * height];
        let half = self.size / 2;
        let mut count = 0;
        for &(x, y, _) in points {
            let (cx, cy) = ((x * ratio).round() as i64, (y * ratio).round() as i64);
            if cx < -i64::from(half)
                || cy < -i64::from(half)
                || cx >= width as i64 + i64::from(half)
                || cy >= height as i64 + i64::from(half)
            {
                continue;
            }
            // A point whose centre pixel was stamped already looks the same: skip it.
            if (0..width as i64).contains(&cx) && (0..height as i64).contains(&cy) {
                let at = cy as usize * width + cx as usize;
                if stamped[at] {
                    continue;
                }
                stamped[at] = true;
            }
            count += 1;
            for row in 0..self.size {
                let py = cy + i64::from(row - half);
                if !(0..height as i64).contains(&py) {
                    continue;
                }
                let line = py as usize * width;
                for col in 0..self.size {
                    let px = cx + i64::from(col - half);
                    if !(0..width as i64).contains(&px) {
                        continue;
                    }
                    let src = self.sprite[(row * self.size + col) as usize];
                    if src[3] == 0 {
                        continue;
                    }
                    let dst = &mut canvas[line + px as usize];
                    let keep = 255 - src[3];
                    for c in 0..4 {
                        dst[c] = src[c] + (dst[c] * keep + 127) / 255;
                    }
                }
            }
        }
        for (out, p) in pixels.chunks_exact_mut(4).zip(&canvas) {
            let alpha = p[3];
            if alpha == 0 {
                out.copy_from_slice(&[0, 0, 0, 0]);
                continue;
            }
            for c in 0..3 {
                out[c] = ((p[c] * 255 + alpha / 2) / alpha).min(255) as u8;
            }
            out[3] = alpha as u8;
        }
        count
    }
}

/// A CSS colour as RGBA, for the colour forms config.json accepts that have a fixed value
/// (`#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb()`/`rgba()` with numbers, and a few names);
/// `None` for others (`hsl()`, most names), which the caller replaces with a default.
pub fn parse_colour(text: &str, opacity: f64) -> Option<Rgba> {
    let text = text.trim().to_ascii_lowercase();
    let hex = |s: &str| u8::from_str_radix(s, 16).ok();
    let mut rgba = if let Some(digits) = text.strip_prefix('#') {
        let double = |c: char| hex(&format!("{c}{c}"));
        let chars: Vec<char> = digits.chars().collect();
        match chars.len() {
            3 | 4 => {
                let mut v = [255u8; 4];
                for (i, c) in chars.iter().enumerate() {
                    v[i] = double(*c)?;
                }
                v
            }
            6 | 8 => {
                let mut v = [255u8; 4];
                for (i, out) in v.iter_mut().enumerate().take(chars.len() / 2) {
                    *out = hex(digits.get(2 * i..2 * i + 2)?)?;
                }
                v
            }
            _ => return None,
        }
    } else if let Some(inner) = text
        .strip_prefix("rgba(")
        .or_else(|| text.strip_prefix("rgb("))
        .and_then(|t| t.strip_suffix(')'))
    {
        let parts: Vec<f64> = inner
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?;
        match parts.as_slice() {
            [r, g, b] => [*r as u8, *g as u8, *b as u8, 255],
            [r, g, b, a] => [
                *r as u8,
                *g as u8,
                *b as u8,
                (a.clamp(0.0, 1.0) * 255.0).round() as u8,
            ],
            _ => return None,
        }
    } else {
        match text.as_str() {
            "white" => [255, 255, 255, 255],
            "black" => [0, 0, 0, 255],
            "red" => [255, 0, 0, 255],
            "green" => [0, 128, 0, 255],
            "blue" => [0, 0, 255, 255],
            "orange" => [255, 165, 0, 255],
            "purple" => [128, 0, 128, 255],
            "gray" | "grey" => [128, 128, 128, 255],
            "transparent" => [0, 0, 0, 0],
            _ => return None,
        }
    };
    rgba[3] = (f64::from(rgba[3]) * opacity.clamp(0.0, 1.0)).round() as u8;
    Some(Rgba(rgba))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_radix_sort_sorts_as_a_stable_sort_does() {
        let mut random = crate::math::SeededRandom::new(99);
        for (len, max_key) in [
            (0, 5),
            (1, 0),
            (1000, 7),
            (5000, u64::from(u32::MAX)),
            (3000, u64::MAX),
            (2000, 1 << 40),
        ] {
            let mut items: Vec<(u64, u32)> = (0..len as u32)
                .map(|i| {
                    (
                        (random.next_u64() >> 7) % max_key.saturating_add(1).max(1),
                        i,
                    )
                })
                .collect();
            if max_key == u64::MAX {
                items
                    .iter_mut()
                    .for_each(|item| item.0 = item.0.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            }
            let mut expected = items.clone();
            expected.sort_by_key(|&(key, _)| key);
            radix_sort(&mut items, max_key);
            assert_eq!(items, expected, "{len} keys up to {max_key}");
        }
    }

    /// A deterministic cloud of points: (lng, lat) pairs.
    fn cloud(count: usize) -> Vec<f64> {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..count)
            .flat_map(|_| [next() * 360.0 - 180.0, next() * 170.0 - 85.0])
            .collect()
    }

    /// The reference answer: every point, projected the slow way, that lies on the tile.
    fn brute_force(pairs: &[f64], z: u32, x: i64, y: i64) -> Vec<u32> {
        let world = TILE_SIZE * f64::from(1u32 << z);
        let mut ids: Vec<u32> = pairs
            .chunks_exact(2)
            .enumerate()
            .filter_map(|(id, p)| {
                let (fx, fy) = project(p[0], p[1])?;
                let (px, py) = (
                    f64::from(fx) / 4_294_967_296.0 * world,
                    f64::from(fy) / 4_294_967_296.0 * world,
                );
                let tx = (px / TILE_SIZE).floor() as i64;
                let ty = (py / TILE_SIZE).floor() as i64;
                (tx == x.rem_euclid(1 << z) && ty == y).then_some(id as u32)
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn a_tile_holds_exactly_the_points_on_it() {
        let pairs = cloud(20_000);
        let (index, skipped) = PointIndex::from_pairs(&pairs);
        assert_eq!((index.len(), skipped), (20_000, Skipped(0)));
        for (z, x, y) in [
            (0, 0, 0),
            (1, 1, 0),
            (3, 4, 2),
            (5, 17, 11),
            (12, 2150, 1400),
            (18, 137_000, 90_000),
            (2, -1, 1),
            (2, 5, 2),
        ] {
            let mut got: Vec<u32> = index
                .in_tile(z, x, y, 0.0)
                .into_iter()
                .map(|p| p.2)
                .collect();
            got.sort_unstable();
            assert_eq!(got, brute_force(&pairs, z, x, y), "tile {z}/{x}/{y}");
        }
    }

    #[test]
    fn pixels_are_where_the_tile_puts_them_and_margins_reach_into_neighbours() {
        // Greenwich on the equator is the top left corner of tile 1/1/1.
        let (index, _) = PointIndex::from_pairs(&[0.0, 0.0, -0.0001, 0.0]);
        let on_tile = index.in_tile(1, 1, 1, 0.0);
        assert_eq!(on_tile.len(), 1);
        assert!(
            on_tile[0].0.abs() < 0.01 && on_tile[0].1.abs() < 0.01,
            "{on_tile:?}"
        );
        // The other point is a hair west, on tile 1/0/1: a margin brings it in, just left of 0.
        let with_margin = index.in_tile(1, 1, 1, 5.0);
        assert_eq!(with_margin.len(), 2);
        assert!(with_margin
            .iter()
            .any(|p| p.0 < 0.0 && p.0 > -0.01 && p.2 == 1));
        // Tiles of the repeated worlds: x = 2 at zoom 1 is x = 0 one world to the east (the point
        // a hair west of Greenwich, at its right edge), x = 3 is x = 1 (Greenwich, at its left).
        let east = index.in_tile(1, 2, 1, 0.0);
        assert_eq!(east.iter().map(|p| p.2).collect::<Vec<_>>(), [1]);
        assert!((east[0].0 - 256.0).abs() < 0.01, "{east:?}");
        assert_eq!(
            index
                .in_tile(1, 3, 1, 0.0)
                .iter()
                .map(|p| p.2)
                .collect::<Vec<_>>(),
            [0]
        );
    }

    #[test]
    fn invalid_points_are_skipped_not_indexed() {
        let (index, skipped) = PointIndex::from_pairs(&[
            f64::NAN,
            0.0,
            10.0,
            95.0,
            400.0,
            0.0,
            10.0,
            10.0,
            359.0,
            0.0,
        ]);
        assert_eq!(skipped, Skipped(3));
        assert_eq!(index.len(), 2);
        let ids: Vec<u32> = index
            .in_tile(0, 0, 0, 0.0)
            .into_iter()
            .map(|p| p.2)
            .collect();
        assert!(ids.contains(&3) && ids.contains(&4), "{ids:?}");
        assert_eq!(
            PointIndex::from_pairs(&[1.0, 2.0, 3.0]).0.len(),
            1,
            "an odd number of values leaves the last out"
        );
    }

    #[test]
    fn the_nearest_point_is_found_within_the_radius_only() {
        let (index, _) = PointIndex::from_pairs(&[2.35, 48.85, 2.36, 48.86, 13.4, 52.52]);
        assert_eq!(index.nearest(48.85, 2.35, 10, 6.0), Some(0));
        assert_eq!(index.nearest(48.8601, 2.3601, 10, 6.0), Some(1));
        assert_eq!(index.nearest(50.0, 8.0, 10, 6.0), None);
        // At zoom 3 Paris and Berlin are ~20 px apart: a 6 px radius tells them apart.
        assert_eq!(index.nearest(52.5, 13.4, 3, 6.0), Some(2));
        // Across the antimeridian: a click at -179.99 finds a point at 179.99.
        let (edge, _) = PointIndex::from_pairs(&[179.99, 0.0]);
        assert_eq!(edge.nearest(0.0, -179.99, 6, 6.0), Some(0));
    }

    #[test]
    fn a_million_points_index_and_every_tile_of_a_view_is_found() {
        let pairs = cloud(1_000_000);
        let (index, _) = PointIndex::from_pairs(&pairs);
        let total: usize = (0..4)
            .flat_map(|x| (0..4).map(move |y| (x, y)))
            .map(|(x, y)| index.in_tile(2, x, y, 0.0).len())
            .sum();
        assert_eq!(total, 1_000_000, "the zoom 2 tiles partition the points");
    }

    #[test]
    fn painting_stamps_each_pixel_once_with_the_symbol() {
        let painter = Painter::circle(
            4.0,
            1.5,
            Rgba([192, 57, 43, 230]),
            Rgba([255, 255, 255, 255]),
        );
        let (w, h) = (32, 32);
        let mut pixels = vec![0u8; w * h * 4];
        // Three points, two on the same pixel.
        let stamped = painter.paint(
            &[(10.0, 10.0, 0), (10.2, 9.9, 1), (20.0, 20.0, 2)],
            1.0,
            w,
            h,
            &mut pixels,
        );
        assert_eq!(stamped, 2);
        let at = |x: usize, y: usize| &pixels[(y * w + x) * 4..(y * w + x) * 4 + 4];
        assert_eq!(
            at(10, 10),
            &[192, 57, 43, 230],
            "the centre is the fill colour"
        );
        assert_eq!(at(14, 10)[0..3], [255, 255, 255], "the edge is the outline");
        assert_eq!(
            at(0, 31),
            &[0, 0, 0, 0],
            "away from points nothing is drawn"
        );
        // Points off the canvas by more than the symbol draw nothing; at the edge, a part.
        let mut edge = vec![0u8; w * h * 4];
        assert_eq!(painter.paint(&[(-40.0, 5.0, 0)], 1.0, w, h, &mut edge), 0);
        assert_eq!(painter.paint(&[(-2.0, 5.0, 0)], 1.0, w, h, &mut edge), 1);
        assert!(edge[(5 * w) * 4 + 3] > 0);
    }

    #[test]
    fn colours_from_config_values() {
        assert_eq!(parse_colour("#c0392b", 1.0), Some(Rgba([192, 57, 43, 255])));
        assert_eq!(parse_colour("#FFF", 0.5), Some(Rgba([255, 255, 255, 128])));
        assert_eq!(
            parse_colour("#11223380", 1.0),
            Some(Rgba([17, 34, 51, 128]))
        );
        assert_eq!(
            parse_colour("rgba(10, 20, 30, 0.5)", 1.0),
            Some(Rgba([10, 20, 30, 128]))
        );
        assert_eq!(parse_colour("white", 1.0), Some(Rgba([255, 255, 255, 255])));
        assert_eq!(parse_colour("hsl(0, 50%, 50%)", 1.0), None);
        assert_eq!(parse_colour("#12", 1.0), None);
    }
}
