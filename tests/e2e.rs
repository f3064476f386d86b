//! End-to-end: the release bundle in dist/ behind the real stack (nginx app servers, the gateway,
//! Martin over PostGIS), opened in headless Chromium and driven through WebDriver as a user would.
//! Needs `make build`, so it is `#[ignore]`d in a plain `cargo test`; `make test` runs it.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::api::{simulate, Api};
use support::browser::Browser;
use support::{copy_dir, rendered_dom, root, serve_static, tempdir, Listening, Nginx, TileServer};

/// Every gateway access-log line (JSON) from line `from` on whose URI starts with `prefix`.
/// One end-to-end test at a time: each drives a browser against a whole stack, and on 2 cores two
/// of them at once starve each other (the chaos test's timing bounds then fail for want of CPU).
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static STACK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    STACK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Ticks (or unticks) an overlay in the layers control, as a person would.
fn toggle_overlay(browser: &Browser, name: &str) {
    browser.eval(&format!(
        "[...document.querySelectorAll('.leaflet-control-layers label')].find((l) => l.textContent.includes({name:?})).querySelector('input').click(); return 0;"
    ));
}

fn log_lines(gateway: &Nginx, from: usize, prefix: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(gateway.prefix.join("access.log")).unwrap_or_default();
    text.lines()
        .skip(from)
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| {
            entry["uri"]
                .as_str()
                .is_some_and(|uri| uri.starts_with(prefix))
        })
        .collect()
}

fn log_length(gateway: &Nginx) -> usize {
    std::fs::read_to_string(gateway.prefix.join("access.log"))
        .unwrap_or_default()
        .lines()
        .count()
}

/// Features the vector tile canvases on screen report having drawn.
const DRAWN_FEATURES: &str = "[...document.querySelectorAll('canvas[data-features]')].reduce((n, c) => n + Number(c.dataset.features), 0)";

/// The share of a drawn tile's pixels that are painted (not a blank canvas).
const PAINTED_SHARE: &str = "(() => { const c = [...document.querySelectorAll('canvas[data-features]')].find((c) => c.dataset.features > 0);
  if (!c) return 0; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1; return n / (d.length / 4); })()";

