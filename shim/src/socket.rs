//! One relay WebSocket: a reader that parses requests, and one writer task fed by a bounded
//! channel (matchbox's shape). The socket only moves bytes; `relay.rs` decides.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt as _, StreamExt as _};
use sotto_shared::wire::relay::{ClientMsg, ErrorCode, ServerMsg};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::rate::TokenBucket;
use crate::relay::{Conn, Relay};

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Close codes (RFC 6455 §7.4.1).
const GOING_AWAY: u16 = 1001;
const POLICY: u16 = 1008;
const TOO_BIG: u16 = 1009;

/// How long a closing connection may take to flush what is queued.
const WRITER_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// What the writer sends.
enum Outgoing {
    Close(u16, &'static str),
}

#[tracing::instrument(skip_all, fields(conn))]
pub(crate) async fn run(socket: WebSocket, state: AppState) {
    let id = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    tracing::Span::current().record("conn", id);
    let metrics = Arc::clone(&state.metrics);
    metrics.connections.fetch_add(1, Ordering::Relaxed);

    let (outbox, mut replies) =
        mpsc::channel::<ServerMsg>((state.config.max_socket_bytes / 2048).max(1));
    let (control, mut controls) = mpsc::channel::<Outgoing>(1);
    let conn = Arc::new(Conn::new(id, outbox));
    let (mut sink, mut stream) = socket.split();

    let kill = conn.kill.clone();
    let shutdown = state.shutdown.clone();
    let writer = tokio::spawn(async move {
        let close = loop {
            tokio::select! {
                biased;
                Some(Outgoing::Close(code, why)) = controls.recv() => break Some((code, why)),
                () = shutdown.cancelled() => break Some((GOING_AWAY, "shim shutting down")),
                () = kill.cancelled() => break Some((POLICY, "not reading fast enough")),
                msg = replies.recv() => match msg {
                    Some(msg) => {
                        // Feed everything already queued, then flush once: one write for a
                        // burst instead of one per message.
                        let mut next = Some(msg);
                        let mut failed = false;
                        while let Some(msg) = next {
                            let text = serde_json::to_string(&msg).expect("server messages serialize");
                            if sink.feed(Message::Text(text.into())).await.is_err() {
                                failed = true;
                                break;
                            }
                            next = replies.try_recv().ok();
                        }
                        if failed || sink.flush().await.is_err() {
                            break None;
                        }
                    }
                    None => break None,
                },
            }
        };
        if let Some((code, reason)) = close {
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })))
                .await;
        }
        let _ = sink.close().await;
    });

    read_loop(&state, &conn, &mut stream, &control).await;
    state.relay.disconnect(&conn).await;
    // Dropping the last handle closes the outbox: the writer sends what is queued and ends.
    drop(conn);
    drop(control);
    let mut writer = writer;
    if tokio::time::timeout(WRITER_DRAIN, &mut writer)
        .await
        .is_err()
    {
        tracing::debug!("writer did not finish; dropping the connection");
        writer.abort();
    }
    metrics.connections.fetch_sub(1, Ordering::Relaxed);
}

async fn read_loop(
    state: &AppState,
    conn: &Arc<Conn>,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    control: &mpsc::Sender<Outgoing>,
) {
    let relay: &Relay = &state.relay;
    let mut bucket = TokenBucket::new(
        state.config.rate_limit_per_sec,
        state.config.rate_limit_burst,
    );
    let stop: CancellationToken = conn.kill.clone();
    loop {
        let frame = tokio::select! {
            () = stop.cancelled() => return,
            () = state.shutdown.cancelled() => return,
            frame = stream.next() => frame,
        };
        let text = match frame {
            None | Some(Ok(Message::Close(_))) => return,
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                conn.push(
                    relay.error(
                        None,
                        ErrorCode::BadRequest,
                        "binary frames are not part of the protocol; send JSON text",
                    ),
                    &state.metrics,
                );
                continue;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Err(e)) => {
                // tungstenite reports an oversized message as a capacity error; answer it
                // with the close code the RFC has for it.
                let text = e.to_string();
                if text.contains("Space limit exceeded")
                    || text.contains("too long")
                    || text.contains("too big")
                {
                    let _ = control
                        .send(Outgoing::Close(TOO_BIG, "message too big"))
                        .await;
                }
                tracing::debug!(error = %text, "read failed");
                return;
            }
        };
        let started = Instant::now();
        if !bucket.take() {
            conn.push(
                relay.error(
                    request_id(&text),
                    ErrorCode::RateLimited,
                    "too many requests; slow down",
                ),
                &state.metrics,
            );
            continue;
        }
        let reply = match serde_json::from_str::<ClientMsg>(&text) {
            Ok(msg) => relay.handle(conn, msg).await,
            Err(e) => Some(relay.error(
                request_id(&text),
                ErrorCode::BadRequest,
                &format!("not a valid request: {e}"),
            )),
        };
        if let Some(reply) = reply {
            conn.push(reply, &state.metrics);
        }
        state.metrics.observe(started.elapsed());
    }
}

/// The `id` of a request that could not be served, so its error can still be matched to it.
fn request_id(text: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("id")?.as_u64())
}
