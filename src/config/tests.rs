use super::*;
use crate::retry::RetryPolicy;
use serde_json::{json, Value};

/// The configs are written with serde_json's `json!` (and edited with its JSON pointers) for
/// readability, then read as the app reads them.
fn from_value(value: &Value) -> Result<Config, Vec<ConfigError>> {
    Config::from_value(&Json::parse(&value.to_string()).unwrap())
}

fn style_from(value: &Value) -> Result<Style, String> {
    Style::from_value(&Json::parse(&value.to_string()).unwrap())
}

fn minimal() -> Value {
    json!({
        "view": {"center": [20, 0], "zoom": 2},
        "baseLayers": [{"name": "OSM", "url": "https://tile.example.org/{z}/{x}/{y}.png"}]
    })
}

fn errors_of(value: Value) -> Vec<ConfigError> {
    from_value(&value).expect_err("config should be rejected")
}

/// Asserts that validation fails with an error at `path` whose message contains `needle`.
fn assert_error(value: Value, path: &str, needle: &str) {
    let errors = errors_of(value);
    assert!(
        errors
            .iter()
            .any(|e| e.path == path && e.message.contains(needle)),
        "expected an error at {path:?} containing {needle:?}, got {errors:#?}"
    );
}

/// `base` with the value at a JSON pointer replaced or, in an object, added.
fn with(mut base: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match base
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"))
    {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
        other => panic!("{parent} is {other}"),
    }
    base
}

fn with_overlay(overlay: Value) -> Value {
    let mut config = minimal();
    config["overlays"] = json!([overlay]);
    config
}

#[test]
fn minimal_config_gets_defaults() {
    let config = from_value(&minimal()).unwrap();
    assert_eq!(config.view.center, (20.0, 0.0));
    assert_eq!(
        (config.view.zoom, config.view.min_zoom, config.view.max_zoom),
        (2.0, 0.0, 18.0)
    );
    assert_eq!(config.versions, vec!["stable", "canary"]);
    assert_eq!(config.title, "Map");
    assert_eq!(config.controls, Controls::default());
    assert!(config.overlays.is_empty() && config.first_party_origins.is_empty());
    let BaseSource::Tiles { url, subdomains } = &config.base_layers[0].source else {
        panic!()
    };
    assert_eq!(url, "https://tile.example.org/{z}/{x}/{y}.png");
    assert_eq!(subdomains, &["a", "b", "c"]);
}

#[test]
fn full_config_reads_every_key() {
    let config = from_value(&json!({
        "title": "Sydney <b>and</b> around",
        "controls": {"fullscreen": true, "legend": true},
        "view": {"center": [-33.9, 151.2], "zoom": 5, "minZoom": 1, "maxZoom": 12},
        "versions": ["blue", "green"],
        "firstPartyOrigins": ["https://tiles.example.com"],
        "baseLayers": [
            {"name": "Countries", "type": "geojson", "url": "data/countries.geojson",
             "attribution": "Natural Earth", "attributionUrl": "https://www.naturalearthdata.com/",
             "style": {"color": "#777", "fillColor": "rgb(240, 240, 230)", "fillOpacity": 1}},
            {"name": "Tiles", "url": "/tiles/{z}/{x}/{-y}.png", "minZoom": 2, "maxZoom": 10, "subdomains": ["x"]}
        ],
        "overlays": [
            {"name": "Places", "type": "geojson", "url": "data/places.geojson", "visible": false,
             "renderer": "canvas", "style": {"color": "red", "radius": 4, "weight": 1, "opacity": 0.5, "tooltip": "name"}},
            {"name": "Inline", "type": "geojson", "data": {"type": "Point", "coordinates": [0, 0]}}
        ],
        "someFutureKey": {"anything": true}
    }))
    .unwrap();
    assert_eq!(config.view.center, (-33.9, 151.2));
    assert_eq!(config.title, "Sydney <b>and</b> around");
    assert_eq!(
        config.controls,
        Controls {
            fullscreen: true,
            locate: false,
            legend: true
        }
    );
    assert_eq!(config.versions, vec!["blue", "green"]);
    assert_eq!(
        config.first_party_origins,
        vec!["https://tiles.example.com"]
    );
    let countries = &config.base_layers[0];
    let BaseSource::GeoJson { data, style } = &countries.source else {
        panic!()
    };
    assert_eq!(data, &DataSource::Url("data/countries.geojson".into()));
    assert_eq!(
        (
            style.color.as_str(),
            style.fill_color.as_str(),
            style.fill_opacity
        ),
        ("#777", "rgb(240, 240, 230)", 1.0)
    );
    assert_eq!(
        countries.attribution.url.as_deref(),
        Some("https://www.naturalearthdata.com/")
    );
    assert_eq!(
        (
            config.base_layers[1].min_zoom,
            config.base_layers[1].max_zoom
        ),
        (2.0, 10.0)
    );
    let places = &config.overlays[0];
    assert!(!places.visible);
    assert_eq!(places.renderer, Renderer::Canvas);
    assert_eq!(
        (places.style.radius, places.style.fill_color.as_str()),
        (4.0, "red")
    );
    assert_eq!(places.style.tooltip.as_deref(), Some("name"));
    assert_eq!(config.overlays[1].style.tooltip, None);
    assert!(config.overlays[1].visible);
    assert!(matches!(
        config.overlays[1].data,
        OverlayData::GeoJson(DataSource::Inline(_))
    ));
}

