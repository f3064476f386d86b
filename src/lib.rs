//! meshmap: an interactive map frontend (Leptos + Leaflet, compiled to WebAssembly).
//!
//! The pure modules (`config`, `cookie`, `origin`, `view_hash`, `geojson`) build and test natively;
//! the browser modules (`http`, `data`, `map`, `ui`) only for wasm32.

pub mod arrival;
pub mod callback;
pub mod catalog;
pub mod cluster;
/// Leptos components (the map, layers, markers, controls) for apps of your own; with the `ssr`
/// feature they also render on the server.
#[cfg(any(target_arch = "wasm32", feature = "ssr"))]
pub mod components;
pub mod config;
pub mod cookie;
pub mod focus_order;
pub mod geojson;
pub mod json;
pub mod live;
pub mod math;
pub mod mvt;
pub mod origin;
pub mod points;
pub mod retry;
pub mod search;
pub mod shapes;
pub mod tile_math;
pub mod tile_plan;
pub mod view_hash;
pub mod web_url;

#[cfg(target_arch = "wasm32")]
pub mod data;
/// The embedding API (`mount`, `<meshmap-view>`, `MapWidget`), exported to JavaScript: the
/// `widget` feature (on by default; the app's wasm carries it). Exports are kept in every wasm
/// the crate is linked into, so a Leptos app using only [`components`] turns it off.
#[cfg(all(target_arch = "wasm32", feature = "widget"))]
pub mod embed;
#[cfg(target_arch = "wasm32")]
pub mod http;
#[cfg(target_arch = "wasm32")]
pub mod map;
#[cfg(target_arch = "wasm32")]
mod mount;
#[cfg(target_arch = "wasm32")]
pub mod ui;

#[cfg(target_arch = "wasm32")]
pub use mount::{install_panic_hook, mount, Mounted};

/// The build's version, shown in the badge: `MESHMAP_VERSION` at compile time, else "dev".
pub const BUILD_VERSION: &str = match option_env!("MESHMAP_VERSION") {
    Some(version) => version,
    None => "dev",
};
