//! GeoJSON checks (RFC 7946) before anything reaches Leaflet.
//!
//! Leaflet throws on a malformed geometry and stops drawing the whole layer, so every geometry is
//! checked here first. A document that is not GeoJSON at all is an error for its overlay; a single
//! bad feature is dropped and reported, and the rest of the overlay is still drawn.

use serde_json::{Map, Value};

/// How many dropped features are described one by one; the rest are only counted.
const MAX_REPORTED_ISSUES: usize = 10;

/// A document that cannot be drawn at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeoJsonError(pub String);

impl std::fmt::Display for GeoJsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not GeoJSON: {}", self.0)
    }
}

/// One dropped feature: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub path: String,
    pub message: String,
}

/// The drawable part of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// A FeatureCollection holding only features with a valid geometry.
    pub collection: Value,
    pub features: usize,
    /// Features whose geometry is `null` (valid GeoJSON, nothing to draw).
    pub without_geometry: usize,
    /// Features dropped because their geometry is invalid.
    pub invalid: usize,
    /// The first few invalid features, described.
    pub issues: Vec<Issue>,
}

impl Checked {
    /// A one-line summary of what was dropped, if anything was.
    pub fn warning(&self) -> Option<String> {
        let first = self.issues.first()?;
        let more = self.invalid - 1;
        let tail = if more > 0 { format!(" (and {more} more)") } else { String::new() };
        Some(format!(
            "{} invalid feature{} skipped: {}: {}{tail}",
            self.invalid,
            if self.invalid == 1 { "" } else { "s" },
            first.path,
            first.message
        ))
    }
}

/// Parses and checks the text of a GeoJSON document.
pub fn parse(text: &str) -> Result<Checked, GeoJsonError> {
    let document: Value = serde_json::from_str(text).map_err(|e| {
        GeoJsonError(format!("the response is not JSON (line {}, column {}: {e})", e.line(), e.column()))
    })?;
    check(&document)
}

/// Checks a parsed document: a FeatureCollection, a Feature, or a bare geometry.
pub fn check(document: &Value) -> Result<Checked, GeoJsonError> {
    let object = document
        .as_object()
        .ok_or_else(|| GeoJsonError(format!("expected an object, found {}", kind(document))))?;
    let type_name = object
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| GeoJsonError("the top-level object has no \"type\" string".into()))?;
    let mut checked = Checked {
        collection: Value::Null,
        features: 0,
        without_geometry: 0,
        invalid: 0,
        issues: Vec::new(),
    };
    let mut kept = Vec::new();
    match type_name {
        "FeatureCollection" => {
            let features = object.get("features").and_then(Value::as_array).ok_or_else(|| {
                GeoJsonError("a FeatureCollection needs a \"features\" array".into())
            })?;
            for (i, feature) in features.iter().enumerate() {
                checked.keep(feature, &format!("features[{i}]"), &mut kept);
            }
        }
        "Feature" => checked.keep(document, "", &mut kept),
        geometry if is_geometry_type(geometry) => {
            if let Err(issue) = check_geometry(object, "") {
                return Err(GeoJsonError(format!("{}: {}", display_path(&issue.path), issue.message)));
            }
            kept.push(serde_json::json!({"type": "Feature", "properties": {}, "geometry": document}));
        }
        other => {
            return Err(GeoJsonError(format!(
                "unknown type {other:?}; expected FeatureCollection, Feature or a geometry"
            )))
        }
    }
    checked.features = kept.len();
    checked.collection = serde_json::json!({"type": "FeatureCollection", "features": kept});
    Ok(checked)
}

impl Checked {
    fn keep(&mut self, feature: &Value, path: &str, kept: &mut Vec<Value>) {
        match check_feature(feature, path) {
            Ok(true) => kept.push(feature.clone()),
            Ok(false) => self.without_geometry += 1,
            Err(issue) => {
                self.invalid += 1;
                if self.issues.len() < MAX_REPORTED_ISSUES {
                    self.issues.push(issue);
                }
            }
        }
    }
}

