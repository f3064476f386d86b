//! The HTTP server: routes, the database connection, logs, metrics and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, MatchedPath, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use tokio::sync::watch;

use crate::database::{Database, PoolSettings};
use crate::feed::FeedHealth;
use crate::publish::Subscriptions;

use crate::error::{json_string, ApiError};
use crate::metrics::Metrics;
use crate::search::{SearchParams, SEARCH_SQL};

pub struct ApiConfig {
    /// The database, as a login that can only read (db/prepare.sql's `meshmap_api`).
    pub database: tokio_postgres::Config,
    /// The database the live feed LISTENs on: the primary (a standby refuses LISTEN). `None`:
    /// `database`.
    pub feed_database: Option<tokio_postgres::Config>,
    /// The pool's size and waits.
    pub pool: PoolSettings,
    /// Live streams at most, and per client address.
    pub live: LiveLimits,
    /// Searches served at once, and how long one may take.
    pub requests: RequestLimits,
    /// The version this process serves ("stable", "canary", or a build's version).
    pub version: String,
}

/// How many live streams a process serves at most, and a client address at most; objects that
/// stop reporting leave after `ttl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveLimits {
    pub streams: usize,
    pub per_client: usize,
    pub ttl: Duration,
    /// Whose address a request is: the connection's peer, or (behind a proxy that says so) the
    /// last address of `X-Forwarded-For`, the one the trusted proxy in front added.
    pub forwarded_for: bool,
    /// How long a write may make no progress before its connection is dropped (a client that
    /// stopped reading its stream).
    pub stall: Duration,
}

impl Default for LiveLimits {
    fn default() -> Self {
        LiveLimits {
            streams: 4000,
            per_client: 8,
            ttl: Duration::from_secs(120),
            forwarded_for: false,
            stall: crate::listen::WRITE_STALL,
        }
    }
}

/// Searches in progress at most (past it, a clear 503 at once rather than a queue that makes
/// every client wait), and how long a request may take in all (waiting for a connection and for
/// its answer included) before it is answered with a 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    pub concurrency: usize,
    pub timeout: Duration,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            concurrency: 64,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Where the API listens: `public` for `/api/`, probes; `metrics` (if any) for `/metrics`, kept
/// off the public port so only the scraper reaches it.
pub struct Listeners {
    pub public: tokio::net::TcpListener,
    pub metrics: Option<tokio::net::TcpListener>,
}

struct AppState {
    database: Database,
    metrics: Metrics,
    version: String,
    version_header: HeaderValue,
    /// The live objects, encoded once for every stream ([`crate::feed`] publishes them).
    live: Subscriptions,
    /// When the feed last read the table (readiness needs a recent read).
    feed_health: watch::Receiver<FeedHealth>,
    /// Becomes true when the server is asked to stop: live streams end then.
    stopping: watch::Receiver<bool>,
    limits: LiveLimits,
    /// Live streams open now: in all, and by client address.
    streams: std::sync::Mutex<StreamCount>,
}

#[derive(Default)]
struct StreamCount {
    total: usize,
    by_client: std::collections::HashMap<std::net::IpAddr, usize>,
}