#[test]
fn not_json_names_line_and_column() {
    let errors = Config::from_json("{\n  \"view\": ,\n}").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].message,
        "config.json is not valid JSON: expected a JSON value at line 2, column 11"
    );
}

#[test]
fn top_level_must_be_an_object() {
    assert_error(json!([1]), "", "expected an object, found an array");
    assert_error(json!(null), "", "expected an object, found null");
}

#[test]
fn missing_sections() {
    assert_error(json!({"baseLayers": []}), "view", "is required");
    assert_error(
        json!({"view": {"center": [0, 0], "zoom": 1}}),
        "baseLayers",
        "is required",
    );
    assert_error(
        with(minimal(), "/baseLayers", json!([])),
        "baseLayers",
        "at least one",
    );
    assert_error(
        with(minimal(), "/view", json!({"zoom": 1})),
        "view.center",
        "is required",
    );
    assert_error(
        with(minimal(), "/view", json!({"center": [0, 0]})),
        "view.zoom",
        "is required",
    );
}

#[test]
fn wrong_types_name_their_key() {
    assert_error(
        with(minimal(), "/view", json!("0,0")),
        "view",
        "expected an object, found the string \"0,0\"",
    );
    assert_error(
        with(minimal(), "/view/zoom", json!("2")),
        "view.zoom",
        "expected a number, found the string \"2\"",
    );
    assert_error(
        with(minimal(), "/view/center", json!({"lat": 1})),
        "view.center",
        "expected an array",
    );
    assert_error(
        with(minimal(), "/view/center/1", json!(true)),
        "view.center[1]",
        "expected a number, found true",
    );
    assert_error(
        with(minimal(), "/baseLayers", json!({})),
        "baseLayers",
        "expected an array",
    );
    assert_error(
        with(minimal(), "/baseLayers/0/name", json!(7)),
        "baseLayers[0].name",
        "expected a string",
    );
    assert_error(
        with(minimal(), "/baseLayers/0", json!("osm")),
        "baseLayers[0]",
        "expected an object",
    );
    assert_error(
        with_overlay(json!({"name": "a", "type": "geojson", "url": "x", "visible": "yes"})),
        "overlays[0].visible",
        "true or false",
    );
    assert_error(
        with_overlay(json!({"name": "a", "type": "geojson", "url": "x", "style": []})),
        "overlays[0].style",
        "expected an object",
    );
    assert_error(
        with_overlay(json!({"name": "a", "type": "geojson", "data": "x"})),
        "overlays[0].data",
        "GeoJSON object",
    );
    assert_error(
        with(minimal(), "/baseLayers/0/subdomains", json!("abc")),
        "baseLayers[0].subdomains",
        "expected an array",
    );
}

#[test]
fn ranges() {
    assert_error(
        with(minimal(), "/view/center/0", json!(95)),
        "view.center[0]",
        "latitude 95 is out of range -90..90",
    );
    assert_error(
        with(minimal(), "/view/center/0", json!(-90.5)),
        "view.center[0]",
        "out of range",
    );
    assert_error(
        with(minimal(), "/view/center/1", json!(181)),
        "view.center[1]",
        "longitude 181 is out of range",
    );
    assert_error(
        with(minimal(), "/view/center", json!([1, 2, 3])),
        "view.center",
        "[latitude, longitude]",
    );
    assert_error(
        with(minimal(), "/view/zoom", json!(30)),
        "view.zoom",
        "zoom 30 is out of range 0..24",
    );
    assert_error(
        with(minimal(), "/view/zoom", json!(-1)),
        "view.zoom",
        "out of range",
    );
    let mut config = minimal();
    config["view"]["maxZoom"] = json!(5);
    config["view"]["zoom"] = json!(7);
    assert_error(config, "view.zoom", "outside minZoom..maxZoom");
    let mut config = minimal();
    config["view"]["minZoom"] = json!(6);
    config["view"]["maxZoom"] = json!(5);
    assert_error(config, "view.minZoom", "above maxZoom");
    assert_error(
        with(minimal(), "/baseLayers/0/maxZoom", json!(99)),
        "baseLayers[0].maxZoom",
        "out of range",
    );
    assert_error(
        with_overlay(
            json!({"name": "a", "type": "geojson", "url": "x", "style": {"fillOpacity": 2}}),
        ),
        "overlays[0].style.fillOpacity",
        "out of range 0..1",
    );
    assert_error(
        with_overlay(json!({"name": "a", "type": "geojson", "url": "x", "style": {"radius": -1}})),
        "overlays[0].style.radius",
        "out of range",
    );
}

