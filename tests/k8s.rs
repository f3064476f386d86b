//! The Kubernetes manifests (k8s/), rendered with `kubectl kustomize` for every overlay and read
//! with serde_yaml: routing, subsets, selectors, hardening, and the names the app and the local
//! gateway use. No cluster runs here, so this and scripts/validate-k8s.sh are what prove them.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::process::Command;
use std::sync::OnceLock;

use meshmap::config::Config;
use meshmap::cookie::{DEFAULT_VERSIONS, VERSION_COOKIE, VERSION_HEADER};
use serde_yaml::Value;
use support::root;

const OVERLAYS: [&str; 4] = ["dev", "production", "chaos", "rollouts"];

/// The overlay's objects, rendered once per test binary (every test reads the same four).
fn render(overlay: &str) -> &'static [Value] {
    static RENDERED: OnceLock<Vec<(&'static str, Vec<Value>)>> = OnceLock::new();
    let rendered = RENDERED.get_or_init(|| OVERLAYS.iter().map(|o| (*o, kustomize(o))).collect());
    rendered
        .iter()
        .find(|(o, _)| *o == overlay)
        .map(|(_, docs)| docs.as_slice())
        .unwrap_or_else(|| panic!("no overlay {overlay}"))
}

fn kustomize(overlay: &str) -> Vec<Value> {
    let output = Command::new("kubectl")
        .args(["kustomize"])
        .arg(root().join("k8s/overlays").join(overlay))
        .output()
        .expect("kubectl (with kustomize) runs");
    assert!(
        output.status.success(),
        "{overlay}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("utf-8");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).expect("YAML"))
        .filter(|doc| !doc.is_null())
        .collect()
}

use serde::Deserialize;

fn kind(doc: &Value) -> &str {
    doc["kind"].as_str().unwrap_or_default()
}

fn name(doc: &Value) -> &str {
    doc["metadata"]["name"].as_str().unwrap_or_default()
}

fn of_kind<'a>(docs: &'a [Value], wanted: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| kind(d) == wanted).collect()
}

fn find<'a>(docs: &'a [Value], wanted_kind: &str, wanted_name: &str) -> &'a Value {
    docs.iter()
        .find(|d| kind(d) == wanted_kind && name(d) == wanted_name)
        .unwrap_or_else(|| panic!("no {wanted_kind} {wanted_name}"))
}

fn seq(value: &Value) -> Vec<&Value> {
    value
        .as_sequence()
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

/// Deployments and Rollouts: their pod templates' labels and specs.
fn workloads(docs: &[Value]) -> Vec<&Value> {
    docs.iter()
        .filter(|d| matches!(kind(d), "Deployment" | "Rollout"))
        .collect()
}

/// The labels a workload's pods carry (a Rollout with workloadRef takes the Deployment's).
fn pod_labels<'a>(docs: &'a [Value], workload: &'a Value) -> &'a Value {
    if workload["spec"]["template"].is_mapping() {
        return &workload["spec"]["template"]["metadata"]["labels"];
    }
    let referenced = workload["spec"]["workloadRef"]["name"]
        .as_str()
        .unwrap_or_default();
    &find(docs, "Deployment", referenced)["spec"]["template"]["metadata"]["labels"]
}

/// A workload's pod spec (a Rollout with workloadRef takes the Deployment's).
fn pod_spec<'a>(docs: &'a [Value], workload: &'a Value) -> &'a Value {
    if workload["spec"]["template"].is_mapping() {
        return &workload["spec"]["template"]["spec"];
    }
    let referenced = workload["spec"]["workloadRef"]["name"]
        .as_str()
        .unwrap_or_default();
    &find(docs, "Deployment", referenced)["spec"]["template"]["spec"]
}

/// Whether every key/value of `selector` is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let Some(selector) = selector.as_mapping() else {
        return false;
    };
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn some_pods_match(docs: &[Value], selector: &Value) -> bool {
    workloads(docs)
        .iter()
        .any(|w| selects(selector, pod_labels(docs, w)))
}

#[test]
#[ignore = "needs kubectl and the validators scripts/setup.sh installs: run by `make test`"]
fn every_overlay_renders_and_passes_the_validators() {
    let status = Command::new(root().join("scripts/validate-k8s.sh"))
        .status()
        .expect("validate-k8s.sh runs");
    assert!(
        status.success(),
        "scripts/validate-k8s.sh found problems (see its output)"
    );
}

#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn the_validators_reject_broken_manifests() {
    // The validators are real: a misspelt field and a wrong type are caught.
    let dir = support::tempdir("k8s-broken");
    let broken = dir.join("broken.yaml");
    let good = render("production");
    let mut text = String::new();
    for doc in good {
        text.push_str("---\n");
        text.push_str(&serde_yaml::to_string(doc).unwrap());
    }
    std::fs::write(
        &broken,
        text.replace("perTryTimeout", "perTryTimout")
            .replace("readOnlyRootFilesystem", "readOnlyRootFileSystem"),
    )
    .unwrap();
    let python = Command::new(root().join("tools/venv/bin/python"))
        .arg(root().join("scripts/validate_k8s.py"))
        .arg(&broken)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&python.stdout);
    assert!(!python.status.success());
    assert!(
        report.contains("perTryTimout: not a field of Retries"),
        "{report}"
    );
    assert!(
        report.contains("'readOnlyRootFileSystem' was unexpected"),
        "{report}"
    );
    std::fs::write(
        &broken,
        serde_yaml::to_string(find(render("rollouts"), "Rollout", "meshmap-frontend"))
            .unwrap()
            .replace("setWeight: 25", "setWeight: '25'"),
    )
    .unwrap();
    let node = Command::new("node")
        .arg(root().join("scripts/validate-crds.mjs"))
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!node.status.success());
    assert!(String::from_utf8_lossy(&node.stdout).contains("setWeight must be integer"));
}

#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn weights_sum_to_100_and_canary_gets_10_by_default() {
    for overlay in OVERLAYS {
        let docs = render(overlay);
        for vs in of_kind(docs, "VirtualService") {
            for route in seq(&vs["spec"]["http"]) {
                let destinations = seq(&route["route"]);
                if destinations.len() > 1 {
                    let total: i64 = destinations
                        .iter()
                        .map(|d| d["weight"].as_i64().unwrap_or(0))
                        .sum();
                    assert_eq!(
                        total,
                        100,
                        "{overlay}: {} route {:?}",
                        name(vs),
                        route["name"]
                    );
                }
            }
        }
        let split = seq(&find(docs, "VirtualService", "meshmap-frontend")["spec"]["http"])
            .into_iter()
            .find(|r| r["name"] == "split")
            .expect("the split route");
        let canary = seq(&split["route"])
            .into_iter()
            .find(|d| d["destination"]["subset"] == "canary")
            .expect("canary");
        // With Argo Rollouts the controller moves the weight from 0; otherwise 10% by default.
        let expected = if overlay == "rollouts" { 0 } else { 10 };
        assert_eq!(canary["weight"].as_i64(), Some(expected), "{overlay}");
    }
}

