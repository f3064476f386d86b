//! Mounting the app into an element of the host page, and the last line of defence for panics.

use std::sync::Once;

use leptos::mount::mount_to;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use crate::ui::{App, AppOptions};

/// A mounted app. Dropping it unmounts the app: the map, its listeners and pending fetches go too.
pub struct Mounted {
    _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

/// Mounts the app into `element` (not necessarily `<body>`); several may live on one page.
/// The entry point installs the panic hook ([`install_panic_hook`]), not this: a host page or a
/// test harness may have its own.
pub fn mount(element: &HtmlElement, options: AppOptions) -> Mounted {
    let handle = mount_to(element.clone(), move || {
        view! { <App options /> }.into_any()
    });
    Mounted { _handle: handle }
}

/// Logs panics with their message (console_error_panic_hook) and, since a panicked wasm module
/// cannot render any more, puts a visible message on the page instead of leaving it blank.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            console_error_panic_hook::hook(info);
            show_crash_notice();
        }));
    });
}

fn show_crash_notice() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else { return };
    let Ok(notice) = document.create_element("div") else {
        return;
    };
    notice.set_class_name("meshmap-crash");
    let _ = notice.set_attribute("role", "alert");
    notice.set_text_content(Some(
        "meshmap stopped because of an internal error (details are in the browser console). Reload the page to start again.",
    ));
    if let Some(element) = notice.dyn_ref::<HtmlElement>() {
        let _ = body.append_child(element);
    }
}