#[test]
fn the_embedding_api_switches_controls_on_and_off() {
    let changes = |v: Value| Json::parse(&v.to_string()).unwrap();
    let start = Controls {
        fullscreen: true,
        locate: false,
        legend: false,
    };
    assert_eq!(
        start.with_changes(&changes(json!({"fullscreen": false, "legend": true}))),
        Ok(Controls {
            fullscreen: false,
            locate: false,
            legend: true
        })
    );
    assert_eq!(start.with_changes(&changes(json!({}))), Ok(start));
    for (bad, message) in [
        (
            json!({"compass": true}),
            "controls.compass: unknown control",
        ),
        (
            json!({"locate": 1}),
            "controls.locate: expected true or false, found the number 1",
        ),
        (json!(["legend"]), "controls must be an object"),
    ] {
        let error = start.with_changes(&changes(bad)).unwrap_err();
        assert!(error.starts_with(message), "{error}");
    }
}

#[test]
fn markers_are_circles_pins_or_icons() {
    let marker = |style: Value| {
        from_value(&with_overlay(
            json!({"name": "a", "type": "geojson", "url": "x", "style": style}),
        ))
        .map(|c| c.overlays[0].style.marker.clone())
    };
    assert_eq!(marker(json!({"marker": "pin"})), Ok(Marker::Pin));
    assert_eq!(marker(json!({"marker": "circle"})), Ok(Marker::Circle));
    assert_eq!(marker(json!({})), Ok(Marker::Circle));
    assert_eq!(
        marker(json!({"marker": "icon", "icon": "images/bus.svg", "iconSize": [24, 30]})),
        Ok(Marker::Icon(Icon {
            url: Some("images/bus.svg".into()),
            property: None,
            size: (24.0, 30.0)
        }))
    );
    assert_eq!(
        marker(json!({"marker": "icon", "iconProperty": "symbol"})),
        Ok(Marker::Icon(Icon {
            url: None,
            property: Some("symbol".into()),
            size: (32.0, 32.0)
        }))
    );
    for (style, path, message) in [
        (
            json!({"marker": "star"}),
            "overlays[0].style.marker",
            "unknown marker \"star\"; expected \"circle\", \"pin\" or \"icon\"",
        ),
        (
            json!({"marker": "icon"}),
            "overlays[0].style.marker",
            "an \"icon\" marker needs",
        ),
        (
            json!({"marker": "icon", "icon": "javascript:alert(1)"}),
            "overlays[0].style.icon",
            "must be an http(s) or relative URL",
        ),
        (
            json!({"marker": "icon", "icon": "a.png", "iconSize": [0, 10]}),
            "overlays[0].style.iconSize",
            "expected [width, height]",
        ),
        (
            json!({"marker": "icon", "icon": "a.png", "iconSize": 10}),
            "overlays[0].style.iconSize",
            "expected [width, height]",
        ),
    ] {
        assert_error(
            with_overlay(json!({"name": "a", "type": "geojson", "url": "x", "style": style})),
            path,
            message,
        );
    }
}

#[test]
fn a_features_own_icon_wins_when_it_is_a_web_url() {
    let icon = Icon {
        url: Some("layer.png".into()),
        property: Some("icon".into()),
        size: (32.0, 32.0),
    };
    let props = |v: Value| Json::parse(&json!({"icon": v}).to_string()).unwrap();
    assert_eq!(
        icon.url_for(&props(json!("https://x.example/bus.png")))
            .as_deref(),
        Some("https://x.example/bus.png")
    );
    assert_eq!(
        icon.url_for(&props(json!("img/tram.svg"))).as_deref(),
        Some("img/tram.svg")
    );
    for not_a_web_url in [
        json!("javascript:alert(1)"),
        json!("data:image/png;base64,AAAA"),
        json!(""),
        json!(7),
        Value::Null,
    ] {
        assert_eq!(
            icon.url_for(&props(not_a_web_url.clone())).as_deref(),
            Some("layer.png"),
            "{not_a_web_url}"
        );
    }
    let no_layer_icon = Icon { url: None, ..icon };
    assert_eq!(no_layer_icon.url_for(&props(json!("javascript:x"))), None);
}

#[test]
fn controls_are_true_or_false() {
    assert_error(
        with(minimal(), "/controls", json!({"locate": "yes"})),
        "controls.locate",
        "expected true or false",
    );
    assert_error(
        with(minimal(), "/controls", json!(["fullscreen"])),
        "controls",
        "expected an object",
    );
}