#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn every_subset_exists_and_selects_pods_of_its_service() {
    for overlay in OVERLAYS {
        let docs = render(overlay);
        let rules = of_kind(docs, "DestinationRule");
        for vs in of_kind(docs, "VirtualService") {
            for route in seq(&vs["spec"]["http"]) {
                for destination in seq(&route["route"]) {
                    let host = destination["destination"]["host"].as_str().expect("host");
                    let subset = destination["destination"]["subset"]
                        .as_str()
                        .expect("every route names a subset");
                    let rule = rules
                        .iter()
                        .find(|r| r["spec"]["host"].as_str() == Some(host))
                        .unwrap_or_else(|| panic!("{overlay}: no DestinationRule for {host}"));
                    let defined = seq(&rule["spec"]["subsets"])
                        .into_iter()
                        .find(|s| s["name"].as_str() == Some(subset));
                    let defined = defined
                        .unwrap_or_else(|| panic!("{overlay}: {host} has no subset {subset}"));
                    let service = find(docs, "Service", host);
                    let pods_of_subset = workloads(docs).into_iter().any(|w| {
                        let labels = pod_labels(docs, w);
                        selects(&service["spec"]["selector"], labels)
                            && selects(&defined["labels"], labels)
                    });
                    assert!(
                        pods_of_subset,
                        "{overlay}: subset {host}/{subset} selects no pods of Service {host}"
                    );
                }
            }
        }
    }
}

#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn services_pdbs_and_autoscalers_point_at_real_workloads() {
    for overlay in OVERLAYS {
        let docs = render(overlay);
        for service in of_kind(docs, "Service") {
            assert!(
                some_pods_match(docs, &service["spec"]["selector"]),
                "{overlay}: Service {} selects no pods",
                name(service)
            );
        }
        for pdb in of_kind(docs, "PodDisruptionBudget") {
            assert!(
                some_pods_match(docs, &pdb["spec"]["selector"]["matchLabels"]),
                "{overlay}: PDB {} selects no pods",
                name(pdb)
            );
            // "At most one pod evicted at a time" is maxUnavailable: 1 (minAvailable: 1 would let
            // all but one go at once).
            assert!(
                pdb["spec"]["maxUnavailable"].as_i64() == Some(1)
                    && pdb["spec"]["minAvailable"].is_null(),
                "{overlay}: PDB {}: {:?}",
                name(pdb),
                pdb["spec"]
            );
        }
        for hpa in of_kind(docs, "HorizontalPodAutoscaler") {
            let target = &hpa["spec"]["scaleTargetRef"];
            let found = docs
                .iter()
                .any(|d| d["kind"] == target["kind"] && d["metadata"]["name"] == target["name"]);
            assert!(
                found,
                "{overlay}: HPA {} targets a missing {:?}",
                name(hpa),
                target["name"]
            );
        }
        for policy in of_kind(docs, "AuthorizationPolicy")
            .into_iter()
            .chain(of_kind(docs, "NetworkPolicy"))
        {
            let selector = if kind(policy) == "NetworkPolicy" {
                &policy["spec"]["podSelector"]["matchLabels"]
            } else {
                &policy["spec"]["selector"]["matchLabels"]
            };
            let is_db = selector.get("cnpg.io/cluster").is_some();
            if selector.as_mapping().is_some_and(|m| !m.is_empty()) && !is_db {
                assert!(
                    some_pods_match(docs, selector),
                    "{overlay}: {} {} selects no pods",
                    kind(policy),
                    name(policy)
                );
            }
        }
    }
}

#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn every_container_has_probes_limits_and_a_locked_down_security_context() {
    for overlay in OVERLAYS {
        let docs = render(overlay);
        let pods: Vec<(&str, &Value, bool)> = docs
            .iter()
            .filter_map(|d| match kind(d) {
                "Deployment" | "Rollout" if d["spec"]["template"].is_mapping() => {
                    Some((name(d), &d["spec"]["template"]["spec"], true))
                }
                "Job" => Some((name(d), &d["spec"]["template"]["spec"], false)),
                _ => None,
            })
            .collect();
        assert!(pods.len() >= 4, "{overlay}");
        for (owner, pod, serves) in pods {
            assert_eq!(
                pod["securityContext"]["runAsNonRoot"].as_bool(),
                Some(true),
                "{overlay}/{owner}"
            );
            assert_eq!(
                pod["securityContext"]["seccompProfile"]["type"].as_str(),
                Some("RuntimeDefault"),
                "{overlay}/{owner}"
            );
            for container in seq(&pod["containers"]) {
                let what = format!(
                    "{overlay}/{owner}/{}",
                    container["name"].as_str().unwrap_or("?")
                );
                if serves {
                    assert!(
                        container["readinessProbe"].is_mapping()
                            && container["livenessProbe"].is_mapping(),
                        "{what}: probes"
                    );
                }
                for resource in ["cpu", "memory"] {
                    assert!(
                        !container["resources"]["limits"][resource].is_null(),
                        "{what}: {resource} limit"
                    );
                    assert!(
                        !container["resources"]["requests"][resource].is_null(),
                        "{what}: {resource} request"
                    );
                }
                let security = &container["securityContext"];
                assert_eq!(
                    security["readOnlyRootFilesystem"].as_bool(),
                    Some(true),
                    "{what}"
                );
                assert_eq!(
                    security["allowPrivilegeEscalation"].as_bool(),
                    Some(false),
                    "{what}"
                );
                assert!(
                    seq(&security["capabilities"]["drop"])
                        .iter()
                        .any(|c| c.as_str() == Some("ALL")),
                    "{what}: drop ALL"
                );
            }
        }
    }
}

