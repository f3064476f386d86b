//! GeoJSON checks (RFC 7946) before anything reaches Leaflet.
//!
//! Leaflet throws on a malformed geometry and stops drawing the whole layer, so every geometry is
//! checked here first. A document that is not GeoJSON at all is an error for its overlay; a single
//! bad feature is dropped and reported, and the rest of the overlay is still drawn.
//!
//! The check only reads: it says which features to drop ([`Checked::dropped`]), and the browser's
//! own `JSON.parse` builds the objects Leaflet draws, so a document is parsed into Rust once and
//! never copied or written back out.

pub mod stream;

use crate::json::{Json, JsonError, Scanner};
use crate::math::Decimal;

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
        let tail = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        Some(format!(
            "{} invalid feature{} skipped: {}: {}{tail}",
            invalid,
            if invalid == 1 { "" } else { "s" },
            first.path,
            first.message
        ))
    }
}

/// Parses and checks the text of a GeoJSON document in one pass over the text, building nothing
/// but the verdict (the browser's `JSON.parse` builds what Leaflet draws). Every value is checked
/// as it is read; only a member that needs another one not read yet (coordinates before their
/// geometry's "type") is read again once that is known.
pub fn parse(text: &str) -> Result<Checked, GeoJsonError> {
    parse_with(text, &mut Unread)
}

/// [`parse`], handing every drawable feature's geometry and properties to `sink` as they are
/// checked (see [`GeometrySink`]): what reads a document for drawing in the same pass.
pub fn parse_with(text: &str, sink: &mut dyn FeatureSink) -> Result<Checked, GeoJsonError> {
    let not_json = |e: JsonError| GeoJsonError(format!("the response is not JSON ({e})"));
    let mut scanner = Scanner::new(text);
    scanner.skip_space();
    if scanner.peek() != Some(b'{') {
        let kind = kind_at(text, scanner.offset());
        scanner
            .skip_value(0)
            .and_then(|()| scanner.end())
            .map_err(not_json)?;
        return Err(GeoJsonError(format!("expected an object, found {kind}")));
    }
    let start = scanner.offset();
    // The top level: its "type" decides what the rest is, so "features" is checked as soon as
    // the type is known (the usual order), or read again after.
    let mut type_name: Option<String> = None;
    let mut features_at = None;
    let mut checked = Checked {
        shape: Shape::FeatureCollection,
        features: 0,
        without_geometry: 0,
        dropped: Vec::new(),
        issues: Vec::new(),
    };
    let mut collection_checked = false;
    if scanner.open(b'{', b'}') {
        loop {
            let key = scanner.key().map_err(not_json)?;
            match key.as_ref() {
                "type" => {
                    type_name = match scanner.peek() {
                        Some(b'"') => Some(scanner.string().map_err(not_json)?.into_owned()),
                        _ => {
                            scanner.skip_value(1).map_err(not_json)?;
                            None
                        }
                    };
                }
                "features"
                    if type_name.as_deref() == Some("FeatureCollection")
                        && scanner.peek() == Some(b'[') =>
                {
                    checked = Checked {
                        shape: Shape::FeatureCollection,
                        features: 0,
                        without_geometry: 0,
                        dropped: Vec::new(),
                        issues: Vec::new(),
                    };
                    // A repeated "features" member replaces what an earlier one gave.
                    sink.reset();
                    check_features(&mut scanner, &mut checked, sink).map_err(not_json)?;
                    features_at = None;
                    collection_checked = true;
                }
                "features" => {
                    features_at = Some(scanner.offset());
                    collection_checked = false;
                    scanner.skip_value(1).map_err(not_json)?;
                }
                _ => scanner.skip_value(1).map_err(not_json)?,
            }
            if !scanner
                .more(b'}', "expected ',' or '}'")
                .map_err(not_json)?
            {
                break;
            }
        }
    }
    scanner.end().map_err(not_json)?;
    let type_name = type_name
        .ok_or_else(|| GeoJsonError("the top-level object has no \"type\" string".into()))?;
    if !(type_name == "FeatureCollection" && collection_checked) {
        // Read again below as what the last "type" says it is: what the sink had is void.
        sink.reset();
    }
    match type_name.as_str() {
        "FeatureCollection" => {
            if !collection_checked {
                let offset = features_at
                    .filter(|&at| text.as_bytes().get(at) == Some(&b'['))
                    .ok_or_else(|| {
                        GeoJsonError("a FeatureCollection needs a \"features\" array".into())
                    })?;
                check_features(&mut Scanner::at(text, offset), &mut checked, sink)
                    .map_err(not_json)?;
            }
        }
        "Feature" => {
            checked.shape = Shape::Feature;
            match judge_feature(&mut Scanner::at(text, start), sink).map_err(not_json)? {
                Ok(true) => checked.features = 1,
                Ok(false) => checked.without_geometry = 1,
                Err(issue) => {
                    return Err(GeoJsonError(format!("{}: {}", issue.path, issue.message)))
                }
            }
        }
        geometry if is_geometry_type(geometry) => {
            checked.shape = Shape::Geometry;
            if let Err(issue) =
                check_geometry(&mut Scanner::at(text, start), "", sink).map_err(not_json)?
            {
                return Err(GeoJsonError(format!(
                    "{}: {}",
                    display_path(&issue.path),
                    issue.message
                )));
            }
            sink.feature("null");
            checked.features = 1;
        }
        other => {
            return Err(GeoJsonError(format!(
                "unknown type \"{other}\"; expected FeatureCollection, Feature or a geometry"
            )))
        }
    }
    Ok(checked)
}

