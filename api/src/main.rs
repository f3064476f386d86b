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
//!
//! `meshmap-api simulate [--objects N] [--rate HZ] [--seconds S]` moves N flights (default
//! 1000) at HZ ticks a second (default 1) for the live layer; DATABASE_URL must be a login that
//! may write `live_objects`.

use std::process::ExitCode;

use meshmap_api::server::log_event;
use meshmap_api::{serve, ApiConfig};

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
    if args.first().map(String::as_str) == Some("simulate") {
        return simulate(database, &args[1..]).await;
    }
    let address = setting("LISTEN", "127.0.0.1:8080");
    let listener = match tokio::net::TcpListener::bind(&address).await {
        Ok(listener) => listener,
        Err(error) => {
            log_event(
                "error",
                &format!("cannot listen on {address}: {error} (set LISTEN to a free host:port)"),
            );
            return ExitCode::from(2);
        }
    };
    let version = setting("MESHMAP_VERSION", "dev");
    log_event(
        "info",
        &format!("meshmap-api {version} listening on {address}"),
    );
    let pool = match pool_settings(&setting) {
        Ok(pool) => pool,
        Err(message) => {
            log_event("error", &message);
            return ExitCode::from(2);
        }
    };
    let (feed_database, live) = match (feed_database(&setting), live_limits(&setting)) {
        (Ok(feed), Ok(live)) => (feed, live),
        (Err(message), _) | (_, Err(message)) => {
            log_event("error", &message);
            return ExitCode::from(2);
        }
    };
    let config = ApiConfig {
        database,
        feed_database,
        pool,
        live,
        version,
    };
    match serve(listener, config, shutdown_signal()).await {
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

/// LIVE_MAX_STREAMS, LIVE_MAX_PER_CLIENT, LIVE_TTL_S and TRUST_FORWARDED_FOR, checked.
fn live_limits(setting: &dyn Fn(&str, &str) -> String) -> Result<meshmap_api::LiveLimits, String> {
    let default = meshmap_api::LiveLimits::default();
    let number = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| {
        let text = setting(name, &default.to_string());
        text.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                format!(
                    "{name} is \"{text}\": give a number from {} to {}",
                    range.start(),
                    range.end()
                )
            })
    };
    Ok(meshmap_api::LiveLimits {
        streams: number("LIVE_MAX_STREAMS", default.streams as u64, 1..=100_000)? as usize,
        per_client: number("LIVE_MAX_PER_CLIENT", default.per_client as u64, 1..=10_000)? as usize,
        ttl: std::time::Duration::from_secs(number(
            "LIVE_TTL_S",
            default.ttl.as_secs(),
            10..=86_400,
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
    let size = setting("DATABASE_POOL_SIZE", &default.size.to_string());
    let size = size
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=64).contains(n))
        .ok_or_else(|| {
            format!("DATABASE_POOL_SIZE is \"{size}\": give a number of connections from 1 to 64")
        })?;
    let wait = setting("DATABASE_WAIT_MS", &default.wait.as_millis().to_string());
    let wait = wait
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|ms| (100..=60_000).contains(ms))
        .ok_or_else(|| {
            format!("DATABASE_WAIT_MS is \"{wait}\": give milliseconds from 100 to 60000")
        })?;
    Ok(meshmap_api::database::PoolSettings {
        size,
        wait: std::time::Duration::from_millis(wait),
    })
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
                simulation.duration = Some(std::time::Duration::from_secs_f64(s))
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
