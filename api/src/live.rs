//! Live moving objects: the pure parts, tested natively.
//!
//! - [`Board`]: the latest position of every object, with a version per change, so a stream can
//!   send a client only what changed since what it last sent, and a client that fell behind gets
//!   the latest positions (never a backlog).
//! - [`great_circle`]: where an object is along its route (the `simulate` command moves objects
//!   with it).
//! - the stream's lines: newline-delimited JSON, `{"type":"snapshot","objects":[…]}` first, then
//!   `{"type":"update","objects":[…],"removed":[ids]}` per change (objects deleted from the table,
//!   or not heard of for longer than the time to live, are removed).

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
    /// Objects removed, and at which version (kept for [`REMEMBERED_REMOVALS`] versions: a
    /// stream further behind than that gets a snapshot).
    removed: HashMap<String, u64>,
    version: u64,
}

/// How many versions a removal is remembered for update lines.
pub const REMEMBERED_REMOVALS: u64 = 64;

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
                self.removed.remove(&object.id);
                self.objects
                    .insert(object.id.clone(), (self.version, object));
            }
        }
        let oldest = self.version.saturating_sub(REMEMBERED_REMOVALS);
        self.removed.retain(|_, version| *version > oldest);
    }

    /// Removes the objects that are not in `present` (the table's ids now: deleted rows) and
    /// those last heard of before `stale_before` (Unix seconds: they stopped reporting). One new
    /// version if anything went; the ids removed.
    pub fn remove_gone(
        &mut self,
        present: Option<&std::collections::HashSet<String>>,
        stale_before: f64,
    ) -> Vec<String> {
        let gone: Vec<String> = self
            .objects
            .iter()
            .filter(|(id, (_, object))| {
                object.at < stale_before || present.is_some_and(|ids| !ids.contains(*id))
            })
            .map(|(id, _)| id.clone())
            .collect();
        if !gone.is_empty() {
            self.version += 1;
            for id in &gone {
                self.objects.remove(id);
                self.removed.insert(id.clone(), self.version);
            }
        }
        gone
    }

    /// Whether an update line from `since` can say everything that changed (removals that old
    /// are forgotten: a client that far behind needs a snapshot).
    pub fn can_update_from(&self, since: u64) -> bool {
        since + REMEMBERED_REMOVALS >= self.version
    }

    /// The stream's first line: every object.
    pub fn snapshot_line(&self) -> String {
        self.line("snapshot", |_| true)
    }

    /// The objects changed and removed after version `since`, as an update line; `None` when
    /// nothing did.
    pub fn update_line(&self, since: u64) -> Option<String> {
        let changed = self.objects.values().any(|(changed, _)| *changed > since);
        let mut removed: Vec<&String> = self
            .removed
            .iter()
            .filter(|(_, version)| **version > since)
            .map(|(id, _)| id)
            .collect();
        if !changed && removed.is_empty() {
            return None;
        }
        let mut line = self.line("update", |changed| changed > since);
        if !removed.is_empty() {
            removed.sort_unstable();
            line.truncate(line.len() - 2);
            line.push_str(",\"removed\":[");
            for (i, id) in removed.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                line.push_str(&json_string(id));
            }
            line.push_str("]}\n");
        }
        Some(line)
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
    fn deleted_and_silent_objects_leave_in_an_update_line() {
        let mut board = Board::default();
        board.apply([
            object("a", 1.0, 100.0),
            object("b", 2.0, 100.0),
            object("c", 3.0, 50.0),
        ]);
        let before = board.version();
        // "b" was deleted from the table; "c" has not reported since 50 (older than 60).
        let present: std::collections::HashSet<String> = ["a", "c"].map(String::from).into();
        let mut gone = board.remove_gone(Some(&present), 60.0);
        gone.sort();
        assert_eq!(gone, ["b", "c"]);
        let update = board.update_line(before).unwrap();
        assert!(
            update.ends_with(",\"removed\":[\"b\",\"c\"]}\n"),
            "{update}"
        );
        assert!(!board.snapshot_line().contains("\"id\":\"b\""));
        assert!(board.can_update_from(before));
        // Nothing else goes: no new version.
        let now = board.version();
        assert!(board.remove_gone(Some(&present), 60.0).is_empty());
        assert_eq!(board.version(), now);
        // Back again: no longer removed.
        board.apply([object("b", 2.0, 120.0)]);
        assert!(!board.update_line(now).unwrap().contains("removed"));
        // Far behind: only a snapshot tells all.
        for i in 0..REMEMBERED_REMOVALS + 1 {
            board.apply([object("a", 1.0, 200.0 + i as f64)]);
        }
        assert!(!board.can_update_from(before));
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
