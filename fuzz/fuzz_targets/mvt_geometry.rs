//! One feature's geometry commands (the part of a tile past the protobuf framing), decoded
//! directly: drawable, or None.
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::mvt::Geometry;

fuzz_target!(|input: (u8, Vec<u32>)| {
    let (kind, commands) = input;
    match Geometry::decode(i32::from(kind % 5), &commands) {
        Some(Geometry::Points(points)) => assert!(!points.is_empty()),
        Some(Geometry::Lines(lines)) => assert!(!lines.is_empty() && lines.iter().all(|l| l.len() >= 2)),
        Some(Geometry::Polygons(polygons)) => {
            assert!(!polygons.is_empty() && polygons.iter().flatten().all(|r| r.len() >= 3));
        }
        None => {}
    }
});
