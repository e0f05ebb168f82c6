//! One WebSocket to a shim, speaking the relay protocol (DESIGN §1). Requests get futures that
//! resolve with their reply; pushes go to a callback. The socket reconnects with backoff and
//! re-subscribes every queue it was subscribed to.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use sotto_shared::wire::relay::{ClientMsg, RcvId, ReqId, SUBPROTOCOL, ServerMsg};
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// Connection state, for the status badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Opening the socket.
    Connecting,
    /// Open.
    Online,
    /// Closed; retrying in this many milliseconds.
    Offline(u32),
}

/// Why a request got no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayError {
    /// The socket closed before the reply came.
    Disconnected,
}

type PushHandler = Rc<dyn Fn(ServerMsg)>;
type StatusHandler = Rc<dyn Fn(Status)>;

struct Inner {
    url: String,
    ws: Option<WebSocket>,
    open: bool,
    next_id: ReqId,
    waiting: HashMap<ReqId, oneshot::Sender<ServerMsg>>,
    /// Requests made while the socket was not open yet.
    unsent: Vec<String>,
    subscriptions: Vec<RcvId>,
    backoff_ms: u32,
    on_push: PushHandler,
    on_status: StatusHandler,
    _closures: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// A reconnecting relay connection. Cheap to clone.
#[derive(Clone)]
pub struct RelayClient(Rc<RefCell<Inner>>);

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelayClient")
    }
}

const MIN_BACKOFF_MS: u32 = 500;
const MAX_BACKOFF_MS: u32 = 10_000;

impl RelayClient {
    /// Connects to `ws_url` (e.g. `ws://host/ws`).
    pub fn connect(
        ws_url: String,
        on_push: impl Fn(ServerMsg) + 'static,
        on_status: impl Fn(Status) + 'static,
    ) -> Self {
        let client = Self(Rc::new(RefCell::new(Inner {
            url: ws_url,
            ws: None,
            open: false,
            next_id: 0,
            waiting: HashMap::new(),
            unsent: Vec::new(),
            subscriptions: Vec::new(),
            backoff_ms: MIN_BACKOFF_MS,
            on_push: Rc::new(on_push),
            on_status: Rc::new(on_status),
            _closures: Vec::new(),
        })));
        client.open_socket();
        client
    }