/// Ok(true): drawable; Ok(false): null geometry; Err: invalid.
fn check_feature(feature: &Value, path: &str) -> Result<bool, Issue> {
    let object = feature.as_object().ok_or_else(|| issue(path, "a feature must be an object"))?;
    if object.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(issue(path, "\"type\" must be \"Feature\""));
    }
    match object.get("properties") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err(issue(&join(path, "properties"), "must be an object or null")),
    }
    match object.get("geometry") {
        None => Err(issue(path, "a feature needs a \"geometry\" member (it may be null)")),
        Some(Value::Null) => Ok(false),
        Some(Value::Object(geometry)) => {
            check_geometry(geometry, &join(path, "geometry")).map(|()| true)
        }
        Some(other) => Err(issue(&join(path, "geometry"), &format!("expected an object, found {}", kind(other)))),
    }
}

fn is_geometry_type(name: &str) -> bool {
    matches!(
        name,
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
            | "GeometryCollection"
    )
}

fn check_geometry(geometry: &Map<String, Value>, path: &str) -> Result<(), Issue> {
    let type_name = geometry
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| issue(path, "a geometry needs a \"type\" string"))?;
    if type_name == "GeometryCollection" {
        let members = geometry
            .get("geometries")
            .and_then(Value::as_array)
            .ok_or_else(|| issue(path, "a GeometryCollection needs a \"geometries\" array"))?;
        for (i, member) in members.iter().enumerate() {
            let member_path = format!("{}[{i}]", join(path, "geometries"));
            let object = member
                .as_object()
                .ok_or_else(|| issue(&member_path, "a geometry must be an object"))?;
            check_geometry(object, &member_path)?;
        }
        return Ok(());
    }
    let depth = match type_name {
        "Point" => 0,
        "MultiPoint" | "LineString" => 1,
        "MultiLineString" | "Polygon" => 2,
        "MultiPolygon" => 3,
        other => return Err(issue(path, &format!("unknown geometry type {other:?}"))),
    };
    let coordinates_path = join(path, "coordinates");
    let coordinates = geometry
        .get("coordinates")
        .ok_or_else(|| issue(path, &format!("a {type_name} needs \"coordinates\"")))?;
    check_nested(coordinates, depth, type_name, &coordinates_path)
}

/// Checks `depth` levels of arrays around positions, with each type's minimum lengths.
fn check_nested(value: &Value, depth: usize, type_name: &str, path: &str) -> Result<(), Issue> {
    if depth == 0 {
        return check_position(value, path);
    }
    let items = value
        .as_array()
        .ok_or_else(|| issue(path, &format!("expected an array, found {}", kind(value))))?;
    let minimum = match (type_name, depth) {
        ("LineString", 1) | ("MultiLineString", 1) => 2,
        ("Polygon", 1) | ("MultiPolygon", 1) => 4,
        ("Polygon", 2) | ("MultiPolygon", 2) => 1,
        _ => 0,
    };
    if items.len() < minimum {
        let what = if minimum == 4 { "a linear ring needs at least 4 positions" } else if minimum == 2 {
            "a line needs at least 2 positions"
        } else {
            "a polygon needs at least one ring"
        };
        return Err(issue(path, &format!("{what}, found {}", items.len())));
    }
    for (i, item) in items.iter().enumerate() {
        check_nested(item, depth - 1, type_name, &format!("{path}[{i}]"))?;
    }
    Ok(())
}

fn check_position(value: &Value, path: &str) -> Result<(), Issue> {
    let numbers = value
        .as_array()
        .ok_or_else(|| issue(path, &format!("a position must be an array, found {}", kind(value))))?;
    if numbers.len() < 2 {
        return Err(issue(path, "a position needs longitude and latitude"));
    }
    let mut values = numbers.iter().map(Value::as_f64);
    let (Some(Some(lng)), Some(Some(lat))) = (values.next(), values.next()) else {
        return Err(issue(path, "longitude and latitude must be numbers"));
    };
    if numbers.iter().skip(2).any(|n| n.as_f64().is_none()) {
        return Err(issue(path, "an altitude must be a number"));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(issue(path, &format!("latitude {lat} is out of range -90..90")));
    }
    // Data that crosses the antimeridian legitimately goes a little past ±180.
    if !(-360.0..=360.0).contains(&lng) {
        return Err(issue(path, &format!("longitude {lng} is out of range -360..360")));
    }
    Ok(())
}

