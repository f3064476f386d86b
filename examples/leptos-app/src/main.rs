//! An app of your own with a meshmap map in it, written with meshmap's Leptos components: a form
//! chooses a continent, and the "Chosen" overlay follows it (the same layer, redrawn in place);
//! the view is a signal both ways (the form shows it, a button sets it).

#[cfg(target_arch = "wasm32")]
fn main() {
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("a browser app: `make example` builds and serves it (README: \"Using meshmap from Leptos\")");
}

#[cfg(target_arch = "wasm32")]
mod app {
    use leptos::prelude::*;
    use meshmap::components::*;
    use meshmap::config::Style;
    use meshmap::json::Json;
    use meshmap::view_hash::View;

    /// Natural Earth's countries (the app's sample data), in the wasm: no server needed.
    const COUNTRIES: &str = include_str!("../../../assets/data/countries.geojson");

    const CONTINENTS: [&str; 6] = [
        "Africa",
        "Asia",
        "Europe",
        "North America",
        "Oceania",
        "South America",
    ];

    /// The countries of `continent`, as GeoJSON text.
    fn countries_of(all: &Json, continent: &str) -> String {
        let features: Vec<Json> = all
            .get("features")
            .and_then(Json::as_array)
            .map(|features| {
                features
                    .iter()
                    .filter(|f| {
                        f.get("properties")
                            .and_then(|p| p.get("continent"))
                            .and_then(Json::as_str)
                            == Some(continent)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        Json::Object(vec![
            ("type".into(), Json::String("FeatureCollection".into())),
            ("features".into(), Json::Array(features)),
        ])
        .to_string()
    }

    #[component]
    pub fn App() -> impl IntoView {
        let all = Json::parse(COUNTRIES).unwrap_or(Json::Null);
        let continent = RwSignal::new("Europe".to_owned());
        let chosen = Memo::new(move |_| countries_of(&all, &continent.get()));
        let view = RwSignal::new(View {
            lat: 48.0,
            lng: 10.0,
            zoom: 3.0,
        });
        let clicked = RwSignal::new(String::new());
        let base_style = Style {
            color: "#9a9a8a".into(),
            weight: 0.8,
            fill_color: "#f2efe9".into(),
            fill_opacity: 1.0,
            ..Style::default()
        };
        let chosen_style = Style {
            color: "#1a56db".into(),
            weight: 1.5,
            fill_color: "#1a56db".into(),
            fill_opacity: 0.35,
            tooltip: Some("name".into()),
            ..Style::default()
        };
        let on_click = Callback::new(move |properties: Json| {
            let name = properties
                .get("name")
                .and_then(Json::as_str)
                .unwrap_or("?")
                .to_owned();
            clicked.set(name);
        });
        view! {
            <form on:submit=|e| e.prevent_default()>
                <h1 style="font-size: 1.2rem; margin: 0">"Countries by continent"</h1>
                <label>
                    "Continent"
                    <select on:change=move |e| continent.set(event_target_value(&e))>
                        {CONTINENTS
                            .iter()
                            .map(|c| view! { <option value=*c selected=*c == "Europe">{*c}</option> })
                            .collect_view()}
                    </select>
                </label>
                <output>
                    {move || {
                        let v = view.get();
                        format!("zoom {:.1} at {:.2}, {:.2}", v.zoom, v.lat, v.lng)
                    }}
                </output>
                <button type="button" on:click=move |_| view.set(View { lat: 38.72, lng: -9.14, zoom: 6.0 })>
                    "Go to Lisbon"
                </button>
                <output>{move || clicked.with(|c| if c.is_empty() { String::new() } else { format!("Clicked: {c}") })}</output>
            </form>
            <MeshMap view title="Countries by continent" on_click>
                <LayersControl>
                    <BaseLayer name="Countries" checked=true>
                        <GeoJson data=COUNTRIES.to_owned() style=base_style />
                    </BaseLayer>
                    <Overlay name="Chosen continent" checked=true>
                        <GeoJson data=chosen style=chosen_style />
                    </Overlay>
                </LayersControl>
                <Marker position=(38.72, -9.14) title="Lisbon">
                    <Popup><b>"Lisbon"</b>", where the tour starts"</Popup>
                    <Tooltip text="Lisbon" />
                </Marker>
                <ScaleControl />
                <FullscreenControl />
            </MeshMap>
        }
    }
}
