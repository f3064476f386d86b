//! GeoJSON checks (RFC 7946) before anything reaches Leaflet.
//!
//! Leaflet throws on a malformed geometry and stops drawing the whole layer, so every geometry is
//! checked here first. A document that is not GeoJSON at all is an error for its overlay; a single
//! bad feature is dropped and reported, and the rest of the overlay is still drawn.
//!
//! The check only reads: it says which features to drop ([`Checked::dropped`]), and the browser's
//! own `JSON.parse` builds the objects Leaflet draws, so a document is parsed into Rust once and
//! never copied or written back out.

use crate::json::{Json, JsonError};

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

/// What the top level of a document is, so the drawing side can hand Leaflet a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    FeatureCollection,
    Feature,
    /// A bare geometry: drawn as one feature without properties.
    Geometry,
}

/// The verdict on a document that can be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub shape: Shape,
    /// Features with a geometry that will be drawn.
    pub features: usize,
    /// Features whose geometry is `null` (valid GeoJSON, nothing to draw).
    pub without_geometry: usize,
    /// Indexes into `features` of the invalid features to leave out, ascending (a FeatureCollection
    /// only; an invalid lone Feature is an error for the whole document).
    pub dropped: Vec<usize>,
    /// The first few invalid features, described.
    pub issues: Vec<Issue>,
}

impl Checked {
    /// Features dropped because their geometry is invalid.
    pub fn invalid(&self) -> usize {
        self.dropped.len()
    }

    /// A one-line summary of what was dropped, if anything was.
    pub fn warning(&self) -> Option<String> {
        let first = self.issues.first()?;
        let invalid = self.invalid();
        let more = invalid - 1;
        let tail = if more > 0 { format!(" (and {more} more)") } else { String::new() };
        Some(format!(
            "{} invalid feature{} skipped: {}: {}{tail}",
            invalid,
            if invalid == 1 { "" } else { "s" },
            first.path,
            first.message
        ))
    }
}

/// Parses and checks the text of a GeoJSON document.
pub fn parse(text: &str) -> Result<Checked, GeoJsonError> {
    let document = Json::parse(text).map_err(|e: JsonError| {
        GeoJsonError(format!("the response is not JSON ({e})"))
    })?;
    check(&document)
}

/// Checks a parsed document: a FeatureCollection, a Feature, or a bare geometry.
pub fn check(document: &Json) -> Result<Checked, GeoJsonError> {
    if document.as_object().is_none() {
        return Err(GeoJsonError(format!("expected an object, found {}", kind(document))));
    }
    let type_name = document
        .get("type")
        .and_then(Json::as_str)
        .ok_or_else(|| GeoJsonError("the top-level object has no \"type\" string".into()))?;
    let mut checked = Checked { shape: Shape::FeatureCollection, features: 0, without_geometry: 0, dropped: Vec::new(), issues: Vec::new() };
    match type_name {
        "FeatureCollection" => {
            let features = document.get("features").and_then(Json::as_array).ok_or_else(|| {
                GeoJsonError("a FeatureCollection needs a \"features\" array".into())
            })?;
            for (i, feature) in features.iter().enumerate() {
                // Paths are written out only for the features that have a problem.
                match check_feature(feature, "").map_err(|issue| within(issue, &format!("features[{i}]"))) {
                    Ok(true) => checked.features += 1,
                    Ok(false) => checked.without_geometry += 1,
                    Err(issue) => {
                        checked.dropped.push(i);
                        if checked.issues.len() < MAX_REPORTED_ISSUES {
                            checked.issues.push(issue);
                        }
                    }
                }
            }
        }
        "Feature" => {
            checked.shape = Shape::Feature;
            match check_feature(document, "") {
                Ok(true) => checked.features = 1,
                Ok(false) => checked.without_geometry = 1,
                Err(issue) => return Err(GeoJsonError(format!("{}: {}", issue.path, issue.message))),
            }
        }
        geometry if is_geometry_type(geometry) => {
            checked.shape = Shape::Geometry;
            if let Err(issue) = check_geometry(document, "") {
                return Err(GeoJsonError(format!("{}: {}", display_path(&issue.path), issue.message)));
            }
            checked.features = 1;
        }
        other => {
            return Err(GeoJsonError(format!(
                "unknown type {other:?}; expected FeatureCollection, Feature or a geometry"
            )))
        }
    }
    Ok(checked)
}

