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
use crate::data::{load_into, LayerState};
use crate::map::{MapBehaviour, MapHandle, TileHealth};

/// The status line's name for problems with the tile server's catalog.
pub const CATALOG_STATUS: &str = "Tile catalog";

#[component]
pub fn MapView(config: Config, sync_url_hash: bool, hooks: Rc<MapHooks>) -> impl IntoView {
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

    container.on_load(move |element| {
        let behaviour = MapBehaviour { sync_url_hash };
        let (mut handle, pending) = match MapHandle::new(&element, &config, behaviour) {
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
                web_sys::console::warn_1(&format!("meshmap: layer {name:?}: {message}").into());
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
        statuses.set(pending.iter().map(|p| LayerStatus { name: p.name.clone(), state: LayerState::Loading }).collect());
        let http = handle.http().clone();
        hooks.with_value(|h| h.attach(handle));
        if let Some(tiles) = config.tiles.clone().filter(|t| t.catalog) {
            let http = http.clone();
            spawn_local_scoped_with_cancellation(async move {
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
        for layer in pending {
            let http = http.clone();
            spawn_local_scoped_with_cancellation(async move {
                let signal = abort.with_value(|a| a.as_ref().map(|a| a.signal()));
                let state = load_into(&http, &layer.source, &layer.layer, signal.as_ref()).await;
                if let LayerState::Failed(message) = &state {
                    web_sys::console::error_1(&format!("meshmap: layer {:?} could not be shown: {message}", layer.name).into());
                }
                update(&layer.name, state);
            });
        }
    });

    on_cleanup(move || {
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
