//! The page shown when the map cannot start: what went wrong, where, and what to do.

use leptos::prelude::*;

use crate::config::ConfigError;
use crate::http::HttpError;
use crate::map::MapError;
use crate::BUILD_VERSION;

/// Why the app could not show a map.
#[derive(Debug, Clone, PartialEq)]
pub enum StartError {
    ConfigUnreachable(HttpError),
    ConfigInvalid {
        source: String,
        errors: Vec<ConfigError>,
    },
    Map(MapError),
}

impl StartError {
    fn title(&self) -> &'static str {
        match self {
            StartError::ConfigUnreachable(_) => "The map configuration could not be loaded",
            StartError::ConfigInvalid { .. } => "The map configuration is invalid",
            StartError::Map(_) => "The map could not be created",
        }
    }

    /// One line per problem; config errors lead with their key path.
    fn details(&self) -> Vec<(Option<String>, String)> {
        match self {
            StartError::ConfigUnreachable(error) => vec![(None, error.to_string())],
            StartError::ConfigInvalid { errors, .. } => errors
                .iter()
                .map(|e| {
                    (
                        (!e.path.is_empty()).then(|| e.path.clone()),
                        e.message.clone(),
                    )
                })
                .collect(),
            StartError::Map(error) => vec![(None, error.to_string())],
        }
    }

    fn hint(&self) -> String {
        match self {
            StartError::ConfigUnreachable(_) => {
                "Check that config.json is served next to index.html, then reload the page.".into()
            }
            StartError::ConfigInvalid { source, .. } => {
                format!("Fix these keys in {source} (the README lists every key), then reload the page.")
            }
            StartError::Map(_) => {
                "Reload the page; if this persists, report it with the version below.".into()
            }
        }
    }

    /// The same report in the browser console, for operators reading logs.
    pub fn log(&self) {
        web_sys::console::error_1(&format!("meshmap: {self}").into());
    }
}

impl std::fmt::Display for StartError {
    /// The title and one line per problem (what the console and an embedding host get).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.title())?;
        for (path, message) in self.details() {
            match path {
                Some(path) => write!(f, "\n  {path}: {message}")?,
                None => write!(f, "\n  {message}")?,
            }
        }
        Ok(())
    }
}

#[component]
pub fn ErrorView(error: StartError) -> impl IntoView {
    let details = error.details();
    view! {
        <div class="meshmap-error" role="alert">
            <h1>{error.title()}</h1>
            <ul>
                {details
                    .into_iter()
                    .map(|(path, message)| {
                        view! {
                            <li>
                                {path.map(|p| view! { <code class="meshmap-error-path">{p}</code> ": " })}
                                <span class="meshmap-error-message">{message}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p class="meshmap-error-hint">{error.hint()}</p>
            <p class="meshmap-error-version">"meshmap " {BUILD_VERSION}</p>
        </div>
    }
}
