use super::{FeatureSink, GeoJsonStream, GeometrySink};
use crate::geojson::{parse, Checked, GeoJsonError, GeometryPart};

/// What a sink was handed: each drawn feature's properties text and how many positions and
/// parts its geometry had.
#[derive(Debug, Default, PartialEq)]
struct Collected {
    features: Vec<String>,
    shapes: Vec<(usize, usize)>,
    resets: usize,
    /// Positions and parts given since the last feature, and where each open geometry began.
    pending: (usize, usize),
    marks: Vec<(usize, usize)>,
}

impl GeometrySink for Collected {
    fn begin(&mut self) {
        self.marks.push(self.pending);
    }
    fn end(&mut self) {
        self.marks.pop();
    }
    fn discard(&mut self) {
        self.pending = *self.marks.last().expect("inside a geometry");
    }
    fn position(&mut self, _lng: f64, _lat: f64) {
        self.pending.0 += 1;
    }
    fn end_part(&mut self, _part: GeometryPart) {
        self.pending.1 += 1;
    }
}

impl FeatureSink for Collected {
    fn feature(&mut self, properties: &str) {
        self.features.push(properties.to_owned());
        self.shapes.push(std::mem::take(&mut self.pending));
    }
    fn drop_feature(&mut self) {
        self.pending = (0, 0);
    }
    fn discard_feature(&mut self) {
        self.pending = (0, 0);
    }
    fn reset(&mut self) {
        self.resets += 1;
        self.features.clear();
        self.shapes.clear();
        self.pending = (0, 0);
    }
}

/// The document pushed in pieces of `piece` bytes.
fn streamed(text: &[u8], piece: usize) -> (Result<Checked, GeoJsonError>, Collected) {
    let mut stream = GeoJsonStream::new();
    let mut sink = Collected::default();
    for chunk in text.chunks(piece.max(1)) {
        if let Err(e) = stream.push(chunk, &mut sink) {
            return (Err(e), sink);
        }
    }
    (stream.finish(&mut sink), sink)
}

/// The stream agrees with `parse` on the verdict (errors word for word), however the bytes are
/// cut, and hands over every drawable feature.
fn agrees(text: &str) -> Collected {
    let whole = parse(text.strip_prefix('\u{feff}').unwrap_or(text));
    let mut first = None;
    for piece in [1, 2, 3, 7, 64, text.len()] {
        let (verdict, sink) = streamed(text.as_bytes(), piece);
        assert_eq!(verdict, whole, "cut every {piece} bytes: {text}");
        if let Ok(checked) = &verdict {
            assert_eq!(sink.features.len(), checked.features, "{text}");
        }
        first.get_or_insert(sink);
    }
    first.unwrap_or_default()
}

const POINT: &str = r#"{"type":"Feature","properties":{"name":"a"},"geometry":{"type":"Point","coordinates":[1,2]}}"#;
const NULL_GEOMETRY: &str = r#"{"type":"Feature","properties":null,"geometry":null}"#;
const BAD_LATITUDE: &str =
    r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,95]}}"#;

fn collection(features: &[&str]) -> String {
    format!(
        r#"{{"type": "FeatureCollection", "features": [{}]}}"#,
        features.join(",\n ")
    )
}

