//! The Leaflet map behind typed Rust wrappers. Everything that touches Leaflet or the browser for
//! the map is in this module; the UI talks to [`MapHandle`].

mod access;
mod canvas;
mod controls;
mod ffi;
mod focus_stops;
mod geojson_layer;
mod listener;
mod live_layer;
mod marker;
mod points_layer;
mod popup;
mod search_box;
mod shapes_layer;
mod spider;
mod tile_layer;
mod tile_prefetch;
mod timer;
mod view_sync;

use std::rc::Rc;

use leaflet::{LatLng, Map, MapOptions, TileLayer, TileLayerOptions};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

pub use geojson_layer::GeoJsonLayer;
pub use live_layer::LiveLayer;
pub use marker::MarkerHandle;
pub use points_layer::{ClusterAction, ClusterHit, PointInfo, PointsHit, PointsLayer};
pub use search_box::SearchBox;
pub use shapes_layer::ShapesLayer;

/// A layer whose document the app loads ([`crate::data`]): GeoJSON Rust draws on tiles, GeoJSON
/// Leaflet draws as SVG (`"renderer": "svg"`), or points.
#[derive(Clone)]
pub enum DataLayerHandle {
    Drawn(Rc<ShapesLayer>),
    Shapes(Rc<GeoJsonLayer>),
    Points(Rc<PointsLayer>),
}

/// JSON across the JS boundary (the embedding API's options and events).
pub mod ffi_json {
    pub use super::ffi::{decode_utf8, from_js, object, parse_js_text, to_js};
}
pub use listener::live_listeners;
pub use tile_layer::{FetchTileLayer, TileFormat, TileHealth};
pub use tile_prefetch::TilePrefetch;

use crate::callback::SharedCallback;
use crate::catalog::{Catalog, TileKind};
use crate::config::{
    drawn_by_rust, escape_html, Attribution, BaseLayer, BaseSource, Config, Controls, Overlay,
    OverlayData, Renderer, TileServer,
};
use crate::focus_order::{Target, ViewBox};
use crate::http::Http;
use crate::json::Json;
use crate::retry::RetryPolicy;
use crate::tile_math::TileUrlOptions;
use crate::view_hash::View;
use listener::LeafletListener;
use tile_layer::{HealthSink, TileLayerSpec};
use view_sync::HashSync;

/// Waits for Leaflet: the page loads it deferred, so the wasm can start (and fetch the config)
/// before it has run. Returns when Leaflet is there, or when it can no longer come (its script
/// failed, or the page has finished loading without it); creating the map then says so
/// ([`MapError::LeafletMissing`]).
pub async fn leaflet_ready() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    if ffi::leaflet_loaded() || document.ready_state() == "complete" {
        return;
    }
    // The first of: the Leaflet script ran, it failed, or the page (every script) is loaded.
    let script = document
        .query_selector("script[data-meshmap-leaflet]")
        .ok()
        .flatten();
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let once = web_sys::AddEventListenerOptions::new();
        once.set_once(true);
        if let Some(script) = &script {
            let _ = script.add_event_listener_with_callback_and_add_event_listener_options(
                "load", &resolve, &once,
            );
            let _ = script.add_event_listener_with_callback_and_add_event_listener_options(
                "error", &resolve, &once,
            );
        }
        let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
            "load", &resolve, &once,
        );
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The view a new map opens at: the URL fragment's (when the map keeps its view there and the
/// fragment is a valid view), else the config's.
pub fn initial_view(config: &Config, behaviour: MapBehaviour) -> View {
    let view = &config.view;
    behaviour
        .sync_url_hash
        .then(|| view_sync::view_from_location((view.min_zoom, view.max_zoom)))
        .flatten()
        .unwrap_or(View {
            zoom: view.zoom,
            lat: view.center.0,
            lng: view.center.1,
        })
}

/// The tiles the first view's tile layers will ask for on a map of `size` (CSS pixels): the
/// first base layer's and the overlays shown at start, those the app fetches itself.
pub fn first_view_tiles(
    config: &Config,
    http: &Http,
    behaviour: MapBehaviour,
    size: (f64, f64),
) -> Vec<(String, tile_prefetch::FetchAs)> {
    let view = initial_view(config, behaviour);
    let map_range = (config.view.min_zoom, config.view.max_zoom);
    let mut layers: Vec<(&str, TileUrlOptions, TileFormat, (f64, f64))> = Vec::new();
    match config
        .base_layers
        .first()
        .map(|base| (&base.source, (base.min_zoom, base.max_zoom)))
    {
        Some((BaseSource::Tiles { url, subdomains }, range)) if http.is_first_party(url) => layers
            .push((
                url,
                tile_url_options(Some(subdomains)),
                TileFormat::Raster,
                range,
            )),
        Some((BaseSource::Vector { url, .. }, range)) => layers.push((
            url,
            tile_url_options(None),
            TileFormat::Vector(Default::default()),
            range,
        )),
        _ => {}
    }
    for overlay in config.overlays.iter().filter(|o| o.visible) {
        if let OverlayData::Vector { url } = &overlay.data {
            layers.push((
                url,
                tile_url_options(None),
                TileFormat::Vector(Default::default()),
                map_range,
            ));
        }
    }
    let z = view.zoom.round();
    let tiles = crate::tile_math::covering(view.lat, view.lng, view.zoom, size.0, size.1);
    layers
        .into_iter()
        .filter(|(_, _, _, (min, max))| (*min..=*max).contains(&z))
        .flat_map(|(template, options, format, _)| {
            let kind = format.fetch_as();
            tiles.iter().filter_map(move |&(z, x, y)| {
                Some((
                    crate::tile_math::TileCoord::wrapped(z, x, y)?.url_in(template, &options),
                    kind,
                ))
            })
        })
        .collect()
}

/// How far (CSS px) from a point or line a click still hits it: a fingertip covers far more than
/// a mouse pointer (WCAG's target size: 24 px, so 12 either side).
pub const MOUSE_REACH_PX: f64 = 4.0;
pub const TOUCH_REACH_PX: f64 = 12.0;

/// The reach for this click: touch and pen clicks are PointerEvents that say so.
fn hit_reach(original_event: &JsValue) -> f64 {
    match ffi::get(original_event, "pointerType")
        .as_string()
        .as_deref()
    {
        Some("touch" | "pen") => TOUCH_REACH_PX,
        _ => MOUSE_REACH_PX,
    }
}

/// The map's view now (centre, zoom, size), for pure code that places things on it; `None`
/// before the map has a size.
pub(super) fn view_box(map: &Map) -> Option<ViewBox> {
    let (center, size) = (map.get_center(), map.get_size());
    let view = ViewBox {
        lat: center.lat(),
        lng: center.lng(),
        zoom: map.get_zoom(),
        width: size.x(),
        height: size.y(),
    };
    ([view.lat, view.lng, view.zoom]
        .iter()
        .all(|v| v.is_finite())
        && view.width > 0.0
        && view.height > 0.0)
        .then_some(view)
}

/// Lets the page draw a frame and answer input before going on (a timer's turn): long work in
/// the browser is done in pieces with these between.
pub async fn next_turn() {
    pause(0).await
}

/// How long work in pieces may hold the main thread before it gives the browser a turn: well
/// under the 50 ms after which the browser counts a long task and input waits.
const SLICE_MS: f64 = 25.0;

thread_local! {
    /// When the current slice of pieced work began (a page-clock time).
    static SLICE_STARTED: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Called before each piece of long work (a chunk of a document read, a tile drawn): yields a
/// turn once the pieces have held the thread for [`SLICE_MS`], so that many pieces in a row,
/// even those chained through promises that are already resolved (a body that has arrived, a
/// batch of tiles), never make one long task. Shared by every caller: pieces from different
/// layers add up to the same slice.
pub async fn share_the_thread() {
    let started = SLICE_STARTED.with(std::cell::Cell::get);
    if now_ms() - started > SLICE_MS {
        next_turn().await;
        SLICE_STARTED.with(|s| s.set(now_ms()));
    }
}

/// The page clock, in milliseconds.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Waits `ms` milliseconds (a timer), or returns at once if there is no window.
pub async fn pause(ms: u32) {
    if let Some((_, wait)) = timer::sleep(ms) {
        let _ = wait.await;
    }
}

pub use crate::http::js_error_text;

/// The layer called `name` in a list of named layers.
fn named<L>(layers: &[(String, Rc<L>)], name: &str) -> Option<Rc<L>> {
    layers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, layer)| Rc::clone(layer))
}