/// Serves the API on `listeners` until `shutdown` resolves: live streams end (clients reconnect
/// to another replica), requests in flight are finished.
pub async fn serve(
    listeners: Listeners,
    config: ApiConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let version_header =
        HeaderValue::from_str(&config.version).unwrap_or(HeaderValue::from_static("unknown"));
    let mut database = config.database;
    // Read-only transactions whatever the login's own settings (and a bound on every statement).
    database.options("-c default_transaction_read_only=on -c statement_timeout=5000");
    let (publisher, subscriptions) = crate::publish::channel();
    let (health, feed_health) = watch::channel(FeedHealth::default());
    let mut feed_database = config.feed_database.unwrap_or_else(|| database.clone());
    feed_database.options("-c statement_timeout=5000");
    let feed = tokio::spawn(crate::feed::run(
        feed_database,
        publisher,
        health,
        config.live.ttl,
    ));
    let (stop, stopping) = watch::channel(false);
    let stopping_metrics = stopping.clone();
    let pool = Database::new(database, config.pool).map_err(std::io::Error::other)?;
    let state_stall = config.live.stall;
    let state = Arc::new(AppState {
        database: pool,
        metrics: Metrics::default(),
        version: config.version,
        version_header,
        live: subscriptions,
        feed_health,
        stopping,
        limits: config.live,
        streams: std::sync::Mutex::default(),
    });
    let requests = config.requests;
    let app = Router::new()
        .route("/api/search", limit_requests(get(search), requests))
        .route("/api/live", get(live))
        .route("/healthz", get(|| async { "ok\n" }))
        // Readiness is bounded in time but never shed: a busy pod is still ready.
        .route(
            "/readyz",
            limit_requests(
                get(ready),
                RequestLimits {
                    concurrency: tokio::sync::Semaphore::MAX_PERMITS,
                    ..requests
                },
            ),
        )
        .fallback(|request: Request| async move { ApiError::not_found(request.uri().path()) })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            observe,
        ))
        .with_state(Arc::clone(&state));
    let stall = state_stall;
    let metrics_server = listeners.metrics.map(|listener| {
        let app = Router::new()
            .route("/metrics", get(metrics))
            .with_state(state);
        let mut stopping = stopping_metrics;
        tokio::spawn(crate::listen::serve(listener, app, stall, async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        }))
    });
    let result = crate::listen::serve(listeners.public, app, stall, async move {
        shutdown.await;
        let _ = stop.send(true);
    })
    .await;
    if let Some(metrics_server) = metrics_server {
        let _ = metrics_server.await;
    }
    feed.abort();
    result
}

/// Bounds on a route: at most `concurrency` requests in progress, the rest refused at once with
/// a 503 (load shedding: a queue would only make every client wait), and an answer within
/// `timeout`. Both refusals are JSON like every other error, with `Retry-After`.
fn limit_requests<S: Clone + Send + Sync + 'static>(
    route: MethodRouter<S>,
    limits: RequestLimits,
) -> MethodRouter<S> {
    route.layer(
        tower::ServiceBuilder::new()
            .layer(axum::error_handling::HandleErrorLayer::new(
                |error: tower::BoxError| async move { refused(error) },
            ))
            .load_shed()
            // One count for the route however often axum applies the layer (a per-service
            // limit would start from zero for each copy).
            .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                limits.concurrency,
            ))
            .timeout(limits.timeout),
    )
}

/// What a request refused by [`limit_requests`] is answered.
fn refused(error: tower::BoxError) -> Response {
    let (error, retry) = if error.is::<tower::load_shed::error::Overloaded>() {
        (
            ApiError {
                status: 503,
                code: "overloaded",
                message:
                    "this server is answering as many requests as it can: try again in a moment"
                        .into(),
            },
            "1",
        )
    } else if error.is::<tower::timeout::error::Elapsed>() {
        (
            ApiError {
                status: 503,
                code: "timed_out",
                message: "this request took too long to answer: try again shortly".into(),
            },
            "2",
        )
    } else {
        log_event("error", &format!("request failed: {error}"));
        (
            ApiError {
                status: 500,
                code: "internal",
                message: "the request failed inside the server".into(),
            },
            "5",
        )
    };
    with_retry_after(error, retry)
}

/// `error`'s JSON answer with a `Retry-After` of `seconds`.
fn with_retry_after(error: ApiError, seconds: &'static str) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
    response
}

