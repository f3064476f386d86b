//! Points from raw f32 pairs (the binary form, straight from a file): every valid point is in
//! exactly one tile of a zoom, and finding and painting never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::points::{Painter, PointIndex, Rgba};

fuzz_target!(|bytes: &[u8]| {
    let pairs: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    let (index, skipped) = PointIndex::from_pairs_f32(&pairs);
    assert_eq!(index.len() + skipped.0, pairs.len() / 2);
    let z = 2;
    let total: usize = (0..4i64).flat_map(|x| (0..4i64).map(move |y| (x, y))).map(|(x, y)| index.in_tile(z, x, y, 0.0).len()).sum();
    assert_eq!(total, index.len(), "the tiles of a zoom partition the points");
    let points = index.in_tile(0, 0, 0, 8.0);
    let painter = Painter::circle(4.0, 1.0, Rgba([200, 0, 0, 255]), Rgba([255, 255, 255, 255]));
    let mut pixels = vec![0u8; 64 * 64 * 4];
    painter.paint(&points, 0.25, 64, 64, &mut pixels);
    let _ = index.nearest(10.0, 10.0, 3, 6.0);
});