#[test]
fn empty_names() {
    assert_error(
        with(minimal(), "/title", json!(" ")),
        "title",
        "must not be empty",
    );
    assert_error(
        with(minimal(), "/title", json!(7)),
        "title",
        "expected a string",
    );
    assert_error(
        with(minimal(), "/baseLayers/0/name", json!("")),
        "baseLayers[0].name",
        "must not be empty",
    );
    assert_error(
        with(minimal(), "/baseLayers/0/name", json!("   ")),
        "baseLayers[0].name",
        "must not be empty",
    );
    assert_error(
        with_overlay(json!({"name": "", "type": "geojson", "url": "x"})),
        "overlays[0].name",
        "must not be empty",
    );
    assert_error(
        with_overlay(json!({"type": "geojson", "url": "x"})),
        "overlays[0].name",
        "is required",
    );
}

#[test]
fn unknown_types() {
    assert_error(
        with_overlay(json!({"name": "a", "type": "kml", "url": "x"})),
        "overlays[0].type",
        "unknown overlay type \"kml\"",
    );
    assert_error(
        with_overlay(json!({"name": "a", "url": "x"})),
        "overlays[0].type",
        "is required",
    );
    assert_error(
        with(minimal(), "/baseLayers/0/type", json!("wms")),
        "baseLayers[0].type",
        "unknown base layer type",
    );
    assert_error(
        with_overlay(json!({"name": "a", "type": "geojson", "url": "x", "renderer": "webgl"})),
        "overlays[0].renderer",
        "unknown renderer",
    );
}

#[test]
fn data_sources() {
    assert_error(
        with_overlay(json!({"name": "a", "type": "geojson"})),
        "overlays[0].url",
        "is required",
    );
    assert_error(
        with_overlay(json!({"name": "a", "type": "geojson", "url": "x", "data": {}})),
        "overlays[0].url",
        "not both",
    );
    assert_error(
        with_overlay(json!({"name": "a", "type": "geojson", "url": " "})),
        "overlays[0].url",
        "must not be empty",
    );
}

#[test]
fn tile_templates() {
    for (url, needle) in [
        ("https://t.example/{x}/{y}.png", "needs {z}"),
        ("https://t.example/{z}/{y}.png", "needs {x}"),
        ("https://t.example/{z}/{x}.png", "needs {y}"),
        (
            "https://t.example/{z}/{x}/{y}/{lang}.png",
            "unknown placeholder {lang}",
        ),
        ("https://t.example/{z}/{x}/{y}/{s.png", "unclosed"),
        ("javascript://{z}/{x}/{y}", "http://, https:// or relative"),
    ] {
        assert_error(
            with(minimal(), "/baseLayers/0/url", json!(url)),
            "baseLayers[0].url",
            needle,
        );
    }
    for ok in [
        "/tiles/{z}/{x}/{y}.png",
        "https://{s}.t.example/{z}/{x}/{-y}{r}.png",
    ] {
        assert!(
            from_value(&with(minimal(), "/baseLayers/0/url", json!(ok))).is_ok(),
            "{ok}"
        );
    }
}

#[test]
fn colours() {
    for bad in [
        "#12",
        "#ggg",
        "red;background:url(x)",
        "expression(alert(1))",
        "rgb(1,2,3",
        "",
    ] {
        assert_error(
            with_overlay(
                json!({"name": "a", "type": "geojson", "url": "x", "style": {"color": bad}}),
            ),
            "overlays[0].style.color",
            "not a CSS colour",
        );
    }
    for good in [
        "#abc",
        "#aabbcc",
        "#aabbcc80",
        "teal",
        "rgba(0, 0, 0, 0.5)",
        "hsl(120, 50%, 50%)",
    ] {
        assert!(
            from_value(&with_overlay(
                json!({"name": "a", "type": "geojson", "url": "x", "style": {"color": good}})
            ))
            .is_ok(),
            "{good}"
        );
    }
}

#[test]
fn versions_and_origins() {
    assert_error(
        with(minimal(), "/view", json!({"center": [0, 0], "zoom": 1}))
            .tap(|c| c["versions"] = json!(["stable", ""])),
        "versions[1]",
        "must not be empty",
    );
    assert_error(
        minimal().tap(|c| c["versions"] = json!(["can ary"])),
        "versions[0]",
        "only letters",
    );
    assert_error(
        minimal().tap(|c| c["versions"] = json!("stable")),
        "versions",
        "expected an array",
    );
    assert_error(
        minimal().tap(|c| c["firstPartyOrigins"] = json!(["tiles.example.com"])),
        "firstPartyOrigins[0]",
        "not a URL",
    );
    assert_error(
        minimal().tap(|c| c["firstPartyOrigins"] = json!(["https://t.example/tiles"])),
        "firstPartyOrigins[0]",
        "has a path",
    );
    assert_error(
        minimal().tap(|c| c["firstPartyOrigins"] = json!(["ftp://t.example"])),
        "firstPartyOrigins[0]",
        "not an http(s) origin",
    );
}