/// `GET /api/live`: newline-delimited JSON: a snapshot of every object, then an update line with
/// what changed (and was removed) each time something does, a ping every 15 s of quiet (so
/// proxies keep the connection), and an end line when the server stops. Every line is encoded
/// once for every stream ([`crate::publish`]); a stream that falls behind gets the latest
/// snapshot, never a backlog. Past the process's or a client address's number of streams, a
/// clear JSON refusal.
async fn live(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    let client = client_address(&headers, peer, state.limits.forwarded_for);
    let guard = match LiveClient::admit(&state, client) {
        Ok(guard) => guard,
        Err(refusal) => return refusal.into_response(),
    };
    // A process that has just started has not read the table yet: wait for that (a little), so
    // the snapshot is a snapshot.
    state.live.first_read(Duration::from_secs(3)).await;
    let (updates, snapshot) = state.live.subscribe();
    let stopping = state.stopping.clone();
    let start = LiveStream {
        updates,
        stopping,
        sent: snapshot.version,
        queue: [snapshot.line.clone()].into(),
        phase: next_phase(),
        ended: false,
        live: state.live.clone(),
        _guard: guard,
    };
    let lines = futures_util::stream::unfold(start, |mut stream| async move {
        let line = stream.next_line().await?;
        // The line's bytes shared, not copied: a stream that has not sent it yet holds a
        // reference.
        let bytes = axum::body::Bytes::from_owner(SharedLine(line));
        Some((Ok::<_, std::convert::Infallible>(bytes), stream))
    });
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-store"),
            // nginx (the local gateway) passes each line on at once.
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        axum::body::Body::from_stream(lines),
    )
        .into_response()
}

/// A line's text as bytes for the body, without a copy.
struct SharedLine(Arc<str>);

