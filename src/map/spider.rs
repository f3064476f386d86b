//! A spiderfied cluster: the points of a cluster that no zoom separates (they are at one
//! place), fanned out around it on legs ([`crate::cluster::spider_offsets`]), each a shape that
//! opens its popup on click or Enter, as Leaflet.markercluster does at the deepest zoom. It
//! folds back when the map zooms, is clicked elsewhere, or another cluster opens.

use std::cell::RefCell;
use std::rc::Rc;

use leaflet::{LatLng, Map, Point};
use wasm_bindgen::JsValue;

use super::ffi;
use super::listener::LeafletListener;
use crate::config::Style;
use crate::json::Json;

/// Pixels between neighbouring points of the fan.
const SEPARATION: f64 = 26.0;

/// The open fan, if any, and the listeners that fold it.
#[derive(Clone, Default)]
pub struct Spider {
    open: Rc<RefCell<Option<Fan>>>,
}

struct Fan {
    group: JsValue,
    _fold: [LeafletListener; 2],
}

impl Drop for Fan {
    fn drop(&mut self) {
        ffi::call(&self.group, "remove", &[]);
    }
}

impl Spider {
    /// Fans `points` (latitude, longitude, properties) out around `centre`, folding any open fan.
    pub fn open(&self, map: &Map, centre: (f64, f64), points: &[(f64, f64, Json)], style: &Style) {
        self.fold();
        let centre = LatLng::new(centre.0, centre.1);
        let middle = map.lat_lng_to_layer_point(&centre);
        let group = ffi::layer_group();
        let offsets = crate::cluster::spider_offsets(points.len(), SEPARATION);
        let leg_options = ffi::object(&[
            ("interactive", JsValue::FALSE),
            ("className", "meshmap-spider-leg".into()),
            ("color", style.color.as_str().into()),
            ("weight", 1.5.into()),
            ("opacity", 0.6.into()),
        ]);
        let point_options = ffi::object(&[
            ("className", "meshmap-spider-point".into()),
            ("color", style.color.as_str().into()),
            ("weight", style.weight.into()),
            ("fillColor", style.fill_color.as_str().into()),
            ("fillOpacity", 1.0.into()),
            ("radius", style.radius.max(5.0).into()),
        ]);
        let document = web_sys::window().and_then(|w| w.document());
        for ((_, _, properties), (dx, dy)) in points.iter().zip(offsets) {
            let at = map.layer_point_to_lat_lng(&Point::new(middle.x() + dx, middle.y() + dy));
            let leg = js_sys::Array::of2(
                &js_sys::Array::of2(&centre.lat().into(), &centre.lng().into()),
                &js_sys::Array::of2(&at.lat().into(), &at.lng().into()),
            );
            ffi::call(
                &group,
                "addLayer",
                &[ffi::polyline(&js_sys::Array::of1(&leg), &leg_options).into()],
            );
            let point = ffi::circle_marker(&at, &point_options);
            // A shape like a GeoJSON feature's: named after its feature, a Tab stop, its popup
            // on click or Enter (see `access`).
            ffi::set(
                &point,
                "feature",
                &ffi::object(&[("properties", ffi::to_js(properties))]),
            );
            ffi::set(&point, super::access::TAB_STOP, &JsValue::TRUE);
            let rows = crate::geojson::property_rows(Some(properties));
            if let Some(content) = document
                .as_ref()
                .and_then(|d| super::popup::rows_popup(d, &rows))
            {
                point.bind_popup_with_options(&content, &super::popup::popup_options());
            }
            ffi::call(&group, "addLayer", &[point.into()]);
        }
        ffi::call(&group, "addTo", &[map.into()]);
        let weak = Rc::downgrade(&self.open);
        let fold = move |_| {
            if let Some(open) = weak.upgrade() {
                // Folded after the event: the listener running now belongs to the fan.
                wasm_bindgen_futures::spawn_local(async move { drop(open.borrow_mut().take()) });
            }
        };
        *self.open.borrow_mut() = Some(Fan {
            group,
            _fold: [
                LeafletListener::new(map, "zoomstart", fold.clone()),
                LeafletListener::new(map, "overlayremove", fold),
            ],
        });
    }

    /// Folds the open fan, if any.
    pub fn fold(&self) {
        let open = self.open.borrow_mut().take();
        drop(open);
    }

    /// How many points the open fan shows.
    pub fn shown(&self) -> usize {
        self.open.borrow().as_ref().map_or(0, |fan| {
            let layers = ffi::call(&fan.group, "getLayers", &[]);
            js_sys::Array::from(&layers).length() as usize / 2
        })
    }
}