/// The user's "reduce motion" setting (`prefers-reduced-motion: reduce`).
pub(super) fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|query| query.matches())
}

/// What the app fills a tile template's `{s}` and `{r}` with, as Leaflet would on this screen.
fn tile_url_options(subdomains: Option<&[String]>) -> TileUrlOptions {
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    TileUrlOptions::leaflet(subdomains, ratio > 1.0)
}

/// Why the map could not be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapError {
    LeafletMissing,
    Leaflet(String),
}

impl std::fmt::Display for MapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MapError::LeafletMissing => write!(
                f,
                "Leaflet is not loaded: the page must load leaflet.js (a classic script) before meshmap"
            ),
            MapError::Leaflet(message) => write!(f, "Leaflet could not create the map: {message}"),
        }
    }
}

/// Per-map behaviour that is not in config.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapBehaviour {
    /// Keep the view in the URL fragment. One map per page should do this, not every widget.
    pub sync_url_hash: bool,
}

/// A map smaller than this (width, height in CSS pixels) starts with its layers control folded.
pub const SMALL_MAP: (i32, i32) = (600, 450);

/// A live Leaflet map. Dropping it removes the map, its layers, controls and listeners.
pub struct MapHandle {
    map: Map,
    http: Http,
    layers_control: ffi::LayersControl,
    geojson_layers: Vec<(String, Rc<GeoJsonLayer>)>,
    /// GeoJSON layers Rust draws, shared with the click listener.
    shapes_layers: ShapesLayers,
    /// Points overlays, shared with the click listener.
    points_layers: PointsLayers,
    /// Live overlays (moving objects), shared with the click listener.
    live_layers: LiveLayers,
    /// A cluster fanned out at the deepest zoom, if any.
    spider: spider::Spider,
    /// The place search box (`config.search`), if any.
    search_box: Option<Rc<search_box::SearchBox>>,
    tile_layers: Vec<(String, String, TileLayer)>,
    /// First-party tile layers, in the order they were added (later ones draw on top).
    fetch_layers: FetchLayers,
    tile_health: HealthSink,
    feature_click: FeatureClickSink,
    retry: RetryPolicy,
    zoom_range: (f64, f64),
    prefetch: Option<Rc<TilePrefetch>>,
    _hash_sync: Option<HashSync>,
    /// Stops following the container's size (`ffi::follow_size`).
    stop_following_size: Option<js_sys::Function>,
    /// Redraws the canvases when the screen's pixel density changes ([`PixelRatioWatch`]).
    _pixel_ratio: Option<PixelRatioWatch>,
    _listeners: Vec<LeafletListener>,
    _window_listeners: Vec<listener::DomListener>,
    /// The optional controls shown now (`config.controls`, [`MapHandle::set_controls`]).
    optional_controls: OptionalControls,
    /// What the legend lists: the configured overlays.
    legend_entries: Vec<controls::LegendEntry>,
    /// Popups and shapes from the keyboard ([`access`]).
    _keyboard: Option<access::KeyboardAccess>,
    /// Tab stops for the features drawn on canvases.
    _focus_stops: Option<focus_stops::FocusStops>,
    /// Listeners on one layer, by layer name: they go when the layer does.
    layer_listeners: Vec<(String, LeafletListener)>,
    _badge: Option<wasm_bindgen::closure::Closure<dyn Fn(JsValue) -> JsValue>>,
    scale: Option<leaflet::Control>,
}

impl MapHandle {
    /// Creates the map in `container` with the config's view, base layers and overlays; GeoJSON
    /// layers start empty (see [`crate::data`] and [`MapHandle::geojson_layer`]). `http` is the
    /// client every request of this map goes through.
    pub fn new(
        container: &HtmlElement,
        config: &Config,
        behaviour: MapBehaviour,
        http: Http,
    ) -> Result<MapHandle, MapError> {
        Self::with_prefetch(container, config, behaviour, http, None)
    }

    /// [`MapHandle::new`], with the first view's tiles already requested ([`first_view_tiles`]).
    pub fn with_prefetch(
        container: &HtmlElement,
        config: &Config,
        behaviour: MapBehaviour,
        http: Http,
        prefetch: Option<Rc<TilePrefetch>>,
    ) -> Result<MapHandle, MapError> {
        let mut handle = Self::core(container, config, behaviour, http, prefetch)?;
        for (i, base) in config.base_layers.iter().enumerate() {
            handle.add_base(base, LayerRole::Base { active: i == 0 });
        }
        for overlay in &config.overlays {
            handle.add_overlay(overlay);
        }
        handle.watch_canvas_features();
        handle.set_scale(true);
        handle.layers_control.add_to(&handle.map);
        handle._badge = Some(controls::add_version_badge(&handle.map));
        handle.set_controls(config.controls);
        handle.search_box = config
            .search
            .as_ref()
            .and_then(|search| search_box::SearchBox::add(&handle.map, handle.http.clone(), search))
            .map(Rc::new);
        Ok(handle)
    }

    /// The map itself with what every map has (keyboard access, its name, following its
    /// element's size, the URL fragment when asked): no layers, no controls but Leaflet's zoom
    /// buttons. What the rest is added to; a bare map (a components' map) stays at this and
    /// links only what its components use.
    fn core(
        container: &HtmlElement,
        config: &Config,
        behaviour: MapBehaviour,
        http: Http,
        prefetch: Option<Rc<TilePrefetch>>,
    ) -> Result<MapHandle, MapError> {
        if !ffi::leaflet_loaded() {
            return Err(MapError::LeafletMissing);
        }
        let view_config = &config.view;
        let zoom_range = (view_config.min_zoom, view_config.max_zoom);
        let initial = initial_view(config, behaviour);

        let options = MapOptions::new();
        options.set_center(LatLng::new(initial.lat, initial.lng));
        options.set_zoom(initial.zoom);
        options.set_min_zoom(view_config.min_zoom);
        options.set_max_zoom(view_config.max_zoom);
        // Leaflet's defaults, stated because they are the feature: buttons, wheel, double click,
        // keyboard (+/- and arrows once the map has focus) and drag.
        options.set_zoom_control(true);
        options.set_scroll_wheel_zoom(true);
        options.set_double_click_zoom(JsValue::TRUE);
        options.set_keyboard(true);
        options.set_dragging(true);
        // People who asked their system for less motion get jumps instead of animated zooms,
        // fades and glides.
        if prefers_reduced_motion() {
            for animation in [
                "zoomAnimation",
                "fadeAnimation",
                "markerZoomAnimation",
                "inertia",
            ] {
                ffi::set(&options, animation, &JsValue::FALSE);
            }
        }
        let map = Map::new_with_element(container, &options)
            .map_err(|e| MapError::Leaflet(js_error_text(&e)))?;

        // Open on a big map; on a phone or a small embedded map it would cover a third of it, so
        // there it is Leaflet's icon that opens on tap or hover.
        let small = is_small(&map);
        let layers_control = ffi::layers_control(
            &js_sys::Object::new(),
            &js_sys::Object::new(),
            &ffi::object(&[("collapsed", JsValue::from_bool(small))]),
        );
        let mut handle = MapHandle {
            map,
            http,
            layers_control,
            geojson_layers: Vec::new(),
            shapes_layers: Rc::default(),
            points_layers: Rc::default(),
            live_layers: Rc::default(),
            spider: spider::Spider::default(),
            search_box: None,
            tile_layers: Vec::new(),
            fetch_layers: Rc::default(),
            tile_health: HealthSink::default(),
            feature_click: FeatureClickSink::default(),
            retry: config.tiles.as_ref().map(|t| t.retry).unwrap_or_default(),
            zoom_range,
            prefetch,
            _hash_sync: None,
            stop_following_size: None,
            _pixel_ratio: None,
            _listeners: Vec::new(),
            _window_listeners: Vec::new(),
            layer_listeners: Vec::new(),
            _badge: None,
            scale: None,
            _keyboard: None,
            _focus_stops: None,
            optional_controls: OptionalControls::default(),
            legend_entries: config
                .overlays
                .iter()
                .map(|overlay| controls::LegendEntry {
                    name: overlay.name.clone(),
                    style: overlay.style.clone(),
                    points: matches!(
                        overlay.data,
                        OverlayData::Points { .. } | OverlayData::Live { .. }
                    ),
                })
                .collect(),
        };
        access::name_container(container, &config.title);
        handle._keyboard = Some(access::KeyboardAccess::start(&handle.map, container));
        if behaviour.sync_url_hash {
            handle._hash_sync = HashSync::start(&handle.map, zoom_range);
        }
        handle.stop_following_size = Some(ffi::follow_size(container, &handle.map));
        Ok(handle)
    }

