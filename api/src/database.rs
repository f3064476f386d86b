//! The database: a pool of connections (deadpool-postgres), sized from the settings, each made
//! read-only with a statement timeout. Waiting for a connection is bounded; a query the client
//! gave up on (its request dropped, or over its time) is cancelled in PostgreSQL, not left to run
//! to the statement timeout; a connection that failed or hung is thrown away, not given to the
//! next request. Clients never see the database's own words (role names, table names): they get
//! a code and a sentence; the log gets the detail.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::types::ToSql;
use tokio_postgres::{CancelToken, NoTls};

use crate::error::ApiError;
use crate::server::log_event;

/// How many connections, and how long a request waits for one or for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    pub size: usize,
    pub wait: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            size: 8,
            wait: Duration::from_secs(3),
        }
    }
}

pub struct Database {
    pool: Pool,
    wait: Duration,
}

impl Database {
    /// A pool over `config` (already read-only, with its statement timeout). Connections are made
    /// when first needed, so a database that is down at start delays nothing.
    pub fn new(config: tokio_postgres::Config, settings: PoolSettings) -> Result<Database, String> {
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A pooled connection is checked before it is handed out: one the server closed
                // is replaced.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.size.max(1))
            .wait_timeout(Some(settings.wait))
            .create_timeout(Some(settings.wait))
            .recycle_timeout(Some(settings.wait))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| format!("the database pool cannot be made: {e}"))?;
        Ok(Database {
            pool,
            wait: settings.wait,
        })
    }

    /// Connections open and idle now (for the metrics).
    pub fn status(&self) -> (usize, usize) {
        let status = self.pool.status();
        (status.size, status.available)
    }

    /// Runs a statement returning one text value.
    pub async fn text(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<String, ApiError> {
        let client = self.pool.get().await.map_err(|error| {
            log_event("warn", &format!("no database connection: {error}"));
            ApiError::unavailable("the database is not available just now; try again shortly")
        })?;
        let mut cancel = CancelOnDrop(Some(client.cancel_token()));
        let answer = tokio::time::timeout(self.wait, client.query_one(sql, params)).await;
        let verdict = match answer {
            Ok(Ok(row)) => {
                cancel.disarm();
                return row.try_get::<_, String>(0).map_err(|error| {
                    log_event(
                        "error",
                        &format!("unexpected answer from the database: {error}"),
                    );
                    ApiError::query_failed()
                });
            }
            Ok(Err(error)) => {
                cancel.disarm();
                log_event("error", &format!("query failed: {error}"));
                ApiError::query_failed()
            }
            // Cancelled in PostgreSQL by the guard as it goes.
            Err(_) => ApiError::unavailable("the database did not answer in time; try again"),
        };
        // A connection that failed or hung is not handed to the next request.
        drop(Object::take(client));
        Err(verdict)
    }
}

/// Cancels the running query in PostgreSQL when dropped armed: the request was dropped (its
/// client went away) or gave up waiting.
struct CancelOnDrop(Option<CancelToken>);

impl CancelOnDrop {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(token) = self.0.take() {
            tokio::spawn(async move {
                if let Err(error) = token.cancel_query(NoTls).await {
                    log_event("warn", &format!("could not cancel a query: {error}"));
                }
            });
        }
    }
}
