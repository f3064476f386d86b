//! Loading a layer's document (inline or by URL through the HTTP module) into its layer: GeoJSON
//! shapes into Rust's [`ShapeSet`] as the body streams in (or into Leaflet, for SVG layers),
//! points into Rust's index.

use std::rc::Rc;

use js_sys::JsString;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, AbortSignal};

use crate::arrival::Arrival;
use crate::callback::SharedCallback;
use crate::config::{Config, DataSource, PointsFormat};
use crate::geojson::stream::GeoJsonStream;
use crate::geojson::{self, Checked, FeatureSink, GeoJsonError};
use crate::http::Http;
use crate::map::ffi_json::{decode_utf8, parse_js_text, to_js};
use crate::map::{DataLayerHandle, PointInfo};
use crate::points::geojson::PointsReader;
use crate::points::PointIndex;
use crate::shapes::ShapeSet;

/// What happened to one layer's data; shown per layer in the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerState {
    Loading,
    /// A large document on its way: how far it has got.
    Arriving(Progress),
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
            LayerState::Loading | LayerState::Arriving(_) => None,
        }
    }
}

/// How far a layer's document has got: bytes received (of `total`, when the server said how
/// many) and features read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub received: u64,
    pub total: Option<u64>,
    pub features: usize,
}

/// Documents smaller than this arrive without progress reports (they would only flicker).
pub const PROGRESS_FROM_BYTES: u64 = 1 << 20;

/// What a layer does with its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// GeoJSON Rust draws: read into a [`ShapeSet`] as it streams in.
    Drawn,
    /// GeoJSON Leaflet draws (SVG): parsed by the browser, checked by Rust.
    Leaflet,
    /// Points, encoded so.
    Points(PointsFormat),
}

impl DataKind {
    pub fn of(layer: &crate::config::DataLayer) -> DataKind {
        match (layer.points, layer.drawn) {
            (Some(format), _) => DataKind::Points(format),
            (None, true) => DataKind::Drawn,
            (None, false) => DataKind::Leaflet,
        }
    }
}

