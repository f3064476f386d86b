//! The Leaflet map behind typed Rust wrappers. Everything that touches Leaflet or the browser for
//! the map is in this module; the UI talks to [`MapHandle`].

mod controls;
mod ffi;
mod geojson_layer;
mod listener;
mod popup;
mod view_sync;

use std::rc::Rc;

use leaflet::{LatLng, Map, MapOptions, TileLayer, TileLayerOptions};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

pub use geojson_layer::GeoJsonLayer;
pub use listener::live_listeners;

use crate::config::{escape_html, BaseLayer, BaseSource, Config, Overlay, Renderer};
use crate::view_hash::View;
use listener::LeafletListener;
use view_sync::HashSync;

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

/// A layer whose data the UI still has to load.
pub struct PendingLayer {
    pub name: String,
    pub layer: Rc<GeoJsonLayer>,
    pub source: crate::config::DataSource,
}

/// A live Leaflet map. Dropping it removes the map, its layers, controls and listeners.
pub struct MapHandle {
    map: Map,
    layers_control: ffi::LayersControl,
    geojson_layers: Vec<(String, Rc<GeoJsonLayer>)>,
    tile_layers: Vec<(String, String, TileLayer)>,
    _hash_sync: Option<HashSync>,
    _listeners: Vec<LeafletListener>,
    _badge: Option<wasm_bindgen::closure::Closure<dyn Fn(JsValue) -> JsValue>>,
}

impl MapHandle {
    /// Creates the map in `container` with the config's view, base layers and (still empty)
    /// overlays. Returns the GeoJSON layers whose data must be fetched.
    pub fn new(container: &HtmlElement, config: &Config, behaviour: MapBehaviour) -> Result<(MapHandle, Vec<PendingLayer>), MapError> {
        if !ffi::leaflet_loaded() {
            return Err(MapError::LeafletMissing);
        }
        let view_config = &config.view;
        let zoom_range = (view_config.min_zoom, view_config.max_zoom);
        let initial = behaviour
            .sync_url_hash
            .then(|| view_sync::view_from_location(zoom_range))
            .flatten()
            .unwrap_or(View { zoom: view_config.zoom, lat: view_config.center.0, lng: view_config.center.1 });

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
        let map = Map::new_with_element(container, &options).map_err(|e| MapError::Leaflet(geojson_layer::js_error_text(&e)))?;

        let layers_control = ffi::layers_control(&js_sys::Object::new(), &js_sys::Object::new(), &ffi::js_object(&serde_json::json!({"collapsed": false})));
        let mut handle = MapHandle {
            map,
            layers_control,
            geojson_layers: Vec::new(),
            tile_layers: Vec::new(),
            _hash_sync: None,
            _listeners: Vec::new(),
            _badge: None,
        };
        let mut pending = Vec::new();
        for (i, base) in config.base_layers.iter().enumerate() {
            if let Some(p) = handle.add_base_layer(base, i == 0) {
                pending.push(p);
            }
        }
        for overlay in &config.overlays {
            pending.push(handle.add_overlay(overlay));
        }
        controls::add_scale(&handle.map);
        handle.layers_control.add_to(&handle.map);
        handle._badge = Some(controls::add_version_badge(&handle.map));
        if behaviour.sync_url_hash {
            handle._hash_sync = HashSync::start(&handle.map, zoom_range);
        }
        Ok((handle, pending))
    }

    fn add_base_layer(&mut self, base: &BaseLayer, active: bool) -> Option<PendingLayer> {
        let name_html = escape_html(&base.name);
        match &base.source {
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
                self.layers_control.add_base_layer(layer.unchecked_ref(), &name_html);
                if active {
                    layer.add_to(&self.map);
                }
                self.tile_layers.push((base.name.clone(), url.clone(), layer));
                None
            }
            BaseSource::GeoJson { data, style } => {
                let layer = Rc::new(GeoJsonLayer::new(style, Renderer::Svg, &base.attribution));
                self.layers_control.add_base_layer(layer.layer(), &name_html);
                if active {
                    layer.layer().add_to(&self.map);
                }
                self.geojson_layers.push((base.name.clone(), Rc::clone(&layer)));
                Some(PendingLayer { name: base.name.clone(), layer, source: data.clone() })
            }
        }
    }

    fn add_overlay(&mut self, overlay: &Overlay) -> PendingLayer {
        let layer = Rc::new(GeoJsonLayer::new(&overlay.style, overlay.renderer, &overlay.attribution));
        self.layers_control.add_overlay(layer.layer(), &escape_html(&overlay.name));
        if overlay.visible {
            layer.layer().add_to(&self.map);
        }
        self.geojson_layers.push((overlay.name.clone(), Rc::clone(&layer)));
        PendingLayer { name: overlay.name.clone(), layer, source: overlay.data.clone() }
    }

    /// The GeoJSON layer (base or overlay) with this name.
    pub fn geojson_layer(&self, name: &str) -> Option<Rc<GeoJsonLayer>> {
        self.geojson_layers.iter().find(|(n, _)| n == name).map(|(_, l)| Rc::clone(l))
    }

    pub fn view(&self) -> View {
        view_sync::current_view(&self.map)
    }

    /// Moves the map without animation.
    pub fn set_view(&self, view: View) {
        self.map.set_view_with_options(&LatLng::new(view.lat, view.lng), view.zoom, &ffi::js_object(&serde_json::json!({"animate": false})));
    }

    pub fn zoom(&self) -> f64 {
        self.map.get_zoom()
    }

    pub fn is_visible(&self, layer: &GeoJsonLayer) -> bool {
        self.map.has_layer(layer.layer())
    }

    /// Calls `handler(layer name, URL template)` whenever a tile of a raster base layer fails to
    /// load (unreachable server, error status, not an image).
    pub fn on_tile_error(&mut self, handler: impl Fn(&str, &str) + 'static) {
        let handler = std::rc::Rc::new(handler);
        for (name, url, layer) in &self.tile_layers {
            let (name, url, handler) = (name.clone(), url.clone(), std::rc::Rc::clone(&handler));
            self._listeners.push(LeafletListener::new(layer, "tileerror", move |_| handler(&name, &url)));
        }
    }

    /// The element Leaflet draws into.
    pub fn container(&self) -> HtmlElement {
        self.map.get_container()
    }
}

impl Drop for MapHandle {
    fn drop(&mut self) {
        self._hash_sync = None;
        self._listeners.clear();
        // Removes every layer, control, DOM node and DOM listener Leaflet created.
        self.map.remove();
    }
}