/// Checks a document already parsed (inline data in a config): the same rules, from its text.
pub fn check(document: &Json) -> Result<Checked, GeoJsonError> {
    parse(&document.to_string())
}

/// A problem in the document's syntax (the outer error) or in one feature (the inner one).
type Checking<T> = Result<Result<T, Issue>, JsonError>;

/// What a part of a geometry is: a ring (a polygon's first is its exterior), a line, or points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryPart {
    Exterior,
    Hole,
    Line,
    Points,
}

/// Hears a geometry as the check reads it, so a reader for drawing need not read the text again.
/// Positions come as the check meets them, each part ended by `end_part`. Every geometry (a
/// feature's, each member of a GeometryCollection) is bracketed by `begin` and `end`; `discard`
/// voids what came since its `begin` (its coordinates are read again: a repeated member, or a
/// type known only after them). Whether the feature counts is told by [`FeatureSink`].
pub trait GeometrySink {
    fn begin(&mut self) {}
    fn end(&mut self) {}
    fn discard(&mut self) {}
    fn position(&mut self, _lng: f64, _lat: f64) {}
    fn end_part(&mut self, _part: GeometryPart) {}
}

/// Hears each feature's verdict after its geometry ([`GeometrySink`]).
pub trait FeatureSink: GeometrySink {
    /// The geometry given since the last feature is drawn: `properties` is the text of the
    /// feature's properties (`"null"` for a bare geometry).
    fn feature(&mut self, _properties: &str) {}
    /// The geometry given since the last feature is not drawn (it is null or invalid).
    fn drop_feature(&mut self) {}
    /// A feature's geometry is about to be given again (a repeated "geometry" member): what came
    /// since the last feature is void.
    fn discard_feature(&mut self) {}
    /// Every feature given so far is void: the features are given again (a repeated
    /// `"features"` member, or a document that turned out to be something else).
    fn reset(&mut self) {}
}

/// A sink that keeps nothing: the check alone.
struct Unread;

impl GeometrySink for Unread {}
impl FeatureSink for Unread {}

/// The features array (the scanner at its '['), each feature judged.
fn check_features(
    scanner: &mut Scanner,
    checked: &mut Checked,
    sink: &mut dyn FeatureSink,
) -> Result<(), JsonError> {
    if !scanner.open(b'[', b']') {
        return Ok(());
    }
    let mut i = 0;
    loop {
        count_feature(checked, i, judge_feature(scanner, sink)?);
        i += 1;
        if !scanner.more(b']', "expected ',' or ']'")? {
            return Ok(());
        }
    }
}

