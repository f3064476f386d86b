//! What a host (the embedding API) sees of a mounted app: the live map once it exists, and the
//! problems the app reports. The full-page app mounts without hooks.

use std::cell::RefCell;
use std::rc::Rc;

use crate::callback::SharedCallback;
use crate::map::MapHandle;

type ReadyCallback = Box<dyn FnOnce(&mut MapHandle)>;
/// Called with (what, message).
type ErrorSink = SharedCallback<dyn Fn(&str, &str)>;

/// Shared between the app's map view and the host. The map view puts its [`MapHandle`] here when
/// the map exists and takes it out (dropping it) when unmounted.
#[derive(Default)]
pub struct MapHooks {
    map: RefCell<Option<MapHandle>>,
    on_ready: RefCell<Vec<ReadyCallback>>,
    on_error: ErrorSink,
    on_loaded: SharedCallback<dyn Fn()>,
}

impl MapHooks {
    pub fn new() -> Rc<MapHooks> {
        Rc::new(MapHooks::default())
    }

    /// Runs `f` on the map, if there is one yet. `None` also when called from inside another
    /// `with_map` (a host callback fired synchronously by a map change): never a panic.
    pub fn with_map<T>(&self, f: impl FnOnce(&mut MapHandle) -> T) -> Option<T> {
        self.map.try_borrow_mut().ok()?.as_mut().map(f)
    }

    pub fn has_map(&self) -> bool {
        self.map.try_borrow().map(|m| m.is_some()).unwrap_or(true)
    }

    /// Runs `f` once the map exists (at once if it does).
    pub fn when_ready(&self, f: impl FnOnce(&mut MapHandle) + 'static) {
        if self.has_map() {
            self.with_map(f);
        } else {
            self.on_ready.borrow_mut().push(Box::new(f));
        }
    }

    /// Called with (what, message) for every problem the app shows: "config" or a layer's name.
    pub fn on_error(&self, sink: impl Fn(&str, &str) + 'static) {
        self.on_error.set(Rc::new(sink));
    }

    /// Called once, when the first view is complete: the layers shown at start drawn and their
    /// tiles loaded (or failed).
    pub fn on_loaded(&self, f: impl Fn() + 'static) {
        self.on_loaded.set(Rc::new(f));
    }

    pub(crate) fn loaded(&self) {
        if let Some(f) = self.on_loaded.get() {
            f();
        }
    }

    pub(crate) fn attach(&self, map: MapHandle) {
        *self.map.borrow_mut() = Some(map);
        let waiting: Vec<_> = self.on_ready.borrow_mut().drain(..).collect();
        for f in waiting {
            self.with_map(f);
        }
    }

    /// Takes the map out; the caller drops it (outside any borrow).
    pub(crate) fn detach(&self) -> Option<MapHandle> {
        self.on_ready.borrow_mut().clear();
        self.map.try_borrow_mut().ok()?.take()
    }

    pub(crate) fn report(&self, what: &str, message: &str) {
        if let Some(sink) = self.on_error.get() {
            sink(what, message);
        }
    }
}
