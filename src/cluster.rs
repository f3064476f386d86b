//! Clustering of a points overlay, computed once when its data arrives, the way supercluster
//! does it: from the deepest clustered zoom up to zoom 0, each node of the level below (a point,
//! or a cluster) is merged greedily with its unvisited neighbours within `radius` pixels into a
//! cluster at their weighted centre. Each level is itself a [`PointIndex`] (Morton ordered), so a
//! tile's clusters are found the way its points are: two binary searches.
//!
//! A node remembers the nodes of the level below it came from, which gives the zoom at which a
//! cluster splits ([`ClusterIndex::expansion_zoom`], where a click zooms to) and the points it
//! holds ([`ClusterIndex::leaves`], what a spiderfied cluster shows). [`spider_offsets`] lays those
//! points out around the cluster when zooming cannot separate them.
//!
//! Pure: no browser, tested natively.

use crate::points::PointIndex;
use crate::tile_math::TILE_SIZE;

/// How a points overlay is clustered (`"cluster"` in config.json).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterOptions {
    /// Points closer than this (CSS pixels at the zoom shown) join one cluster.
    pub radius: f64,
    /// The deepest zoom with clusters; deeper, every point is drawn on its own.
    pub max_zoom: u32,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        // supercluster's radius (40) was made for 512 px tiles; 60 px on Leaflet's 256 px tiles
        // is about what Leaflet.markercluster's 80 px radius looks like with its smaller icons.
        ClusterOptions {
            radius: 60.0,
            max_zoom: 16,
        }
    }
}

/// The deepest `max_zoom` accepted: each level holds up to one node per point.
pub const MAX_CLUSTER_ZOOM: u32 = 20;

/// A node of one level: a cluster of `count` points, or one point (`count == 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub zoom: u32,
    /// Its number within its level.
    pub number: u32,
    pub count: u32,
    /// The point it is when `count == 1` (its id in the data); for a cluster, one of its points.
    pub point: u32,
}

/// A node drawn on a tile: its pixel from the tile's top left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub x: f32,
    pub y: f32,
    pub node: Node,
}

struct Level {
    /// The nodes' positions, indexed; its ids are node numbers.
    index: PointIndex,
    /// By node number: position (Web Mercator, 1/2^32 of the world), point count, a point.
    position: Vec<(u32, u32)>,
    count: Vec<u32>,
    point: Vec<u32>,
    /// The nodes of the level below each node came from: `children[child_start[n]..child_start[n + 1]]`
    /// (below the deepest level: positions in the points' index order).
    child_start: Vec<u32>,
    children: Vec<u32>,
}

impl Level {
    fn children_of(&self, number: u32) -> &[u32] {
        let n = number as usize;
        match (self.child_start.get(n), self.child_start.get(n + 1)) {
            (Some(&from), Some(&to)) => &self.children[from as usize..to as usize],
            _ => &[],
        }
    }

    fn node(&self, zoom: u32, number: u32) -> Node {
        let n = number as usize;
        Node {
            zoom,
            number,
            count: self.count[n],
            point: self.point[n],
        }
    }
}

pub struct ClusterIndex {
    /// `levels[z]` for z in `0..=max_zoom`.
    levels: Vec<Level>,
    /// Each point below the deepest level, in the points' index order: position and id.
    points: Vec<(u32, u32, u32)>,
    radius: f64,
}

impl ClusterIndex {
    /// Clusters the points of `points` at every zoom from `options.max_zoom` up to 0, at once
    /// ([`ClusterBuilder`] does it a zoom at a time).
    pub fn new(points: &PointIndex, options: ClusterOptions) -> ClusterIndex {
        let mut builder = ClusterBuilder::new(points, options);
        while builder.step() {}
        builder.finish()
    }

    /// The deepest zoom with clusters.
    pub fn max_zoom(&self) -> u32 {
        self.levels.len().saturating_sub(1) as u32
    }

    /// Nodes at `zoom` whose centre is on tile z/x/y or within `margin` pixels of it (x may be
    /// unwrapped, as for [`PointIndex::in_tile`]); none deeper than [`ClusterIndex::max_zoom`].
    pub fn in_tile(&self, z: u32, x: i64, y: i64, margin: f64) -> Vec<Placed> {
        let Some(level) = self.levels.get(z as usize) else {
            return Vec::new();
        };
        level
            .index
            .in_tile(z, x, y, margin)
            .into_iter()
            .map(|(px, py, number)| Placed {
                x: px,
                y: py,
                node: level.node(z, number),
            })
            .collect()
    }

