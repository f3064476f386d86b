//! Live moving objects: the pure parts, tested natively.
//!
//! - [`Board`]: the latest position of every object, with a version per change, so a stream can
//!   send a client only what changed since what it last sent, and a client that fell behind gets
//!   the latest positions (never a backlog).
//! - [`great_circle`]: where an object is along its route (the `simulate` command moves objects
//!   with it).
//! - the stream's lines: newline-delimited JSON, `{"type":"snapshot","objects":[…]}` first, then
//!   `{"type":"update","objects":[…]}` per change.

use std::collections::HashMap;
use std::fmt::Write;

use crate::error::json_string;

/// One object as the stream sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveObject {
    pub id: String,
    pub name: String,
    pub lng: f64,
    pub lat: f64,
    /// Degrees clockwise from north.
    pub heading: f64,
    /// Metres a second.
    pub speed: f64,
    /// When it was there (Unix seconds).
    pub at: f64,
}

impl LiveObject {
    fn write_json(&self, out: &mut String) {
        let _ = write!(
            out,
            "{{\"id\":{},\"name\":{},\"lng\":{},\"lat\":{},\"heading\":{},\"speed\":{},\"at\":{}}}",
            json_string(&self.id),
            json_string(&self.name),
            round(self.lng, 6),
            round(self.lat, 6),
            round(self.heading, 1),
            round(self.speed, 1),
            round(self.at, 3)
        );
    }
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    if value.is_finite() {
        (value * scale).round() / scale
    } else {
        0.0
    }
}

/// The latest positions, and which version changed each.
#[derive(Debug, Default, Clone)]
pub struct Board {
    objects: HashMap<String, (u64, LiveObject)>,
    version: u64,
}

impl Board {
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Records positions; one new version for the lot. Older positions than what the board has
    /// (a replica's late answer) are ignored.
    pub fn apply(&mut self, objects: impl IntoIterator<Item = LiveObject>) {
        self.version += 1;
        for object in objects {
            let newer = self
                .objects
                .get(&object.id)
                .is_none_or(|(_, known)| object.at >= known.at);
            if newer {
                self.objects
                    .insert(object.id.clone(), (self.version, object));
            }
        }
    }

    /// The stream's first line: every object.
    pub fn snapshot_line(&self) -> String {
        self.line("snapshot", |_| true)
    }

    /// The objects changed after version `since`, as an update line; `None` when nothing did.
    pub fn update_line(&self, since: u64) -> Option<String> {
        self.objects
            .values()
            .any(|(changed, _)| *changed > since)
            .then(|| self.line("update", |changed| changed > since))
    }

    fn line(&self, kind: &str, include: impl Fn(u64) -> bool) -> String {
        let mut out = String::with_capacity(64 + self.objects.len() * 120);
        let _ = write!(
            out,
            "{{\"type\":\"{kind}\",\"version\":{},\"objects\":[",
            self.version
        );
        let mut first = true;
        let mut ids: Vec<&String> = self.objects.keys().collect();
        ids.sort_unstable();
        for id in ids {
            let (changed, object) = &self.objects[id];
            if !include(*changed) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            object.write_json(&mut out);
        }
        out.push_str("]}\n");
        out
    }
}

/// The point a fraction `t` (0..=1) of the way along the great circle from `from` to `to`
/// (longitude, latitude in degrees), and the heading there (degrees clockwise from north).
pub fn great_circle(from: (f64, f64), to: (f64, f64), t: f64) -> ((f64, f64), f64) {
    let (lng1, lat1) = (from.0.to_radians(), from.1.to_radians());
    let (lng2, lat2) = (to.0.to_radians(), to.1.to_radians());
    let d = 2.0
        * ((((lat2 - lat1) / 2.0).sin().powi(2)
            + lat1.cos() * lat2.cos() * ((lng2 - lng1) / 2.0).sin().powi(2))
        .sqrt())
        .asin();
    let position = if d < 1e-12 {
        (lng1, lat1)
    } else {
        let a = ((1.0 - t) * d).sin() / d.sin();
        let b = (t * d).sin() / d.sin();
        let x = a * lat1.cos() * lng1.cos() + b * lat2.cos() * lng2.cos();
        let y = a * lat1.cos() * lng1.sin() + b * lat2.cos() * lng2.sin();
        let z = a * lat1.sin() + b * lat2.sin();
        (y.atan2(x), z.atan2((x * x + y * y).sqrt()))
    };
    // The heading from here towards the destination.
    let (lng, lat) = position;
    let heading = ((lng2 - lng).sin() * lat2.cos())
        .atan2(lat.cos() * lat2.sin() - lat.sin() * lat2.cos() * (lng2 - lng).cos())
        .to_degrees()
        .rem_euclid(360.0);
    ((lng.to_degrees(), lat.to_degrees()), heading)
}

