//! `meshmap-api load`: what many live streams cost a running API. Opens `streams` live streams
//! (each as its own client address through `X-Forwarded-For`, so the per-client cap stays on),
//! `stalled` of them never reading, and runs searches at given concurrencies before and while
//! they are open; reads the process's memory and stream count from its metrics port. Used by
//! `make bench` (2,000 streams) and, shorter, by tests/api.rs.
//!
//! Plain HTTP/1.1 over tokio's TCP: thousands of streams, each a task and a socket, nothing else.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// What to do.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// The API's `host:port`, and its metrics port's.
    pub api: String,
    pub metrics: String,
    pub streams: usize,
    /// How many of the streams never read.
    pub stalled: usize,
    /// Search concurrencies to measure, with and without the streams.
    pub search_clients: Vec<usize>,
    /// How long each search measurement runs.
    pub search_for: Duration,
    /// How long to wait for the stalled streams to be dropped.
    pub stall_wait: Duration,
}

/// Search latency at one concurrency.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchFigures {
    pub clients: usize,
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Search before the streams, then while they are open (same concurrencies, same order).
    pub search_alone: Vec<SearchFigures>,
    pub search_with_streams: Vec<SearchFigures>,
    /// Streams the server counted once all were opened.
    pub streams_open: usize,
    /// Well-behaved streams that failed: refused, cut, or never got their snapshot.
    pub stream_errors: usize,
    /// The process's resident memory before the streams, with them, and after they closed.
    pub memory_before: u64,
    pub memory_with_streams: u64,
    pub memory_after: u64,
    /// How long after the stalled streams stopped reading the server had dropped them all
    /// (`None`: not within the wait).
    pub stalled_dropped_after: Option<Duration>,
    /// Lines the well-behaved streams received, in all.
    pub lines: u64,
}