#[test]
fn all_errors_are_reported_at_once() {
    let errors = errors_of(json!({
        "view": {"center": [100, 0], "zoom": 40},
        "baseLayers": [{"name": ""}],
        "overlays": [{"name": "x", "type": "shapefile", "url": "y"}]
    }));
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    for expected in [
        "view.center[0]",
        "view.zoom",
        "baseLayers[0].name",
        "baseLayers[0].url",
        "overlays[0].type",
    ] {
        assert!(paths.contains(&expected), "missing {expected} in {paths:?}");
    }
}

#[test]
fn attribution_is_escaped_html() {
    let plain = Attribution {
        text: "<b>Me</b> & co".into(),
        url: None,
    };
    assert_eq!(plain.to_html(), "&lt;b&gt;Me&lt;/b&gt; &amp; co");
    let linked = Attribution {
        text: "OSM".into(),
        url: Some("https://osm.org/copyright?a=1&b=\"2\"".into()),
    };
    assert_eq!(
        linked.to_html(),
        "<a href=\"https://osm.org/copyright?a=1&amp;b=&quot;2&quot;\" target=\"_blank\" rel=\"noopener noreferrer\">OSM</a>"
    );
    assert_error(
        minimal().tap(|c| c["baseLayers"][0]["attributionUrl"] = json!("javascript:alert(1)")),
        "baseLayers[0].attributionUrl",
        "http",
    );
}

#[test]
fn shipped_config_is_valid_and_offline() {
    let text = include_str!("../../assets/config.json");
    let config = Config::from_json(text).unwrap_or_else(|e| panic!("assets/config.json: {e:?}"));
    assert!(!config.base_layers.is_empty() && !config.overlays.is_empty());
    // The default base map is the database's countries, as vector tiles through the gateway.
    let BaseSource::Vector { url, .. } = &config.base_layers[0].source else {
        panic!("vector base map")
    };
    assert_eq!(url, "tiles/countries/{z}/{x}/{y}");
    assert_eq!(
        config.tiles.as_ref().map(|t| t.catalog_url()).as_deref(),
        Some("tiles/catalog")
    );
    let value: Value = serde_json::from_str(text).unwrap();
    let mut urls = Vec::new();
    collect_urls(&value, &mut urls);
    for url in urls {
        assert!(
            !url.contains("://"),
            "the shipped config must name no internet URL, found {url}"
        );
    }
}

fn collect_urls(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::String(s) if key == "url" => out.push(s.clone()),
                    _ => collect_urls(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_urls(v, out)),
        _ => {}
    }
}

