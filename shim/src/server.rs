//! The public listener: accepts TCP connections under caps (in total and per IP), serves
//! HTTP/1.1 with a header-read deadline, and tells handlers the client's IP (for per-IP
//! quotas; it is never logged).
//!
//! axum's `serve` has no header-read timeout, so this is its loop written out with hyper's
//! HTTP/1 builder, as axum's "serve-with-hyper" example does.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::Service as _;

/// What a refused connection is told before it is closed.
const REFUSAL: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// The client's address, for per-IP limits inside handlers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub(crate) IpAddr);

/// Open connections, in total and per IP.
#[derive(Debug)]
pub(crate) struct ConnectionCaps {
    total: usize,
    per_ip: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; dropping it frees its place. Held by the HTTP connection and, after
/// an upgrade, by its WebSocket.
#[derive(Debug)]
pub(crate) struct Admitted {
    caps: Arc<ConnectionCaps>,
    ip: IpAddr,
}

impl ConnectionCaps {
    pub(crate) fn new(total: usize, per_ip: usize) -> Arc<Self> {
        Arc::new(Self {
            total,
            per_ip,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// A place for a connection from `ip`, if both caps allow.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admitted> {
        let mut open = self.open.lock().expect("not poisoned");
        let (total, per_ip) = &mut *open;
        let from_ip = per_ip.entry(ip).or_default();
        if *total >= self.total || *from_ip >= self.per_ip {
            if *from_ip == 0 {
                per_ip.remove(&ip);
            }
            return None;
        }
        *from_ip += 1;
        *total += 1;
        Some(Admitted {
            caps: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.caps.open.lock().expect("not poisoned");
        let (total, per_ip) = &mut *open;
        *total -= 1;
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// Accepts until `stop` is cancelled.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    caps: Arc<ConnectionCaps>,
    header_read_timeout: Duration,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: pause instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(admitted) = caps.admit(peer.ip()) else {
            // Best effort, never waiting: a full socket just gets closed.
            let _ = tcp.try_write(REFUSAL);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(
            tcp,
            app.clone(),
            Arc::new(admitted),
            header_read_timeout,
            stop.clone(),
        ));
    }
}

async fn connection(
    tcp: TcpStream,
    app: Router,
    admitted: Arc<Admitted>,
    header_read_timeout: Duration,
    stop: CancellationToken,
) {
    let ip = ClientIp(admitted.ip);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ip);
        request.extensions_mut().insert(Arc::clone(&admitted));
        app.clone().call(request)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended");
            }
        }
        () = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
        }
    }
}
