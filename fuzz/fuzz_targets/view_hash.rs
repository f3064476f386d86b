//! The URL fragment → a view within range; formatting it and reading it back gives the view
//! (to the fragment's precision).
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::view_hash::{format, parse};

fuzz_target!(|fragment: &str| {
    if let Ok(view) = parse(fragment, (0.0, 22.0)) {
        assert!((0.0..=22.0).contains(&view.zoom) && (-90.0..=90.0).contains(&view.lat) && view.lng.is_finite());
        let text = format(&view);
        let back = parse(&text, (0.0, 22.0)).expect("a formatted view parses");
        assert_eq!(format(&back), text);
    }
});
