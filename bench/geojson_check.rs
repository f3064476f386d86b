//! GeoJSON checking speed (what the app does to a document before Leaflet draws it), natively:
//! `cargo run --release --example geojson_check` (part of `make bench`).

use std::time::{Duration, Instant};

fn main() {
    let countries = include_str!("../assets/data/countries.geojson");
    let places = include_str!("../assets/data/places.geojson");
    let points = synthetic_points(100_000);
    println!(
        "{:<40} {:>10} {:>9} {:>10} {:>10}",
        "document (check, native release)", "bytes", "features", "ms", "MB/s"
    );
    for (name, text) in [
        ("countries.geojson", countries),
        ("places.geojson", places),
        ("100k points (synthetic)", points.as_str()),
    ] {
        let features = meshmap::geojson::parse(text)
            .map(|c| c.features)
            .unwrap_or(0);
        let mut runs = 0u32;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(500) || runs < 3 {
            std::hint::black_box(meshmap::geojson::parse(std::hint::black_box(text)).ok());
            runs += 1;
        }
        let per_run = start.elapsed().as_secs_f64() / f64::from(runs);
        println!(
            "{:<40} {:>10} {:>9} {:>10.2} {:>10.1}",
            name,
            text.len(),
            features,
            per_run * 1e3,
            text.len() as f64 / per_run / 1e6
        );
    }
}

fn synthetic_points(count: usize) -> String {
    let mut seed = 12345u32;
    let mut next = || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        f64::from(seed >> 8) / f64::from(1u32 << 24)
    };
    let features: Vec<String> = (0..count)
        .map(|i| format!(r#"{{"type":"Feature","properties":{{"id":{i}}},"geometry":{{"type":"Point","coordinates":[{:.5},{:.5}]}}}}"#, next() * 360.0 - 180.0, next() * 170.0 - 85.0))
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}
