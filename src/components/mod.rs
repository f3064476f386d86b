//! meshmap for Leptos apps: the map as components, in the style of react-leaflet.
//!
//! ```no_run
//! use leptos::prelude::*;
//! use meshmap::components::*;
//! use meshmap::view_hash::View;
//!
//! #[component]
//! fn Places() -> impl IntoView {
//!     let view = RwSignal::new(View { lat: 38.7, lng: -9.1, zoom: 5.0 });
//!     let places = RwSignal::new(String::from(
//!         r#"{"type": "FeatureCollection", "features": []}"#,
//!     ));
//!     view! {
//!         <MeshMap view style="height: 400px">
//!             <TileLayer url="/tiles/{z}/{x}/{y}.png" attribution="© OpenStreetMap" />
//!             <LayersControl>
//!                 <Overlay name="Places" checked=true>
//!                     <GeoJson data=places />
//!                 </Overlay>
//!             </LayersControl>
//!             <Marker position=(38.72, -9.14) title="Lisbon">
//!                 <Popup>"Lisbon"</Popup>
//!             </Marker>
//!             <ScaleControl />
//!         </MeshMap>
//!     }
//! }
//! ```
//!
//! Every component only describes; the browser side makes the Leaflet map when `<MeshMap>` is
//! mounted (or hydrated) and each child adds its layer or control then, follows its signals in
//! place, and removes what it added when it leaves the view. On the server (the `ssr` feature)
//! they render the map's placeholder element and touch no browser API. Every request goes
//! through meshmap's HTTP module, so the `X-App-Version` rules hold here too.

mod controls;
mod layers;
mod marker;

pub use controls::{FullscreenControl, LegendControl, LocateControl, ScaleControl};
pub use layers::{BaseLayer, GeoJson, LayersControl, Overlay, TileLayer, VectorTiles};
pub use marker::{Marker, Popup, Tooltip};

use leptos::html::Div;
use leptos::prelude::*;

use crate::json::Json;
use crate::view_hash::View;

/// The map a component is in: what [`use_map`] gives, and what child layers add themselves to.
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub struct MapRef {
    ready: RwSignal<bool>,
    #[cfg(target_arch = "wasm32")]
    handle:
        StoredValue<Option<std::rc::Rc<std::cell::RefCell<crate::map::MapHandle>>>, LocalStorage>,
    on_error: StoredValue<Option<Callback<String>>>,
}

impl MapRef {
    fn new(on_error: Option<Callback<String>>) -> MapRef {
        MapRef {
            ready: RwSignal::new(false),
            #[cfg(target_arch = "wasm32")]
            handle: StoredValue::new_local(None),
            on_error: StoredValue::new(on_error),
        }
    }

    /// Whether the Leaflet map exists (reactive): false on the server and until the browser has
    /// mounted `<MeshMap>`, false again once it is gone.
    pub fn is_ready(&self) -> bool {
        self.ready.try_get().unwrap_or(false)
    }

    /// Runs `f` with the map, if it exists now (`None` on the server, before mounting and after
    /// the map is gone).
    #[cfg(target_arch = "wasm32")]
    pub fn with<R>(&self, f: impl FnOnce(&mut crate::map::MapHandle) -> R) -> Option<R> {
        let handle = self.handle.try_with_value(|h| h.clone()).flatten()?;
        let mut map = handle.try_borrow_mut().ok()?;
        Some(f(&mut map))
    }

    /// The map's view now, if it exists.
    pub fn view(&self) -> Option<View> {
        #[cfg(target_arch = "wasm32")]
        {
            self.with(|map| map.view())
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            None
        }
    }

    /// A problem with a component's data: to the console, and to `<MeshMap on_error>`.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    fn report(&self, what: &str, message: &str) {
        let text = format!("{what}: {message}");
        #[cfg(target_arch = "wasm32")]
        web_sys::console::error_1(&format!("meshmap: {text}").into());
        if let Some(Some(callback)) = self.on_error.try_get_value() {
            callback.run(text);
        }
    }
}

/// The map of the component this is called in (inside a `<MeshMap>`), for code of your own:
/// `use_map().and_then(|map| map.with(|m| m.leaflet().clone()))` is the Leaflet map.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// #[component]
/// fn ZoomLabel() -> impl IntoView {
///     let map = use_map().expect("inside a <MeshMap>");
///     move || map.is_ready().then(|| format!("zoom {:?}", map.view().map(|v| v.zoom)))
/// }
/// ```
pub fn use_map() -> Option<MapRef> {
    use_context::<MapRef>()
}

fn expect_map(component: &str) -> MapRef {
    use_map().unwrap_or_else(|| {
        panic!("<{component}> must be inside a <MeshMap>: it adds itself to that map")
    })
}

