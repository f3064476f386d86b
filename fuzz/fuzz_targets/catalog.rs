//! Martin's /catalog text → sources whose ids can go into a tile URL, or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(catalog) = meshmap::catalog::parse(text) {
        for source in &catalog.sources {
            assert!(!source.id.is_empty() && !source.id.contains(['/', '?', '#', '{', '}']), "{:?}", source.id);
        }
    }
});
