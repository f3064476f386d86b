//! The API service (api/) served in-process for the tests that need it, as its read-only login.

use std::thread::JoinHandle;

use reqwest::StatusCode;
use serde_json::Value;

use super::{free_port, http_client, root, spawn_listening, Database, Process};

/// The API served in-process on a free port, as the API's own login; stopped (gracefully) when
/// dropped.
pub struct Api {
    pub port: u16,
    /// Where `/metrics` is served (not on `port`).
    pub metrics_port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// The API as a process of its own ([`Api::spawn`]), when its memory is measured.
    _process: Option<Process>,
}

impl Api {
    pub fn start(database: &Database, version: &str) -> Api {
        Api::start_with(database, None, Default::default(), version)
    }

    /// [`Api::start`] with the live feed on `feed` (else `database`) and these limits.
    pub fn start_with(
        database: &Database,
        feed: Option<&Database>,
        live: meshmap_api::LiveLimits,
        version: &str,
    ) -> Api {
        let (port, metrics_port) = (free_port(), free_port());
        let url = |database: &Database| {
            format!(
                "postgresql://meshmap_api@127.0.0.1:{}/meshmap",
                database.port
            )
            .parse()
            .expect("a PostgreSQL URL")
        };
        let config = meshmap_api::ApiConfig {
            database: url(database),
            feed_database: feed.map(url),
            pool: Default::default(),
            live,
            requests: Default::default(),
            version: version.to_owned(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, listening) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let bind = |port| tokio::net::TcpListener::bind(("127.0.0.1", port));
                let listeners = meshmap_api::Listeners {
                    public: bind(port).await.expect("bind"),
                    metrics: Some(bind(metrics_port).await.expect("bind")),
                };
                let _ = ready.send(());
                meshmap_api::serve(listeners, config, async move {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
            });
        });
        listening.recv().expect("the API listens");
        Api {
            port,
            metrics_port,
            stop: Some(stop),
            thread: Some(thread),
            _process: None,
        }
    }

    /// The release binary (`meshmap-api`) as a process of its own, with these settings beside
    /// the database and ports: its memory is its own, not the test's.
    pub fn spawn(database: &Database, settings: &[(&str, &str)]) -> Api {
        static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
        let binary = BUILT.get_or_init(|| {
            let status = std::process::Command::new(env!("CARGO"))
                .args(["build", "--release", "--quiet", "-p", "meshmap-api"])
                .current_dir(root())
                .status()
                .expect("cargo runs");
            assert!(status.success(), "cargo build -p meshmap-api failed");
            root().join("target/release/meshmap-api")
        });
        let (port, metrics_port) = (free_port(), free_port());
        let process = spawn_listening(
            std::process::Command::new(binary)
                .env("DATABASE_URL", database.login_url("meshmap_api"))
                .env("LISTEN", format!("127.0.0.1:{port}"))
                .env("METRICS_LISTEN", format!("127.0.0.1:{metrics_port}"))
                .envs(settings.iter().copied())
                .stdout(std::process::Stdio::null()),
            port,
            std::time::Duration::from_secs(20),
            "meshmap-api",
        );
        Api {
            port,
            metrics_port,
            stop: None,
            thread: None,
            _process: Some(process),
        }
    }

    pub fn get(&self, path_and_query: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let response = http_client()
            .get(format!("http://127.0.0.1:{}{path_and_query}", self.port))
            .send()
            .expect("the API answers");
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.text().unwrap_or_default())
    }

    /// Waits (up to `within`) for `/readyz` to answer 200: the database answers and the live
    /// feed has read the table. Panics with the last answer otherwise.
    pub fn wait_ready(&self, within: std::time::Duration) {
        let started = std::time::Instant::now();
        loop {
            let (status, _, body) = self.get("/readyz");
            if status == StatusCode::OK {
                return;
            }
            assert!(
                started.elapsed() < within,
                "not ready after {within:?}: {status} {body}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// The metrics page, from the metrics port.
    pub fn metrics(&self) -> String {
        let response = http_client()
            .get(format!("http://127.0.0.1:{}/metrics", self.metrics_port))
            .send()
            .expect("the metrics port answers");
        assert_eq!(response.status(), StatusCode::OK);
        response.text().unwrap_or_default()
    }

    pub fn json(&self, path_and_query: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.get(path_and_query);
        (
            status,
            serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{path_and_query}: not JSON ({e}): {body}")),
        )
    }

    /// The names found for a query, best first.
    pub fn names(&self, query: &str) -> Vec<String> {
        let (status, body) = self.json(&format!("/api/search?q={}", encode(query)));
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body["features"]
            .as_array()
            .expect("a FeatureCollection")
            .iter()
            .map(|f| {
                f["properties"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `text` percent-encoded for a query string.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A simulation that runs until [`Simulating::stop`]: for a test whose length depends on the
/// machine, so that the changes never run out before the test has seen what it waits for.
pub struct Simulating {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Simulating {
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Simulating {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Runs `meshmap-api simulate` in-process until stopped, as the database's owner.
pub fn simulate_until_stopped(database: &Database, objects: usize) -> Simulating {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    Simulating {
        stop: Some(stop),
        thread: Some(run_simulation(database, objects, None, stopped)),
    }
}

/// Runs `meshmap-api simulate` in-process for `seconds`, as the database's owner (a writer).
pub fn simulate(database: &Database, objects: usize, seconds: f64) -> std::thread::JoinHandle<()> {
    // No one will send a stop: the simulation ends by its duration.
    let (_, stopped) = tokio::sync::oneshot::channel::<()>();
    let duration = std::time::Duration::from_secs_f64(seconds);
    run_simulation(database, objects, Some(duration), stopped)
}

/// `meshmap-api simulate` at 5 Hz on a thread of its own, until `duration` or a stop sent on
/// `stopped` (a sender dropped unused stops nothing).
fn run_simulation(
    database: &Database,
    objects: usize,
    duration: Option<std::time::Duration>,
    stopped: tokio::sync::oneshot::Receiver<()>,
) -> std::thread::JoinHandle<()> {
    let url = format!("postgresql://postgres@127.0.0.1:{}/meshmap", database.port);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let simulation = meshmap_api::simulate::Simulation {
            objects,
            rate: 5.0,
            duration,
        };
        runtime.block_on(async move {
            tokio::select! {
                ran = meshmap_api::simulate::run(url.parse().unwrap(), simulation) => {
                    ran.expect("the simulation runs");
                }
                Ok(()) = stopped => {}
            }
        });
    })
}