/// Counts the verdict on the feature `index` of a collection.
fn count_feature(checked: &mut Checked, index: usize, verdict: Result<bool, Issue>) {
    // Paths are written out only for the features that have a problem.
    match verdict.map_err(|issue| within(issue, &format!("features[{index}]"))) {
        Ok(true) => checked.features += 1,
        Ok(false) => checked.without_geometry += 1,
        Err(issue) => {
            checked.dropped.push(index);
            if checked.issues.len() < MAX_REPORTED_ISSUES {
                checked.issues.push(issue);
            }
        }
    }
}

/// [`check_feature`], then the feature to the sink if it is drawn, or what the sink was given of
/// it dropped.
fn judge_feature(scanner: &mut Scanner, sink: &mut dyn FeatureSink) -> Checking<bool> {
    let mut properties = None;
    let verdict = check_feature(scanner, sink, &mut properties)?;
    match (&verdict, properties) {
        (Ok(true), Some(text)) => sink.feature(text),
        (Ok(true), None) => sink.feature("null"),
        _ => sink.drop_feature(),
    }
    Ok(verdict)
}

/// Ok(true): drawable; Ok(false): null geometry; Err: invalid. Consumes the value; its geometry
/// goes to `sink` as it is read, and `properties` is the text of its (last) properties member.
fn check_feature<'a>(
    scanner: &mut Scanner<'a>,
    sink: &mut dyn FeatureSink,
    properties: &mut Option<&'a str>,
) -> Checking<bool> {
    scanner.skip_space();
    if scanner.peek() != Some(b'{') {
        scanner.skip_value(1)?;
        return Ok(Err(issue("", "a feature must be an object")));
    }
    let (mut is_feature, mut properties_ok, mut geometry): (
        bool,
        bool,
        Option<Result<bool, Issue>>,
    ) = (false, true, None);
    if scanner.open(b'{', b'}') {
        loop {
            let key = scanner.key()?;
            match key.as_ref() {
                "type" => {
                    is_feature = match scanner.peek() {
                        Some(b'"') => scanner.string()? == "Feature",
                        _ => {
                            scanner.skip_value(1)?;
                            false
                        }
                    };
                }
                "properties" => {
                    properties_ok = matches!(scanner.peek(), Some(b'{' | b'n'));
                    let start = scanner.offset();
                    scanner.skip_value(1)?;
                    *properties = scanner.text().get(start..scanner.offset());
                }
                "geometry" => {
                    // A repeated "geometry" replaces the one before, as for `JSON.parse`.
                    sink.discard_feature();
                    geometry = Some(match scanner.peek() {
                        Some(b'n') => {
                            scanner.skip_value(1)?;
                            Ok(false)
                        }
                        Some(b'{') => check_geometry(scanner, "geometry", sink)?.map(|()| true),
                        _ => {
                            let kind = kind_at(scanner.text(), scanner.offset());
                            scanner.skip_value(1)?;
                            Err(issue(
                                "geometry",
                                &format!("expected an object, found {kind}"),
                            ))
                        }
                    });
                }
                _ => scanner.skip_value(1)?,
            }
            if !scanner.more(b'}', "expected ',' or '}'")? {
                break;
            }
        }
    }
    // Reported in this order whatever the order of the members.
    if !is_feature {
        return Ok(Err(issue("", "\"type\" must be \"Feature\"")));
    }
    if !properties_ok {
        return Ok(Err(issue("properties", "must be an object or null")));
    }
    Ok(geometry.unwrap_or_else(|| {
        Err(issue(
            "",
            "a feature needs a \"geometry\" member (it may be null)",
        ))
    }))
}

fn is_geometry_type(name: &str) -> bool {
    matches!(
        name,
        "Point"
            | "MultiPoint"
            | "LineString"
            | "MultiLineString"
            | "Polygon"
            | "MultiPolygon"
            | "GeometryCollection"
    )
}

/// A geometry type with coordinates, and how many levels of arrays hold its positions.
fn position_depth(type_name: &str) -> Option<(&'static str, usize)> {
    match type_name {
        "Point" => Some(("Point", 0)),
        "MultiPoint" => Some(("MultiPoint", 1)),
        "LineString" => Some(("LineString", 1)),
        "MultiLineString" => Some(("MultiLineString", 2)),
        "Polygon" => Some(("Polygon", 2)),
        "MultiPolygon" => Some(("MultiPolygon", 3)),
        _ => None,
    }
}