    /// What the layers Rust draws on canvases need: clicks and hover found by hit tests, Tab
    /// stops, redraws for a new pixel density. Once, when the first such layer comes (a config
    /// map: always).
    fn watch_canvas_features(&mut self) {
        if self._focus_stops.is_some() {
            return;
        }
        let clicks = self.feature_clicks();
        self._focus_stops = Some(focus_stops::FocusStops::start(
            &self.map,
            Rc::clone(&clicks),
        ));
        self.listen_for_feature_clicks(clicks);
        self.listen_for_hover();
        self._pixel_ratio = Some(PixelRatioWatch::start(self.canvas_features()));
    }

    /// A map with no layers and only Leaflet's zoom buttons, at `view` (its zoom range too):
    /// what `meshmap::components::MeshMap` makes, for its child components to add layers and
    /// controls to. `title` is its accessible name.
    pub fn bare(
        container: &HtmlElement,
        view: crate::config::ViewConfig,
        title: &str,
        http: Http,
    ) -> Result<MapHandle, MapError> {
        let config = Config {
            title: title.to_owned(),
            view,
            base_layers: Vec::new(),
            overlays: Vec::new(),
            versions: Vec::new(),
            first_party_origins: Vec::new(),
            tiles: None,
            controls: Controls::default(),
            search: None,
        };
        Self::core(
            container,
            &config,
            MapBehaviour {
                sync_url_hash: false,
            },
            http,
            None,
        )
    }

    /// Shows or hides the scale bar (metric and imperial, bottom left).
    pub fn set_scale(&mut self, shown: bool) {
        match (shown, self.scale.take()) {
            (true, None) => self.scale = Some(controls::add_scale(&self.map)),
            (true, Some(scale)) => self.scale = Some(scale),
            (false, Some(scale)) => {
                scale.remove();
            }
            (false, None) => {}
        }
    }

    /// Adds a base layer (raster or vector tiles, or GeoJSON drawn as the base map) offered as
    /// `role` says.
    pub fn add_base(&mut self, base: &BaseLayer, role: LayerRole) {
        match &base.source {
            BaseSource::Tiles { url, subdomains } if self.http.is_first_party(url) => {
                // The app's own tile server: fetched by the app so the version header goes along.
                let mut spec = self.spec(
                    &base.name,
                    url,
                    TileFormat::Raster,
                    &base.attribution,
                    (base.min_zoom, base.max_zoom),
                );
                spec.url_options = tile_url_options(Some(subdomains));
                self.add_fetch_layer(spec, role);
            }
            BaseSource::Vector { url, style } => {
                let spec = self.spec(
                    &base.name,
                    url,
                    TileFormat::Vector(style.clone()),
                    &base.attribution,
                    (base.min_zoom, base.max_zoom),
                );
                self.add_fetch_layer(spec, role);
                self.add_to_legend(&base.name, style, role);
            }
            BaseSource::Tiles { url, subdomains } => {
                let options = TileLayerOptions::new();
                options.set_min_zoom(base.min_zoom);
                options.set_max_zoom(base.max_zoom);
                let attribution = base.attribution.to_html();
                if !attribution.is_empty() {
                    options.set_attribution(attribution);
                }
                let list = js_sys::Array::new();
                subdomains.iter().for_each(|s| {
                    list.push(&JsValue::from_str(s));
                });
                ffi::set(&options, "subdomains", &list);
                let layer = TileLayer::new_options(url, &options);
                self.offer(layer.unchecked_ref(), &base.name, role);
                self.tile_layers
                    .push((base.name.clone(), url.clone(), layer));
            }
            BaseSource::GeoJson { style, .. } => {
                self.add_geojson_layer(
                    &base.name,
                    style,
                    Renderer::Canvas,
                    &base.attribution,
                    role,
                );
            }
        }
    }

    fn add_overlay(&mut self, overlay: &Overlay) {
        match &overlay.data {
            OverlayData::Vector { url } => {
                let format = TileFormat::Vector(overlay.style.clone());
                let spec = self.spec(
                    &overlay.name,
                    url,
                    format,
                    &overlay.attribution,
                    self.zoom_range,
                );
                self.add_fetch_layer(
                    spec,
                    LayerRole::Overlay {
                        visible: overlay.visible,
                    },
                );
            }
            OverlayData::GeoJson(_) => {
                self.add_geojson_layer(
                    &overlay.name,
                    &overlay.style,
                    overlay.renderer,
                    &overlay.attribution,
                    LayerRole::Overlay {
                        visible: overlay.visible,
                    },
                );
            }
            OverlayData::Live { url } => {
                let layer = Rc::new(LiveLayer::new(
                    &self.map,
                    self.http.clone(),
                    url,
                    &overlay.name,
                    &overlay.style,
                    self.tile_health.clone(),
                ));
                self.offer(
                    layer.layer(),
                    &overlay.name,
                    LayerRole::Overlay {
                        visible: overlay.visible,
                    },
                );
                self.live_layers
                    .borrow_mut()
                    .push((overlay.name.clone(), layer));
            }
            OverlayData::Points { cluster, .. } => {
                let layer = Rc::new(PointsLayer::new(
                    &overlay.style,
                    &overlay.attribution,
                    *cluster,
                ));
                self.offer(
                    layer.layer(),
                    &overlay.name,
                    LayerRole::Overlay {
                        visible: overlay.visible,
                    },
                );
                self.points_layers
                    .borrow_mut()
                    .push((overlay.name.clone(), layer));
            }
        }
    }

    /// An empty GeoJSON layer (its data comes later), drawn by Rust or by Leaflet as
    /// [`drawn_by_rust`] says, offered as `role` says. A base map's features are no Tab stops:
    /// a keyboard user would pass every country before reaching the controls.
    fn add_geojson_layer(
        &mut self,
        name: &str,
        style: &crate::config::Style,
        renderer: Renderer,
        attribution: &Attribution,
        role: LayerRole,
    ) -> DataLayerHandle {
        let tab_stops = !matches!(role, LayerRole::Base { .. });
        if drawn_by_rust(renderer, style) {
            self.watch_canvas_features();
            let layer = Rc::new(ShapesLayer::new(style, attribution, tab_stops));
            self.offer(layer.layer(), name, role);
            self.shapes_layers
                .borrow_mut()
                .push((name.to_owned(), Rc::clone(&layer)));
            DataLayerHandle::Drawn(layer)
        } else {
            let layer = Rc::new(GeoJsonLayer::new(
                style,
                attribution,
                tab_stops.then_some(name),
            ));
            self.offer(layer.layer(), name, role);
            self.watch_geojson_clicks(name, &layer);
            self.geojson_layers
                .push((name.to_owned(), Rc::clone(&layer)));
            DataLayerHandle::Shapes(layer)
        }
    }

