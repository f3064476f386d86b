//! The HTTP server: routes, the database connection, logs, metrics and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, MatchedPath, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
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

/// Serves the API on `listener` until `shutdown` resolves: live streams end (clients reconnect to
/// another replica), requests in flight are finished.
pub async fn serve(
    listener: tokio::net::TcpListener,
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
    let app = Router::new()
        .route("/api/search", get(search))
        .route("/api/live", get(live))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .fallback(|request: Request| async move { ApiError::not_found(request.uri().path()) })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            observe,
        ))
        .with_state(state);
    let stall = state_stall;
    let result = crate::listen::serve(listener, app, stall, async move {
        shutdown.await;
        let _ = stop.send(true);
    })
    .await;
    feed.abort();
    result
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
        pending: Some(snapshot.line.clone()),
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

/// One client's stream: where it is, and what comes next.
struct LiveStream {
    updates: tokio::sync::broadcast::Receiver<Arc<crate::publish::Encoded>>,
    stopping: watch::Receiver<bool>,
    /// The board's version the client has.
    sent: u64,
    pending: Option<Arc<str>>,
    ended: bool,
    live: Subscriptions,
    _guard: LiveClient,
}

impl LiveStream {
    async fn next_line(&mut self) -> Option<Arc<str>> {
        use tokio::sync::broadcast::error::RecvError;
        if let Some(line) = self.pending.take() {
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
                    Ok(update) if update.version <= self.sent => {}
                    Ok(update) if update.since == self.sent => {
                        self.sent = update.version;
                        return Some(update.line.clone());
                    }
                    // Behind (an update missed), or the channel ran ahead: the latest snapshot.
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        let snapshot = self.live.snapshot();
                        self.sent = snapshot.version;
                        return Some(snapshot.line.clone());
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = self.stopping.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(15)) => {
                    return Some("{\"type\":\"ping\"}\n".into());
                }
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
        let mut response = error.into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static(retry));
        response
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
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
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
