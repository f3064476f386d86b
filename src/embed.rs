//! The JavaScript API for embedding maps in any page: `mount(element, options)` returns a
//! `MapWidget` handle. `embed.js` (written by scripts/postbuild.py) loads the module and exposes
//! this API and the `<meshmap-view>` element to host pages.
//!
//! Host callbacks can never break a map: a callback that throws is reported in the console and
//! the map carries on.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::config::{Controls, Renderer, Style, MAX_ZOOM_LIMIT};
use crate::json::Json;
use crate::map::ffi_json::{from_js, object, to_js};
use crate::math::Decimal;
use crate::ui::{AppOptions, ConfigSource, MapHooks};
use crate::view_hash::View;
use crate::Mounted;

/// Host callbacks by event name: "ready", "move", "featureclick", "error".
#[derive(Default)]
struct Listeners(RefCell<Vec<(String, Function)>>);

impl Listeners {
    fn add(&self, event: &str, callback: Function) {
        self.0.borrow_mut().push((event.to_owned(), callback));
    }

    /// Calls the event's callbacks in a microtask, never while the map is in the middle of a
    /// change: a callback may call the widget's methods freely.
    fn emit(&self, event: &str, value: &JsValue) {
        let callbacks: Vec<Function> = self
            .0
            .borrow()
            .iter()
            .filter(|(e, _)| e == event)
            .map(|(_, f)| f.clone())
            .collect();
        if callbacks.is_empty() {
            return;
        }
        let (event, value) = (event.to_owned(), value.clone());
        wasm_bindgen_futures::spawn_local(async move {
            for callback in callbacks {
                if let Err(error) = callback.call1(&JsValue::NULL, &value) {
                    web_sys::console::warn_2(
                        &format!("meshmap: a host \"{event}\" callback threw:").into(),
                        &error,
                    );
                }
            }
        });
    }
}

const EVENTS: [&str; 5] = ["ready", "load", "move", "featureclick", "error"];

/// A map mounted into a host element. `destroy()` removes everything it created.
///
/// The map lives until `destroy()`, not as long as this handle: the handle is a JS object the
/// garbage collector may free whenever the host keeps no reference to it (wasm-bindgen then
/// drops it), and a map must not vanish from the page then. The mounted apps live here.
#[wasm_bindgen]
pub struct MapWidget {
    id: u32,
    hooks: Rc<MapHooks>,
    listeners: Rc<Listeners>,
}

