//! JSON text → Json → text → the same Json: the parser and the writer agree, and nothing panics
//! or overflows the stack (the depth cap).
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::json::Json;

fuzz_target!(|text: &str| {
    if let Ok(value) = Json::parse(text) {
        let written = value.to_string();
        let again = Json::parse(&written).expect("what the writer writes parses");
        assert_eq!(again.to_string(), written, "writing is stable");
    }
});
