//! The live stream as it arrives (bytes in chunks of any size): lines are the same however the
//! bytes are split, every line parses or is refused without a panic, and the tracks built from the
//! messages only ever hold positions on the map.
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::live::{parse_line, LineBuffer, Tracks};

fuzz_target!(|input: (u8, &[u8])| {
    let (split, bytes) = input;
    let whole = LineBuffer::default().push(bytes);
    let mut chunked = LineBuffer::default();
    let step = usize::from(split).max(1);
    let lines: Vec<String> = bytes.chunks(step).flat_map(|chunk| chunked.push(chunk)).collect();
    assert_eq!(lines, whole, "the lines do not depend on how the bytes came");
    let mut tracks = Tracks::default();
    for (i, line) in lines.iter().enumerate() {
        if let Ok(message) = parse_line(line) {
            tracks.apply(message, i as f64 * 250.0);
        }
    }
    for now in [0.0, 125.0, 1e6] {
        for (_, lng, lat) in tracks.positions(now) {
            assert!((-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat), "{lng} {lat}");
        }
    }
});
