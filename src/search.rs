//! The search box's logic, pure (tested natively): the API's request URL, its answer read into
//! results, and which result the keyboard has picked.

use crate::json::Json;

/// Results the box lists at most.
pub const RESULT_LIMIT: u32 = 8;

/// One place the API found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    pub name: String,
    /// "place" or "country".
    pub kind: String,
    pub lat: f64,
    pub lng: f64,
}

impl SearchResult {
    /// How close the map comes: a country whole, a place as a city.
    pub fn zoom(&self) -> f64 {
        if self.kind == "country" {
            5.0
        } else {
            10.0
        }
    }
}

/// The search URL for `q`: `base?q=…&limit=…`, `q` percent-encoded as a form value.
pub fn query_url(base: &str, q: &str, limit: u32) -> String {
    let mut encoded = String::with_capacity(q.len() * 3);
    for byte in q.trim().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(byte as char)
            }
            b' ' => encoded.push('+'),
            other => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                encoded.push('%');
                encoded.push(HEX[usize::from(other >> 4)] as char);
                encoded.push(HEX[usize::from(other & 15)] as char);
            }
        }
    }
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}q={encoded}&limit={limit}")
}

/// The API's answer (a GeoJSON FeatureCollection of points named in `properties.name`) as results;
/// features without a name or a point are skipped. An error names what is wrong.
pub fn parse_results(text: &str) -> Result<Vec<SearchResult>, String> {
    let document = Json::parse(text).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let Some(features) = document.get("features").and_then(Json::as_array) else {
        return Err("the answer is not a GeoJSON FeatureCollection".into());
    };
    Ok(features
        .iter()
        .filter_map(|feature| {
            let properties = feature.get("properties")?;
            let name = properties.get("name")?.as_str()?.trim();
            let coordinates = feature.get("geometry")?.get("coordinates")?.as_array()?;
            let (lng, lat) = (
                coordinates.first()?.as_f64()?,
                coordinates.get(1)?.as_f64()?,
            );
            let valid = !name.is_empty()
                && (-180.0..=180.0).contains(&lng)
                && (-90.0..=90.0).contains(&lat);
            valid.then(|| SearchResult {
                name: name.to_owned(),
                kind: properties
                    .get("kind")
                    .and_then(Json::as_str)
                    .unwrap_or("place")
                    .to_owned(),
                lat,
                lng,
            })
        })
        .collect())
}

/// What a key pressed in the box does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Highlight this result (or none).
    Highlight(Option<usize>),
    /// Go to this result.
    Choose(usize),
    /// Close the list (and, when it is already closed, clear the box).
    Close,
    /// Not the box's key: typing goes on.
    Ignore,
}

/// The keyboard's place in the list: arrows move (wrapping), Enter chooses the highlighted
/// result or the first, Escape closes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Picker {
    pub count: usize,
    pub active: Option<usize>,
}

impl Picker {
    /// A new list of `count` results, none highlighted.
    pub fn list(count: usize) -> Picker {
        Picker {
            count,
            active: None,
        }
    }

    pub fn key(&mut self, key: &str) -> KeyAction {
        match key {
            "ArrowDown" | "Down" if self.count > 0 => {
                self.active = Some(self.active.map_or(0, |i| (i + 1) % self.count));
                KeyAction::Highlight(self.active)
            }
            "ArrowUp" | "Up" if self.count > 0 => {
                self.active = Some(
                    self.active
                        .map_or(self.count - 1, |i| (i + self.count - 1) % self.count),
                );
                KeyAction::Highlight(self.active)
            }
            "Enter" if self.count > 0 => KeyAction::Choose(self.active.unwrap_or(0)),
            "Escape" | "Esc" => {
                self.active = None;
                KeyAction::Close
            }
            _ => KeyAction::Ignore,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_encoded_into_the_url() {
        assert_eq!(
            query_url("/api/search", " São Tomé ", 8),
            "/api/search?q=S%C3%A3o+Tom%C3%A9&limit=8"
        );
        assert_eq!(
            query_url("https://x.example/s?key=1", "a&b=c#d", 3),
            "https://x.example/s?key=1&q=a%26b%3Dc%23d&limit=3"
        );
    }

    #[test]
    fn answers_become_results_and_bad_features_are_skipped() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[-9.14,38.72]},"properties":{"name":"Lisbon","kind":"place"}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[-8,39.6]},"properties":{"name":"Portugal","kind":"country"}},
            {"type":"Feature","geometry":null,"properties":{"name":"No place"}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[500,0]},"properties":{"name":"Off the map"}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[1,1]},"properties":{"name":"  "}}
        ]}"#;
        let results = parse_results(text).unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(
            results[0],
            SearchResult {
                name: "Lisbon".into(),
                kind: "place".into(),
                lat: 38.72,
                lng: -9.14
            }
        );
        assert_eq!(
            (results[1].kind.as_str(), results[1].zoom()),
            ("country", 5.0)
        );
        assert_eq!(results[0].zoom(), 10.0);
        assert!(parse_results("<html>").unwrap_err().contains("not JSON"));
        assert!(parse_results(r#"{"error":{"code":"x"}}"#)
            .unwrap_err()
            .contains("FeatureCollection"));
    }

    #[test]
    fn arrows_move_round_the_list_and_enter_chooses() {
        let mut picker = Picker::list(3);
        assert_eq!(
            picker.key("Enter"),
            KeyAction::Choose(0),
            "the first when none is highlighted"
        );
        assert_eq!(picker.key("ArrowDown"), KeyAction::Highlight(Some(0)));
        assert_eq!(picker.key("ArrowDown"), KeyAction::Highlight(Some(1)));
        assert_eq!(picker.key("ArrowUp"), KeyAction::Highlight(Some(0)));
        assert_eq!(
            picker.key("ArrowUp"),
            KeyAction::Highlight(Some(2)),
            "wraps"
        );
        assert_eq!(picker.key("Enter"), KeyAction::Choose(2));
        assert_eq!(picker.key("a"), KeyAction::Ignore);
        assert_eq!(picker.key("Escape"), KeyAction::Close);
        assert_eq!(picker.active, None);
        let mut empty = Picker::list(0);
        assert_eq!(empty.key("ArrowDown"), KeyAction::Ignore);
        assert_eq!(empty.key("Enter"), KeyAction::Ignore);
    }
}