thread_local! {
    static LIVE: RefCell<Vec<(u32, Mounted)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn is_live(id: u32) -> bool {
    LIVE.with(|live| live.borrow().iter().any(|(i, _)| *i == id))
}

/// Mounts a map into `element`. `options`: `{ config: {...} }` or `{ configUrl: "https://…/config.json" }`,
/// optionally `view: { center: [lat, lng], zoom }`, `controls: { fullscreen, locate, legend }`
/// (each true or false, over the config's), `syncUrlHash: false`, and the callbacks
/// `onReady(widget)`, `onLoad()` (the first view is drawn and its tiles loaded), `onMove({lat, lng, zoom})`,
/// `onFeatureClick(properties)`, `onError({what, message})`.
#[wasm_bindgen(js_name = mount)]
pub fn mount_widget(element: JsValue, options: JsValue) -> Result<MapWidget, JsError> {
    let Some(element) = element.dyn_ref::<HtmlElement>().cloned() else {
        return Err(JsError::new(&format!(
            "meshmap.mount(element, options): element must be an HTML element of the page, not {}",
            describe(&element)
        )));
    };
    if !element.is_connected() {
        return Err(JsError::new(
            "meshmap.mount(element, options): the element is not in the page; insert it first",
        ));
    }
    if !options.is_object() || js_sys::Array::is_array(&options) {
        return Err(JsError::new(&format!(
            "meshmap.mount(element, options): options must be an object with `config` or `configUrl`, not {}",
            describe(&options)
        )));
    }
    let get = |key: &str| {
        js_sys::Reflect::get(&options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    };
    let config = match (get("config"), get("configUrl").as_string()) {
        (config, None) if config.is_object() => ConfigSource::Inline(
            from_js(&config).map_err(|e| JsError::new(&format!("options.config: {e}")))?,
        ),
        (config, Some(url)) if config.is_undefined() || config.is_null() => ConfigSource::Url(url),
        _ => {
            return Err(JsError::new(
                "options needs exactly one of `config` (an object) or `configUrl` (a string)",
            ))
        }
    };
    let view = match get("view") {
        value if value.is_undefined() || value.is_null() => None,
        value => Some(
            parse_view(&from_js(&value).map_err(|e| JsError::new(&format!("options.view: {e}")))?)
                .map_err(|e| JsError::new(&e))?,
        ),
    };
    // Checked now, so a mistake throws from mount(); applied to the config's controls when the
    // map is there.
    let controls = match get("controls") {
        value if value.is_undefined() || value.is_null() => None,
        value => {
            let changes =
                from_js(&value).map_err(|e| JsError::new(&format!("options.controls: {e}")))?;
            Controls::default()
                .with_changes(&changes)
                .map_err(|e| JsError::new(&format!("options.{e}")))?;
            Some(changes)
        }
    };
    let listeners = Rc::new(Listeners::default());
    for (key, event) in [
        ("onReady", "ready"),
        ("onLoad", "load"),
        ("onMove", "move"),
        ("onFeatureClick", "featureclick"),
        ("onError", "error"),
    ] {
        match get(key) {
            value if value.is_undefined() || value.is_null() => {}
            value => match value.dyn_into::<Function>() {
                Ok(callback) => listeners.add(event, callback),
                Err(_) => return Err(JsError::new(&format!("options.{key} must be a function"))),
            },
        }
    }
    let sync_url_hash = get("syncUrlHash").as_bool().unwrap_or(false);
    // The version header only where the page is meshmap's own: embed.js tells where it came from.
    // On another site's page the cookies are the host's, and must not steer meshmap's backends.
    let page_origin = web_sys::window().and_then(|w| w.location().origin().ok());
    let send_version = get("meshmapOrigin")
        .as_string()
        .is_some_and(|origin| Some(origin) == page_origin);

    let hooks = MapHooks::new();
    let errors = Rc::clone(&listeners);
    hooks.on_error(move |what, message| {
        errors.emit(
            "error",
            &object(&[("what", what.into()), ("message", message.into())]),
        )
    });
    let loads = Rc::clone(&listeners);
    hooks.on_loaded(move || loads.emit("load", &JsValue::UNDEFINED));
    let events = Rc::clone(&listeners);
    hooks.when_ready(move |map| {
        if let Some(view) = view {
            map.set_view(view);
        }
        if let Some(changes) = &controls {
            if let Ok(wanted) = map.controls().with_changes(changes) {
                map.set_controls(wanted);
            }
        }
        let moves = Rc::clone(&events);
        map.on_view_change(move |view| moves.emit("move", &view_to_js(view)));
        let clicks = Rc::clone(&events);
        map.on_feature_click(move |properties| clicks.emit("featureclick", &to_js(properties)));
        events.emit("ready", &view_to_js(map.view()));
    });
    let mounted = crate::mount(
        &element,
        AppOptions {
            config,
            sync_url_hash,
            hooks: Some(Rc::clone(&hooks)),
            send_version,
        },
    );
    let id = NEXT_ID.with(|next| {
        next.set(next.get().wrapping_add(1));
        next.get()
    });
    LIVE.with(|live| live.borrow_mut().push((id, mounted)));
    Ok(MapWidget {
        id,
        hooks,
        listeners,
    })
}

#[wasm_bindgen]
impl MapWidget {
    /// Adds a callback for "ready", "move", "featureclick" or "error".
    pub fn on(&self, event: &str, callback: Function) -> Result<(), JsError> {
        if !is_live(self.id) {
            return Err(JsError::new("this map was destroyed"));
        }
        if !EVENTS.contains(&event) {
            return Err(JsError::new(&format!(
                "unknown event \"{event}\"; expected one of {}",
                EVENTS.join(", ")
            )));
        }
        self.listeners.add(event, callback);
        Ok(())
    }

    /// True once the config is loaded and the map exists.
    #[wasm_bindgen(getter)]
    pub fn ready(&self) -> bool {
        is_live(self.id) && self.hooks.has_map()
    }

    /// Moves the map: `setView(lat, lng, zoom)`.
    #[wasm_bindgen(js_name = setView)]
    pub fn set_view(&self, lat: f64, lng: f64, zoom: f64) -> Result<(), JsError> {
        let view = checked_view(lat, lng, zoom).map_err(|e| JsError::new(&e))?;
        self.map(|map| map.set_view(view))
    }

    /// The Leaflet map (`L.Map`) itself, for Leaflet plugins and anything this API does not
    /// cover; null before the map exists. Layers added through it are the host's to remove.
    #[wasm_bindgen(js_name = leafletMap)]
    pub fn leaflet_map(&self) -> JsValue {
        self.hooks
            .with_map(|map| JsValue::from(map.leaflet().clone()))
            .unwrap_or(JsValue::NULL)
    }

    /// `{lat, lng, zoom}`, or null before the map exists.
    #[wasm_bindgen(js_name = getView)]
    pub fn get_view(&self) -> JsValue {
        self.hooks
            .with_map(|map| view_to_js(map.view()))
            .unwrap_or(JsValue::NULL)
    }

    /// Adds a GeoJSON overlay; returns how many features are drawn. `options`:
    /// `{renderer: "svg"}` has Leaflet draw it as SVG paths (styled by CSS) instead of Rust on
    /// tile canvases (`"canvas"`, the default).
    #[wasm_bindgen(js_name = addGeoJson)]
    pub fn add_geojson(
        &self,
        name: &str,
        data: JsValue,
        style: JsValue,
        options: JsValue,
    ) -> Result<usize, JsError> {
        let renderer = match js_sys::Reflect::get(&options, &"renderer".into()).unwrap_or_default()
        {
            v if v.is_undefined() || v.is_null() => Renderer::Canvas,
            v => v
                .as_string()
                .ok_or_else(|| "a renderer must be a string".to_owned())
                .and_then(|name| Renderer::named(&name))
                .map_err(|e| JsError::new(&format!("options.renderer: {e}")))?,
        };
        let data = js_sys::JSON::stringify(&data)
            .ok()
            .filter(|text| text.is_string())
            .ok_or_else(|| {
                JsError::new(
                    "data: cannot be turned into JSON (a cycle, a BigInt, a function or undefined)",
                )
            })?;
        let style = style_option(&style)?;
        self.map(|map| map.add_geojson_overlay(name, &data, &style, renderer))?
            .map_err(|e| JsError::new(&e))
    }

    /// Adds a points overlay drawn by Rust from a spatial index (for thousands to millions of
    /// points); returns how many points are drawn. `data`: a `Float32Array` or `Float64Array` of
    /// `[lng, lat, lng, lat, …]`, or a GeoJSON object with Point features (their properties show
    /// on click). `style`: `radius`, `weight`, `color`, `fillColor`, `opacity`, `fillOpacity`.
    /// `options`: `{cluster: true}` or `{cluster: {radius, maxZoom}}` draws them as clusters.
    #[wasm_bindgen(js_name = addPoints)]
    pub fn add_points(
        &self,
        name: &str,
        data: JsValue,
        style: JsValue,
        options: JsValue,
    ) -> Result<usize, JsError> {
        let style = style_option(&style)?;
        let cluster = if options.is_undefined() || options.is_null() {
            None
        } else {
            let value = from_js(&options).map_err(|e| JsError::new(&format!("options: {e}")))?;
            crate::config::points_options(&value)
                .map_err(|e| JsError::new(&format!("options: {e}")))?
        };
        let loaded =
            crate::data::points_from_js(&data).map_err(|e| JsError::new(&format!("data: {e}")))?;
        self.map(|map| map.add_points_overlay(name, loaded, &style, cluster))?
            .map_err(|e| JsError::new(&e))
    }

    /// Searches places through the config's `search` API, as typing `q` in the search box would,
    /// and goes to the best result (as Enter does). Resolves to the results, best first
    /// (`[{name, kind, lat, lng}]`); rejects when the config has no search or the API fails.
    pub fn search(&self, q: String) -> Result<js_sys::Promise, JsError> {
        let search_box = self.map(|map| map.search_box())?.ok_or_else(|| {
            JsError::new("search: the config has no \"search\" (the place search API's URL)")
        })?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let results = search_box.search(&q).await.map_err(|message| {
                JsValue::from(js_sys::Error::new(&format!("search: {message}")))
            })?;
            Ok(results
                .iter()
                .map(|r| {
                    object(&[
                        ("name", r.name.as_str().into()),
                        ("kind", r.kind.as_str().into()),
                        ("lat", r.lat.into()),
                        ("lng", r.lng.into()),
                    ])
                })
                .collect::<js_sys::Array>()
                .into())
        }))
    }

    /// Removes an overlay by name; false if there is none.
    #[wasm_bindgen(js_name = removeOverlay)]
    pub fn remove_overlay(&self, name: &str) -> Result<bool, JsError> {
        self.map(|map| map.remove_overlay(name))
    }

    /// Shows the box `[south, west, north, east]` (degrees).
    #[wasm_bindgen(js_name = fitBounds)]
    pub fn fit_bounds(&self, south: f64, west: f64, north: f64, east: f64) -> Result<(), JsError> {
        self.map(|map| map.fit_bounds(south, west, north, east))?
            .map_err(|e| JsError::new(&e))
    }

    /// Removes the map and everything it created (DOM, Leaflet map, listeners, timers, pending
    /// fetches, object URLs). Calling it again does nothing.
    pub fn destroy(&mut self) {
        self.listeners.0.borrow_mut().clear();
        let mounted = LIVE.with(|live| {
            let mut live = live.borrow_mut();
            live.iter()
                .position(|(i, _)| *i == self.id)
                .map(|at| live.remove(at).1)
        });
        // Unmounted outside the borrow: the app's cleanup may run host callbacks.
        drop(mounted);
    }

    fn map<T>(&self, f: impl FnOnce(&mut crate::map::MapHandle) -> T) -> Result<T, JsError> {
        if !is_live(self.id) {
            return Err(JsError::new("this map was destroyed"));
        }
        self.hooks
            .with_map(f)
            .ok_or_else(|| JsError::new("the map is not ready yet (wait for the \"ready\" event)"))
    }
}

