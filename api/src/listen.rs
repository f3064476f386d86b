//! The accept loop: hyper (HTTP/1.1) over each connection, with what `axum::serve` does not give:
//! a bound on how long a request's head may take to arrive (a slow or idle client does not hold a
//! connection open for nothing), and on a write that makes no progress, so a client that stops
//! reading a live stream is dropped (its connection closed) after [`WRITE_STALL`] instead of
//! holding its place forever. Each request knows its peer's address (`ConnectInfo`); stopping
//! finishes the requests in flight.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower::ServiceExt;

use crate::server::log_event;

/// How long a request's head (request line and headers) may take to arrive.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a write may make no progress before the connection is dropped: the client stopped
/// reading (a live stream's client that went away without closing, or a slow reader).
pub const WRITE_STALL: Duration = Duration::from_secs(20);

/// The send buffer of each connection: 1.6 MB/s at 150 ms of round trip, more than a live
/// stream needs (about 120 KB a second for 1000 moving objects).
const SEND_BUFFER: usize = 256 * 1024;

/// How long stopping waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves, then finishes what is in flight.
/// `stall`: how long a write may make no progress ([`WRITE_STALL`] unless a test wants less).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    stall: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        // Out of file descriptors and the like: pause rather than spin.
                        log_event("warn", &format!("accept failed: {error}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                // A fixed send buffer: the kernel holds at most this much for a client that has
                // stopped reading (its writes then stall and it is dropped after `stall`), instead
                // of growing the buffer to megabytes first.
                let _ = socket2::SockRef::from(&tcp).set_send_buffer_size(SEND_BUFFER);
                let router = router.clone();
                let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                    router.clone().oneshot(request.map(axum::body::Body::new))
                });
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder.timer(TokioTimer::new()).header_read_timeout(HEAD_TIMEOUT);
                let connection = builder.serve_connection(TokioIo::new(Stalls::new(tcp, stall)), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        log_event(
            "warn",
            "requests still running after the drain: stopping anyway",
        );
    }
    Ok(())
}

/// A connection whose writes fail once they have made no progress for `limit`.
pub struct Stalls<T> {
    inner: T,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> Stalls<T> {
    pub fn new(inner: T, limit: Duration) -> Self {
        Stalls {
            inner,
            limit,
            stalled: None,
        }
    }

    /// A write that returned `poll`: a pending one starts (or continues) the stall clock, which
    /// fails the write when it runs out; any progress stops it.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<std::io::Result<R>>,
    ) -> Poll<std::io::Result<R>> {
        match poll {
            Poll::Pending => {
                let limit = self.limit;
                let clock = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if clock.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client stopped reading",
                    )));
                }
                Poll::Pending
            }
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Stalls<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Stalls<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A client that never reads: the server's writes stop making progress, and fail once the
    /// stall limit has passed (with the clock paused, at once).
    #[tokio::test(start_paused = true)]
    async fn a_write_that_makes_no_progress_fails_after_the_limit() {
        let (client, server) = tokio::io::duplex(1024);
        let mut server = Stalls::new(server, Duration::from_secs(20));
        let chunk = vec![b'x'; 512];
        // The pipe takes 1024 bytes; then writes wait for a reader that never comes.
        server.write_all(&chunk).await.unwrap();
        server.write_all(&chunk).await.unwrap();
        let started = tokio::time::Instant::now();
        let error = server.write_all(&chunk).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(20));
        drop(client);
    }

    /// A slow reader that keeps reading is not dropped, however long it takes in all.
    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_reading_is_served() {
        use tokio::io::AsyncReadExt;
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = Stalls::new(server, Duration::from_secs(20));
        let reader = tokio::spawn(async move {
            let mut total = 0;
            let mut buf = [0u8; 16];
            while let Ok(n) = client.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                total += n;
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            total
        });
        server.write_all(&[b'y'; 256]).await.unwrap();
        drop(server);
        assert_eq!(reader.await.unwrap(), 256);
    }
}
