//! Tab stops for what is drawn on canvases (vector tile features, points and clusters, live
//! objects, GeoJSON layers): a canvas has no element per feature, so while the keyboard is in the map a
//! transparent button stands over each of the features nearest the map's middle
//! ([`crate::focus_order`]), named after it. Tab reaches them in reading order; Enter or Space
//! does what a click there does (a popup, a cluster zooming in or fanning out); the focused one
//! shows a ring. The mouse goes through them to the canvases.
//!
//! They exist only once the map has had the focus, follow the view while the focus is in the
//! map (and once a second, as objects move and tiles arrive), and keep their elements when the
//! list is rebuilt, so the focused one keeps the focus.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use leaflet::{LatLng, Map};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use super::listener::{DomListener, LeafletListener};
use super::timer::{sleep, Wait};
use super::FeatureClicks;

/// The stand-ins' class (and their pane's, with `-pane`).
pub const STOP_CLASS: &str = "meshmap-focus-stop";

/// How often the stand-ins follow what moved while the focus is in the map (ms).
const FOLLOW_MS: u32 = 1000;

pub struct FocusStops {
    shared: Rc<Shared>,
    _listeners: Vec<LeafletListener>,
    _dom: [DomListener; 2],
}

struct Shared {
    map: Map,
    container: HtmlElement,
    pane: HtmlElement,
    clicks: Rc<FeatureClicks>,
    /// The stand-ins follow the view (the focus has been in the map).
    following: Cell<bool>,
    /// The next follow-up, cancelled when the stops go.
    next: RefCell<Option<Wait>>,
}

impl FocusStops {
    pub fn start(map: &Map, clicks: Rc<FeatureClicks>) -> FocusStops {
        let container = map.get_container();
        let pane = map.create_pane_by_name("meshmapFocusStops");
        // Hidden while Leaflet animates a zoom (their places are the old zoom's until it ends).
        pane.set_class_name(&format!("leaflet-pane {STOP_CLASS}-pane leaflet-zoom-hide"));
        let shared = Rc::new(Shared {
            map: map.clone(),
            container: container.clone(),
            pane: pane.clone(),
            clicks,
            following: Cell::new(false),
            next: RefCell::default(),
        });
        let weak = Rc::downgrade(&shared);
        let entered = {
            let weak = weak.clone();
            DomListener::new(&container, "focusin", move |_| {
                if let Some(shared) = weak.upgrade() {
                    if !shared.following.replace(true) {
                        shared.refresh();
                        Shared::follow(&shared);
                    }
                }
            })
        };
        // Enter or Space on a stand-in: what a click at its feature does. The event stops here:
        // to Leaflet it would be a click of the map at the corner (a key's click has no place).
        let pressed = {
            let weak = weak.clone();
            DomListener::new(&pane, "click", move |event| {
                event.stop_propagation();
                let Some(shared) = weak.upgrade() else { return };
                let stop = event
                    .target()
                    .and_then(|t| t.dyn_into::<Element>().ok())
                    .and_then(|t| t.closest(&format!(".{STOP_CLASS}")).ok().flatten());
                let number = |name| {
                    stop.as_ref()
                        .and_then(|s| s.get_attribute(name))
                        .and_then(|v| v.parse::<f64>().ok())
                };
                let layer = stop.as_ref().and_then(|s| s.get_attribute("data-layer"));
                let (Some(lat), Some(lng)) = (number("data-lat"), number("data-lng")) else {
                    return;
                };
                let at = LatLng::new(lat, lng);
                shared.clicks.click(&at, 0.0, layer.as_deref());
            })
        };
        let mut listeners = Vec::new();
        for kind in ["moveend", "overlayadd", "overlayremove", "baselayerchange"] {
            let weak = weak.clone();
            listeners.push(LeafletListener::new(map, kind, move |_| {
                if let Some(shared) = weak.upgrade().filter(|s| s.following.get()) {
                    shared.refresh();
                }
            }));
        }
        FocusStops {
            shared,
            _listeners: listeners,
            _dom: [entered, pressed],
        }
    }
}

