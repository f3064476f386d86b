//! Layers as components: raster and vector tiles, GeoJSON whose data is a signal, and the
//! layers control that lists the ones wrapped in `<BaseLayer>` or `<Overlay>`.

use leptos::prelude::*;

use super::{expect_map, unnamed_layer, MapRef};
use crate::config::{Attribution, Style};

/// Where a layer inside `<BaseLayer>` or `<Overlay>` is listed, and under which name.
#[derive(Clone)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Listing {
    name: String,
    base: bool,
    checked: bool,
}

/// The layers control (top right; folded into an icon on small maps). It lists the layers
/// wrapped in its `<BaseLayer>` (one of them shows) and `<Overlay>` (each on or off) children.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// view! {
///     <MeshMap view>
///         <LayersControl>
///             <BaseLayer name="Streets" checked=true><TileLayer url="/streets/{z}/{x}/{y}.png" /></BaseLayer>
///             <BaseLayer name="Terrain"><TileLayer url="/terrain/{z}/{x}/{y}.png" /></BaseLayer>
///             <Overlay name="Borders"><VectorTiles url="/tiles/countries/{z}/{x}/{y}" /></Overlay>
///         </LayersControl>
///     </MeshMap>
/// }
/// # }
/// ```
#[component]
pub fn LayersControl(children: Children) -> impl IntoView {
    children()
}

/// A base layer of the layers control: its child layer, listed under `name`; `checked` makes it
/// the one shown at first.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// view! { <MeshMap view><LayersControl>
///     <BaseLayer name="Streets" checked=true><TileLayer url="/streets/{z}/{x}/{y}.png" /></BaseLayer>
/// </LayersControl></MeshMap> }
/// # }
/// ```
#[component]
pub fn BaseLayer(
    #[prop(into)] name: String,
    #[prop(optional)] checked: bool,
    children: Children,
) -> impl IntoView {
    provide_context(Listing {
        name,
        base: true,
        checked,
    });
    children()
}

/// An overlay of the layers control: its child layer, listed under `name`, shown at first when
/// `checked`.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>, places: Signal<String>) -> impl IntoView {
/// view! { <MeshMap view><LayersControl>
///     <Overlay name="Places" checked=true><GeoJson data=places /></Overlay>
/// </LayersControl></MeshMap> }
/// # }
/// ```
#[component]
pub fn Overlay(
    #[prop(into)] name: String,
    #[prop(optional)] checked: bool,
    children: Children,
) -> impl IntoView {
    provide_context(Listing {
        name,
        base: false,
        checked,
    });
    children()
}

/// How the map offers a layer (nothing to say on the server).
#[cfg(target_arch = "wasm32")]
type Role = crate::map::LayerRole;
#[cfg(not(target_arch = "wasm32"))]
type Role = ();

