//! GeoJSON bytes → the verdict (features kept, dropped), three ways that must agree: the check
//! of the whole text, the same check of the parsed tree, and the streamed check (the bytes cut
//! into pieces of 1 to 61 bytes, a size the input's length picks) reading the shapes to draw; the points a
//! points layer reads; the shapes planned onto tiles and hit-tested without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::config::Style;
use meshmap::geojson::{self, stream::GeoJsonStream};
use meshmap::json::Json;
use meshmap::points::geojson::PointsReader;
use meshmap::shapes::{ShapeSet, TileSpec};

fuzz_target!(|bytes: &[u8]| {
    let cut = 1 + bytes.len().wrapping_mul(7919) % 61;
    let mut shapes = ShapeSet::default();
    let mut stream = GeoJsonStream::new();
    let streamed = bytes
        .chunks(cut)
        .try_for_each(|piece| stream.push(piece, &mut shapes))
        .and_then(|()| stream.finish(&mut shapes));
    let Ok(text) = std::str::from_utf8(bytes) else {
        assert!(streamed.is_err(), "bytes that are not UTF-8 are refused");
        return;
    };
    let verdict = geojson::parse(text.strip_prefix('\u{feff}').unwrap_or(text));
    // The one shape the stream refuses on purpose, whatever the whole text is (src/geojson/stream.rs).
    let refused_on_purpose = streamed
        .as_ref()
        .is_err_and(|e| e.0 == "the top-level \"type\" changes after the features");
    match (&verdict, &streamed) {
        _ if refused_on_purpose => {}
        (Ok(whole), Ok(piecewise)) => assert_eq!(whole, piecewise),
        (Err(whole), Err(piecewise)) => assert_eq!(whole, piecewise),
        (Ok(_), Err(e)) => panic!("the stream refuses what the check accepts: {e}"),
        (Err(e), Ok(_)) => panic!("the stream accepts what the check refuses: {e}"),
    }
    if let Ok(checked) = &verdict {
        // The check accepts only JSON, and says the same of the parsed tree.
        let tree = Json::parse(text.strip_prefix('\u{feff}').unwrap_or(text)).expect("a checked document is JSON");
        assert_eq!(geojson::check(&tree).as_ref().ok(), Some(checked));
        assert!(checked.dropped.windows(2).all(|w| w[0] < w[1]), "dropped indexes ascend");
        assert!(checked.issues.len() <= checked.dropped.len());
        let mut points = PointsReader::default();
        let again = geojson::parse_with(text.strip_prefix('\u{feff}').unwrap_or(text), &mut points);
        assert_eq!(again.as_ref().ok(), Some(checked));
        assert_eq!(points.lng_lat.len(), 2 * points.feature_of.len());
        assert!(points.lng_lat.iter().all(|v| v.is_finite()));
    }
    if streamed.is_ok() {
        assert!(shapes.len() <= streamed.as_ref().map_or(0, |c| c.features));
        let style = Style::default();
        for (z, x, y) in [(0, 0, 0), (2, 1, 1), (5, 16, 10)] {
            let plan = shapes.plan_tile(TileSpec { z, x, y, ratio: 1.0 }, &style, true);
            assert!(plan.commands.iter().all(|c| c.is_finite()));
        }
        let _ = shapes.hit(10.0, 10.0, 3.0, 4.0, &style, true);
    }
});
