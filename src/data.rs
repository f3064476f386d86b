//! Loading a layer's document (inline or by URL through the HTTP module) into its layer: GeoJSON
//! shapes into Leaflet, points into Rust's index.

use std::rc::Rc;

use js_sys::JsString;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, AbortSignal};

use crate::arrival::Arrival;
use crate::config::{Config, DataSource, PointsFormat};
use crate::geojson::{self, Checked, GeoJsonError, Shape};
use crate::http::Http;
use crate::map::ffi_json::{self as ffi, decode_utf8, parse_js_text, to_js};
use crate::map::{DataLayerHandle, PointInfo};
use crate::points::PointIndex;

/// What happened to one layer's data; shown per layer in the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerState {
    Loading,
    Ready {
        features: usize,
        warning: Option<String>,
    },
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
            LayerState::Failed(message)
            | LayerState::Unavailable(message)
            | LayerState::Degraded(message) => Some(message),
            LayerState::Ready { warning, .. } => warning.as_deref(),
            LayerState::Loading => None,
        }
    }
}

/// A layer's data fetched (if needed) and checked, ready to draw.
#[derive(Clone)]
pub enum Loaded {
    /// GeoJSON shapes: the document as the browser parsed it, and the check's verdict.
    Shapes { data: JsValue, checked: Checked },
    /// Points, indexed, with what to show when one is clicked.
    Points {
        index: Rc<PointIndex>,
        info: Rc<PointInfo>,
        warning: Option<String>,
    },
}

/// A layer's data ready to draw, or why it cannot be drawn.
pub type Prepared = Result<Loaded, String>;

/// Fetches (if needed) and checks a layer's data; `points` says it is a points layer and how its
/// URL is encoded. Needs no map, so the request can start before the map (and its tiles) does.
pub async fn prepare(
    http: &Http,
    source: &DataSource,
    points: Option<PointsFormat>,
    signal: Option<&AbortSignal>,
) -> Prepared {
    match (source, points) {
        (DataSource::Inline(value), None) => geojson::check(value)
            .map(|checked| Loaded::Shapes {
                data: to_js(value),
                checked,
            })
            .map_err(|e| format!("inline data is {e}")),
        (DataSource::Inline(value), Some(_)) => {
            let text = value.to_string();
            let checked = geojson::parse(&text).map_err(|e| format!("inline data is {e}"))?;
            Ok(geojson_points(&text, to_js(value), &checked))
        }
        (DataSource::Url(url), points) => {
            let buffer = http
                .get_array_buffer(url, signal)
                .await
                .map_err(|e| e.to_string())?;
            match points {
                None => checked_bytes(&buffer)
                    .map(|(_, data, checked)| Loaded::Shapes { data, checked }),
                Some(PointsFormat::GeoJson) => checked_bytes(&buffer)
                    .map(|(text, data, checked)| geojson_points(&text, data, &checked)),
                Some(PointsFormat::Binary) => binary_points(&buffer),
            }
            .map_err(|e| format!("{url} is {e}"))
        }
    }
}

