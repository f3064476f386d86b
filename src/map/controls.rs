//! Controls beyond Leaflet's defaults: the scale bar, the build-version badge, and the optional
//! fullscreen, locate-me and legend controls (`config.controls`).

use leaflet::{Control, ControlOptions, Map};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

use super::ffi;
use super::listener::DomListener;
use crate::config::Style;
use crate::BUILD_VERSION;

pub fn add_scale(map: &Map) -> leaflet::Control {
    let scale = ffi::scale_control(&ffi::object(&[
        ("position", "bottomleft".into()),
        ("maxWidth", 150.into()),
    ]));
    scale.add_to(map);
    scale
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

/// A Leaflet control around an element built here; removed from the map on drop, with its
/// listeners.
pub struct CustomControl {
    control: Control,
    _on_add: Closure<dyn Fn(JsValue) -> JsValue>,
    _listeners: Vec<DomListener>,
    /// A layer the control draws on the map (the located position), removed with it.
    layer: Option<JsValue>,
}

impl CustomControl {
    pub(super) fn add(
        map: &Map,
        position: &str,
        element: &Element,
        listeners: Vec<DomListener>,
    ) -> Self {
        let options = ControlOptions::new();
        options.set_position(position.to_owned());
        let control = Control::new(&options);
        let shown = element.clone();
        let on_add = Closure::<dyn Fn(JsValue) -> JsValue>::new(move |_map| shown.clone().into());
        ffi::set(&control, "onAdd", on_add.as_ref());
        control.add_to(map);
        // Clicks, double clicks and wheel turns on the control are not the map's.
        ffi::disable_click_propagation(element);
        ffi::disable_scroll_propagation(element);
        CustomControl {
            control,
            _on_add: on_add,
            _listeners: listeners,
            layer: None,
        }
    }
}

impl Drop for CustomControl {
    fn drop(&mut self) {
        self.control.remove();
        if let Some(layer) = &self.layer {
            ffi::call(layer, "remove", &[]);
        }
    }
}

pub(super) fn document() -> Option<Document> {
    web_sys::window()?.document()
}

pub(super) fn element(document: &Document, tag: &str, class: &str) -> Option<Element> {
    let element = document.create_element(tag).ok()?;
    element.set_class_name(class);
    Some(element)
}

/// A button in Leaflet's bar style, named for screen readers and with a tooltip.
fn bar_button(document: &Document, class: &str, label: &str) -> Option<(Element, Element)> {
    let bar = element(document, "div", "leaflet-bar leaflet-control")?;
    let button = element(document, "button", &format!("meshmap-button {class}"))?;
    let _ = button.set_attribute("type", "button");
    set_label(&button, label);
    bar.append_child(&button).ok()?;
    Some((bar, button))
}

fn set_label(button: &Element, label: &str) {
    let _ = button.set_attribute("aria-label", label);
    let _ = button.set_attribute("title", label);
}

/// Fullscreen for `target` (the map with its banners; an embedded map fills the screen, not the
/// host page). The button says what it will do, and follows the browser's state (Escape, F11).
pub fn add_fullscreen(map: &Map, target: &Element) -> Option<CustomControl> {
    let document = document()?;
    let (bar, button) = bar_button(&document, "meshmap-fullscreen", FULLSCREEN_ENTER)?;
    let clicked = {
        let (target, document) = (target.clone(), document.clone());
        DomListener::new(&button, "click", move |_| {
            let request = if document.fullscreen_element().as_ref() == Some(&target) {
                ffi::call(&document, "exitFullscreen", &[])
            } else {
                ffi::call(&target, "requestFullscreen", &[])
            };
            if let Ok(request) = request.dyn_into::<js_sys::Promise>() {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(error) = wasm_bindgen_futures::JsFuture::from(request).await {
                        // E.g. an embedding iframe without `allow="fullscreen"`.
                        web_sys::console::warn_2(
                            &"meshmap: the browser refused fullscreen:".into(),
                            &error,
                        );
                    }
                });
            }
        })
    };
    let changed = {
        let (target, button, doc) = (target.clone(), button.clone(), document.clone());
        DomListener::new(&document, "fullscreenchange", move |_| {
            let on = doc.fullscreen_element().as_ref() == Some(&target);
            set_label(
                &button,
                if on {
                    FULLSCREEN_EXIT
                } else {
                    FULLSCREEN_ENTER
                },
            );
            let _ = button
                .class_list()
                .toggle_with_force("meshmap-fullscreen-on", on);
        })
    };
    Some(CustomControl::add(
        map,
        "topleft",
        &bar,
        vec![clicked, changed],
    ))
}

const FULLSCREEN_ENTER: &str = "View fullscreen";
const FULLSCREEN_EXIT: &str = "Exit fullscreen";

