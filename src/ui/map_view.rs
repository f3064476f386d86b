//! The map: creates the Leaflet map in its element, loads every layer's data, reports per-layer
//! problems, and tears everything down (map, listeners, pending fetches) when unmounted.

use std::rc::Rc;

use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped_with_cancellation;

use super::error_view::{ErrorView, StartError};
use super::hooks::MapHooks;
use super::status::{set_status, LayerStatus, StatusPanel};
use crate::catalog;
use crate::config::Config;
use crate::data::{apply, Downloads, LayerState};
use crate::http::Http;
use crate::map::{MapBehaviour, MapHandle, TileHealth, TilePrefetch};

/// The status line's name for problems with the tile server's catalog.
pub const CATALOG_STATUS: &str = "Tile catalog";

/// The status line's name for requests the page's Content-Security-Policy blocked.
pub const CSP_STATUS: &str = "Content-Security-Policy";

#[component]
pub fn MapView(
    config: Config,
    http: Http,
    downloads: Downloads,
    prefetch: Option<Rc<TilePrefetch>>,
    sync_url_hash: bool,
    hooks: Rc<MapHooks>,
) -> impl IntoView {
    let container = NodeRef::<Div>::new();
    let statuses = RwSignal::new(Vec::<LayerStatus>::new());
    let failure = RwSignal::new(None::<StartError>);
    let hooks = StoredValue::new_local(hooks);
    let abort = StoredValue::new_local(web_sys::AbortController::new().ok());
    // Shows a layer's state, and tells the host (if any) about problems.
    let update = move |name: &str, state: LayerState| {
        if let Some(message) = state.problem() {
            hooks.with_value(|h| h.report(name, message));
        }
        set_status(statuses, name, state);
    };

    let cancel_downloads = StoredValue::new_local(downloads.clone());
    container.on_load(move |element| {
        statuses.set(downloads.layers().map(|(name, _)| LayerStatus { name: name.to_owned(), state: LayerState::Loading }).collect());
        let first_view = FirstView::new(hooks);
        let behaviour = MapBehaviour { sync_url_hash };
        let mut handle = match MapHandle::with_prefetch(&element, &config, behaviour, http.clone(), prefetch.clone()) {
            Ok(created) => created,
            Err(error) => {
                let error = StartError::Map(error);
                error.log();
                hooks.with_value(|h| h.report("map", &error.to_string()));
                failure.set(Some(error));
                return;
            }
        };
        handle.on_tile_error(move |name, url| {
            let already = statuses.with_untracked(|all| all.iter().any(|s| s.name == name && s.state != LayerState::Loading));
            if !already {
                let message = format!("some tiles could not be loaded from {url} (server unreachable or answering errors)");
                web_sys::console::warn_1(&format!("meshmap: layer \"{name}\": {message}").into());
                update(name, LayerState::Degraded(message));
            }
        });
        handle.on_tile_health(move |name, health| {
            let state = match health {
                TileHealth::Up => LayerState::Ready { features: 0, warning: None },
                TileHealth::Down(message) => LayerState::Unavailable(message.clone()),
                TileHealth::Degraded(message) => LayerState::Degraded(message.clone()),
            };
            update(name, state);
        });
        handle.on_csp_violation(move |message| {
            web_sys::console::error_1(&format!("meshmap: {message}").into());
            update(CSP_STATUS, LayerState::Unavailable(message));
        });
        let tiles_done = first_view.clone();
        for name in handle.when_tiles_loaded(move |name| tiles_done.done(name)) {
            first_view.wait_for(&name);
        }
        hooks.with_value(|h| h.attach(handle));
        downloads.on_progress(move |name, progress| set_status(statuses, name, LayerState::Arriving(progress)));
        // The GeoJSON layers' data was requested with the config (see `Downloads`); each is drawn
        // on its layer as it arrives.
        for (name, shown_at_start) in downloads.layers() {
            if shown_at_start {
                first_view.wait_for(name);
            }
            let (first_view, name, downloads) = (first_view.clone(), name.to_owned(), downloads.clone());
            spawn_local_scoped_with_cancellation(async move {
                let Some(prepared) = downloads.arrived(&name).await else { return };
                let Some(layer) = hooks.try_with_value(|h| h.with_map(|map| map.data_layer(&name))).flatten().flatten() else { return };
                // Points and GeoJSON Rust draws are drawn on tiles after their data arrives: the
                // first view has them when those tiles are drawn.
                let on_tiles = {
                    let (first_view, name) = (first_view.clone(), name.clone());
                    hooks.with_value(|h| h.with_map(|map| map.on_tiles_drawn(&name.clone(), move || first_view.done(&name)))).unwrap_or(false)
                };
                let state = apply(&layer, prepared);
                if let LayerState::Failed(message) = &state {
                    web_sys::console::error_1(&format!("meshmap: layer \"{name}\" could not be shown: {message}").into());
                }
                let drawn_later = on_tiles && matches!(state, LayerState::Ready { .. });
                update(&name, state);
                if !drawn_later {
                    first_view.done(&name);
                }
            });
        }
        first_view.start();
        // What the first view does not need waits for it (on a thin pipe it would take bandwidth
        // from it): the layers hidden at start, and the tile server's catalog. At most
        // AFTER_FIRST_VIEW_MS, in case the first view never completes (a server that hangs).
        let after_first_view = first_view.arrival.clone();
        {
            let later = after_first_view.clone();
            spawn_local_scoped_with_cancellation(async move {
                crate::map::pause(AFTER_FIRST_VIEW_MS).await;
                later.deliver(());
            });
        }
        {
            let (downloads, after_first_view) = (downloads.clone(), after_first_view.clone());
            spawn_local_scoped_with_cancellation(async move {
                after_first_view.wait().await;
                downloads.start_rest();
            });
        }
        if let Some(tiles) = config.tiles.clone().filter(|t| t.catalog) {
            spawn_local_scoped_with_cancellation(async move {
                after_first_view.wait().await;
                let signal = abort.with_value(|a| a.as_ref().map(|a| a.signal()));
                let url = tiles.catalog_url();
                let result = match http.get_text(&url, signal.as_ref()).await {
                    Ok(text) => catalog::parse(&text),
                    Err(error) => Err(error.to_string()),
                };
                match result {
                    Ok(catalog) => {
                        if !catalog.skipped.is_empty() {
                            web_sys::console::warn_1(&format!("meshmap: tile sources not offered: {}", catalog.skipped.join(", ")).into());
                        }
                        hooks.with_value(|h| h.with_map(|handle| handle.add_catalog_overlays(&catalog, &tiles)));
                    }
                    Err(message) => {
                        web_sys::console::error_1(&format!("meshmap: the tile catalog {url} could not be read: {message}").into());
                        update(CATALOG_STATUS, LayerState::Failed(message));
                    }
                }
            });
        }
    });

    on_cleanup(move || {
        cancel_downloads.with_value(Downloads::cancel);
        abort.with_value(|a| {
            if let Some(controller) = a {
                controller.abort();
            }
        });
        // Dropping the handle removes the Leaflet map and every listener it registered.
        let map = hooks.with_value(|h| h.detach());
        drop(map);
    });

    view! {
        <div class="meshmap-map" node_ref=container></div>
        <StatusPanel statuses />
        {move || failure.get().map(|error| view! { <ErrorView error /> })}
    }
}

