//! Leaflet bindings the `leaflet` crate does not export (it has no layers or scale control and no
//! `L.geoJSON` factory). All raw Leaflet FFI of the app lives in `src/map/`.

use js_sys::Object;
use leaflet::{Control, LatLng, Layer};
use wasm_bindgen::prelude::*;

use crate::json::Json;

#[wasm_bindgen]
extern "C" {
    /// `L.Control.Layers`: the base-layer radio list and overlay checkboxes.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(extends = Control, js_namespace = ["L", "Control"], js_name = Layers)]
    pub type LayersControl;

    /// `L.control.layers(baseLayers, overlays, options)`.
    #[wasm_bindgen(js_namespace = ["L", "control"], js_name = layers)]
    pub fn layers_control(
        base_layers: &Object,
        overlays: &Object,
        options: &JsValue,
    ) -> LayersControl;

    /// Names are HTML to Leaflet: callers pass escaped text.
    #[wasm_bindgen(method, js_name = addBaseLayer)]
    pub fn add_base_layer(this: &LayersControl, layer: &Layer, name_html: &str) -> LayersControl;

    #[wasm_bindgen(method, js_name = addOverlay)]
    pub fn add_overlay(this: &LayersControl, layer: &Layer, name_html: &str) -> LayersControl;

    #[wasm_bindgen(method, js_name = removeLayer)]
    pub fn remove_layer(this: &LayersControl, layer: &Layer) -> LayersControl;

    /// `L.control.scale(options)`.
    #[wasm_bindgen(js_namespace = ["L", "control"], js_name = scale)]
    pub fn scale_control(options: &JsValue) -> Control;

    /// `L.DomUtil.restoreOutline()`: Leaflet keeps the element last dragged (to hide its focus
    /// outline) in a global, with a window keydown listener, until the next key press.
    #[wasm_bindgen(js_namespace = ["L", "DomUtil"], js_name = restoreOutline)]
    pub fn restore_outline();

    /// `L.GeoJSON`: a feature group built from GeoJSON.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(extends = Layer, js_namespace = L, js_name = GeoJSON)]
    pub type GeoJsonGroup;

    /// `L.geoJSON(data, options)`.
    #[wasm_bindgen(js_namespace = L, js_name = geoJSON)]
    pub fn geo_json(data: &JsValue, options: &JsValue) -> GeoJsonGroup;

    /// Throws on malformed input, hence `catch`.
    #[wasm_bindgen(method, catch, js_name = addData)]
    pub fn add_data(this: &GeoJsonGroup, data: &JsValue) -> Result<GeoJsonGroup, JsValue>;

    /// `L.circleMarker(latlng, options)`: how points are drawn (a path, so styled like shapes).
    #[wasm_bindgen(js_namespace = L, js_name = circleMarker)]
    pub fn circle_marker(latlng: &LatLng, options: &JsValue) -> Layer;

    /// `L.marker(latlng, options)`: an icon marker (Leaflet's pin unless `options.icon`).
    #[wasm_bindgen(js_namespace = L, js_name = marker)]
    pub fn marker(latlng: &LatLng, options: &JsValue) -> Layer;

    /// `L.polyline(latlngs, options)`: `latlngs` an array of paths of `[lat, lng]`.
    #[wasm_bindgen(js_namespace = L, js_name = polyline)]
    pub fn polyline(latlngs: &js_sys::Array, options: &JsValue) -> Layer;

    /// `L.polygon(latlngs, options)`: `latlngs` an array of rings of `[lat, lng]`.
    #[wasm_bindgen(js_namespace = L, js_name = polygon)]
    pub fn polygon(latlngs: &js_sys::Array, options: &JsValue) -> Layer;

    /// `L.circle(latlng, options)`: a circle whose radius is in metres.
    #[wasm_bindgen(js_namespace = L, js_name = circle)]
    pub fn circle(latlng: &LatLng, options: &JsValue) -> Layer;

    /// `L.layerGroup()`.
    #[wasm_bindgen(js_namespace = L, js_name = layerGroup)]
    pub fn layer_group() -> JsValue;

    /// `L.DomEvent.disableClickPropagation(element)`.
    #[wasm_bindgen(js_namespace = ["L", "DomEvent"], js_name = disableClickPropagation)]
    pub fn disable_click_propagation(element: &web_sys::Element);

    /// `L.DomEvent.disableScrollPropagation(element)`.
    #[wasm_bindgen(js_namespace = ["L", "DomEvent"], js_name = disableScrollPropagation)]
    pub fn disable_scroll_propagation(element: &web_sys::Element);

    #[wasm_bindgen(method, js_name = clearLayers)]
    pub fn clear_layers(this: &GeoJsonGroup) -> GeoJsonGroup;

    #[wasm_bindgen(method, js_name = getLayers)]
    pub fn get_layers(this: &GeoJsonGroup) -> js_sys::Array;

    /// `JSON.parse` on a JS string as it came from `fetch`, without a round trip through Rust.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub fn parse_js_text(text: &js_sys::JsString) -> Result<JsValue, JsValue>;

    /// The browser's UTF-8 decoder, returning a JS string (web-sys's returns a Rust `String`).
    type TextDecoder;

    #[wasm_bindgen(constructor)]
    fn new() -> TextDecoder;

    #[wasm_bindgen(method)]
    fn decode(this: &TextDecoder, bytes: &js_sys::ArrayBuffer) -> js_sys::JsString;
}

