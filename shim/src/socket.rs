//! One relay WebSocket: a reader that parses requests, and one writer task fed by an outbox
//! bounded in bytes (matchbox's shape). The socket only moves bytes; `relay.rs` decides.
//!
//! Deadlines: every write must finish within `--write-timeout-ms`; the writer pings every
//! `--ping-interval-ms` and closes the socket when no pong arrives within `--pong-timeout-ms`.
//! So a client that does not read is cut off within seconds, whether or not it is sent anything.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use sotto_shared::wire::relay::{ClientMsg, ErrorCode};
use tokio::sync::mpsc;

use crate::AppState;
use crate::conn::{Conn, Outbox, OutboxReader};
use crate::metrics::Metrics;
use crate::rate::FrameLimiter;
use crate::relay::Relay;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Close codes (RFC 6455 §7.4.1).
const GOING_AWAY: u16 = 1001;
const POLICY: u16 = 1008;
const TOO_BIG: u16 = 1009;

/// Frames written in one batch before the writer looks at its deadlines again.
const BATCH: usize = 64;

/// How long a closing connection may take to flush what is queued.
const WRITER_DRAIN: Duration = Duration::from_secs(5);

/// What the reader asks the writer to send.
enum Control {
    Close(u16, &'static str),
}

/// The socket's deadlines.
#[derive(Debug, Clone, Copy)]
struct Deadlines {
    write: Duration,
    ping_every: Duration,
    pong_within: Duration,
}

#[tracing::instrument(skip_all, fields(conn))]
pub(crate) async fn run(socket: WebSocket, ip: IpAddr, state: AppState) {
    let id = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    tracing::Span::current().record("conn", id);
    let metrics = Arc::clone(&state.metrics);
    metrics.connections.fetch_add(1, Ordering::Relaxed);

    let (outbox, frames) = Outbox::new(state.config.max_socket_bytes);
    let (control, controls) = mpsc::channel::<Control>(1);
    let conn = Arc::new(Conn::new(
        id,
        ip,
        outbox,
        state.config.queues_per_connection_per_hour,
    ));
    let (sink, mut stream) = socket.split();
    let pongs = Arc::new(AtomicU64::new(0));
    let deadlines = Deadlines {
        write: Duration::from_millis(state.config.write_timeout_ms),
        ping_every: Duration::from_millis(state.config.ping_interval_ms),
        pong_within: Duration::from_millis(state.config.pong_timeout_ms),
    };

    let mut writer = tokio::spawn(write_loop(
        sink,
        frames,
        controls,
        Arc::clone(&conn),
        state.clone(),
        Arc::clone(&pongs),
        deadlines,
    ));

    read_loop(&state, &conn, &mut stream, &control, &pongs).await;
    state.relay.disconnect(&conn).await;
    // The writer sends what is queued and a Close, then ends.
    conn.kill.cancel();
    drop(conn);
    drop(control);
    if tokio::time::timeout(WRITER_DRAIN, &mut writer)
        .await
        .is_err()
    {
        tracing::debug!("writer did not finish; dropping the connection");
        writer.abort();
    }
    metrics.connections.fetch_sub(1, Ordering::Relaxed);
}

/// Writes frames, pings, and finally a Close; every write within the write deadline.
async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut frames: OutboxReader,
    mut controls: mpsc::Receiver<Control>,
    conn: Arc<Conn>,
    state: AppState,
    pongs: Arc<AtomicU64>,
    deadlines: Deadlines,
) {
    let metrics: &Metrics = &state.metrics;
    let start = tokio::time::Instant::now();
    let mut ping = tokio::time::interval_at(start + deadlines.ping_every, deadlines.ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The pong count when the outstanding ping was sent, and its deadline. The futures below
    // are made once per socket: a fresh `cancelled()` or `sleep` per loop turn would register
    // with the shared shutdown token and the timer on every frame.
    let mut pong_due: Option<u64> = None;
    let pong_deadline = tokio::time::sleep_until(start);
    let shutdown = state.shutdown.cancelled();
    let kill = conn.kill.clone();
    let killed = kill.cancelled();
    tokio::pin!(pong_deadline, shutdown, killed);
    let close = loop {
        tokio::select! {
            biased;
            Some(Control::Close(code, why)) = controls.recv() => break Some((code, why)),
            () = &mut shutdown => break Some((GOING_AWAY, "shim shutting down")),
            () = &mut pong_deadline, if pong_due.is_some() => {
                let seen = pong_due.take().expect("set while awaited");
                if pongs.load(Ordering::Relaxed) == seen {
                    conn.too_slow(metrics, "no pong");
                    break Some((POLICY, "no pong"));
                }
            }
            _ = ping.tick() => {
                if pong_due.is_none() {
                    pong_due = Some(pongs.load(Ordering::Relaxed));
                    pong_deadline.as_mut().reset(tokio::time::Instant::now() + deadlines.pong_within);
                }
                let sent = within(deadlines.write, sink.send(Message::Ping(Default::default()))).await;
                match sent {
                    Some(Ok(())) => {}
                    Some(Err(_)) => break None,
                    None => {
                        conn.too_slow(metrics, "write timed out");
                        break None;
                    }
                }
            }
            frame = frames.recv() => match frame {
                Some(text) => match within(deadlines.write, write_batch(&mut sink, &mut frames, text)).await {
                    Some(Ok(())) => {}
                    Some(Err(())) => break None,
                    None => {
                        conn.too_slow(metrics, "write timed out");
                        break None;
                    }
                },
                None => break None,
            },
            () = &mut killed => break Some((POLICY, "not reading fast enough")),
        }
    };
    drop(conn);
    // Whatever is still queued for a closing (not killed) socket is flushed first.
    let finish = async {
        if let Some((code, reason)) = close {
            while let Some(text) = frames.try_recv() {
                if sink.feed(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })))
                .await;
        }
        let _ = sink.close().await;
    };
    let _ = tokio::time::timeout(deadlines.write, finish).await;
}

