//! HTTP checks of the app server's rules, shared by the local nginx tests (tests/nginx.rs) and
//! the container tests (tests/container.rs): the same rules must hold in both places.

use reqwest::blocking::Response;
use reqwest::StatusCode;

use super::{dist, http_client};

pub fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = http_client().get(format!("{base}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send()
        .unwrap_or_else(|e| panic!("GET {base}{path}: {e}"))
}

pub fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The dist file whose name starts with `prefix` and ends with `suffix` (names carry Trunk's hash).
pub fn asset(prefix: &str, suffix: &str) -> String {
    std::fs::read_dir(dist())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with(prefix) && n.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {prefix}*{suffix} in dist/"))
}

pub fn serves_each_kind_of_file_with_its_mime_type(base: &str) {
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
        let response = get(base, &path, &[]);
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            header(&response, "content-type").starts_with(mime),
            "{path}: {}",
            header(&response, "content-type")
        );
    }
}

pub fn spa_paths_get_index_html_but_missing_assets_are_404(base: &str) {
    let index = std::fs::read(dist().join("index.html")).unwrap();
    for page in ["/", "/map", "/some/deep/page", "/view/"] {
        let response = get(base, page, &[]);
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        assert!(header(&response, "content-type").starts_with("text/html"));
        assert_eq!(
            response.bytes().unwrap().as_ref(),
            &index[..],
            "{page} should be index.html"
        );
    }
    for missing in [
        "/x.wasm",
        "/x.js",
        "/x.css",
        "/x.png",
        "/data/none.geojson",
        "/deep/path/app.js",
    ] {
        assert_eq!(
            get(base, missing, &[]).status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

pub fn compression_follows_accept_encoding(base: &str) {
    let wasm = asset("meshmap-", "_bg.wasm");
    let raw = std::fs::read(dist().join(&wasm)).unwrap();
    let path = format!("/{wasm}");
    for (accept, encoding, file) in [
        ("br, gzip", "br", format!("{wasm}.br")),
        ("gzip, deflate", "gzip", format!("{wasm}.gz")),
        ("identity", "", wasm.clone()),
        ("", "", wasm.clone()),
    ] {
        let response = get(base, &path, &[("accept-encoding", accept)]);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "content-encoding"),
            encoding,
            "Accept-Encoding: {accept:?}"
        );
        assert_eq!(
            header(&response, "vary"),
            "Accept-Encoding",
            "Accept-Encoding: {accept:?}"
        );
        let expected = std::fs::read(dist().join(&file)).unwrap();
        assert_eq!(
            response.bytes().unwrap().as_ref(),
            &expected[..],
            "Accept-Encoding: {accept:?}"
        );
    }
    // The precompressed copies really are smaller than the wasm itself.
    assert!(
        std::fs::metadata(dist().join(format!("{wasm}.br")))
            .unwrap()
            .len()
            < raw.len() as u64 / 2
    );
    // index.html and data files are precompressed too; config.json is compressed on the fly.
    for path in ["/", "/data/countries.geojson"] {
        assert_eq!(
            header(
                &get(base, path, &[("accept-encoding", "br")]),
                "content-encoding"
            ),
            "br",
            "{path}"
        );
    }
    assert_eq!(
        header(
            &get(base, "/config.json", &[("accept-encoding", "gzip")]),
            "content-encoding"
        ),
        "gzip"
    );
}

pub fn cache_headers_and_etags(base: &str) {
    for hashed in [
        asset("meshmap-", "_bg.wasm"),
        asset("meshmap-", ".js"),
        asset("leaflet-", ".css"),
        asset("boot-", ".js"),
    ] {
        let response = get(base, &format!("/{hashed}"), &[]);
        assert_eq!(
            header(&response, "cache-control"),
            "public, max-age=31536000, immutable",
            "{hashed}"
        );
    }
    for fresh in [
        "/",
        "/index.html",
        "/config.json",
        "/some/page",
        "/data/places.geojson",
    ] {
        assert_eq!(
            header(&get(base, fresh, &[]), "cache-control"),
            "no-cache",
            "{fresh}"
        );
    }
    let first = get(base, "/index.html", &[]);
    let etag = header(&first, "etag");
    assert!(!etag.is_empty(), "index.html needs an ETag");
    let again = get(base, "/index.html", &[("if-none-match", &etag)]);
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

pub fn security_headers(base: &str) {
    for path in [
        "/",
        "/config.json",
        &format!("/{}", asset("meshmap-", "_bg.wasm")),
    ] {
        let response = get(base, path, &[]);
        let csp = header(&response, "content-security-policy");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(
            csp.contains("connect-src 'self'") && csp.contains("img-src 'self'"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"),
            "{csp}"
        );
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            header(&response, "referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert!(header(&response, "permissions-policy").contains("camera=()"));
        assert!(
            header(&response, "strict-transport-security").starts_with("max-age=31536000"),
            "{path}: HSTS"
        );
        assert!(
            header(&response, "server").is_empty() || !header(&response, "server").contains('/'),
            "no version in Server"
        );
    }
    // The page has no inline script left for the CSP to block: Trunk's loader was moved to a file.
    let index = get(base, "/", &[]).text().unwrap();
    assert!(
        !index.contains("<script type=\"module\">"),
        "inline module script left in index.html"
    );
    assert!(index.contains("<script type=\"module\" src=\"/boot-"));
}

/// Pages on other origins embed the map: they may read its files and send X-App-Version.
pub fn answers_cross_origin_requests_and_preflights(base: &str) {
    let client = super::http_client();
    for path in [
        "/embed.js",
        "/config.json",
        "/data/places.geojson",
        "/index.html",
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .header("origin", "https://host.example")
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            "*",
            "{path}"
        );
    }
    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{base}/data/places.geojson"),
        )
        .header("origin", "https://host.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x-app-version")
        .send()
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header(&preflight, "access-control-allow-headers"),
        "X-App-Version"
    );
    assert_eq!(
        header(&preflight, "access-control-allow-methods"),
        "GET, HEAD"
    );
}
