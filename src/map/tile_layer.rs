//! First-party tile layers: Leaflet's GridLayer with tiles fetched through the HTTP module (so
//! every tile request carries `X-App-Version`), vector tiles decoded and drawn in Rust, raster
//! tiles shown from the fetched bytes.
//!
//! Each tile is one task: its fetch is aborted when Leaflet unloads the tile, a failed fetch is
//! retried with bounded backoff ([`RetryPolicy`]), and when a tile runs out of attempts the layer
//! is "down": new tiles wait, one probe at a time checks the server, and the layer redraws itself
//! when the server answers again.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use leaflet::GridLayer;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{AbortController, HtmlCanvasElement, HtmlElement, ImageBitmapRenderingContext};

use super::canvas::draw_tile;
use super::ffi;
use super::listener::LeafletListener;
use super::tile_prefetch::{fetch_body, Body, FetchAs, Raster, TilePrefetch};
use super::timer::{sleep, Wait};
use crate::arrival::Arrival;
use crate::callback::SharedCallback;
use crate::config::{Attribution, Style};
use crate::focus_order::{feature_label, interior_point, Target, ViewBox, FOCUS_INSET};
use crate::http::{Http, HttpError};
use crate::mvt::Geometry;
use crate::mvt::Tile;
use crate::retry::{LayerHealth, Next, RetryPolicy};
use crate::shapes::{Outline, OutlineKind};
use crate::tile_math::{hit, locate, tile_point, within, TileCoord, TileUrlOptions, TILE_SIZE};

/// What a layer's tiles are.
#[derive(Debug, Clone, PartialEq)]
pub enum TileFormat {
    /// Mapbox Vector Tiles, drawn with this style.
    Vector(Style),
    /// PNG/JPEG/WebP images.
    Raster,
}

/// A layer's health as the UI shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum TileHealth {
    /// Tiles load (again).
    Up,
    /// The tile server does not answer; the layer retries by itself.
    Down(String),
    /// The server answers, but some tiles are unusable (404, not a tile).
    Degraded(String),
}

/// Where a map's tile layers report health changes: (layer name, health).
pub type HealthSink = SharedCallback<dyn Fn(&str, &TileHealth)>;

/// The name Leaflet's tile elements carry our task id under.
const TASK_ID: &str = "__meshmapTask";

pub struct TileLayerSpec<'a> {
    pub name: &'a str,
    pub url_template: &'a str,
    /// What `{s}` and `{r}` become.
    pub url_options: TileUrlOptions,
    pub format: TileFormat,
    pub attribution: &'a Attribution,
    pub zoom_range: (f64, f64),
    pub retry: RetryPolicy,
    /// The first view's tiles, already requested.
    pub prefetch: Option<Rc<TilePrefetch>>,
}

impl TileFormat {
    pub fn fetch_as(&self) -> FetchAs {
        match self {
            TileFormat::Vector(_) => FetchAs::Bytes,
            TileFormat::Raster => FetchAs::Blob,
        }
    }
}

/// A GridLayer whose tiles Rust fetches and draws. Dropping it cancels everything it started.
pub struct FetchTileLayer {
    state: Rc<State>,
    _create_tile: Closure<dyn FnMut(JsValue, js_sys::Function) -> JsValue>,
    _unload: LeafletListener,
}

struct State {
    name: String,
    http: Http,
    template: String,
    url_options: TileUrlOptions,
    format: TileFormat,
    /// The layer's one retry budget: down or up, failures in a row, probes (src/retry.rs).
    budget: RefCell<LayerHealth>,
    /// Tile requests in flight at most while the layer comes back from an outage (`is_paced`).
    slots: Rc<Slots>,
    zoom_range: (f64, f64),
    layer: GridLayer,
    tasks: RefCell<HashMap<u32, Task>>,
    next_id: Cell<u32>,
    reported_degraded: Cell<bool>,
    probe: RefCell<Option<Wait>>,
    probe_abort: RefCell<Option<AbortController>>,
    health: HealthSink,
    destroyed: Cell<bool>,
    prefetch: Option<Rc<TilePrefetch>>,
}

struct Task {
    coord: Option<TileCoord>,
    element: HtmlElement,
    abort: Option<AbortController>,
    wait: Option<Wait>,
    tile: Option<Rc<Tile>>,
    finished: bool,
}

/// Tile requests a layer has in flight at most.
const MAX_REQUESTS_IN_FLIGHT: usize = 8;