/// The name a layer goes by, and how the map offers it.
#[cfg(target_arch = "wasm32")]
fn placement(own_name: Option<String>) -> (String, Role) {
    use crate::map::LayerRole;
    match use_context::<Listing>() {
        Some(listing) if listing.base => (
            listing.name,
            LayerRole::Base {
                active: listing.checked,
            },
        ),
        Some(listing) => (
            listing.name,
            LayerRole::Overlay {
                visible: listing.checked,
            },
        ),
        None => (own_name.unwrap_or_else(unnamed_layer), LayerRole::Unlisted),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn placement(own_name: Option<String>) -> (String, Role) {
    let name = use_context::<Listing>()
        .map(|listing| listing.name)
        .or(own_name)
        .unwrap_or_else(unnamed_layer);
    (name, ())
}

/// Removes the layer `name` from the map when the component leaves the view, if it was this
/// component that `added` it: a layer refused for a name already taken takes nothing with it.
#[cfg(target_arch = "wasm32")]
fn remove_when_gone(map: MapRef, name: String, added: StoredValue<bool>) {
    on_cleanup(move || {
        if added.try_get_value().unwrap_or(false) {
            map.with(|handle| handle.remove_overlay(&name));
        }
    });
}

/// A base-layer-shaped layer (raster or vector tiles) on the map while the component is in the
/// view: added once the map exists (a name another layer has is reported, not added), removed
/// when the component leaves.
fn keep_tiles(
    map: MapRef,
    component: &'static str,
    name: String,
    role: Role,
    source: crate::config::BaseSource,
    attribution: Option<String>,
    zoom_range: (Option<f64>, Option<f64>),
) {
    let base = crate::config::BaseLayer {
        name,
        source,
        attribution: Attribution {
            text: attribution.unwrap_or_default(),
            url: None,
        },
        min_zoom: zoom_range.0.unwrap_or(0.0),
        max_zoom: zoom_range.1.unwrap_or(19.0),
    };
    #[cfg(target_arch = "wasm32")]
    {
        let (tried, added) = (StoredValue::new(false), StoredValue::new(false));
        let name = base.name.clone();
        Effect::new(move |_| {
            if map.ready.get() && !tried.get_value() {
                tried.set_value(true);
                map.with(|handle| match handle.check_new_name(&base.name) {
                    Ok(()) => {
                        handle.add_base(&base, role);
                        added.set_value(true);
                    }
                    Err(message) => map.report(&format!("<{component}>"), &message),
                });
            }
        });
        remove_when_gone(map, name, added);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (map, component, role, base);
}

/// Raster tiles from a URL template such as `https://tile.example/{z}/{x}/{y}.png` (`{s}` for
/// `subdomains`). The app's own tile servers get them through meshmap's HTTP module (with the
/// version header); others as Leaflet's image tiles.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// view! { <MeshMap view>
///     <TileLayer url="https://{s}.tile.example/{z}/{x}/{y}.png"
///         subdomains=vec!["a".into(), "b".into()] attribution="© Example" max_zoom=18.0 />
/// </MeshMap> }
/// # }
/// ```
#[component]
pub fn TileLayer(
    #[prop(into)] url: String,
    #[prop(optional, into)] attribution: Option<String>,
    #[prop(optional)] subdomains: Option<Vec<String>>,
    #[prop(optional)] min_zoom: Option<f64>,
    #[prop(optional)] max_zoom: Option<f64>,
    #[prop(optional, into)] name: Option<String>,
) -> impl IntoView {
    let (name, role) = placement(name);
    let source = crate::config::BaseSource::Tiles {
        url,
        subdomains: subdomains.unwrap_or_default(),
    };
    let map = expect_map("TileLayer");
    keep_tiles(
        map,
        "TileLayer",
        name,
        role,
        source,
        attribution,
        (min_zoom, max_zoom),
    );
}

/// Vector tiles (Mapbox Vector Tiles), decoded and drawn in Rust with `style` (labels, tooltips
/// and clicks as in config.json): from a URL template (`url`, e.g.
/// `https://tiles.example/countries/{z}/{x}/{y}`), or a Martin `source` on the tile server at
/// `server` (default `/tiles`, as the app's gateway serves Martin). One of the two is needed.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # use meshmap::config::Style;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// let style = Style { label: Some("name".into()), tooltip: Some("name".into()), ..Style::default() };
/// view! { <MeshMap view>
///     <VectorTiles source="countries" />
///     <VectorTiles url="https://tiles.example/places/{z}/{x}/{y}" style />
/// </MeshMap> }
/// # }
/// ```
#[component]
pub fn VectorTiles(
    #[prop(optional, into)] url: Option<String>,
    #[prop(optional, into)] source: Option<String>,
    #[prop(optional, into)] server: Option<String>,
    #[prop(optional)] style: Option<Style>,
    #[prop(optional, into)] attribution: Option<String>,
    #[prop(optional)] min_zoom: Option<f64>,
    #[prop(optional)] max_zoom: Option<f64>,
    #[prop(optional, into)] name: Option<String>,
) -> impl IntoView {
    let map = expect_map("VectorTiles");
    let url = url.or_else(|| {
        source.map(|source| {
            let server = server.as_deref().unwrap_or("/tiles");
            crate::tile_math::source_template(server, &source, "")
        })
    });
    let (name, role) = placement(name);
    let Some(url) = url else {
        map.report("<VectorTiles>", "needs a `url` or a Martin `source`");
        return;
    };
    let source = crate::config::BaseSource::Vector {
        url,
        style: style.unwrap_or_default(),
    };
    keep_tiles(
        map,
        "VectorTiles",
        name,
        role,
        source,
        attribution,
        (min_zoom, max_zoom),
    );
}

/// GeoJSON shapes: `data` is the document's text, a signal; a new value redraws the same layer
/// in place. Rust draws them on the layer's tile canvases (clicks, hover, tooltips and Tab stops
/// found on the data); `renderer = Renderer::Svg` has Leaflet draw SVG paths instead, for pages
/// that style them with CSS. Invalid features are skipped, invalid documents reported
/// (`<MeshMap on_error>` and the console) and the map keeps what it showed.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// let data = RwSignal::new(String::from(r#"{"type": "FeatureCollection", "features": []}"#));
/// // Later: data.set(new_text) redraws the layer in place.
/// view! { <MeshMap view><GeoJson data name="Sightings" /></MeshMap> }
/// # }
/// ```
#[component]
pub fn GeoJson(
    #[prop(into)] data: Signal<String>,
    #[prop(optional)] style: Option<Style>,
    #[prop(optional, into)] name: Option<String>,
    #[prop(optional)] renderer: crate::config::Renderer,
) -> impl IntoView {
    let map = expect_map("GeoJson");
    let (name, role) = placement(name);
    let style = style.unwrap_or_default();
    #[cfg(target_arch = "wasm32")]
    {
        let added = StoredValue::new(false);
        let label = name.clone();
        Effect::new(move |_| {
            let text = data.get();
            if !map.ready.get() {
                return;
            }
            let text = js_sys::JsString::from(text);
            let result = map.with(|handle| {
                if added.get_value() {
                    handle.set_geojson(&label, &text)
                } else {
                    let result = handle.add_geojson(&label, &text, &style, renderer, role);
                    added.set_value(result.is_ok());
                    result
                }
            });
            if let Some(Err(message)) = result {
                map.report(&format!("<GeoJson> \"{label}\""), &message);
            }
        });
        remove_when_gone(map, name, added);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (map, name, role, data, style, renderer);
}
