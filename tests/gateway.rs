//! The local gateway (nginx/gateway.conf) routing like the Istio VirtualServices: by cookie for the
//! app, by X-App-Version for backends, a weighted split otherwise. Real nginx processes on free
//! loopback ports; the app servers and backends serve small fixture trees that name themselves.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use reqwest::blocking::Response;
use support::{http_client, tempdir, Listening, Nginx};

/// A tree for an app server or backend: every path answers with `name` somewhere in it.
fn fixture(name: &str) -> std::path::PathBuf {
    let dir = tempdir(name);
    std::fs::write(
        dir.join("index.html"),
        format!("<!doctype html><p>{name}</p>"),
    )
    .unwrap();
    // The gateway strips /tiles: a tile server serves its sources at its root.
    std::fs::create_dir_all(dir.join("countries/1/0")).unwrap();
    std::fs::write(dir.join("countries/1/0/0.pbf"), name).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("data/places.geojson"),
        format!("{{\"served_by\": \"{name}\"}}"),
    )
    .unwrap();
    // A hashed bundle file that only this build has.
    std::fs::write(dir.join(format!("{}.js", hashed_name(name))), name).unwrap();
    dir
}

fn hashed_name(build: &str) -> String {
    format!(
        "meshmap-{:016x}",
        build
            .bytes()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b))
                .wrapping_mul(0x100000001b3))
    )
}

struct Stack {
    gateway: Nginx,
    _servers: Vec<Nginx>,
}

fn stack(canary_percent: u32) -> Stack {
    let servers: Vec<Nginx> = [
        "app-stable",
        "app-canary",
        "backend-stable",
        "backend-canary",
    ]
    .iter()
    .map(|name| Nginx::app(&fixture(name)))
    .collect();
    let address: Vec<String> = servers.iter().map(Nginx::address).collect();
    let gateway = Nginx::gateway(
        [&address[0], &address[1]],
        [&address[2], &address[3]],
        canary_percent,
    );
    Stack {
        gateway,
        _servers: servers,
    }
}