/// UTF-8 bytes as a JS string, decoded by the browser (a byte order mark is dropped).
pub fn decode_utf8(bytes: &js_sys::ArrayBuffer) -> js_sys::JsString {
    TextDecoder::new().decode(bytes)
}

/// True once the Leaflet script has defined `window.L`.
pub fn leaflet_loaded() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"L".into()).ok())
        .is_some_and(|l| l.is_object())
}

/// A plain JS object from (key, value) pairs: Leaflet options and the like.
pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        set(&object, key, value);
    }
    object.into()
}

/// JSON data as a JS value (objects keep their key order).
pub fn to_js(value: &Json) -> JsValue {
    match value {
        Json::Null => JsValue::NULL,
        Json::Bool(b) => JsValue::from_bool(*b),
        Json::Number(n) => JsValue::from_f64(*n),
        Json::String(s) => JsValue::from_str(s),
        Json::Array(items) => items.iter().map(to_js).collect::<js_sys::Array>().into(),
        Json::Object(members) => {
            let object = Object::new();
            for (key, item) in members {
                set(&object, key, &to_js(item));
            }
            object.into()
        }
    }
}

/// JSON-shaped data from a JS value (`JSON.stringify`, then parsed): plain data only.
pub fn from_js(value: &JsValue) -> Result<Json, String> {
    let text = js_sys::JSON::stringify(value)
        .map_err(|_| "cannot be turned into JSON (a cycle, or a BigInt)".to_owned())?
        .as_string()
        .ok_or("is not JSON data (a function or undefined)")?;
    Json::parse(&text).map_err(|e| e.to_string())
}

/// Sets `object[key] = value`; setting a property on a fresh plain object cannot fail.
pub fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}

/// Calls `target.method(...args)`; `undefined` when there is no such method or it throws (the
/// Leaflet methods called this way do not throw on good arguments).
pub fn call(target: &JsValue, method: &str, args: &[JsValue]) -> JsValue {
    let Ok(function) = get(target, method).dyn_into::<js_sys::Function>() else {
        return JsValue::UNDEFINED;
    };
    let args: js_sys::Array = args.iter().collect();
    function.apply(target, &args).unwrap_or(JsValue::UNDEFINED)
}

/// Reads `object[key]`, `undefined` when absent.
pub fn get(object: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

// The few helpers wasm-bindgen cannot express are in src/meshmap.js, the one JavaScript module
// the wasm imports: each module is a file the page fetches (and wasm-bindgen-test's server answers
// only a few requests at a time on a 2-core machine: six modules at once hung the browser tests).
#[wasm_bindgen(module = "/src/meshmap.js")]
extern "C" {
    /// `new L.GridLayer(options)` whose tiles come from `create_tile(coords, done)`.
    pub fn grid_layer_with(options: &JsValue, create_tile: &JsValue) -> leaflet::GridLayer;

    /// Calls `map.invalidateSize()` whenever `element` changes size; call the returned function
    /// to stop.
    pub fn follow_size(element: &web_sys::HtmlElement, map: &leaflet::Map) -> js_sys::Function;
}
