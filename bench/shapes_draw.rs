//! GeoJSON drawn by Rust, natively: reading a document into a `ShapeSet` (checked, projected,
//! simplified) and planning the tiles of a view, per document. `cargo run --release --example
//! shapes_draw` (part of `make bench`). Browser figures are `make bench`'s browser half.

mod grid;

use std::time::{Duration, Instant};

use meshmap::config::Style;
use meshmap::geojson::stream::GeoJsonStream;
use meshmap::shapes::{ShapeSet, TileSpec};

fn read(text: &str) -> ShapeSet {
    let mut set = ShapeSet::default();
    let mut stream = GeoJsonStream::new();
    for piece in text.as_bytes().chunks(64 * 1024) {
        stream.push(piece, &mut set).expect("valid");
    }
    stream.finish(&mut set).expect("valid");
    set.shrink();
    set
}

/// Mean time of `f` over at least half a second.
fn time(mut f: impl FnMut()) -> f64 {
    let (mut runs, start) = (0u32, Instant::now());
    while start.elapsed() < Duration::from_millis(500) || runs < 3 {
        f();
        runs += 1;
    }
    start.elapsed().as_secs_f64() * 1e3 / f64::from(runs)
}

fn main() {
    let countries = include_str!("../assets/data/countries.geojson").to_owned();
    // `--write FILE N`: only write N generated polygons to FILE (the browser benchmark's data).
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, file, count] = args.as_slice() {
        if flag == "--write" {
            let count = count.parse().expect("a count");
            std::fs::write(file, grid::polygon_grid(count, 7)).expect("written");
            return;
        }
    }
    let grid = grid::polygon_grid(10_000, 7);
    // `--read`: only read the 10,000 polygons, for a profiler.
    if args.get(1).map(String::as_str) == Some("--read") {
        for _ in 0..5 {
            std::hint::black_box(read(&grid));
        }
        return;
    }
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9} {:>12} {:>14}",
        "document (native release)",
        "MB",
        "features",
        "vertices",
        "read ms",
        "heap MB",
        "tiles z2/z6 ms"
    );
    for (name, text) in [
        ("countries (177)", &countries),
        ("10,000 polygons (generated)", &grid),
    ] {
        let set = read(text);
        let read_ms = time(|| {
            std::hint::black_box(read(text));
        });
        let style = Style::default();
        // The tiles of a 1280x800 view: zoom 2 (the world) and zoom 6 (a region).
        let tiles = |z: u32, x0: u32, y0: u32| {
            time(|| {
                for x in x0..x0 + 6 {
                    for y in y0..y0 + 4 {
                        let spec = TileSpec {
                            z,
                            x: x % (1 << z),
                            y: y % (1 << z),
                            ratio: 1.0,
                        };
                        std::hint::black_box(set.plan_tile(spec, &style, true));
                    }
                }
            })
        };
        println!(
            "{:<34} {:>9.1} {:>9} {:>9} {:>9.1} {:>12.1} {:>6.1} /{:>6.1}",
            name,
            text.len() as f64 / 1e6,
            set.len(),
            set.vertices(),
            read_ms,
            set.heap_bytes() as f64 / 1e6,
            tiles(2, 0, 0),
            tiles(6, 30, 20),
        );
    }
}
