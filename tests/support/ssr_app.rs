// The Leptos app that tests/components_ssr.rs renders on the server and tests/web.rs hydrates
// in the browser: the same code on both sides, as in a real app.

use leptos::prelude::*;
use meshmap::components::*;
use meshmap::view_hash::View;

/// Two countries as GeoJSON text.
pub const LANDS: &str = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"name": "Westland"}, "geometry": {"type": "Polygon", "coordinates": [[[-20, -10], [0, -10], [0, 10], [-20, 10], [-20, -10]]]}},
  {"type": "Feature", "properties": {"name": "Eastland"}, "geometry": {"type": "Polygon", "coordinates": [[[5, -10], [25, -10], [25, 10], [5, 10], [5, -10]]]}}
]}"#;

#[component]
pub fn HydratedMap() -> impl IntoView {
    let view = RwSignal::new(View {
        lat: 0.0,
        lng: 0.0,
        zoom: 3.0,
    });
    view! {
        <MeshMap view title="Hydrated map" style="width: 640px; height: 400px">
            <LayersControl>
                <Overlay name="Lands" checked=true>
                    <GeoJson data=LANDS.to_owned() />
                </Overlay>
            </LayersControl>
            <Marker position=(0.0, 2.5) title="Between">
                <Popup>"Between the lands"</Popup>
            </Marker>
            <ScaleControl />
        </MeshMap>
    }
}
