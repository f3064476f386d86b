//! A live layer's logic, pure (tested natively, the clock injected): the stream's lines as they
//! arrive in chunks, its messages, each object's track between updates (positions interpolated,
//! so 1 Hz updates move smoothly), and the waits before reconnecting.

use std::collections::HashMap;

use crate::json::Json;

/// Bytes of one line at most: a line longer than this is not the API's, and is dropped.
const MAX_LINE: usize = 64 << 20;

/// Splits a byte stream into lines; a line split across chunks (or a character split across
/// them) is joined first.
#[derive(Debug, Default)]
pub struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    /// The complete lines in `chunk` (with what was pending), as text (invalid UTF-8 replaced).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(chunk);
        let Some(last) = self.pending.iter().rposition(|&b| b == b'\n') else {
            if self.pending.len() > MAX_LINE {
                self.pending.clear();
            }
            return Vec::new();
        };
        let rest = self.pending.split_off(last + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        complete
            .split(|&b| b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .collect()
    }
}

/// One object's reported state.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: String,
    pub name: String,
    pub lng: f64,
    pub lat: f64,
    pub heading: f64,
    pub speed: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Every object: those not in it are gone.
    Snapshot(Vec<Report>),
    /// Objects that moved, and the ids of those that left (deleted, or silent too long).
    Update(Vec<Report>, Vec<String>),
    Ping,
    /// The server is stopping: reconnect.
    End(String),
}

