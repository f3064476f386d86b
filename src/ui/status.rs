//! Per-layer load problems, shown over the map without hiding it.

use leptos::prelude::*;

use crate::data::{LayerState, Progress};

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

/// Lists layers that failed or dropped features, and large documents still arriving; shows
/// nothing while all is well.
#[component]
pub fn StatusPanel(statuses: RwSignal<Vec<LayerStatus>>) -> impl IntoView {
    let problems = move || {
        statuses.with(|all| {
            all.iter()
                .filter_map(|s| match &s.state {
                    LayerState::Failed(message) => Some((
                        s.name.clone(),
                        format!(" could not be shown: {message}"),
                        "meshmap-status-error",
                    )),
                    LayerState::Unavailable(message) => Some((
                        s.name.clone(),
                        format!(": {message}"),
                        "meshmap-status-error",
                    )),
                    LayerState::Ready {
                        warning: Some(w), ..
                    }
                    | LayerState::Degraded(w) => {
                        Some((s.name.clone(), format!(": {w}"), "meshmap-status-warning"))
                    }
                    LayerState::Arriving(progress) => Some((
                        s.name.clone(),
                        arriving(progress),
                        "meshmap-status-progress",
                    )),
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
                        .map(|(name, message, class)| {
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

/// "loading 12.5 of 98.0 MB, 20431 features so far".
fn arriving(progress: &Progress) -> String {
    let megabytes = |bytes: u64| crate::math::fixed(bytes as f64 / 1_048_576.0, 1);
    let of = progress
        .total
        .map(|total| format!(" of {}", megabytes(total)))
        .unwrap_or_default();
    format!(
        ": loading {}{of} MB, {} features so far",
        megabytes(progress.received),
        progress.features
    )
}
