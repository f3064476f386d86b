//! One marker placed by code (a component's `<Marker>`): Leaflet's pin at a place, named for
//! screen readers and a Tab stop, with an optional popup (any element) and tooltip (text).
//! Removed from the map when dropped.

use leaflet::{LatLng, Layer, Map};
use wasm_bindgen::JsValue;

use super::ffi;

pub struct MarkerHandle {
    marker: Layer,
}

impl MarkerHandle {
    /// A pin at (`lat`, `lng`) on `map`; `title` is what a screen reader says for it.
    pub fn add(map: &Map, lat: f64, lng: f64, title: &str) -> MarkerHandle {
        let options = ffi::object(&[
            ("alt", title.into()),
            ("title", title.into()),
            ("keyboard", JsValue::TRUE),
            ("riseOnHover", JsValue::TRUE),
        ]);
        let marker = ffi::marker(&LatLng::new(lat, lng), &options);
        marker.add_to(map);
        MarkerHandle { marker }
    }

    pub fn set_position(&self, lat: f64, lng: f64) {
        ffi::call(&self.marker, "setLatLng", &[LatLng::new(lat, lng).into()]);
    }

    /// Where it is: (latitude, longitude).
    pub fn position(&self) -> (f64, f64) {
        let at = ffi::call(&self.marker, "getLatLng", &[]);
        let number = |key| ffi::get(&at, key).as_f64().unwrap_or(f64::NAN);
        (number("lat"), number("lng"))
    }

    /// Opens `content` in a popup on click or Enter (Leaflet's); `None` takes the popup away.
    pub fn set_popup(&self, content: Option<&web_sys::Element>) {
        ffi::call(&self.marker, "unbindPopup", &[]);
        if let Some(content) = content {
            self.marker
                .bind_popup_with_options(content, &super::popup::popup_options());
        }
    }

    /// Shows `text` (as text, never HTML) while the pointer is over it; `None` takes it away.
    pub fn set_tooltip(&self, text: Option<&str>) {
        ffi::call(&self.marker, "unbindTooltip", &[]);
        if let Some(text) = text {
            let options = ffi::object(&[("direction", "top".into())]);
            // (The leaflet crate's `bind_tooltip_with_content` names a method Leaflet lacks.)
            ffi::call(
                &self.marker,
                "bindTooltip",
                &[super::popup::text_element(text), options],
            );
        }
    }

    /// Its element (the pin's `<img>`), once it is on the map.
    pub fn element(&self) -> Option<web_sys::HtmlElement> {
        wasm_bindgen::JsCast::dyn_into(ffi::get(&self.marker, "_icon")).ok()
    }
}

impl Drop for MarkerHandle {
    fn drop(&mut self) {
        self.marker.remove();
    }
}
