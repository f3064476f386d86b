//! Headless Chromium driven through chromedriver (WebDriver) with fantoccini, for end-to-end tests
//! that click, wait and read the page like a user.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use super::{free_port, spawn_listening, tempdir, Process};

pub struct Browser {
    client: Option<Client>,
    runtime: tokio::runtime::Runtime,
    profile: PathBuf,
    _driver: Process,
}

impl Browser {
    pub fn start() -> Browser {
        let port = free_port();
        let driver = spawn_listening(
            Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            port,
            Duration::from_secs(20),
            "chromedriver",
        );
        let profile = tempdir("chromium-webdriver");
        let capabilities = json!({"goog:chromeOptions": {"args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,800", format!("--user-data-dir={}", profile.display()),
        ]}});
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let client = runtime
            .block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&format!("http://127.0.0.1:{port}")),
            )
            .expect("a WebDriver session with Chromium");
        Browser {
            client: Some(client),
            runtime,
            profile,
            _driver: driver,
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    pub fn goto(&self, url: &str) {
        self.runtime
            .block_on(self.client().goto(url))
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Runs `script` (a function body; `return` a value) in the page.
    pub fn eval(&self, script: &str) -> Value {
        self.runtime
            .block_on(self.client().execute(script, vec![]))
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Evaluates `expression` in the page, waiting for it if it is a promise.
    pub fn eval_awaited(&self, expression: &str) -> Value {
        let script = format!("const done = arguments[arguments.length - 1]; Promise.resolve({expression}).then(done, () => done(null));");
        self.runtime
            .block_on(self.client().execute_async(&script, vec![]))
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `expression` is truthy in the page; panics with `what` and the page's status
    /// text after `timeout`.
    pub fn wait_for(&self, what: &str, expression: &str, timeout: Duration) {
        let start = Instant::now();
        loop {
            if self.eval(&format!("return Boolean({expression});")) == Value::Bool(true) {
                return;
            }
            if start.elapsed() > timeout {
                let status = self.eval("const s = document.querySelector('.meshmap-status'); return s ? s.textContent : '';");
                panic!("timed out after {timeout:?} waiting for {what}; status panel: {status}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks the centre of the first element matching `css`, as a user would.
    pub fn click(&self, css: &str) {
        self.runtime
            .block_on(async { self.client().find(Locator::Css(css)).await?.click().await })
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Real key presses (WebDriver's) to whatever has the focus: text, or WebDriver's key codes
    /// such as `"\u{E004}"` (Tab) and `"\u{E007}"` (Enter).
    pub fn press(&self, keys: &str) {
        self.runtime
            .block_on(async { self.client().active_element().await?.send_keys(keys).await })
            .unwrap_or_else(|e| panic!("press {keys:?}: {e}"));
    }

    /// axe-core's WCAG 2.x A/AA and best-practice violations on the page, one line each (rule,
    /// help, elements). axe-core comes from the npm registry into tools/ (scripts/setup.sh).
    pub fn accessibility_violations(&self) -> Vec<String> {
        let axe = super::root().join("tools/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe)
            .unwrap_or_else(|e| panic!("{}: {e} (make setup installs it)", axe.display()));
        self.eval(&format!("{source}\nreturn 0;"));
        let found = self.eval_awaited(
            "axe.run(document, { runOnly: { type: 'tag', values: \
               ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, \
               resultTypes: ['violations'] }) \
             .then(r => r.violations.map(v => v.id + ': ' + v.help + ' -> ' + \
               v.nodes.map(n => n.target.join(' ')).join(', ')))",
        );
        match found {
            Value::Array(lines) => lines
                .iter()
                .map(|line| line.as_str().unwrap_or_default().to_owned())
                .collect(),
            other => panic!("axe.run failed: {other}"),
        }
    }

    pub fn screenshot(&self, path: &std::path::Path) {
        if let Ok(png) = self.runtime.block_on(self.client().screenshot()) {
            let _ = std::fs::write(path, png);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