impl Drop for FocusStops {
    fn drop(&mut self) {
        if let Some(wait) = self.shared.next.borrow_mut().take() {
            wait.cancel();
        }
        self.shared.pane.remove();
    }
}

impl Shared {
    /// Refreshes now and then while the focus stays in the map; stops when it leaves.
    fn follow(shared: &Rc<Shared>) {
        let Some((wait, pause)) = sleep(FOLLOW_MS) else {
            return;
        };
        *shared.next.borrow_mut() = Some(wait);
        let weak: Weak<Shared> = Rc::downgrade(shared);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = pause.await;
            let Some(shared) = weak.upgrade() else { return };
            shared.next.borrow_mut().take();
            if shared.focus_inside() {
                shared.refresh();
                Shared::follow(&shared);
            } else {
                shared.following.set(false);
            }
        });
    }

    fn focus_inside(&self) -> bool {
        focused().is_some_and(|e| self.container.contains(Some(&e)))
    }

    fn stops(&self) -> Vec<HtmlElement> {
        let children = self.pane.children();
        (0..children.length())
            .filter_map(|i| children.item(i))
            .filter_map(|e| e.dyn_into::<HtmlElement>().ok())
            .collect()
    }

    /// Puts a stand-in over each feature the keyboard reaches now, reusing the elements of
    /// features that already had one.
    fn refresh(&self) {
        let targets = super::view_box(&self.map)
            .map(|view| self.clicks.keyboard_targets(&view))
            .unwrap_or_default();
        let Some(document) = self.container.owner_document() else {
            return;
        };
        // Container pixels to the pane's (layer) pixels: the map pane moves as the map pans.
        let size = self.map.get_size();
        let middle = self.map.lat_lng_to_layer_point(&self.map.get_center());
        let offset = (middle.x() - size.x() / 2.0, middle.y() - size.y() / 2.0);

        let focused = focused();
        // A few dozen at most: looked through rather than hashed.
        let mut existing: Vec<(String, HtmlElement)> = Vec::new();
        for stop in self.stops() {
            match stop.get_attribute("data-key") {
                Some(key) if targets.iter().any(|t| t.key == key) => {
                    existing.push((key, stop));
                }
                _ => {
                    if focused.as_ref().is_some_and(|f| stop.contains(Some(f))) {
                        // Its feature left the view: the focus goes back to the map.
                        super::access::focus_without_scrolling(&self.container);
                    }
                    stop.remove();
                }
            }
        }
        let mut previous: Option<HtmlElement> = None;
        for target in &targets {
            let kept = existing.iter().position(|(key, _)| *key == target.key);
            let stop = match kept.map(|at| existing.swap_remove(at).1) {
                Some(stop) => stop,
                None => {
                    let Some(stop) = document
                        .create_element("button")
                        .ok()
                        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                    else {
                        return;
                    };
                    stop.set_class_name(STOP_CLASS);
                    let _ = stop.set_attribute("type", "button");
                    let _ = stop.set_attribute("data-key", &target.key);
                    let _ = stop.set_attribute("data-layer", &target.layer);
                    stop
                }
            };
            let _ = stop.set_attribute("aria-label", &target.label);
            let _ = stop.set_attribute("data-lat", &target.lat.to_string());
            let _ = stop.set_attribute("data-lng", &target.lng.to_string());
            let style = stop.style();
            let _ = style.set_property("left", &format!("{:.1}px", target.x + offset.0));
            let _ = style.set_property("top", &format!("{:.1}px", target.y + offset.1));
            // In Tab order after the previous one; the focused one is never moved (moving an
            // element takes the focus from it): the others are placed around it.
            let is_focused = focused.as_ref().is_some_and(|f| stop.is_same_node(Some(f)));
            let want_before = match &previous {
                Some(previous) => previous.next_sibling(),
                None => self.pane.first_child(),
            };
            let in_place = want_before
                .as_ref()
                .is_some_and(|n| n.is_same_node(Some(&stop)));
            if !is_focused && !in_place {
                let _ = self.pane.insert_before(&stop, want_before.as_ref());
            }
            previous = Some(stop);
        }
    }
}

fn focused() -> Option<Element> {
    web_sys::window()?.document()?.active_element()
}
