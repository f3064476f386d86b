//! Clustering speed (what a points overlay with `"cluster"` does when its data arrives),
//! natively: `cargo run --release --example cluster_build` (part of `make bench`). The browser's
//! figure (wasm, with the page around it) is `make bench`'s "points … clustered" rows.

use std::time::{Duration, Instant};

use meshmap::cluster::{ClusterIndex, ClusterOptions};
use meshmap::points::PointIndex;

fn main() {
    println!(
        "{:<36} {:>10} {:>12}",
        "points (clustered to zoom 16, native release)", "ms", "clusters z3"
    );
    for count in [10_000, 100_000, 1_000_000] {
        let pairs = clustered_points(count);
        let (index, _) = PointIndex::from_pairs(&pairs);
        let mut runs = 0u32;
        let start = Instant::now();
        let mut top = 0;
        while start.elapsed() < Duration::from_millis(800) || runs < 3 {
            let clusters =
                ClusterIndex::new(std::hint::black_box(&index), ClusterOptions::default());
            top = (0..8)
                .flat_map(|x| (0..8).map(move |y| (x, y)))
                .map(|(x, y)| clusters.in_tile(3, x, y, 0.0).len())
                .sum();
            runs += 1;
        }
        let per_run = start.elapsed().as_secs_f64() / f64::from(runs);
        println!(
            "{:<36} {:>10.1} {:>12}",
            format!("{}k", count / 1000),
            per_run * 1e3,
            top
        );
    }
}

/// Points around a few hundred centres, as real data clusters (the same shape as `make bench`'s
/// browser points).
fn clustered_points(count: usize) -> Vec<f64> {
    let mut seeded = meshmap::math::SeededRandom::new(12345);
    let mut random = move || seeded.next_f64();
    let centres: Vec<(f64, f64)> = (0..240)
        .map(|_| (random() * 340.0 - 170.0, random() * 140.0 - 65.0))
        .collect();
    let mut out = Vec::with_capacity(count * 2);
    for _ in 0..count {
        let (lng, lat) = centres[(random() * centres.len() as f64) as usize % centres.len()];
        let spread = 0.2 + random() * 6.0;
        let (angle, distance) = (random() * std::f64::consts::TAU, random().sqrt() * spread);
        out.push((lng + angle.cos() * distance).clamp(-180.0, 180.0));
        out.push((lat + angle.sin() * distance).clamp(-85.0, 85.0));
    }
    out
}