/// The points of a GeoJSON document (Point and MultiPoint features), indexed.
fn geojson_points(text: &str, data: JsValue, checked: &Checked) -> Loaded {
    let positions = geojson::point_positions(text, checked);
    let (index, skipped) = PointIndex::from_pairs(&positions.lng_lat);
    let features = match checked.shape {
        Shape::FeatureCollection => js_sys::Reflect::get(&data, &"features".into())
            .unwrap_or_default()
            .dyn_into()
            .unwrap_or_default(),
        Shape::Feature => js_sys::Array::of1(&data),
        Shape::Geometry => js_sys::Array::of1(&ffi::object(&[(
            "properties",
            js_sys::Object::new().into(),
        )])),
    };
    let mut notes: Vec<String> = checked.warning().into_iter().collect();
    if positions.not_points > 0 {
        notes.push(format!(
            "{} features are not points and are left out",
            positions.not_points
        ));
    }
    notes.extend(off_map(skipped.0));
    let info = PointInfo::Features {
        features,
        feature_of: positions.feature,
    };
    Loaded::Points {
        index: Rc::new(index),
        info: Rc::new(info),
        warning: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// Points a host hands over: a `Float32Array` or `Float64Array` of longitude, latitude pairs, or
/// a GeoJSON object (Point and MultiPoint features, whose properties show on click).
pub fn points_from_js(data: &JsValue) -> Result<Loaded, String> {
    if let Some(pairs) = data.dyn_ref::<js_sys::Float32Array>() {
        return Ok(indexed_pairs(pairs.to_vec()));
    }
    if let Some(pairs) = data.dyn_ref::<js_sys::Float64Array>() {
        let lng_lat = pairs.to_vec();
        let (index, skipped) = PointIndex::from_pairs(&lng_lat);
        let lng_lat = lng_lat.iter().map(|&v| v as f32).collect();
        return Ok(Loaded::Points {
            index: Rc::new(index),
            info: Rc::new(PointInfo::PositionsOnly { lng_lat }),
            warning: off_map(skipped.0),
        });
    }
    if !data.is_object() {
        return Err(
            "points are a Float32Array or Float64Array of [lng, lat, …] pairs, or a GeoJSON object"
                .into(),
        );
    }
    let text = js_sys::JSON::stringify(data)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or("the data cannot be turned into JSON (a cycle, or a BigInt)")?;
    let checked = geojson::parse(&text).map_err(|e| format!("the data is {e}"))?;
    let copy = js_sys::JSON::parse(&text).map_err(|_| "the data is not JSON to the browser")?;
    Ok(geojson_points(&text, copy, &checked))
}

fn indexed_pairs(lng_lat: Vec<f32>) -> Loaded {
    let (index, skipped) = PointIndex::from_pairs_f32(&lng_lat);
    Loaded::Points {
        index: Rc::new(index),
        info: Rc::new(PointInfo::PositionsOnly { lng_lat }),
        warning: off_map(skipped.0),
    }
}

fn off_map(skipped: usize) -> Option<String> {
    (skipped > 0).then(|| format!("{skipped} points are not on the map (not numbers, or beyond ±90° latitude) and are left out"))
}

/// Little-endian f32 pairs (longitude, latitude), indexed.
fn binary_points(buffer: &js_sys::ArrayBuffer) -> Result<Loaded, GeoJsonError> {
    let bytes = buffer.byte_length() as usize;
    if !bytes.is_multiple_of(8) {
        return Err(GeoJsonError(format!("{bytes} bytes long, not binary points (8 bytes each: longitude and latitude as 32-bit floats)")));
    }
    // Float32Array reads the platform's byte order, which is little-endian wherever wasm runs.
    Ok(indexed_pairs(js_sys::Float32Array::new(buffer).to_vec()))
}

/// Draws prepared data on its layer. Never panics on bad data: every failure becomes
/// [`LayerState::Failed`] with a message naming the source.
pub fn apply(layer: &DataLayerHandle, prepared: Prepared) -> LayerState {
    match (layer, prepared) {
        (_, Err(message)) => LayerState::Failed(message),
        (DataLayerHandle::Shapes(layer), Ok(Loaded::Shapes { data, checked })) => {
            match layer.set_data(data, &checked) {
                Ok(()) => LayerState::Ready {
                    features: checked.features,
                    warning: checked.warning(),
                },
                Err(message) => LayerState::Failed(message),
            }
        }
        (
            DataLayerHandle::Points(layer),
            Ok(Loaded::Points {
                index,
                info,
                warning,
            }),
        ) => {
            let features = index.len();
            layer.set_points(index, info);
            LayerState::Ready { features, warning }
        }
        _ => LayerState::Failed("the data does not fit the layer".into()),
    }
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
                let (http, source, points, delivery) = (
                    http.clone(),
                    layer.source.clone(),
                    layer.points,
                    arrival.clone(),
                );
                let signal = abort.as_ref().map(AbortController::signal);
                wasm_bindgen_futures::spawn_local(async move {
                    delivery.deliver(prepare(&http, &source, points, signal.as_ref()).await);
                });
                Download {
                    name: layer.name.to_owned(),
                    shown_at_start: layer.shown_at_start,
                    arrival,
                }
            })
            .collect();
        Downloads {
            layers: Rc::new(layers),
            abort,
        }
    }

    /// (name, drawn in the first view) of every layer.
    pub fn layers(&self) -> impl Iterator<Item = (&str, bool)> {
        self.layers
            .iter()
            .map(|d| (d.name.as_str(), d.shown_at_start))
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

/// A GeoJSON document as fetched, checked in Rust and parsed by the browser's `JSON.parse` (the
/// objects Leaflet draws): each side parses it once, nothing is copied back. The bytes are
/// copied into wasm as bytes (a memcpy) and decoded by the browser's `TextDecoder`, the two
/// fastest ways across.
pub fn checked_bytes(
    buffer: &js_sys::ArrayBuffer,
) -> Result<(String, JsValue, Checked), GeoJsonError> {
    let bytes = js_sys::Uint8Array::new(buffer).to_vec();
    let mut text = String::from_utf8(bytes).map_err(|e| {
        GeoJsonError(format!(
            "not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..3);
    }
    let checked = geojson::parse(&text)?;
    let data = parse_js_text(&decode_utf8(buffer))
        .map_err(|_| GeoJsonError("not JSON to the browser".into()))?;
    Ok((text, data, checked))
}

/// Like [`checked_bytes`], for a document that is already the browser's string (a host's
/// object after `JSON.stringify`).
pub fn checked_text(text: &JsString) -> Result<(JsValue, Checked), GeoJsonError> {
    let checked = geojson::parse(&String::from(text))?;
    let data = parse_js_text(text).map_err(|_| GeoJsonError("not JSON to the browser".into()))?;
    Ok((data, checked))
}
