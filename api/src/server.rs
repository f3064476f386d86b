//! The HTTP server: routes, the database connection, logs, metrics and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::watch;

use crate::database::{Database, PoolSettings};
use crate::live::Board;

use crate::error::{json_string, ApiError};
use crate::metrics::Metrics;
use crate::search::{SearchParams, SEARCH_SQL};

pub struct ApiConfig {
    /// The database, as a login that can only read (db/prepare.sql's `meshmap_api`).
    pub database: tokio_postgres::Config,
    /// The pool's size and waits.
    pub pool: PoolSettings,
    /// The version this process serves ("stable", "canary", or a build's version).
    pub version: String,
}

struct AppState {
    database: Database,
    metrics: Metrics,
    version: String,
    version_header: HeaderValue,
    /// The live objects' latest positions ([`crate::feed`] keeps it up to date).
    board: watch::Receiver<Arc<Board>>,
    /// Becomes true when the server is asked to stop: live streams end then.
    stopping: watch::Receiver<bool>,
    live_clients: std::sync::atomic::AtomicI64,
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
    let (board_sender, board) = watch::channel(Arc::new(Board::default()));
    let feed = tokio::spawn(crate::feed::run(database.clone(), board_sender));
    let (stop, stopping) = watch::channel(false);
    let pool =
        Database::new(database, config.pool).map_err(std::io::Error::other)?;
    let state = Arc::new(AppState {
        database: pool,
        metrics: Metrics::default(),
        version: config.version,
        version_header,
        board,
        stopping,
        live_clients: std::sync::atomic::AtomicI64::new(0),
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
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await;
    feed.abort();
    result
}

/// `GET /api/live`: newline-delimited JSON: a snapshot of every object, then an update line with
/// what changed each time something does (a slow client skips to the latest positions), a ping
/// every 15 s of quiet (so proxies keep the connection), and an end line when the server stops.
async fn live(State(state): State<Arc<AppState>>) -> Response {
    use std::sync::atomic::Ordering;
    let mut board = state.board.clone();
    // A process that has just started has not read the table yet: wait for that (a little), so
    // the snapshot is a snapshot.
    if board.borrow().version() == 0 {
        let _ = tokio::time::timeout(Duration::from_secs(3), board.changed()).await;
    }
    let first = board.borrow_and_update().clone();
    let stopping = state.stopping.clone();
    state.live_clients.fetch_add(1, Ordering::Relaxed);
    let guard = LiveClient(Arc::clone(&state));
    let lines = futures_util::stream::unfold(
        (
            board,
            stopping,
            first.version(),
            Some(first.snapshot_line()),
            false,
            guard,
        ),
        |(mut board, mut stopping, mut sent, mut pending, ended, guard)| async move {
            if let Some(line) = pending.take() {
                return Some((
                    Ok::<_, std::convert::Infallible>(line),
                    (board, stopping, sent, None, ended, guard),
                ));
            }
            if ended {
                return None;
            }
            loop {
                if *stopping.borrow() {
                    let end =
                        "{\"type\":\"end\",\"reason\":\"the server is stopping: reconnect\"}\n"
                            .to_owned();
                    return Some((Ok(end), (board, stopping, sent, None, true, guard)));
                }
                tokio::select! {
                    changed = board.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                        let latest = board.borrow_and_update().clone();
                        if let Some(line) = latest.update_line(sent) {
                            sent = latest.version();
                            return Some((Ok(line), (board, stopping, sent, None, false, guard)));
                        }
                    }
                    _ = stopping.changed() => {}
                    _ = tokio::time::sleep(Duration::from_secs(15)) => {
                        return Some((Ok("{\"type\":\"ping\"}\n".to_owned()), (board, stopping, sent, None, false, guard)));
                    }
                }
            }
        },
    );
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

/// Counts a live stream's client while it is connected.
struct LiveClient(Arc<AppState>);

impl Drop for LiveClient {
    fn drop(&mut self) {
        self.0
            .live_clients
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
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

async fn ready(State(state): State<Arc<AppState>>) -> Response {
    match state.database.text("SELECT 'ready'", &[]).await {
        Ok(_) => "ready\n".into_response(),
        Err(error) => error.into_response(),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let clients = state
        .live_clients
        .load(std::sync::atomic::Ordering::Relaxed);
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
