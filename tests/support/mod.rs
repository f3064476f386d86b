//! Shared helpers for the native end-to-end tests: free loopback ports, child processes that are
//! stopped when the test ends, and headless Chromium.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

/// A child process killed (and reaped) when dropped, so a failing test leaves no server behind.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until something accepts connections on `port`.
pub fn wait_for_port(port: u16, timeout: Duration) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < timeout, "nothing listened on 127.0.0.1:{port} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Serves `dir` with a static file server on a free loopback port; returns it and its base URL.
pub fn serve_static(dir: &Path) -> (Process, String) {
    assert!(dir.join("index.html").exists(), "{} has no index.html: run `make build` first", dir.display());
    let port = free_port();
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
        .arg(dir)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let process = Process(child);
    wait_for_port(port, Duration::from_secs(10));
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
    let dir = root().join("target").join("e2e").join(format!("{name}-{}-{}", std::process::id(), free_port()));
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