#[test]
#[ignore = "needs the release build in dist/, PostGIS, Martin, nginx and Chromium: run by `make test`"]
fn the_full_stack_draws_database_tiles_by_version_and_recovers_when_martin_returns() {
    let _one = one_at_a_time();
    let mut tiles = TileServer::start();
    let dist = root().join("dist");
    let (stable, canary) = (Nginx::app(&dist), Nginx::app(&dist));
    let martin = tiles.address();
    // The API, one per version, as `make run` and k8s/ run it.
    let (api_stable, api_canary) = (
        Api::start(&tiles.database, "stable-api"),
        Api::start(&tiles.database, "canary-api"),
    );
    let gateway = Nginx::gateway_with_api(
        [&stable.address(), &canary.address()],
        [&martin, &martin],
        [
            &format!("127.0.0.1:{}", api_stable.port),
            &format!("127.0.0.1:{}", api_canary.port),
        ],
        10,
    );
    let browser = Browser::start();

    // A first visit gets a version from the gateway's split; the user is then pinned to canary.
    browser.goto(&gateway.url("/"));
    browser.wait_for(
        "the first page's tiles",
        &format!("{DRAWN_FEATURES} > 100"),
        Duration::from_secs(20),
    );
    // Let the first page's last tile requests reach the log before marking where the test starts.
    std::thread::sleep(Duration::from_secs(1));
    let from = log_length(&gateway);
    browser.eval("document.cookie = 'app-version=canary; path=/'; location.hash = '#3/30/10'; location.reload(); return 0;");
    browser.wait_for(
        "vector tiles drawn",
        &format!("{DRAWN_FEATURES} > 100"),
        Duration::from_secs(20),
    );
    browser.wait_for("catalog overlays", "document.querySelector('.leaflet-control-layers').textContent.includes('Countries by population')", Duration::from_secs(10));
    // The app's page as served, with the map drawn, passes axe-core.
    let violations = browser.accessibility_violations();
    assert!(violations.is_empty(), "{violations:#?}");

    let painted = browser
        .eval(&format!("return {PAINTED_SHARE};"))
        .as_f64()
        .unwrap_or(0.0);
    assert!(
        painted > 0.05,
        "tiles are blank: {painted:.3} of a tile painted"
    );
    let controls =
        browser.eval("return document.querySelector('.leaflet-control-layers').textContent;");
    let controls = controls.as_str().unwrap_or_default();
    for name in [
        "Countries (vector tiles)",
        "Countries (static GeoJSON)",
        "Populated places",
        "Places (clustered)",
        "Countries by population",
    ] {
        assert!(
            controls.contains(name),
            "layers control lacks {name}: {controls}"
        );
    }
    // The clustered places (a points overlay, off at start): turned on in the layers control,
    // they are drawn as cluster bubbles; turned off again for what follows.
    toggle_overlay(&browser, "Places (clustered)");
    browser.wait_for(
        "cluster bubbles",
        "[...document.querySelectorAll('.meshmap-points canvas')].some((c) => Number(c.dataset.clusters) > 0)",
        Duration::from_secs(10),
    );
    toggle_overlay(&browser, "Places (clustered)");
    browser.wait_for(
        "clusters off",
        "document.querySelector('.meshmap-points') === null",
        Duration::from_secs(5),
    );
    let version = std::env::var("MESHMAP_VERSION").unwrap_or_else(|_| "dev".into());
    let badge = browser.eval("return document.querySelector('.meshmap-badge').textContent;");
    assert_eq!(badge.as_str(), Some(version.as_str()));
    assert_eq!(
        browser.eval("return document.querySelectorAll('.meshmap-status p').length;"),
        json!(0)
    );

    // Every tile request since the switch (catalog included) carried X-App-Version = the cookie,
    // and the gateway routed it by that header.
    let tile_requests = log_lines(&gateway, from, "/tiles/");
    assert!(
        tile_requests.len() >= 4,
        "too few tile requests: {tile_requests:?}"
    );
    for entry in &tile_requests {
        assert_eq!(entry["app_version"], "canary", "{entry}");
        assert_eq!(entry["cookie_version"], "canary", "{entry}");
        // 304: the browser revalidated a cached tile (Martin sends ETags); 499: the page cancelled
        // a tile that left the view before it arrived.
        assert!(
            matches!(entry["status"].as_u64(), Some(200 | 204 | 304 | 499)),
            "{entry}"
        );
    }
    assert!(
        tile_requests
            .iter()
            .filter(|e| matches!(e["status"].as_u64(), Some(200 | 304)))
            .count()
            >= 4
    );
    assert!(tile_requests.iter().any(|e| e["uri"] == "/tiles/catalog"));
    assert!(tile_requests.iter().any(|e| e["uri"]
        .as_str()
        .is_some_and(|u| u.starts_with("/tiles/countries/3/"))));

    // A click on Brazil opens its popup, with the database's properties.
    browser.eval("location.hash = '#4/-10/-55'; return 0;");
    browser.wait_for("Brazil in view", "location.hash.startsWith('#4/-10.00/-55.00') && document.querySelector('.leaflet-zoom-anim') === null", Duration::from_secs(10));
    browser.wait_for(
        "z4 tiles drawn",
        "[...document.querySelectorAll('canvas[data-features]')].length > 0",
        Duration::from_secs(20),
    );
    std::thread::sleep(Duration::from_millis(500));
    browser.click(".leaflet-container");
    browser.wait_for(
        "a popup",
        "document.querySelector('.leaflet-popup-content')",
        Duration::from_secs(10),
    );
    let popup =
        browser.eval("return document.querySelector('.leaflet-popup-content').textContent;");
    let popup = popup.as_str().unwrap_or_default();
    assert!(
        popup.contains("Brazil") && popup.contains("BRA") && popup.contains("South America"),
        "{popup}"
    );

    // The search box (issue 14): "lisbn" through the gateway to the canary API, Enter, and the
    // map is at Lisbon with its popup open.
    let api_from = log_length(&gateway);
    browser.eval("const box = document.querySelector('input.meshmap-search-input'); box.focus(); box.value = 'lisbn'; box.dispatchEvent(new Event('input')); return 0;");
    browser.wait_for(
        "search results",
        "[...document.querySelectorAll('li.meshmap-search-result')].some((li) => li.textContent.startsWith('Lisbon'))",
        Duration::from_secs(10),
    );
    browser.eval("document.querySelector('input.meshmap-search-input').dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true})); return 0;");
    browser.wait_for(
        "the map at Lisbon",
        "(document.querySelector('.leaflet-popup-content') || {textContent: ''}).textContent.includes('Lisbon') && location.hash.startsWith('#10/38.7') && document.querySelector('.leaflet-zoom-anim') === null",
        Duration::from_secs(20),
    );
    browser.screenshot(&root().join("target/e2e/search-lisbon.png"));

    // Issue 13's controls and hover on the real page: the legend names the overlays; the pointer
    // over Lisbon's dot (a vector tile feature) gets the hand and its name as a tooltip; locate
    // asks the browser, which refuses here (no permission), and the map says what to do;
    // fullscreen fills the screen with the map and its button says how to leave.
    let legend = browser.eval("return document.querySelector('.meshmap-legend').textContent;");
    assert!(
        legend
            .as_str()
            .unwrap_or_default()
            .contains("Populated places"),
        "{legend}"
    );
    browser.eval("document.querySelector('.leaflet-popup-close-button').click(); return 0;");
    browser.wait_for(
        "Lisbon's dot under the pointer",
        "(() => { const map = document.querySelector('.leaflet-container'); const r = map.getBoundingClientRect(); \
          map.dispatchEvent(new MouseEvent('mousemove', {bubbles: true, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2})); \
          return map.classList.contains('meshmap-hover') && (document.querySelector('.leaflet-tooltip') || {textContent: ''}).textContent === 'Lisbon'; })()",
        Duration::from_secs(10),
    );
    // The keyboard (real key presses): Tab from the map reaches the vector tile features near
    // its middle, each named; Enter opens that feature's popup; axe-core still finds nothing.
    // The search's popup, closed above, fades out for 200 ms: Tab must not land on its close
    // button while it goes (a key sent to a vanishing element is refused), and axe would
    // measure its text against a half-transparent box.
    browser.wait_for(
        "no popup",
        "document.querySelector('.leaflet-popup') === null",
        Duration::from_secs(5),
    );
    browser.eval("document.querySelector('.leaflet-container').focus(); return 0;");
    let on_a_stop = "document.activeElement.classList.contains('meshmap-focus-stop')";
    for _ in 0..40 {
        if browser.eval(&format!("return {on_a_stop};")) == Value::Bool(true) {
            break;
        }
        browser.press("\u{E004}");
    }
    let label = browser.eval("return document.activeElement.getAttribute('aria-label');");
    let label = label.as_str().unwrap_or_default().to_owned();
    assert!(
        label.ends_with(", Populated places") || label.ends_with(", Countries (vector tiles)"),
        "Tab reaches a feature drawn on a canvas, named: {label:?}"
    );
    let violations = browser.accessibility_violations();
    assert!(violations.is_empty(), "with the Tab stops: {violations:#?}");
    browser.press("\u{E007}");
    let name = label
        .split(", ")
        .next()
        .unwrap_or_default()
        .replace('\'', "\\'");
    browser.wait_for(
        "the focused feature's popup",
        &format!("(document.querySelector('.leaflet-popup-content') || {{textContent: ''}}).textContent.includes('{name}')"),
        Duration::from_secs(10),
    );
    browser.eval("document.querySelector('.leaflet-popup-close-button').click(); return 0;");

    browser.click("button.meshmap-locate");
    browser.wait_for(
        "the locate message",
        "(document.querySelector('.meshmap-locate-message') || {textContent: ''}).textContent.length > 0",
        Duration::from_secs(20),
    );
    browser.click("button.meshmap-fullscreen");
    browser.wait_for(
        "fullscreen",
        "document.fullscreenElement !== null && document.querySelector('button.meshmap-fullscreen').getAttribute('aria-label') === 'Exit fullscreen'",
        Duration::from_secs(10),
    );
    browser.eval("document.exitFullscreen(); return 0;");
    browser.wait_for(
        "fullscreen left",
        "document.fullscreenElement === null",
        Duration::from_secs(10),
    );

    // Live flights (issue 14): simulated into the database, streamed by the canary API through
    // the gateway, drawn and moving on the map once the overlay is turned on.
    let flights = simulate(&tiles.database, 300, 8.0);
    let live_from = log_length(&gateway);
    browser.eval("location.hash = '#2/30/0'; return 0;");
    toggle_overlay(&browser, "Flights (live)");
    browser.wait_for(
        "flights drawn",
        "Number((document.querySelector('canvas.meshmap-live') || {dataset: {}}).dataset.objects || 0) > 50",
        Duration::from_secs(15),
    );
    let signature = "(() => { const c = document.querySelector('canvas.meshmap-live'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let h = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) h = (h * 31 + i) % 1000000007; return h; })()";
    let before = browser.eval(&format!("return {signature};"));
    browser.wait_for(
        "flights moving",
        &format!("{signature} !== {before}"),
        Duration::from_secs(10),
    );
    browser.screenshot(&root().join("target/e2e/live-flights.png"));
    // Turned off, the layer closes its stream, and the gateway logs it.
    toggle_overlay(&browser, "Flights (live)");
    browser.wait_for(
        "the live canvas gone",
        "document.querySelector('canvas.meshmap-live') === null",
        Duration::from_secs(5),
    );
    std::thread::sleep(Duration::from_millis(500));
    let live_requests = log_lines(&gateway, live_from, "/api/live");
    assert!(
        !live_requests.is_empty(),
        "the stream went through the gateway"
    );
    assert!(
        live_requests.iter().all(|e| e["app_version"] == "canary"),
        "{live_requests:?}"
    );
    flights.join().expect("the simulation ran");
    let api_requests = log_lines(&gateway, api_from, "/api/");
    assert!(
        !api_requests.is_empty(),
        "the search went through the gateway"
    );
    for entry in &api_requests {
        assert_eq!(entry["app_version"], "canary", "{entry}");
        assert_eq!(entry["status"], 200, "{entry}");
    }

    // Martin stops: tiles for a new view fail, the banner says so, and the rest of the page works.
    browser.eval("window.meshmapE2eMarker = 42; return 0;");
    tiles.stop_martin();
    browser.eval("location.hash = '#5/35/105'; return 0;");
    browser.wait_for(
        "the tile server down banner",
        "(document.querySelector('.meshmap-status-error') || {textContent: ''}).textContent.includes('not answering')",
        Duration::from_secs(30),
    );
    let shown = browser.eval("return document.querySelector('.meshmap-status-error').textContent;");
    assert!(
        shown.as_str().unwrap_or_default().contains("502"),
        "{shown}"
    );
    browser.screenshot(&root().join("target/e2e/martin-down.png"));

    // Martin returns: the layer finds out by itself, redraws, and the banner goes; no reload.
    tiles.start_martin();
    browser.wait_for(
        "the banner to clear",
        "document.querySelector('.meshmap-status-error') === null",
        Duration::from_secs(40),
    );
    browser.wait_for(
        "tiles of the new view drawn",
        &format!("{DRAWN_FEATURES} > 0"),
        Duration::from_secs(20),
    );
    assert_eq!(
        browser.eval("return window.meshmapE2eMarker;"),
        json!(42),
        "the page was reloaded"
    );
    browser.screenshot(&root().join("target/e2e/martin-back.png"));
    let after = log_lines(&gateway, from, "/tiles/countries/5/");
    assert!(
        after.iter().any(|e| e["status"] == 502),
        "tiles failed while Martin was down"
    );
    assert!(
        after.iter().any(|e| e["status"] == 200),
        "tiles loaded after Martin came back"
    );
    assert!(
        after.iter().all(|e| e["app_version"] == "canary"),
        "retries and probes carry the header too"
    );
}

