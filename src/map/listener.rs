//! Event listeners that remove themselves when dropped, so tearing a map down leaves nothing
//! behind on `window` or on Leaflet objects.

use std::cell::Cell;

use leaflet::Evented;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::EventTarget;

thread_local! {
    static LIVE_LISTENERS: Cell<usize> = const { Cell::new(0) };
}

/// How many listeners created here are attached right now (for leak tests).
pub fn live_listeners() -> usize {
    LIVE_LISTENERS.with(Cell::get)
}

fn count(delta: isize) {
    LIVE_LISTENERS.with(|n| n.set(n.get().saturating_add_signed(delta)));
}

/// A DOM event listener (`addEventListener`), removed on drop.
pub struct DomListener {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl DomListener {
    pub fn new(
        target: &EventTarget,
        kind: &'static str,
        handler: impl FnMut(web_sys::Event) + 'static,
    ) -> Self {
        let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
        let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        count(1);
        DomListener {
            target: target.clone(),
            kind,
            closure,
        }
    }
}

impl Drop for DomListener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
        count(-1);
    }
}

/// A Leaflet event handler (`on`), removed with `off` on drop.
pub struct LeafletListener {
    target: Evented,
    kind: &'static str,
    closure: Closure<dyn FnMut(JsValue)>,
}

impl LeafletListener {
    /// `target` is any Leaflet object (all of them are `L.Evented`).
    pub fn new(
        target: &impl AsRef<JsValue>,
        kind: &'static str,
        handler: impl FnMut(JsValue) + 'static,
    ) -> Self {
        let closure = Closure::<dyn FnMut(JsValue)>::new(handler);
        let target: Evented = target.as_ref().clone().unchecked_into();
        target.on(kind, closure.as_ref());
        count(1);
        LeafletListener {
            target,
            kind,
            closure,
        }
    }
}

impl Drop for LeafletListener {
    fn drop(&mut self) {
        self.target.off(self.kind, self.closure.as_ref());
        count(-1);
    }
}