/// Listeners (DOM and Leaflet) that meshmap has attached and not yet removed, on the whole page:
/// after `destroy()` of every widget it is back to 0. For leak checks.
#[wasm_bindgen(js_name = liveListeners)]
pub fn live_listeners() -> usize {
    crate::map::live_listeners()
}

/// What a JS value is, for messages about wrong arguments.
fn describe(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if value.is_undefined() {
        "undefined".into()
    } else if let Some(text) = value.as_string() {
        format!(
            "the string \"{text}\" (pass the element itself, e.g. document.querySelector(\"{text}\"))"
        )
    } else if let Some(node) = value.dyn_ref::<web_sys::Node>() {
        format!("a {} node", node.node_name())
    } else if js_sys::Array::is_array(value) {
        "an array".into()
    } else {
        value
            .js_typeof()
            .as_string()
            .map_or_else(|| "that value".into(), |t| format!("a {t}"))
    }
}

/// A style the host passes (optional; checked as config.json's styles are).
fn style_option(style: &JsValue) -> Result<Style, JsError> {
    if style.is_undefined() || style.is_null() {
        return Ok(Style::default());
    }
    let value = from_js(style).map_err(|e| JsError::new(&format!("style: {e}")))?;
    Style::from_value(&value).map_err(|e| JsError::new(&format!("style: {e}")))
}