/// Great-circle distance in metres.
pub fn distance_m(from: (f64, f64), to: (f64, f64)) -> f64 {
    let (lng1, lat1) = (from.0.to_radians(), from.1.to_radians());
    let (lng2, lat2) = (to.0.to_radians(), to.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lng2 - lng1) / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(id: &str, lng: f64, at: f64) -> LiveObject {
        LiveObject {
            id: id.into(),
            name: format!("Bus {id}"),
            lng,
            lat: 10.0,
            heading: 90.0,
            speed: 12.0,
            at,
        }
    }

    #[test]
    fn updates_carry_only_what_changed_and_a_late_client_gets_the_latest() {
        let mut board = Board::default();
        board.apply([object("a", 1.0, 1.0), object("b", 2.0, 1.0)]);
        let first = board.version();
        assert!(board
            .snapshot_line()
            .starts_with("{\"type\":\"snapshot\",\"version\":1,\"objects\":[{\"id\":\"a\""));
        assert_eq!(board.update_line(first), None, "nothing new");
        board.apply([object("a", 1.5, 2.0)]);
        let update = board.update_line(first).unwrap();
        assert!(
            update.contains("\"lng\":1.5") && !update.contains("\"id\":\"b\""),
            "{update}"
        );
        // Three changes later, a client still at `first` gets each object once, at its latest.
        board.apply([object("a", 1.6, 3.0)]);
        board.apply([object("a", 1.7, 4.0), object("b", 2.5, 4.0)]);
        let catch_up = board.update_line(first).unwrap();
        assert_eq!(catch_up.matches("\"id\":\"a\"").count(), 1);
        assert!(
            catch_up.contains("\"lng\":1.7") && catch_up.contains("\"lng\":2.5"),
            "{catch_up}"
        );
        assert!(catch_up.ends_with("]}\n"));
        // A late answer with an older position does not move an object back.
        board.apply([object("a", 0.0, 3.5)]);
        assert!(board.snapshot_line().contains("\"lng\":1.7"));
    }

    #[test]
    fn names_are_json_escaped() {
        let mut board = Board::default();
        let mut odd = object("x\"y", 0.0, 1.0);
        odd.name = "Line \"7\"\n".into();
        board.apply([odd]);
        let line = board.snapshot_line();
        assert!(
            line.contains(r#""id":"x\"y","name":"Line \"7\"\n""#),
            "{line}"
        );
    }

    #[test]
    fn great_circles_start_end_and_head_the_right_way() {
        let lisbon = (-9.14, 38.72);
        let new_york = (-74.0, 40.71);
        let ((lng, lat), heading) = great_circle(lisbon, new_york, 0.0);
        assert!((lng - lisbon.0).abs() < 1e-9 && (lat - lisbon.1).abs() < 1e-9);
        assert!(
            (280.0..310.0).contains(&heading),
            "west-north-west: {heading}"
        );
        let ((lng, lat), _) = great_circle(lisbon, new_york, 1.0);
        assert!((lng - new_york.0).abs() < 1e-9 && (lat - new_york.1).abs() < 1e-9);
        // Halfway, the great circle bends north of both ends.
        let ((_, lat), _) = great_circle(lisbon, new_york, 0.5);
        assert!(lat > 42.0, "{lat}");
        let d = distance_m(lisbon, new_york);
        assert!((5_350_000.0..5_450_000.0).contains(&d), "{d}");
        let ((lng, lat), _) = great_circle(lisbon, lisbon, 0.5);
        assert!((lng - lisbon.0).abs() < 1e-9 && (lat - lisbon.1).abs() < 1e-9);
    }
}