/// A line of the stream; objects without an id or a valid position are skipped.
pub fn parse_line(line: &str) -> Result<Message, String> {
    let value = Json::parse(line).map_err(|e| format!("a line is not JSON ({e})"))?;
    let objects = || -> Vec<Report> {
        value
            .get("objects")
            .and_then(Json::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(|o| {
                let (lng, lat) = (o.get("lng")?.as_f64()?, o.get("lat")?.as_f64()?);
                let valid = (-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat);
                let id = o.get("id")?.as_str()?.to_owned();
                valid.then(|| Report {
                    id,
                    name: o
                        .get("name")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    lng,
                    lat,
                    heading: o.get("heading").and_then(Json::as_f64).unwrap_or(0.0),
                    speed: o.get("speed").and_then(Json::as_f64).unwrap_or(0.0),
                })
            })
            .collect()
    };
    match value.get("type").and_then(Json::as_str) {
        Some("snapshot") => Ok(Message::Snapshot(objects())),
        Some("update") => Ok(Message::Update(
            objects(),
            value
                .get("removed")
                .and_then(Json::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(|id| id.as_str().map(str::to_owned))
                .collect(),
        )),
        Some("ping") => Ok(Message::Ping),
        Some("end") => Ok(Message::End(
            value
                .get("reason")
                .and_then(Json::as_str)
                .unwrap_or("the stream ended")
                .to_owned(),
        )),
        Some(other) => Err(format!("unknown message type \"{other}\"")),
        None => Err("a line without a \"type\"".into()),
    }
}

/// An object on the map: where it was drawn when its last report came, and where it goes.
#[derive(Debug, Clone, PartialEq)]
struct Track {
    report: Report,
    from: (f64, f64),
    /// When the move from `from` to the report's position started and how long it takes (ms).
    start: f64,
    duration: f64,
}

/// Every object's track; positions interpolated between reports by the time given.
#[derive(Debug, Default)]
pub struct Tracks {
    tracks: HashMap<String, Track>,
    last_report_at: Option<f64>,
    /// How long updates take to come, smoothed (ms): each move lasts that long.
    interval: f64,
}

impl Tracks {
    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    /// Takes in a message received at `now` (ms). A snapshot replaces everything.
    pub fn apply(&mut self, message: Message, now: f64) {
        let reports = match message {
            Message::Snapshot(reports) => {
                let keep: std::collections::HashSet<&str> =
                    reports.iter().map(|r| r.id.as_str()).collect();
                self.tracks.retain(|id, _| keep.contains(id.as_str()));
                reports
            }
            Message::Update(reports, removed) => {
                for id in &removed {
                    self.tracks.remove(id);
                }
                reports
            }
            Message::Ping | Message::End(_) => return,
        };
        if let Some(last) = self.last_report_at {
            let gap = (now - last).clamp(100.0, 5_000.0);
            self.interval = if self.interval == 0.0 {
                gap
            } else {
                0.7 * self.interval + 0.3 * gap
            };
        }
        self.last_report_at = Some(now);
        let duration = if self.interval == 0.0 {
            1_000.0
        } else {
            self.interval
        };
        for report in reports {
            let from = match self.tracks.get(&report.id) {
                Some(track) => track.position(now),
                // New: it appears where it is.
                None => (report.lng, report.lat),
            };
            self.tracks.insert(
                report.id.clone(),
                Track {
                    report,
                    from,
                    start: now,
                    duration,
                },
            );
        }
    }

    /// Every object where it is at `now`: (id, longitude, latitude).
    pub fn positions(&self, now: f64) -> impl Iterator<Item = (&str, f64, f64)> {
        self.tracks.iter().map(move |(id, track)| {
            let (lng, lat) = track.position(now);
            (id.as_str(), lng, lat)
        })
    }

    /// The report of object `id`.
    pub fn report(&self, id: &str) -> Option<&Report> {
        self.tracks.get(id).map(|t| &t.report)
    }
}

impl Track {
    fn position(&self, now: f64) -> (f64, f64) {
        let t = ((now - self.start) / self.duration).clamp(0.0, 1.0);
        let to = (self.report.lng, self.report.lat);
        // Across the antimeridian the short way round.
        let mut dlng = to.0 - self.from.0;
        if dlng > 180.0 {
            dlng -= 360.0;
        } else if dlng < -180.0 {
            dlng += 360.0;
        }
        let lng = self.from.0 + dlng * t;
        let lng = if lng > 180.0 {
            lng - 360.0
        } else if lng < -180.0 {
            lng + 360.0
        } else {
            lng
        };
        (lng, self.from.1 + (to.1 - self.from.1) * t)
    }
}

/// The pause before reconnect attempt `attempt` (1, 2, …): 0.5 s doubling to 30 s at most, a
/// random half to full of that (`random` in 0..1), so many clients do not come back at once.
pub fn reconnect_delay_ms(attempt: u32, random: f64) -> u32 {
    let ceiling = (500.0 * 2f64.powi(attempt.saturating_sub(1).min(16) as i32)).min(30_000.0);
    (ceiling * (0.5 + 0.5 * random.clamp(0.0, 1.0))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, lng: f64, lat: f64) -> Report {
        Report {
            id: id.into(),
            name: format!("Flight {id}"),
            lng,
            lat,
            heading: 0.0,
            speed: 200.0,
        }
    }

    #[test]
    fn lines_split_across_chunks_are_joined() {
        let mut buffer = LineBuffer::default();
        assert!(buffer.push(b"{\"type\":\"pi").is_empty());
        assert_eq!(
            buffer.push(b"ng\"}\n{\"type\""),
            vec!["{\"type\":\"ping\"}"]
        );
        // "é" split between chunks.
        let e = "é".as_bytes();
        assert!(buffer.push(&[b':', b'"', e[0]]).is_empty());
        assert_eq!(
            buffer.push(&[e[1], b'"', b'}', b'\n', b'\n']),
            vec!["{\"type\":\"é\"}"]
        );
    }

    #[test]
    fn messages_are_read_and_bad_objects_skipped() {
        let line = r#"{"type":"update","version":3,"objects":[{"id":"a","name":"A","lng":1,"lat":2,"heading":90,"speed":5},{"id":"b","lng":500,"lat":0},{"lng":1,"lat":1}]}"#;
        assert_eq!(
            parse_line(line),
            Ok(Message::Update(
                vec![Report {
                    id: "a".into(),
                    name: "A".into(),
                    lng: 1.0,
                    lat: 2.0,
                    heading: 90.0,
                    speed: 5.0
                }],
                vec![]
            ))
        );
        // What left, by id.
        let gone = r#"{"type":"update","version":4,"objects":[],"removed":["b","c"]}"#;
        assert_eq!(
            parse_line(gone),
            Ok(Message::Update(vec![], vec!["b".into(), "c".into()]))
        );
        let mut tracks = Tracks::default();
        tracks.apply(
            Message::Snapshot(vec![report("b", 0.0, 0.0), report("d", 1.0, 1.0)]),
            0.0,
        );
        tracks.apply(parse_line(gone).unwrap(), 1_000.0);
        assert_eq!(tracks.len(), 1, "b left the map");
        assert_eq!(parse_line(r#"{"type":"ping"}"#), Ok(Message::Ping));
        assert!(
            matches!(parse_line(r#"{"type":"end","reason":"bye"}"#), Ok(Message::End(r)) if r == "bye")
        );
        assert!(parse_line("oops").is_err());
        assert!(parse_line(r#"{"type":"weird"}"#)
            .unwrap_err()
            .contains("weird"));
    }

    #[test]
    fn objects_glide_between_reports() {
        let mut tracks = Tracks::default();
        tracks.apply(
            Message::Snapshot(vec![report("a", 0.0, 0.0), report("b", 5.0, 5.0)]),
            0.0,
        );
        assert_eq!(
            tracks
                .positions(0.0)
                .find(|p| p.0 == "a")
                .map(|p| (p.1, p.2)),
            Some((0.0, 0.0))
        );
        // Reports a second apart: the next move takes a second, from where it was drawn.
        tracks.apply(
            Message::Update(vec![report("a", 10.0, 0.0)], vec![]),
            1_000.0,
        );
        let at = |tracks: &Tracks, now| {
            tracks
                .positions(now)
                .find(|p| p.0 == "a")
                .map(|p| (p.1, p.2))
                .unwrap()
        };
        assert_eq!(at(&tracks, 1_000.0), (0.0, 0.0));
        assert_eq!(at(&tracks, 1_500.0), (5.0, 0.0));
        assert_eq!(at(&tracks, 2_000.0), (10.0, 0.0));
        assert_eq!(
            at(&tracks, 9_000.0),
            (10.0, 0.0),
            "it stays at its last report"
        );
        // An update halfway through a move starts from where the object is drawn then.
        tracks.apply(
            Message::Update(vec![report("a", 20.0, 0.0)], vec![]),
            1_500.0,
        );
        assert_eq!(at(&tracks, 1_500.0), (5.0, 0.0));
        // A snapshot drops what it does not list.
        tracks.apply(Message::Snapshot(vec![report("b", 5.0, 5.0)]), 3_000.0);
        assert_eq!(tracks.len(), 1);
        assert!(tracks.report("a").is_none() && tracks.report("b").is_some());
    }

    #[test]
    fn a_move_across_the_antimeridian_goes_the_short_way() {
        let mut tracks = Tracks::default();
        tracks.apply(Message::Snapshot(vec![report("a", 179.0, 0.0)]), 0.0);
        tracks.apply(
            Message::Update(vec![report("a", -179.0, 0.0)], vec![]),
            1_000.0,
        );
        let (_, lng, _) = tracks.positions(1_500.0).next().unwrap();
        assert!(lng.abs() > 179.9, "{lng}");
    }

    #[test]
    fn reconnects_back_off_to_half_a_minute_with_jitter() {
        assert_eq!(reconnect_delay_ms(1, 1.0), 500);
        assert_eq!(reconnect_delay_ms(1, 0.0), 250);
        assert_eq!(reconnect_delay_ms(3, 1.0), 2_000);
        assert_eq!(reconnect_delay_ms(40, 1.0), 30_000);
        assert_eq!(reconnect_delay_ms(0, f64::NAN.max(0.0)), 250);
    }
}
