//! Loading a layer's GeoJSON (inline or by URL through the HTTP module) into its Leaflet layer.

use std::rc::Rc;

use js_sys::JsString;
use wasm_bindgen::JsValue;
use web_sys::{AbortController, AbortSignal};

use crate::arrival::Arrival;
use crate::config::{Config, DataSource};
use crate::geojson::{self, Checked, GeoJsonError};
use crate::map::ffi_json::{decode_utf8, parse_js_text, to_js};
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

/// A layer's data fetched (if needed) and checked, ready to draw; or why it cannot be drawn.
pub type Prepared = Result<(JsValue, Checked), String>;

/// Fetches (if needed) and checks a layer's data. Needs no map, so the request can start before
/// the map (and its tiles) does.
pub async fn prepare(http: &Http, source: &DataSource, signal: Option<&AbortSignal>) -> Prepared {
    match source {
        DataSource::Inline(value) => geojson::check(value).map(|checked| (to_js(value), checked)).map_err(|e| format!("inline data is {e}")),
        DataSource::Url(url) => match http.get_array_buffer(url, signal).await {
            Ok(bytes) => checked_bytes(&bytes).map_err(|e| format!("{url} is {e}")),
            Err(error) => Err(error.to_string()),
        },
    }
}

/// Draws prepared data on its layer. Never panics on bad data: every failure becomes
/// [`LayerState::Failed`] with a message naming the source.
pub fn apply(layer: &GeoJsonLayer, prepared: Prepared) -> LayerState {
    let (data, checked) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => return LayerState::Failed(message),
    };
    if let Err(message) = layer.set_data(data, &checked) {
        return LayerState::Failed(message);
    }
    LayerState::Ready { features: checked.features, warning: checked.warning() }
}

/// The GeoJSON layers' data, requested as soon as the config is read, before the map (and its
/// tiles) exists, and handed to each layer when both are there.
#[derive(Clone)]
pub struct Downloads {
    layers: Rc<Vec<Download>>,
    abort: Option<AbortController>,
}

struct Download {
    name: String,
    shown_at_start: bool,
    arrival: Arrival<Prepared>,
}

impl Downloads {
    /// Starts every GeoJSON layer's request (those drawn in the first view first).
    pub fn start(config: &Config, http: &Http) -> Downloads {
        let abort = AbortController::new().ok();
        let layers: Vec<Download> = config
            .data_layers()
            .into_iter()
            .map(|layer| {
                let arrival = Arrival::default();
                let (http, source, delivery) = (http.clone(), layer.source.clone(), arrival.clone());
                let signal = abort.as_ref().map(AbortController::signal);
                wasm_bindgen_futures::spawn_local(async move {
                    delivery.deliver(prepare(&http, &source, signal.as_ref()).await);
                });
                Download { name: layer.name.to_owned(), shown_at_start: layer.shown_at_start, arrival }
            })
            .collect();
        Downloads { layers: Rc::new(layers), abort }
    }

    /// (name, drawn in the first view) of every layer.
    pub fn layers(&self) -> impl Iterator<Item = (&str, bool)> {
        self.layers.iter().map(|d| (d.name.as_str(), d.shown_at_start))
    }

    /// The layer's data, when it is there.
    pub async fn arrived(&self, name: &str) -> Option<Prepared> {
        let arrival = self.layers.iter().find(|d| d.name == name)?.arrival.clone();
        Some(arrival.wait().await)
    }

    /// Aborts the requests still running; their data goes nowhere.
    pub fn cancel(&self) {
        if let Some(abort) = &self.abort {
            abort.abort();
        }
    }
}

/// [`prepare`], then [`apply`].
pub async fn load_into(http: &Http, source: &DataSource, layer: &GeoJsonLayer, signal: Option<&AbortSignal>) -> LayerState {
    apply(layer, prepare(http, source, signal).await)
}

/// A GeoJSON document as fetched, checked in Rust and parsed by the browser's `JSON.parse` (the
/// objects Leaflet draws): each side parses it once, nothing is copied back. The bytes are
/// copied into wasm as bytes (a memcpy) and decoded by the browser's `TextDecoder`, the two
/// fastest ways across.
pub fn checked_bytes(buffer: &js_sys::ArrayBuffer) -> Result<(JsValue, Checked), GeoJsonError> {
    let bytes = js_sys::Uint8Array::new(buffer).to_vec();
    let text = std::str::from_utf8(&bytes).map_err(|e| GeoJsonError(format!("not UTF-8 text (byte {})", e.valid_up_to())))?;
    let checked = geojson::parse(text.strip_prefix('\u{feff}').unwrap_or(text))?;
    let data = parse_js_text(&decode_utf8(buffer)).map_err(|_| GeoJsonError("not JSON to the browser".into()))?;
    Ok((data, checked))
}

/// Like [`checked_bytes`], for a document that is already the browser's string (a host's
/// object after `JSON.stringify`).
pub fn checked_text(text: &JsString) -> Result<(JsValue, Checked), GeoJsonError> {
    let checked = geojson::parse(&String::from(text))?;
    let data = parse_js_text(text).map_err(|_| GeoJsonError("not JSON to the browser".into()))?;
    Ok((data, checked))
}
