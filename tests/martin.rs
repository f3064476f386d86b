//! The data path: PostGIS (Debian's packages, a throwaway cluster) loaded with the Natural Earth
//! sample data by scripts/db-load.sh, served by the real Martin with martin/config.yaml.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use reqwest::StatusCode;
use support::{http_client, run_script, tempdir, Listening, Nginx, TileServer};

fn json(server: &TileServer, path: &str) -> serde_json::Value {
    let response = http_client().get(server.url(path)).send().unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().unwrap()
}

fn tile(server: &TileServer, path: &str) -> (StatusCode, Vec<u8>) {
    let response = http_client().get(server.url(path)).send().unwrap();
    (response.status(), response.bytes().unwrap().to_vec())
}

/// The tile at zoom `z` holding (lat, lng), in the XYZ scheme.
fn tile_of(z: u32, lat: f64, lng: f64) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lng + 180.0) / 360.0 * n).floor();
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

#[test]
#[ignore = "needs PostgreSQL + PostGIS, ogr2ogr and martin: run by `make test`"]
fn martin_serves_the_sample_data_as_vector_tiles() {
    let server = TileServer::start();
    assert_eq!(
        http_client()
            .get(server.url("/health"))
            .send()
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let catalog = json(&server, "/catalog");
    for source in ["countries", "places", "countries_by_population"] {
        assert!(
            catalog["tiles"].get(source).is_some(),
            "catalog lacks {source}: {catalog}"
        );
    }

    // Table sources describe their layer and fields; a function source has no vector_layers.
    let countries = json(&server, "/countries");
    let fields = &countries["vector_layers"][0]["fields"];
    assert!(
        fields.get("name").is_some() && fields.get("pop_est").is_some(),
        "{countries}"
    );
    assert!(json(&server, "/countries_by_population")
        .get("vector_layers")
        .is_none());

    let response = http_client()
        .get(server.url("/countries/0/0/0"))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    let world = response.bytes().unwrap();
    assert!(
        world.len() > 10_000,
        "the world's countries make a sizeable tile: {} bytes",
        world.len()
    );

    // Places: a tile on Paris has data; a tile in the middle of the South Atlantic is empty (204).
    let (x, y) = tile_of(8, 48.8566, 2.3522);
    let (status, paris) = tile(&server, &format!("/places/8/{x}/{y}"));
    assert_eq!(status, StatusCode::OK);
    assert!(
        String::from_utf8_lossy(&paris).contains("Paris"),
        "the tile should carry the name Paris"
    );
    let (x, y) = tile_of(8, -40.0, -25.0);
    assert_eq!(
        tile(&server, &format!("/places/8/{x}/{y}")).0,
        StatusCode::NO_CONTENT
    );
}

#[test]
#[ignore = "needs PostgreSQL + PostGIS, ogr2ogr and martin: run by `make test`"]
fn the_function_source_filters_by_population() {
    let server = TileServer::start();
    let (_, all) = tile(&server, "/countries_by_population/0/0/0");
    let (_, big) = tile(&server, "/countries_by_population/0/0/0?min_pop=1000000000");
    let (_, junk) = tile(
        &server,
        "/countries_by_population/0/0/0?min_pop=lots;DROP%20TABLE%20countries",
    );
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    assert!(text(&big).contains("China") && text(&big).contains("India"));
    assert!(
        !text(&big).contains("France"),
        "France has fewer than a billion people"
    );
    assert!(text(&all).contains("France"));
    assert!(big.len() < all.len() / 5, "{} vs {}", big.len(), all.len());
    assert_eq!(junk, all, "a min_pop that is not a number counts as 0");
}

#[test]
#[ignore = "needs PostgreSQL + PostGIS, ogr2ogr and martin: run by `make test`"]
fn loading_twice_is_harmless_and_geometries_are_valid() {
    let server = TileServer::start();
    run_script("db-load.sh", &[&server.database.port.to_string()]);
    let query = |sql: &str| server.database.query(sql);
    assert_eq!(query("SELECT count(*) FROM countries"), "177");
    assert_eq!(query("SELECT count(*) FROM places"), "243");
    // Issue 13: names with letters outside Latin-1 are whole (the shapefile has "Chi?in?u").
    assert_eq!(
        query("SELECT string_agg(name, ',' ORDER BY name) FROM places WHERE name LIKE '%?%' OR name IN ('Chişinău', 'Ōsaka', 'São Tomé', 'Reykjavík')"),
        "Chişinău,Reykjavík,São Tomé,Ōsaka"
    );
    assert_eq!(
        query("SELECT count(*) FROM countries WHERE NOT ST_IsValid(geom)"),
        "0"
    );
    assert_eq!(
        query("SELECT type || ',' || srid FROM geometry_columns WHERE f_table_name = 'countries'"),
        "MULTIPOLYGON,4326"
    );
    assert_eq!(
        query("SELECT type || ',' || srid FROM geometry_columns WHERE f_table_name = 'places'"),
        "POINT,4326"
    );
    assert_eq!(query("SELECT count(*) FROM pg_indexes WHERE tablename IN ('countries', 'places') AND indexdef LIKE '%gist%'"), "2");
    assert_eq!(
        query("SELECT max(pop_est) > 1e9 FROM countries"),
        "t",
        "pop_est must not overflow"
    );
    assert_eq!(tile_of(0, 0.0, 0.0), (0, 0));
}

#[test]
#[ignore = "needs PostgreSQL + PostGIS, ogr2ogr, martin and nginx: run by `make test`"]
fn the_gateway_serves_martin_under_tiles_for_both_versions() {
    let server = TileServer::start();
    let app_dir = tempdir("app-fixture");
    std::fs::write(app_dir.join("index.html"), "app").unwrap();
    let app = Nginx::app(&app_dir);
    let gateway = Nginx::gateway(
        [&app.address(), &app.address()],
        [&server.address(), &server.address()],
        10,
    );
    let client = http_client();
    for version in ["stable", "canary"] {
        let response = client
            .get(gateway.url("/tiles/countries/0/0/0"))
            .header("x-app-version", version)
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-served-by"], version);
        assert_eq!(response.headers()["content-type"], "application/x-protobuf");
        assert_eq!(
            response.bytes().unwrap(),
            tile(&server, "/countries/0/0/0").1
        );
    }
    // Query parameters reach the function source through the gateway.
    let filtered = client
        .get(gateway.url("/tiles/countries_by_population/0/0/0?min_pop=1000000000"))
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    assert_eq!(
        filtered,
        tile(&server, "/countries_by_population/0/0/0?min_pop=1000000000").1
    );
    // TileJSON and the catalog, fetched through the gateway, point back through it.
    let tilejson: serde_json::Value = client
        .get(gateway.url("/tiles/countries"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let template = tilejson["tiles"][0].as_str().unwrap();
    assert!(
        template.contains("/tiles/countries/{z}/{x}/{y}"),
        "{template}"
    );
    let catalog: serde_json::Value = client
        .get(gateway.url("/tiles/catalog"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(catalog["tiles"].get("places").is_some());
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .arg("-dc")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "not gzip");
    output.stdout
}

#[test]
#[ignore = "needs PostgreSQL + PostGIS, ogr2ogr, martin and nginx: run by `make test`"]
fn the_gateway_caches_each_tile_compressed_once_per_version() {
    let mut server = TileServer::start();
    let app_dir = tempdir("app-fixture");
    std::fs::write(app_dir.join("index.html"), "app").unwrap();
    let app = Nginx::app(&app_dir);
    let gateway = Nginx::gateway(
        [&app.address(), &app.address()],
        [&server.address(), &server.address()],
        10,
    );
    let client = http_client();
    let (status, original) = tile(&server, "/countries/3/4/2");
    assert_eq!(status, StatusCode::OK);
    let get = |version: &str, gzip: bool| {
        let mut request = client
            .get(gateway.url("/tiles/countries/3/4/2"))
            .header("x-app-version", version);
        if gzip {
            request = request.header("accept-encoding", "gzip, deflate, br");
        }
        let response = request.send().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cache = response
            .headers()
            .get("x-cache-status")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let encoding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        (cache, encoding, response.bytes().unwrap().to_vec())
    };

    let (cache, encoding, body) = get("stable", true);
    assert_eq!(
        (cache.as_str(), encoding.as_deref()),
        ("MISS", Some("gzip"))
    );
    assert_eq!(
        gunzip(&body),
        original,
        "the cached gzip holds Martin's tile"
    );
    assert!(body.len() < original.len());
    assert_eq!(get("stable", true).0, "HIT");
    // Canary has its own cache entries.
    assert_eq!(get("canary", true).0, "MISS");
    assert_eq!(get("canary", true).0, "HIT");
    // A client that does not take gzip gets the same tile unzipped, from the same entry.
    let (cache, encoding, body) = get("stable", false);
    assert_eq!((cache.as_str(), encoding), ("HIT", None));
    assert_eq!(body, original);
    assert_eq!(
        meshmap::mvt::Tile::decode(&body).map(|t| t.feature_count() > 10),
        Ok(true)
    );

    // While Martin is down, cached tiles are still served; others fail with 502 (and the app's
    // tile layer retries them).
    server.stop_martin();
    assert_eq!(get("stable", true).0, "HIT");
    let missing = client
        .get(gateway.url("/tiles/countries/4/8/5"))
        .header("x-app-version", "stable")
        .send()
        .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_GATEWAY);
}