#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn losing_one_node_never_takes_a_version_down() {
    let docs = render("production");
    for app in ["meshmap-frontend", "meshmap-martin", "meshmap-api"] {
        for version in DEFAULT_VERSIONS {
            let deployment = find(docs, "Deployment", &format!("{app}-{version}"));
            assert!(
                deployment["spec"]["replicas"].as_i64().unwrap_or(0) >= 2,
                "{app}-{version} needs 2+ replicas"
            );
            let spread = seq(&deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]);
            let by_node = spread
                .iter()
                .find(|c| c["topologyKey"] == "kubernetes.io/hostname")
                .expect("spread over nodes");
            assert_eq!(by_node["whenUnsatisfiable"].as_str(), Some("DoNotSchedule"));
            assert_eq!(by_node["maxSkew"].as_i64(), Some(1));
            let pdb = find(docs, "PodDisruptionBudget", &format!("{app}-{version}"));
            // One eviction at a time, and with 2+ replicas one always stays.
            assert_eq!(pdb["spec"]["maxUnavailable"].as_i64(), Some(1));
            let hpa = find(docs, "HorizontalPodAutoscaler", &format!("{app}-{version}"));
            assert!(hpa["spec"]["minReplicas"].as_i64().unwrap_or(0) >= 2);
        }
    }
}

#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn cookie_and_header_names_are_the_apps_and_the_local_gateways() {
    let docs = render("production");
    let header = VERSION_HEADER.to_ascii_lowercase();
    let frontend = find(docs, "VirtualService", "meshmap-frontend");
    for route in seq(&frontend["spec"]["http"]) {
        if let Some(regex) = route["match"][0]["headers"]["cookie"]["regex"].as_str() {
            assert!(regex.contains(VERSION_COOKIE), "{regex}");
        }
        for destination in seq(&route["route"]) {
            if let Some(set_cookie) =
                destination["headers"]["response"]["add"]["set-cookie"].as_str()
            {
                let subset = destination["destination"]["subset"].as_str().unwrap();
                assert!(
                    set_cookie.starts_with(&format!("{VERSION_COOKIE}={subset};")),
                    "{set_cookie}"
                );
                assert!(set_cookie.contains("Secure") && set_cookie.contains("Path=/"));
            }
        }
    }
    // Embedded maps (requests with Origin and no cookie) go to stable, before the split.
    let routes = seq(&frontend["spec"]["http"]);
    let embedded = routes
        .iter()
        .position(|r| r["match"][0]["headers"]["origin"].is_mapping())
        .expect("a route for embedded maps");
    let split = routes
        .iter()
        .position(|r| r["name"] == "split")
        .expect("the split");
    assert!(embedded < split);
    assert_eq!(
        routes[embedded]["route"][0]["destination"]["subset"].as_str(),
        Some("stable")
    );
    let tiles = find(docs, "VirtualService", "meshmap-tiles");
    let header_routes: Vec<&Value> = seq(&tiles["spec"]["http"])
        .into_iter()
        .filter(|r| !r["match"][0]["headers"][&header].is_null())
        .collect();
    assert_eq!(
        header_routes.len(),
        3,
        "tiles, the live stream and the api route the canary by {header}"
    );
    for route in header_routes {
        assert_eq!(
            route["match"][0]["headers"][&header]["exact"].as_str(),
            Some("canary")
        );
    }
    for rule in of_kind(docs, "DestinationRule") {
        let subsets: Vec<&str> = seq(&rule["spec"]["subsets"])
            .iter()
            .filter_map(|s| s["name"].as_str())
            .collect();
        assert_eq!(subsets, DEFAULT_VERSIONS);
    }
    // The local gateway routes on the same cookie and header.
    let gateway = std::fs::read_to_string(root().join("nginx/gateway.conf")).unwrap();
    assert!(gateway.contains(&format!("$http_{}", header.replace('-', "_"))));
    assert!(gateway.contains(VERSION_COOKIE));
    // And the config the cluster serves accepts exactly these version names.
    let config_map = of_kind(docs, "ConfigMap")
        .into_iter()
        .find(|c| name(c).starts_with("meshmap-frontend-config"))
        .expect("config");
    let config = Config::from_json(config_map["data"]["config.json"].as_str().unwrap())
        .expect("a valid config.json");
    assert_eq!(config.versions, DEFAULT_VERSIONS);
}

