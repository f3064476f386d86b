//! Per-layer load problems, shown over the map without hiding it.

use leptos::prelude::*;

use crate::data::LayerState;

#[derive(Debug, Clone, PartialEq)]
pub struct LayerStatus {
    pub name: String,
    pub state: LayerState,
}

/// Sets the status shown for a layer (one entry per layer).
pub fn set_status(statuses: RwSignal<Vec<LayerStatus>>, name: &str, state: LayerState) {
    statuses.try_update(|all| match all.iter_mut().find(|s| s.name == name) {
        Some(status) => status.state = state,
        None => all.push(LayerStatus {
            name: name.to_owned(),
            state,
        }),
    });
}

/// Lists layers that failed or dropped features; shows nothing while all is well.
#[component]
pub fn StatusPanel(statuses: RwSignal<Vec<LayerStatus>>) -> impl IntoView {
    let problems = move || {
        statuses.with(|all| {
            all.iter()
                .filter_map(|s| match &s.state {
                    LayerState::Failed(message) => Some((
                        s.name.clone(),
                        format!(" could not be shown: {message}"),
                        true,
                    )),
                    LayerState::Unavailable(message) => {
                        Some((s.name.clone(), format!(": {message}"), true))
                    }
                    LayerState::Ready {
                        warning: Some(w), ..
                    }
                    | LayerState::Degraded(w) => Some((s.name.clone(), format!(": {w}"), false)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <Show when=move || !problems().is_empty()>
            <div class="meshmap-status" role="status">
                {move || {
                    problems()
                        .into_iter()
                        .map(|(name, message, failed)| {
                            let class = if failed { "meshmap-status-error" } else { "meshmap-status-warning" };
                            let layer = name.clone();
                            view! {
                                <p class=class data-layer=layer>
                                    <strong>{name}</strong>
                                    {message}
                                </p>
                            }
                        })
                        .collect_view()
                }}
            </div>
        </Show>
    }
}