impl LoadReport {
    /// The report as one JSON object (for `make bench`'s table).
    pub fn to_json(&self) -> String {
        let search = |figures: &[SearchFigures]| {
            figures
                .iter()
                .map(|f| {
                    format!(
                        "{{\"clients\":{},\"requests\":{},\"errors\":{},\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
                        f.clients, f.requests, f.errors, f.p50_ms, f.p99_ms
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "{{\"search_alone\":[{}],\"search_with_streams\":[{}],\"streams_open\":{},\"stream_errors\":{},\"memory_before\":{},\"memory_with_streams\":{},\"memory_after\":{},\"memory_per_stream\":{},\"stalled_dropped_after_s\":{},\"lines\":{}}}",
            search(&self.search_alone),
            search(&self.search_with_streams),
            self.streams_open,
            self.stream_errors,
            self.memory_before,
            self.memory_with_streams,
            self.memory_after,
            self.memory_per_stream(),
            self.stalled_dropped_after
                .map_or("null".to_owned(), |d| format!("{:.1}", d.as_secs_f64())),
            self.lines
        )
    }

    /// Memory held per open stream, in bytes.
    pub fn memory_per_stream(&self) -> u64 {
        let streams = self.streams_open.max(1) as u64;
        self.memory_with_streams.saturating_sub(self.memory_before) / streams
    }
}

/// A well-behaved stream's reader: counts lines until told to stop; an error if the stream is
/// refused or ends early.
struct Readers {
    lines: AtomicU64,
    /// Streams that have their snapshot.
    started: AtomicUsize,
    errors: AtomicUsize,
}

pub async fn run(plan: &LoadPlan) -> Result<LoadReport, String> {
    let mut report = LoadReport::default();
    for &clients in &plan.search_clients {
        report
            .search_alone
            .push(search(&plan.api, clients, plan.search_for).await?);
    }
    report.memory_before = metric(&plan.metrics, "process_resident_memory_bytes").await?;
    let readers = Arc::new(Readers {
        lines: AtomicU64::new(0),
        started: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let well_behaved = plan.streams.saturating_sub(plan.stalled);
    for n in 0..well_behaved {
        let (api, readers, stopped) = (plan.api.clone(), Arc::clone(&readers), stopped.clone());
        tasks.push(tokio::spawn(async move {
            if let Err(_error) = read_stream(&api, n, &readers, stopped).await {
                readers.errors.fetch_add(1, Ordering::Relaxed);
            }
        }));
        if n % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // The stalled ones: ask, read nothing, hold the socket. Their receive buffer is a phone's
    // that stopped reading, a few KB, not one the kernel would let grow; so what the server sees
    // (its writes stop making progress) does not wait on how much this machine's kernel buffers.
    let mut stalled = Vec::new();
    let address = tokio::net::lookup_host(&plan.api)
        .await
        .map_err(|e| format!("resolve {}: {e}", plan.api))?
        .next()
        .ok_or_else(|| format!("{} names no address", plan.api))?;
    for n in 0..plan.stalled {
        let socket = if address.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        }
        .map_err(|e| format!("socket: {e}"))?;
        socket
            .set_recv_buffer_size(STALLED_RECEIVE_BUFFER)
            .map_err(|e| format!("receive buffer: {e}"))?;
        let mut socket = socket
            .connect(address)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        socket
            .write_all(live_request(well_behaved + n).as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        stalled.push(socket);
    }
    let stalled_since = Instant::now();
    // Every stream admitted and every reader with its snapshot.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let open = metric(&plan.metrics, "meshmap_api_live_clients").await? as usize;
        let started = readers.started.load(Ordering::Relaxed);
        let failed = readers.errors.load(Ordering::Relaxed);
        if (open >= plan.streams && started + failed >= well_behaved) || Instant::now() > deadline {
            report.streams_open = open;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    report.memory_with_streams = metric(&plan.metrics, "process_resident_memory_bytes").await?;
    for &clients in &plan.search_clients {
        report
            .search_with_streams
            .push(search(&plan.api, clients, plan.search_for).await?);
    }
    // The stalled streams leave once their writes have made no progress long enough.
    while stalled_since.elapsed() < plan.stall_wait {
        let open = metric(&plan.metrics, "meshmap_api_live_clients").await? as usize;
        if open <= well_behaved {
            report.stalled_dropped_after = Some(stalled_since.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(stalled);
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    report.stream_errors = readers.errors.load(Ordering::Relaxed)
        + well_behaved.saturating_sub(readers.started.load(Ordering::Relaxed));
    report.lines = readers.lines.load(Ordering::Relaxed);
    // Closed streams give their memory back (what the allocator keeps is counted too).
    tokio::time::sleep(Duration::from_secs(2)).await;
    report.memory_after = metric(&plan.metrics, "process_resident_memory_bytes").await?;
    Ok(report)
}

/// The receive buffer of a client that stops reading.
const STALLED_RECEIVE_BUFFER: u32 = 8 * 1024;

/// A request for the live stream as client number `n`, with an address of its own.
fn live_request(n: usize) -> String {
    format!(
        "GET /api/live HTTP/1.1\r\nHost: load\r\nX-Forwarded-For: 10.{}.{}.{}\r\n\r\n",
        (n >> 16) & 255,
        (n >> 8) & 255,
        n & 255
    )
}

async fn read_stream(
    api: &str,
    n: usize,
    readers: &Readers,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    let mut socket = TcpStream::connect(api)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    socket
        .write_all(live_request(n).as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut reader = BufReader::with_capacity(64 * 1024, socket);
    let mut status = String::new();
    reader
        .read_line(&mut status)
        .await
        .map_err(|e| format!("read: {e}"))?;
    if !status.starts_with("HTTP/1.1 200") {
        return Err(format!("refused: {}", status.trim()));
    }
    // Lines end with "}\n" (the chunked framing adds only "\r\n" after sizes and data).
    let mut buffer = vec![0u8; 64 * 1024];
    let mut last = 0u8;
    let mut started = false;
    loop {
        tokio::select! {
            read = reader.read(&mut buffer) => {
                let n = read.map_err(|e| format!("read: {e}"))?;
                if n == 0 {
                    return if *stopped.borrow() { Ok(()) } else { Err("the stream ended".into()) };
                }
                let mut lines = 0;
                for &byte in &buffer[..n] {
                    if byte == b'\n' && last == b'}' {
                        lines += 1;
                    }
                    last = byte;
                }
                if lines > 0 && !started {
                    started = true;
                    readers.started.fetch_add(1, Ordering::Relaxed);
                }
                readers.lines.fetch_add(lines, Ordering::Relaxed);
            }
            _ = stopped.changed() => return Ok(()),
        }
    }
}

/// `clients` keep-alive connections asking `/api/search` one request after another for `span`.
async fn search(api: &str, clients: usize, span: Duration) -> Result<SearchFigures, String> {
    const QUERIES: [&str; 6] = [
        "lisbn",
        "sao%20tome",
        "par",
        "new%20york",
        "zurich",
        "tokio",
    ];
    let until = Instant::now() + span;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let api = api.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut connection: Option<BufReader<TcpStream>> = None;
            let mut turn = client;
            while Instant::now() < until {
                turn += 1;
                let query = QUERIES[turn % QUERIES.len()];
                let started = Instant::now();
                let answer = match connection.take() {
                    Some(open) => ask(open, query).await,
                    None => match TcpStream::connect(&api).await {
                        Ok(socket) => ask(BufReader::new(socket), query).await,
                        Err(e) => Err(format!("connect: {e}")),
                    },
                };
                match answer {
                    Ok((200, open)) => {
                        latencies.push(started.elapsed().as_secs_f64() * 1e3);
                        connection = Some(open);
                    }
                    Ok((_, open)) => {
                        errors += 1;
                        connection = Some(open);
                    }
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mine, failed) = task
            .await
            .map_err(|e| format!("a search client failed: {e}"))?;
        latencies.extend(mine);
        errors += failed;
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(SearchFigures {
        clients,
        requests: latencies.len() as u64,
        errors,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
    })
}

/// One search on an open connection: its status, and the connection for the next.
async fn ask(
    mut connection: BufReader<TcpStream>,
    query: &str,
) -> Result<(u16, BufReader<TcpStream>), String> {
    let request = format!("GET /api/search?q={query} HTTP/1.1\r\nHost: load\r\n\r\n");
    connection
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let (status, body) = read_response(&mut connection).await?;
    let _ = body;
    Ok((status, connection))
}

/// A response with a Content-Length body: its status and body.
async fn read_response(connection: &mut BufReader<TcpStream>) -> Result<(u16, Vec<u8>), String> {
    let mut line = String::new();
    connection
        .read_line(&mut line)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {line:?}"))?;
    let mut length = 0usize;
    loop {
        line.clear();
        connection
            .read_line(&mut line)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().map_err(|_| "a bad content-length")?;
            }
        }
    }
    let mut body = vec![0; length];
    connection
        .read_exact(&mut body)
        .await
        .map_err(|e| format!("read: {e}"))?;
    Ok((status, body))
}

/// One unlabelled value from the metrics page at `metrics` (`host:port`).
pub async fn metric(metrics: &str, name: &str) -> Result<u64, String> {
    let socket = TcpStream::connect(metrics)
        .await
        .map_err(|e| format!("the metrics port {metrics}: {e}"))?;
    let mut connection = BufReader::new(socket);
    connection
        .get_mut()
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: load\r\n\r\n")
        .await
        .map_err(|e| format!("write: {e}"))?;
    let (_, body) = read_response(&mut connection).await?;
    let text = String::from_utf8_lossy(&body);
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map(|value| value as u64)
        .ok_or_else(|| format!("no {name} on the metrics page"))
}