/// What the retry budget needs to know of a failed request.
fn failure_of(error: &HttpError) -> crate::retry::Failure {
    crate::retry::Failure {
        status: error.status(),
        retry_after_ms: error.retry_after_ms(),
    }
}

/// A counting semaphore for the browser's single thread: `acquire` waits for a free slot; the
/// slot is given back when dropped, to the longest waiter.
struct Slots {
    free: Cell<usize>,
    waiting: RefCell<std::collections::VecDeque<Arrival<()>>>,
}

struct Slot(Rc<Slots>);

impl Slots {
    fn new(count: usize) -> Self {
        Slots {
            free: Cell::new(count),
            waiting: RefCell::default(),
        }
    }

    async fn acquire(self: &Rc<Self>) -> Slot {
        if self.free.get() > 0 {
            self.free.set(self.free.get() - 1);
        } else {
            let turn = Arrival::default();
            self.waiting.borrow_mut().push_back(turn.clone());
            // The giver handed its slot straight to this waiter: the count stays as it is.
            turn.wait().await;
        }
        Slot(Rc::clone(self))
    }

    /// Wakes every waiter (the layer is gone: they find that out and give their slot back).
    fn release_all(&self) {
        let waiting: Vec<Arrival<()>> = self.waiting.borrow_mut().drain(..).collect();
        self.free.set(self.free.get() + waiting.len());
        waiting.iter().for_each(|turn| turn.deliver(()));
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let next = self.0.waiting.borrow_mut().pop_front();
        match next {
            Some(turn) => turn.deliver(()),
            None => self.0.free.set(self.0.free.get() + 1),
        }
    }
}

impl FetchTileLayer {
    pub fn new(spec: TileLayerSpec, http: Http, health: HealthSink) -> FetchTileLayer {
        let options = super::canvas::grid_options("meshmap-tiles", spec.attribution);
        ffi::set(&options, "minZoom", &spec.zoom_range.0.into());
        ffi::set(&options, "maxZoom", &spec.zoom_range.1.into());
        let state_slot: Rc<RefCell<Option<Rc<State>>>> = Rc::new(RefCell::new(None));
        let slot = Rc::clone(&state_slot);
        let create_tile = Closure::<dyn FnMut(JsValue, js_sys::Function) -> JsValue>::new(
            move |coords: JsValue, done: js_sys::Function| match slot.borrow().as_ref() {
                Some(state) => state.create_tile(&coords, done),
                None => JsValue::NULL,
            },
        );
        let layer = ffi::grid_layer_with(&options, create_tile.as_ref());
        let state = Rc::new(State {
            name: spec.name.to_owned(),
            http,
            template: spec.url_template.to_owned(),
            url_options: spec.url_options,
            format: spec.format,
            budget: RefCell::new(LayerHealth::new(spec.retry)),
            slots: Rc::new(Slots::new(MAX_REQUESTS_IN_FLIGHT)),
            zoom_range: spec.zoom_range,
            layer: layer.clone(),
            tasks: RefCell::new(HashMap::new()),
            next_id: Cell::new(0),
            reported_degraded: Cell::new(false),
            probe: RefCell::new(None),
            probe_abort: RefCell::new(None),
            health,
            destroyed: Cell::new(false),
            prefetch: spec.prefetch,
        });
        *state_slot.borrow_mut() = Some(Rc::clone(&state));
        let weak = Rc::downgrade(&state);
        let unload = LeafletListener::new(&layer, "tileunload", move |event| {
            if let Some(state) = weak.upgrade() {
                if let Some(id) = ffi::get(&ffi::get(&event, "tile"), TASK_ID).as_f64() {
                    state.forget(id as u32);
                }
            }
        });
        FetchTileLayer {
            state,
            _create_tile: create_tile,
            _unload: unload,
        }
    }

    pub fn layer(&self) -> &leaflet::Layer {
        self.state.layer.unchecked_ref()
    }

    /// The tile URL template this layer fetches.
    pub fn url_template(&self) -> &str {
        &self.state.template
    }

    /// Features drawn on the tiles now on screen (vector layers).
    pub fn drawn_features(&self) -> usize {
        self.state
            .tasks
            .borrow()
            .values()
            .filter_map(|t| t.tile.as_ref())
            .map(|t| t.feature_count())
            .sum()
    }

    /// Tiles still waiting for their data (fetching or between retries).
    pub fn pending_tiles(&self) -> usize {
        self.state
            .tasks
            .borrow()
            .values()
            .filter(|t| !t.finished)
            .count()
    }

