//! The points of a GeoJSON document, read in the check's one pass over the text
//! ([`crate::geojson::FeatureSink`]): the positions of its Point and MultiPoint geometries (in
//! GeometryCollections too), and each feature's properties as JSON text, parsed only when a
//! popup shows them. Lines and areas are left out and counted.

use crate::geojson::{FeatureSink, GeometryPart, GeometrySink};
use crate::json::Json;

#[derive(Debug, Default)]
pub struct PointsReader {
    /// Longitude, latitude of each point in turn.
    pub lng_lat: Vec<f64>,
    /// The feature each point belongs to (its place among the features with points).
    pub feature_of: Vec<u32>,
    /// Features with a geometry but no point, left out of a points layer.
    pub not_points: usize,
    /// Each feature's properties: `properties[range]`.
    properties: String,
    ranges: Vec<(u32, u32)>,
    /// Positions of the part being read, and the points of the feature being read.
    part: Vec<f64>,
    feature: Vec<f64>,
    /// Whether the feature being read has a line or an area.
    other: bool,
    /// How many points each open geometry (nested in GeometryCollections) began with.
    marks: Vec<usize>,
}

impl PointsReader {
    /// The properties of the feature of point `point`.
    pub fn properties(&self, point: usize) -> Option<Json> {
        let feature = *self.feature_of.get(point)? as usize;
        let (start, end) = *self.ranges.get(feature)?;
        self.properties
            .get(start as usize..end as usize)
            .and_then(|text| Json::parse(text).ok())
    }

    /// The memory is no longer reserved for growth.
    pub fn shrink(&mut self) {
        self.lng_lat.shrink_to_fit();
        self.feature_of.shrink_to_fit();
        self.properties.shrink_to_fit();
        self.ranges.shrink_to_fit();
        (self.part, self.feature, self.marks) = Default::default();
    }
}

impl GeometrySink for PointsReader {
    fn begin(&mut self) {
        self.marks.push(self.feature.len());
    }
    fn end(&mut self) {
        self.marks.pop();
    }
    fn discard(&mut self) {
        if let Some(&mark) = self.marks.last() {
            self.feature.truncate(mark);
        }
        self.part.clear();
    }
    fn position(&mut self, lng: f64, lat: f64) {
        self.part.extend_from_slice(&[lng, lat]);
    }
    fn end_part(&mut self, part: GeometryPart) {
        if part == GeometryPart::Points {
            self.feature.append(&mut self.part);
        } else {
            self.other = true;
            self.part.clear();
        }
    }
}

impl FeatureSink for PointsReader {
    fn feature(&mut self, properties: &str) {
        if self.feature.is_empty() {
            self.not_points += usize::from(self.other);
        } else {
            let feature = self.ranges.len() as u32;
            let start = self.properties.len() as u32;
            self.properties.push_str(properties);
            self.ranges.push((start, self.properties.len() as u32));
            let points = self.feature.len() / 2;
            self.lng_lat.append(&mut self.feature);
            self.feature_of.extend(std::iter::repeat_n(feature, points));
        }
        self.other = false;
    }
    fn drop_feature(&mut self) {
        self.discard_feature();
    }
    fn discard_feature(&mut self) {
        self.feature.clear();
        self.part.clear();
        self.other = false;
    }
    fn reset(&mut self) {
        *self = PointsReader::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_of_every_kind_of_feature_with_their_properties() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"name":"a"},"geometry":{"type":"Point","coordinates":[1,2]}},
            {"type":"Feature","properties":{"name":"line"},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}},
            {"type":"Feature","properties":{"name":"b"},"geometry":{"type":"MultiPoint","coordinates":[[3,4],[5,6]]}},
            {"type":"Feature","properties":{"name":"bad"},"geometry":{"type":"Point","coordinates":[1,95]}},
            {"type":"Feature","properties":null,"geometry":{"type":"GeometryCollection","geometries":[
                {"type":"Point","coordinates":[7,8]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}},
            {"type":"Feature","properties":{},"geometry":null}]}"#;
        let mut reader = PointsReader::default();
        let checked = crate::geojson::parse_with(text, &mut reader).unwrap();
        assert_eq!(checked.dropped, [3]);
        assert_eq!(reader.lng_lat, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        assert_eq!(reader.feature_of, [0, 1, 1, 2]);
        assert_eq!(reader.not_points, 1, "the line");
        let name = |p| {
            reader
                .properties(p)
                .and_then(|j| j.get("name").and_then(|n| n.as_str().map(str::to_owned)))
        };
        assert_eq!((name(0), name(2)), (Some("a".into()), Some("b".into())));
        assert_eq!(reader.properties(3), Some(Json::Null));
    }
}