/// The first complete view: every GeoJSON layer shown at start drawn (or failed) and every tile
/// layer shown at start loaded. Then the page gets the performance mark `meshmap:complete` (what
/// `make bench` times, as the reference pages mark it) and the host its "load" event, once.
#[derive(Clone)]
struct FirstView {
    state: Rc<std::cell::RefCell<FirstViewState>>,
    hooks: StoredValue<Rc<MapHooks>, LocalStorage>,
    /// Delivered when the first view is complete.
    arrival: crate::arrival::Arrival<()>,
}

/// How long what waits for the first view waits at most (ms).
const AFTER_FIRST_VIEW_MS: u32 = 5000;

#[derive(Default)]
struct FirstViewState {
    waiting: Vec<String>,
    /// Layers may finish before the map is set up; nothing counts as complete until then.
    started: bool,
    complete: bool,
}

impl FirstView {
    fn new(hooks: StoredValue<Rc<MapHooks>, LocalStorage>) -> Self {
        FirstView {
            state: Rc::default(),
            hooks,
            arrival: crate::arrival::Arrival::default(),
        }
    }

    fn wait_for(&self, name: &str) {
        self.state.borrow_mut().waiting.push(name.to_owned());
    }

    fn start(&self) {
        self.state.borrow_mut().started = true;
        self.check();
    }

    fn done(&self, name: &str) {
        self.state.borrow_mut().waiting.retain(|n| n != name);
        self.check();
    }

    fn check(&self) {
        {
            let mut state = self.state.borrow_mut();
            if !state.started || state.complete || !state.waiting.is_empty() {
                return;
            }
            state.complete = true;
        }
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark("meshmap:complete");
        }
        self.hooks.with_value(|h| {
            h.with_map(MapHandle::first_view_drawn);
            h.loaded();
        });
        self.arrival.deliver(());
    }
}