    /// The node drawn at a place (degrees) on a map at `zoom`: the nearest one whose symbol
    /// ([`bubble_radius`] for clusters, `point_radius` for single points) plus `tolerance` pixels
    /// reaches the place.
    pub fn at(
        &self,
        lat: f64,
        lng: f64,
        zoom: u32,
        point_radius: f64,
        tolerance: f64,
    ) -> Option<Node> {
        if zoom as usize >= self.levels.len() {
            return None;
        }
        let world = TILE_SIZE * (1u64 << zoom) as f64;
        let (fx, fy) = (
            (lng + 180.0).rem_euclid(360.0) / 360.0,
            crate::math::mercator_y(lat),
        );
        if !fx.is_finite() || !fy.is_finite() {
            return None;
        }
        let (px, py) = (fx * world, fy * world);
        let (tx, ty) = (
            (px / TILE_SIZE).floor() as i64,
            (py / TILE_SIZE).floor() as i64,
        );
        let reach = bubble_radius(u32::MAX).max(point_radius) + tolerance;
        let mut best: Option<(f64, Node)> = None;
        for placed in self.in_tile(zoom, tx, ty, reach) {
            let dx = f64::from(placed.x) - (px - tx as f64 * TILE_SIZE);
            let dy = f64::from(placed.y) - (py - ty as f64 * TILE_SIZE);
            let distance = (dx * dx + dy * dy).sqrt();
            let own = if placed.node.count > 1 {
                bubble_radius(placed.node.count)
            } else {
                point_radius
            };
            if distance <= own + tolerance && best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, placed.node));
            }
        }
        best.map(|(_, node)| node)
    }

    /// Where a node is drawn: (longitude, latitude).
    pub fn position(&self, node: Node) -> Option<(f64, f64)> {
        let &(x, y) = self
            .levels
            .get(node.zoom as usize)?
            .position
            .get(node.number as usize)?;
        Some(degrees(x, y))
    }

    /// The zoom at which a cluster falls apart into more than one node: where a click on it
    /// zooms to. One past [`ClusterIndex::max_zoom`] when it never does (its points are so close
    /// that only drawing them one by one separates them).
    pub fn expansion_zoom(&self, node: Node) -> u32 {
        let (mut zoom, mut number) = (node.zoom, node.number);
        while let Some(level) = self.levels.get(zoom as usize) {
            match level.children_of(number) {
                [only] if (zoom as usize) + 1 < self.levels.len() => {
                    number = *only;
                    zoom += 1;
                }
                _ => return zoom + 1,
            }
        }
        zoom + 1
    }

    /// (At most `limit` of) the points a node holds, in the points' index order: id, longitude,
    /// latitude.
    pub fn leaves(&self, node: Node, limit: usize) -> Vec<(u32, f64, f64)> {
        let mut out = Vec::new();
        let mut pending = vec![(node.zoom, node.number)];
        while let Some((zoom, number)) = pending.pop() {
            if out.len() >= limit {
                break;
            }
            let Some(level) = self.levels.get(zoom as usize) else {
                continue;
            };
            let below_points = zoom as usize + 1 == self.levels.len();
            // Reversed onto the stack, so the first child comes out first.
            for &child in level.children_of(number).iter().rev() {
                if below_points {
                    pending.push((u32::MAX, child));
                } else {
                    pending.push((zoom + 1, child));
                }
            }
            // Points are pushed with zoom u32::MAX: they are taken as they come off the stack.
            while let Some(&(u32::MAX, at)) = pending.last() {
                pending.pop();
                if let (Some(&(x, y, id)), true) = (self.points.get(at as usize), out.len() < limit)
                {
                    let (lng, lat) = degrees(x, y);
                    out.push((id, lng, lat));
                }
            }
        }
        out
    }

    /// The clustering radius (CSS pixels).
    pub fn radius(&self) -> f64 {
        self.radius
    }
}

