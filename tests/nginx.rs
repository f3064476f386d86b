//! The app server: nginx/nginx.conf run by Debian's nginx on free loopback ports, serving the
//! release bundle, checked with real HTTP requests. `make test` builds the bundle first.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use reqwest::blocking::Response;
use reqwest::StatusCode;
use support::{dist, http_client, Nginx};


fn get(server: &Nginx, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = http_client().get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn header(response: &Response, name: &str) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The dist file whose name starts with `prefix` and ends with `suffix` (names carry Trunk's hash).
fn asset(prefix: &str, suffix: &str) -> String {
    std::fs::read_dir(dist())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with(prefix) && n.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {prefix}*{suffix} in dist/"))
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn serves_each_kind_of_file_with_its_mime_type() {
    let server = Nginx::app(&dist());
    let wasm = asset("meshmap-", "_bg.wasm");
    let js = asset("meshmap-", ".js");
    let css = asset("meshmap-", ".css");
    for (path, mime) in [
        ("/".to_owned(), "text/html"),
        (format!("/{wasm}"), "application/wasm"),
        (format!("/{js}"), "application/javascript"),
        (format!("/{css}"), "text/css"),
        ("/config.json".to_owned(), "application/json"),
        ("/data/places.geojson".to_owned(), "application/geo+json"),
        ("/images/layers.png".to_owned(), "image/png"),
    ] {
        let response = get(&server, &path, &[]);
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(header(&response, "content-type").starts_with(mime), "{path}: {}", header(&response, "content-type"));
    }
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn spa_paths_get_index_html_but_missing_assets_are_404() {
    let server = Nginx::app(&dist());
    let index = std::fs::read(dist().join("index.html")).unwrap();
    for page in ["/", "/map", "/some/deep/page", "/view/"] {
        let response = get(&server, page, &[]);
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        assert!(header(&response, "content-type").starts_with("text/html"));
        assert_eq!(response.bytes().unwrap().as_ref(), &index[..], "{page} should be index.html");
    }
    for missing in ["/x.wasm", "/x.js", "/x.css", "/x.png", "/data/none.geojson", "/deep/path/app.js"] {
        assert_eq!(get(&server, missing, &[]).status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn compression_follows_accept_encoding() {
    let server = Nginx::app(&dist());
    let wasm = asset("meshmap-", "_bg.wasm");
    let raw = std::fs::read(dist().join(&wasm)).unwrap();
    let path = format!("/{wasm}");
    for (accept, encoding, file) in [
        ("br, gzip", "br", format!("{wasm}.br")),
        ("gzip, deflate", "gzip", format!("{wasm}.gz")),
        ("identity", "", wasm.clone()),
        ("", "", wasm.clone()),
    ] {
        let response = get(&server, &path, &[("accept-encoding", accept)]);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "content-encoding"), encoding, "Accept-Encoding: {accept:?}");
        assert_eq!(header(&response, "vary"), "Accept-Encoding", "Accept-Encoding: {accept:?}");
        let expected = std::fs::read(dist().join(&file)).unwrap();
        assert_eq!(response.bytes().unwrap().as_ref(), &expected[..], "Accept-Encoding: {accept:?}");
    }
    // The precompressed copies really are smaller than the wasm itself.
    assert!(std::fs::metadata(dist().join(format!("{wasm}.br"))).unwrap().len() < raw.len() as u64 / 2);
    // index.html and data files are precompressed too; config.json is compressed on the fly.
    for path in ["/", "/data/countries.geojson"] {
        assert_eq!(header(&get(&server, path, &[("accept-encoding", "br")]), "content-encoding"), "br", "{path}");
    }
    assert_eq!(header(&get(&server, "/config.json", &[("accept-encoding", "gzip")]), "content-encoding"), "gzip");
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn cache_headers_and_etags() {
    let server = Nginx::app(&dist());
    for hashed in [asset("meshmap-", "_bg.wasm"), asset("meshmap-", ".js"), asset("leaflet-", ".css"), asset("boot-", ".js")] {
        let response = get(&server, &format!("/{hashed}"), &[]);
        assert_eq!(header(&response, "cache-control"), "public, max-age=31536000, immutable", "{hashed}");
    }
    for fresh in ["/", "/index.html", "/config.json", "/some/page", "/data/places.geojson"] {
        assert_eq!(header(&get(&server, fresh, &[]), "cache-control"), "no-cache", "{fresh}");
    }
    let first = get(&server, "/index.html", &[]);
    let etag = header(&first, "etag");
    assert!(!etag.is_empty(), "index.html needs an ETag");
    let again = get(&server, "/index.html", &[("if-none-match", &etag)]);
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn security_headers() {
    let server = Nginx::app(&dist());
    for path in ["/", "/config.json", &format!("/{}", asset("meshmap-", "_bg.wasm"))] {
        let response = get(&server, path, &[]);
        let csp = header(&response, "content-security-policy");
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"), "{path}: {csp}");
        assert!(!csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"), "{path}: {csp}");
        assert!(csp.contains("connect-src 'self'") && csp.contains("img-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&response, "referrer-policy"), "strict-origin-when-cross-origin");
        assert!(header(&response, "permissions-policy").contains("camera=()"));
        assert!(header(&response, "server").is_empty() || !header(&response, "server").contains('/'), "no version in Server");
    }
    // The page has no inline script left for the CSP to block: Trunk's loader was moved to a file.
    let index = get(&server, "/", &[]).text().unwrap();
    assert!(!index.contains("<script type=\"module\">"), "inline module script left in index.html");
    assert!(index.contains("<script type=\"module\" src=\"/boot-"));
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
    assert_eq!(get(&server, "/config.json", &[("accept-encoding", "gzip, br")]).status(), StatusCode::OK);
    std::fs::remove_file(server.prefix.join("config-override/config.json")).unwrap();
    assert_eq!(get(&server, "/config.json", &[]).text().unwrap(), bundled);
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
    let metrics = http_client().get(format!("http://127.0.0.1:{}/stub_status", server.metrics_port)).send().unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(metrics.text().unwrap().contains("Active connections"));
    assert_eq!(get(&server, "/stub_status", &[]).status(), StatusCode::NOT_FOUND);
}

#[test]
#[ignore = "needs the release build in dist/ and nginx: run by `make test`"]
fn access_log_is_json_with_the_version_header() {
    let server = Nginx::app(&dist());
    get(&server, "/config.json", &[("x-app-version", "canary")]);
    get(&server, "/missing.js", &[]);
    let log = server.access_log();
    let config = log.iter().find(|l| l["uri"] == "/config.json").expect("a log line for /config.json");
    assert_eq!(config["status"], 200);
    assert_eq!(config["app_version"], "canary");
    assert_eq!(config["method"], "GET");
    assert!(config["request"].as_str().unwrap().starts_with("GET /config.json HTTP/1.1"));
    assert!(config["bytes_sent"].as_u64().unwrap() > 0);
    assert!(config["request_time"].is_number());
    assert!(config.get("upstream_response_time").is_some());
    let missing = log.iter().find(|l| l["uri"] == "/missing.js").unwrap();
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["app_version"], "");
}
