//! End-to-end: the release bundle in dist/, served over HTTP and opened in headless Chromium, as a
//! user would open it. Needs `make build` and Chromium, so it is `#[ignore]`d in a plain
//! `cargo test`; `make test` runs it.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{copy_dir, rendered_dom, root, serve_static, tempdir};

fn occurrences(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
#[ignore = "needs the release build in dist/ and Chromium: run by `make test`"]
fn the_built_app_draws_the_bundled_map() {
    let (_server, url) = serve_static(&root().join("dist"));
    let dom = rendered_dom(&url, 10_000);
    assert!(dom.contains("leaflet-container"), "no Leaflet map in the page:\n{dom}");
    assert!(!dom.contains("meshmap-error"), "the error view is showing:\n{dom}");
    assert!(!dom.contains("meshmap-status-error"), "a layer failed to load:\n{dom}");
    // 177 countries and 243 places, one SVG path each.
    let paths = occurrences(&dom, "<path class=\"leaflet-interactive\"");
    assert!(paths >= 177 + 243, "expected every country and place drawn, found {paths} paths");
    assert!(dom.contains("Countries (Natural Earth)") && dom.contains("Populated places"), "layers control");
    let version = std::env::var("MESHMAP_VERSION").unwrap_or_else(|_| "dev".into());
    assert!(dom.contains(&format!("title=\"meshmap build version\">{version}</div>")), "badge should show {version}");
    assert!(dom.contains("leaflet-control-scale") && dom.contains("leaflet-control-zoom"));
}

#[test]
#[ignore = "needs the release build in dist/ and Chromium: run by `make test`"]
fn a_broken_config_json_shows_what_is_wrong() {
    let dist = tempdir("dist-bad-config");
    copy_dir(&root().join("dist"), &dist);
    std::fs::write(dist.join("config.json"), r#"{"view": {"center": [20, 500], "zoom": 2}, "baseLayers": []}"#).unwrap();
    let (_server, url) = serve_static(&dist);
    let dom = rendered_dom(&url, 5_000);
    assert!(dom.contains("The map configuration is invalid"), "{dom}");
    assert!(dom.contains("view.center[1]") && dom.contains("longitude 500 is out of range"), "{dom}");
    assert!(dom.contains("must name at least one base layer"), "{dom}");

    std::fs::write(dist.join("config.json"), "<html>not json</html>").unwrap();
    let dom = rendered_dom(&url, 5_000);
    assert!(dom.contains("config.json is not valid JSON"), "{dom}");

    std::fs::remove_file(dist.join("config.json")).unwrap();
    let dom = rendered_dom(&url, 5_000);
    assert!(dom.contains("could not be loaded") && dom.contains("HTTP 404"), "{dom}");
    let _ = std::fs::remove_dir_all(&dist);
}
