//! The full-page app: mounts into `#meshmap`, reads `config.json` beside index.html and keeps the
//! view in the URL fragment. A page without `#meshmap` (a host page loading `embed.js`) gets no
//! full-page app: it mounts widgets through the embedding API instead.

#[cfg(target_arch = "wasm32")]
fn main() {
    use meshmap::ui::{AppOptions, ConfigSource};
    use wasm_bindgen::JsCast;

    meshmap::install_panic_hook();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let target = document
        .get_element_by_id("meshmap")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let Some(target) = target else { return };
    // The loading text in index.html stays until the app replaces it.
    target.set_text_content(None);
    let options = AppOptions {
        config: ConfigSource::Url("config.json".into()),
        sync_url_hash: true,
        hooks: None,
        send_version: true,
    };
    // The page lives as long as the app: keep it mounted for good.
    std::mem::forget(meshmap::mount(&target, options));
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("meshmap runs in the browser: build it with `trunk build` (see README.md)");
}