    fn spec<'a>(
        &self,
        name: &'a str,
        url: &'a str,
        format: TileFormat,
        attribution: &'a Attribution,
        zoom_range: (f64, f64),
    ) -> TileLayerSpec<'a> {
        TileLayerSpec {
            name,
            url_template: url,
            url_options: tile_url_options(None),
            format,
            attribution,
            zoom_range,
            retry: self.retry,
            prefetch: self.prefetch.clone(),
        }
    }

    fn add_fetch_layer(&mut self, spec: TileLayerSpec, role: LayerRole) {
        self.watch_canvas_features();
        let name = spec.name.to_owned();
        let layer = Rc::new(FetchTileLayer::new(
            spec,
            self.http.clone(),
            self.tile_health.clone(),
        ));
        self.offer(layer.layer(), &name, role);
        self.fetch_layers.borrow_mut().push((name, layer));
    }

    /// Lists a layer in the layers control (its name as text) and shows it if it starts shown.
    fn offer(&self, layer: &leaflet::Layer, name: &str, role: LayerRole) {
        let name_html = escape_html(name);
        let listed = !matches!(role, LayerRole::Unlisted);
        if listed && !ffi::get(&self.layers_control, "_map").is_truthy() {
            // A bare map shows the control once it has something to list.
            self.layers_control.add_to(&self.map);
        }
        let shown = match role {
            LayerRole::Base { active } => {
                self.layers_control.add_base_layer(layer, &name_html);
                active
            }
            LayerRole::Overlay { visible } => {
                self.layers_control.add_overlay(layer, &name_html);
                visible
            }
            LayerRole::Unlisted => true,
        };
        if shown {
            layer.add_to(&self.map);
        }
    }

    /// The tile layers on the map now whose tiles are still loading; `loaded(name)` is called when
    /// each has loaded its view (failed tiles count as done, as Leaflet counts them). A layer not in
    /// the list has nothing left to load.
    pub fn when_tiles_loaded(&mut self, loaded: impl Fn(&str) + 'static) -> Vec<String> {
        let loaded = Rc::new(loaded);
        let fetched = self
            .fetch_layers
            .borrow()
            .iter()
            .map(|(name, layer)| (name.clone(), layer.layer().clone()))
            .collect::<Vec<_>>();
        let raster = self.tile_layers.iter().map(|(name, _, layer)| {
            (
                name.clone(),
                layer.clone().unchecked_into::<leaflet::Layer>(),
            )
        });
        let mut loading = Vec::new();
        for (name, layer) in fetched.into_iter().chain(raster) {
            let grid: &leaflet::GridLayer = layer.unchecked_ref();
            if !self.map.has_layer(&layer) || !grid.is_loading() {
                continue;
            }
            let loaded = Rc::clone(&loaded);
            let layer_name = name.clone();
            self._listeners
                .push(LeafletListener::new(&layer, "load", move |_| {
                    loaded(&layer_name)
                }));
            loading.push(name);
        }
        loading
    }

    /// Offers every source of the tile server's catalog that no configured layer shows as a
    /// (hidden) overlay, named and attributed as the catalog says and styled by `tiles.styles`.
    pub fn add_catalog_overlays(&mut self, catalog: &Catalog, tiles: &TileServer) {
        for source in &catalog.sources {
            let url = crate::tile_math::source_template(&tiles.url, &source.id, "");
            if self
                .fetch_layers
                .borrow()
                .iter()
                .any(|(_, layer)| layer.url_template() == url)
            {
                // Already on offer as a configured base layer or overlay.
                continue;
            }
            let name = if self
                .fetch_layers
                .borrow()
                .iter()
                .any(|(n, _)| *n == source.name)
            {
                format!("{} ({})", source.name, source.id)
            } else {
                source.name.clone()
            };
            let format = match source.kind {
                TileKind::Vector => TileFormat::Vector(tiles.style_for(&source.id)),
                TileKind::Raster => TileFormat::Raster,
            };
            let attribution = Attribution {
                text: source.attribution.clone(),
                url: None,
            };
            let spec = self.spec(&name, &url, format, &attribution, self.zoom_range);
            self.add_fetch_layer(spec, LayerRole::Overlay { visible: false });
        }
    }

    /// What is drawn under a point of the map on the layers Rust draws (points, vector tiles).
    fn canvas_features(&self) -> CanvasFeatures {
        CanvasFeatures {
            map: self.map.clone(),
            tiles: Rc::clone(&self.fetch_layers),
            shapes: Rc::clone(&self.shapes_layers),
            points: Rc::clone(&self.points_layers),
            live: Rc::clone(&self.live_layers),
        }
    }

    /// What a click (or Enter on a feature's stand-in) at a place does on the layers Rust draws.
    fn feature_clicks(&self) -> Rc<FeatureClicks> {
        Rc::new(FeatureClicks {
            features: self.canvas_features(),
            map: self.map.clone(),
            spider: self.spider.clone(),
            sink: self.feature_click.clone(),
        })
    }

    /// A click on the map opens a popup for the vector tile feature under it (topmost layer
    /// first); clicks on GeoJSON shapes open their own popups. Either way the feature's
    /// properties go to the [`MapHandle::on_feature_click`] handler.
    fn listen_for_feature_clicks(&mut self, clicks: Rc<FeatureClicks>) {
        let listener = LeafletListener::new(&self.map, "click", move |event| {
            // GeoJSON shapes (SVG paths) handle their own clicks: see `watch_geojson_clicks`.
            if on_svg_shape(&event) {
                return;
            }
            let Ok(latlng) = ffi::get(&event, "latlng").dyn_into::<js_sys::Object>() else {
                return;
            };
            let reach = hit_reach(&ffi::get(&event, "originalEvent"));
            clicks.click(latlng.unchecked_ref(), reach, None);
        });
        self._listeners.push(listener);
    }

    /// The pointer over a feature of a layer Rust draws gets the pointer cursor, and the
    /// feature's tooltip (its `style.tooltip` property) follows it, as Leaflet does for shapes.
    fn listen_for_hover(&mut self) {
        let features = self.canvas_features();
        let container = self.map.get_container();
        let tooltip = leaflet::Tooltip::new(
            &ffi::object(&[
                ("direction", "top".into()),
                ("offset", js_sys::Array::of2(&0.into(), &(-6).into()).into()),
            ])
            .unchecked_into(),
            None,
        );
        let map = self.map.clone();
        let highlight = Rc::new(HoverHighlight::default());
        let hide = {
            let (container, tooltip, map) = (container.clone(), tooltip.clone(), map.clone());
            let highlight = Rc::clone(&highlight);
            move || {
                let _ = container.class_list().remove_1(HOVER_CLASS);
                if map.has_layer(&tooltip) {
                    tooltip.remove();
                }
                highlight.show(&map, None, 0.0);
            }
        };
        let hide_on_move = hide.clone();
        let moved = LeafletListener::new(&self.map, "mousemove", move |event| {
            let original = ffi::get(&event, "originalEvent");
            // Not while dragging, nor over shapes (they have their own cursor and tooltips).
            let dragging = ffi::get(&original, "buttons").as_f64().unwrap_or(0.0) != 0.0;
            let latlng = ffi::get(&event, "latlng").dyn_into::<js_sys::Object>();
            let (Ok(latlng), false, false) = (latlng, dragging, on_svg_shape(&event)) else {
                hide_on_move();
                return;
            };
            let latlng: LatLng = latlng.unchecked_into();
            let Some(hit) = features.at(&latlng, hit_reach(&original), None) else {
                hide_on_move();
                return;
            };
            let _ = container.class_list().add_1(HOVER_CLASS);
            highlight.show(&map, hit.shape.as_ref(), latlng.lng());
            match hit.tooltip {
                Some(text) => {
                    tooltip.set_lat_lng(&latlng);
                    tooltip.set_content(&popup::text_element(&text));
                    if !map.has_layer(&tooltip) {
                        ffi::call(&tooltip, "openOn", &[map.clone().into()]);
                    }
                }
                None if map.has_layer(&tooltip) => {
                    tooltip.remove();
                }
                None => {}
            }
        });
        let left = LeafletListener::new(&self.map, "mouseout", move |_| hide());
        self._listeners.push(moved);
        self._listeners.push(left);
    }

    /// A click on one of the layer's features (its popup opens by itself) goes to the
    /// [`MapHandle::on_feature_click`] handler with the feature's properties.
    fn watch_geojson_clicks(&mut self, name: &str, layer: &GeoJsonLayer) {
        let sink = self.feature_click.clone();
        self.layer_listeners.push((
            name.to_owned(),
            LeafletListener::new(layer.layer(), "click", move |event| {
                if let Some(handler) = sink.get() {
                    let properties = ffi::get(
                        &ffi::get(&ffi::get(&event, "layer"), "feature"),
                        "properties",
                    );
                    handler(&ffi::from_js(&properties).unwrap_or(Json::Null));
                }
            }),
        ));
    }

    /// Calls `handler(properties)` when the user clicks a feature (GeoJSON or vector tile).
    pub fn on_feature_click(&self, handler: impl Fn(&Json) + 'static) {
        self.feature_click.set(Rc::new(handler));
    }

    /// Calls `handler(view)` after every move or zoom (Leaflet's `moveend`).
    pub fn on_view_change(&mut self, handler: impl Fn(View) + 'static) {
        let map = self.map.clone();
        self._listeners
            .push(LeafletListener::new(&self.map, "moveend", move |_| {
                handler(view_sync::current_view(&map))
            }));
    }

    /// Adds a GeoJSON overlay (shown, listed in the layers control) from a document the host
    /// hands over. Returns how many features are drawn; invalid features are skipped.
    /// `data` is the document as the browser's JSON text (`JSON.stringify` of the host's object).
    pub fn add_geojson_overlay(
        &mut self,
        name: &str,
        data: &js_sys::JsString,
        style: &crate::config::Style,
        renderer: Renderer,
    ) -> Result<usize, String> {
        self.add_geojson(
            name,
            data,
            style,
            renderer,
            LayerRole::Overlay { visible: true },
        )
    }

    /// [`MapHandle::add_geojson_overlay`], offered as `role` says.
    pub fn add_geojson(
        &mut self,
        name: &str,
        data: &js_sys::JsString,
        style: &crate::config::Style,
        renderer: Renderer,
        role: LayerRole,
    ) -> Result<usize, String> {
        self.check_new_name(name)?;
        let loaded = crate::data::loaded_from_text(data, drawn_by_rust(renderer, style))?;
        let layer = self.add_geojson_layer(
            name,
            style,
            renderer,
            &crate::config::Attribution::default(),
            role,
        );
        match crate::data::apply(&layer, Ok(loaded)) {
            crate::data::LayerState::Ready { features, .. } => {
                self.add_to_legend(name, style, role);
                Ok(features)
            }
            state => {
                self.remove_overlay(name);
                Err(state
                    .problem()
                    .unwrap_or("the data could not be shown")
                    .to_owned())
            }
        }
    }

    /// Replaces the data of the GeoJSON layer `name` in place (same layer, same place in the
    /// layers control). Returns how many features are drawn; invalid features are skipped.
    pub fn set_geojson(&mut self, name: &str, data: &js_sys::JsString) -> Result<usize, String> {
        let layer = self
            .data_layer(name)
            .filter(|l| !matches!(l, DataLayerHandle::Points(_)))
            .ok_or_else(|| format!("there is no GeoJSON layer named \"{name}\""))?;
        let loaded =
            crate::data::loaded_from_text(data, matches!(layer, DataLayerHandle::Drawn(_)))?;
        match crate::data::apply(&layer, Ok(loaded)) {
            crate::data::LayerState::Ready { features, .. } => Ok(features),
            state => Err(state
                .problem()
                .unwrap_or("the data could not be shown")
                .to_owned()),
        }
    }

    /// Adds a points overlay (shown, listed in the layers control) from points the host hands
    /// over, already loaded ([`crate::data::Loaded::Points`]). Returns how many points are drawn.
    pub fn add_points_overlay(
        &mut self,
        name: &str,
        loaded: crate::data::Loaded,
        style: &crate::config::Style,
        cluster: Option<crate::cluster::ClusterOptions>,
    ) -> Result<usize, String> {
        self.check_new_name(name)?;
        self.watch_canvas_features();
        let layer = Rc::new(PointsLayer::new(
            style,
            &crate::config::Attribution::default(),
            cluster,
        ));
        let state = crate::data::apply(&DataLayerHandle::Points(Rc::clone(&layer)), Ok(loaded));
        let crate::data::LayerState::Ready { features, .. } = state else {
            return Err(state
                .problem()
                .unwrap_or("the points could not be shown")
                .to_owned());
        };
        self.offer(layer.layer(), name, LayerRole::Overlay { visible: true });
        self.points_layers
            .borrow_mut()
            .push((name.to_owned(), layer));
        Ok(features)
    }

    /// Whether a new layer may take `name`: not empty, and not taken by another layer.
    pub fn check_new_name(&self, name: &str) -> Result<(), String> {
        if name.trim().is_empty() {
            return Err("an overlay needs a name".into());
        }
        let taken = self.geojson_layers.iter().any(|(n, _)| n == name)
            || self.shapes_layers.borrow().iter().any(|(n, _)| n == name)
            || self.fetch_layers.borrow().iter().any(|(n, _)| n == name)
            || self.points_layers.borrow().iter().any(|(n, _)| n == name)
            || self.live_layers.borrow().iter().any(|(n, _)| n == name)
            || self.tile_layers.iter().any(|(n, ..)| n == name);
        if taken {
            return Err(format!("there is already a layer named \"{name}\""));
        }
        Ok(())
    }

    /// Shows exactly the optional controls `wanted` asks for (config.json's `controls`, or the
    /// embedding API's `controls` option, which overrides it).
    pub fn set_controls(&mut self, wanted: Controls) {
        let container = self.map.get_container();
        let shown = &mut self.optional_controls;
        if wanted.fullscreen != shown.fullscreen.is_some() {
            // The map with its banners: the app's root element around the map, if it is there.
            let target: web_sys::Element = container
                .parent_element()
                .filter(|p| p.class_list().contains("meshmap"))
                .unwrap_or_else(|| container.clone().into());
            shown.fullscreen = wanted
                .fullscreen
                .then(|| controls::add_fullscreen(&self.map, &target))
                .flatten();
        }
        if wanted.locate != shown.locate.is_some() {
            shown.locate = wanted
                .locate
                .then(|| controls::add_locate(&self.map))
                .flatten();
        }
        if wanted.legend != shown.legend.is_some() {
            let open = !is_small(&self.map);
            shown.legend = wanted
                .legend
                .then(|| controls::add_legend(&self.map, &self.legend_entries, open))
                .flatten();
        }
    }

    /// Puts an overlay the map gained after it was made (a component's) in the legend.
    fn add_to_legend(&mut self, name: &str, style: &crate::config::Style, role: LayerRole) {
        if matches!(role, LayerRole::Overlay { .. }) {
            self.legend_entries.push(controls::LegendEntry {
                name: name.to_owned(),
                style: style.clone(),
                points: false,
            });
            self.refresh_legend();
        }
    }

    /// Draws the legend again (if shown) from the overlays there are now.
    fn refresh_legend(&mut self) {
        if self.optional_controls.legend.take().is_some() {
            let wanted = Controls {
                legend: true,
                ..self.controls()
            };
            self.set_controls(wanted);
        }
    }

    /// The optional controls shown now.
    pub fn controls(&self) -> Controls {
        Controls {
            fullscreen: self.optional_controls.fullscreen.is_some(),
            locate: self.optional_controls.locate.is_some(),
            legend: self.optional_controls.legend.is_some(),
        }
    }

    /// Removes a layer (any kind, base layers too) from the map and the layers control. False if
    /// there is none of that name.
    pub fn remove_overlay(&mut self, name: &str) -> bool {
        fn take<T>(layers: &mut Vec<(String, Rc<T>)>, name: &str) -> Option<Rc<T>> {
            layers
                .iter()
                .position(|(n, _)| n == name)
                .map(|i| layers.remove(i).1)
        }
        // The removed layer stays alive until Leaflet has unloaded its tiles.
        let layer: leaflet::Layer = if let Some(layer) = take(&mut self.geojson_layers, name) {
            layer.layer().clone()
        } else if let Some(layer) = take(&mut self.shapes_layers.borrow_mut(), name) {
            layer.layer().clone()
        } else if let Some(layer) = take(&mut self.fetch_layers.borrow_mut(), name) {
            layer.layer().clone()
        } else if let Some(layer) = take(&mut self.points_layers.borrow_mut(), name) {
            layer.layer().clone()
        } else if let Some(layer) = take(&mut self.live_layers.borrow_mut(), name) {
            layer.layer().clone()
        } else if let Some(at) = self.tile_layers.iter().position(|(n, ..)| n == name) {
            self.tile_layers.remove(at).2.unchecked_into()
        } else {
            return false;
        };
        self.layers_control.remove_layer(&layer);
        layer.remove();
        self.layer_listeners.retain(|(n, _)| n != name);
        let before = self.legend_entries.len();
        self.legend_entries.retain(|entry| entry.name != name);
        if self.legend_entries.len() != before {
            self.refresh_legend();
        }
        true
    }

    /// Shows the box south..north, west..east as large as it fits.
    pub fn fit_bounds(&self, south: f64, west: f64, north: f64, east: f64) -> Result<(), String> {
        let valid = [south, west, north, east].iter().all(|v| v.is_finite())
            && (-90.0..=90.0).contains(&south)
            && (-90.0..=90.0).contains(&north)
            && south <= north;
        if !valid {
            let [s, w, n, e] = [south, west, north, east].map(crate::math::Decimal);
            return Err(format!(
                "[{s}, {w}, {n}, {e}] is not a box of [south, west, north, east] in degrees"
            ));
        }
        let bounds =
            leaflet::LatLngBounds::new(&LatLng::new(south, west), &LatLng::new(north, east));
        self.map
            .fit_bounds_with_options(&bounds, &ffi::object(&[("animate", JsValue::FALSE)]));
        Ok(())
    }

    /// Calls `handler(layer name, health)` when a first-party tile layer goes down, comes back
    /// or has unusable tiles. Applies to layers added later (catalog overlays) too.
    pub fn on_tile_health(&self, handler: impl Fn(&str, &TileHealth) + 'static) {
        self.tile_health.set(Rc::new(handler));
    }

    /// The first-party tile layer with this name.
    pub fn tile_layer(&self, name: &str) -> Option<Rc<FetchTileLayer>> {
        named(&self.fetch_layers.borrow(), name)
    }

    /// The HTTP client this map's layers use.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// The layer (GeoJSON or points) whose document is called `name`.
    pub fn data_layer(&self, name: &str) -> Option<DataLayerHandle> {
        named(&self.shapes_layers.borrow(), name)
            .map(DataLayerHandle::Drawn)
            .or_else(|| self.geojson_layer(name).map(DataLayerHandle::Shapes))
            .or_else(|| self.points_layer(name).map(DataLayerHandle::Points))
    }

    /// The GeoJSON layer Rust draws with this name.
    pub fn shapes_layer(&self, name: &str) -> Option<Rc<ShapesLayer>> {
        named(&self.shapes_layers.borrow(), name)
    }

    /// Calls `f` each time the layer `name`, if Rust draws it on tiles (points, GeoJSON), has
    /// drawn all its tiles (Leaflet's `load`). False for another kind of layer (it is drawn as
    /// soon as its data is set).
    pub fn on_tiles_drawn(&mut self, name: &str, f: impl Fn() + 'static) -> bool {
        let layer = match self.data_layer(name) {
            Some(DataLayerHandle::Points(layer)) => layer.layer().clone(),
            Some(DataLayerHandle::Drawn(layer)) => layer.layer().clone(),
            _ => return false,
        };
        self.layer_listeners.push((
            name.to_owned(),
            LeafletListener::new(&layer, "load", move |_| f()),
        ));
        true
    }

    /// The place search box, if the config has one (`search`).
    pub fn search_box(&self) -> Option<Rc<search_box::SearchBox>> {
        self.search_box.clone()
    }

    /// The live overlay with this name.
    pub fn live_layer(&self, name: &str) -> Option<Rc<LiveLayer>> {
        named(&self.live_layers.borrow(), name)
    }

    /// How many points a spiderfied cluster shows now (0: none is open).
    pub fn spiderfied_points(&self) -> usize {
        self.spider.shown()
    }

    /// The points overlay with this name.
    pub fn points_layer(&self, name: &str) -> Option<Rc<PointsLayer>> {
        named(&self.points_layers.borrow(), name)
    }

    /// The GeoJSON layer (base or overlay) with this name.
    pub fn geojson_layer(&self, name: &str) -> Option<Rc<GeoJsonLayer>> {
        named(&self.geojson_layers, name)
    }

    pub fn view(&self) -> View {
        view_sync::current_view(&self.map)
    }

    /// Moves the map without animation, to exactly this view (`reset`: Leaflet would pan a
    /// short way by whole pixels, and then answer a centre half a pixel off).
    pub fn set_view(&self, view: View) {
        self.map.set_view_with_options(
            &LatLng::new(view.lat, view.lng),
            view.zoom,
            &ffi::object(&[("animate", JsValue::FALSE), ("reset", JsValue::TRUE)]),
        );
    }

    /// Where a place is on screen, in pixels from the map container's top left corner.
    pub fn container_point(&self, lat: f64, lng: f64) -> (f64, f64) {
        let point = self.map.lat_lng_to_container_point(&LatLng::new(lat, lng));
        (point.x(), point.y())
    }

    pub fn zoom(&self) -> f64 {
        self.map.get_zoom()
    }

    /// Whether the layer called `name` is on the map now (shown).
    pub fn is_shown(&self, name: &str) -> bool {
        let layer = match self.data_layer(name) {
            Some(DataLayerHandle::Drawn(layer)) => layer.layer().clone(),
            Some(DataLayerHandle::Shapes(layer)) => layer.layer().clone(),
            Some(DataLayerHandle::Points(layer)) => layer.layer().clone(),
            None => match self.tile_layer(name) {
                Some(layer) => layer.layer().clone(),
                None => return false,
            },
        };
        self.map.has_layer(&layer)
    }

    /// Calls `handler(layer name, URL template)` whenever a tile of a raster base layer fails to
    /// load (unreachable server, error status, not an image).
    pub fn on_tile_error(&mut self, handler: impl Fn(&str, &str) + 'static) {
        let handler = std::rc::Rc::new(handler);
        for (name, url, layer) in &self.tile_layers {
            let (name, url, handler) = (name.clone(), url.clone(), std::rc::Rc::clone(&handler));
            self._listeners
                .push(LeafletListener::new(layer, "tileerror", move |_| {
                    handler(&name, &url)
                }));
        }
    }

    /// The first view is drawn: prefetched tiles nobody asked for are dropped.
    pub fn first_view_drawn(&mut self) {
        if let Some(prefetch) = self.prefetch.take() {
            prefetch.finish();
        }
    }

    /// Calls `handler(message)` when the page's Content-Security-Policy blocks a request (a tile
    /// or data origin missing from `connect-src`/`img-src`), once per blocked origin: otherwise
    /// the failed request looks like a network error.
    pub fn on_csp_violation(&mut self, handler: impl Fn(String) + 'static) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let reported = std::cell::RefCell::new(Vec::<String>::new());
        let listener = listener::DomListener::new(
            &document,
            "securitypolicyviolation",
            move |event| {
                let text = |key| ffi::get(&event, key).as_string().unwrap_or_default();
                let (blocked, directive) = (text("blockedURI"), text("effectiveDirective"));
                if !matches!(directive.as_str(), "connect-src" | "img-src") {
                    return;
                }
                let origin = crate::web_url::WebUrl::parse(&blocked)
                    .ok()
                    .and_then(|u| u.origin())
                    .map_or(blocked.clone(), |o| o.to_string());
                if reported.borrow().contains(&origin) {
                    return;
                }
                reported.borrow_mut().push(origin.clone());
                handler(format!(
                "{blocked} was blocked by the page's Content-Security-Policy ({directive}): add {origin} to it (README: \"Serving\")"
            ));
            },
        );
        self._window_listeners.push(listener);
    }

    /// The Leaflet map itself.
    pub fn leaflet(&self) -> &Map {
        &self.map
    }

    /// The element Leaflet draws into.
    pub fn container(&self) -> HtmlElement {
        self.map.get_container()
    }
}

