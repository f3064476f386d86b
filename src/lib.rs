//! meshmap: an interactive map frontend (Leptos + Leaflet, compiled to WebAssembly).
//!
//! The pure modules (`config`, `cookie`, `origin`, `view_hash`, `geojson`) build and test natively;
//! the browser modules (`http`, `map`, `ui`) only for wasm32.

pub mod config;
pub mod cookie;
pub mod geojson;
pub mod origin;
pub mod view_hash;