/// A layer's data fetched (if needed) and checked, ready to draw.
#[derive(Clone)]
pub enum Loaded {
    /// GeoJSON shapes Rust draws, and the check's verdict.
    Drawn {
        shapes: Rc<ShapeSet>,
        checked: Checked,
    },
    /// GeoJSON shapes for Leaflet: the document as the browser parsed it, and the check's
    /// verdict.
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

/// Fetches (if needed) and checks a layer's data, for a layer of `kind`. Needs no map, so the
/// request can start before the map (and its tiles) does. `progress` hears how a large document
/// is getting on.
pub async fn prepare(
    http: &Http,
    source: &DataSource,
    kind: DataKind,
    signal: Option<&AbortSignal>,
    progress: &dyn Fn(Progress),
) -> Prepared {
    match (source, kind) {
        (DataSource::Inline(value), DataKind::Drawn) => {
            read_shapes(&value.to_string()).map_err(|e| format!("inline data is {e}"))
        }
        (DataSource::Inline(value), DataKind::Leaflet) => geojson::check(value)
            .map(|checked| Loaded::Shapes {
                data: to_js(value),
                checked,
            })
            .map_err(|e| format!("inline data is {e}")),
        (DataSource::Inline(value), DataKind::Points(_)) => {
            read_points(&value.to_string()).map_err(|e| format!("inline data is {e}"))
        }
        (DataSource::Url(url), DataKind::Drawn) => {
            let mut shapes = ShapeSet::default();
            let checked = stream_into(http, url, signal, progress, &mut shapes).await?;
            shapes.shrink();
            Ok(Loaded::Drawn {
                shapes: Rc::new(shapes),
                checked,
            })
        }
        (DataSource::Url(url), DataKind::Points(PointsFormat::GeoJson)) => {
            let mut reader = PointsReader::default();
            let checked = stream_into(http, url, signal, progress, &mut reader).await?;
            Ok(geojson_points(reader, &checked))
        }
        (DataSource::Url(url), kind) => {
            let buffer = http
                .get_array_buffer(url, signal)
                .await
                .map_err(|e| e.to_string())?;
            match kind {
                DataKind::Points(PointsFormat::Binary) => binary_points(&buffer),
                _ => checked_bytes(&buffer)
                    .map(|(_, data, checked)| Loaded::Shapes { data, checked }),
            }
            .map_err(|e| format!("{url} is {e}"))
        }
    }
}

/// The bytes read into Rust at once at most: a piece takes a few milliseconds to read, and the
/// page gets a turn between pieces.
const PIECE_BYTES: u32 = 128 * 1024;

/// A GeoJSON document read into `sink` as its body streams in (shapes to draw, points): a
/// feature is checked and read as soon as it has arrived, and only the feature being read is
/// held as text.
async fn stream_into(
    http: &Http,
    url: &str,
    signal: Option<&AbortSignal>,
    progress: &dyn Fn(Progress),
    sink: &mut impl FeatureSink,
) -> Result<Checked, String> {
    let (reader, total) = http
        .get_stream_sized(url, signal)
        .await
        .map_err(|e| e.to_string())?;
    let mut stream = GeoJsonStream::new();
    let mut piece = Vec::new();
    let mut reported = 0;
    let cut_short = |detail: String| {
        crate::http::HttpError::Body {
            url: url.to_owned(),
            detail,
        }
        .to_string()
    };
    loop {
        let chunk = wasm_bindgen_futures::JsFuture::from(reader.read())
            .await
            .map_err(|e| match signal {
                Some(s) if s.aborted() => format!("the request for {url} was cancelled"),
                _ => cut_short(crate::map::js_error_text(&e)),
            })?;
        if js_sys::Reflect::get(&chunk, &"done".into()).is_ok_and(|d| d.is_truthy()) {
            break;
        }
        let Ok(bytes) = js_sys::Reflect::get(&chunk, &"value".into())
            .map_err(drop)
            .and_then(|v| v.dyn_into::<js_sys::Uint8Array>().map_err(drop))
        else {
            return Err(cut_short("the body is not bytes".into()));
        };
        let length = bytes.length();
        let mut at = 0;
        while at < length {
            let end = (at + PIECE_BYTES).min(length);
            piece.resize((end - at) as usize, 0);
            bytes.subarray(at, end).copy_to(&mut piece);
            // Before each piece, not only within a chunk: chunks that have already arrived
            // resolve `read()` at once, so a whole body could otherwise be read in one task.
            crate::map::share_the_thread().await;
            stream
                .push(&piece, sink)
                .map_err(|e| format!("{url} is {e}"))?;
            at = end;
        }
        if stream.received() >= reported + PROGRESS_FROM_BYTES {
            reported = stream.received();
            progress(Progress {
                received: reported,
                total,
                features: stream.features(),
            });
        }
    }
    stream.finish(sink).map_err(|e| format!("{url} is {e}"))
}

/// A whole GeoJSON text read for Rust to draw.
fn read_shapes(text: &str) -> Result<Loaded, GeoJsonError> {
    let mut shapes = ShapeSet::default();
    let checked = geojson::parse_with(text, &mut shapes)?;
    shapes.shrink();
    Ok(Loaded::Drawn {
        shapes: Rc::new(shapes),
        checked,
    })
}

/// A document a host or component hands over as the browser's JSON text, read for the layer:
/// by Rust if it draws it (`drawn`), else parsed by the browser for Leaflet.
pub fn loaded_from_text(text: &JsString, drawn: bool) -> Result<Loaded, String> {
    let loaded = if drawn {
        read_shapes(&String::from(text))
    } else {
        checked_text(text).map(|(data, checked)| Loaded::Shapes { data, checked })
    };
    loaded.map_err(|e| format!("the data is {e}"))
}

/// The points of a GeoJSON text (Point and MultiPoint geometries), indexed.
fn read_points(text: &str) -> Result<Loaded, GeoJsonError> {
    let mut reader = PointsReader::default();
    let checked = geojson::parse_with(text, &mut reader)?;
    Ok(geojson_points(reader, &checked))
}

/// The points a document's reader found, indexed.
fn geojson_points(mut reader: PointsReader, checked: &Checked) -> Loaded {
    reader.shrink();
    let (index, skipped) = PointIndex::from_pairs(&reader.lng_lat);
    let mut notes: Vec<String> = checked.warning().into_iter().collect();
    if reader.not_points > 0 {
        notes.push(format!(
            "{} features are not points and are left out",
            reader.not_points
        ));
    }
    notes.extend(off_map(skipped.0));
    // The index has the positions: the reader's copy goes.
    reader.lng_lat = Vec::new();
    Loaded::Points {
        index: Rc::new(index),
        info: Rc::new(PointInfo::Features(reader)),
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
    read_points(&text).map_err(|e| format!("the data is {e}"))
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
        (DataLayerHandle::Drawn(layer), Err(message)) => {
            // Its tiles waiting for data are finished, empty.
            layer.set_shapes(Rc::default());
            LayerState::Failed(message)
        }
        (_, Err(message)) => LayerState::Failed(message),
        (DataLayerHandle::Drawn(layer), Ok(Loaded::Drawn { shapes, checked })) => {
            layer.set_shapes(shapes);
            LayerState::Ready {
                features: checked.features,
                warning: checked.warning(),
            }
        }
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

/// Hears how large documents are getting on: (layer name, progress).
type ProgressSink = SharedCallback<dyn Fn(&str, Progress)>;

/// The GeoJSON layers' data, requested as soon as the config is read, before the map (and its
/// tiles) exists, and handed to each layer when both are there.
#[derive(Clone)]
pub struct Downloads {
    layers: Rc<Vec<Download>>,
    abort: Option<AbortController>,
    /// Hears how large documents are getting on: (layer name, progress).
    progress: ProgressSink,
}

struct Download {
    name: String,
    shown_at_start: bool,
    arrival: Arrival<Prepared>,
    /// Starts the request, for a layer hidden at start (until [`Downloads::start_rest`]).
    deferred: std::cell::RefCell<Option<Box<dyn FnOnce()>>>,
}

impl Downloads {
    /// Starts the requests of the layers drawn in the first view; those hidden at start wait for
    /// [`Downloads::start_rest`] (after the first view: on a thin pipe they would take bandwidth
    /// from it).
    pub fn start(config: &Config, http: &Http) -> Downloads {
        let abort = AbortController::new().ok();
        let progress = ProgressSink::default();
        let layers: Vec<Download> = config
            .data_layers()
            .into_iter()
            .map(|layer| {
                let arrival = Arrival::default();
                let (http, source, kind, delivery) = (
                    http.clone(),
                    layer.source.clone(),
                    DataKind::of(&layer),
                    arrival.clone(),
                );
                let signal = abort.as_ref().map(AbortController::signal);
                let (name, listener) = (layer.name.to_owned(), progress.clone());
                let report = move |p: Progress| {
                    if let Some(listener) = listener.get() {
                        listener(&name, p);
                    }
                };
                let request = move || {
                    wasm_bindgen_futures::spawn_local(async move {
                        let prepared =
                            prepare(&http, &source, kind, signal.as_ref(), &report).await;
                        delivery.deliver(prepared);
                    })
                };
                let deferred: Option<Box<dyn FnOnce()>> = if layer.shown_at_start {
                    request();
                    None
                } else {
                    Some(Box::new(request))
                };
                Download {
                    name: layer.name.to_owned(),
                    shown_at_start: layer.shown_at_start,
                    arrival,
                    deferred: std::cell::RefCell::new(deferred),
                }
            })
            .collect();
        Downloads {
            layers: Rc::new(layers),
            abort,
            progress,
        }
    }

    /// Starts the requests of the layers hidden at start (once; later calls do nothing).
    pub fn start_rest(&self) {
        for layer in self.layers.iter() {
            let request = layer.deferred.borrow_mut().take();
            if let Some(request) = request {
                request();
            }
        }
    }

    /// Calls `listener(layer name, progress)` as large documents arrive.
    pub fn on_progress(&self, listener: impl Fn(&str, Progress) + 'static) {
        self.progress.set(Rc::new(listener));
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
