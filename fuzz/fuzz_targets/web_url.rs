//! URL parsing and resolution: a parsed URL written out parses to itself; joining never panics
//! and an http(s) result has an origin.
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::web_url::WebUrl;

fuzz_target!(|input: (&str, &str)| {
    let (base, reference) = input;
    if let Ok(url) = WebUrl::parse(base) {
        let written = url.to_string();
        let again = WebUrl::parse(&written).expect("a written URL parses");
        assert_eq!(again.to_string(), written);
        if let Ok(joined) = url.join(reference) {
            let _ = joined.origin();
            let _ = joined.to_string();
        }
    }
    let _ = meshmap::web_url::scheme(reference);
});
