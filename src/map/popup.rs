//! Feature popups: a table of the feature's properties, built as DOM text nodes so that property
//! values (untrusted data) can never become markup.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

use crate::geojson::property_rows;
use crate::json::Json;

/// Leaflet popup options: wide enough for a table of properties, scrolling when long.
pub fn popup_options() -> JsValue {
    super::ffi::object(&[("maxWidth", 320.into()), ("maxHeight", 300.into())])
}

/// The popup body for a feature's `properties` (a JS value as Leaflet holds it).
pub fn properties_popup(document: &Document, properties: &JsValue) -> Option<Element> {
    let value = super::ffi::from_js(properties).ok()?;
    rows_popup(document, &property_rows(Some(&value)))
}

/// The popup body for (name, text) rows, e.g. a vector tile feature's properties.
pub fn rows_popup(document: &Document, rows: &[(String, String)]) -> Option<Element> {
    let root = document.create_element("div").ok()?;
    root.set_class_name("meshmap-popup");
    if rows.is_empty() {
        let empty = document.create_element("p").ok()?;
        empty.set_class_name("meshmap-popup-empty");
        empty.set_text_content(Some("No properties"));
        root.append_child(&empty).ok()?;
        return Some(root);
    }
    let table = document.create_element("table").ok()?;
    for (key, text) in rows {
        let row = document.create_element("tr").ok()?;
        let th = document.create_element("th").ok()?;
        th.set_text_content(Some(key));
        let td = document.create_element("td").ok()?;
        td.set_text_content(Some(text));
        row.append_child(&th).ok()?;
        row.append_child(&td).ok()?;
        table.append_child(&row).ok()?;
    }
    root.append_child(&table).ok()?;
    Some(root)
}

/// A `<span>` holding `text` as text (never parsed as HTML): tooltip content.
pub fn text_element(text: &str) -> JsValue {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("span").ok())
        .map(|span| {
            span.set_text_content(Some(text));
            JsValue::from(span)
        })
        .unwrap_or_else(|| JsValue::from_str(""))
}

/// Opens a popup at `latlng` on `map` showing a feature's properties (a JSON object).
pub fn open_properties_popup(map: &leaflet::Map, latlng: &leaflet::LatLng, properties: &Json) {
    let rows = property_rows(Some(properties));
    let Some(content) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| rows_popup(&d, &rows))
    else {
        return;
    };
    let options: leaflet::PopupOptions = popup_options().unchecked_into();
    let popup = leaflet::Popup::new(&options, None);
    popup.set_lat_lng(latlng);
    popup.set_content(&content);
    popup.open_on(map);
}