impl AsRef<[u8]> for SharedLine {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Streams wake for an update each at its own moment within this span, not all at once:
/// writing a change to thousands of sockets in one burst would queue every search behind it.
const SPREAD: Duration = Duration::from_millis(400);

/// The next stream's moment within [`SPREAD`]: streams opened one after another are spread
/// evenly (steps of the golden ratio).
fn next_phase() -> Duration {
    static STREAMS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = STREAMS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    SPREAD.mul_f64((n as f64 * 0.618_033_988_75).fract())
}

/// One client's stream: where it is, and what comes next.
struct LiveStream {
    updates: tokio::sync::broadcast::Receiver<Arc<crate::publish::Encoded>>,
    stopping: watch::Receiver<bool>,
    /// The board's version the client has (with the queued lines).
    sent: u64,
    /// Lines to send, in order (shared with every other stream).
    queue: std::collections::VecDeque<Arc<str>>,
    /// This stream's moment within [`SPREAD`].
    phase: Duration,
    ended: bool,
    live: Subscriptions,
    _guard: LiveClient,
}

impl LiveStream {
    async fn next_line(&mut self) -> Option<Arc<str>> {
        use tokio::sync::broadcast::error::{RecvError, TryRecvError};
        if let Some(line) = self.queue.pop_front() {
            return Some(line);
        }
        if self.ended {
            return None;
        }
        loop {
            if *self.stopping.borrow() {
                self.ended = true;
                return Some(
                    "{\"type\":\"end\",\"reason\":\"the server is stopping: reconnect\"}\n".into(),
                );
            }
            tokio::select! {
                update = self.updates.recv() => match update {
                    Ok(update) => {
                        if !self.take(Some(update)) {
                            continue;
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        self.take(None);
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = self.stopping.changed() => continue,
                _ = tokio::time::sleep(Duration::from_secs(15)) => {
                    return Some("{\"type\":\"ping\"}\n".into());
                }
            }
            // This stream's moment; what arrived meanwhile goes out with it.
            tokio::time::sleep(self.phase).await;
            loop {
                match self.updates.try_recv() {
                    Ok(update) => {
                        self.take(Some(update));
                    }
                    Err(TryRecvError::Lagged(_)) => {
                        self.take(None);
                    }
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
            return self.queue.pop_front();
        }
    }

    /// Queues what brings the client up to date after `update` (`None`: updates were missed):
    /// the update if it follows what the client has, nothing if the client has it, else the
    /// latest snapshot in place of whatever was queued. Whether anything was queued.
    fn take(&mut self, update: Option<Arc<crate::publish::Encoded>>) -> bool {
        match update {
            Some(update) if update.version <= self.sent => false,
            Some(update) if update.since == self.sent => {
                self.sent = update.version;
                self.queue.push_back(update.line.clone());
                true
            }
            // Behind (an update missed), or the channel ran ahead: the latest snapshot.
            _ => {
                let snapshot = self.live.snapshot();
                self.sent = snapshot.version;
                self.queue.clear();
                self.queue.push_back(snapshot.line.clone());
                true
            }
        }
    }
}

/// Whose request it is (see [`LiveLimits::forwarded_for`]).
fn client_address(
    headers: &axum::http::HeaderMap,
    peer: std::net::SocketAddr,
    forwarded_for: bool,
) -> std::net::IpAddr {
    forwarded_for
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()
                .and_then(|a| a.trim().parse().ok())
        })
        .flatten()
        .unwrap_or(peer.ip())
}

/// A live stream's place among the process's and its client's: taken when admitted, given back
/// when the stream ends however it ends.
struct LiveClient {
    state: Arc<AppState>,
    client: std::net::IpAddr,
}

impl LiveClient {
    fn admit(state: &Arc<AppState>, client: std::net::IpAddr) -> Result<LiveClient, LiveRefusal> {
        let mut streams = state.streams.lock().unwrap_or_else(|e| e.into_inner());
        if streams.total >= state.limits.streams {
            return Err(LiveRefusal::Full(state.limits.streams));
        }
        let mine = streams.by_client.entry(client).or_default();
        if *mine >= state.limits.per_client {
            return Err(LiveRefusal::Client(state.limits.per_client));
        }
        *mine += 1;
        streams.total += 1;
        Ok(LiveClient {
            state: Arc::clone(state),
            client,
        })
    }
}

impl Drop for LiveClient {
    fn drop(&mut self) {
        let mut streams = self.state.streams.lock().unwrap_or_else(|e| e.into_inner());
        streams.total = streams.total.saturating_sub(1);
        if let Some(mine) = streams.by_client.get_mut(&self.client) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                streams.by_client.remove(&self.client);
            }
        }
    }
}

/// Why a live stream is not served.
enum LiveRefusal {
    /// The process serves its most streams: another replica may not.
    Full(usize),
    /// This address has its most streams open.
    Client(usize),
}

impl IntoResponse for LiveRefusal {
    fn into_response(self) -> Response {
        let (error, retry) = match self {
            LiveRefusal::Full(most) => (
                ApiError {
                    status: 503,
                    code: "live_streams_full",
                    message: format!("this server has its {most} live streams open: try again shortly"),
                },
                "5",
            ),
            LiveRefusal::Client(most) => (
                ApiError {
                    status: 429,
                    code: "too_many_live_streams",
                    message: format!("this address has {most} live streams open already: close one (each map needs one)"),
                },
                "30",
            ),
        };
        with_retry_after(error, retry)
    }
}

async fn search(
    State(state): State<Arc<AppState>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let params = match SearchParams::from_pairs(&pairs) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let [west, south, east, north] = match params.bbox {
        Some(bbox) => bbox.map(Some),
        None => [None; 4],
    };
    let answer = state
        .database
        .text(
            SEARCH_SQL,
            &[&params.q, &params.limit, &west, &south, &east, &north],
        )
        .await;
    match answer {
        Ok(geojson) => ([(header::CONTENT_TYPE, "application/geo+json")], geojson).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Ready: the database answers, and the live feed has read the table lately (a feed that cannot
/// LISTEN, or has lost its database, would serve stale or empty boards).
async fn ready(State(state): State<Arc<AppState>>) -> Response {
    if let Err(error) = state.database.text("SELECT 'ready'", &[]).await {
        return error.into_response();
    }
    let health = state.feed_health.borrow().clone();
    let fresh = health
        .last_read
        .is_some_and(|at| at.elapsed() < crate::feed::FALLBACK * 3);
    if !fresh {
        return ApiError {
            status: 503,
            code: "live_feed_stale",
            message: health
                .problem
                .unwrap_or_else(|| "the live feed has not read the table lately".to_owned()),
        }
        .into_response();
    }
    "ready\n".into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let clients = state.streams.lock().map_or(0, |streams| streams.total);
    let mut text = state.metrics.render(&state.version);
    text.push_str("# HELP meshmap_api_live_clients Live streams open now.\n# TYPE meshmap_api_live_clients gauge\n");
    text.push_str(&format!("meshmap_api_live_clients {clients}\n"));
    if let Some(bytes) = resident_memory() {
        text.push_str("# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n");
        text.push_str(&format!("process_resident_memory_bytes {bytes}\n"));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// The process's resident memory (Linux: VmRSS in /proc/self/status), the figure operators
/// compare with the pod's memory limit.
fn resident_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

/// Around every request: the version header, CORS for maps embedded in other sites, the metrics
/// and one JSON log line.
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert("x-meshmap-version", state.version_header.clone());
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    let status = response.status();
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.observe(&route, status.as_u16(), seconds);
    let level = if status.is_server_error() {
        "error"
    } else if status == StatusCode::OK {
        "info"
    } else {
        "warn"
    };
    println!(
        "{{\"ts\":{},\"level\":\"{level}\",\"method\":{},\"path\":{},\"status\":{},\"ms\":{:.3},\"version\":{}}}",
        unix_seconds(),
        json_string(&method),
        json_string(&path),
        status.as_u16(),
        seconds * 1e3,
        json_string(&state.version)
    );
    response
}

/// A JSON log line that is not about a request.
pub fn log_event(level: &str, message: &str) {
    println!(
        "{{\"ts\":{},\"level\":{},\"message\":{}}}",
        unix_seconds(),
        json_string(level),
        json_string(message)
    );
}

fn unix_seconds() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:03}", now.as_secs(), now.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    /// A route whose requests wait until `release` is notified.
    fn held_route(release: Arc<tokio::sync::Notify>, limits: RequestLimits) -> Router {
        let route = get(move || {
            let release = Arc::clone(&release);
            async move {
                release.notified().await;
                "done"
            }
        });
        Router::new().route("/held", limit_requests(route, limits))
    }

    async fn ask(router: &Router) -> Response {
        let request = Request::builder().uri("/held").body(Body::empty()).unwrap();
        router.clone().oneshot(request).await.unwrap()
    }

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Past the concurrency limit a request is refused at once, as JSON with Retry-After, while
    /// the ones in progress finish; once they have, requests are served again.
    #[tokio::test(start_paused = true)]
    async fn requests_past_the_limit_are_shed_with_a_json_503() {
        let release = Arc::new(tokio::sync::Notify::new());
        let router = held_route(
            Arc::clone(&release),
            RequestLimits {
                concurrency: 2,
                timeout: Duration::from_secs(3600),
            },
        );
        let first = tokio::spawn({
            let router = router.clone();
            async move { ask(&router).await }
        });
        let second = tokio::spawn({
            let router = router.clone();
            async move { ask(&router).await }
        });
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        let third = ask(&router).await;
        assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(third.headers()[header::RETRY_AFTER], "1");
        assert_eq!(third.headers()[header::CONTENT_TYPE], "application/json");
        assert!(body_text(third).await.contains("\"code\":\"overloaded\""));
        release.notify_waiters();
        assert_eq!(first.await.unwrap().status(), StatusCode::OK);
        assert_eq!(second.await.unwrap().status(), StatusCode::OK);
        let again = tokio::spawn({
            let router = router.clone();
            async move { ask(&router).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        release.notify_waiters();
        assert_eq!(again.await.unwrap().status(), StatusCode::OK);
    }

    /// A request that takes longer than the timeout is answered with a JSON 503 when it runs out.
    #[tokio::test(start_paused = true)]
    async fn a_request_past_its_timeout_gets_a_json_503() {
        let router = held_route(
            Arc::new(tokio::sync::Notify::new()),
            RequestLimits {
                concurrency: 4,
                timeout: Duration::from_secs(10),
            },
        );
        let started = tokio::time::Instant::now();
        let response = ask(&router).await;
        assert_eq!(started.elapsed(), Duration::from_secs(10));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        assert!(body_text(response).await.contains("\"code\":\"timed_out\""));
    }
}