/// Where Istio sends a page request, reading the rendered VirtualService as Envoy does: the first
/// route whose header matches all hold (`regex` a full match, RE2 syntax, which Rust's `regex`
/// shares); (route name, subset or "split", whether the response resets the cookie).
fn istio_route(
    frontend: &Value,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> (String, String, bool) {
    for route in seq(&frontend["spec"]["http"]) {
        let headers = &route["match"][0]["headers"];
        let matches = |name: &str, value: Option<&str>| match (&headers[name], value) {
            (Value::Null, _) => true,
            (condition, Some(value)) => {
                let regex = condition["regex"]
                    .as_str()
                    .expect("header matches are regexes");
                regex::Regex::new(&format!("^(?:{regex})$"))
                    .expect("an RE2 regex")
                    .is_match(value)
            }
            (_, None) => false,
        };
        if route["match"].is_null() || (matches("cookie", cookie) && matches("origin", origin)) {
            let name = route["name"].as_str().unwrap_or_default().to_owned();
            let destinations = seq(&route["route"]);
            let subset = if destinations.len() > 1 {
                "split".into()
            } else {
                destinations[0]["destination"]["subset"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            let resets = destinations.len() == 1
                && !destinations[0]["headers"]["response"]["add"]["set-cookie"].is_null();
            return (name, subset, resets);
        }
    }
    panic!("no route for cookie {cookie:?}")
}

/// The shared cookie rule (tests/fixtures/cookie-cases.txt), case by case: Istio's routes give
/// what the app reads (src/cookie.rs runs the same cases; tests/gateway.rs the local gateway).
#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn istio_reads_the_app_version_cookie_by_the_shared_rule() {
    let docs = render("production");
    let frontend = find(docs, "VirtualService", "meshmap-frontend");
    for line in std::fs::read_to_string(root().join("tests/fixtures/cookie-cases.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let (verdict, header) = line.split_once('\t').expect("verdict<TAB>header");
        // The app's reading of the same header.
        let app = match meshmap::cookie::version_from_cookies(header, &DEFAULT_VERSIONS) {
            meshmap::cookie::VersionCookie::Valid(v) => v,
            meshmap::cookie::VersionCookie::Absent => "absent".into(),
            meshmap::cookie::VersionCookie::Rejected(_) => "invalid".into(),
        };
        assert_eq!(app, verdict, "the app, {header:?}");
        let cookie = (!header.is_empty()).then_some(header);
        let (route, subset, resets) = istio_route(frontend, cookie, None);
        match verdict {
            "absent" => assert_eq!(subset, "split", "{header:?} went to {route}"),
            "invalid" => assert!(
                subset == "stable" && resets,
                "{header:?} went to {route} ({subset}, reset {resets})"
            ),
            version => assert!(
                subset == version && !resets,
                "{header:?} went to {route} ({subset})"
            ),
        }
        // An embedded map's requests (Origin, and the host's cookies, never ours): stable.
        if verdict == "absent" {
            assert_eq!(
                istio_route(frontend, cookie, Some("https://host.example")).1,
                "stable",
                "{header:?}"
            );
        }
    }
}

#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn the_tile_route_rewrites_and_retries_only_requests_that_never_reached_martin() {
    let docs = render("production");
    let tiles = find(docs, "VirtualService", "meshmap-tiles");
    for route in seq(&tiles["spec"]["http"])
        .into_iter()
        .filter(|r| r["match"][0]["uri"]["prefix"] == "/tiles/")
    {
        assert_eq!(route["rewrite"]["uri"].as_str(), Some("/"));
        assert!(route["retries"]["perTryTimeout"].is_string() && route["timeout"].is_string());
    }
    // The app has the retry budget (src/retry.rs): the mesh retries nothing Martin answered, or a
    // struggling Martin would see three requests for every one the app makes.
    for vs in ["meshmap-tiles", "meshmap"] {
        for route in seq(&find(docs, "VirtualService", vs)["spec"]["http"]) {
            let Some(retry_on) = route["retries"]["retryOn"].as_str() else {
                continue;
            };
            let conditions: Vec<&str> = retry_on.split(',').collect();
            assert!(
                conditions
                    .iter()
                    .all(|c| ["connect-failure", "refused-stream", "reset"].contains(c)),
                "{vs}: {retry_on}"
            );
        }
    }
    let root_vs = find(docs, "VirtualService", "meshmap");
    let first = &root_vs["spec"]["http"][0];
    assert_eq!(
        first["delegate"]["name"].as_str(),
        Some("meshmap-tiles"),
        "backends are matched before the frontend catch-all"
    );
    let gateway = find(docs, "Gateway", "meshmap-gateway");
    let servers = seq(&gateway["spec"]["servers"]);
    assert!(servers
        .iter()
        .any(|s| s["tls"]["credentialName"].is_string() && s["port"]["protocol"] == "HTTPS"));
    assert!(servers
        .iter()
        .any(|s| s["tls"]["httpsRedirect"].as_bool() == Some(true)));
    assert_eq!(
        find(docs, "PeerAuthentication", "default")["spec"]["mtls"]["mode"].as_str(),
        Some("STRICT")
    );
    for rule in of_kind(docs, "DestinationRule") {
        assert_eq!(
            rule["spec"]["trafficPolicy"]["tls"]["mode"].as_str(),
            Some("ISTIO_MUTUAL")
        );
        assert!(
            rule["spec"]["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"]
                .as_i64()
                .is_some()
        );
    }
    assert!(of_kind(docs, "EnvoyFilter")
        .iter()
        .any(|f| f["metadata"]["namespace"] == "istio-system"));
}

/// CloudNativePG's `Cluster` and `ScheduledBackup` (postgresql.cnpg.io/v1) have no schema package
/// on the registries: check the fields used against the operator's API reference.
#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn the_database_uses_cloudnativepg_fields_as_documented() {
    const CLUSTER_SPEC: [&str; 12] = [
        "instances",
        "managed",
        "imageName",
        "primaryUpdateStrategy",
        "bootstrap",
        "storage",
        "walStorage",
        "resources",
        "affinity",
        "monitoring",
        "backup",
        "postgresql",
    ];
    let docs = render("production");
    let cluster = find(docs, "Cluster", "meshmap-db");
    assert_eq!(
        cluster["apiVersion"].as_str(),
        Some("postgresql.cnpg.io/v1")
    );
    for key in cluster["spec"].as_mapping().unwrap().keys() {
        assert!(
            CLUSTER_SPEC.contains(&key.as_str().unwrap()),
            "Cluster.spec.{key:?} is not in CloudNativePG's ClusterSpec"
        );
    }
    assert!(
        cluster["spec"]["instances"].as_i64().unwrap() >= 3,
        "a primary and two replicas"
    );
    assert!(cluster["spec"]["imageName"]
        .as_str()
        .unwrap()
        .contains("postgis"));
    let initdb = &cluster["spec"]["bootstrap"]["initdb"];
    assert_eq!(initdb["database"].as_str(), Some("meshmap"));
    assert!(seq(&initdb["postInitApplicationSQL"])
        .iter()
        .any(|s| s.as_str().unwrap().contains("postgis")));
    // The credentials Secret is referenced, never committed; the loader reads the owner's.
    let secret = initdb["secret"]["name"].as_str().unwrap();
    assert!(of_kind(docs, "Secret").is_empty(), "no Secret is committed");
    let reads_secret = |kind: &str, workload: &str, secret: &str| {
        seq(&find(docs, kind, workload)["spec"]["template"]["spec"]["containers"][0]["env"])
            .iter()
            .any(|e| e["valueFrom"]["secretKeyRef"]["name"].as_str() == Some(secret))
    };
    assert!(reads_secret("Job", "meshmap-db-load", secret));
    let store = &cluster["spec"]["backup"]["barmanObjectStore"];
    assert!(store["destinationPath"]
        .as_str()
        .unwrap()
        .starts_with("s3://"));
    assert!(cluster["spec"]["affinity"]["enablePodAntiAffinity"]
        .as_bool()
        .unwrap());
    let backup = find(docs, "ScheduledBackup", "meshmap-db-daily");
    assert_eq!(
        backup["spec"]["cluster"]["name"].as_str(),
        Some("meshmap-db")
    );
    assert_eq!(
        backup["spec"]["schedule"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .count(),
        6,
        "CloudNativePG cron has a seconds field"
    );
    // The API's and Martin's logins are the operator's to make, their passwords the Secrets
    // they read; neither reads the owner's.
    let roles = seq(&cluster["spec"]["managed"]["roles"]);
    for (login, app) in [
        ("meshmap_api", "meshmap-api"),
        ("meshmap_tiles", "meshmap-martin"),
    ] {
        let role = roles
            .iter()
            .find(|r| r["name"].as_str() == Some(login))
            .unwrap_or_else(|| panic!("a managed role {login}"));
        let role_secret = role["passwordSecret"]["name"].as_str().unwrap();
        for version in DEFAULT_VERSIONS {
            let workload = format!("{app}-{version}");
            assert!(
                reads_secret("Deployment", &workload, role_secret),
                "{workload}"
            );
            assert!(!reads_secret("Deployment", &workload, secret), "{workload}");
            let url = seq(
                &find(docs, "Deployment", &workload)["spec"]["template"]["spec"]["containers"][0]
                    ["env"],
            )
            .into_iter()
            .find(|e| e["name"] == "DATABASE_URL")
            .and_then(|e| e["value"].as_str())
            .unwrap_or_default();
            assert!(
                url.starts_with(&format!("postgresql://{login}:")),
                "{workload}: {url}"
            );
        }
    }
    let job = find(docs, "Job", "meshmap-db-load");
    assert!(
        seq(&job["spec"]["template"]["spec"]["containers"][0]["env"])
            .iter()
            .any(|e| e["name"] == "DATABASE_URL")
    );
}

/// Chaos Mesh's `Schedule`/`PodChaos` (chaos-mesh.org/v1alpha1): no schema package either.
#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn the_chaos_overlay_injects_tile_faults_and_kills_a_frontend_pod() {
    let docs = render("chaos");
    let schedule = find(docs, "Schedule", "meshmap-frontend-pod-kill");
    assert_eq!(
        schedule["apiVersion"].as_str(),
        Some("chaos-mesh.org/v1alpha1")
    );
    for key in schedule["spec"].as_mapping().unwrap().keys() {
        let key = key.as_str().unwrap();
        assert!(
            [
                "schedule",
                "type",
                "historyLimit",
                "concurrencyPolicy",
                "startingDeadlineSeconds",
                "podChaos"
            ]
            .contains(&key),
            "Schedule.spec.{key}"
        );
    }
    assert_eq!(schedule["spec"]["type"].as_str(), Some("PodChaos"));
    let chaos = &schedule["spec"]["podChaos"];
    assert!(
        ["pod-kill", "pod-failure", "container-kill"].contains(&chaos["action"].as_str().unwrap())
    );
    assert!(
        ["one", "all", "fixed", "fixed-percent", "random-max-percent"]
            .contains(&chaos["mode"].as_str().unwrap())
    );
    assert!(some_pods_match(docs, &chaos["selector"]["labelSelectors"]));
    let tiles = find(docs, "VirtualService", "meshmap-tiles");
    for route in seq(&tiles["spec"]["http"]).into_iter().take(2) {
        assert!(
            route["fault"]["delay"]["percentage"]["value"]
                .as_f64()
                .unwrap()
                > 0.0
        );
        assert_eq!(route["fault"]["abort"]["httpStatus"].as_i64(), Some(503));
    }
    // Production itself has no faults.
    let production = render("production");
    assert!(
        seq(&find(production, "VirtualService", "meshmap-tiles")["spec"]["http"])
            .iter()
            .all(|r| r["fault"].is_null())
    );
}

#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn the_rollouts_overlay_hands_the_frontend_to_argo() {
    let docs = render("rollouts");
    let rollout = find(docs, "Rollout", "meshmap-frontend");
    let canary = &rollout["spec"]["strategy"]["canary"];
    let routing = &canary["trafficRouting"]["istio"];
    let vs = find(
        docs,
        "VirtualService",
        routing["virtualService"]["name"].as_str().unwrap(),
    );
    let routes: Vec<&str> = seq(&routing["virtualService"]["routes"])
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    for route in &routes {
        assert!(
            seq(&vs["spec"]["http"])
                .iter()
                .any(|r| r["name"].as_str() == Some(route)),
            "route {route}"
        );
    }
    let rule = find(
        docs,
        "DestinationRule",
        routing["destinationRule"]["name"].as_str().unwrap(),
    );
    let subsets: Vec<&str> = seq(&rule["spec"]["subsets"])
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(subsets.contains(
        &routing["destinationRule"]["canarySubsetName"]
            .as_str()
            .unwrap()
    ));
    assert!(subsets.contains(
        &routing["destinationRule"]["stableSubsetName"]
            .as_str()
            .unwrap()
    ));
    let weights: Vec<i64> = seq(&canary["steps"])
        .iter()
        .filter_map(|s| s["setWeight"].as_i64())
        .collect();
    assert_eq!(weights.first(), Some(&10));
    assert_eq!(weights.last(), Some(&100));
    let template = canary["analysis"]["templates"][0]["templateName"]
        .as_str()
        .unwrap();
    find(docs, "AnalysisTemplate", template);
    assert!(of_kind(docs, "Deployment")
        .iter()
        .all(|d| name(d) != "meshmap-frontend-canary"));
}