trait Tap {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl Tap for Value {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

fn with_tiles(mut config: Value) -> Value {
    config["tiles"] = json!({"url": "tiles/"});
    config
}

#[test]
fn vector_layers_resolve_sources_on_the_tile_server() {
    let mut config = with_tiles(minimal());
    config["tiles"] = json!({
        "url": "https://tiles.example.com/martin/",
        "catalog": false,
        "styles": {"places": {"color": "#c0392b", "label": "name", "labelMinZoom": 3}},
        "retry": {"attempts": 3, "baseDelayMs": 100, "maxDelayMs": 2000}
    });
    config["baseLayers"] = json!([{"name": "Countries", "type": "vector", "source": "countries", "style": {"fillColor": "#eee"}}]);
    config["overlays"] = json!([
        {"name": "Big", "type": "vector", "source": "countries_by_population", "query": "min_pop=100000000"},
        {"name": "Other", "type": "vector", "url": "/other/{z}/{x}/{y}.pbf", "visible": false}
    ]);
    let config = from_value(&config).expect("valid");
    let tiles = config.tiles.as_ref().expect("tiles");
    assert!(!tiles.catalog);
    assert_eq!(
        tiles.catalog_url(),
        "https://tiles.example.com/martin/catalog"
    );
    assert_eq!(
        tiles.retry,
        RetryPolicy {
            attempts: 3,
            base_delay_ms: 100,
            max_delay_ms: 2000
        }
    );
    let places = tiles.style_for("places");
    assert_eq!(
        (
            places.label.as_deref(),
            places.label_min_zoom,
            places.color.as_str()
        ),
        (Some("name"), 3.0, "#c0392b")
    );
    assert_eq!(tiles.style_for("unknown"), Style::default());
    let BaseSource::Vector { url, style } = &config.base_layers[0].source else {
        panic!("vector base")
    };
    assert_eq!(
        url,
        "https://tiles.example.com/martin/countries/{z}/{x}/{y}"
    );
    assert_eq!(style.fill_color, "#eee");
    assert_eq!(
        config.overlays[0].data,
        OverlayData::Vector { url: "https://tiles.example.com/martin/countries_by_population/{z}/{x}/{y}?min_pop=100000000".into() }
    );
    assert_eq!(
        config.overlays[1].data,
        OverlayData::Vector {
            url: "/other/{z}/{x}/{y}.pbf".into()
        }
    );
}

#[test]
fn tile_server_defaults() {
    let config = from_value(&with_tiles(minimal())).expect("valid");
    let tiles = config.tiles.expect("tiles");
    assert!(tiles.catalog && tiles.styles.is_empty());
    assert_eq!(tiles.retry, RetryPolicy::default());
    assert_eq!(tiles.catalog_url(), "tiles/catalog");
    assert!(from_value(&minimal()).expect("valid").tiles.is_none());
}

#[test]
fn bad_vector_and_tile_server_settings_name_their_key() {
    let vector = |layer: Value| with_overlay(layer);
    assert_error(
        vector(json!({"name": "a", "type": "vector", "source": "places"})),
        "overlays[0].source",
        "\"tiles\"",
    );
    assert_error(
        with_tiles(vector(json!({"name": "a", "type": "vector"}))),
        "overlays[0].source",
        "is required",
    );
    assert_error(
        with_tiles(vector(
            json!({"name": "a", "type": "vector", "source": "a/b"}),
        )),
        "overlays[0].source",
        "not a source id",
    );
    assert_error(
        with_tiles(vector(
            json!({"name": "a", "type": "vector", "source": "a", "url": "/t/{z}/{x}/{y}"}),
        )),
        "overlays[0].url",
        "not both",
    );
    assert_error(
        with_tiles(vector(
            json!({"name": "a", "type": "vector", "url": "/t/{z}/{x}"}),
        )),
        "overlays[0].url",
        "{y}",
    );
    assert_error(
        with_tiles(vector(
            json!({"name": "a", "type": "vector", "source": "a", "query": "x#y"}),
        )),
        "overlays[0].query",
        "plain query",
    );
    assert_error(
        vector(json!({"name": "a", "type": "raster", "url": "x"})),
        "overlays[0].type",
        "\"vector\", \"points\" or \"live\"",
    );
    let mut config = minimal();
    config["tiles"] = json!({"url": "tiles/?x=1"});
    assert_error(config.clone(), "tiles.url", "plain http(s)");
    config["tiles"] = json!({});
    assert_error(config.clone(), "tiles.url", "is required");
    config["tiles"] = json!({"url": "t/", "styles": {"places": {"color": "nope!"}}, "retry": {"attempts": 0, "maxDelayMs": 20, "baseDelayMs": 50}});
    assert_error(
        config.clone(),
        "tiles.styles.places.color",
        "not a CSS colour",
    );
    assert_error(config.clone(), "tiles.retry.attempts", "out of range 1..10");
    assert_error(
        config.clone(),
        "tiles.retry.maxDelayMs",
        "below baseDelayMs",
    );
    config["tiles"] = json!({"url": "t/", "styles": [], "catalog": "yes"});
    assert_error(config.clone(), "tiles.styles", "by source id");
    assert_error(config, "tiles.catalog", "true or false");
    assert_error(
        with_tiles(with(
            minimal(),
            "/baseLayers/0",
            json!({"name": "v", "type": "vector", "source": "c", "style": {"label": ""}}),
        )),
        "baseLayers[0].style.label",
        "must not be empty",
    );
}

#[test]
fn relative_urls_resolve_against_the_configs_own_url() {
    let mut config = Config::from_json(include_str!("../../assets/config.json")).expect("valid");
    config.overlays.push(Overlay {
        name: "Absolute".into(),
        data: OverlayData::GeoJson(DataSource::Url("https://other.example/x.geojson".into())),
        visible: true,
        style: Style::default(),
        renderer: Renderer::Svg,
        attribution: Attribution::default(),
    });
    config
        .resolve_against("https://maps.example.com/app/config.json")
        .expect("absolute base");
    let BaseSource::Vector { url, .. } = &config.base_layers[0].source else {
        panic!()
    };
    assert_eq!(
        url,
        "https://maps.example.com/app/tiles/countries/{z}/{x}/{y}"
    );
    let BaseSource::GeoJson { data, .. } = &config.base_layers[1].source else {
        panic!()
    };
    assert_eq!(
        data,
        &DataSource::Url("https://maps.example.com/app/data/countries.geojson".into())
    );
    assert_eq!(
        config.tiles.as_ref().map(|t| t.catalog_url()).as_deref(),
        Some("https://maps.example.com/app/tiles/catalog")
    );
    let absolute = config
        .overlays
        .iter()
        .find(|o| o.name == "Absolute")
        .expect("pushed");
    assert_eq!(
        absolute.data,
        OverlayData::GeoJson(DataSource::Url("https://other.example/x.geojson".into()))
    );
    let clustered = config
        .overlays
        .iter()
        .find(|o| o.name == "Places (clustered)")
        .expect("shipped");
    assert!(matches!(
        &clustered.data,
        OverlayData::Points { data: DataSource::Url(url), cluster: Some(_), .. }
            if url == "https://maps.example.com/app/data/places.geojson"
    ));
    assert_eq!(config.first_party_origins, vec!["https://maps.example.com"]);
    // Root-relative and parent paths, and a page on the same origin: nothing changes in effect.
    let mut config = from_value(&json!({
        "view": {"center": [0, 0], "zoom": 1},
        "baseLayers": [{"name": "t", "url": "/tiles/{z}/{x}/{-y}.png"}, {"name": "g", "type": "geojson", "url": "../data/a.geojson"}],
        "firstPartyOrigins": ["http://127.0.0.1:8080"]
    }))
    .expect("valid");
    config
        .resolve_against("http://127.0.0.1:8080/app/config.json")
        .expect("base");
    let BaseSource::Tiles { url, .. } = &config.base_layers[0].source else {
        panic!()
    };
    assert_eq!(url, "http://127.0.0.1:8080/tiles/{z}/{x}/{-y}.png");
    let BaseSource::GeoJson { data, .. } = &config.base_layers[1].source else {
        panic!()
    };
    assert_eq!(
        data,
        &DataSource::Url("http://127.0.0.1:8080/data/a.geojson".into())
    );
    assert_eq!(config.first_party_origins, vec!["http://127.0.0.1:8080"]);
    assert!(config.resolve_against("config.json").is_err());
}

#[test]
fn styles_from_a_host_are_checked_like_config_styles() {
    let style = style_from(&json!({"color": "#c00", "weight": 3, "label": "name"})).expect("valid");
    assert_eq!(
        (
            style.color.as_str(),
            style.fill_color.as_str(),
            style.weight
        ),
        ("#c00", "#c00", 3.0)
    );
    assert_eq!(style.label.as_deref(), Some("name"));
    let error = style_from(&json!({"color": "javascript:alert(1)", "opacity": 4})).unwrap_err();
    assert!(
        error.contains("color: \"javascript:alert(1)\" is not a CSS colour")
            && error.contains("opacity"),
        "{error}"
    );
    assert!(style_from(&json!([1])).is_err());
}

#[test]
fn data_layers_list_geojson_layers_those_shown_at_start_first() {
    let config = from_value(&json!({
        "view": {"center": [0, 0], "zoom": 2},
        "baseLayers": [
            {"name": "Vector", "type": "vector", "url": "t/{z}/{x}/{y}"},
            {"name": "Static", "type": "geojson", "url": "countries.geojson"}
        ],
        "overlays": [
            {"name": "Hidden", "type": "geojson", "url": "a.geojson", "visible": false},
            {"name": "Places", "type": "vector", "url": "p/{z}/{x}/{y}"},
            {"name": "Shown", "type": "geojson", "data": {"type": "Point", "coordinates": [0, 0]}}
        ]
    }))
    .unwrap();
    let layers: Vec<(&str, bool)> = config
        .data_layers()
        .iter()
        .map(|l| (l.name, l.shown_at_start))
        .collect();
    assert_eq!(
        layers,
        [("Shown", true), ("Static", false), ("Hidden", false)]
    );
}

#[test]
fn points_overlays_take_a_format_and_binary_needs_a_url() {
    let config = from_value(&with_overlay(json!({"name": "Sensors", "type": "points", "url": "s.bin", "format": "binary", "style": {"radius": 3}}))).unwrap();
    assert_eq!(
        config.overlays[0].data,
        OverlayData::Points {
            data: DataSource::Url("s.bin".into()),
            format: PointsFormat::Binary,
            cluster: None,
        }
    );
    assert_eq!(config.data_layers()[0].points, Some(PointsFormat::Binary));
    let config = from_value(&with_overlay(
        json!({"name": "P", "type": "points", "data": {"type": "Point", "coordinates": [0, 0]}}),
    ))
    .unwrap();
    assert!(matches!(
        config.overlays[0].data,
        OverlayData::Points {
            format: PointsFormat::GeoJson,
            ..
        }
    ));
    assert_error(
        with_overlay(json!({"name": "P", "type": "points", "url": "x", "format": "csv"})),
        "overlays[0].format",
        "unknown points format \"csv\"",
    );
    assert_error(
        with_overlay(
            json!({"name": "P", "type": "points", "format": "binary", "data": {"type": "Point", "coordinates": [0, 0]}}),
        ),
        "overlays[0].data",
        "binary points come from a \"url\"",
    );
    assert_error(
        with_overlay(json!({"name": "P", "type": "points"})),
        "overlays[0].url",
        "is required",
    );
}

#[test]
fn points_overlays_cluster_with_defaults_or_their_own_radius_and_zoom() {
    let cluster_of = |cluster: Value| {
        let config = from_value(&with_overlay(
            json!({"name": "P", "type": "points", "url": "p.geojson", "cluster": cluster}),
        ))
        .unwrap();
        match &config.overlays[0].data {
            OverlayData::Points { cluster, .. } => *cluster,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(cluster_of(json!(true)), Some(ClusterOptions::default()));
    assert_eq!(cluster_of(json!(false)), None);
    assert_eq!(
        cluster_of(json!({"radius": 40, "maxZoom": 12})),
        Some(ClusterOptions {
            radius: 40.0,
            max_zoom: 12
        })
    );
    assert_eq!(cluster_of(json!({})), Some(ClusterOptions::default()));
    assert_error(
        with_overlay(json!({"name": "P", "type": "points", "url": "x", "cluster": "yes"})),
        "overlays[0].cluster",
        "expected true, false or an object",
    );
    assert_error(
        with_overlay(json!({"name": "P", "type": "points", "url": "x", "cluster": {"radius": 0}})),
        "overlays[0].cluster.radius",
        "out of range",
    );
    assert_error(
        with_overlay(
            json!({"name": "P", "type": "points", "url": "x", "cluster": {"maxZoom": 30}}),
        ),
        "overlays[0].cluster.maxZoom",
        "out of range",
    );
}

#[test]
fn urls_of_other_schemes_are_refused_written_with_or_without_slashes() {
    for bad in [
        "data:application/json,{}",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " data:x",
        "blob:https://x/1",
        "file:///etc/passwd",
    ] {
        assert_error(
            with_overlay(json!({"name": "a", "type": "geojson", "url": bad})),
            "overlays[0].url",
            "no data:, javascript:",
        );
        let template = format!("{}/{{z}}/{{x}}/{{y}}", bad.replace("{}", "x"));
        assert_error(
            with(minimal(), "/baseLayers/0/url", json!(template)),
            "baseLayers[0].url",
            "http://, https:// or relative",
        );
    }
    for good in [
        "data/x.geojson",
        "/api/x",
        "https://example.com/x.geojson",
        "HTTP://example.com/x",
        "./a:b.geojson",
    ] {
        assert!(
            from_value(&with_overlay(
                json!({"name": "a", "type": "geojson", "url": good})
            ))
            .is_ok(),
            "{good}"
        );
    }
}

/// Issue 13: `{s}` (the most common Leaflet template) and the other placeholders survive
/// resolution against the config's URL, host included, absolute or relative.
#[test]
fn tile_templates_keep_their_placeholders_when_resolved() {
    for (url, resolved) in [
        (
            "https://{s}.tile.example.org/{z}/{x}/{y}{r}.png",
            "https://{s}.tile.example.org/{z}/{x}/{y}{r}.png",
        ),
        (
            "https://tile.example.org/{z}/{x}/{-y}.png",
            "https://tile.example.org/{z}/{x}/{-y}.png",
        ),
        (
            "tiles/{z}/{x}/{y}.png",
            "https://maps.example.com/app/tiles/{z}/{x}/{y}.png",
        ),
    ] {
        let mut config = from_value(&with(minimal(), "/baseLayers/0/url", json!(url))).unwrap();
        config
            .resolve_against("https://maps.example.com/app/config.json")
            .unwrap();
        match &config.base_layers[0].source {
            BaseSource::Tiles { url, .. } => assert_eq!(url, resolved),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_search_box_asks_its_url() {
    let mut config = minimal();
    config["search"] = json!({"url": "/api/search"});
    let config = from_value(&config).unwrap();
    assert_eq!(
        config.search,
        Some(SearchConfig {
            url: "/api/search".into(),
            placeholder: "Search places".into()
        })
    );
    assert_eq!(from_value(&minimal()).unwrap().search, None);
    let mut bad = minimal();
    bad["search"] = json!({"url": "javascript:alert(1)"});
    assert_error(bad, "search.url", "must be an http(s) or relative URL");
    let mut bad = minimal();
    bad["search"] = json!({});
    assert_error(bad, "search.url", "is required");
    let mut bad = minimal();
    bad["search"] = json!("/api/search");
    assert_error(bad, "search", "expected an object");
}

#[test]
fn live_overlays_take_a_web_url() {
    let config = from_value(&with_overlay(
        json!({"name": "Flights", "type": "live", "url": "/api/live"}),
    ))
    .unwrap();
    assert_eq!(
        config.overlays[0].data,
        OverlayData::Live {
            url: "/api/live".into()
        }
    );
    assert!(
        config.data_layers().is_empty(),
        "nothing to download at start: it streams"
    );
    assert_error(
        with_overlay(json!({"name": "F", "type": "live", "url": "javascript:x"})),
        "overlays[0].url",
        "must be an http(s) or relative URL",
    );
    assert_error(
        with_overlay(json!({"name": "F", "type": "live"})),
        "overlays[0].url",
        "is required",
    );
}