/// Clustering a zoom level at a time, the deepest first, so a browser can draw frames between
/// the levels (a level of 100k points is a few milliseconds; all of them at once would hold the
/// page for a visible moment).
pub struct ClusterBuilder {
    /// Built so far, the deepest first.
    levels: Vec<Level>,
    points: Vec<(u32, u32, u32)>,
    radius: f64,
    /// The zoom the next step clusters, `None` when all are done.
    next: Option<u32>,
}

impl ClusterBuilder {
    pub fn new(points: &PointIndex, options: ClusterOptions) -> ClusterBuilder {
        let radius = if options.radius.is_finite() {
            options.radius.max(1.0)
        } else {
            ClusterOptions::default().radius
        };
        ClusterBuilder {
            levels: Vec::new(),
            points: points.positions().collect(),
            radius,
            next: Some(options.max_zoom.min(MAX_CLUSTER_ZOOM)),
        }
    }

    /// Clusters the next zoom level; false once every level is built.
    pub fn step(&mut self) -> bool {
        let Some(zoom) = self.next else {
            return false;
        };
        let level = match self.levels.last() {
            Some(below) => merge(
                &below.position,
                &below.count,
                &below.point,
                zoom,
                self.radius,
            ),
            None => {
                let position: Vec<(u32, u32)> =
                    self.points.iter().map(|&(x, y, _)| (x, y)).collect();
                let ids: Vec<u32> = self.points.iter().map(|&(_, _, id)| id).collect();
                merge(&position, &vec![1; position.len()], &ids, zoom, self.radius)
            }
        };
        self.levels.push(level);
        self.next = zoom.checked_sub(1);
        self.next.is_some()
    }

    /// The index, once [`ClusterBuilder::step`] has returned false (levels still missing are
    /// built now).
    pub fn finish(mut self) -> ClusterIndex {
        while self.step() {}
        self.levels.reverse();
        ClusterIndex {
            levels: self.levels,
            points: self.points,
            radius: self.radius,
        }
    }
}

/// A position in Web Mercator fixed point as (longitude, latitude).
fn degrees(x: u32, y: u32) -> (f64, f64) {
    let unit = 4_294_967_296.0;
    (
        f64::from(x) / unit * 360.0 - 180.0,
        crate::math::mercator_lat(f64::from(y) / unit),
    )
}

/// One level: the nodes below merged, each with its unvisited neighbours within `radius` pixels at
/// `zoom`, in the order of the nodes below (greedy, as supercluster).
fn merge(position: &[(u32, u32)], count: &[u32], point: &[u32], zoom: u32, radius: f64) -> Level {
    let n = position.len();
    let reach = radius / (TILE_SIZE * (1u64 << zoom) as f64) * 4_294_967_296.0;
    let cell = reach.max(1.0);
    let cell_of = |(x, y): (u32, u32)| ((f64::from(x) / cell) as u64, (f64::from(y) / cell) as u64);
    // Row-major cell numbers; a row has room for one cell more than the world holds, so the
    // cell right of the last is never the next row's first.
    let columns = (f64::from(u32::MAX) / cell) as u64 + 2;
    let key = |(cx, cy): (u64, u64)| cy * columns + cx;
    // The nodes by grid cell, row by row. They are visited in that order, so for each of the
    // three rows around a node the first candidate cell only moves forward: one cursor a row
    // replaces a binary search per row and node.
    let mut by_cell: Vec<(u64, u32)> = (0..n as u32)
        .map(|i| (key(cell_of(position[i as usize])), i))
        .collect();
    crate::points::radix_sort(&mut by_cell, key((columns - 1, columns - 1)));
    // Positions and counts in that order too: the scans below read memory in sequence.
    let sorted: Vec<(u32, u32, u32)> = by_cell
        .iter()
        .map(|&(_, i)| {
            (
                position[i as usize].0,
                position[i as usize].1,
                count[i as usize],
            )
        })
        .collect();
    let mut visited = vec![false; n];
    let mut level = Level {
        index: PointIndex::default(),
        position: Vec::new(),
        count: Vec::new(),
        point: Vec::new(),
        child_start: vec![0],
        children: Vec::new(),
    };
    let mut cursors = [0usize; 3];
    for (at, &(cell_key, i)) in by_cell.iter().enumerate() {
        if visited[at] {
            continue;
        }
        visited[at] = true;
        let (x, y, own) = sorted[at];
        let (cx, cy) = (cell_key % columns, cell_key / columns);
        let mut total = u64::from(own);
        let (mut wx, mut wy) = (f64::from(x) * f64::from(own), f64::from(y) * f64::from(own));
        level.children.push(i);
        for (cursor, row) in cursors
            .iter_mut()
            .zip([cy.checked_sub(1), Some(cy), Some(cy + 1)])
        {
            let Some(row) = row else { continue };
            let (first, last) = (key((cx.saturating_sub(1), row)), key((cx + 1, row)));
            while by_cell.get(*cursor).is_some_and(|&(k, _)| k < first) {
                *cursor += 1;
            }
            let mut j = *cursor;
            while let Some(&(k, node)) = by_cell.get(j) {
                if k > last {
                    break;
                }
                let (jx, jy, weight) = sorted[j];
                let (dx, dy) = (f64::from(jx) - f64::from(x), f64::from(jy) - f64::from(y));
                if !visited[j] && dx * dx + dy * dy <= reach * reach {
                    visited[j] = true;
                    total += u64::from(weight);
                    wx += f64::from(jx) * f64::from(weight);
                    wy += f64::from(jy) * f64::from(weight);
                    level.children.push(node);
                }
                j += 1;
            }
        }
        let total_f = total as f64;
        level
            .position
            .push(((wx / total_f) as u32, (wy / total_f) as u32));
        level.count.push(total.min(u64::from(u32::MAX)) as u32);
        level.point.push(point[i as usize]);
        level.child_start.push(level.children.len() as u32);
    }
    level.index = PointIndex::from_fixed(&level.position);
    level
}

