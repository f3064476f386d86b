//! The live feed: one extra database connection per API process that LISTENs for
//! `live_objects` notifications, reads the rows changed since the last read (every 5 s too, in
//! case a notification is lost), and publishes the board to the streams. Reconnects with growing
//! pauses (up to 10 s) when the database goes away.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{stream, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};

use crate::live::{Board, LiveObject};
use crate::server::log_event;

const CHANGED_SQL: &str =
    "SELECT id, name, lng, lat, heading, speed, extract(epoch FROM updated_at)::float8 \
     FROM live_objects WHERE updated_at > to_timestamp($1::float8) ORDER BY updated_at";

/// Runs until the process stops, keeping `board` up to date.
pub async fn run(config: tokio_postgres::Config, board: watch::Sender<Arc<Board>>) {
    let mut pause = Duration::from_millis(250);
    loop {
        match follow(&config, &board).await {
            Ok(()) => return,
            Err(message) => {
                log_event(
                    "warn",
                    &format!("live feed: {message}; again in {} ms", pause.as_millis()),
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn follow(
    config: &tokio_postgres::Config,
    board: &watch::Sender<Arc<Board>>,
) -> Result<(), String> {
    let (client, mut connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
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
    let result = async {
        client
            .batch_execute("LISTEN live_objects")
            .await
            .map_err(|e| format!("LISTEN failed: {e}"))?;
        // Unix time 0: every row, the first time.
        let mut since = 0.0_f64;
        let mut fallback = tokio::time::interval(Duration::from_secs(5));
        loop {
            let rows = client
                .query(CHANGED_SQL, &[&since])
                .await
                .map_err(|e| format!("reading live_objects failed: {e}"))?;
            if !rows.is_empty() || board.borrow().version() == 0 {
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
                let mut next = Board::clone(&board.borrow());
                next.apply(objects);
                let _ = board.send(Arc::new(next));
            }
            if board.is_closed() {
                return Ok(());
            }
            tokio::select! {
                woke = notifications.recv() => {
                    if woke.is_none() {
                        return Err("the database connection ended".to_owned());
                    }
                }
                _ = fallback.tick() => {}
            }
        }
    }
    .await;
    driver.abort();
    result
}
