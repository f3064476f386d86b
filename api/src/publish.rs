//! Live updates encoded once and shared by every stream: the feed turns each change of the board
//! into one update line (the bytes, behind an `Arc`) sent through one broadcast channel, and
//! keeps the latest snapshot line for streams that start or fall behind. A stream holds no copy
//! of the board and encodes nothing; a client that stops reading costs a reference or two.

use std::sync::Arc;

use tokio::sync::{broadcast, watch};

use crate::live::Board;

/// A line of the stream, encoded.
#[derive(Debug)]
pub struct Encoded {
    /// The board's version it brings a client to.
    pub version: u64,
    /// For an update: the version it applies to (a client elsewhere needs a snapshot).
    pub since: u64,
    pub line: Arc<str>,
}

/// Updates kept for streams that are a little behind; further behind, a stream gets a snapshot.
const BACKLOG: usize = 16;

/// The feed's side: publishes each new state of the board.
pub struct Publisher {
    snapshot: watch::Sender<Arc<Encoded>>,
    updates: broadcast::Sender<Arc<Encoded>>,
    published: u64,
}

/// The streams' side: the latest snapshot, and the updates after it.
#[derive(Clone)]
pub struct Subscriptions {
    snapshot: watch::Receiver<Arc<Encoded>>,
    updates: broadcast::Sender<Arc<Encoded>>,
}

pub fn channel() -> (Publisher, Subscriptions) {
    let empty = Arc::new(Encoded {
        version: 0,
        since: 0,
        line: Board::default().snapshot_line().into(),
    });
    let (snapshot_sender, snapshot) = watch::channel(empty);
    let (updates, _) = broadcast::channel(BACKLOG);
    (
        Publisher {
            snapshot: snapshot_sender,
            updates: updates.clone(),
            published: 0,
        },
        Subscriptions { snapshot, updates },
    )
}

impl Publisher {
    /// Publishes the board if it changed since the last time: its update line once for every
    /// stream, and its snapshot for streams to come.
    pub fn publish(&mut self, board: &Board) {
        let version = board.version();
        if version == self.published && version != 0 {
            return;
        }
        if let Some(line) = board.update_line(self.published) {
            // No stream listening is fine.
            let _ = self.updates.send(Arc::new(Encoded {
                version,
                since: self.published,
                line: line.into(),
            }));
        }
        self.snapshot.send_replace(Arc::new(Encoded {
            version,
            since: 0,
            line: board.snapshot_line().into(),
        }));
        self.published = version;
    }

    /// Whether any stream may still listen (the server has not stopped).
    pub fn is_closed(&self) -> bool {
        self.snapshot.is_closed()
    }
}

impl Subscriptions {
    /// A new stream's start: the updates from now on, and the latest snapshot (taken after
    /// subscribing, so no update falls between the two).
    pub fn subscribe(&self) -> (broadcast::Receiver<Arc<Encoded>>, Arc<Encoded>) {
        let updates = self.updates.subscribe();
        let snapshot = self.snapshot.borrow().clone();
        (updates, snapshot)
    }

    /// The latest snapshot (for a stream that fell behind).
    pub fn snapshot(&self) -> Arc<Encoded> {
        self.snapshot.borrow().clone()
    }

    /// Waits for the first snapshot with something in it (a process that has just started has
    /// not read the table yet), at most `wait`.
    pub async fn first_read(&self, wait: std::time::Duration) {
        let mut snapshot = self.snapshot.clone();
        let _ = tokio::time::timeout(wait, snapshot.wait_for(|s| s.version > 0)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::LiveObject;

    fn object(id: &str, at: f64) -> LiveObject {
        LiveObject {
            id: id.into(),
            name: id.into(),
            lng: at,
            lat: 0.0,
            heading: 0.0,
            speed: 0.0,
            at,
        }
    }

    #[tokio::test]
    async fn every_stream_gets_the_same_bytes_and_a_late_one_a_snapshot() {
        let (mut publisher, subscriptions) = channel();
        let mut board = Board::default();
        board.apply([object("a", 1.0)]);
        publisher.publish(&board);
        let (mut first, snapshot) = subscriptions.subscribe();
        let (mut second, _) = subscriptions.subscribe();
        assert_eq!(snapshot.version, 1);
        board.apply([object("a", 2.0)]);
        publisher.publish(&board);
        let (one, two) = (first.recv().await.unwrap(), second.recv().await.unwrap());
        assert!(Arc::ptr_eq(&one, &two), "encoded once, shared");
        assert_eq!((one.since, one.version), (1, 2));
        assert!(one.line.contains("\"lng\":2"));
        // A stream that stops reading falls behind: it is told so, and catches up by snapshot.
        for at in 3..(3 + BACKLOG as u32 + 2) {
            board.apply([object("a", f64::from(at))]);
            publisher.publish(&board);
        }
        assert!(matches!(
            first.recv().await,
            Err(broadcast::error::RecvError::Lagged(_))
        ));
        assert_eq!(subscriptions.snapshot().version, board.version());
        // Publishing an unchanged board sends nothing.
        let before = second.len();
        publisher.publish(&board);
        assert_eq!(second.len(), before);
    }
}