/// First-party tile layers by name, shared with the click listener.
/// Canvases are drawn for the screen's pixel density; moving the window to a screen of another
/// density (or zooming the page) changes it, and the tiles Rust draws are drawn again, sharp.
/// `matchMedia("(resolution: Ndppx)")` fires once when the density leaves N, so each change
/// arms the next watch.
struct PixelRatioWatch {
    listener: Rc<std::cell::RefCell<Option<listener::DomListener>>>,
}

impl PixelRatioWatch {
    fn start(layers: CanvasFeatures) -> Self {
        let watch = PixelRatioWatch {
            listener: Rc::default(),
        };
        Self::arm(&watch.listener, Rc::new(layers));
        watch
    }

    fn arm(
        slot: &Rc<std::cell::RefCell<Option<listener::DomListener>>>,
        layers: Rc<CanvasFeatures>,
    ) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let query = format!("(resolution: {}dppx)", window.device_pixel_ratio());
        let Ok(Some(media)) = window.match_media(&query) else {
            return;
        };
        let next = Rc::downgrade(slot);
        let listener = listener::DomListener::new(&media, "change", move |_| {
            layers.redraw();
            if let Some(slot) = next.upgrade() {
                // This listener is running: it is dropped after it returns, not here.
                let running = slot.borrow_mut().take();
                Self::arm(&slot, Rc::clone(&layers));
                wasm_bindgen_futures::spawn_local(async move { drop(running) });
            }
        });
        *slot.borrow_mut() = Some(listener);
    }
}