#[test]
#[ignore = "needs the release build in dist/ and Chromium: run by `make test`"]
fn a_broken_config_json_shows_what_is_wrong() {
    let _one = one_at_a_time();
    let dist = tempdir("dist-bad-config");
    copy_dir(&root().join("dist"), &dist);
    std::fs::write(
        dist.join("config.json"),
        r#"{"view": {"center": [20, 500], "zoom": 2}, "baseLayers": []}"#,
    )
    .unwrap();
    let (_server, url) = serve_static(&dist);
    let dom = rendered_dom(&url, 5_000);
    assert!(dom.contains("The map configuration is invalid"), "{dom}");
    assert!(
        dom.contains("view.center[1]") && dom.contains("longitude 500 is out of range"),
        "{dom}"
    );
    assert!(dom.contains("must name at least one base layer"), "{dom}");

    std::fs::write(dist.join("config.json"), "<html>not json</html>").unwrap();
    let dom = rendered_dom(&url, 5_000);
    assert!(dom.contains("config.json is not valid JSON"), "{dom}");

    std::fs::remove_file(dist.join("config.json")).unwrap();
    let dom = rendered_dom(&url, 5_000);
    assert!(
        dom.contains("could not be loaded") && dom.contains("HTTP 404"),
        "{dom}"
    );
    let _ = std::fs::remove_dir_all(&dist);
}

