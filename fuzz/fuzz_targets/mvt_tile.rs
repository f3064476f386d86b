//! Tile bytes → a Tile whose every feature is drawable, or an error; and drawing it (the command
//! list) and hit-testing it never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::config::Style;
use meshmap::mvt::{Geometry, Tile};

fuzz_target!(|bytes: &[u8]| {
    let Ok(tile) = Tile::decode(bytes) else { return };
    for layer in &tile.layers {
        assert!(layer.extent > 0);
        for feature in &layer.features {
            match &feature.geometry {
                Geometry::Points(points) => assert!(!points.is_empty()),
                Geometry::Lines(lines) => assert!(lines.iter().all(|l| l.len() >= 2)),
                Geometry::Polygons(polygons) => assert!(polygons.iter().flatten().all(|r| r.len() >= 3)),
            }
        }
        let _ = meshmap::tile_math::hit(layer, [100.0, 100.0], 16.0);
    }
    let style = Style { label: Some("name".into()), ..Style::default() };
    let plan = meshmap::tile_plan::plan_tile(&tile, &style, 5, 2.0, |text| text.len() as f64 * 7.0);
    assert_eq!(plan.label_positions.len(), 2 * plan.label_texts.len());
});
