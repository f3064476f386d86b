//! Keeps the map view and the URL fragment in step: moving the map rewrites `#zoom/lat/lng` in the
//! current history entry (as openstreetmap.org does: panning adds no entries, so Back leaves the
//! page), and back/forward between entries the user made (an edited fragment, a followed link)
//! or an edited fragment moves the map.

use std::rc::Rc;

use leaflet::{LatLng, Map};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::listener::{DomListener, LeafletListener};
use crate::view_hash::{self, View};

/// The listeners that do the syncing; dropping this stops it.
pub struct HashSync {
    _listeners: Vec<LeafletListener>,
    _window_listeners: Vec<DomListener>,
    /// Writing the opening view waits until the page is idle (a history call costs several
    /// milliseconds that the first view should not wait for).
    opening: Option<(u32, Closure<dyn FnMut()>)>,
}

impl Drop for HashSync {
    fn drop(&mut self) {
        if let (Some((handle, _)), Some(window)) = (&self.opening, web_sys::window()) {
            window.cancel_idle_callback(*handle);
        }
    }
}

/// The map's current view.
pub fn current_view(map: &Map) -> View {
    let center = map.get_center();
    View {
        zoom: map.get_zoom(),
        lat: center.lat(),
        lng: center.lng(),
    }
}

/// The view in the page's URL fragment, if it holds a valid one.
pub fn view_from_location(zoom_range: (f64, f64)) -> Option<View> {
    let hash = web_sys::window()?.location().hash().ok()?;
    match view_hash::parse(&hash, zoom_range) {
        Ok(view) => Some(view),
        Err(view_hash::HashError::Empty) => None,
        Err(error) => {
            web_sys::console::warn_1(
                &format!(
                    "meshmap: ignoring URL fragment \"{hash}\": {error}; using the configured view"
                )
                .into(),
            );
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

        let write = Rc::new(move |view: &View| {
            let wanted = view_hash::format(view);
            if location.hash().ok().as_deref() == Some(wanted.as_str()) {
                return;
            }
            if history
                .replace_state_with_url(&JsValue::NULL, "", Some(&wanted))
                .is_err()
            {
                web_sys::console::warn_1(&"meshmap: could not update the URL with the view".into());
            }
        });
        let (map_now, write_now) = (Rc::clone(&map), Rc::clone(&write));
        let opening_write = Closure::<dyn FnMut()>::new(move || write_now(&current_view(&map_now)));
        let options = web_sys::IdleRequestOptions::new();
        options.set_timeout(2000);
        let opening = match window
            .request_idle_callback_with_options(opening_write.as_ref().unchecked_ref(), &options)
        {
            Ok(handle) => Some((handle, opening_write)),
            Err(_) => {
                write(&current_view(&map));
                None
            }
        };
        let map_for_move = Rc::clone(&map);
        let on_move_end = LeafletListener::new(&*map, "moveend", move |_| {
            write(&current_view(&map_for_move))
        });

        // popstate: back/forward; hashchange: a fragment typed or linked within the page.
        let follow = move |_: web_sys::Event| {
            let Some(view) = view_from_location(zoom_range) else {
                return;
            };
            if view_hash::format(&view) != view_hash::format(&current_view(&map)) {
                map.set_view(&LatLng::new(view.lat, view.lng), view.zoom);
            }
        };
        let window_listeners = vec![
            DomListener::new(&window, "popstate", follow.clone()),
            DomListener::new(&window, "hashchange", follow),
        ];
        Some(HashSync {
            _listeners: vec![on_move_end],
            _window_listeners: window_listeners,
            opening,
        })
    }
}