/// "Show my location": the browser's position as a dot in an accuracy circle, the map moved to
/// it; when the browser cannot or may not tell, a message next to the button and in the console.
pub fn add_locate(map: &Map) -> Option<CustomControl> {
    let document = document()?;
    let (bar, button) = bar_button(&document, "meshmap-locate", "Show my location")?;
    let message = element(&document, "div", "meshmap-locate-message")?;
    let _ = message.set_attribute("role", "alert");
    bar.append_child(&message).ok()?;
    let found = ffi::layer_group();
    ffi::call(&found, "addTo", &[map.clone().into()]);
    let clicked = {
        let (map, found) = (map.clone(), found.clone());
        DomListener::new(&button, "click", move |_| {
            message.set_text_content(None);
            let geolocation = web_sys::window()
                .map(|w| ffi::get(&ffi::get(&w, "navigator"), "geolocation"))
                .filter(|g| g.is_object());
            let Some(geolocation) = geolocation else {
                show_locate_problem(&message, "This browser cannot tell your location.");
                return;
            };
            let (map, found, problem) = (map.clone(), found.clone(), message.clone());
            let on_position = Closure::once_into_js(move |position: JsValue| {
                let coords = ffi::get(&position, "coords");
                let number = |key| ffi::get(&coords, key).as_f64();
                let (Some(lat), Some(lng)) = (number("latitude"), number("longitude")) else {
                    show_locate_problem(&problem, "The browser gave a position that is not one.");
                    return;
                };
                let accuracy = number("accuracy").filter(|a| a.is_finite()).unwrap_or(0.0);
                show_position(&map, &found, lat, lng, accuracy);
            });
            let problem = message.clone();
            let on_error = Closure::once_into_js(move |error: JsValue| {
                let code = ffi::get(&error, "code").as_f64().unwrap_or(0.0);
                show_locate_problem(&problem, locate_problem(code as u16));
            });
            let options = ffi::object(&[
                ("enableHighAccuracy", JsValue::TRUE),
                ("timeout", 15_000.into()),
                ("maximumAge", 60_000.into()),
            ]);
            ffi::call(
                &geolocation,
                "getCurrentPosition",
                &[on_position, on_error, options],
            );
        })
    };
    let mut control = CustomControl::add(map, "topleft", &bar, vec![clicked]);
    control.layer = Some(found);
    Some(control)
}

/// What went wrong, in words a person can act on (the Geolocation API's error codes).
fn locate_problem(code: u16) -> &'static str {
    match code {
        1 => "Your location is blocked: allow this site to use it in the browser's site settings.",
        2 => "Your location is not available right now (no signal or network).",
        3 => "Finding your location took too long; try again.",
        _ => "Your location could not be found.",
    }
}

fn show_locate_problem(message: &Element, text: &str) {
    message.set_text_content(Some(text));
    web_sys::console::warn_1(&format!("meshmap: {text}").into());
}

/// The position as a dot inside a circle as wide as its accuracy, the map moved to show both.
fn show_position(map: &Map, found: &JsValue, lat: f64, lng: f64, accuracy_m: f64) {
    ffi::call(found, "clearLayers", &[]);
    let centre = leaflet::LatLng::new(lat, lng);
    let circle = ffi::circle(
        &centre,
        &ffi::object(&[
            ("radius", accuracy_m.into()),
            ("className", "meshmap-accuracy".into()),
            ("interactive", JsValue::FALSE),
        ]),
    );
    let dot = ffi::circle_marker(
        &centre,
        &ffi::object(&[
            ("radius", 6.into()),
            ("className", "meshmap-position".into()),
            ("interactive", JsValue::FALSE),
        ]),
    );
    ffi::call(found, "addLayer", &[circle.clone().into()]);
    ffi::call(found, "addLayer", &[dot.into()]);
    let bounds = ffi::call(&circle, "getBounds", &[]);
    ffi::call(
        map,
        "fitBounds",
        &[bounds, ffi::object(&[("maxZoom", 16.into())])],
    );
}

/// One entry of the legend: a layer's name and how it is drawn.
pub struct LegendEntry {
    pub name: String,
    pub style: Style,
    /// Drawn as points (a dot) rather than areas and lines (a square).
    pub points: bool,
}

/// A key to the overlays' colours. Folded on small maps (a `<details>`, opened by a click or
/// Enter), open on big ones.
pub fn add_legend(map: &Map, entries: &[LegendEntry], open: bool) -> Option<CustomControl> {
    let document = document()?;
    let legend = element(&document, "details", "meshmap-legend leaflet-control")?;
    if open {
        let _ = legend.set_attribute("open", "");
    }
    let summary = element(&document, "summary", "")?;
    summary.set_text_content(Some("Legend"));
    legend.append_child(&summary).ok()?;
    let list = element(&document, "ul", "")?;
    for entry in entries {
        let item = element(&document, "li", "")?;
        let swatch = element(
            &document,
            "span",
            if entry.points {
                "meshmap-swatch meshmap-swatch-point"
            } else {
                "meshmap-swatch"
            },
        )?;
        let _ = swatch.set_attribute("aria-hidden", "true");
        if let Some(swatch) = swatch.dyn_ref::<web_sys::HtmlElement>() {
            let css = swatch.style();
            // Colours were checked as CSS colours when the config was read.
            let _ = css.set_property("background-color", &entry.style.fill_color);
            let _ = css.set_property("border-color", &entry.style.color);
        }
        let name = element(&document, "span", "")?;
        name.set_text_content(Some(&entry.name));
        item.append_child(&swatch).ok()?;
        item.append_child(&name).ok()?;
        list.append_child(&item).ok()?;
    }
    legend.append_child(&list).ok()?;
    Some(CustomControl::add(map, "bottomright", &legend, Vec::new()))
}
