//! `meshmap-api`: reads its settings from the environment and serves until SIGTERM or Ctrl-C.
//!
//!   DATABASE_URL      postgresql://meshmap_api@host:port/meshmap (a login that can only read)
//!   LISTEN            address to listen on, default 127.0.0.1:8080
//!   MESHMAP_VERSION   the version this process serves, shown on every response
//!   DATABASE_POOL_SIZE  connections to the database at most, default 8 (1..=64)
//!   DATABASE_WAIT_MS  how long a request waits for a connection, and for its answer, default 3000
//!   DATABASE_FEED_URL the database the live feed LISTENs on: the primary (a standby refuses
//!                     LISTEN), default DATABASE_URL
//!   LIVE_MAX_STREAMS  live streams this process serves at most, default 4000
//!   LIVE_MAX_PER_CLIENT  live streams one client address may have open, default 8
//!   LIVE_TTL_S        seconds after which an object that stopped reporting leaves, default 120
//!   TRUST_FORWARDED_FOR  1: a client's address is the last of X-Forwarded-For (behind a proxy
//!                     that adds it, such as Istio's gateway), else the connection's peer
//!   METRICS_LISTEN    address of /metrics (Prometheus), off the public port, default
//!                     127.0.0.1:9464
//!   SEARCH_CONCURRENCY  searches in progress at most; past it a 503 at once, default 64
//!   REQUEST_TIMEOUT_MS  how long a search or readiness check may take in all, default 10000
//!
//! `meshmap-api simulate [--objects N] [--rate HZ] [--seconds S]` moves N flights (default
//! 1000) at HZ ticks a second (default 1) for the live layer; DATABASE_URL must be a login that
//! may write `live_objects`.
//!
//! `meshmap-api load --api HOST:PORT --metrics HOST:PORT ...` opens many live streams against a
//! running API and measures what they cost it (`make bench`; see src/load.rs).

use std::process::ExitCode;
use std::time::Duration;

use meshmap_api::server::log_event;
use meshmap_api::{serve, ApiConfig, Listeners};

#[tokio::main]
async fn main() -> ExitCode {
    let setting =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let url = setting(
        "DATABASE_URL",
        "postgresql://meshmap_api@127.0.0.1:5432/meshmap",
    );
    let database = match url.parse::<tokio_postgres::Config>() {
        Ok(config) => config,
        Err(error) => {
            log_event("error", &format!("DATABASE_URL is not a PostgreSQL URL ({error}): set it like postgresql://meshmap_api@host:5432/meshmap"));
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("simulate") => return simulate(database, &args[1..]).await,
        Some("load") => return load(&args[1..]).await,
        _ => {}
    }
    let address = setting("LISTEN", "127.0.0.1:8080");
    let Some(public) = bind(&address, "LISTEN").await else {
        return ExitCode::from(2);
    };
    let metrics_address = setting("METRICS_LISTEN", "127.0.0.1:9464");
    let Some(metrics) = bind(&metrics_address, "METRICS_LISTEN").await else {
        return ExitCode::from(2);
    };
    let version = setting("MESHMAP_VERSION", "dev");
    log_event(
        "info",
        &format!("meshmap-api {version} listening on {address}, metrics on {metrics_address}"),
    );
    let settings = (|| {
        Ok::<_, String>((
            feed_database(&setting)?,
            pool_settings(&setting)?,
            live_limits(&setting)?,
            request_limits(&setting)?,
        ))
    })();
    let (feed_database, pool, live, requests) = match settings {
        Ok(settings) => settings,
        Err(message) => {
            log_event("error", &message);
            return ExitCode::from(2);
        }
    };
    let config = ApiConfig {
        database,
        feed_database,
        pool,
        live,
        requests,
        version,
    };
    let listeners = Listeners {
        public,
        metrics: Some(metrics),
    };
    match serve(listeners, config, shutdown_signal()).await {
        Ok(()) => {
            log_event("info", "stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            log_event("error", &format!("server failed: {error}"));
            ExitCode::FAILURE
        }
    }
}

/// DATABASE_FEED_URL, if set.
fn feed_database(
    setting: &dyn Fn(&str, &str) -> String,
) -> Result<Option<tokio_postgres::Config>, String> {
    let url = setting("DATABASE_FEED_URL", "");
    if url.is_empty() {
        return Ok(None);
    }
    url.parse().map(Some).map_err(|error| {
        format!("DATABASE_FEED_URL is not a PostgreSQL URL ({error}): set it like postgresql://meshmap_api@meshmap-db-rw:5432/meshmap")
    })
}

/// `address` bound, or why not logged (`name`: the setting it came from).
async fn bind(address: &str, name: &str) -> Option<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => Some(listener),
        Err(error) => {
            log_event(
                "error",
                &format!("cannot listen on {address}: {error} (set {name} to a free host:port)"),
            );
            None
        }
    }
}

/// The whole number setting `name` (or `default`), which must lie in `range`; `what` says what
/// it counts, for the message when it does not.
fn number(
    setting: &dyn Fn(&str, &str) -> String,
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    what: &str,
) -> Result<u64, String> {
    let text = setting(name, &default.to_string());
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            format!(
                "{name} is \"{text}\": give {what} from {} to {}",
                range.start(),
                range.end()
            )
        })
}