/// Issue 14: /api/ goes to the API's own Deployments by X-App-Version (stable without it), which
/// read the database as their read-only login, are ready only while it answers, and reach nothing
/// but PostgreSQL; the database lets them in; Prometheus scrapes their /metrics.
#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn the_api_has_its_own_versions_routes_and_a_network_that_reaches_only_the_database() {
    let docs = render("production");
    let backends = find(docs, "VirtualService", "meshmap-tiles");
    let api_routes: Vec<&Value> = seq(&backends["spec"]["http"])
        .into_iter()
        .filter(|r| r["match"][0]["uri"]["prefix"] == "/api/")
        .collect();
    let target = |route: &Value| {
        let destination = &route["route"][0]["destination"];
        (
            destination["host"].as_str().unwrap_or_default().to_owned(),
            destination["subset"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    assert_eq!(api_routes.len(), 2, "a canary route and the stable default");
    assert_eq!(
        api_routes[0]["match"][0]["headers"]["x-app-version"]["exact"],
        "canary"
    );
    assert_eq!(
        target(api_routes[0]),
        ("meshmap-api".into(), "canary".into())
    );
    assert!(
        api_routes[1]["match"][0]["headers"].is_null(),
        "stable takes the rest"
    );
    assert_eq!(
        target(api_routes[1]),
        ("meshmap-api".into(), "stable".into())
    );
    // The live stream stays open: its routes (before the /api/ ones) have no timeout.
    let live_routes: Vec<&Value> = seq(&backends["spec"]["http"])
        .into_iter()
        .filter(|r| r["match"][0]["uri"]["exact"] == "/api/live")
        .collect();
    assert_eq!(live_routes.len(), 2);
    assert_eq!(
        target(live_routes[0]),
        ("meshmap-api-live".into(), "canary".into())
    );
    assert_eq!(
        target(live_routes[1]),
        ("meshmap-api-live".into(), "stable".into())
    );
    assert!(live_routes
        .iter()
        .all(|r| r["timeout"] == "0s" && r["retries"].is_null()));
    for version in ["stable", "canary"] {
        let deployment = find(docs, "Deployment", &format!("meshmap-api-{version}"));
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
        assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
        let url = seq(&container["env"])
            .into_iter()
            .find(|e| e["name"] == "DATABASE_URL")
            .and_then(|e| e["value"].as_str())
            .unwrap_or_default();
        assert!(
            url.starts_with("postgresql://meshmap_api:"),
            "the read-only login: {url}"
        );
        assert_eq!(
            deployment["spec"]["template"]["metadata"]["labels"]["version"],
            version
        );
    }
    // Egress: PostgreSQL, DNS and istiod only.
    let policy = find(docs, "NetworkPolicy", "meshmap-api");
    let types: Vec<&str> = seq(&policy["spec"]["policyTypes"])
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert!(types.contains(&"Egress"), "{types:?}");
    let egress = seq(&policy["spec"]["egress"]);
    assert_eq!(egress.len(), 3, "{egress:?}");
    assert_eq!(
        egress[0]["to"][0]["podSelector"]["matchLabels"]["cnpg.io/cluster"],
        "meshmap-db"
    );
    assert_eq!(egress[0]["ports"][0]["port"], 5432);
    let ports: Vec<u64> = egress[1..]
        .iter()
        .flat_map(|rule| seq(&rule["ports"]))
        .filter_map(|p| p["port"].as_u64())
        .collect();
    assert!(ports.iter().all(|p| [53, 15012].contains(p)), "{ports:?}");
    // The database lets the API in, by network and by identity.
    let database_policy = find(docs, "NetworkPolicy", "meshmap-db");
    assert!(seq(&database_policy["spec"]["ingress"][0]["from"])
        .iter()
        .any(|f| f["podSelector"]["matchLabels"]["app"] == "meshmap-api"));
    let database_authz = find(docs, "AuthorizationPolicy", "meshmap-db");
    let principals = serde_json::to_string(&database_authz["spec"]["rules"][0]).unwrap();
    assert!(principals.contains("sa/meshmap-api"), "{principals}");
    let api_authz = find(docs, "AuthorizationPolicy", "meshmap-api");
    assert_eq!(
        api_authz["spec"]["rules"][0]["to"][0]["operation"]["paths"][0],
        "/api/*"
    );
    let monitor = find(docs, "PodMonitor", "meshmap-api");
    assert_eq!(
        monitor["spec"]["podMetricsEndpoints"][0]["path"],
        "/metrics"
    );
}

// Issue 22: the manifests against what the API, Martin and PostgreSQL need in production.

/// A container's environment variable `name`, if set to a literal value.
fn env_value<'a>(container: &'a Value, name: &str) -> Option<&'a str> {
    seq(&container["env"])
        .into_iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
}

