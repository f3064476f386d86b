//! Vector tile decoding speed on tiles Martin produced (tests/fixtures/mvt), natively:
//! `cargo run --release --example mvt_decode` (part of `make bench`). The browser runs the same
//! code as wasm, typically 1.5-2x slower.

use std::time::{Duration, Instant};

use meshmap::mvt::Tile;

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mvt");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    println!(
        "{:<52} {:>8} {:>9} {:>12} {:>10}",
        "tile (decode, native release)", "bytes", "features", "µs / tile", "MB/s"
    );
    for path in paths {
        let bytes = std::fs::read(&path).expect("fixture");
        let features = Tile::decode(&bytes).map(|t| t.feature_count()).unwrap_or(0);
        let mut runs = 0u32;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(400) {
            std::hint::black_box(Tile::decode(std::hint::black_box(&bytes)).ok());
            runs += 1;
        }
        let per_tile = start.elapsed().as_secs_f64() / f64::from(runs);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<52} {:>8} {:>9} {:>12.1} {:>10.1}",
            name,
            bytes.len(),
            features,
            per_tile * 1e6,
            bytes.len() as f64 / per_tile / 1e6
        );
    }
}
