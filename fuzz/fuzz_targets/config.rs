//! config.json text → a Config, or errors that each name where they are (or the document).
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::config::Config;

fuzz_target!(|text: &str| {
    match Config::from_json(text) {
        Ok(mut config) => {
            assert!(!config.base_layers.is_empty());
            assert!(config.view.min_zoom <= config.view.max_zoom);
            let _ = config.data_layers();
            let _ = config.resolve_against("https://maps.example.com/app/config.json");
        }
        Err(errors) => assert!(!errors.is_empty() && errors.iter().all(|e| !e.message.is_empty())),
    }
});
