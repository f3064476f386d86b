//! A map and one GeoJSON layer, with leptos-leaflet 0.10 (it has no GeoJSON component: the
//! layer is Leaflet's `L.geoJSON`, which the `leaflet` crate does not export either: bound here,
//! added once the map exists).
use leptos::prelude::*;
use leptos_leaflet::leaflet;
use leptos_leaflet::prelude::*;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = L, js_name = geoJSON)]
    fn geo_json(data: &JsValue, options: &JsValue) -> leaflet::Layer;
}

#[component]
fn GeoJsonLayer() -> impl IntoView {
    let context = use_leaflet_context().expect("inside MapContainer");
    Effect::new(move |_| {
        if let Some(map) = context.map() {
            let data = js_sys::JSON::parse(include_str!("../../data.geojson.txt")).unwrap_or_default();
            let layer = geo_json(&data, &js_sys::Object::new());
            layer.add_to(&map);
        }
    });
}

fn main() {
    leptos::mount::mount_to_body(|| {
        view! {
            <MapContainer style="height: 400px" center=Position::new(5.0, 5.0) zoom=4.0>
                <GeoJsonLayer />
            </MapContainer>
        }
    });
}