/// The most pods a workload can have: its autoscaler's maximum, else its replicas.
fn most_pods(docs: &[Value], workload: &Value) -> i64 {
    of_kind(docs, "HorizontalPodAutoscaler")
        .into_iter()
        .find(|hpa| hpa["spec"]["scaleTargetRef"]["name"] == workload["metadata"]["name"])
        .and_then(|hpa| hpa["spec"]["maxReplicas"].as_i64())
        .or_else(|| workload["spec"]["replicas"].as_i64())
        .unwrap_or(1)
}

/// Martin's pool size, from the rendered config map (kustomize adds a hash to its name).
fn martin_pool_size(docs: &[Value]) -> i64 {
    let config = of_kind(docs, "ConfigMap")
        .into_iter()
        .find(|c| name(c).starts_with("meshmap-martin-config"))
        .expect("Martin's config map");
    let text = config["data"]["config.yaml"].as_str().expect("config.yaml");
    let parsed: Value = serde_yaml::from_str(text).expect("Martin's config is YAML");
    parsed["postgres"]["pool_size"]
        .as_i64()
        .expect("Martin's pool_size is set (its default grows with the machine's cores)")
}

/// Connections the loader Job's pod opens at most: psql and shp2pgsql's pipe into it are one,
/// and scripts/db-load.sh runs its steps one after another; two to be safe.
const LOADER_CONNECTIONS: i64 = 2;
/// CloudNativePG's own connections to each instance (its instance manager, the metrics
/// exporter's queries, backups): a margin, as the operator does not document a number.
const OPERATOR_CONNECTIONS: i64 = 10;

