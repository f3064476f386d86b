//! Keyboard and screen reader access (WCAG 2.2 AA where it applies to a map): the map is a named
//! region, shapes are reached with Tab and opened with Enter (Leaflet opens a bound popup on
//! Enter), an opened popup takes the focus, Escape closes it, and the focus goes back to where
//! it was.

use leaflet::Map;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use super::ffi;
use super::listener::{DomListener, LeafletListener};

/// The mark a GeoJSON layer puts on the shapes that are reached with Tab (its overlays').
pub(super) const TAB_STOP: &str = "_meshmapTabStop";

/// Gives the map's container its role and accessible name: the label of the host element (a
/// `<meshmap-view aria-label="…">` or any labelled ancestor) or else the config's title.
pub fn name_container(container: &HtmlElement, title: &str) {
    let host_label = container
        .parent_element()
        .and_then(|parent| parent.closest("[aria-label]").ok().flatten())
        .and_then(|labelled| labelled.get_attribute("aria-label"))
        .filter(|label| !label.trim().is_empty());
    let _ = container.set_attribute("role", "region");
    let _ = container.set_attribute("aria-roledescription", "map");
    let _ = container.set_attribute("aria-label", host_label.as_deref().unwrap_or(title));
}

/// The listeners that make popups and shapes usable from the keyboard; removed on drop.
pub struct KeyboardAccess {
    _listeners: [LeafletListener; 3],
    _escape: DomListener,
}

impl KeyboardAccess {
    pub fn start(map: &Map, container: &HtmlElement) -> Self {
        // Where the focus was when a popup opened, to return it there when the popup closes.
        let before_popup = std::rc::Rc::new(std::cell::RefCell::new(None::<Element>));
        let opened = {
            let before_popup = before_popup.clone();
            LeafletListener::new(map, "popupopen", move |event| {
                let popup = ffi::get(&ffi::get(&event, "popup"), "_container");
                let Ok(popup) = popup.dyn_into::<Element>() else {
                    return;
                };
                *before_popup.borrow_mut() = focused();
                if let Some(close) = popup
                    .query_selector(".leaflet-popup-close-button")
                    .ok()
                    .flatten()
                {
                    focus_without_scrolling(&close);
                }
            })
        };
        let closed = {
            let container = container.clone();
            LeafletListener::new(map, "popupclose", move |event| {
                let earlier = before_popup.borrow_mut().take();
                // Only when the focus goes away with the popup (it is still in the page while it
                // fades out): a click elsewhere keeps its own focus.
                let popup = ffi::get(&ffi::get(&event, "popup"), "_container")
                    .dyn_into::<web_sys::Node>()
                    .ok();
                let lost = focused().is_none_or(|e| {
                    !e.is_connected()
                        || is_body(&e)
                        || popup.as_ref().is_some_and(|p| p.contains(Some(&e)))
                });
                if lost {
                    let target = earlier
                        .filter(|e| e.is_connected() && !is_body(e))
                        .unwrap_or_else(|| container.clone().into());
                    focus_without_scrolling(&target);
                }
            })
        };
        // Overlays' shapes drawn as SVG become focusable buttons named after their feature.
        // (Canvas renderers have no element per shape.)
        let shape_added = LeafletListener::new(map, "layeradd", |event| {
            let layer = ffi::get(&event, "layer");
            let feature = ffi::get(&layer, "feature");
            if !feature.is_object() || !ffi::get(&layer, TAB_STOP).is_truthy() {
                return;
            }
            let Ok(element) = ffi::get(&layer, "_path").dyn_into::<Element>() else {
                return;
            };
            let _ = element.set_attribute("tabindex", "0");
            let _ = element.set_attribute("role", "button");
            let _ = element.set_attribute("aria-label", &feature_label(&feature));
        });
        // Leaflet closes a popup on Escape only while the map itself has the focus; a focused
        // close button or shape is inside the map too.
        let map_for_escape = map.clone();
        let escape = DomListener::new(container, "keydown", move |event| {
            let key = event
                .dyn_ref::<web_sys::KeyboardEvent>()
                .map(|e| e.key())
                .unwrap_or_default();
            if key == "Escape" {
                // `closePopup()` without an argument: the map's open popup, if any.
                ffi::call(&map_for_escape, "closePopup", &[]);
            }
        });
        KeyboardAccess {
            _listeners: [opened, closed, shape_added],
            _escape: escape,
        }
    }
}

/// What a screen reader says for a feature: its name property, or "Feature".
pub(super) fn feature_label(feature: &wasm_bindgen::JsValue) -> String {
    let properties = ffi::get(feature, "properties");
    crate::focus_order::NAME_PROPERTIES
        .iter()
        .find_map(|key| {
            ffi::get(&properties, key)
                .as_string()
                .filter(|s| !s.trim().is_empty())
        })
        .unwrap_or_else(|| "Feature".to_owned())
}

fn focused() -> Option<Element> {
    web_sys::window()?.document()?.active_element()
}

fn is_body(element: &Element) -> bool {
    element.tag_name().eq_ignore_ascii_case("body")
}

/// `element.focus({preventScroll: true})`, for HTML and SVG elements alike: a popup near the
/// page's edge must not scroll the host page.
pub(super) fn focus_without_scrolling(element: &Element) {
    if let Ok(focus) = ffi::get(element, "focus").dyn_into::<js_sys::Function>() {
        let options = ffi::object(&[("preventScroll", wasm_bindgen::JsValue::TRUE)]);
        let _ = focus.call1(element, &options);
    }
}
