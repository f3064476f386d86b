//! The app shell: loads and validates the config, then shows the map or the error view.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local_scoped;

use super::error_view::{ErrorView, StartError};
use super::hooks::MapHooks;
use super::map_view::MapView;
use crate::config::Config;
use crate::data::Downloads;
use crate::http::Http;
use crate::map::{first_view_tiles, MapBehaviour, TilePrefetch};

/// Where the config comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigSource {
    /// A URL, relative to the page (the app uses `config.json` beside index.html).
    Url(String),
    /// An object handed over directly (embedding, tests).
    Inline(crate::json::Json),
}

#[derive(Clone)]
pub struct AppOptions {
    pub config: ConfigSource,
    /// Keep the view in the URL fragment (the full-page app does; embedded widgets should not).
    pub sync_url_hash: bool,
    /// How an embedding host reaches the map and hears about problems.
    pub hooks: Option<Rc<MapHooks>>,
    /// Send `X-App-Version` (from the page's `app-version` cookie) to first-party backends. True
    /// for the full-page app; false for a map embedded in another site's page, whose cookies are
    /// the host's.
    pub send_version: bool,
}

#[derive(Clone)]
enum Phase {
    Loading,
    Ready(Config, Http, Downloads, Option<Rc<TilePrefetch>>),
    Failed(StartError),
}

/// The page's client, without the version header when the map is embedded elsewhere.
fn client(http: Http, send_version: bool) -> Http {
    if send_version {
        http
    } else {
        http.without_version()
    }
}

async fn load_config(source: &ConfigSource, send_version: bool) -> Result<Config, StartError> {
    match source {
        ConfigSource::Inline(value) => {
            Config::from_value(value).map_err(|errors| StartError::ConfigInvalid {
                source: "the inline config".into(),
                errors,
            })
        }
        ConfigSource::Url(url) => {
            let text = client(Http::for_page(), send_version)
                .get_text(url, None)
                .await
                .map_err(StartError::ConfigUnreachable)?;
            let mut config =
                Config::from_json(&text).map_err(|errors| StartError::ConfigInvalid {
                    source: url.clone(),
                    errors,
                })?;
            // Relative URLs in the config are relative to the config, not to the (host) page.
            if let Some(absolute) = absolute_url(url) {
                if let Err(message) = config.resolve_against(&absolute) {
                    web_sys::console::warn_1(
                        &format!("meshmap: {message}; config URLs stay relative to the page")
                            .into(),
                    );
                }
            }
            Ok(config)
        }
    }
}

/// `url` resolved against the page, as fetch resolves it.
fn absolute_url(url: &str) -> Option<String> {
    let base = web_sys::window()?.document()?.base_uri().ok()??;
    web_sys::Url::new_with_base(url, &base)
        .ok()
        .map(|u| u.href())
}

#[component]
pub fn App(options: AppOptions) -> impl IntoView {
    let phase = RwSignal::new_local(Phase::Loading);
    let root = NodeRef::<leptos::html::Div>::new();
    let sync_url_hash = options.sync_url_hash;
    let hooks = options.hooks.clone().unwrap_or_default();
    let report = Rc::clone(&hooks);
    let hooks = StoredValue::new_local(hooks);
    spawn_local_scoped(async move {
        let next = match load_config(&options.config, options.send_version).await {
            Ok(config) => {
                // The data's requests go out now; the map (and its tiles) follow once Leaflet is here.
                let http = client(
                    Http::new(&config.versions, &config.first_party_origins),
                    options.send_version,
                );
                let downloads = Downloads::start(&config, &http);
                // So are the first view's tiles, for a map the size of this element.
                let size = root
                    .get_untracked()
                    .map(|element| {
                        (
                            f64::from(element.client_width()),
                            f64::from(element.client_height()),
                        )
                    })
                    .filter(|&(width, height)| width > 0.0 && height > 0.0);
                let behaviour = MapBehaviour { sync_url_hash };
                let prefetch = size.map(|size| {
                    TilePrefetch::start(&http, first_view_tiles(&config, &http, behaviour, size))
                });
                crate::map::leaflet_ready().await;
                Phase::Ready(config, http, downloads, prefetch)
            }
            Err(error) => {
                error.log();
                report.report("config", &error.to_string());
                Phase::Failed(error)
            }
        };
        phase.set(next);
    });
    on_cleanup(move || {
        if let Some(Phase::Ready(_, _, downloads, _)) = phase.try_get_untracked() {
            downloads.cancel();
        }
    });
    view! {
        <div class="meshmap" node_ref=root>
            {move || match phase.get() {
                Phase::Loading => view! { <p class="meshmap-loading">"Loading map…"</p> }.into_any(),
                Phase::Ready(config, http, downloads, prefetch) => {
                    view! { <MapView config http downloads prefetch sync_url_hash hooks=hooks.get_value() /> }.into_any()
                }
                Phase::Failed(error) => view! { <ErrorView error /> }.into_any(),
            }}
        </div>
    }
}