    /// Tiles drawn and on screen (vector or raster).
    pub fn drawn_tiles(&self) -> usize {
        self.state
            .tasks
            .borrow()
            .values()
            .filter(|t| t.finished)
            .count()
    }

    /// The property a tooltip shows for this layer's features (vector tiles' `style.tooltip`).
    pub fn tooltip_property(&self) -> Option<&str> {
        match &self.state.format {
            TileFormat::Vector(style) => style.tooltip.as_deref(),
            TileFormat::Raster => None,
        }
    }

    /// The feature drawn on top at a place on this layer's loaded tiles, if any. `zoom` is the
    /// map's; `tolerance_px` widens points and lines for fingers and mice.
    pub fn hit_at(&self, lat: f64, lng: f64, zoom: f64, tolerance_px: f64) -> Option<TileHit> {
        let TileFormat::Vector(style) = &self.state.format else {
            return None;
        };
        let (min, max) = self.state.zoom_range;
        let z = zoom.round().clamp(min, max) as u32;
        let (coord, [fx, fy]) = locate(lat, lng, z)?;
        let tasks = self.state.tasks.borrow();
        let tile = tasks
            .values()
            .find(|t| t.coord == Some(coord))
            .and_then(|t| t.tile.clone())?;
        for (layer_index, layer) in tile.layers.iter().enumerate().rev() {
            let units_per_px = f64::from(layer.extent) / TILE_SIZE;
            let tolerance =
                ((style.radius + style.weight / 2.0 + tolerance_px) * units_per_px) as f32;
            let at = [
                (fx * f64::from(layer.extent)) as f32,
                (fy * f64::from(layer.extent)) as f32,
            ];
            if let Some(feature) = hit(layer, at, tolerance) {
                let feature = layer
                    .features
                    .iter()
                    .position(|f| std::ptr::eq(f, feature))?;
                return Some(TileHit {
                    coord,
                    tile: Rc::clone(&tile),
                    layer: layer_index,
                    feature,
                });
            }
        }
        None
    }
}

impl FetchTileLayer {
    /// The features drawn on this layer's tiles of the map's zoom that are in view, for the
    /// keyboard ([`crate::focus_order`]): a point of each (inside it, for areas), on the tile
    /// that holds that point, named after the feature and `name` (the layer's).
    pub fn keyboard_targets(&self, view: &ViewBox, name: &str) -> Vec<Target> {
        let TileFormat::Vector(style) = &self.state.format else {
            return Vec::new();
        };
        let (min, max) = self.state.zoom_range;
        let z = view.zoom.round().clamp(min, max) as u32;
        let mut out = Vec::new();
        for task in self.state.tasks.borrow().values() {
            let (Some(coord), Some(tile)) = (task.coord, task.tile.as_ref()) else {
                continue;
            };
            if coord.z != z {
                continue;
            }
            for layer in &tile.layers {
                for (number, feature) in layer.features.iter().enumerate() {
                    let anchor = match &feature.geometry {
                        Geometry::Points(points) => points.first().copied(),
                        Geometry::Lines(lines) => lines
                            .first()
                            .and_then(|line| line.get(line.len() / 2))
                            .copied(),
                        Geometry::Polygons(polygons) => {
                            polygons.first().and_then(|rings| interior_point(rings))
                        }
                    };
                    // Each piece of a feature split across tiles is placed on its own tile only.
                    let Some(anchor) = anchor.filter(|p| within(*p, layer.extent, 0.0)) else {
                        continue;
                    };
                    let (lat, lng) = tile_point(coord, layer.extent, anchor);
                    let (x, y) = view.project(lat, lng);
                    if !view.shows(x, y, FOCUS_INSET) {
                        continue;
                    }
                    let properties = feature.properties_json();
                    let key = match feature.id {
                        Some(id) => format!("{name}\u{1f}{}\u{1f}{id}", layer.name),
                        // Without an id, a feature is known by its properties (or, with none,
                        // only within its tile).
                        None if !feature.properties.is_empty() => {
                            format!("{name}\u{1f}{}\u{1f}{properties}", layer.name)
                        }
                        None => format!(
                            "{name}\u{1f}{}\u{1f}{}/{}/{}/{number}",
                            layer.name, coord.z, coord.x, coord.y
                        ),
                    };
                    out.push(Target {
                        x,
                        y,
                        lat,
                        lng,
                        layer: name.to_owned(),
                        label: feature_label(&properties, style.tooltip.as_deref(), name),
                        key,
                    });
                }
            }
        }
        out
    }
}