    fn open_socket(&self) {
        let url = self.0.borrow().url.clone();
        let on_status = Rc::clone(&self.0.borrow().on_status);
        on_status(Status::Connecting);
        let ws = match WebSocket::new_with_str(&url, SUBPROTOCOL) {
            Ok(ws) => ws,
            Err(_) => return self.schedule_reconnect(),
        };
        let weak = Rc::downgrade(&self.0);
        let on_open = Closure::<dyn FnMut(JsValue)>::new({
            let weak = weak.clone();
            move |_| {
                if let Some(inner) = weak.upgrade() {
                    RelayClient(inner).opened();
                }
            }
        });
        let on_message = Closure::<dyn FnMut(JsValue)>::new({
            let weak = weak.clone();
            move |event: JsValue| {
                let Some(inner) = weak.upgrade() else { return };
                let Some(text) = event.unchecked_into::<MessageEvent>().data().as_string() else {
                    return;
                };
                match serde_json::from_str::<ServerMsg>(&text) {
                    Ok(msg) => RelayClient(inner).received(msg),
                    Err(e) => web_sys::console::warn_1(
                        &format!("relay sent something unreadable: {e}").into(),
                    ),
                }
            }
        });
        let on_close = Closure::<dyn FnMut(JsValue)>::new({
            let weak = weak.clone();
            move |event: JsValue| {
                let code = event.dyn_ref::<CloseEvent>().map(CloseEvent::code);
                if let Some(inner) = weak.upgrade() {
                    RelayClient(inner).closed(code);
                }
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.0.borrow_mut();
        inner.ws = Some(ws);
        inner._closures = vec![on_open, on_message, on_close];
    }

    fn opened(&self) {
        let (ws, unsent, subscriptions, on_status) = {
            let mut inner = self.0.borrow_mut();
            inner.open = true;
            inner.backoff_ms = MIN_BACKOFF_MS;
            (
                inner.ws.clone(),
                std::mem::take(&mut inner.unsent),
                inner.subscriptions.clone(),
                Rc::clone(&inner.on_status),
            )
        };
        on_status(Status::Online);
        let Some(ws) = ws else { return };
        // Re-subscribe first: the shim redelivers everything unacknowledged.
        for rcv_id in subscriptions {
            let id = self.take_id();
            let _ = ws.send_with_str(
                &serde_json::to_string(&ClientMsg::Subscribe { id, rcv_id }).expect("plain data"),
            );
        }
        for text in unsent {
            let _ = ws.send_with_str(&text);
        }
    }

    fn received(&self, msg: ServerMsg) {
        let reply_to = match &msg {
            ServerMsg::QueueCreated { id, .. }
            | ServerMsg::Ok { id }
            | ServerMsg::IceServers { id, .. }
            | ServerMsg::Pong { id } => Some(*id),
            ServerMsg::Error { id, .. } => *id,
            ServerMsg::Message { .. } | ServerMsg::SubscriptionEnded { .. } => None,
        };
        if let Some(id) = reply_to {
            let waiter = self.0.borrow_mut().waiting.remove(&id);
            if let Some(waiter) = waiter {
                let _ = waiter.send(msg);
            } else if let ServerMsg::Error { message, .. } = &msg {
                web_sys::console::warn_1(&format!("relay: {message}").into());
            }
            return;
        }
        let on_push = Rc::clone(&self.0.borrow().on_push);
        on_push(msg);
    }

    fn closed(&self, code: Option<u16>) {
        {
            let mut inner = self.0.borrow_mut();
            inner.open = false;
            inner.ws = None;
            // Pending replies will never come; their futures resolve as disconnected.
            inner.waiting.clear();
        }
        if code == Some(1008) {
            web_sys::console::warn_1(&"the relay disconnected us for reading too slowly".into());
        }
        self.schedule_reconnect();
    }

    fn schedule_reconnect(&self) {
        let (delay, on_status) = {
            let mut inner = self.0.borrow_mut();
            let delay = inner.backoff_ms;
            inner.backoff_ms = (inner.backoff_ms * 2).min(MAX_BACKOFF_MS);
            (delay, Rc::clone(&inner.on_status))
        };
        // Jitter so many clients do not reconnect in lockstep after a shim restart.
        let jittered = delay / 2 + (js_sys::Math::random() * f64::from(delay / 2)) as u32;
        on_status(Status::Offline(jittered));
        let weak: Weak<RefCell<Inner>> = Rc::downgrade(&self.0);
        gloo_timers::callback::Timeout::new(jittered, move || {
            if let Some(inner) = weak.upgrade() {
                RelayClient(inner).open_socket();
            }
        })
        .forget();
    }

    fn take_id(&self) -> ReqId {
        let mut inner = self.0.borrow_mut();
        inner.next_id += 1;
        inner.next_id
    }

    /// Sends a request and waits for its reply.
    ///
    /// # Errors
    /// [`RelayError::Disconnected`] when the socket closed first.
    pub async fn request(
        &self,
        make: impl FnOnce(ReqId) -> ClientMsg,
    ) -> Result<ServerMsg, RelayError> {
        let id = self.take_id();
        let msg = make(id);
        if let ClientMsg::Subscribe { rcv_id, .. } = &msg {
            let mut inner = self.0.borrow_mut();
            if !inner.subscriptions.contains(rcv_id) {
                inner.subscriptions.push(*rcv_id);
            }
        }
        let text = serde_json::to_string(&msg).expect("plain data");
        let (tx, rx) = oneshot::channel();
        {
            let mut inner = self.0.borrow_mut();
            inner.waiting.insert(id, tx);
            match (&inner.ws, inner.open) {
                (Some(ws), true) => {
                    let _ = ws.send_with_str(&text);
                }
                _ => inner.unsent.push(text),
            }
        }
        rx.await.map_err(|_| RelayError::Disconnected)
    }

    /// Stops re-subscribing a queue (after deleting it).
    pub fn forget_subscription(&self, rcv_id: &RcvId) {
        self.0.borrow_mut().subscriptions.retain(|r| r != rcv_id);
    }
}