fn get(
    stack: &Stack,
    client: &reqwest::blocking::Client,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = client.get(stack.gateway.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// (X-Served-By, Set-Cookie, body) of one request.
fn fetch(
    stack: &Stack,
    client: &reqwest::blocking::Client,
    path: &str,
    headers: &[(&str, &str)],
) -> (String, Option<String>, String) {
    let response = get(stack, client, path, headers);
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    let served_by = header(&response, "x-served-by").expect("X-Served-By");
    let cookie = header(&response, "set-cookie");
    (served_by, cookie, response.text().unwrap())
}

#[test]
fn cookieless_requests_split_ten_percent_and_pin_the_user() {
    let stack = stack(10);
    let client = http_client();
    let mut canary = 0;
    for _ in 0..2000 {
        let (served_by, cookie, body) = fetch(&stack, &client, "/", &[]);
        assert!(
            body.contains(&format!("app-{served_by}")),
            "X-Served-By {served_by} but the body came from {body}"
        );
        let cookie = cookie.expect("a cookie-less request must get the version cookie");
        assert_eq!(
            cookie,
            format!("app-version={served_by}; Path=/; Max-Age=86400; SameSite=Lax")
        );
        if served_by == "canary" {
            canary += 1;
        }
    }
    let share = canary as f64 / 2000.0 * 100.0;
    assert!(
        (8.0..=12.0).contains(&share),
        "canary share {share:.1}% is not 10% ± 2 points"
    );
}

#[test]
fn a_version_cookie_keeps_every_request_on_that_version() {
    let stack = stack(10);
    let client = http_client();
    for version in ["stable", "canary"] {
        for cookie in [
            format!("app-version={version}"),
            format!("a=1; app-version={version}; b=2"),
            format!("app-version=\"{version}\""),
        ] {
            for i in 0..200 {
                let path = if i % 2 == 0 { "/" } else { "/some/page" };
                let (served_by, set_cookie, body) =
                    fetch(&stack, &client, path, &[("cookie", &cookie)]);
                assert_eq!(served_by, version, "{cookie}");
                assert!(body.contains(&format!("app-{version}")), "{cookie}: {body}");
                assert_eq!(set_cookie, None, "a valid cookie is not set again");
            }
        }
    }
}

#[test]
fn an_invalid_cookie_goes_to_stable_and_is_reset() {
    let stack = stack(100);
    let client = http_client();
    for cookie in [
        "app-version=beta",
        "app-version=Canary",
        "app-version=",
        "app-version=canary%0D%0A",
        "app-version=\"canary",
    ] {
        let (served_by, set_cookie, _) = fetch(&stack, &client, "/", &[("cookie", cookie)]);
        assert_eq!(served_by, "stable", "{cookie}");
        assert_eq!(
            set_cookie.as_deref(),
            Some("app-version=stable; Path=/; Max-Age=86400; SameSite=Lax"),
            "{cookie}"
        );
    }
    // A name that only ends in app-version is no version cookie: the split (100% canary here) decides.
    let (served_by, set_cookie, _) =
        fetch(&stack, &client, "/", &[("cookie", "x-app-version=stable")]);
    assert_eq!(served_by, "canary");
    assert!(set_cookie.unwrap().starts_with("app-version=canary;"));
}

/// The shared cookie rule (tests/fixtures/cookie-cases.txt), case by case: the local gateway
/// reads the Cookie header as the app and Istio do (src/cookie.rs and tests/k8s.rs run the same
/// cases). With a 100% canary split, "absent" shows as canary with the cookie set.
#[test]
fn the_gateway_reads_the_app_version_cookie_by_the_shared_rule() {
    let stack = stack(100);
    let client = http_client();
    let cases =
        std::fs::read_to_string(support::root().join("tests/fixtures/cookie-cases.txt")).unwrap();
    for line in cases.lines().filter(|l| !l.starts_with('#')) {
        let (verdict, cookie) = line.split_once('\t').expect("verdict<TAB>header");
        let headers: &[(&str, &str)] = if cookie.is_empty() {
            &[]
        } else {
            &[("cookie", cookie)]
        };
        let (served_by, set_cookie, _) = fetch(&stack, &client, "/", headers);
        match verdict {
            "absent" => assert!(
                served_by == "canary"
                    && set_cookie
                        .as_deref()
                        .is_some_and(|c| c.starts_with("app-version=canary;")),
                "{cookie:?}"
            ),
            "invalid" => assert_eq!(
                (served_by.as_str(), set_cookie.as_deref()),
                (
                    "stable",
                    Some("app-version=stable; Path=/; Max-Age=86400; SameSite=Lax")
                ),
                "{cookie:?}"
            ),
            version => assert_eq!(
                (served_by.as_str(), set_cookie),
                (version, None),
                "{cookie:?}"
            ),
        }
    }
}

#[test]
fn backend_paths_route_by_the_version_header() {
    let stack = stack(50);
    let client = http_client();
    for (path, backend) in [
        ("/tiles/countries/1/0/0.pbf", "backend"),
        ("/api/anything", "backend"),
        ("/data/places.geojson", "app"),
    ] {
        for (headers, expected) in [
            (vec![("x-app-version", "canary")], "canary"),
            (vec![("x-app-version", "stable")], "stable"),
            (vec![], "stable"),
            (vec![("x-app-version", "beta")], "stable"),
            (vec![("x-app-version", "CANARY")], "stable"),
            // The cookie does not route backends: only the header does.
            (vec![("cookie", "app-version=canary")], "stable"),
            (
                vec![
                    ("cookie", "app-version=stable"),
                    ("x-app-version", "canary"),
                ],
                "canary",
            ),
        ] {
            for _ in 0..20 {
                let (served_by, set_cookie, body) = fetch(&stack, &client, path, &headers);
                assert_eq!(served_by, expected, "{path} with {headers:?}");
                assert!(
                    body.contains(&format!("{backend}-{expected}")),
                    "{path} with {headers:?}: {body}"
                );
                assert_eq!(set_cookie, None, "backend responses set no cookie");
            }
        }
    }
}

#[test]
fn the_split_is_configurable() {
    let client = http_client();
    for (percent, expected) in [(0, "stable"), (100, "canary")] {
        let stack = stack(percent);
        for _ in 0..50 {
            assert_eq!(
                fetch(&stack, &client, "/", &[]).0,
                expected,
                "{percent}% canary"
            );
        }
    }
}

#[test]
fn the_gateway_logs_where_each_request_went() {
    let stack = stack(10);
    let client = http_client();
    fetch(
        &stack,
        &client,
        "/tiles/countries/1/0/0.pbf",
        &[("x-app-version", "canary")],
    );
    fetch(&stack, &client, "/", &[("cookie", "app-version=canary")]);
    let log = stack.gateway.access_log();
    let tile = log
        .iter()
        .find(|l| l["uri"] == "/tiles/countries/1/0/0.pbf")
        .expect("tile request logged");
    assert_eq!(tile["app_version"], "canary");
    assert_eq!(tile["served_by"], "canary");
    assert_eq!(tile["status"], 200);
    let page = log
        .iter()
        .find(|l| l["uri"] == "/")
        .expect("page request logged");
    assert_eq!(page["cookie_version"], "canary");
    assert_eq!(page["served_by"], "canary");
}

#[test]
fn cross_origin_preflights_are_answered_for_every_path() {
    let stack = stack(10);
    let client = http_client();
    for path in ["/tiles/countries/0/0/0", "/api/x", "/data/a.geojson", "/"] {
        let preflight = client
            .request(reqwest::Method::OPTIONS, stack.gateway.url(path))
            .header("origin", "https://host.example")
            .header("access-control-request-headers", "x-app-version")
            .send()
            .unwrap();
        assert_eq!(
            preflight.status(),
            reqwest::StatusCode::NO_CONTENT,
            "{path}"
        );
        assert_eq!(
            header(&preflight, "access-control-allow-headers").as_deref(),
            Some("X-App-Version"),
            "{path}"
        );
    }
}

#[test]
fn a_builds_hashed_files_are_found_whichever_version_the_split_picks() {
    // A host page on another origin sends no cookie: each of its requests is split anew, yet the
    // files its embed.js names must load.
    let stack = stack(50);
    let client = http_client();
    for build in ["app-stable", "app-canary"] {
        let path = format!("/{}.js", hashed_name(build));
        for _ in 0..20 {
            let response = get(&stack, &client, &path, &[]);
            assert_eq!(response.status(), reqwest::StatusCode::OK, "{path}");
            assert_eq!(
                header(&response, "x-served-by").as_deref(),
                Some(&build["app-".len()..])
            );
            assert_eq!(response.text().unwrap(), build);
        }
    }
    // A file neither build has is still a 404.
    assert_eq!(
        get(&stack, &client, "/meshmap-0000000000000000.js", &[]).status(),
        reqwest::StatusCode::NOT_FOUND
    );
}

#[test]
fn requests_from_pages_on_other_origins_always_get_stable() {
    // An embedded map's requests carry Origin and no cookie: all of them go to one version.
    let stack = stack(50);
    let client = http_client();
    for _ in 0..100 {
        let (served_by, cookie, body) =
            fetch(&stack, &client, "/", &[("origin", "https://host.example")]);
        assert_eq!(served_by, "stable");
        assert!(body.contains("app-stable"));
        assert_eq!(
            cookie.as_deref(),
            Some("app-version=stable; Path=/; Max-Age=86400; SameSite=Lax")
        );
    }
    // A cookie still wins: the site's own pages keep their version.
    let (served_by, _, _) = fetch(
        &stack,
        &client,
        "/",
        &[
            ("origin", "https://host.example"),
            ("cookie", "app-version=canary"),
        ],
    );
    assert_eq!(served_by, "canary");
}

/// Users on stable notice nothing while the canary's app server restarts (a canary rollout or
/// rollback): under sustained load from stable, canary and cookie-less clients, every request of
/// a client holding the stable cookie succeeds, a client pinned to canary gets errors while it is
/// away (it is not moved to stable), and canary is served again once it is back.
#[test]
fn stable_users_see_no_error_while_the_canary_restarts_under_load() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let mut stack = stack(10);
    let url = |path: &str| stack.gateway.url(path);
    let stop = Arc::new(AtomicBool::new(false));
    // (requests, failures) per kind of client.
    let kinds = ["stable", "canary", "none"];
    let counts: Vec<Arc<(AtomicUsize, AtomicUsize)>> =
        kinds.iter().map(|_| Arc::default()).collect();
    let mut clients = Vec::new();
    for (kind, count) in kinds.iter().zip(&counts) {
        for _ in 0..2 {
            let (stop, count, kind) = (Arc::clone(&stop), Arc::clone(count), *kind);
            let targets = [
                url("/"),
                url(&format!("/{}.js", hashed_name("app-stable"))),
                url("/tiles/countries/1/0/0.pbf"),
            ];
            clients.push(std::thread::spawn(move || {
                let client = http_client();
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let mut request = client.get(&targets[i % targets.len()]);
                    if kind != "none" {
                        request = request
                            .header("cookie", format!("app-version={kind}"))
                            .header("x-app-version", kind);
                    }
                    let ok = request.send().is_ok_and(|r| {
                        r.status().is_success() || r.status().as_u16() == 404 && kind == "canary"
                    });
                    count.0.fetch_add(1, Ordering::SeqCst);
                    if !ok {
                        count.1.fetch_add(1, Ordering::SeqCst);
                    }
                    i += 1;
                }
            }));
        }
    }
    std::thread::sleep(Duration::from_secs(1));
    // The canary's app server goes away for a second and comes back on the same port.
    let canary = stack._servers.remove(1);
    let prefix = canary.prefix.clone();
    let canary_failures_before = counts[1].1.load(Ordering::SeqCst);
    drop(canary);
    let down = Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    // Users pinned to canary do notice (README "Failure behaviour"): the gateway keeps them on
    // their version rather than sending them to stable.
    let canary_failures_while_down = counts[1].1.load(Ordering::SeqCst) - canary_failures_before;
    stack._servers.push(Nginx::restart(prefix));
    let restarted = down.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let before_stop = counts[1].1.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(1));
    let canary_failures_after_return = counts[1].1.load(Ordering::SeqCst) - before_stop;
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("a load client");
    }
    let figures: Vec<String> = kinds
        .iter()
        .zip(&counts)
        .map(|(kind, c)| {
            format!(
                "{kind}: {} requests, {} failed",
                c.0.load(Ordering::SeqCst),
                c.1.load(Ordering::SeqCst)
            )
        })
        .collect();
    eprintln!(
        "load while the canary restarted ({restarted:?} down): {}",
        figures.join("; ")
    );
    assert!(counts[0].0.load(Ordering::SeqCst) > 500, "{figures:?}");
    assert_eq!(
        counts[0].1.load(Ordering::SeqCst),
        0,
        "stable users saw errors: {figures:?}"
    );
    assert!(
        canary_failures_while_down > 0,
        "canary users got no error while canary was away: were they sent to stable? {figures:?}"
    );
    assert_eq!(
        canary_failures_after_return, 0,
        "canary is served again once back: {figures:?}"
    );
}
