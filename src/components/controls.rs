//! Controls as components: each shows while it is in the view.

use leptos::prelude::*;

use super::{expect_map, MapRef};

/// Shows a control while the component is in the view: `set(map, true)` once the map exists,
/// `set(map, false)` when the component leaves.
fn keep_control(map: MapRef, set: impl Fn(MapRef, bool) + Clone + Send + Sync + 'static) {
    #[cfg(target_arch = "wasm32")]
    {
        let show = set.clone();
        Effect::new(move |_| {
            if map.ready.get() {
                show(map, true);
            }
        });
        on_cleanup(move || set(map, false));
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (map, set);
}

/// The scale bar (metric and imperial), bottom left.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// view! { <MeshMap view><ScaleControl /></MeshMap> }
/// # }
/// ```
#[component]
pub fn ScaleControl() -> impl IntoView {
    keep_control(expect_map("ScaleControl"), |map, shown| {
        #[cfg(target_arch = "wasm32")]
        map.with(|handle| handle.set_scale(shown));
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (map, shown);
    });
}

/// A button that shows the map on the whole screen (and back).
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// view! { <MeshMap view><FullscreenControl /></MeshMap> }
/// # }
/// ```
#[component]
pub fn FullscreenControl() -> impl IntoView {
    keep_control(expect_map("FullscreenControl"), |map, shown| {
        #[cfg(target_arch = "wasm32")]
        map.with(|handle| {
            let mut wanted = handle.controls();
            wanted.fullscreen = shown;
            handle.set_controls(wanted);
        });
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (map, shown);
    });
}

/// A button that finds the user (the browser's Geolocation API) and shows where, and how
/// precisely; a refusal is explained on the map.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>) -> impl IntoView {
/// view! { <MeshMap view><LocateControl /></MeshMap> }
/// # }
/// ```
#[component]
pub fn LocateControl() -> impl IntoView {
    keep_control(expect_map("LocateControl"), |map, shown| {
        #[cfg(target_arch = "wasm32")]
        map.with(|handle| {
            let mut wanted = handle.controls();
            wanted.locate = shown;
            handle.set_controls(wanted);
        });
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (map, shown);
    });
}

/// A key to the overlays' colours (those in the layers control, with their styles), bottom
/// right; folded on small maps. It follows overlays coming and going.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use meshmap::components::*;
/// # use meshmap::view_hash::View;
/// # #[component] fn App(view: RwSignal<View>, places: Signal<String>) -> impl IntoView {
/// view! { <MeshMap view>
///     <LayersControl><Overlay name="Places" checked=true><GeoJson data=places /></Overlay></LayersControl>
///     <LegendControl />
/// </MeshMap> }
/// # }
/// ```
#[component]
pub fn LegendControl() -> impl IntoView {
    keep_control(expect_map("LegendControl"), |map, shown| {
        #[cfg(target_arch = "wasm32")]
        map.with(|handle| {
            let mut wanted = handle.controls();
            wanted.legend = shown;
            handle.set_controls(wanted);
        });
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (map, shown);
    });
}
