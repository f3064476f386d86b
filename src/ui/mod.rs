//! Leptos components: the app shell, the map view, the error view and the layer status panel.

mod app;
mod error_view;
mod hooks;
mod map_view;
mod status;

pub use app::{App, AppOptions, ConfigSource};
pub use error_view::StartError;
pub use hooks::MapHooks;
