//! The runtime image, built with podman from dist/ on a locally made Debian base
//! (scripts/container-image.sh), run as production runs it: read-only root, a tmpfs on /tmp,
//! published on a loopback port. The app server's HTTP rules must hold inside it too.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use support::app_checks::{self, get};
use support::{free_port, root, tempdir, wait_for_port};

fn podman(args: &[&str]) -> String {
    let output = Command::new("podman")
        .env("CONTAINERS_CONF", root().join("container/containers.conf"))
        .args(args)
        .output()
        .expect("podman runs (scripts/setup.sh installs it)");
    assert!(
        output.status.success(),
        "podman {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A running container, removed when dropped.
struct Container {
    id: String,
    base: String,
}

impl Container {
    fn run(extra: &[&str]) -> Container {
        let output = Command::new(root().join("scripts/container-image.sh"))
            .output()
            .expect("build the image");
        assert!(
            output.status.success(),
            "scripts/container-image.sh: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let image = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let port = free_port();
        let publish = format!("127.0.0.1:{port}:8080");
        let mut args = vec![
            "run",
            "-d",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "-p",
            &publish,
        ];
        args.extend_from_slice(extra);
        args.push(&image);
        let id = podman(&args);
        wait_for_port(port, Duration::from_secs(20));
        let container = Container {
            id,
            base: format!("http://127.0.0.1:{port}"),
        };
        // The port is published before nginx answers: wait for a real response.
        for _ in 0..100 {
            if support::http_client()
                .get(format!("{}/healthz", container.base))
                .send()
                .is_ok()
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        container
    }

    fn exec(&self, command: &[&str]) -> (bool, String) {
        let output = Command::new("podman")
            .env("CONTAINERS_CONF", root().join("container/containers.conf"))
            .args(["exec", &self.id])
            .args(command)
            .output()
            .expect("podman exec");
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.success(), text)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("podman")
            .env("CONTAINERS_CONF", root().join("container/containers.conf"))
            .args(["rm", "-f", "-t", "2", &self.id])
            .output();
    }
}

#[test]
#[ignore = "needs the release build in dist/ and podman: run by `make test`"]
fn the_image_serves_the_app_with_every_header_rule() {
    let container = Container::run(&[]);
    let base = container.base.as_str();
    app_checks::serves_each_kind_of_file_with_its_mime_type(base);
    app_checks::spa_paths_get_index_html_but_missing_assets_are_404(base);
    app_checks::compression_follows_accept_encoding(base);
    app_checks::cache_headers_and_etags(base);
    app_checks::security_headers(base);
    app_checks::answers_cross_origin_requests_and_preflights(base);
    assert_eq!(get(base, "/healthz", &[]).status(), StatusCode::OK);
    assert_eq!(get(base, "/readyz", &[]).status(), StatusCode::OK);
    assert_eq!(
        get(base, "/stub_status", &[]).status(),
        StatusCode::NOT_FOUND,
        "stub_status must not be public"
    );
    // stub_status answers inside the pod, on its own port, for the exporter sidecar.
    let (ok, status) = container.exec(&["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8081; printf 'GET /stub_status HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3"]);
    assert!(ok && status.contains("Active connections"), "{status}");
    // The image's own HEALTHCHECK command passes.
    let (ok, output) = container.exec(&["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]);
    assert!(ok, "healthcheck failed: {output}");
    assert!(podman(&[
        "inspect",
        "--format",
        "{{json .Config.Healthcheck}}",
        &container.id
    ])
    .contains("/healthz"));
}

#[test]
#[ignore = "needs the release build in dist/ and podman: run by `make test`"]
fn the_container_runs_as_non_root_on_a_read_only_root() {
    let container = Container::run(&[]);
    let (_, uid) = container.exec(&["id", "-u"]);
    assert_ne!(uid.trim(), "0", "nginx must not run as root");
    let (_, processes) = container.exec(&[
        "bash",
        "-c",
        "for p in /proc/[0-9]*; do stat -c %u $p; done | sort -u",
    ]);
    assert!(
        !processes.lines().any(|u| u.trim() == "0"),
        "a process runs as root: {processes}"
    );
    let (wrote_root, output) = container.exec(&["touch", "/srv/meshmap/html/x"]);
    assert!(
        !wrote_root && output.contains("Read-only file system"),
        "{output}"
    );
    let (wrote_tmp, output) = container.exec(&["touch", "/tmp/x"]);
    assert!(wrote_tmp, "/tmp must be writable: {output}");
    // The access log goes to the container's stdout, as JSON.
    get(
        &container.base,
        "/config.json",
        &[("x-app-version", "canary")],
    );
    std::thread::sleep(Duration::from_millis(200));
    let logs = podman(&["logs", &container.id]);
    let line = logs
        .lines()
        .find(|l| l.contains("/config.json"))
        .expect("access log line");
    let entry: serde_json::Value = serde_json::from_str(line).expect("JSON access log");
    assert_eq!(entry["app_version"], "canary");
}

#[test]
#[ignore = "needs the release build in dist/ and podman: run by `make test`"]
fn a_mounted_config_replaces_the_bundled_one_without_a_rebuild() {
    let mounted = tempdir("configmap");
    let config = r#"{"view": {"center": [1, 2], "zoom": 3}, "baseLayers": [{"name": "mounted", "url": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"}]}"#;
    std::fs::write(mounted.join("config.json"), config).unwrap();
    let volume = format!("{}:/srv/meshmap/config-override:ro", mounted.display());
    let container = Container::run(&["-v", &volume]);
    let response = get(&container.base, "/config.json", &[]);
    assert_eq!(app_checks::header(&response, "cache-control"), "no-cache");
    assert_eq!(response.text().unwrap(), config);
    // The entrypoint read the mounted config: its tile host is allowed, nothing more.
    let csp = app_checks::header(&get(&container.base, "/", &[]), "content-security-policy");
    assert!(
        csp.contains("connect-src 'self' https://*.tiles.example.org")
            && csp.contains("img-src 'self' data: blob: https://*.tiles.example.org"),
        "{csp}"
    );
}

/// The Kubernetes loader Job's image: run as the Job runs it (read-only root, uid 10001, only
/// DATABASE_URL given), it fills an empty PostGIS database with the sample data.
#[test]
#[ignore = "needs podman, PostgreSQL + PostGIS and the Debian mirror and PyPI (image build): run by `make test`"]
fn the_loader_image_fills_a_database_from_a_read_only_root() {
    let output = Command::new(root().join("scripts/container-image.sh"))
        .arg("--loader")
        .output()
        .expect("build the loader image");
    assert!(
        output.status.success(),
        "scripts/container-image.sh --loader: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let image = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let database = support::Database::start();
    let url = format!(
        "DATABASE_URL=postgresql://postgres@127.0.0.1:{}/meshmap",
        database.port
    );
    podman(&[
        "run",
        "--rm",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--network",
        "host",
        "--user",
        "10001:10001",
        "-e",
        &url,
        &image,
    ]);
    let count = |sql: &str| database.query(sql);
    assert_eq!(count("SELECT count(*) FROM countries"), "177");
    assert_eq!(count("SELECT count(*) FROM places"), "243");
    assert_eq!(
        count("SELECT count(*) FROM countries WHERE NOT ST_IsValid(geom)"),
        "0"
    );
    assert_eq!(
        count("SELECT obj_description('places'::regclass)::json->>'name'"),
        "Populated places"
    );
}

/// Issue 14: the API's image (Dockerfile target `api-prebuilt`) runs as non-root on a read-only
/// root, searches the database as the read-only login, and stops cleanly on SIGTERM.
#[test]
#[ignore = "needs podman, PostgreSQL + PostGIS and the sample data: run by `make test`"]
fn the_api_image_searches_from_a_read_only_root_and_stops_cleanly() {
    let output = Command::new(root().join("scripts/container-image.sh"))
        .arg("--api")
        .output()
        .expect("build the API image");
    assert!(
        output.status.success(),
        "scripts/container-image.sh --api: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let image = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let database = support::Database::start();
    support::run_script("db-load.sh", &[&database.port.to_string()]);
    let port = free_port();
    let url = format!(
        "DATABASE_URL=postgresql://meshmap_api@127.0.0.1:{}/meshmap",
        database.port
    );
    let listen = format!("LISTEN=127.0.0.1:{port}");
    let metrics_port = free_port();
    let metrics_listen = format!("METRICS_LISTEN=127.0.0.1:{metrics_port}");
    let id = podman(&[
        "run",
        "-d",
        "--read-only",
        "--network",
        "host",
        "-e",
        &url,
        "-e",
        &listen,
        "-e",
        &metrics_listen,
        "-e",
        "MESHMAP_VERSION=image-test",
        &image,
    ]);
    let container = Container {
        id,
        base: format!("http://127.0.0.1:{port}"),
    };
    wait_for_port(port, Duration::from_secs(20));
    let search = get(&container.base, "/api/search?q=lisbn", &[]);
    assert_eq!(search.status(), StatusCode::OK);
    assert_eq!(search.headers()["x-meshmap-version"], "image-test");
    let body = search.text().unwrap_or_default();
    assert!(body.contains("\"Lisbon\""), "{body}");
    assert_eq!(
        get(&container.base, "/readyz", &[]).status(),
        StatusCode::OK
    );
    let metrics = get(&format!("http://127.0.0.1:{metrics_port}"), "/metrics", &[]);
    assert_eq!(metrics.status(), StatusCode::OK);
    let metrics = metrics.text().unwrap_or_default();
    assert!(
        metrics.contains("meshmap_api_info{version=\"image-test\"} 1"),
        "{metrics}"
    );
    let (_, user) = container.exec(&["id", "-u"]);
    assert_eq!(user.trim(), "10001");
    let (wrote, _) = container.exec(&["touch", "/usr/local/bin/x"]);
    assert!(!wrote, "the root file system is read-only");
    podman(&["stop", "-t", "10", &container.id]);
    let logs = podman(&["logs", &container.id]);
    assert!(
        logs.contains("shutting down") && logs.contains("\"stopped\""),
        "{logs}"
    );
    let status = podman(&["inspect", "-f", "{{.State.ExitCode}}", &container.id]);
    assert_eq!(status, "0", "a clean exit on SIGTERM: {logs}");
}