/// The radius (CSS pixels) of a cluster's bubble: bigger for more points, as
/// Leaflet.markercluster's small / medium / large icons.
pub fn bubble_radius(count: u32) -> f64 {
    match count {
        0..=9 => 14.0,
        10..=99 => 17.0,
        100..=999 => 20.0,
        _ => 23.0,
    }
}

/// A cluster's count as its bubble shows it: 7, 512, 1.2k, 35k, 1.4M.
pub fn count_label(count: u32) -> String {
    let short = |value: f64, unit: &str| {
        if value < 10.0 {
            let tenths = (value * 10.0).floor() as u32;
            format!("{}.{}{unit}", tenths / 10, tenths % 10)
        } else {
            format!("{}{unit}", value.floor() as u32)
        }
    };
    match count {
        0..=999 => count.to_string(),
        1_000..=999_999 => short(f64::from(count) / 1e3, "k"),
        _ => short(f64::from(count) / 1e6, "M"),
    }
}

/// Where the points of a spiderfied cluster go, as pixel offsets from its centre: on a circle
/// for a few, on a spiral for more, each at least `separation` pixels from the others.
pub fn spider_offsets(count: usize, separation: f64) -> Vec<(f64, f64)> {
    use std::f64::consts::{FRAC_PI_2, TAU};
    let at = |leg: f64, angle: f64| {
        let (sin, cos) = crate::math::sin_cos(angle);
        (leg * cos, leg * sin)
    };
    if count <= 8 {
        // A circle whose circumference leaves `separation` between neighbours (and 2 more spaces,
        // so a few points are not crowded round the centre).
        let leg = (separation * (count + 2) as f64 / TAU).max(separation);
        return (0..count)
            .map(|i| at(leg, -FRAC_PI_2 + TAU * i as f64 / count as f64))
            .collect();
    }
    // An Archimedean spiral: each step moves `separation` along it, and each turn lies
    // `separation` outside the last (r = b·θ with b = separation / 2π).
    let b = separation / TAU;
    let mut angle = TAU;
    (0..count)
        .map(|_| {
            let leg = b * angle;
            let point = at(leg, angle);
            angle += separation / leg;
            point
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_of(points: &[(f64, f64)]) -> PointIndex {
        let pairs: Vec<f64> = points.iter().flat_map(|&(lng, lat)| [lng, lat]).collect();
        PointIndex::from_pairs(&pairs).0
    }

    /// Every node of a level, wherever it is (found through the tiles' queries up to zoom 6).
    fn all_nodes(index: &ClusterIndex, zoom: u32) -> Vec<Placed> {
        let level = &index.levels[zoom as usize];
        if zoom > 6 {
            return (0..level.count.len() as u32)
                .map(|n| Placed {
                    x: 0.0,
                    y: 0.0,
                    node: level.node(zoom, n),
                })
                .collect();
        }
        let n = 1i64 << zoom;
        let mut out = Vec::new();
        for x in 0..n {
            for y in 0..n {
                out.extend(index.in_tile(zoom, x, y, 0.0));
            }
        }
        assert_eq!(
            out.len(),
            level.count.len(),
            "the tiles of zoom {zoom} hold every node once"
        );
        out
    }

    fn scattered(count: usize) -> Vec<(f64, f64)> {
        let mut seeded = crate::math::SeededRandom::new(7);
        let mut random = move || seeded.next_f64();
        (0..count)
            .map(|_| (random() * 60.0 - 10.0, random() * 40.0 + 20.0))
            .collect()
    }

    #[test]
    fn every_level_holds_every_point_once() {
        let points = scattered(5_000);
        let index = ClusterIndex::new(
            &index_of(&points),
            ClusterOptions {
                radius: 60.0,
                max_zoom: 8,
            },
        );
        for zoom in 0..=8 {
            let nodes = all_nodes(&index, zoom);
            let total: u64 = nodes.iter().map(|p| u64::from(p.node.count)).sum();
            assert_eq!(total, 5_000, "zoom {zoom}");
            // Clusters get fewer as the map zooms out.
            if zoom > 0 {
                assert!(
                    all_nodes(&index, zoom - 1).len() <= nodes.len(),
                    "zoom {zoom}"
                );
            }
        }
        assert!(
            all_nodes(&index, 0).len() < 20,
            "the whole world at zoom 0 is a few clusters"
        );
        // Every point is a leaf of exactly one node of a level.
        let mut seen: Vec<u32> = all_nodes(&index, 3)
            .iter()
            .flat_map(|p| index.leaves(p.node, usize::MAX))
            .map(|(id, _, _)| id)
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..5_000).collect::<Vec<u32>>());
    }

    #[test]
    fn far_points_stay_apart_and_near_ones_join() {
        // Lisbon and Porto: 275 km apart, one cluster at zoom 3, two at zoom 8.
        let index = ClusterIndex::new(
            &index_of(&[(-9.14, 38.72), (-8.61, 41.15), (-9.15, 38.73)]),
            ClusterOptions::default(),
        );
        let counts = |zoom| {
            let mut c: Vec<u32> = all_nodes(&index, zoom)
                .iter()
                .map(|p| p.node.count)
                .collect();
            c.sort_unstable();
            c
        };
        assert_eq!(counts(3), vec![3]);
        assert_eq!(counts(8), vec![1, 2]);
        assert_eq!(counts(16), vec![1, 1, 1]);
        // A single node is its point.
        let porto = all_nodes(&index, 8)
            .into_iter()
            .find(|p| p.node.count == 1)
            .unwrap();
        assert_eq!(porto.node.point, 1);
        let (lng, lat) = index.position(porto.node).unwrap();
        assert!(
            (lng + 8.61).abs() < 1e-6 && (lat - 41.15).abs() < 1e-6,
            "{lng} {lat}"
        );
    }

    #[test]
    fn a_cluster_sits_at_the_weighted_centre_of_its_points() {
        let index = ClusterIndex::new(
            &index_of(&[(0.0, 0.0), (1.0, 0.0), (1.0, 0.0), (1.0, 0.0)]),
            ClusterOptions::default(),
        );
        let top = all_nodes(&index, 0);
        assert_eq!(top.len(), 1);
        let (lng, lat) = index.position(top[0].node).unwrap();
        assert!((lng - 0.75).abs() < 1e-6 && lat.abs() < 1e-6, "{lng} {lat}");
    }

    #[test]
    fn the_expansion_zoom_is_where_a_cluster_splits() {
        let index = ClusterIndex::new(
            &index_of(&[(-9.14, 38.72), (-8.61, 41.15), (-9.15, 38.73)]),
            ClusterOptions::default(),
        );
        let top = all_nodes(&index, 2)[0].node;
        let split = index.expansion_zoom(top);
        assert!(split > 2 && split <= 16);
        assert_eq!(
            all_nodes(&index, split - 1).len(),
            1,
            "still one cluster a zoom before"
        );
        assert_eq!(
            all_nodes(&index, split).len(),
            2,
            "two nodes at the expansion zoom"
        );
        // Points at the same place never split: past the deepest clustered zoom.
        let same = ClusterIndex::new(
            &index_of(&[(5.0, 5.0), (5.0, 5.0)]),
            ClusterOptions {
                radius: 60.0,
                max_zoom: 12,
            },
        );
        let node = all_nodes(&same, 4)[0].node;
        assert_eq!(node.count, 2);
        assert_eq!(same.expansion_zoom(node), 13);
    }

    #[test]
    fn clicks_find_the_bubble_under_them() {
        let index = ClusterIndex::new(
            &index_of(&[(10.0, 10.0), (10.01, 10.0), (-50.0, -20.0)]),
            ClusterOptions::default(),
        );
        let cluster = index.at(10.0, 10.005, 5, 5.0, 0.0).expect("the cluster");
        assert_eq!(cluster.count, 2);
        let single = index
            .at(-20.0, -50.0, 5, 5.0, 0.0)
            .expect("the single point");
        assert_eq!((single.count, single.point), (1, 2));
        assert_eq!(index.at(40.0, 40.0, 5, 5.0, 0.0), None);
        // Beyond the deepest clustered zoom there are no clusters to find.
        assert_eq!(index.at(10.0, 10.0, 17, 5.0, 0.0), None);
        assert_eq!(index.at(f64::NAN, 10.0, 5, 5.0, 0.0), None);
    }

    #[test]
    fn a_zoom_at_a_time_builds_the_same_index() {
        let points = index_of(&scattered(2_000));
        let options = ClusterOptions {
            radius: 50.0,
            max_zoom: 6,
        };
        let mut builder = ClusterBuilder::new(&points, options);
        let mut steps = 1;
        while builder.step() {
            steps += 1;
        }
        assert_eq!(steps, 7, "one step a zoom, 6 to 0");
        let stepped = builder.finish();
        let at_once = ClusterIndex::new(&points, options);
        for zoom in 0..=6 {
            assert_eq!(
                all_nodes(&stepped, zoom),
                all_nodes(&at_once, zoom),
                "zoom {zoom}"
            );
        }
    }

    #[test]
    fn leaves_stop_at_the_limit() {
        let points = vec![(3.0, 3.0); 50];
        let index = ClusterIndex::new(&index_of(&points), ClusterOptions::default());
        let node = all_nodes(&index, 10)[0].node;
        assert_eq!(node.count, 50);
        assert_eq!(index.leaves(node, 7).len(), 7);
        let all = index.leaves(node, 100);
        assert_eq!(all.len(), 50);
        assert!(all
            .iter()
            .all(|&(_, lng, lat)| (lng - 3.0).abs() < 1e-6 && (lat - 3.0).abs() < 1e-6));
    }

    #[test]
    fn no_points_no_clusters() {
        let index = ClusterIndex::new(&PointIndex::default(), ClusterOptions::default());
        assert!(all_nodes(&index, 3).is_empty());
        let odd = ClusterIndex::new(
            &index_of(&[(1.0, 1.0)]),
            ClusterOptions {
                radius: f64::NAN,
                max_zoom: 99,
            },
        );
        assert_eq!(odd.max_zoom(), MAX_CLUSTER_ZOOM);
        assert_eq!(odd.radius(), 60.0);
    }

    #[test]
    fn counts_are_short() {
        for (count, text) in [
            (7, "7"),
            (999, "999"),
            (1_000, "1.0k"),
            (1_249, "1.2k"),
            (35_120, "35k"),
            (1_400_000, "1.4M"),
        ] {
            assert_eq!(count_label(count), text);
        }
        assert!(bubble_radius(5) < bubble_radius(50) && bubble_radius(500) < bubble_radius(5_000));
    }

    #[test]
    fn spider_legs_keep_their_points_apart() {
        for count in [1, 2, 5, 8, 9, 30, 200] {
            let offsets = spider_offsets(count, 24.0);
            assert_eq!(offsets.len(), count);
            for (i, a) in offsets.iter().enumerate() {
                let from_centre = (a.0 * a.0 + a.1 * a.1).sqrt();
                assert!(
                    from_centre >= 20.0,
                    "{count}: point {i} is {from_centre} px from the centre"
                );
                for b in &offsets[i + 1..] {
                    let d = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
                    assert!(d >= 20.0, "{count}: points {d} px apart");
                }
            }
        }
    }
}
