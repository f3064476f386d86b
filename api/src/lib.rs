//! meshmap's own backend, served under `/api/` behind the gateway, one deployment per version
//! like the frontend (the gateway routes `/api/` by `X-App-Version`).
//!
//! - `GET /api/search?q=&limit=&bbox=`: places and countries by name, typo-tolerant and
//!   accent-insensitive (`pg_trgm`, `unaccent`), ranked, as GeoJSON ([`search`]).
//! - `GET /api/live`: the live objects as newline-delimited JSON ([`live`], [`publish`]).
//! - `GET /healthz` (the process answers), `GET /readyz` (the database answers and the live
//!   feed has read lately); `GET /metrics` (Prometheus: requests, latency, live streams) on a
//!   port of its own.
//!
//! Every response carries `X-Meshmap-Version` (the version serving it); every request is one JSON
//! log line on stdout; bad input is a 400 with a JSON error ([`error::ApiError`]); SQL gets bound
//! parameters only, as a login that can only read.

pub mod database;
pub mod error;
pub mod feed;
pub mod listen;
pub mod live;
pub mod load;
pub mod metrics;
pub mod publish;
pub mod search;
pub mod server;
pub mod simulate;

pub use server::{serve, ApiConfig, Listeners, LiveLimits, RequestLimits};