fn view_to_js(view: View) -> JsValue {
    object(&[
        ("lat", view.lat.into()),
        ("lng", view.lng.into()),
        ("zoom", view.zoom.into()),
    ])
}

/// `{center: [lat, lng], zoom}` as a view, checked.
fn parse_view(value: &Json) -> Result<View, String> {
    let center = value.field("center");
    match (
        center.item(0).as_f64(),
        center.item(1).as_f64(),
        value.field("zoom").as_f64(),
    ) {
        (Some(lat), Some(lng), Some(zoom)) => checked_view(lat, lng, zoom),
        _ => Err(view_error(&value.to_string())),
    }
}

fn checked_view(lat: f64, lng: f64, zoom: f64) -> Result<View, String> {
    if (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng)
        && (0.0..=MAX_ZOOM_LIMIT).contains(&zoom)
    {
        Ok(View { zoom, lat, lng })
    } else {
        Err(view_error(&format!(
            "{{center: [{}, {}], zoom: {}}}",
            Decimal(lat),
            Decimal(lng),
            Decimal(zoom)
        )))
    }
}

fn view_error(given: &str) -> String {
    format!(
        "a view is {{center: [lat -90..90, lng -180..180], zoom 0..{}}}, not {given}",
        Decimal(MAX_ZOOM_LIMIT)
    )
}