/// Counts layers without a name of their own: each gets one the layers control never shows.
static UNNAMED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn unnamed_layer() -> String {
    let n = UNNAMED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("\u{1f}layer {n}")
}

/// The map. Its children are the layers, markers and controls on it.
///
/// - `view`: where the map looks, both ways: setting the signal moves the map, and moving the
///   map (drag, zoom, keys) sets the signal.
/// - `min_zoom`, `max_zoom`: the zoom range (default 0 to 19).
/// - `title`: its accessible name ("Map" if not given).
/// - `on_move`: called with the view after every move.
/// - `on_click`: called with the properties of a feature clicked (GeoJSON or vector tiles).
/// - `on_error`: called with what went wrong with a component's data (also in the console);
///   the rest of the map keeps working.
/// - `versions`, `first_party_origins`: as in config.json, for the `X-App-Version` header.
///
/// It renders `<div class="meshmap">` (with `class` and `style`: give it a height; 100% of its
/// parent's otherwise) around the map's element; on the server that is all, the map is made in
/// the browser.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App() -> impl IntoView {
/// let view = RwSignal::new(View { lat: 48.85, lng: 2.35, zoom: 5.0 });
/// view! {
///     <MeshMap view title="Paris" style="height: 400px"
///         on_move=Callback::new(|v: View| leptos::logging::log!("at zoom {}", v.zoom))>
///         <TileLayer url="/tiles/{z}/{x}/{y}.png" />
///     </MeshMap>
/// }
/// # }
/// ```
#[component]
pub fn MeshMap(
    #[prop(into)] view: RwSignal<View>,
    #[prop(optional)] min_zoom: Option<f64>,
    #[prop(optional)] max_zoom: Option<f64>,
    #[prop(optional, into)] title: Option<String>,
    #[prop(optional, into)] class: Option<String>,
    #[prop(optional, into)] style: Option<String>,
    #[prop(optional)] on_move: Option<Callback<View>>,
    #[prop(optional)] on_click: Option<Callback<Json>>,
    #[prop(optional)] on_error: Option<Callback<String>>,
    #[prop(optional)] versions: Option<Vec<String>>,
    #[prop(optional)] first_party_origins: Option<Vec<String>>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let map = MapRef::new(on_error);
    provide_context(map);
    let container = NodeRef::<Div>::new();
    #[cfg(target_arch = "wasm32")]
    {
        let title = title.unwrap_or_else(|| "Map".to_owned());
        let versions = versions.unwrap_or_else(|| {
            crate::cookie::DEFAULT_VERSIONS
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        });
        let origins = first_party_origins.unwrap_or_default();
        container.on_load(move |element| {
            let start = view.get_untracked();
            let range = (min_zoom.unwrap_or(0.0), max_zoom.unwrap_or(19.0));
            let config_view = crate::config::ViewConfig {
                center: (start.lat, start.lng),
                zoom: start.zoom.clamp(range.0, range.1),
                min_zoom: range.0,
                max_zoom: range.1,
            };
            let http = crate::http::Http::new(&versions, &origins);
            match crate::map::MapHandle::bare(&element, config_view, &title, http) {
                Ok(mut handle) => {
                    handle.on_view_change(move |now| {
                        if view.try_get_untracked().is_some_and(|v| v != now) {
                            view.set(now);
                        }
                        if let Some(on_move) = on_move {
                            on_move.run(now);
                        }
                    });
                    if let Some(on_click) = on_click {
                        handle.on_feature_click(move |properties| on_click.run(properties.clone()));
                    }
                    map.handle
                        .set_value(Some(std::rc::Rc::new(std::cell::RefCell::new(handle))));
                    map.ready.set(true);
                }
                Err(error) => map.report("the map", &error.to_string()),
            }
        });
        // The signal moves the map (a move of the map's own sets the signal to where it is).
        Effect::new(move |_| {
            let wanted = view.get();
            if map.ready.get() {
                map.with(|handle| {
                    if handle.view() != wanted {
                        handle.set_view(wanted);
                    }
                });
            }
        });
        on_cleanup(move || {
            // Children remove their layers first; then the map goes, with its listeners.
            map.ready.try_set(false);
            map.handle.try_update_value(|h| h.take());
        });
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (
        view,
        min_zoom,
        max_zoom,
        title,
        on_move,
        on_click,
        versions,
        first_party_origins,
    );
    // `.meshmap` sizes and scopes the map as in the app (give it a height); the map goes in
    // the inner element, apart from the children's own (hidden) elements.
    view! {
        <div class=format!("meshmap {}", class.unwrap_or_default()).trim_end().to_owned() style=style>
            <div class="meshmap-map" node_ref=container></div>
            {children.map(|children| children())}
        </div>
    }
}
