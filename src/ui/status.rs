//! Per-layer load problems, shown over the map without hiding it.

use leptos::prelude::*;

use crate::data::LayerState;

#[derive(Debug, Clone, PartialEq)]
pub struct LayerStatus {
    pub name: String,
    pub state: LayerState,
}

/// Lists layers that failed or dropped features; shows nothing while all is well.
#[component]
pub fn StatusPanel(statuses: RwSignal<Vec<LayerStatus>>) -> impl IntoView {
    let problems = move || {
        statuses.with(|all| {
            all.iter()
                .filter_map(|s| match &s.state {
                    LayerState::Failed(message) => Some((s.name.clone(), message.clone(), true)),
                    LayerState::Ready { warning: Some(w), .. } | LayerState::Degraded(w) => {
                        Some((s.name.clone(), w.clone(), false))
                    }
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
                                    {if failed { " could not be shown: " } else { ": " }}
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
