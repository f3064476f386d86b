//! Leptos alone: an element and a signal, the floor under both map apps.
use leptos::prelude::*;

fn main() {
    leptos::mount::mount_to_body(|| {
        let count = RwSignal::new(0);
        view! { <button on:click=move |_| count.update(|n| *n += 1)>{count}</button> }
    });
}
