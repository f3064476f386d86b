//! Loading a layer's GeoJSON (inline or by URL through the HTTP module) into its Leaflet layer.

use web_sys::AbortSignal;

use crate::config::DataSource;
use crate::geojson;
use crate::http::Http;
use crate::map::GeoJsonLayer;

/// What happened to one layer's data; shown per layer in the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerState {
    Loading,
    Ready { features: usize, warning: Option<String> },
    /// Shown, but partly: e.g. some of a tile layer's tiles fail to load.
    Degraded(String),
    /// The layer's server does not answer; the layer retries and recovers by itself.
    Unavailable(String),
    Failed(String),
}

impl LayerState {
    /// The message of a state the user should hear about (what the status panel shows).
    pub fn problem(&self) -> Option<&str> {
        match self {
            LayerState::Failed(message) | LayerState::Unavailable(message) | LayerState::Degraded(message) => Some(message),
            LayerState::Ready { warning, .. } => warning.as_deref(),
            LayerState::Loading => None,
        }
    }
}

/// Fetches (if needed), checks and draws a layer's data. Never panics on bad data: every
/// failure becomes [`LayerState::Failed`] with a message naming the source.
pub async fn load_into(http: &Http, source: &DataSource, layer: &GeoJsonLayer, signal: Option<&AbortSignal>) -> LayerState {
    let checked = match source {
        DataSource::Inline(value) => geojson::check(value).map_err(|e| format!("inline data is {e}")),
        DataSource::Url(url) => match http.get_text(url, signal).await {
            Ok(text) => geojson::parse(&text).map_err(|e| format!("{url} is {e}")),
            Err(error) => Err(error.to_string()),
        },
    };
    let checked = match checked {
        Ok(checked) => checked,
        Err(message) => return LayerState::Failed(message),
    };
    if let Err(message) = layer.set_data(&checked.collection) {
        return LayerState::Failed(message);
    }
    LayerState::Ready { features: checked.features, warning: checked.warning() }
}
