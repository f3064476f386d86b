//! GeoJSON text → the verdict (features kept, dropped) and point positions, consistent with
//! each other and with the JSON parser's view of the text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::geojson;
use meshmap::json::Json;

fuzz_target!(|text: &str| {
    let verdict = geojson::parse(text);
    if let Ok(checked) = &verdict {
        // The streaming check accepts only JSON, and says the same of the parsed tree.
        let tree = Json::parse(text).expect("a checked document is JSON");
        assert_eq!(geojson::check(&tree).as_ref().ok(), Some(checked));
        assert!(checked.dropped.windows(2).all(|w| w[0] < w[1]), "dropped indexes ascend");
        assert!(checked.issues.len() <= checked.dropped.len());
        let points = geojson::point_positions(text, checked);
        assert_eq!(points.lng_lat.len(), 2 * points.feature.len());
        assert!(points.lng_lat.iter().all(|v| v.is_finite()));
    }
});