/// Every pool at every autoscaler's maximum, plus the loader, the superuser's reserve and the
/// operator's, fits PostgreSQL's max_connections, counted as if every client reached one
/// instance (a one-instance cluster, or the only instance left). A workload that reaches the
/// database and is not counted here fails the test.
#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn every_pool_at_its_most_fits_the_databases_max_connections() {
    for overlay in OVERLAYS {
        let docs = render(overlay);
        let cluster = find(docs, "Cluster", "meshmap-db");
        let parameters = &cluster["spec"]["postgresql"]["parameters"];
        let most: i64 = parameters["max_connections"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .expect("the Cluster sets max_connections");
        let reserved: i64 = parameters["superuser_reserved_connections"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .unwrap_or(3);
        let mut total = reserved + OPERATOR_CONNECTIONS;
        let mut counted = Vec::new();
        for workload in of_kind(docs, "Deployment") {
            let Some(container) = seq(&workload["spec"]["template"]["spec"]["containers"])
                .into_iter()
                .find(|c| env_value(c, "DATABASE_URL").is_some())
            else {
                continue;
            };
            let per_pod = if let Some(pool) = env_value(container, "DATABASE_POOL_SIZE") {
                let pool: i64 = pool.parse().expect("DATABASE_POOL_SIZE is a number");
                // The live feed's own connection.
                pool + i64::from(env_value(container, "DATABASE_FEED_URL").is_some())
            } else if container["name"] == "martin" {
                martin_pool_size(docs)
            } else {
                panic!(
                    "{overlay}: {} reaches the database with a pool this test does not know",
                    name(workload)
                )
            };
            total += per_pod * most_pods(docs, workload);
            counted.push(format!(
                "{} {per_pod}x{}",
                name(workload),
                most_pods(docs, workload)
            ));
        }
        for job in of_kind(docs, "Job") {
            total += LOADER_CONNECTIONS * job["spec"]["parallelism"].as_i64().unwrap_or(1);
        }
        assert!(
            counted.len() >= 4,
            "{overlay}: the API and Martin, both versions: {counted:?}"
        );
        assert!(
            total <= most,
            "{overlay}: {total} connections at most ({counted:?}, the loader, {reserved} reserved, \
             {OPERATOR_CONNECTIONS} for the operator) but max_connections is {most}"
        );
    }
}

/// Where a monitor scrapes: the pods' labels, the port number and the path.
struct Scrape {
    monitor: String,
    labels: Value,
    port: u64,
    path: String,
}

/// The port named `port` among a pod template's containers.
fn container_port(pod: &Value, port: &str) -> Option<u64> {
    seq(&pod["containers"])
        .into_iter()
        .flat_map(|c| seq(&c["ports"]))
        .find(|p| p["name"] == port)
        .and_then(|p| p["containerPort"].as_u64())
}

/// Whether a monitor's selector (matchLabels, matchExpressions with In) selects `labels`.
fn monitor_selects(selector: &Value, labels: &Value) -> bool {
    let by_labels = selector["matchLabels"]
        .as_mapping()
        .is_none_or(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let by_expressions = seq(&selector["matchExpressions"]).into_iter().all(|e| {
        e["operator"] == "In" && seq(&e["values"]).contains(&&labels[e["key"].as_str().unwrap()])
    });
    by_labels && by_expressions
}

/// Every scrape the monitors make, per pod template they select; CloudNativePG's own
/// PodMonitor (made by the operator when the Cluster asks) scrapes each instance's exporter on
/// 9187.
fn scrapes(docs: &[Value]) -> Vec<Scrape> {
    let mut found = Vec::new();
    for monitor in of_kind(docs, "PodMonitor") {
        for workload in workloads(docs) {
            let labels = pod_labels(docs, workload);
            if !monitor_selects(&monitor["spec"]["selector"], labels) {
                continue;
            }
            let pod = pod_spec(docs, workload);
            for endpoint in seq(&monitor["spec"]["podMetricsEndpoints"]) {
                let port = endpoint["targetPort"]
                    .as_u64()
                    .or_else(|| container_port(pod, endpoint["port"].as_str().unwrap_or_default()));
                found.push(Scrape {
                    monitor: name(monitor).to_owned(),
                    labels: labels.clone(),
                    port: port.unwrap_or_else(|| {
                        panic!("{}: no such port in {}", name(monitor), name(workload))
                    }),
                    path: endpoint["path"].as_str().unwrap_or("/metrics").to_owned(),
                });
            }
        }
    }
    for monitor in of_kind(docs, "ServiceMonitor") {
        for service in of_kind(docs, "Service") {
            if !monitor_selects(&monitor["spec"]["selector"], &service["metadata"]["labels"]) {
                continue;
            }
            for workload in workloads(docs) {
                let labels = pod_labels(docs, workload);
                if !selects(&service["spec"]["selector"], labels) {
                    continue;
                }
                let pod = pod_spec(docs, workload);
                for endpoint in seq(&monitor["spec"]["endpoints"]) {
                    let service_port = seq(&service["spec"]["ports"])
                        .into_iter()
                        .find(|p| p["name"] == endpoint["port"])
                        .unwrap_or_else(|| panic!("{}: no such Service port", name(monitor)));
                    let port = service_port["targetPort"].as_u64().or_else(|| {
                        container_port(pod, service_port["targetPort"].as_str().unwrap_or(""))
                    });
                    found.push(Scrape {
                        monitor: name(monitor).to_owned(),
                        labels: labels.clone(),
                        port: port.expect("the Service's target port is a container's"),
                        path: endpoint["path"].as_str().unwrap_or("/metrics").to_owned(),
                    });
                }
            }
        }
    }
    for cluster in of_kind(docs, "Cluster") {
        if cluster["spec"]["monitoring"]["enablePodMonitor"] == true {
            let mut labels = serde_yaml::Mapping::new();
            labels.insert("cnpg.io/cluster".into(), name(cluster).into());
            found.push(Scrape {
                monitor: format!("{} (the operator's)", name(cluster)),
                labels: Value::Mapping(labels),
                port: 9187,
                path: "/metrics".into(),
            });
        }
    }
    found
}

/// An Istio path pattern (exact, `prefix*` or `*suffix`) against a path.
fn path_matches(pattern: &str, path: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        path.starts_with(prefix)
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        path.ends_with(suffix)
    } else {
        pattern == path
    }
}

/// Whether the ALLOW AuthorizationPolicies on pods with `labels` let Prometheus (a workload in
/// the `monitoring` namespace) GET `path` on `port`. No policy on the pods: everything may.
fn istio_admits_prometheus(docs: &[Value], labels: &Value, port: u64, path: &str) -> bool {
    let policies: Vec<&Value> = of_kind(docs, "AuthorizationPolicy")
        .into_iter()
        .filter(|p| selects(&p["spec"]["selector"]["matchLabels"], labels))
        .collect();
    let listed = |list: &Value, wanted: &str, matches: &dyn Fn(&str, &str) -> bool| {
        list.is_null()
            || seq(list)
                .into_iter()
                .any(|v| matches(v.as_str().unwrap_or_default(), wanted))
    };
    let equal = |a: &str, b: &str| a == b;
    policies.is_empty()
        || policies.iter().any(|policy| {
            policy["spec"]["action"] != "DENY"
                && seq(&policy["spec"]["rules"]).into_iter().any(|rule| {
                    let from = rule["from"].is_null()
                        || seq(&rule["from"]).into_iter().any(|f| {
                            listed(&f["source"]["namespaces"], "monitoring", &equal)
                                && f["source"]["principals"].is_null()
                        });
                    let to = rule["to"].is_null()
                        || seq(&rule["to"]).into_iter().any(|t| {
                            let operation = &t["operation"];
                            listed(&operation["ports"], &port.to_string(), &equal)
                                && listed(&operation["paths"], path, &path_matches)
                                && !seq(&operation["notPaths"])
                                    .into_iter()
                                    .any(|p| path_matches(p.as_str().unwrap_or_default(), path))
                                && listed(&operation["methods"], "GET", &equal)
                        });
                    from && to
                })
        })
}

/// Whether the NetworkPolicies on pods with `labels` let the `monitoring` namespace reach
/// `port` (the namespace's default-deny is in force: some policy must allow it).
fn network_admits_prometheus(docs: &[Value], labels: &Value, port: u64) -> bool {
    of_kind(docs, "NetworkPolicy")
        .into_iter()
        .filter(|p| selects(&p["spec"]["podSelector"]["matchLabels"], labels))
        .flat_map(|p| seq(&p["spec"]["ingress"]))
        .any(|rule| {
            seq(&rule["from"]).into_iter().any(|f| {
                f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == "monitoring"
            }) && seq(&rule["ports"])
                .into_iter()
                .any(|p| p["port"].as_u64() == Some(port))
        })
}

/// Prometheus may read every port the monitors scrape, through Istio's AuthorizationPolicies and
/// the NetworkPolicies alike (a scrape either refuses is a target that is always down). Envoy's
/// own statistics port (15090) is answered by the sidecar before any policy applies: only the
/// NetworkPolicy counts there.
#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn prometheus_may_read_every_port_the_monitors_scrape() {
    for overlay in OVERLAYS {
        let docs = render(overlay);
        let scrapes = scrapes(docs);
        assert!(
            scrapes.iter().any(|s| s.port == 9187) && scrapes.iter().any(|s| s.port == 9464),
            "{overlay}: the database's and the API's exporters are scraped"
        );
        for scrape in &scrapes {
            let what = format!(
                "{overlay}: {} scrapes {}:{} on {:?}",
                scrape.monitor, scrape.path, scrape.port, scrape.labels
            );
            if scrape.port != 15090 {
                assert!(
                    istio_admits_prometheus(docs, &scrape.labels, scrape.port, &scrape.path),
                    "{what}: no AuthorizationPolicy lets Prometheus in"
                );
            }
            assert!(
                network_admits_prometheus(docs, &scrape.labels, scrape.port),
                "{what}: no NetworkPolicy lets Prometheus in"
            );
        }
    }
}