/// Runs `write` to completion within `deadline`; `None` if it did not finish in time. The timer
/// is armed only if the write cannot finish at once, which on a reading client it almost
/// always can.
async fn within<T>(deadline: Duration, write: impl Future<Output = T>) -> Option<T> {
    let mut write = std::pin::pin!(write);
    if let Some(done) = write.as_mut().now_or_never() {
        return Some(done);
    }
    tokio::time::timeout(deadline, write).await.ok()
}

/// Feeds `first` and whatever else is queued (up to [`BATCH`]), then flushes once: one write
/// for a burst instead of one per message.
async fn write_batch(
    sink: &mut SplitSink<WebSocket, Message>,
    frames: &mut OutboxReader,
    first: String,
) -> Result<(), ()> {
    let mut next = Some(first);
    let mut fed = 0;
    while let Some(text) = next {
        frames.written(&text);
        sink.feed(Message::Text(text.into()))
            .await
            .map_err(|_| ())?;
        fed += 1;
        next = if fed < BATCH { frames.try_recv() } else { None };
    }
    sink.flush().await.map_err(|_| ())
}

async fn read_loop(
    state: &AppState,
    conn: &Arc<Conn>,
    stream: &mut SplitStream<WebSocket>,
    control: &mpsc::Sender<Control>,
    pongs: &AtomicU64,
) {
    let relay: &Relay = &state.relay;
    let mut limiter = FrameLimiter::new(
        state.config.rate_limit_per_sec,
        state.config.rate_limit_burst,
    );
    let shutdown = state.shutdown.cancelled();
    let killed = conn.kill.cancelled();
    tokio::pin!(shutdown, killed);
    loop {
        let frame = tokio::select! {
            () = &mut killed => return,
            () = &mut shutdown => return,
            frame = stream.next() => frame,
        };
        let frame = match frame {
            None | Some(Ok(Message::Close(_))) => return,
            Some(Ok(frame)) => frame,
            Some(Err(e)) => {
                // tungstenite reports an oversized message as a capacity error; answer it
                // with the close code the RFC has for it.
                let text = e.to_string();
                if text.contains("Space limit exceeded")
                    || text.contains("too long")
                    || text.contains("too big")
                {
                    let _ = control
                        .send(Control::Close(TOO_BIG, "message too big"))
                        .await;
                }
                tracing::debug!(error = %text, "read failed");
                return;
            }
        };
        if let Message::Pong(_) = frame {
            pongs.fetch_add(1, Ordering::Relaxed);
        }
        // Every frame counts, whatever its kind: control frames cost the shim work too.
        match limiter.take() {
            crate::rate::Verdict::Allowed => {}
            crate::rate::Verdict::Refused => {
                if let Message::Text(text) = &frame {
                    conn.push(
                        &relay.error(
                            request_id(text),
                            ErrorCode::RateLimited,
                            "too many requests; slow down",
                        ),
                        &state.metrics,
                    );
                }
                continue;
            }
            crate::rate::Verdict::Flooding => {
                state.metrics.error(ErrorCode::RateLimited);
                let _ = control
                    .send(Control::Close(POLICY, "too many frames"))
                    .await;
                return;
            }
        }
        let text = match frame {
            Message::Text(text) => text,
            Message::Binary(_) => {
                conn.push(
                    &relay.error(
                        None,
                        ErrorCode::BadRequest,
                        "binary frames are not part of the protocol; send JSON text",
                    ),
                    &state.metrics,
                );
                continue;
            }
            _ => continue,
        };
        let started = Instant::now();
        let reply = match serde_json::from_str::<ClientMsg>(&text) {
            Ok(msg) => relay.handle(conn, msg).await,
            Err(e) => Some(relay.error(
                request_id(&text),
                ErrorCode::BadRequest,
                &format!("not a valid request: {e}"),
            )),
        };
        if let Some(reply) = reply {
            conn.push(&reply, &state.metrics);
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
