//! Generated GeoJSON shaped like administrative areas, for benchmarks: `count` polygons in a
//! jittered grid over Europe, neighbours sharing their wiggly borders exactly (as real districts
//! do), about 100 vertices each, with a few properties. Deterministic: the same bytes every run.

/// A FeatureCollection of `count` polygons (rounded up to a full grid), seeded by `seed`.
pub fn polygon_grid(count: usize, seed: u64) -> String {
    let columns = ((count as f64) * 1.6).sqrt().ceil() as usize;
    let rows = count.div_ceil(columns);
    let (west, south, east, north) = (-10.0, 35.0, 40.0, 70.0);
    let (dx, dy) = (
        (east - west) / columns as f64,
        (north - south) / rows as f64,
    );
    let mut random = Lcg(seed);
    // Lattice corners, jittered (a third of a cell at most).
    let corner: Vec<Vec<(f64, f64)>> = (0..=rows)
        .map(|r| {
            (0..=columns)
                .map(|c| {
                    let edge = r == 0 || c == 0 || r == rows || c == columns;
                    let jitter = if edge { 0.0 } else { 0.33 };
                    (
                        west + (c as f64 + jitter * (random.next() - 0.5)) * dx,
                        south + (r as f64 + jitter * (random.next() - 0.5)) * dy,
                    )
                })
                .collect()
        })
        .collect();
    // A border between two corners: 24 segments with a wiggle of its own (its seed is the
    // border's), walked the same way by both neighbours.
    let border = |a: (usize, usize), b: (usize, usize)| -> Vec<(f64, f64)> {
        let (from, to, flip) = if a <= b { (a, b, false) } else { (b, a, true) };
        let mut wiggle =
            Lcg(seed ^ ((from.0 * 7919 + from.1) as u64) << 20 ^ (to.0 * 104_729 + to.1) as u64);
        let phases = [
            wiggle.next() * std::f64::consts::TAU,
            wiggle.next() * std::f64::consts::TAU,
            wiggle.next() * std::f64::consts::TAU,
        ];
        let (p, q) = (corner[from.0][from.1], corner[to.0][to.1]);
        let (ex, ey) = (q.0 - p.0, q.1 - p.1);
        let mut points: Vec<(f64, f64)> = (0..=24)
            .map(|i| {
                let t = i as f64 / 24.0;
                let bump = (t * std::f64::consts::PI).sin()
                    * (0.05 * (t * 9.0 + phases[0]).sin()
                        + 0.03 * (t * 23.0 + phases[1]).sin()
                        + 0.015 * (t * 61.0 + phases[2]).sin());
                (p.0 + ex * t - ey * bump, p.1 + ey * t + ex * bump)
            })
            .collect();
        if flip {
            points.reverse();
        }
        points
    };
    let mut features = Vec::with_capacity(rows * columns);
    for r in 0..rows {
        for c in 0..columns {
            let id = r * columns + c;
            if id >= count {
                break;
            }
            // Counter-clockwise: south, east, north, west borders.
            let mut ring: Vec<(f64, f64)> = Vec::new();
            for (a, b) in [
                ((r, c), (r, c + 1)),
                ((r, c + 1), (r + 1, c + 1)),
                ((r + 1, c + 1), (r + 1, c)),
                ((r + 1, c), (r, c)),
            ] {
                let mut part = border(a, b);
                part.pop();
                ring.extend(part);
            }
            ring.push(ring[0]);
            let coordinates: Vec<String> = ring
                .iter()
                .map(|(x, y)| format!("[{x:.6},{y:.6}]"))
                .collect();
            let population = (random.next() * 500_000.0) as u64;
            features.push(format!(
                r#"{{"type":"Feature","properties":{{"id":{id},"name":"District {id}","population":{population}}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
                coordinates.join(",")
            ));
        }
    }
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",\n")
    )
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants): reproducible numbers in 0..1.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