#[test]
fn a_collection_streams_feature_by_feature() {
    let text = collection(&[POINT, NULL_GEOMETRY, BAD_LATITUDE, POINT]);
    let sink = agrees(&text);
    assert_eq!(sink.features, [r#"{"name":"a"}"#, r#"{"name":"a"}"#]);
    assert_eq!(
        sink.shapes,
        [(1, 1), (1, 1)],
        "a point: one position, one part"
    );
    let (verdict, _) = streamed(text.as_bytes(), 5);
    let checked = verdict.unwrap();
    assert_eq!(checked.dropped, [2]);
    assert_eq!(checked.without_geometry, 1);
    assert_eq!(
        checked.issues[0].path, "features[2].geometry.coordinates",
        "paths are the document's"
    );
}

#[test]
fn only_the_feature_being_read_is_held() {
    let text = collection(&vec![POINT; 2000]);
    let mut stream = GeoJsonStream::new();
    let mut sink = Collected::default();
    let mut most = 0;
    for chunk in text.as_bytes().chunks(256) {
        stream.push(chunk, &mut sink).unwrap();
        most = most.max(stream.buffer.len() - stream.pos);
        assert!(stream.head.is_none() || stream.received < 100);
    }
    assert!(most < 256 + POINT.len(), "held {most} bytes");
    assert_eq!(stream.finish(&mut sink).unwrap().features, 2000);
}

#[test]
fn unusual_shapes_are_judged_whole() {
    // Features before the type, a lone feature, a bare geometry, members around the array.
    let features_first =
        format!(r#"{{"features": [{POINT}, {BAD_LATITUDE}], "type": "FeatureCollection"}}"#);
    assert_eq!(agrees(&features_first).features, [r#"{"name":"a"}"#]);
    assert_eq!(agrees(POINT).shapes, [(1, 1)]);
    let geometry = r#"{"type": "LineString", "coordinates": [[0,0],[1,1]]}"#;
    let sink = agrees(geometry);
    assert_eq!(
        (sink.features, sink.shapes),
        (vec!["null".to_owned()], vec![(2, 1)])
    );
    agrees(
        r#"{"type":"FeatureCollection","bbox":[0,0,1,1],"features":[],"crs":{"x":[1,{"y":"]"}]}}"#,
    );
    agrees(&format!("\u{feff}{}", collection(&[POINT])));
    agrees(" \n\t{ \"type\" : \"FeatureCollection\" ,\n \"features\" : [ ] } \n");
}

#[test]
fn a_repeated_features_member_replaces_the_first() {
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{POINT},{POINT}],"features":[{BAD_LATITUDE},{POINT}]}}"#
    );
    let sink = agrees(&text);
    assert_eq!(sink.features.len(), 1);
    assert_eq!(sink.resets, 1);
}

#[test]
fn what_is_not_geojson_is_refused_as_parse_refuses_it() {
    for text in [
        "",
        "[]",
        "{}",
        "{\"type\": 5}",
        "{\"type\": \"FeatureCollection\"}",
        "{\"type\": \"FeatureCollection\", \"features\": 5}",
        "{\"type\": \"Nope\"}",
        "{\"type\": \"FeatureCollection\", \"features\": []} x",
        "{\"type\": \"FeatureCollection\", \"features\": [] ",
        "{\"type\": \"FeatureCollection\" \"features\": []}",
        "{\"type\": \"FeatureCollection\", \"features\": [{}}]}",
        "{\"type\": \"FeatureCollection\", \"features\": [1 2]}",
        "{\"type\": \"FeatureCollection\", \"features\": [{\"type\":\"Feature\",\"geometry\":null,}]}",
        "{\"type\": \"FeatureCollection\", \"features\": [\n{\"type\":\n\"Feature\" x}]}",
        "{\"type\": \"FeatureCollection\", \"features\": [tru]}",
        "{\"type\": \"FeatureCollection\", \"features\": [], }",
        "{\"type\": \"FeatureCollection\", \"features\": [],\n\"features\": 5}",
        "{\"type\": \"FeatureCollection\", \"a\": [1,], \"features\": []}",
        "{type: 1}",
    ] {
        agrees(text);
    }
}

#[test]
fn a_type_that_changes_after_the_features_is_refused() {
    let text = format!(r#"{{"type":"FeatureCollection","features":[{POINT}],"type":"Feature"}}"#);
    let (verdict, _) = streamed(text.as_bytes(), 4);
    assert_eq!(
        verdict.unwrap_err().0,
        "the top-level \"type\" changes after the features"
    );
}

#[test]
fn text_is_utf8_however_the_bytes_are_cut() {
    let named = POINT.replace("\"a\"", "\"Zürich 東京 🗺\"");
    let sink = agrees(&collection(&[&named]));
    assert_eq!(sink.features, [r#"{"name":"Zürich 東京 🗺"}"#]);
    let mut bad = collection(&[POINT]).into_bytes();
    let at = bad.iter().position(|&b| b == b'a').unwrap();
    bad[at] = 0xff;
    let (verdict, _) = streamed(&bad, 3);
    assert_eq!(
        verdict.unwrap_err().0,
        format!("not UTF-8 text (byte {at})")
    );
}

/// Coordinates given twice (a repeated member, or before a repeated "type") reach the sink once,
/// as JSON.parse keeps the last; an invalid feature's positions are dropped.
#[test]
fn what_is_read_again_is_given_once() {
    for geometry in [
        r#"{"type":"LineString","coordinates":[[0,0],[1,1]],"coordinates":[[0,0],[1,1],[2,2]]}"#,
        r#"{"type":"Point","coordinates":[9,9],"type":"LineString","coordinates":[[0,0],[1,1],[2,2]]}"#,
        r#"{"coordinates":[[0,0],[1,1],[2,2]],"type":"LineString"}"#,
        r#"{"type":"Point","coordinates":[1,1],"type":"LineString"}"#,
    ] {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":null,"geometry":{geometry}}}]}}"#
        );
        let sink = agrees(&text);
        let expected = if geometry.contains("[2,2]") {
            (3, 1)
        } else {
            (0, 0)
        };
        if expected.0 > 0 {
            assert_eq!(sink.shapes, [expected], "{geometry}");
        } else {
            assert!(sink.shapes.is_empty(), "{geometry}: {:?}", sink.shapes);
        }
    }
    // A repeated "geometry": the last one.
    let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
        "geometry":{"type":"Point","coordinates":[1,1]},"geometry":{"type":"MultiPoint","coordinates":[[1,1],[2,2]]}}]}"#;
    assert_eq!(agrees(text).shapes, [(2, 1)]);
    // A GeometryCollection: every member's parts, nested ones too.
    let text = r#"{"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[
        {"type":"Point","coordinates":[1,1]},{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]]}]}]}}"#;
    assert_eq!(agrees(text).shapes, [(9, 3)]);
    // An invalid feature gives nothing, and the next one is whole.
    let text = collection(&[BAD_LATITUDE, POINT]);
    assert_eq!(agrees(&text).shapes, [(1, 1)]);
}

/// Found by the geojson fuzz target (kept as its seeds): a number followed directly by a NUL
/// byte; NUL bytes where a feature goes.
#[test]
fn fuzz_found_garbage_where_a_value_goes() {
    for seed in [
        "number-then-nul",
        "nul-where-a-feature-goes",
        "bom-then-garbage",
        "scalar-then-plus",
        "two-byte-order-marks",
    ] {
        let path = format!("{}/fuzz/seeds/geojson/{seed}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(path).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        let whole = parse(text.strip_prefix('\u{feff}').unwrap_or(text));
        assert!(whole.is_err());
        for piece in 1..64 {
            let (verdict, _) = streamed(&bytes, piece);
            assert_eq!(verdict, whole, "{seed}, cut every {piece}");
        }
    }
}