/// Which feature of which tile: (tile, layer in it, feature in that layer).
pub type FeatureKey = (TileCoord, usize, usize);

/// A feature found on a tile: which tile, which of its layers, which feature. Its properties
/// (for a click's popup) and its outline (for the hover highlight) come from this one hit test.
pub struct TileHit {
    coord: TileCoord,
    tile: Rc<Tile>,
    layer: usize,
    feature: usize,
}

impl TileHit {
    /// Which feature of which tile: the same key is the same feature.
    pub fn key(&self) -> FeatureKey {
        (self.coord, self.layer, self.feature)
    }

    /// Its properties (a JSON object).
    pub fn properties(&self) -> crate::json::Json {
        self.feature().properties_json()
    }

    /// Its shape in degrees, on the world copy that holds longitude `lng` (Leaflet repeats the
    /// world sideways).
    pub fn outline(&self, lng: f64) -> Outline {
        let shift = ((lng + 180.0) / 360.0).floor() * 360.0;
        let extent = self.tile.layers[self.layer].extent;
        let to_degrees = |path: &[crate::mvt::Point]| -> Vec<(f64, f64)> {
            path.iter()
                .map(|p| {
                    let (lat, lng) = tile_point(self.coord, extent, *p);
                    (lat, lng + shift)
                })
                .collect()
        };
        match &self.feature().geometry {
            Geometry::Points(points) => Outline {
                kind: OutlineKind::Points,
                paths: vec![to_degrees(points)],
            },
            Geometry::Lines(lines) => Outline {
                kind: OutlineKind::Lines,
                paths: lines.iter().map(|l| to_degrees(l)).collect(),
            },
            Geometry::Polygons(polygons) => Outline {
                kind: OutlineKind::Areas,
                paths: polygons
                    .iter()
                    .flatten()
                    .map(|ring| to_degrees(ring))
                    .collect(),
            },
        }
    }

    fn feature(&self) -> &crate::mvt::Feature {
        &self.tile.layers[self.layer].features[self.feature]
    }
}

impl Drop for FetchTileLayer {
    fn drop(&mut self) {
        self.state.destroy();
    }
}

impl State {
    fn create_tile(self: &Rc<Self>, coords: &JsValue, done: js_sys::Function) -> JsValue {
        let number = |key| ffi::get(coords, key).as_f64().unwrap_or(f64::NAN);
        let (z, x, y) = (number("z"), number("x"), number("y"));
        let coord = (z.is_finite() && x.is_finite() && y.is_finite() && z >= 0.0)
            .then(|| TileCoord::wrapped(z as u32, x as i64, y as i64))
            .flatten();
        let Some(element) = self.new_tile_element() else {
            return JsValue::NULL;
        };
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        ffi::set(&element, TASK_ID, &JsValue::from(id));
        self.tasks.borrow_mut().insert(
            id,
            Task {
                coord,
                element: element.clone(),
                abort: None,
                wait: None,
                tile: None,
                finished: false,
            },
        );
        let state = Rc::clone(self);
        spawn_local(async move { state.load(id, coord, done).await });
        element.into()
    }

    /// Every tile is a canvas: vector tiles are drawn on it, raster tiles copied onto it from an
    /// `ImageBitmap` (decoded off the main thread; no object URL to create, track and revoke).
    fn new_tile_element(&self) -> Option<HtmlElement> {
        web_sys::window()?
            .document()?
            .create_element("canvas")
            .ok()?
            .dyn_into()
            .ok()
    }