#[test]
#[ignore = "needs the release build in dist/, PostGIS, Martin, nginx and Chromium: run by `make test`"]
fn a_host_page_on_another_origin_embeds_two_maps() {
    let _one = one_at_a_time();
    let tiles = TileServer::start();
    let dist = root().join("dist");
    let app = Nginx::app(&dist);
    let martin = tiles.address();
    let gateway = Nginx::gateway([&app.address(), &app.address()], [&martin, &martin], 10);
    // The host page comes from a different origin (another port) than everything meshmap serves.
    let (_host_server, host_url) = serve_static(&root().join("examples"));
    let meshmap_origin = gateway.url("");
    assert_ne!(host_url.trim_end_matches('/'), meshmap_origin);
    let browser = Browser::start();
    browser.goto(&format!("{host_url}host.html?meshmap={meshmap_origin}"));

    // The element: vector tiles from the database drawn cross-origin, at their real size despite
    // the host's `canvas { max-width: 100%; height: auto }`.
    let declarative = "document.querySelector('#declarative')";
    browser.wait_for(
        "the element's map drawn",
        &format!("[...{declarative}.querySelectorAll('canvas[data-features]')].some((c) => c.dataset.features > 0)"),
        Duration::from_secs(30),
    );
    let width = browser.eval(&format!(
        "return {declarative}.querySelector('canvas.leaflet-tile').getBoundingClientRect().width;"
    ));
    assert_eq!(
        width.as_f64().map(f64::round),
        Some(256.0),
        "tile canvases keep their size"
    );
    // The map fills the element the host sized (320 px tall in its stylesheet).
    let sizes = browser.eval(&format!("const e = {declarative}, m = e.querySelector('.leaflet-container').getBoundingClientRect(), r = e.getBoundingClientRect(); return [m.top - r.top, m.height, r.height];"));
    assert_eq!(
        sizes,
        json!([1, 318, 320]),
        "map box inside the element (1 px border)"
    );
    // The scripted map: ready, the host's own overlay added, its events logged by the host.
    // Drawn by Rust on tile canvases (the default): both places on the tiles in view.
    browser.wait_for("the host's overlay", "[...document.querySelectorAll('#scripted .meshmap-shapes canvas[data-features]')].reduce((n, c) => n + Number(c.dataset.features), 0) >= 2", Duration::from_secs(30));
    let log = browser.eval("return document.getElementById('events').textContent;");
    let log = log.as_str().unwrap_or_default().to_owned();
    assert!(
        log.contains("scripted: ready at zoom 1") && log.contains("scripted: added 2 features"),
        "{log}"
    );
    // Driven from the host's script, and clicks come back to it.
    browser.eval("hostMap.setView(38.72, -9.14, 6); return 0;");
    browser.wait_for(
        "the move event",
        "document.getElementById('events').textContent.includes('moved to 38.72, -9.14 at zoom 6')",
        Duration::from_secs(10),
    );
    // Lisbon is now in the middle of the map: a real click there finds it (WebDriver clicks the
    // middle of what is in view of an element: all of the map is brought into view first).
    browser.wait_for(
        "Lisbon's tile drawn",
        "[...document.querySelectorAll('#scripted .meshmap-shapes canvas[data-features]')].some((c) => c.dataset.features > 0)",
        Duration::from_secs(10),
    );
    browser.eval("document.querySelector('#scripted .leaflet-container').scrollIntoView({ block: 'center' }); return 0;");
    browser.click("#scripted .leaflet-container");
    browser.wait_for(
        "the click event",
        "document.getElementById('events').textContent.includes('clicked Visited: Lisbon')",
        Duration::from_secs(10),
    );
    for selector in ["#declarative", "#scripted"] {
        let problems = browser.eval(&format!("return document.querySelectorAll('{selector} .meshmap-status p, {selector} .meshmap-error').length;"));
        assert_eq!(problems, json!(0), "{selector} shows a problem");
    }
    // The maps' styles stay inside the maps: the host's own text keeps its font.
    let font = browser.eval("return getComputedStyle(document.querySelector('h1')).fontFamily;");
    assert!(
        font.as_str().unwrap_or_default().contains("Georgia"),
        "{font}"
    );
    browser.screenshot(&root().join("target/e2e/embedded.png"));
    // The embedding example, host page and both maps, passes axe-core.
    let violations = browser.accessibility_violations();
    assert!(violations.is_empty(), "{violations:#?}");

    // Removing the element destroys its map: its listeners go, the other map's stay.
    let listeners = || {
        browser
            .eval_awaited("window.meshmap.liveListeners()")
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    let before = listeners();
    browser.eval(&format!("{declarative}.remove(); return 0;"));
    let after = listeners();
    assert!(
        after < before && after > 0.0,
        "listeners {before} → {after}"
    );
}

/// `true` while the red "tile server is not answering" banner is shown.
const DOWN_BANNER: &str = "(document.querySelector('.meshmap-status-error') || {textContent: ''}).textContent.includes('not answering')";

/// Vector tile canvases on screen that show something.
const PAINTED_TILES: &str = "[...document.querySelectorAll('canvas[data-features]')].filter((c) => Number(c.dataset.features) > 0).length";

#[test]
#[ignore = "needs the release build in dist/, PostGIS, Martin, nginx and Chromium: run by `make test`"]
fn chaos_in_the_tile_path_costs_bounded_requests_and_heals_without_a_reload() {
    let _one = one_at_a_time();
    use std::time::Instant;
    use support::fault_proxy::{Fault, FaultProxy};

    let tiles = TileServer::start();
    // Everything the gateway asks Martin goes through the proxy: what it records, Martin sees.
    let proxy = FaultProxy::start(&tiles.address());
    let app = Nginx::app(&root().join("dist"));
    let gateway = Nginx::gateway(
        [&app.address(), &app.address()],
        [&proxy.address(), &proxy.address()],
        0,
    );
    let browser = Browser::start();
    browser.goto(&gateway.url("/#3/45/10"));
    browser.wait_for(
        "the first view",
        &format!("{DRAWN_FEATURES} > 100"),
        Duration::from_secs(30),
    );
    browser.eval("window.meshmapE2eMarker = 42; window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.blockedURI)); return 0;");
    let banner_shown = || browser.eval(&format!("return {DOWN_BANNER};")) == json!(true);
    let zoom_to = |hash: &str| {
        browser.eval(&format!("location.hash = '{hash}'; return 0;"));
        browser.wait_for(
            hash,
            "document.querySelector('.leaflet-zoom-anim') === null",
            Duration::from_secs(10),
        );
    };

    // 1. Martin slow (1.5 s a tile): the tiles come, late; no banner.
    proxy.set(Fault::Delay(Duration::from_millis(1_500)));
    let from = log_length(&gateway);
    zoom_to("#4/45/10");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        assert!(!banner_shown(), "a slow tile server is not a down one");
        if log_lines(&gateway, from, "/tiles/countries/4/")
            .iter()
            .filter(|e| e["status"] == 200)
            .count()
            >= 6
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let slow = log_lines(&gateway, from, "/tiles/countries/4/");
    assert!(
        slow.iter().filter(|e| e["status"] == 200).count() >= 6,
        "slow tiles still arrive: {slow:?}"
    );

    // 2. Martin drops every connection: the gateway answers 502. Zooming in asks for new tiles;
    //    the drawn ones stay on screen, the banner comes, and the requests stay bounded.
    std::thread::sleep(Duration::from_secs(3)); // the last slow tiles
    proxy.set(Fault::Reset);
    let outage = Instant::now();
    zoom_to("#5/45/10");
    browser.wait_for("the down banner", DOWN_BANNER, Duration::from_secs(30));
    let painted: u64 = browser
        .eval(&format!("return {PAINTED_TILES};"))
        .as_u64()
        .unwrap_or(0);
    assert!(
        painted > 0,
        "the tiles drawn before the outage were taken off the screen"
    );
    std::thread::sleep(Duration::from_secs(20).saturating_sub(outage.elapsed()));
    let asked = proxy.requests_since(outage);
    let mut urls: Vec<&str> = asked.iter().map(|(_, url)| url.as_str()).collect();
    urls.sort();
    urls.dedup();
    // Two vector layers (countries, places): each tile in view is asked for once (per-tile retries
    // would make that 4 times), and then each layer sends one probe at a time, 0.5, 1, 2, 4, 8 s
    // apart by default, always for the same tile.
    eprintln!(
        "chaos: 20 s with Martin dropping connections: {} requests for {} URLs",
        asked.len(),
        urls.len()
    );
    let repeated: Vec<&str> = urls
        .iter()
        .copied()
        .filter(|u| asked.iter().filter(|(_, a)| a == u).count() > 1)
        .collect();
    assert!(repeated.len() <= 2, "retried tiles {repeated:?}: {asked:?}");
    assert!(
        asked.len() - urls.len() <= 2 * 6,
        "{} probes in 20 s: {asked:?}",
        asked.len() - urls.len()
    );

    // 3. Martin overloaded, asking for 4 s of quiet: each layer's probes come no sooner.
    proxy.set(Fault::Busy {
        retry_after_seconds: 4,
    });
    let busy = Instant::now();
    std::thread::sleep(Duration::from_secs(14));
    let probes = proxy.requests_since(busy);
    for url in probes.iter().map(|(_, url)| url) {
        let times: Vec<Instant> = probes
            .iter()
            .filter(|(_, u)| u == url)
            .map(|(t, _)| *t)
            .collect();
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_millis(3_900),
                "{url} probed {:?} after a Retry-After: 4",
                pair[1] - pair[0]
            );
        }
    }
    assert!(
        !probes.is_empty() && probes.len() <= 2 * 4,
        "{} probes in 14 s",
        probes.len()
    );
    assert!(banner_shown());

    // 4. Martin back, but PostgreSQL stopped: Martin answers 5xx; still down, still bounded.
    tiles.database.pause();
    proxy.set(Fault::Pass);
    let database_down = Instant::now();
    std::thread::sleep(Duration::from_secs(8));
    let asked = proxy.requests_since(database_down);
    assert!(
        asked.len() <= 2 * 5,
        "{} requests in 8 s with the database down",
        asked.len()
    );
    assert!(banner_shown(), "tiles cannot be made without the database");

    // 5. Everything back: the layers find out by themselves, redraw, and the banner goes.
    tiles.database.resume();
    browser.wait_for(
        "the banner to clear",
        &format!("!{DOWN_BANNER}"),
        Duration::from_secs(40),
    );
    let recovered = log_length(&gateway);
    browser.wait_for(
        "z5 tiles drawn",
        &format!("{PAINTED_TILES} > 4"),
        Duration::from_secs(20),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(log_lines(&gateway, recovered, "/tiles/")
        .iter()
        .all(|e| matches!(e["status"].as_u64(), Some(200 | 204 | 304 | 499))));
    assert_eq!(
        browser.eval("return window.meshmapE2eMarker;"),
        json!(42),
        "the page was reloaded"
    );
    assert_eq!(
        browser.eval("return window.cspViolations;"),
        json!([]),
        "Content-Security-Policy violations"
    );
    assert_eq!(
        browser.eval("return document.querySelectorAll('.meshmap-status p').length;"),
        json!(0)
    );
    browser.screenshot(&root().join("target/e2e/chaos-recovered.png"));
}