impl Drop for PixelRatioWatch {
    fn drop(&mut self) {
        self.listener.borrow_mut().take();
    }
}

/// A phone or a small embedded map, where controls start folded. Leaflet's size of the map,
/// measured when the map was made: reading the container's size again after Leaflet has filled
/// it would make the browser lay the page out once more.
fn is_small(map: &Map) -> bool {
    let size = map.get_size();
    size.x() < f64::from(SMALL_MAP.0) || size.y() < f64::from(SMALL_MAP.1)
}

/// The optional controls on the map, each removed when set to `None`.
#[derive(Default)]
struct OptionalControls {
    fullscreen: Option<controls::CustomControl>,
    locate: Option<controls::CustomControl>,
    legend: Option<controls::CustomControl>,
}

/// The class the map's container has while the pointer is over a feature Rust drew.
const HOVER_CLASS: &str = "meshmap-hover";

/// A click or the pointer on an SVG shape (GeoJSON), which Leaflet handles itself.
fn on_svg_shape(event: &JsValue) -> bool {
    ffi::get(&ffi::get(event, "originalEvent"), "target")
        .dyn_into::<web_sys::Element>()
        .is_ok_and(|t| t.class_list().contains("leaflet-interactive"))
}

/// A feature found under the pointer: its properties, and its tooltip text if its layer has one.
struct CanvasHit {
    properties: Json,
    tooltip: Option<String>,
    /// What the hover highlight outlines (`None`: a point of a points layer, a live object).
    shape: Option<HitShape>,
    /// The cluster it is, and its layer's style (for a spiderfied fan).
    cluster: Option<(ClusterHit, crate::config::Style)>,
}

