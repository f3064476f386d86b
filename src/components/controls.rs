//! Controls as components: each shows while it is in the view.

use leptos::prelude::*;

use super::expect_map;
use crate::config::Controls;

/// A control a component shows: the scale bar, or one of the optional controls (config.json's
/// `controls`), named by the function that switches it in [`Controls`].
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
enum Control {
    Scale,
    Optional(fn(&mut Controls, bool)),
}

/// Shows `control` once the map exists, and hides it when the component leaves the view.
fn keep_control(component: &str, control: Control) {
    let map = expect_map(component);
    #[cfg(target_arch = "wasm32")]
    {
        let show = move |shown: bool| {
            map.with(|handle| match control {
                Control::Scale => handle.set_scale(shown),
                Control::Optional(switch) => {
                    let mut wanted = handle.controls();
                    switch(&mut wanted, shown);
                    handle.set_controls(wanted);
                }
            });
        };
        Effect::new(move |_| {
            if map.ready.get() {
                show(true);
            }
        });
        on_cleanup(move || show(false));
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (map, control);
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
    keep_control("ScaleControl", Control::Scale);
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
    keep_control(
        "FullscreenControl",
        Control::Optional(|c, on| c.fullscreen = on),
    );
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
    keep_control("LocateControl", Control::Optional(|c, on| c.locate = on));
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
    keep_control("LegendControl", Control::Optional(|c, on| c.legend = on));
}