/// The setting `name` in milliseconds (or `default`), within `range`.
fn millis(
    setting: &dyn Fn(&str, &str) -> String,
    name: &str,
    default: Duration,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, String> {
    let default = default.as_millis() as u64;
    number(setting, name, default, range, "milliseconds").map(Duration::from_millis)
}

/// LIVE_MAX_STREAMS, LIVE_MAX_PER_CLIENT, LIVE_TTL_S and TRUST_FORWARDED_FOR, checked.
fn live_limits(setting: &dyn Fn(&str, &str) -> String) -> Result<meshmap_api::LiveLimits, String> {
    let default = meshmap_api::LiveLimits::default();
    let streams = |name, default: usize, most| {
        number(
            setting,
            name,
            default as u64,
            1..=most,
            "a number of streams",
        )
        .map(|n| n as usize)
    };
    Ok(meshmap_api::LiveLimits {
        streams: streams("LIVE_MAX_STREAMS", default.streams, 100_000)?,
        per_client: streams("LIVE_MAX_PER_CLIENT", default.per_client, 10_000)?,
        ttl: Duration::from_secs(number(
            setting,
            "LIVE_TTL_S",
            default.ttl.as_secs(),
            10..=86_400,
            "seconds",
        )?),
        forwarded_for: setting("TRUST_FORWARDED_FOR", "0") == "1",
        stall: default.stall,
    })
}

/// DATABASE_POOL_SIZE and DATABASE_WAIT_MS, checked.
fn pool_settings(
    setting: &dyn Fn(&str, &str) -> String,
) -> Result<meshmap_api::database::PoolSettings, String> {
    let default = meshmap_api::database::PoolSettings::default();
    Ok(meshmap_api::database::PoolSettings {
        size: number(
            setting,
            "DATABASE_POOL_SIZE",
            default.size as u64,
            1..=64,
            "a number of connections",
        )? as usize,
        wait: millis(setting, "DATABASE_WAIT_MS", default.wait, 100..=60_000)?,
    })
}

/// SEARCH_CONCURRENCY and REQUEST_TIMEOUT_MS, checked.
fn request_limits(
    setting: &dyn Fn(&str, &str) -> String,
) -> Result<meshmap_api::RequestLimits, String> {
    let default = meshmap_api::RequestLimits::default();
    Ok(meshmap_api::RequestLimits {
        concurrency: number(
            setting,
            "SEARCH_CONCURRENCY",
            default.concurrency as u64,
            1..=10_000,
            "a number of searches",
        )? as usize,
        timeout: millis(
            setting,
            "REQUEST_TIMEOUT_MS",
            default.timeout,
            100..=120_000,
        )?,
    })
}

/// `meshmap-api load --api HOST:PORT --metrics HOST:PORT [--streams N] [--stalled N]
/// [--search-clients 10,50] [--search-seconds S] [--stall-wait S]`: prints one JSON report.
async fn load(args: &[String]) -> ExitCode {
    let mut plan = meshmap_api::load::LoadPlan {
        api: String::new(),
        metrics: String::new(),
        streams: 2000,
        stalled: 200,
        search_clients: vec![10, 50],
        search_for: Duration::from_secs(10),
        stall_wait: Duration::from_secs(60),
    };
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        let number = value.parse::<u64>().ok();
        match (pair[0].as_str(), number) {
            ("--api", _) => plan.api = value,
            ("--metrics", _) => plan.metrics = value,
            ("--streams", Some(n)) => plan.streams = n as usize,
            ("--stalled", Some(n)) => plan.stalled = n as usize,
            ("--search-seconds", Some(n)) => plan.search_for = Duration::from_secs(n),
            ("--stall-wait", Some(n)) => plan.stall_wait = Duration::from_secs(n),
            ("--search-clients", _) => {
                plan.search_clients = value.split(',').filter_map(|n| n.parse().ok()).collect()
            }
            (flag, _) => {
                log_event("error", &format!("load: bad argument {flag:?} {value:?}"));
                return ExitCode::from(2);
            }
        }
    }
    if plan.api.is_empty() || plan.metrics.is_empty() {
        log_event(
            "error",
            "load: give --api HOST:PORT and --metrics HOST:PORT",
        );
        return ExitCode::from(2);
    }
    match meshmap_api::load::run(&plan).await {
        Ok(report) => {
            println!("{}", report.to_json());
            ExitCode::SUCCESS
        }
        Err(message) => {
            log_event("error", &format!("load: {message}"));
            ExitCode::FAILURE
        }
    }
}

async fn simulate(database: tokio_postgres::Config, args: &[String]) -> ExitCode {
    let mut simulation = meshmap_api::simulate::Simulation {
        objects: 1000,
        rate: 1.0,
        duration: None,
    };
    for pair in args.chunks(2) {
        let value = pair.get(1).map(|v| v.parse::<f64>());
        match (pair[0].as_str(), value) {
            ("--objects", Some(Ok(n))) if (1.0..=200_000.0).contains(&n) => {
                simulation.objects = n as usize
            }
            ("--rate", Some(Ok(hz))) if (0.05..=50.0).contains(&hz) => simulation.rate = hz,
            ("--seconds", Some(Ok(s))) if s > 0.0 => {
                simulation.duration = Some(Duration::from_secs_f64(s))
            }
            (flag, _) => {
                log_event("error", &format!("simulate: bad argument {flag:?}: use --objects 1..200000, --rate 0.05..50 (Hz), --seconds S"));
                return ExitCode::from(2);
            }
        }
    }
    tokio::select! {
        result = meshmap_api::simulate::run(database, simulation) => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                log_event("error", &format!("simulate: {message}"));
                ExitCode::FAILURE
            }
        },
        _ = shutdown_signal() => ExitCode::SUCCESS,
    }
}

/// SIGTERM (Kubernetes stopping the pod) or Ctrl-C.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    log_event("info", "shutting down: finishing requests in flight");
}
