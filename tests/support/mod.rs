//! Shared helpers for the native end-to-end tests: free loopback ports, child processes that are
//! stopped when the test ends, and headless Chromium.
#![allow(dead_code)]

pub mod api;
pub mod app_checks;
pub mod browser;
pub mod fault_proxy;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A loopback port that was free a moment ago, and never handed out before in this test binary
/// (tests run in parallel threads: two servers must not be given the same port before either
/// has bound it).
pub fn free_port() -> u16 {
    static ISSUED: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        let mut issued = ISSUED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !issued.contains(&port) {
            issued.push(port);
            return port;
        }
    }
}

/// A child process stopped (and reaped) when dropped, so a failing test leaves no server behind.
/// SIGTERM first: nginx's master then stops its workers; SIGKILL would orphan them.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` (a server that will listen on `port`) and waits until it accepts connections.
pub fn spawn_listening(command: &mut Command, port: u16, timeout: Duration, what: &str) -> Process {
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{what} does not start ({e}); scripts/setup.sh installs it"));
    let process = Process(child);
    wait_for_port(port, timeout);
    process
}

/// Waits until something accepts connections on `port`.
pub fn wait_for_port(port: u16, timeout: Duration) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < timeout,
            "nothing listened on 127.0.0.1:{port} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Serves `dir` with a static file server on a free loopback port; returns it and its base URL.
pub fn serve_static(dir: &Path) -> (Process, String) {
    assert!(
        dir.is_dir(),
        "{} is not a directory (dist/: run `make build` first)",
        dir.display()
    );
    let port = free_port();
    let process = spawn_listening(
        Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
        port,
        Duration::from_secs(10),
        "python3",
    );
    (process, format!("http://127.0.0.1:{port}/"))
}