fn issue(path: &str, message: &str) -> Issue {
    Issue { path: display_path(path), message: message.to_owned() }
}

fn display_path(path: &str) -> String {
    if path.is_empty() { "(document)".to_owned() } else { path.to_owned() }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A feature's properties as rows of (key, text) for a popup, in document order.
/// Strings are shown as they are (the popup inserts them as text, never as HTML); other values as JSON.
pub fn property_rows(properties: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Object(map)) = properties else {
        return Vec::new();
    };
    map.iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn feature(geometry: Value) -> Value {
        json!({"type": "Feature", "properties": {"name": "x"}, "geometry": geometry})
    }

    fn collection(features: Vec<Value>) -> Value {
        json!({"type": "FeatureCollection", "features": features})
    }

    #[test]
    fn every_geometry_type_is_accepted() {
        let ring = json!([[0, 0], [1, 0], [1, 1], [0, 0]]);
        let geometries = vec![
            json!({"type": "Point", "coordinates": [1.5, 2.5]}),
            json!({"type": "Point", "coordinates": [1.5, 2.5, 100]}),
            json!({"type": "MultiPoint", "coordinates": [[1, 2], [3, 4]]}),
            json!({"type": "LineString", "coordinates": [[1, 2], [3, 4]]}),
            json!({"type": "MultiLineString", "coordinates": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]}),
            json!({"type": "Polygon", "coordinates": [ring.clone()]}),
            json!({"type": "MultiPolygon", "coordinates": [[ring.clone()], [ring.clone(), ring.clone()]]}),
            json!({"type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": [0, 0]},
                {"type": "GeometryCollection", "geometries": [{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}]}
            ]}),
        ];
        let count = geometries.len();
        let checked = check(&collection(geometries.into_iter().map(feature).collect())).unwrap();
        assert_eq!((checked.features, checked.invalid, checked.without_geometry), (count, 0, 0));
        assert_eq!(checked.warning(), None);
    }

    #[test]
    fn null_geometry_is_skipped_not_an_error() {
        let doc = collection(vec![feature(Value::Null), feature(json!({"type": "Point", "coordinates": [0, 0]}))]);
        let checked = check(&doc).unwrap();
        assert_eq!((checked.features, checked.without_geometry, checked.invalid), (1, 1, 0));
        assert_eq!(checked.collection["features"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_bare_feature_or_geometry_becomes_a_collection() {
        let checked = check(&feature(json!({"type": "Point", "coordinates": [0, 0]}))).unwrap();
        assert_eq!(checked.features, 1);
        let checked = check(&json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]})).unwrap();
        assert_eq!(checked.collection["type"], "FeatureCollection");
        assert_eq!(checked.collection["features"][0]["geometry"]["type"], "LineString");
    }

    #[test]
    fn documents_that_are_not_geojson_are_errors() {
        for (doc, needle) in [
            (json!([1, 2]), "expected an object, found an array"),
            (json!("hello"), "found a string"),
            (json!({"features": []}), "no \"type\""),
            (json!({"type": "Topology", "objects": {}}), "unknown type \"Topology\""),
            (json!({"type": "FeatureCollection"}), "\"features\" array"),
            (json!({"type": "FeatureCollection", "features": {}}), "\"features\" array"),
            (json!({"type": "Point", "coordinates": "0,0"}), "coordinates"),
        ] {
            let error = check(&doc).unwrap_err().to_string();
            assert!(error.starts_with("not GeoJSON: "), "{error}");
            assert!(error.contains(needle), "{error:?} should mention {needle:?}");
        }
    }

    #[test]
    fn invalid_features_are_dropped_and_reported_with_their_path() {
        let doc = collection(vec![
            feature(json!({"type": "Point", "coordinates": [0, 0]})),
            feature(json!({"type": "Point", "coordinates": [0, 95]})),
            feature(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]})),
            json!({"type": "Feature", "properties": 5, "geometry": null}),
            json!("not a feature"),
            json!({"type": "Feature"}),
        ]);
        let checked = check(&doc).unwrap();
        assert_eq!((checked.features, checked.invalid), (1, 5));
        assert_eq!(checked.issues[0].path, "features[1].geometry.coordinates");
        assert!(checked.issues[0].message.contains("latitude 95"));
        assert_eq!(checked.issues[1].path, "features[2].geometry.coordinates[0]");
        assert!(checked.issues[1].message.contains("at least 4 positions"));
        assert_eq!(checked.issues[2].path, "features[3].properties");
        assert_eq!(checked.issues[3].path, "features[4]");
        assert_eq!(checked.issues[4].path, "features[5]");
        let warning = checked.warning().unwrap();
        assert!(warning.starts_with("5 invalid features skipped: features[1].geometry.coordinates"), "{warning}");
        assert!(warning.ends_with("(and 4 more)"), "{warning}");
    }

    #[test]
    fn malformed_coordinates_of_every_kind() {
        for (geometry, path) in [
            (json!({"type": "Point"}), "features[0].geometry"),
            (json!({"type": "Point", "coordinates": [1]}), "features[0].geometry.coordinates"),
            (json!({"type": "Point", "coordinates": ["1", "2"]}), "features[0].geometry.coordinates"),
            (json!({"type": "Point", "coordinates": [1, 2, "high"]}), "features[0].geometry.coordinates"),
            (json!({"type": "Point", "coordinates": [400, 0]}), "features[0].geometry.coordinates"),
            (json!({"type": "LineString", "coordinates": [[0, 0]]}), "features[0].geometry.coordinates"),
            (json!({"type": "LineString", "coordinates": [0, 0]}), "features[0].geometry.coordinates[0]"),
            (json!({"type": "Polygon", "coordinates": []}), "features[0].geometry.coordinates"),
            (json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], null]]]}), "features[0].geometry.coordinates[0][0][3]"),
            (json!({"type": "GeometryCollection"}), "features[0].geometry"),
            (json!({"type": "GeometryCollection", "geometries": [{"type": "Circle"}]}), "features[0].geometry.geometries[0]"),
            (json!({"type": "GeometryCollection", "geometries": [7]}), "features[0].geometry.geometries[0]"),
            (json!({"coordinates": [0, 0]}), "features[0].geometry"),
        ] {
            let checked = check(&collection(vec![feature(geometry.clone())])).unwrap();
            assert_eq!(checked.invalid, 1, "{geometry}");
            assert_eq!(checked.issues[0].path, path, "{geometry}");
        }
    }

    #[test]
    fn only_the_first_issues_are_described() {
        let bad = feature(json!({"type": "Point", "coordinates": []}));
        let checked = check(&collection(vec![bad; 50])).unwrap();
        assert_eq!(checked.invalid, 50);
        assert_eq!(checked.issues.len(), MAX_REPORTED_ISSUES);
    }

    #[test]
    fn deeply_nested_garbage_does_not_overflow() {
        let mut value = json!([0, 0]);
        for _ in 0..100 {
            value = json!([value]);
        }
        let checked = check(&collection(vec![feature(json!({"type": "MultiPolygon", "coordinates": value}))])).unwrap();
        assert_eq!(checked.invalid, 1);
    }

    #[test]
    fn text_that_is_not_json_is_an_error() {
        for text in ["<!doctype html><html>", "", "{\"type\": \"Feature\",", "null"] {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.starts_with("not GeoJSON"), "{error}");
        }
        assert!(parse("<html>").unwrap_err().to_string().contains("not JSON (line 1, column 1"));
        assert_eq!(parse("{\"type\":\"Point\",\"coordinates\":[1,2]}").unwrap().features, 1);
    }

    #[test]
    fn property_rows_keep_markup_as_text() {
        let rows = property_rows(Some(&json!({
            "name": "<img src=x onerror=alert(1)>",
            "pop": 1200,
            "capital": true,
            "nothing": null,
            "nested": {"a": [1, 2]}
        })));
        assert_eq!(rows[0], ("name".into(), "<img src=x onerror=alert(1)>".into()));
        assert!(rows.contains(&("pop".into(), "1200".into())));
        assert!(rows.contains(&("capital".into(), "true".into())));
        assert!(rows.contains(&("nothing".into(), "null".into())));
        assert!(rows.contains(&("nested".into(), "{\"a\":[1,2]}".into())));
        assert!(property_rows(Some(&Value::Null)).is_empty());
        assert!(property_rows(None).is_empty());
    }
}