    async fn load(self: Rc<Self>, id: u32, coord: Option<TileCoord>, done: js_sys::Function) {
        let Some(coord) = coord else {
            self.finish(
                id,
                &done,
                Some("Leaflet asked for a tile outside the world".into()),
            );
            return;
        };
        if self.budget.borrow().is_down() {
            // The probe checks the server; the layer redraws (and asks again) when it is back.
            self.finish(id, &done, Some("the tile server is unavailable".into()));
            return;
        }
        let url = coord.url_in(&self.template, &self.url_options);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(controller) = AbortController::new().ok() else {
                return;
            };
            let signal = controller.signal();
            match self.tasks.borrow_mut().get_mut(&id) {
                Some(task) => task.abort = Some(controller),
                None => return,
            }
            let prefetched = match (&self.prefetch, attempt) {
                (Some(prefetch), 1) => prefetch.take(&url).await,
                _ => None,
            };
            let result = match prefetched {
                // Cancelled with the prefetch: ask again, as if it had never been asked.
                Some(Err(HttpError::Aborted { .. })) | None => {
                    // Only a layer back from an outage asks a few tiles at a time.
                    let paced = self.budget.borrow().is_paced();
                    let _slot = if paced {
                        Some(self.slots.acquire().await)
                    } else {
                        None
                    };
                    if self.destroyed.get() || !self.tasks.borrow().contains_key(&id) {
                        return;
                    }
                    // The server went down while this tile waited for a slot: it does not ask.
                    if self.budget.borrow().is_down() {
                        self.finish(id, &done, Some("the tile server is unavailable".into()));
                        return;
                    }
                    fetch_body(&self.http, &url, self.format.fetch_as(), Some(&signal)).await
                }
                Some(answer) => answer,
            };
            if self.destroyed.get() || signal.aborted() || !self.tasks.borrow().contains_key(&id) {
                return;
            }
            let error = match result {
                Ok(body) => {
                    let shown = self.show(id, coord, body).await;
                    if !self.tasks.borrow().contains_key(&id) {
                        return;
                    }
                    if let Err(message) = &shown {
                        self.degraded(&format!("{url} {message}"));
                    }
                    self.finish(id, &done, shown.err());
                    self.server_answered();
                    return;
                }
                Err(error) => error,
            };
            let next = self.budget.borrow_mut().tile_failed(
                attempt,
                failure_of(&error),
                js_sys::Math::random(),
            );
            match next {
                Next::GiveUp => {
                    self.degraded(&error.to_string());
                    self.finish(id, &done, Some(error.to_string()));
                    self.server_answered();
                    return;
                }
                Next::Down { newly } => {
                    if newly {
                        self.went_down(&url, &error);
                    }
                    self.finish(id, &done, Some(error.to_string()));
                    return;
                }
                Next::RetryIn(delay) => {
                    let Some((wait, future)) = sleep(delay) else {
                        return;
                    };
                    match self.tasks.borrow_mut().get_mut(&id) {
                        Some(task) => task.wait = Some(wait),
                        None => return,
                    }
                    let _ = future.await;
                    if self.destroyed.get() || !self.tasks.borrow().contains_key(&id) {
                        return;
                    }
                    // Another tile found the server down meanwhile: no retry; the layer redraws.
                    if self.budget.borrow().is_down() {
                        self.finish(id, &done, Some(error.to_string()));
                        return;
                    }
                }
            }
        }
    }

    /// Puts the fetched tile on the tile element.
    async fn show(&self, id: u32, coord: TileCoord, body: Body) -> Result<(), String> {
        let element = self
            .tasks
            .borrow()
            .get(&id)
            .map(|t| t.element.clone())
            .ok_or("was unloaded")?;
        match (&self.format, body) {
            (TileFormat::Vector(style), Body::Vector(bytes)) => {
                let tile = Rc::new(Tile::decode(&bytes).map_err(|e| format!("is {e}"))?);
                let canvas: HtmlCanvasElement = element.dyn_into().map_err(|_| "has no canvas")?;
                let drawn = draw_tile(&canvas, &tile, style, coord.z);
                let _ = canvas.set_attribute("data-features", &drawn.to_string());
                if let Some(task) = self.tasks.borrow_mut().get_mut(&id) {
                    task.tile = Some(tile);
                }
                Ok(())
            }
            (_, Body::Raster(Raster::Empty)) => Ok(()),
            (_, Body::Raster(raster)) => {
                let bitmap = raster
                    .bitmap()
                    .await
                    .ok_or("is not an image the browser can show")?;
                let canvas: HtmlCanvasElement = element.dyn_into().map_err(|_| "has no canvas")?;
                canvas.set_width(bitmap.width());
                canvas.set_height(bitmap.height());
                // The canvas takes the decoded pixels over: no copy, nothing left to free.
                let context = canvas
                    .get_context("bitmaprenderer")
                    .ok()
                    .flatten()
                    .and_then(|c| c.dyn_into::<ImageBitmapRenderingContext>().ok())
                    .ok_or("has no canvas")?;
                context.transfer_from_image_bitmap(&bitmap);
                Ok(())
            }
            (TileFormat::Raster, Body::Vector(_)) => Err("is not a raster tile".into()),
        }
    }

    fn finish(&self, id: u32, done: &js_sys::Function, error: Option<String>) {
        let element = match self.tasks.borrow_mut().get_mut(&id) {
            Some(task) => {
                task.finished = true;
                task.abort = None;
                task.element.clone()
            }
            None => return,
        };
        let error = match error {
            Some(message) => js_sys::Error::new(&message).into(),
            None => JsValue::NULL,
        };
        let _ = done.call2(&JsValue::NULL, &error, &element);
    }

    /// Leaflet unloaded the tile: stop its fetch or wait, and free what it holds.
    fn forget(&self, id: u32) {
        let task = self.tasks.borrow_mut().remove(&id);
        if let Some(task) = task {
            task.release();
        }
    }

    fn report(&self, health: TileHealth) {
        if let Some(sink) = self.health.get() {
            sink(&self.name, &health);
        }
    }

    fn degraded(&self, message: &str) {
        web_sys::console::warn_1(
            &format!("meshmap: layer \"{}\": tile {message}", self.name).into(),
        );
        if !self.reported_degraded.replace(true) {
            self.report(TileHealth::Degraded(format!(
                "some tiles could not be shown: {message}"
            )));
        }
    }

    fn went_down(self: &Rc<Self>, url: &str, error: &HttpError) {
        let message = format!("the tile server is not answering ({error}); retrying by itself");
        web_sys::console::error_1(&format!("meshmap: layer \"{}\": {message}", self.name).into());
        self.report(TileHealth::Down(message));
        let state = Rc::clone(self);
        let url = url.to_owned();
        spawn_local(async move { state.probe_until_back(url).await });
    }

    /// One request at a time, further apart each time (to the policy's cap, and never sooner
    /// than a `Retry-After`), until the server answers.
    async fn probe_until_back(self: Rc<Self>, url: String) {
        while self.budget.borrow().is_down() && !self.destroyed.get() {
            let delay = self
                .budget
                .borrow_mut()
                .next_probe_in(js_sys::Math::random());
            let Some((wait, future)) = sleep(delay) else {
                return;
            };
            *self.probe.borrow_mut() = Some(wait);
            let _ = future.await;
            self.probe.borrow_mut().take();
            if self.destroyed.get() {
                return;
            }
            let Some(controller) = AbortController::new().ok() else {
                return;
            };
            let signal = controller.signal();
            *self.probe_abort.borrow_mut() = Some(controller);
            let result = self.http.get_bytes(&url, Some(&signal)).await;
            self.probe_abort.borrow_mut().take();
            if self.destroyed.get() {
                return;
            }
            let still_down = match &result {
                Ok(_) => false,
                Err(HttpError::Aborted { .. }) => true,
                Err(error) => self.budget.borrow_mut().probe_failed(failure_of(error)),
            };
            if !still_down {
                self.server_answered();
                return;
            }
        }
    }

    /// The server answered: if the layer was down, it is up again, and redraws every tile after
    /// a random wait (clients that noticed the outage together do not come back together), a few
    /// tiles at a time (`slots`).
    fn server_answered(self: &Rc<Self>) {
        let Some(spread) = self.budget.borrow_mut().answered(js_sys::Math::random()) else {
            return;
        };
        web_sys::console::info_1(
            &format!("meshmap: layer \"{}\": the tile server is back", self.name).into(),
        );
        self.reported_degraded.set(false);
        if let Some(wait) = self.probe.borrow_mut().take() {
            wait.cancel();
        }
        self.report(TileHealth::Up);
        let state = Rc::clone(self);
        spawn_local(async move {
            if let Some((wait, future)) = sleep(spread) {
                *state.probe.borrow_mut() = Some(wait);
                let _ = future.await;
                state.probe.borrow_mut().take();
            }
            if !state.destroyed.get() {
                state.layer.redraw();
            }
        });
    }

    fn destroy(&self) {
        self.destroyed.set(true);
        self.slots.release_all();
        let tasks: Vec<Task> = self.tasks.borrow_mut().drain().map(|(_, t)| t).collect();
        tasks.into_iter().for_each(Task::release);
        if let Some(wait) = self.probe.borrow_mut().take() {
            wait.cancel();
        }
        if let Some(controller) = self.probe_abort.borrow_mut().take() {
            controller.abort();
        }
    }
}

impl Task {
    fn release(self) {
        if let Some(controller) = self.abort {
            controller.abort();
        }
        if let Some(wait) = self.wait {
            wait.cancel();
        }
    }
}