/// The API in the cluster: the feed on the primary, searches on any instance, metrics off the
/// public port, client addresses from the gateway, a preStop pause on every serving pod, and the
/// live streams on a host whose connection pool fits every pod's streams.
#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn the_api_feed_reads_the_primary_and_live_streams_have_their_own_pool() {
    let docs = render("production");
    let mut most_streams = 0;
    for version in DEFAULT_VERSIONS {
        let deployment = find(docs, "Deployment", &format!("meshmap-api-{version}"));
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        let host = |variable: &str| {
            let url = env_value(container, variable).unwrap_or_default();
            url.split('@')
                .nth(1)
                .and_then(|rest| rest.split(':').next())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            host("DATABASE_FEED_URL"),
            "meshmap-db-rw",
            "LISTEN needs the primary"
        );
        assert!(
            ["meshmap-db-r", "meshmap-db-rw"].contains(&host("DATABASE_URL").as_str()),
            "-ro has no endpoints on a one-instance cluster: {}",
            host("DATABASE_URL")
        );
        let metrics = env_value(container, "METRICS_LISTEN").unwrap_or_default();
        let metrics_port = container_port(&deployment["spec"]["template"]["spec"], "metrics");
        assert_eq!(
            metrics.rsplit(':').next().and_then(|p| p.parse().ok()),
            metrics_port,
            "METRICS_LISTEN is the container's metrics port"
        );
        assert_ne!(metrics_port, Some(8080));
        assert_eq!(env_value(container, "TRUST_FORWARDED_FOR"), Some("1"));
        let streams: i64 = env_value(container, "LIVE_MAX_STREAMS")
            .and_then(|n| n.parse().ok())
            .expect("LIVE_MAX_STREAMS set");
        most_streams += streams * most_pods(docs, deployment);
    }
    for deployment in of_kind(docs, "Deployment") {
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert!(
            container["lifecycle"]["preStop"]["sleep"]["seconds"]
                .as_i64()
                .is_some_and(|s| s >= 5),
            "{}: a preStop pause while the pod leaves the endpoints",
            name(deployment)
        );
        let grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            .as_i64()
            .unwrap_or(30);
        assert!(grace >= 20, "{}: 5 s pause + 10 s drain", name(deployment));
    }
    // Live streams go to their own host, whose pool holds every pod's streams.
    let routes = find(docs, "VirtualService", "meshmap-tiles");
    let live: Vec<&Value> = seq(&routes["spec"]["http"])
        .into_iter()
        .filter(|r| r["match"][0]["uri"]["exact"] == "/api/live")
        .collect();
    assert!(!live.is_empty());
    for route in live {
        assert_eq!(route["route"][0]["destination"]["host"], "meshmap-api-live");
    }
    let service = find(docs, "Service", "meshmap-api-live");
    assert!(some_pods_match(docs, &service["spec"]["selector"]));
    let pool = &find(docs, "DestinationRule", "meshmap-api-live")["spec"]["trafficPolicy"]
        ["connectionPool"];
    for limit in [
        &pool["tcp"]["maxConnections"],
        &pool["http"]["http2MaxRequests"],
    ] {
        assert!(
            limit.as_i64().unwrap_or(0) >= most_streams,
            "the live pool {limit:?} < {most_streams} streams"
        );
    }
    let search_pool =
        &find(docs, "DestinationRule", "meshmap-api")["spec"]["trafficPolicy"]["connectionPool"];
    assert!(search_pool["tcp"]["maxConnections"].as_i64() < Some(most_streams));
}

/// The gateway's rate limit counts each client address apart, and tiles apart from the rest
/// (a map being dragged asks for many more tiles than pages or searches). Checked from the
/// manifest only: no Envoy runs here.
#[test]
#[ignore = "needs kubectl: run by `make test`"]
fn the_gateway_limits_each_client_with_tiles_on_their_own_budget() {
    let docs = render("production");
    let filter = find(docs, "EnvoyFilter", "meshmap-ingress-ratelimit");
    let config = &filter["spec"]["configPatches"][0]["patch"]["value"]["typed_config"]["value"];
    assert_eq!(config["always_consume_default_token_bucket"], false);
    assert!(config["max_dynamic_descriptors"].as_i64().unwrap_or(0) >= 10_000);
    let mut classes = Vec::new();
    for limit in seq(&config["rate_limits"]) {
        let actions = seq(&limit["actions"]);
        assert!(
            actions[0]["remote_address"].is_mapping(),
            "every descriptor starts with the client's address"
        );
        let class = &actions[1]["header_value_match"];
        assert_eq!(class["headers"][0]["string_match"]["prefix"], "/tiles/");
        classes.push((
            class["descriptor_value"].as_str().unwrap_or_default(),
            class["expect_match"].as_bool() == Some(true),
        ));
    }
    classes.sort();
    assert_eq!(classes, [("other", false), ("tiles", true)]);
    let mut buckets = Vec::new();
    for descriptor in seq(&config["descriptors"]) {
        let entries = seq(&descriptor["entries"]);
        assert_eq!(entries[0]["key"], "remote_address");
        assert_eq!(entries[0]["value"], "", "a bucket per address (wildcard)");
        buckets.push((
            entries[1]["value"].as_str().unwrap_or_default(),
            descriptor["token_bucket"]["tokens_per_fill"]
                .as_i64()
                .unwrap_or(0),
        ));
    }
    buckets.sort();
    assert_eq!(buckets.len(), 2);
    assert!(
        buckets[1].0 == "tiles" && buckets[1].1 > buckets[0].1,
        "tiles get more than the rest: {buckets:?}"
    );
}
