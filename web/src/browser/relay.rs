//! One WebSocket to a relay, as a pure transport: it opens, reconnects with backoff and
//! jitter, and reports [`RelayEvent`]s; it knows no request, reply or subscription (the client
//! core does). gloo-net's socket is a `Stream` + `Sink`, driven by one `select!` loop per
//! connection (as matchbox's wasm signalling loop does).

use std::cell::Cell;
use std::rc::Rc;

use futures_channel::mpsc;
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _, select};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State};
use sotto_client::RelayEvent;
use sotto_shared::wire::relay::{ClientMsg, SUBPROTOCOL, ServerMsg};

const MIN_BACKOFF_MS: u32 = 500;
const MAX_BACKOFF_MS: u32 = 10_000;

/// A reconnecting connection to one relay. Dropping it ends the loop and closes the socket.
pub struct RelaySocket {
    outgoing: mpsc::UnboundedSender<String>,
    open: Rc<Cell<bool>>,
}

impl std::fmt::Debug for RelaySocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelaySocket")
            .field("open", &self.open.get())
            .finish_non_exhaustive()
    }
}

impl RelaySocket {
    /// Connects to `ws_url` (e.g. `ws://host/ws`) and keeps connecting; `on_event` hears every
    /// open, close and frame.
    pub fn open(ws_url: String, on_event: impl Fn(RelayEvent) + 'static) -> Self {
        let (outgoing, rx) = mpsc::unbounded();
        let open = Rc::new(Cell::new(false));
        wasm_bindgen_futures::spawn_local(run(ws_url, rx, Rc::clone(&open), on_event));
        Self { outgoing, open }
    }

    /// Sends `msg` if the socket is open; otherwise drops it (the core re-sends what matters
    /// after the next `Connected`).
    pub fn send(&self, msg: &ClientMsg) {
        if self.open.get() {
            trace_out(msg);
            let text = serde_json::to_string(msg).expect("plain data");
            let _ = self.outgoing.unbounded_send(text);
        }
    }
}

/// The connection loop: connect, pump frames both ways until the socket closes, wait, repeat.
/// Ends when the [`RelaySocket`] is dropped.
async fn run(
    url: String,
    mut outgoing: mpsc::UnboundedReceiver<String>,
    open: Rc<Cell<bool>>,
    on_event: impl Fn(RelayEvent),
) {
    let mut backoff = MIN_BACKOFF_MS;
    loop {
        if let Ok(mut ws) = WebSocket::open_with_protocol(&url, SUBPROTOCOL) {
            // `poll_ready` resolves once the socket left CONNECTING (opened or failed).
            let _ = futures_util::future::poll_fn(|cx| ws.poll_ready_unpin(cx)).await;
            if matches!(ws.state(), State::Open) {
                backoff = MIN_BACKOFF_MS;
                // Frames queued while closed are stale: the core re-sends after Connected.
                while outgoing.try_recv().is_ok() {}
                open.set(true);
                on_event(RelayEvent::Connected);
                let stopped = pump(&mut ws, &mut outgoing, &on_event).await;
                open.set(false);
                on_event(RelayEvent::Disconnected);
                if stopped {
                    return;
                }
            }
        }
        // Jitter so many clients do not reconnect in lockstep after a relay restart.
        let wait = backoff / 2 + (js_sys::Math::random() * f64::from(backoff / 2)) as u32;
        backoff = (backoff * 2).min(MAX_BACKOFF_MS);
        let mut sleep = gloo_timers::future::TimeoutFuture::new(wait).fuse();
        loop {
            select! {
                () = sleep => break,
                msg = outgoing.next() => if msg.is_none() { return },
            }
        }
    }
}

/// Moves frames until the socket closes (`false`) or the handle is dropped (`true`).
async fn pump(
    ws: &mut WebSocket,
    outgoing: &mut mpsc::UnboundedReceiver<String>,
    on_event: &impl Fn(RelayEvent),
) -> bool {
    loop {
        select! {
            frame = ws.next().fuse() => match frame {
                Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerMsg>(&text) {
                    Ok(msg) => {
                        trace_in(&msg);
                        on_event(RelayEvent::Received(msg));
                    }
                    Err(e) => web_sys::console::warn_1(
                        &format!("relay sent something unreadable: {e}").into(),
                    ),
                },
                Some(Ok(Message::Bytes(_))) => {}
                Some(Err(e)) => {
                    web_sys::console::info_1(&format!("relay connection closed: {e}").into());
                    return false;
                }
                None => return false,
            },
            msg = outgoing.next() => match msg {
                Some(text) => {
                    if ws.send(Message::Text(text)).await.is_err() {
                        return false;
                    }
                }
                None => return true,
            },
        }
    }
}

/// Stores and deliveries in the page's timestamped log (`sottoLog`), so a test or the browser
/// bench can tell where a call's set-up time went: our send, the shim's stored time, the
/// peer's delivery. Sizes and request ids only (payloads are sealed anyway); pings are left
/// out so they do not push the rest out of the bounded log.
fn trace_out(msg: &ClientMsg) {
    if let ClientMsg::Send { id, payload, .. } = msg {
        crate::browser::dom::log(&format!("relay send #{id} {} B", payload.0.len()));
    }
}

fn trace_in(msg: &ServerMsg) {
    match msg {
        ServerMsg::Message { ts, payload, .. } => crate::browser::dom::log(&format!(
            "relay message {} B stored at {ts}",
            payload.0.len()
        )),
        ServerMsg::Ok { id } => crate::browser::dom::log(&format!("relay ok #{id}")),
        _ => {}
    }
}
