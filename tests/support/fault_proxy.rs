//! A fault-injecting HTTP proxy for the chaos tests: it sits between the gateway and Martin on a
//! loopback port, records every request that reaches it (what Martin would see), and passes
//! requests on, slows them, drops their connections, or answers 503 with a `Retry-After`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the proxy does with the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passes them on.
    Pass,
    /// Passes them on after this long.
    Delay(Duration),
    /// Closes the connection without an answer (the gateway answers 502).
    Reset,
    /// Answers `503 Service Unavailable` with `Retry-After: <seconds>`.
    Busy { retry_after_seconds: u32 },
}

struct Shared {
    fault: Mutex<Fault>,
    /// (when, request target) of every request that reached the proxy.
    requests: Mutex<Vec<(Instant, String)>>,
    stopped: AtomicBool,
}

pub struct FaultProxy {
    pub port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listens on a free loopback port and proxies to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the proxy");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(Shared {
            fault: Mutex::new(Fault::Pass),
            requests: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
        });
        let (state, upstream) = (Arc::clone(&shared), upstream.to_owned());
        let acceptor = std::thread::spawn(move || {
            for client in listener.incoming() {
                if state.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let (state, upstream) = (Arc::clone(&state), upstream.clone());
                std::thread::spawn(move || serve(client, &upstream, &state));
            }
        });
        FaultProxy {
            port,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn set(&self, fault: Fault) {
        *self.shared.fault.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }

    /// The request targets that reached the proxy since `since`, with their times.
    pub fn requests_since(&self, since: Instant) -> Vec<(Instant, String)> {
        let requests = self
            .shared
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        requests
            .iter()
            .filter(|(at, _)| *at >= since)
            .cloned()
            .collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wakes the acceptor, which then sees the flag and returns.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// One client connection: each request is faulted or forwarded on a connection of its own.
fn serve(client: TcpStream, upstream: &str, state: &Shared) {
    let mut reader = BufReader::new(match client.try_clone() {
        Ok(stream) => stream,
        Err(_) => return,
    });
    let mut client = client;
    loop {
        // The request head (the gateway sends GETs: no body).
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let end = line == "\r\n";
            // Each request gets an upstream connection of its own, closed after the answer.
            if !line.to_ascii_lowercase().starts_with("connection:") && !end {
                head.push(line);
            }
            if end {
                break;
            }
        }
        let target = head
            .first()
            .and_then(|l| l.split(' ').nth(1))
            .unwrap_or("")
            .to_owned();
        state
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((Instant::now(), target));
        let fault = *state.fault.lock().unwrap_or_else(|p| p.into_inner());
        match fault {
            Fault::Reset => {
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Fault::Busy {
                retry_after_seconds,
            } => {
                let answer = format!(
                    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: {retry_after_seconds}\r\nContent-Length: 0\r\n\r\n"
                );
                if client.write_all(answer.as_bytes()).is_err() {
                    return;
                }
                continue;
            }
            Fault::Delay(delay) => std::thread::sleep(delay),
            Fault::Pass => {}
        }
        if forward(&head, upstream, &mut client).is_err() {
            return;
        }
    }
}

/// Sends the request upstream and copies the answer back; the answer's length comes from the
/// upstream closing its connection, so the client's connection is closed after it too.
fn forward(head: &[String], upstream: &str, client: &mut TcpStream) -> std::io::Result<()> {
    let mut server = TcpStream::connect(upstream)?;
    let mut request = head.concat();
    request.push_str("Connection: close\r\n\r\n");
    server.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer)?;
    client.write_all(&answer)?;
    // The answer may have no length of its own (read to the close): close to end it.
    client.shutdown(Shutdown::Both)?;
    Err(std::io::Error::other("connection closed after the answer"))
}
