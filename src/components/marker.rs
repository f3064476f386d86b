//! A marker (Leaflet's pin) with an optional popup and tooltip, as components.

use leptos::html::Div;
use leptos::prelude::*;

use super::expect_map;

/// The marker a `<Popup>` or `<Tooltip>` is in.
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct MarkerRef {
    ready: RwSignal<bool>,
    #[cfg(target_arch = "wasm32")]
    handle: StoredValue<Option<crate::map::MarkerHandle>, LocalStorage>,
}

#[cfg(target_arch = "wasm32")]
impl MarkerRef {
    fn with<R>(&self, f: impl FnOnce(&crate::map::MarkerHandle) -> R) -> Option<R> {
        self.handle.try_with_value(|h| h.as_ref().map(f)).flatten()
    }
}

/// Leaflet's pin at `position` (latitude, longitude; a signal: it moves when that changes),
/// named `title` for screen readers and a Tab stop; its `<Popup>` opens on click or Enter.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// let position = RwSignal::new((38.72, -9.14));
/// view! { <MeshMap view>
///     <Marker position title="Lisbon">
///         <Popup><b>"Lisbon"</b>" (capital)"</Popup>
///         <Tooltip text="Lisbon" />
///     </Marker>
/// </MeshMap> }
/// # }
/// ```
#[component]
pub fn Marker(
    #[prop(into)] position: Signal<(f64, f64)>,
    #[prop(into)] title: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let map = expect_map("Marker");
    let marker = MarkerRef {
        ready: RwSignal::new(false),
        #[cfg(target_arch = "wasm32")]
        handle: StoredValue::new_local(None),
    };
    provide_context(marker);
    #[cfg(target_arch = "wasm32")]
    {
        Effect::new(move |_| {
            let (lat, lng) = position.get();
            if !map.ready.get() {
                return;
            }
            if !(lat.is_finite() && lng.is_finite()) {
                map.report(
                    &format!("<Marker> \"{title}\""),
                    &format!("({lat}, {lng}) is not a place"),
                );
                return;
            }
            if marker.with(|m| m.set_position(lat, lng)).is_none() {
                let Some(leaflet) = map.with(|handle| handle.leaflet().clone()) else {
                    return;
                };
                marker.handle.set_value(Some(crate::map::MarkerHandle::add(
                    &leaflet, lat, lng, &title,
                )));
                marker.ready.set(true);
            }
        });
        on_cleanup(move || {
            marker.ready.try_set(false);
            marker.handle.try_update_value(|h| h.take());
        });
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (map, position, title);
    children.map(|children| children())
}

/// What the marker's popup shows: any view. Rendered (hidden) with the page, shown in the popup
/// when it opens, and kept up to date by its signals meanwhile.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>, visitors: RwSignal<u32>) -> impl IntoView {
/// view! { <MeshMap view><Marker position=(0.0, 0.0) title="Null Island">
///     <Popup>"Visitors today: "{visitors}</Popup>
/// </Marker></MeshMap> }
/// # }
/// ```
#[component]
pub fn Popup(children: Children) -> impl IntoView {
    let content = NodeRef::<Div>::new();
    #[cfg(target_arch = "wasm32")]
    {
        let marker = use_context::<MarkerRef>()
            .unwrap_or_else(|| panic!("<Popup> must be inside a <Marker>"));
        Effect::new(move |_| {
            if let (true, Some(element)) = (marker.ready.get(), content.get()) {
                marker.with(|m| m.set_popup(Some(&element)));
            }
        });
        on_cleanup(move || {
            marker.with(|m| m.set_popup(None));
        });
    }
    view! {
        <div class="meshmap-popup-holder" style="display: none">
            <div class="meshmap-popup-content" node_ref=content>{children()}</div>
        </div>
    }
}

/// Text shown next to the marker while the pointer is over it (a signal; text, never HTML).
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// view! { <MeshMap view><Marker position=(0.0, 0.0) title="Null Island">
///     <Tooltip text="0°, 0°" />
/// </Marker></MeshMap> }
/// # }
/// ```
#[component]
pub fn Tooltip(#[prop(into)] text: Signal<String>) -> impl IntoView {
    #[cfg(target_arch = "wasm32")]
    {
        let marker = use_context::<MarkerRef>()
            .unwrap_or_else(|| panic!("<Tooltip> must be inside a <Marker>"));
        Effect::new(move |_| {
            let text = text.get();
            if marker.ready.get() {
                marker.with(|m| m.set_tooltip(Some(&text)));
            }
        });
        on_cleanup(move || {
            marker.with(|m| m.set_tooltip(None));
        });
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = text;
}
