//! A map and one GeoJSON layer, with meshmap's components.
use leptos::prelude::*;
use meshmap::components::{GeoJson, MeshMap};
use meshmap::view_hash::View;

fn main() {
    leptos::mount::mount_to_body(|| {
        let view = RwSignal::new(View { lat: 5.0, lng: 5.0, zoom: 4.0 });
        let data = include_str!("../../data.geojson.txt").to_owned();
        view! { <MeshMap view style="height: 400px"><GeoJson data /></MeshMap> }
    });
}