/// A feature with a shape to outline: on a vector tile, or of a GeoJSON layer Rust draws.
enum HitShape {
    Tile(tile_layer::TileHit),
    Shape(shapes_layer::ShapeHit),
}

/// Which feature a [`HitShape`] is: the same key is the same feature.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HitKey {
    Tile(tile_layer::FeatureKey),
    Shape((usize, usize)),
}

impl HitShape {
    fn key(&self) -> HitKey {
        match self {
            HitShape::Tile(hit) => HitKey::Tile(hit.key()),
            HitShape::Shape(hit) => HitKey::Shape(hit.key()),
        }
    }

    fn outline(&self, zoom: f64, lng: f64) -> Option<crate::shapes::Outline> {
        match self {
            HitShape::Tile(hit) => Some(hit.outline(lng)),
            HitShape::Shape(hit) => hit.outline(zoom, lng),
        }
    }
}

/// The outline drawn over the feature Rust drew under the pointer (SVG shapes restyle
/// themselves, see [`GeoJsonLayer`]).
#[derive(Default)]
struct HoverHighlight {
    shown: std::cell::RefCell<Option<(HitKey, leaflet::Layer)>>,
}

impl HoverHighlight {
    /// Outlines `hit` (or nothing) on the world copy holding longitude `lng`; the outline is
    /// made again only when the feature under the pointer changes.
    fn show(&self, map: &Map, hit: Option<&HitShape>, lng: f64) {
        let mut shown = self.shown.borrow_mut();
        if shown.as_ref().map(|(key, _)| *key) == hit.map(HitShape::key) {
            return;
        }
        if let Some((_, layer)) = shown.take() {
            layer.remove();
        }
        let Some(hit) = hit else {
            return;
        };
        let Some(outline) = hit.outline(map.get_zoom(), lng) else {
            return;
        };
        let to_js = |path: &Vec<(f64, f64)>| -> js_sys::Array {
            path.iter()
                .map(|&(lat, lng)| JsValue::from(js_sys::Array::of2(&lat.into(), &lng.into())))
                .collect()
        };
        let options = ffi::object(&[
            ("interactive", JsValue::FALSE),
            ("className", "meshmap-hover-outline".into()),
            ("fill", JsValue::FALSE),
            ("weight", 3.into()),
        ]);
        let layer = match outline.kind {
            crate::shapes::OutlineKind::Points => {
                let Some(&(lat, lng)) = outline.paths.first().and_then(|p| p.first()) else {
                    return;
                };
                ffi::set(&options, "radius", &9.into());
                ffi::circle_marker(&LatLng::new(lat, lng), &options)
            }
            crate::shapes::OutlineKind::Lines => ffi::polyline(
                &outline.paths.iter().map(to_js).collect::<js_sys::Array>(),
                &options,
            ),
            crate::shapes::OutlineKind::Areas => ffi::polygon(
                &outline.paths.iter().map(to_js).collect::<js_sys::Array>(),
                &options,
            ),
        };
        layer.add_to(map);
        *shown = Some((hit.key(), layer));
    }
}

/// What a click at a place does on the layers Rust draws: a cluster zooms in or fans out, a
/// feature opens its popup and goes to the [`MapHandle::on_feature_click`] handler.
struct FeatureClicks {
    features: CanvasFeatures,
    map: Map,
    spider: spider::Spider,
    sink: FeatureClickSink,
}

