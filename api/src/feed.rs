//! The live feed: one extra database connection per API process, to the primary (LISTEN needs
//! it: a hot standby refuses LISTEN and never hears NOTIFY), that LISTENs for `live_objects`
//! notifications, reads the rows changed since the last read (every 5 s too, in case a
//! notification is lost), removes objects deleted from the table or silent for longer than the
//! time to live, and publishes each change once for every stream ([`crate::publish`]).
//! Reconnects with growing pauses (up to 10 s, back to the shortest after a good read) when the
//! database goes away; its health (the last good read) tells readiness.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{stream, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};

use crate::live::{Board, LiveObject};
use crate::publish::Publisher;
use crate::server::log_event;

const CHANGED_SQL: &str =
    "SELECT id, name, lng, lat, heading, speed, extract(epoch FROM updated_at)::float8 \
     FROM live_objects WHERE updated_at > to_timestamp($1::float8) ORDER BY updated_at";

/// How often the feed reads without a notification, and checks which objects are gone.
pub const FALLBACK: Duration = Duration::from_secs(5);

/// What the feed's health is: when it last read the table (`None`: not yet, or failing), and
/// why not if it is failing.
#[derive(Debug, Clone, Default)]
pub struct FeedHealth {
    pub last_read: Option<Instant>,
    pub problem: Option<String>,
}

/// Runs until the process stops (the publisher closes), keeping the streams up to date. Objects
/// last heard of more than `ttl` ago are removed.
pub async fn run(
    config: tokio_postgres::Config,
    mut publisher: Publisher,
    health: watch::Sender<FeedHealth>,
    ttl: Duration,
) {
    let mut board = Board::default();
    let mut pause = Duration::from_millis(250);
    loop {
        let failure = match follow(&config, &mut board, &mut publisher, &health, ttl).await {
            Ok(()) => return,
            Err(failure) => failure,
        };
        health.send_modify(|h| {
            h.last_read = None;
            h.problem = Some(failure.message.clone());
        });
        // A feed that read well before it failed starts again from the shortest pause.
        if failure.read_well {
            pause = Duration::from_millis(250);
        }
        log_event(
            "warn",
            &format!(
                "live feed: {}; again in {} ms",
                failure.message,
                pause.as_millis()
            ),
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

struct Failure {
    message: String,
    /// It had read the table at least once on this connection.
    read_well: bool,
}

fn failed(message: String, read_well: bool) -> Failure {
    Failure { message, read_well }
}

async fn follow(
    config: &tokio_postgres::Config,
    board: &mut Board,
    publisher: &mut Publisher,
    health: &watch::Sender<FeedHealth>,
    ttl: Duration,
) -> Result<(), Failure> {
    let connecting = tokio::time::timeout(Duration::from_secs(5), config.connect(NoTls));
    let (client, mut connection) = connecting
        .await
        .map_err(|_| failed("the database did not answer within 5 s".into(), false))?
        .map_err(|e| failed(format!("cannot connect: {e}"), false))?;
    let (notified, mut notifications) = mpsc::channel::<()>(1);
    // The connection also carries the notifications: drive it here and pass them on.
    let driver = tokio::spawn(async move {
        let mut messages = stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    // A full channel already says "something changed".
                    let _ = notified.try_send(());
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    let mut read_well = false;
    let result = async {
        let query = |sql: &'static str| async {
            tokio::time::timeout(Duration::from_secs(5), client.query(sql, &[]))
                .await
                .map_err(|_| "the database did not answer within 5 s".to_owned())?
                .map_err(|e| e.to_string())
        };
        let standby = query("SELECT pg_is_in_recovery()")
            .await
            .map_err(|e| format!("cannot ask the database what it is: {e}"))?;
        if standby
            .first()
            .and_then(|row| row.try_get::<_, bool>(0).ok())
            == Some(true)
        {
            return Err(
                "the database is a standby (a read replica): LISTEN needs the primary; \
                 point DATABASE_FEED_URL at the read-write service (e.g. meshmap-db-rw)"
                    .to_owned(),
            );
        }
        client
            .batch_execute("LISTEN live_objects")
            .await
            .map_err(|e| format!("LISTEN failed: {e}"))?;
        // Unix time 0: every row, the first time.
        let mut since = 0.0_f64;
        let mut fallback = tokio::time::interval(FALLBACK);
        loop {
            let rows =
                tokio::time::timeout(Duration::from_secs(5), client.query(CHANGED_SQL, &[&since]))
                    .await
                    .map_err(|_| "reading live_objects took over 5 s".to_owned())?
                    .map_err(|e| format!("reading live_objects failed: {e}"))?;
            let objects: Vec<LiveObject> = rows
                .iter()
                .filter_map(|row| {
                    Some(LiveObject {
                        id: row.try_get(0).ok()?,
                        name: row.try_get(1).ok()?,
                        lng: row.try_get(2).ok()?,
                        lat: row.try_get(3).ok()?,
                        heading: row.try_get(4).ok()?,
                        speed: row.try_get(5).ok()?,
                        at: row.try_get(6).ok()?,
                    })
                })
                .collect();
            since = objects.iter().map(|o| o.at).fold(since, f64::max);
            if !objects.is_empty() || board.version() == 0 {
                board.apply(objects);
            }
            publisher.publish(board);
            read_well = true;
            health.send_modify(|h| {
                h.last_read = Some(Instant::now());
                h.problem = None;
            });
            if publisher.is_closed() {
                return Ok(());
            }
            tokio::select! {
                woke = notifications.recv() => {
                    if woke.is_none() {
                        return Err("the database connection ended".to_owned());
                    }
                }
                _ = fallback.tick() => {
                    // Deleted rows send nothing readable: which ids are still there, and which
                    // objects went silent.
                    let ids: HashSet<String> = query("SELECT id FROM live_objects")
                        .await
                        .map_err(|e| format!("reading the ids of live_objects failed: {e}"))?
                        .iter()
                        .filter_map(|row| row.try_get(0).ok())
                        .collect();
                    board.remove_gone(Some(&ids), unix_now() - ttl.as_secs_f64());
                    publisher.publish(board);
                }
            }
        }
    }
    .await;
    driver.abort();
    result.map_err(|message| failed(message, read_well))
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
