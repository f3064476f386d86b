//! Keeps the map view and the URL fragment in step: moving the map writes `#zoom/lat/lng` as a new
//! history entry, and back/forward or an edited fragment moves the map.

use std::rc::Rc;

use leaflet::{LatLng, Map};
use wasm_bindgen::JsValue;

use super::listener::{DomListener, LeafletListener};
use crate::view_hash::{self, View};

/// The listeners that do the syncing; dropping this stops it.
pub struct HashSync {
    _listeners: Vec<LeafletListener>,
    _window_listeners: Vec<DomListener>,
}

/// The map's current view.
pub fn current_view(map: &Map) -> View {
    let center = map.get_center();
    View { zoom: map.get_zoom(), lat: center.lat(), lng: center.lng() }
}

/// The view in the page's URL fragment, if it holds a valid one.
pub fn view_from_location(zoom_range: (f64, f64)) -> Option<View> {
    let hash = web_sys::window()?.location().hash().ok()?;
    match view_hash::parse(&hash, zoom_range) {
        Ok(view) => Some(view),
        Err(view_hash::HashError::Empty) => None,
        Err(error) => {
            web_sys::console::warn_1(&format!("meshmap: ignoring URL fragment {hash:?}: {error}; using the configured view").into());
            None
        }
    }
}

impl HashSync {
    pub fn start(map: &Map, zoom_range: (f64, f64)) -> Option<HashSync> {
        let window = web_sys::window()?;
        let history = window.history().ok()?;
        let location = window.location();
        let map = Rc::new(map.clone());

        // The opening view replaces the current entry (opening a link adds no history entry);
        // every later move pushes one, so back/forward step through views.
        let write = move |view: &View, push: bool| {
            let wanted = view_hash::format(view);
            if location.hash().ok().as_deref() == Some(wanted.as_str()) {
                return;
            }
            let result = if push {
                history.push_state_with_url(&JsValue::NULL, "", Some(&wanted))
            } else {
                history.replace_state_with_url(&JsValue::NULL, "", Some(&wanted))
            };
            if result.is_err() {
                web_sys::console::warn_1(&"meshmap: could not update the URL with the view".into());
            }
        };
        write(&current_view(&map), false);
        let map_for_move = Rc::clone(&map);
        let on_move_end = LeafletListener::new(&*map, "moveend", move |_| write(&current_view(&map_for_move), true));

        // popstate: back/forward; hashchange: a fragment typed or linked within the page.
        let follow = move |_: web_sys::Event| {
            let Some(view) = view_from_location(zoom_range) else { return };
            if view_hash::format(&view) != view_hash::format(&current_view(&map)) {
                map.set_view(&LatLng::new(view.lat, view.lng), view.zoom);
            }
        };
        let window_listeners = vec![
            DomListener::new(&window, "popstate", follow.clone()),
            DomListener::new(&window, "hashchange", follow),
        ];
        Some(HashSync { _listeners: vec![on_move_end], _window_listeners: window_listeners })
    }
}