impl FeatureClicks {
    /// `reach`: how many pixels around the place count (a finger reaches farther than a mouse);
    /// `only`: the layer whose feature it is (a stand-in's), else whatever is on top there.
    fn click(&self, latlng: &LatLng, reach: f64, only: Option<&str>) {
        self.spider.fold();
        let hit = self.features.at(latlng, reach, only);
        if let Some((cluster, style)) = hit.as_ref().and_then(|h| h.cluster.as_ref()) {
            let (lat, lng) = cluster.centre;
            match &cluster.action {
                ClusterAction::ZoomTo(zoom) => {
                    let zoom = f64::from(*zoom).min(self.map.get_max_zoom());
                    self.map.set_view(&LatLng::new(lat, lng), zoom);
                }
                ClusterAction::Spiderfy(points) => {
                    self.spider.open(&self.map, (lat, lng), points, style)
                }
            }
            return;
        }
        if let Some(hit) = hit {
            popup::open_properties_popup(&self.map, latlng, &hit.properties);
            if let Some(handler) = self.sink.get() {
                handler(&hit.properties);
            }
        }
    }

    /// The features drawn on canvases that the keyboard reaches now, in Tab order.
    fn keyboard_targets(&self, view: &ViewBox) -> Vec<Target> {
        self.features.keyboard_targets(view)
    }
}

/// The layers Rust draws, searched topmost first: live objects over points over GeoJSON over
/// tiles, later layers over earlier.
struct CanvasFeatures {
    map: Map,
    tiles: FetchLayers,
    shapes: ShapesLayers,
    points: PointsLayers,
    live: LiveLayers,
}

impl CanvasFeatures {
    /// Draws every tile again (at the screen's current pixel density).
    fn redraw(&self) {
        let layers: Vec<leaflet::Layer> =
            (self.tiles.borrow().iter().map(|(_, l)| l.layer().clone()))
                .chain(self.shapes.borrow().iter().map(|(_, l)| l.layer().clone()))
                .chain(self.points.borrow().iter().map(|(_, l)| l.layer().clone()))
                .collect();
        for layer in layers {
            ffi::call(&layer, "redraw", &[]);
        }
    }

    fn at(&self, latlng: &LatLng, reach: f64, only: Option<&str>) -> Option<CanvasHit> {
        let (lat, lng, zoom) = (latlng.lat(), latlng.lng(), self.map.get_zoom());
        let hit = |properties: Json, key: Option<&str>, shape| CanvasHit {
            tooltip: key.and_then(|key| crate::geojson::property_text(&properties, key)),
            properties,
            shape,
            cluster: None,
        };
        let on_points = || {
            self.topmost(
                only,
                &self.points,
                |layer| layer.layer(),
                |layer| match layer.hit_at(lat, lng, zoom, reach)? {
                    PointsHit::Point(properties) => {
                        Some(hit(properties, layer.tooltip_property(), None))
                    }
                    PointsHit::Cluster(cluster) => Some(CanvasHit {
                        properties: Json::Null,
                        tooltip: Some(match cluster.action {
                            ClusterAction::ZoomTo(_) => {
                                format!("{} points: click to zoom in", cluster.count)
                            }
                            ClusterAction::Spiderfy(_) => {
                                format!("{} points at one place: click to show them", cluster.count)
                            }
                        }),
                        shape: None,
                        cluster: Some((cluster, layer.style().clone())),
                    }),
                },
            )
        };
        let on_shapes = || {
            self.topmost(
                only,
                &self.shapes,
                |layer| layer.layer(),
                |layer| {
                    let found = layer.hit_at(lat, lng, zoom, reach)?;
                    Some(hit(
                        found.properties(),
                        layer.tooltip_property(),
                        Some(HitShape::Shape(found)),
                    ))
                },
            )
        };
        let on_tiles = || {
            self.topmost(
                only,
                &self.tiles,
                |layer| layer.layer(),
                |layer| {
                    let found = layer.hit_at(lat, lng, zoom, reach)?;
                    Some(hit(
                        found.properties(),
                        layer.tooltip_property(),
                        Some(HitShape::Tile(found)),
                    ))
                },
            )
        };
        let on_live = || {
            self.topmost(
                only,
                &self.live,
                |layer| layer.layer(),
                |layer| {
                    let properties = layer.object_at(latlng, reach)?;
                    Some(hit(properties, layer.tooltip_property(), None))
                },
            )
        };
        on_live()
            .or_else(on_points)
            .or_else(on_shapes)
            .or_else(on_tiles)
    }

    /// What the keyboard reaches on every layer shown ([`crate::focus_order`]).
    fn keyboard_targets(&self, view: &ViewBox) -> Vec<Target> {
        let mut all = Vec::new();
        let shown = |layer: &leaflet::Layer| self.map.has_layer(layer);
        for (name, layer) in self.tiles.borrow().iter() {
            if shown(layer.layer()) {
                all.extend(layer.keyboard_targets(view, name));
            }
        }
        for (name, layer) in self.shapes.borrow().iter() {
            if shown(layer.layer()) {
                all.extend(layer.keyboard_targets(view, name));
            }
        }
        for (name, layer) in self.points.borrow().iter() {
            if shown(layer.layer()) {
                all.extend(layer.keyboard_targets(view, name));
            }
        }
        for (name, layer) in self.live.borrow().iter() {
            if shown(layer.layer()) {
                all.extend(layer.keyboard_targets(view, name));
            }
        }
        crate::focus_order::tab_order(view, all, crate::focus_order::TAB_STOPS)
    }

    /// The first of `layers`, topmost first, that is on the map and where `find` finds something.
    fn topmost<L, T>(
        &self,
        only: Option<&str>,
        layers: &std::cell::RefCell<Vec<(String, Rc<L>)>>,
        on_map: impl Fn(&L) -> &leaflet::Layer,
        mut find: impl FnMut(&L) -> Option<T>,
    ) -> Option<T> {
        layers
            .borrow()
            .iter()
            .rev()
            .filter(|(name, layer)| {
                only.is_none_or(|only| only == name) && self.map.has_layer(on_map(layer))
            })
            .find_map(|(_, layer)| find(layer))
    }
}

type FetchLayers = Rc<std::cell::RefCell<Vec<(String, Rc<FetchTileLayer>)>>>;

/// GeoJSON layers Rust draws, by name, shared with the click listener.
type ShapesLayers = Rc<std::cell::RefCell<Vec<(String, Rc<ShapesLayer>)>>>;

/// Points overlays by name, shared with the click listener.
type PointsLayers = Rc<std::cell::RefCell<Vec<(String, Rc<PointsLayer>)>>>;

/// Live overlays by name, shared with the click listener.
type LiveLayers = Rc<std::cell::RefCell<Vec<(String, Rc<LiveLayer>)>>>;

type FeatureClickSink = SharedCallback<dyn Fn(&Json)>;

/// How a layer is offered: in the layers control (as a base layer, one of which shows, or an
/// overlay, shown or not), or simply on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerRole {
    Base {
        active: bool,
    },
    Overlay {
        visible: bool,
    },
    /// Shown, not listed: a layer of a map built from components outside a `<LayersControl>`.
    Unlisted,
}

impl Drop for MapHandle {
    fn drop(&mut self) {
        self._hash_sync = None;
        if let Some(stop) = self.stop_following_size.take() {
            let _ = stop.call0(&JsValue::NULL);
        }
        self._listeners.clear();
        self._window_listeners.clear();
        self._keyboard = None;
        self._focus_stops = None;
        self.optional_controls = OptionalControls::default();
        self.layer_listeners.clear();
        self.tile_health.clear();
        self.feature_click.clear();
        // Removes every layer, control, DOM node and DOM listener Leaflet created...
        self.map.remove();
        // ...but one: the last dragged element, held globally, would keep this map alive.
        ffi::restore_outline();
        // Cancels fetches, retry timers and probes.
        self.fetch_layers.borrow_mut().clear();
        self.shapes_layers.borrow_mut().clear();
        self.points_layers.borrow_mut().clear();
        self.live_layers.borrow_mut().clear();
        // And the first view's tiles still on their way: a tile waiting for one holds its layer
        // (and so the map) until it arrives, which for a hanging server is never.
        self.first_view_drawn();
    }
}