/// Chromium's flags for running headless as root on this machine, with a fresh profile.
fn chromium(profile: &Path) -> Command {
    let mut command = Command::new(std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into()));
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The page's DOM after its scripts ran for `budget_ms` of virtual time.
pub fn rendered_dom(url: &str, budget_ms: u32) -> String {
    let profile = tempdir("chromium-profile");
    let output = chromium(&profile)
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("chromium runs (scripts/setup.sh installs it)");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(output.status.success(), "chromium failed on {url}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A new empty directory under the target dir.
pub fn tempdir(name: &str) -> PathBuf {
    let dir = root().join("target").join("e2e").join(format!(
        "{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Copies a directory tree (a built bundle, to vary its config).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A server of the tests' own on a loopback port.
pub trait Listening {
    fn port(&self) -> u16;

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port())
    }

    /// `host:port`, for an upstream line.
    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port())
    }
}

impl Listening for Nginx {
    fn port(&self) -> u16 {
        self.port
    }
}

impl Listening for TileServer {
    fn port(&self) -> u16 {
        self.port
    }
}

/// A running nginx (app server or gateway) laid out by scripts/nginx-prefix.sh.
pub struct Nginx {
    _process: Process,
    pub prefix: PathBuf,
    pub port: u16,
    /// The app server's stub_status port (0 for a gateway).
    pub metrics_port: u16,
}

impl Nginx {
    /// The app server (nginx/nginx.conf) serving `dist`.
    pub fn app(dist: &Path) -> Nginx {
        let prefix = tempdir("nginx-app");
        let (port, metrics_port) = (free_port(), free_port());
        run_script(
            "nginx-prefix.sh",
            &[
                "app",
                path_str(&prefix),
                path_str(dist),
                &port.to_string(),
                &metrics_port.to_string(),
            ],
        );
        Nginx::start(prefix, "nginx.conf", port, metrics_port)
    }

    /// The gateway (nginx/gateway.conf) in front of two app servers and two backends, each given
    /// as `host:port` ([stable, canary]).
    pub fn gateway(apps: [&str; 2], backends: [&str; 2], canary_percent: u32) -> Nginx {
        Nginx::gateway_with_api(apps, backends, backends, canary_percent)
    }

    /// As [`Nginx::gateway`], with `/api/` going to its own upstreams ([stable, canary]).
    pub fn gateway_with_api(
        apps: [&str; 2],
        backends: [&str; 2],
        apis: [&str; 2],
        canary_percent: u32,
    ) -> Nginx {
        let prefix = tempdir("nginx-gateway");
        let port = free_port();
        run_script(
            "nginx-prefix.sh",
            &[
                "gateway",
                path_str(&prefix),
                &port.to_string(),
                apps[0],
                apps[1],
                backends[0],
                backends[1],
                &canary_percent.to_string(),
                apis[0],
                apis[1],
            ],
        );
        Nginx::start(prefix, "gateway.conf", port, 0)
    }

    /// The app server again on a prefix a stopped one used (its ports and files): for what is
    /// read at start, such as the config's origins for the CSP.
    pub fn restart(prefix: PathBuf) -> Nginx {
        // site/*listen.conf hold one `listen 127.0.0.1:<port>;` line each.
        let port_in = |file: &str| -> u16 {
            let line = std::fs::read_to_string(prefix.join("conf/site").join(file)).expect(file);
            line.trim()
                .trim_end_matches(';')
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("the port")
        };
        let (port, metrics_port) = (port_in("listen.conf"), port_in("metrics-listen.conf"));
        Nginx::start(prefix, "nginx.conf", port, metrics_port)
    }

    fn start(prefix: PathBuf, conf: &str, port: u16, metrics_port: u16) -> Nginx {
        let log = std::fs::File::create(prefix.join("access.log")).expect("create access log");
        let process = spawn_listening(
            Command::new(root().join("scripts/nginx-run.sh"))
                .arg(&prefix)
                .arg(conf)
                .stdout(log)
                .stderr(Stdio::inherit()),
            port,
            Duration::from_secs(10),
            "nginx",
        );
        Nginx {
            _process: process,
            prefix,
            port,
            metrics_port,
        }
    }

    /// The JSON access-log lines written so far.
    pub fn access_log(&self) -> Vec<serde_json::Value> {
        // nginx writes each line with one write(2); give the last request a moment to land.
        std::thread::sleep(Duration::from_millis(100));
        std::fs::read_to_string(self.prefix.join("access.log"))
            .unwrap_or_default()
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("access log line is not JSON ({e}): {line}"))
            })
            .collect()
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Runs one of scripts/ and fails the test with its output if it fails.
pub fn run_script(name: &str, args: &[&str]) {
    let output = Command::new(root().join("scripts").join(name))
        .args(args)
        .output()
        .expect("run script");
    assert!(
        output.status.success(),
        "scripts/{name} {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An HTTP client that neither decompresses nor follows redirects, so tests see what nginx sent.
pub fn http_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client")
}

/// The release bundle; `make test` builds it first.
pub fn dist() -> PathBuf {
    let dist = root().join("dist");
    assert!(
        dist.join("index.html").exists(),
        "dist/ has no build: run `make build` (make test does)"
    );
    dist
}

/// A throwaway PostgreSQL + PostGIS cluster (scripts/db.sh) with an empty "meshmap" database,
/// stopped and deleted when dropped.
pub struct Database {
    dir: PathBuf,
    pub port: u16,
}

impl Database {
    pub fn start() -> Database {
        // Under /tmp: as root the cluster runs as `postgres`, who must reach its directory.
        let dir =
            std::env::temp_dir().join(format!("meshmap-pg-{}-{}", std::process::id(), free_port()));
        let port = free_port();
        run_script("db.sh", &["start", path_str(&dir), &port.to_string()]);
        Database { dir, port }
    }

    /// The database as its owner (a superuser here).
    pub fn url(&self) -> String {
        self.login_url("postgres")
    }

    /// The database as `login` (db/prepare.sql's read-only `meshmap_api` or `meshmap_tiles`).
    pub fn login_url(&self, login: &str) -> String {
        format!("postgresql://{login}@127.0.0.1:{}/meshmap", self.port)
    }

    /// A hot standby of this cluster (a read replica, as CloudNativePG's `-ro` service points
    /// at): it answers reads, refuses LISTEN, and never hears NOTIFY.
    pub fn standby(&self) -> Database {
        let dir = std::env::temp_dir().join(format!(
            "meshmap-pg-standby-{}-{}",
            std::process::id(),
            free_port()
        ));
        let port = free_port();
        run_script(
            "db.sh",
            &[
                "standby",
                &self.port.to_string(),
                path_str(&dir),
                &port.to_string(),
            ],
        );
        Database { dir, port }
    }

    /// Stops the cluster, keeping its data (for outage tests; `resume` starts it again).
    pub fn pause(&self) {
        run_script("db.sh", &["stop", path_str(&self.dir)]);
    }

    /// Starts a paused cluster again, on the same port with the same data.
    pub fn resume(&self) {
        run_script(
            "db.sh",
            &["start", path_str(&self.dir), &self.port.to_string()],
        );
    }

    /// Runs one SQL statement with psql and returns its unaligned output.
    pub fn query(&self, sql: &str) -> String {
        let output = Command::new("psql")
            .arg(self.url())
            .args(["-qtAc", sql])
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new(root().join("scripts/db.sh"))
            .args(["stop", path_str(&self.dir)])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A [`Database`] with the sample data loaded, and Martin serving it; all stopped when dropped.
pub struct TileServer {
    martin: Option<Process>,
    pub database: Database,
    pub port: u16,
}

impl TileServer {
    pub fn start() -> TileServer {
        let database = Database::start();
        run_script("db-load.sh", &[&database.port.to_string()]);
        let mut server = TileServer {
            martin: None,
            database,
            port: free_port(),
        };
        server.start_martin();
        server
    }

    /// Starts Martin (again) on the same port.
    pub fn start_martin(&mut self) {
        assert!(self.martin.is_none(), "Martin is already running");
        self.martin = Some(spawn_listening(
            Command::new("martin")
                // Martin's own login, which can only read (as in k8s/).
                .env("DATABASE_URL", self.database.login_url("meshmap_tiles"))
                .arg("--config")
                .arg(root().join("martin/config.yaml"))
                .args(["--listen-addresses", &format!("127.0.0.1:{}", self.port)])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            self.port,
            Duration::from_secs(30),
            "martin",
        ));
    }

    /// Stops Martin (the database keeps running), as when the tile server crashes.
    pub fn stop_martin(&mut self) {
        self.martin = None;
    }
}
