//! Issue 15: meshmap's Leptos components render on the server (the `ssr` feature) as the map's
//! placeholder, touching no browser API (there is none here: this runs natively), in the same
//! shape the browser renders and hydrates.
#![cfg(feature = "ssr")]

use leptos::prelude::*;
use meshmap::components::*;
use meshmap::view_hash::View;

#[path = "support/ssr_app.rs"]
mod ssr_app;

fn render(app: impl FnOnce() -> AnyView) -> String {
    let owner = Owner::new();
    owner.with(|| app().to_html())
}

#[test]
fn a_map_with_layers_markers_and_controls_renders_its_placeholder() {
    let html = render(|| {
        let view = RwSignal::new(View {
            lat: 38.7,
            lng: -9.1,
            zoom: 5.0,
        });
        let places = RwSignal::new(String::from(
            r#"{"type": "FeatureCollection", "features": []}"#,
        ));
        view! {
            <MeshMap view class="tall" style="height: 320px" title="Places">
                <TileLayer url="/tiles/{z}/{x}/{y}.png" attribution="Test" />
                <LayersControl>
                    <BaseLayer name="Countries" checked=true>
                        <VectorTiles url="/tiles/countries/{z}/{x}/{y}" />
                    </BaseLayer>
                    <Overlay name="Places" checked=true>
                        <GeoJson data=places />
                    </Overlay>
                </LayersControl>
                <Marker position=(38.72, -9.14) title="Lisbon">
                    <Popup><b>"Lisbon"</b>" (capital)"</Popup>
                    <Tooltip text="Lisbon" />
                </Marker>
                <ScaleControl />
                <FullscreenControl />
                <LocateControl />
            </MeshMap>
        }
        .into_any()
    });
    assert!(
        html.starts_with(
            r#"<div class="meshmap tall" style="height: 320px;"><div class="meshmap-map"></div>"#
        ),
        "{html}"
    );
    // The popup's content is rendered with the page, hidden until the marker's popup opens.
    assert!(
        html.contains(r#"<div class="meshmap-popup-holder" style="display: none;"><div class="meshmap-popup-content"><b>Lisbon</b> (capital)</div></div>"#),
        "{html}"
    );
    // Layers and controls render no element (only Leptos's hydration markers): the browser
    // adds them to the map.
    let elements = html
        .match_indices('<')
        .filter(|(at, _)| html[at + 1..].starts_with(|c: char| c.is_ascii_alphabetic()))
        .count();
    assert_eq!(
        elements, 5,
        "the map's two elements and the popup's only: {html}"
    );
    assert!(
        !html.contains("tiles") && !html.contains("script"),
        "{html}"
    );
}

#[test]
fn a_bare_map_is_its_placeholder_with_its_class() {
    let html = render(|| {
        let view = RwSignal::new(View {
            lat: 0.0,
            lng: 0.0,
            zoom: 2.0,
        });
        view! { <MeshMap view /> }.into_any()
    });
    assert!(
        html.starts_with(r#"<div class="meshmap"><div class="meshmap-map"></div>"#)
            && html.ends_with("</div>"),
        "{html}"
    );
}

#[test]
fn a_layer_outside_a_map_says_where_it_belongs() {
    let outcome =
        std::panic::catch_unwind(|| render(|| view! { <GeoJson data=String::new() /> }.into_any()));
    let message = outcome.expect_err("a GeoJson outside a map cannot work");
    let message = message
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(
        message.contains("<GeoJson> must be inside a <MeshMap>"),
        "{message}"
    );
}

/// The server's HTML for the app the browser tests hydrate (tests/web.rs), kept in
/// tests/fixtures/ssr/hydrated-map.html: this test fails when the components render
/// differently, and `MESHMAP_UPDATE_FIXTURES=1` writes the new HTML.
#[test]
fn the_hydration_fixture_is_what_the_server_renders() {
    let html = render(|| view! { <ssr_app::HydratedMap /> }.into_any());
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ssr/hydrated-map.html"
    );
    if std::env::var_os("MESHMAP_UPDATE_FIXTURES").is_some() {
        std::fs::write(path, &html).expect("write the fixture");
    }
    let fixture = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        html, fixture,
        "the server renders differently: MESHMAP_UPDATE_FIXTURES=1 cargo test --features ssr --test components_ssr"
    );
}
