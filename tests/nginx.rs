//! The app server: nginx/nginx.conf run by Debian's nginx on free loopback ports, serving the
//! release bundle, checked with real HTTP requests. `make test` builds the bundle first.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use reqwest::StatusCode;
use support::app_checks::{self, get as get_from};
use support::{dist, http_client, Listening, Nginx};

fn get(server: &Nginx, path: &str, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
    get_from(&server.url(""), path, headers)
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn serves_each_kind_of_file_with_its_mime_type() {
    let server = Nginx::app(&dist());
    app_checks::serves_each_kind_of_file_with_its_mime_type(&server.url(""));
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn spa_paths_get_index_html_but_missing_assets_are_404() {
    let server = Nginx::app(&dist());
    app_checks::spa_paths_get_index_html_but_missing_assets_are_404(&server.url(""));
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn compression_follows_accept_encoding() {
    let server = Nginx::app(&dist());
    app_checks::compression_follows_accept_encoding(&server.url(""));
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn cache_headers_and_etags() {
    let server = Nginx::app(&dist());
    app_checks::cache_headers_and_etags(&server.url(""));
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn security_headers() {
    let server = Nginx::app(&dist());
    app_checks::security_headers(&server.url(""));
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn a_mounted_config_json_replaces_the_bundled_one() {
    let server = Nginx::app(&dist());
    let bundled = std::fs::read_to_string(dist().join("config.json")).unwrap();
    assert_eq!(get(&server, "/config.json", &[]).text().unwrap(), bundled);
    let mounted = r#"{"view": {"center": [0, 0], "zoom": 3}, "baseLayers": [{"name": "mounted", "url": "/t/{z}/{x}/{y}.png"}]}"#;
    std::fs::write(server.prefix.join("config-override/config.json"), mounted).unwrap();
    assert_eq!(get(&server, "/config.json", &[]).text().unwrap(), mounted);
    assert_eq!(
        get(&server, "/config.json", &[("accept-encoding", "gzip, br")]).status(),
        StatusCode::OK
    );
    std::fs::remove_file(server.prefix.join("config-override/config.json")).unwrap();
    assert_eq!(get(&server, "/config.json", &[]).text().unwrap(), bundled);
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn the_csp_allows_what_the_served_config_fetches_from_and_nothing_else() {
    let server = Nginx::app(&dist());
    let csp =
        |server: &Nginx| app_checks::header(&get(server, "/", &[]), "content-security-policy");
    // The bundled config fetches only from its own origin.
    let bundled = csp(&server);
    let connect = bundled
        .split(';')
        .find(|d| d.trim_start().starts_with("connect-src"))
        .expect("connect-src");
    assert_eq!(
        connect.split_whitespace().collect::<Vec<_>>(),
        ["connect-src", "'self'"],
        "{bundled}"
    );
    // A mounted config naming a tile host and an API origin: allowed when the server starts.
    let mounted = r#"{"view": {"center": [0, 0], "zoom": 3}, "firstPartyOrigins": ["https://api.example.com"],
        "baseLayers": [{"name": "OSM", "url": "https://{s}.tile.example.org/{z}/{x}/{y}.png", "attributionUrl": "https://www.openstreetmap.org/copyright"}],
        "overlays": [{"name": "Hostile", "type": "geojson", "url": "https://x.example\";deny all;\"/y"}]}"#;
    let prefix = server.prefix.clone();
    drop(server);
    std::fs::write(prefix.join("config-override/config.json"), mounted).unwrap();
    let restarted = Nginx::restart(prefix);
    let csp = csp(&restarted);
    assert!(
        csp.contains("connect-src 'self' https://*.tile.example.org https://api.example.com"),
        "{csp}"
    );
    assert!(
        csp.contains(
            "img-src 'self' data: blob: https://*.tile.example.org https://api.example.com"
        ),
        "{csp}"
    );
    assert!(
        !csp.contains("openstreetmap.org"),
        "a link is not fetched: {csp}"
    );
    assert!(
        !csp.contains("deny") && !csp.contains("x.example"),
        "what is not plainly an origin is left out: {csp}"
    );
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn health_endpoints() {
    let server = Nginx::app(&dist());
    assert_eq!(get(&server, "/healthz", &[]).status(), StatusCode::OK);
    assert_eq!(get(&server, "/readyz", &[]).status(), StatusCode::OK);
    // Without the bundle the server is alive but not ready.
    let empty = support::tempdir("empty-dist");
    let bare = Nginx::app(&empty);
    assert_eq!(get(&bare, "/healthz", &[]).status(), StatusCode::OK);
    let not_ready = get(&bare, "/readyz", &[]);
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(not_ready.text().unwrap().contains("missing"));
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn stub_status_only_on_the_metrics_port() {
    let server = Nginx::app(&dist());
    let metrics = http_client()
        .get(format!(
            "http://127.0.0.1:{}/stub_status",
            server.metrics_port
        ))
        .send()
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(metrics.text().unwrap().contains("Active connections"));
    assert_eq!(
        get(&server, "/stub_status", &[]).status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn access_log_is_json_with_the_version_header() {
    let server = Nginx::app(&dist());
    get(&server, "/config.json", &[("x-app-version", "canary")]);
    get(&server, "/missing.js", &[]);
    let log = server.access_log();
    let config = log
        .iter()
        .find(|l| l["uri"] == "/config.json")
        .expect("a log line for /config.json");
    assert_eq!(config["status"], 200);
    assert_eq!(config["app_version"], "canary");
    assert_eq!(config["method"], "GET");
    assert!(config["request"]
        .as_str()
        .unwrap()
        .starts_with("GET /config.json HTTP/1.1"));
    assert!(config["bytes_sent"].as_u64().unwrap() > 0);
    assert!(config["request_time"].is_number());
    assert!(config.get("upstream_response_time").is_some());
    let missing = log.iter().find(|l| l["uri"] == "/missing.js").unwrap();
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["app_version"], "");
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn other_origins_may_embed_the_map() {
    let server = Nginx::app(&dist());
    app_checks::answers_cross_origin_requests_and_preflights(&server.url(""));
}