/// Ok(true): drawable; Ok(false): null geometry; Err: invalid.
fn check_feature(feature: &Json, path: &str) -> Result<bool, Issue> {
    if feature.as_object().is_none() {
        return Err(issue(path, "a feature must be an object"));
    }
    if feature.get("type").and_then(Json::as_str) != Some("Feature") {
        return Err(issue(path, "\"type\" must be \"Feature\""));
    }
    match feature.get("properties") {
        None | Some(Json::Null) | Some(Json::Object(_)) => {}
        Some(_) => return Err(issue(&join(path, "properties"), "must be an object or null")),
    }
    match feature.get("geometry") {
        None => Err(issue(path, "a feature needs a \"geometry\" member (it may be null)")),
        Some(Json::Null) => Ok(false),
        Some(geometry @ Json::Object(_)) => check_geometry(geometry, &join(path, "geometry")).map(|()| true),
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

fn check_geometry(geometry: &Json, path: &str) -> Result<(), Issue> {
    let type_name = geometry
        .get("type")
        .and_then(Json::as_str)
        .ok_or_else(|| issue(path, "a geometry needs a \"type\" string"))?;
    if type_name == "GeometryCollection" {
        let members = geometry
            .get("geometries")
            .and_then(Json::as_array)
            .ok_or_else(|| issue(path, "a GeometryCollection needs a \"geometries\" array"))?;
        for (i, member) in members.iter().enumerate() {
            let member_path = format!("{}[{i}]", join(path, "geometries"));
            if member.as_object().is_none() {
                return Err(issue(&member_path, "a geometry must be an object"));
            }
            check_geometry(member, &member_path)?;
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
fn check_nested(value: &Json, depth: usize, type_name: &str, path: &str) -> Result<(), Issue> {
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
        // The item's own path is written out only if it has a problem.
        check_nested(item, depth - 1, type_name, path).map_err(|mut issue| {
            issue.path.insert_str(path.len(), &format!("[{i}]"));
            issue
        })?;
    }
    Ok(())
}

/// An issue found inside a part of the document, with the part's path in front.
fn within(issue: Issue, prefix: &str) -> Issue {
    let path = match issue.path.as_str() {
        "(document)" => prefix.to_owned(),
        inner if inner.starts_with('[') => format!("{prefix}{inner}"),
        inner => format!("{prefix}.{inner}"),
    };
    Issue { path, message: issue.message }
}

fn check_position(value: &Json, path: &str) -> Result<(), Issue> {
    let numbers = value
        .as_array()
        .ok_or_else(|| issue(path, &format!("a position must be an array, found {}", kind(value))))?;
    if numbers.len() < 2 {
        return Err(issue(path, "a position needs longitude and latitude"));
    }
    let mut values = numbers.iter().map(Json::as_f64);
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

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A feature's properties as rows of (key, text) for a popup, in document order.
/// Strings are shown as they are (the popup inserts them as text, never as HTML); other values as JSON.
pub fn property_rows(properties: Option<&Json>) -> Vec<(String, String)> {
    let Some(Json::Object(members)) = properties else {
        return Vec::new();
    };
    members
        .iter()
        .map(|(key, value)| {
            let text = match value {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{parse, property_rows, Checked, GeoJsonError, Json, Shape, MAX_REPORTED_ISSUES};
    use serde_json::{json, Value};

    /// The documents are written with serde_json's `json!` for readability.
    fn to_json(value: &Value) -> Json {
        Json::parse(&value.to_string()).unwrap()
    }

    fn check(value: &Value) -> Result<Checked, GeoJsonError> {
        super::check(&to_json(value))
    }

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
        assert_eq!((checked.features, checked.invalid(), checked.without_geometry), (count, 0, 0));
        assert_eq!(checked.warning(), None);
    }

    #[test]
    fn null_geometry_is_skipped_not_an_error() {
        let doc = collection(vec![feature(Value::Null), feature(json!({"type": "Point", "coordinates": [0, 0]}))]);
        let checked = check(&doc).unwrap();
        assert_eq!((checked.features, checked.without_geometry, checked.invalid()), (1, 1, 0));
        assert!(checked.dropped.is_empty(), "a null geometry is left to Leaflet, which skips it");
    }

    #[test]
    fn a_bare_feature_or_geometry_becomes_a_collection() {
        let checked = check(&feature(json!({"type": "Point", "coordinates": [0, 0]}))).unwrap();
        assert_eq!((checked.features, checked.shape), (1, Shape::Feature));
        let checked = check(&json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]})).unwrap();
        assert_eq!((checked.features, checked.shape), (1, Shape::Geometry));
        let error = check(&feature(json!({"type": "Point", "coordinates": [0, 95]}))).unwrap_err().to_string();
        assert!(error.contains("geometry.coordinates: latitude 95"), "{error}");
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
        assert_eq!((checked.features, checked.invalid()), (1, 5));
        assert_eq!(checked.dropped, [1, 2, 3, 4, 5]);
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
            assert_eq!(checked.invalid(), 1, "{geometry}");
            assert_eq!(checked.issues[0].path, path, "{geometry}");
        }
    }

    #[test]
    fn only_the_first_issues_are_described() {
        let bad = feature(json!({"type": "Point", "coordinates": []}));
        let checked = check(&collection(vec![bad; 50])).unwrap();
        assert_eq!(checked.invalid(), 50);
        assert_eq!(checked.issues.len(), MAX_REPORTED_ISSUES);
    }

    #[test]
    fn deeply_nested_garbage_does_not_overflow() {
        let mut value = json!([0, 0]);
        for _ in 0..100 {
            value = json!([value]);
        }
        let checked = check(&collection(vec![feature(json!({"type": "MultiPolygon", "coordinates": value}))])).unwrap();
        assert_eq!(checked.invalid(), 1);
    }

    #[test]
    fn text_that_is_not_json_is_an_error() {
        for text in ["<!doctype html><html>", "", "{\"type\": \"Feature\",", "null"] {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.starts_with("not GeoJSON"), "{error}");
        }
        let error = parse("<html>").unwrap_err().to_string();
        assert!(error.contains("not JSON (expected a JSON value at line 1, column 1)"), "{error}");
        assert_eq!(parse("{\"type\":\"Point\",\"coordinates\":[1,2]}").unwrap().features, 1);
    }

    #[test]
    fn property_rows_keep_markup_as_text() {
        let rows = property_rows(Some(&to_json(&json!({
            "name": "<img src=x onerror=alert(1)>",
            "pop": 1200,
            "capital": true,
            "nothing": null,
            "nested": {"a": [1, 2]}
        }))));
        assert_eq!(rows[0], ("name".into(), "<img src=x onerror=alert(1)>".into()));
        assert!(rows.contains(&("pop".into(), "1200".into())));
        assert!(rows.contains(&("capital".into(), "true".into())));
        assert!(rows.contains(&("nothing".into(), "null".into())));
        assert!(rows.contains(&("nested".into(), "{\"a\":[1,2]}".into())));
        assert!(property_rows(Some(&Json::Null)).is_empty());
        assert!(property_rows(None).is_empty());
    }
}