/// A geometry object (the scanner at its '{'), consumed; its positions go to `sink`.
fn check_geometry(scanner: &mut Scanner, path: &str, sink: &mut dyn GeometrySink) -> Checking<()> {
    sink.begin();
    let verdict = check_geometry_in(scanner, path, sink);
    sink.end();
    verdict
}

fn check_geometry_in(
    scanner: &mut Scanner,
    path: &str,
    sink: &mut dyn GeometrySink,
) -> Checking<()> {
    let text = scanner.text();
    let mut type_name: Option<std::borrow::Cow<str>> = None;
    // Coordinates are checked when met if the type is known by then (and again at the end if a
    // repeated "type" changed it); else they wait here until it is.
    let mut coordinates: Option<(&'static str, Result<(), Issue>)> = None;
    let mut coordinates_at = None;
    let mut geometries_at = None;
    if scanner.open(b'{', b'}') {
        loop {
            let key = scanner.key()?;
            match key.as_ref() {
                "type" => {
                    type_name = match scanner.peek() {
                        Some(b'"') => Some(scanner.string()?),
                        _ => {
                            scanner.skip_value(1)?;
                            None
                        }
                    };
                }
                "coordinates" => {
                    coordinates_at = Some(scanner.offset());
                    coordinates = None;
                    match type_name.as_deref().and_then(position_depth) {
                        Some((t, depth)) => {
                            sink.discard();
                            coordinates = Some((
                                t,
                                check_nested(
                                    scanner,
                                    depth,
                                    t,
                                    &join(path, "coordinates"),
                                    sink,
                                    0,
                                )?,
                            ))
                        }
                        None => scanner.skip_value(1)?,
                    }
                }
                "geometries" => {
                    geometries_at = Some(scanner.offset());
                    scanner.skip_value(1)?;
                }
                _ => scanner.skip_value(1)?,
            }
            if !scanner.more(b'}', "expected ',' or '}'")? {
                break;
            }
        }
    }
    let Some(type_name) = type_name else {
        return Ok(Err(issue(path, "a geometry needs a \"type\" string")));
    };
    if type_name == "GeometryCollection" {
        let Some(at) = geometries_at.filter(|&at| text.as_bytes().get(at) == Some(&b'[')) else {
            return Ok(Err(issue(
                path,
                "a GeometryCollection needs a \"geometries\" array",
            )));
        };
        let mut members = Scanner::at(text, at);
        // Positions read as another type (a repeated "type") are void.
        sink.discard();
        if members.open(b'[', b']') {
            let mut i = 0;
            loop {
                let member_path = format!("{}[{i}]", join(path, "geometries"));
                members.skip_space();
                if members.peek() != Some(b'{') {
                    return Ok(Err(issue(&member_path, "a geometry must be an object")));
                }
                if let Err(issue) = check_geometry(&mut members, &member_path, sink)? {
                    return Ok(Err(issue));
                }
                i += 1;
                if !members.more(b']', "expected ',' or ']'")? {
                    break;
                }
            }
        }
        return Ok(Ok(()));
    }
    let Some((_, depth)) = position_depth(&type_name) else {
        return Ok(Err(issue(
            path,
            &format!("unknown geometry type \"{}\"", type_name.as_ref()),
        )));
    };
    match (coordinates, coordinates_at) {
        (Some((checked_as, result)), _) if checked_as == type_name => Ok(result),
        (_, Some(at)) => {
            sink.discard();
            check_nested(
                &mut Scanner::at(text, at),
                depth,
                &type_name,
                &join(path, "coordinates"),
                sink,
                0,
            )
        }
        (_, None) => Ok(Err(issue(
            path,
            &format!("a {type_name} needs \"coordinates\""),
        ))),
    }
}

/// Checks `depth` levels of arrays around positions, with each type's minimum lengths; consumes
/// the value.
/// `index`: the value's place in the array around it (a polygon's first ring is its exterior).
/// Each part of the geometry (a ring, a line, a point's or a multipoint's positions) ends with a
/// call to `sink.end_part`.
fn check_nested(
    scanner: &mut Scanner,
    depth: usize,
    type_name: &str,
    path: &str,
    sink: &mut dyn GeometrySink,
    index: usize,
) -> Checking<()> {
    if depth == 0 {
        let verdict = check_position(scanner, path, sink);
        if type_name == "Point" {
            sink.end_part(GeometryPart::Points);
        }
        return verdict;
    }
    scanner.skip_space();
    if scanner.peek() != Some(b'[') {
        let kind = kind_at(scanner.text(), scanner.offset());
        scanner.skip_value(1)?;
        return Ok(Err(issue(
            path,
            &format!("expected an array, found {kind}"),
        )));
    }
    let minimum = match (type_name, depth) {
        ("LineString", 1) | ("MultiLineString", 1) => 2,
        ("Polygon", 1) | ("MultiPolygon", 1) => 4,
        ("Polygon", 2) | ("MultiPolygon", 2) => 1,
        _ => 0,
    };
    // The count is judged before the items (a short ring is reported as short), so the first
    // item problem waits until the count is known.
    let mut first_problem = None;
    let mut count = 0;
    if scanner.open(b'[', b']') {
        loop {
            if first_problem.is_some() {
                scanner.skip_value(1)?;
            } else if let Err(mut issue) =
                check_nested(scanner, depth - 1, type_name, path, sink, count)?
            {
                // The item's own path is written out only if it has a problem.
                issue.path.insert_str(path.len(), &format!("[{count}]"));
                first_problem = Some(issue);
            }
            count += 1;
            if !scanner.more(b']', "expected ',' or ']'")? {
                break;
            }
        }
    }
    if depth == 1 {
        sink.end_part(match type_name {
            "MultiPoint" => GeometryPart::Points,
            "LineString" | "MultiLineString" => GeometryPart::Line,
            _ if index == 0 => GeometryPart::Exterior,
            _ => GeometryPart::Hole,
        });
    }
    if count < minimum {
        let what = if minimum == 4 {
            "a linear ring needs at least 4 positions"
        } else if minimum == 2 {
            "a line needs at least 2 positions"
        } else {
            "a polygon needs at least one ring"
        };
        return Ok(Err(issue(path, &format!("{what}, found {count}"))));
    }
    Ok(first_problem.map_or(Ok(()), Err))
}

fn check_position(scanner: &mut Scanner, path: &str, sink: &mut dyn GeometrySink) -> Checking<()> {
    scanner.skip_space();
    if scanner.peek() != Some(b'[') {
        let kind = kind_at(scanner.text(), scanner.offset());
        scanner.skip_value(1)?;
        return Ok(Err(issue(
            path,
            &format!("a position must be an array, found {kind}"),
        )));
    }
    let (mut count, mut lng, mut lat, mut altitude_ok) = (0, None, None, true);
    if scanner.open(b'[', b']') {
        loop {
            scanner.skip_space();
            let number = matches!(scanner.peek(), Some(b'-' | b'0'..=b'9'));
            match (count, number) {
                (0, true) => lng = Some(scanner.number()?),
                (1, true) => lat = Some(scanner.number()?),
                (_, is_number) => {
                    altitude_ok &= count < 2 || is_number;
                    scanner.skip_value(1)?;
                }
            }
            count += 1;
            if !scanner.more(b']', "expected ',' or ']'")? {
                break;
            }
        }
    }
    if count < 2 {
        return Ok(Err(issue(path, "a position needs longitude and latitude")));
    }
    // A number too big for f64 (1e999) is Infinity to the browser: no more a position than null.
    let (Some(lng), Some(lat)) = (
        lng.filter(|n: &f64| n.is_finite()),
        lat.filter(|n: &f64| n.is_finite()),
    ) else {
        return Ok(Err(issue(
            path,
            "longitude and latitude must be finite numbers",
        )));
    };
    if !altitude_ok {
        return Ok(Err(issue(path, "an altitude must be a number")));
    }
    if (-90.0..=90.0).contains(&lat) && (-360.0..=360.0).contains(&lng) {
        sink.position(lng, lat);
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Ok(Err(issue(
            path,
            &format!("latitude {} is out of range -90..90", Decimal(lat)),
        )));
    }
    // Data that crosses the antimeridian legitimately goes a little past ±180.
    if !(-360.0..=360.0).contains(&lng) {
        return Ok(Err(issue(
            path,
            &format!("longitude {} is out of range -360..360", Decimal(lng)),
        )));
    }
    Ok(Ok(()))
}

fn issue(path: &str, message: &str) -> Issue {
    Issue {
        path: display_path(path),
        message: message.to_owned(),
    }
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(document)".to_owned()
    } else {
        path.to_owned()
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// An issue found inside a part of the document, with the part's path in front.
fn within(issue: Issue, prefix: &str) -> Issue {
    let path = match issue.path.as_str() {
        "(document)" => prefix.to_owned(),
        inner if inner.starts_with('[') => format!("{prefix}{inner}"),
        inner => format!("{prefix}.{inner}"),
    };
    Issue {
        path,
        message: issue.message,
    }
}

/// What kind of value starts at `offset`, for messages.
fn kind_at(text: &str, offset: usize) -> &'static str {
    match text.as_bytes().get(offset) {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'-' | b'0'..=b'9') => "a number",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "nothing",
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
        .map(|(key, value)| (key.clone(), value_text(value)))
        .collect()
}

/// One property's value as a tooltip shows it (as text, never as HTML); `None` when the feature
/// does not have it, or has it empty or null.
pub fn property_text(properties: &Json, key: &str) -> Option<String> {
    let Json::Object(members) = properties else {
        return None;
    };
    let value = members.iter().find(|(k, _)| k == key).map(|(_, v)| v)?;
    let text = match value {
        Json::Null => return None,
        other => value_text(other),
    };
    (!text.trim().is_empty()).then_some(text)
}

/// A property value as text: strings as they are, other values as JSON.
fn value_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{
        parse, property_rows, property_text, Checked, GeoJsonError, Json, Shape,
        MAX_REPORTED_ISSUES,
    };
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

    /// Found by the geojson fuzz target: a coordinate too big for f64 is dropped with the same
    /// message whether the text is checked as it streams or as a parsed tree (which holds it as
    /// Infinity and writes it as null).
    #[test]
    fn an_overflowing_coordinate_is_not_a_number() {
        let document = |x: &str| {
            format!(
                r#"{{"type": "FeatureCollection", "features": [{{"type": "Feature", "properties": null,
                "geometry": {{"type": "Point", "coordinates": [{x}, 0]}}}}]}}"#
            )
        };
        let text = document("1e999");
        let streamed = parse(&text).unwrap();
        let tree = super::check(&Json::parse(&text).unwrap()).unwrap();
        assert_eq!(streamed, tree);
        assert_eq!(streamed.dropped, [0]);
        assert_eq!(
            streamed.issues[0].message,
            "longitude and latitude must be finite numbers"
        );
        assert_eq!(parse(&document("null")).unwrap().issues, streamed.issues);
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
        assert_eq!(
            (
                checked.features,
                checked.invalid(),
                checked.without_geometry
            ),
            (count, 0, 0)
        );
        assert_eq!(checked.warning(), None);
    }

    #[test]
    fn null_geometry_is_skipped_not_an_error() {
        let doc = collection(vec![
            feature(Value::Null),
            feature(json!({"type": "Point", "coordinates": [0, 0]})),
        ]);
        let checked = check(&doc).unwrap();
        assert_eq!(
            (
                checked.features,
                checked.without_geometry,
                checked.invalid()
            ),
            (1, 1, 0)
        );
        assert!(
            checked.dropped.is_empty(),
            "a null geometry is left to Leaflet, which skips it"
        );
    }

    #[test]
    fn a_bare_feature_or_geometry_becomes_a_collection() {
        let checked = check(&feature(json!({"type": "Point", "coordinates": [0, 0]}))).unwrap();
        assert_eq!((checked.features, checked.shape), (1, Shape::Feature));
        let checked =
            check(&json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]})).unwrap();
        assert_eq!((checked.features, checked.shape), (1, Shape::Geometry));
        let error = check(&feature(json!({"type": "Point", "coordinates": [0, 95]})))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("geometry.coordinates: latitude 95"),
            "{error}"
        );
    }

    #[test]
    fn documents_that_are_not_geojson_are_errors() {
        for (doc, needle) in [
            (json!([1, 2]), "expected an object, found an array"),
            (json!("hello"), "found a string"),
            (json!({"features": []}), "no \"type\""),
            (
                json!({"type": "Topology", "objects": {}}),
                "unknown type \"Topology\"",
            ),
            (json!({"type": "FeatureCollection"}), "\"features\" array"),
            (
                json!({"type": "FeatureCollection", "features": {}}),
                "\"features\" array",
            ),
            (
                json!({"type": "Point", "coordinates": "0,0"}),
                "coordinates",
            ),
        ] {
            let error = check(&doc).unwrap_err().to_string();
            assert!(error.starts_with("not GeoJSON: "), "{error}");
            assert!(
                error.contains(needle),
                "{error:?} should mention {needle:?}"
            );
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
        assert_eq!(
            checked.issues[1].path,
            "features[2].geometry.coordinates[0]"
        );
        assert!(checked.issues[1].message.contains("at least 4 positions"));
        assert_eq!(checked.issues[2].path, "features[3].properties");
        assert_eq!(checked.issues[3].path, "features[4]");
        assert_eq!(checked.issues[4].path, "features[5]");
        let warning = checked.warning().unwrap();
        assert!(
            warning.starts_with("5 invalid features skipped: features[1].geometry.coordinates"),
            "{warning}"
        );
        assert!(warning.ends_with("(and 4 more)"), "{warning}");
    }

    #[test]
    fn malformed_coordinates_of_every_kind() {
        for (geometry, path) in [
            (json!({"type": "Point"}), "features[0].geometry"),
            (
                json!({"type": "Point", "coordinates": [1]}),
                "features[0].geometry.coordinates",
            ),
            (
                json!({"type": "Point", "coordinates": ["1", "2"]}),
                "features[0].geometry.coordinates",
            ),
            (
                json!({"type": "Point", "coordinates": [1, 2, "high"]}),
                "features[0].geometry.coordinates",
            ),
            (
                json!({"type": "Point", "coordinates": [400, 0]}),
                "features[0].geometry.coordinates",
            ),
            (
                json!({"type": "LineString", "coordinates": [[0, 0]]}),
                "features[0].geometry.coordinates",
            ),
            (
                json!({"type": "LineString", "coordinates": [0, 0]}),
                "features[0].geometry.coordinates[0]",
            ),
            (
                json!({"type": "Polygon", "coordinates": []}),
                "features[0].geometry.coordinates",
            ),
            (
                json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], null]]]}),
                "features[0].geometry.coordinates[0][0][3]",
            ),
            (
                json!({"type": "GeometryCollection"}),
                "features[0].geometry",
            ),
            (
                json!({"type": "GeometryCollection", "geometries": [{"type": "Circle"}]}),
                "features[0].geometry.geometries[0]",
            ),
            (
                json!({"type": "GeometryCollection", "geometries": [7]}),
                "features[0].geometry.geometries[0]",
            ),
            (json!({"coordinates": [0, 0]}), "features[0].geometry"),
        ] {
            let checked = check(&collection(vec![feature(geometry.clone())])).unwrap();
            assert_eq!(checked.invalid(), 1, "{geometry}");
            assert_eq!(checked.issues[0].path, path, "{geometry}");
        }
    }

    #[test]
    fn member_order_does_not_change_the_verdict() {
        // Coordinates before the type, geometry before the feature's type, features before the
        // collection's type: read again once the type is known, same answers.
        let text = r#"{"features": [
            {"geometry": {"coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]], "type": "Polygon"}, "properties": null, "type": "Feature"},
            {"geometry": {"coordinates": [[0, 0], [1, 95]], "type": "LineString"}, "type": "Feature"},
            {"properties": 3, "geometry": {"type": "Point", "coordinates": "x"}, "type": "Feature"},
            {"geometry": null, "type": "Feature"}
        ], "type": "FeatureCollection"}"#;
        let checked = parse(text).unwrap();
        assert_eq!(
            (
                checked.features,
                checked.without_geometry,
                checked.dropped.as_slice()
            ),
            (1, 1, &[1, 2][..])
        );
        assert_eq!(
            checked.issues[0].path,
            "features[1].geometry.coordinates[1]"
        );
        assert!(checked.issues[0].message.contains("latitude 95"));
        assert_eq!(
            (
                checked.issues[1].path.as_str(),
                checked.issues[1].message.as_str()
            ),
            ("features[2].properties", "must be an object or null")
        );
        let repeated = r#"{"type": "Point", "coordinates": [0, 0], "type": "LineString"}"#;
        let error = parse(repeated).unwrap_err().to_string();
        assert!(
            error.contains("coordinates[0]: a position must be an array"),
            "the last type member wins, as in JSON.parse: {error}"
        );
    }

    #[test]
    fn syntax_errors_anywhere_make_the_document_not_json() {
        for text in [
            r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null}, ]}"#,
            r#"{"features": [], "type": "FeatureCollection", "extra": [1, 2,]}"#,
            r#"{"type": "Point", "coordinates": [1, 2]} trailing"#,
            r#"{"type": "Point", "coordinates": [1, 02]}"#,
            r#"[1, 2"#,
        ] {
            let error = parse(text).unwrap_err().to_string();
            assert!(
                error.starts_with("not GeoJSON: the response is not JSON ("),
                "{text}: {error}"
            );
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
        let checked = check(&collection(vec![feature(
            json!({"type": "MultiPolygon", "coordinates": value}),
        )]))
        .unwrap();
        assert_eq!(checked.invalid(), 1);
    }

    #[test]
    fn text_that_is_not_json_is_an_error() {
        for text in [
            "<!doctype html><html>",
            "",
            "{\"type\": \"Feature\",",
            "null",
        ] {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.starts_with("not GeoJSON"), "{error}");
        }
        let error = parse("<html>").unwrap_err().to_string();
        assert!(
            error.contains("not JSON (expected a JSON value at line 1, column 1)"),
            "{error}"
        );
        assert_eq!(
            parse("{\"type\":\"Point\",\"coordinates\":[1,2]}")
                .unwrap()
                .features,
            1
        );
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
        assert_eq!(
            rows[0],
            ("name".into(), "<img src=x onerror=alert(1)>".into())
        );
        assert!(rows.contains(&("pop".into(), "1200".into())));
        assert!(rows.contains(&("capital".into(), "true".into())));
        assert!(rows.contains(&("nothing".into(), "null".into())));
        assert!(rows.contains(&("nested".into(), "{\"a\":[1,2]}".into())));
        assert!(property_rows(Some(&Json::Null)).is_empty());
        assert!(property_rows(None).is_empty());
    }

    #[test]
    fn a_tooltip_shows_one_property_as_text() {
        let properties = to_json(&json!({
            "name": "São Tomé <b>", "pop": 71868, "empty": " ", "none": null, "tags": ["a"]
        }));
        assert_eq!(
            property_text(&properties, "name").as_deref(),
            Some("São Tomé <b>")
        );
        assert_eq!(property_text(&properties, "pop").as_deref(), Some("71868"));
        assert_eq!(
            property_text(&properties, "tags").as_deref(),
            Some("[\"a\"]")
        );
        for missing in ["empty", "none", "absent"] {
            assert_eq!(property_text(&properties, missing), None, "{missing}");
        }
        assert_eq!(property_text(&Json::Null, "name"), None);
    }

    /// Issue 13: the bundled places keep letters outside Latin-1 (db/place-names.tsv).
    #[test]
    fn the_bundled_place_names_are_whole() {
        let places = Json::parse(include_str!("../assets/data/places.geojson")).unwrap();
        let Some(Json::Array(features)) = places.get("features") else {
            panic!("a FeatureCollection")
        };
        let names: Vec<String> = features
            .iter()
            .filter_map(|f| property_text(f.get("properties")?, "name"))
            .collect();
        assert_eq!(names.len(), 243);
        let damaged: Vec<&String> = names.iter().filter(|n| n.contains('?')).collect();
        assert!(damaged.is_empty(), "{damaged:?}");
        for name in ["Chişinău", "Ōsaka", "São Tomé", "Reykjavík"] {
            assert!(names.iter().any(|n| n == name), "{name}");
        }
    }
}
