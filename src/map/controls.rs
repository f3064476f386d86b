//! Controls beyond Leaflet's defaults: the scale bar and the build-version badge.

use leaflet::{Control, ControlOptions, Map};
use wasm_bindgen::prelude::*;

use super::ffi;
use crate::BUILD_VERSION;

pub fn add_scale(map: &Map) {
    ffi::scale_control(&ffi::object(&[
        ("position", "bottomleft".into()),
        ("maxWidth", 150.into()),
    ]))
    .add_to(map);
}

/// A small bottom-left label with the build version, so a person can tell stable from canary.
/// A Leaflet control rather than a free-floating element, so Leaflet stacks it with the scale bar
/// instead of letting the two overlap. The returned closure is Leaflet's `onAdd`: keep it as long
/// as the map (the crate's own `on_add` leaks it, which a widget mounted many times cannot afford).
pub fn add_version_badge(map: &Map) -> Closure<dyn Fn(JsValue) -> JsValue> {
    let options = ControlOptions::new();
    options.set_position("bottomleft".to_owned());
    let control = Control::new(&options);
    let on_add = Closure::<dyn Fn(JsValue) -> JsValue>::new(|_map| {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return JsValue::UNDEFINED;
        };
        match document.create_element("div") {
            Ok(badge) => {
                badge.set_class_name("meshmap-badge leaflet-control");
                let _ = badge.set_attribute("title", "meshmap build version");
                badge.set_text_content(Some(BUILD_VERSION));
                badge.into()
            }
            Err(_) => JsValue::UNDEFINED,
        }
    });
    ffi::set(&control, "onAdd", on_add.as_ref());
    control.add_to(map);
    on_add
}
