//! The relay protocol's meaning (DESIGN §1), apart from sockets: requests in, replies and pushes
//! out through each connection's bounded outbox.
//!
//! Delivery invariant: for each subscription, messages are pushed in queue order, each at most
//! once; every message stored while a subscription exists reaches it. A send first commits,
//! then locks the queue's subscription slot and pushes; a subscription locks the slot before it
//! reads the backlog. Whichever comes second sees the other's work, and a gap in `seq` (two
//! sends racing) is filled from the store.
//!
//! Flow control: a subscription has at most `delivery_window` messages pushed and not yet
//! acknowledged, and a connection at most half its outbox bytes; the rest stays in the store
//! (`more`) until acks open the window. No push ever waits for a client, so no lock is held
//! across a wait on one: a client that does not read fills only its own outbox and is cut off.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand_core::Rng as _;
use sotto_shared::wire::relay::{
    ClientMsg, ErrorCode, MsgId, Payload, RcvId, ReqId, ServerMsg, SndId,
};
use tokio::sync::OwnedMutexGuard;

use crate::clock::Clock;
use crate::conn::Conn;
use crate::metrics::Metrics;
use crate::store::{QueueKey, Store, StoreError, StoredMsg};

/// Limits a relay enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest decoded payload.
    pub max_payload_bytes: usize,
    /// Pending messages per queue.
    pub max_pending: u32,
    /// Message lifetime.
    pub message_ttl_ms: u64,
    /// Messages in flight (pushed, unacknowledged) per subscription.
    pub delivery_window: u32,
    /// Queues one IP address may create per hour.
    pub queues_per_ip_per_hour: u32,
    /// A queue unused (no send, no subscribe) this long is deleted.
    pub queue_idle_ms: u64,
}

/// TURN settings.
#[derive(Debug, Clone, Default)]
pub struct Turn {
    /// URLs handed out.
    pub urls: Vec<String>,
    /// Shared secret with coturn.
    pub secret: Option<crate::turn::TurnSecret>,
    /// Credential lifetime in seconds.
    pub ttl_s: u64,
}

#[derive(Debug)]
struct Subscriber {
    conn: Arc<Conn>,
    rcv_id: RcvId,
    /// Highest seq pushed to this subscription.
    delivered: u64,
    /// The store may hold messages after `delivered` that were not pushed (window closed).
    more: bool,
    /// Pushed and not yet acknowledged: message id → frame bytes.
    in_flight: HashMap<MsgId, usize>,
}

impl Subscriber {
    fn new(conn: &Arc<Conn>, rcv_id: RcvId) -> Self {
        Self {
            conn: Arc::clone(conn),
            rcv_id,
            delivered: 0,
            more: true,
            in_flight: HashMap::new(),
        }
    }

    /// Ends the subscription on its connection: forgets it and returns its window bytes.
    fn end(self, queue: QueueKey) {
        self.conn
            .subscriptions
            .lock()
            .expect("not poisoned")
            .remove(&queue);
        self.conn
            .deferred
            .lock()
            .expect("not poisoned")
            .remove(&queue);
        self.conn.release(self.in_flight.values().sum());
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Subscriber>>>;

/// The relay: store, subscriptions, limits.
pub struct Relay {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    limits: Limits,
    turn: Turn,
    slots: Mutex<HashMap<QueueKey, Slot>>,
    /// Queue creations per IP address.
    creations_by_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Adds a sweep's count to its counter; a failure is logged and counts 0.
fn counted(
    result: Result<u64, StoreError>,
    counter: &std::sync::atomic::AtomicU64,
    what: &'static str,
) -> u64 {
    match result {
        Ok(n) => {
            counter.fetch_add(n, Relaxed);
            n
        }
        Err(e) => {
            tracing::warn!(error = %e, what, "sweep failed");
            0
        }
    }
}

/// Empties a connection's set of queues.
fn take_all(set: &Mutex<std::collections::HashSet<QueueKey>>) -> Vec<QueueKey> {
    set.lock().expect("not poisoned").drain().collect()
}

fn store_error(e: &StoreError) -> (ErrorCode, &'static str) {
    match e {
        StoreError::UnknownQueue => (ErrorCode::UnknownQueue, "no such queue"),
        StoreError::QueueFull => (
            ErrorCode::QueueFull,
            "the queue is full; the receiver must ack first",
        ),
        StoreError::StoreFull => (
            ErrorCode::QueueFull,
            "the shim's storage is full; try again later",
        ),
        StoreError::Internal(_) => (
            ErrorCode::Internal,
            "the shim could not store this; try again",
        ),
    }
}

impl Relay {
    /// A relay over `store`.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
        limits: Limits,
        turn: Turn,
    ) -> Self {
        Self {
            store,
            clock,
            metrics,
            turn,
            creations_by_ip: RateLimiter::keyed(Quota::per_hour(
                NonZeroU32::new(limits.queues_per_ip_per_hour).expect("validated: at least 1"),
            )),
            limits,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The error reply for `id`, counted.
    pub fn error(&self, id: Option<ReqId>, code: ErrorCode, message: &str) -> ServerMsg {
        self.metrics.error(code);
        ServerMsg::Error {
            id,
            code,
            message: message.to_owned(),
        }
    }

    /// Handles one request. Returns the reply, or `None` when it was already queued (a
    /// subscription's `ok` must precede its pushes).
    pub async fn handle(&self, conn: &Arc<Conn>, msg: ClientMsg) -> Option<ServerMsg> {
        let id = msg.id();
        let result = match msg {
            ClientMsg::CreateQueue { id } => self.create_queue(conn, id).await,
            ClientMsg::Subscribe { id, rcv_id } => return self.subscribe(conn, id, rcv_id).await,
            ClientMsg::Ack { id, rcv_id, msg_id } => self.ack(conn, id, &rcv_id, msg_id).await,
            ClientMsg::Send {
                id,
                snd_id,
                payload,
            } => self.send(id, snd_id, payload).await,
            ClientMsg::DeleteQueue { id, rcv_id } => self.delete_queue(conn, id, &rcv_id).await,
            ClientMsg::TurnCredentials { id } => Ok(self.turn_credentials(id)),
            ClientMsg::Ping { id } => Ok(ServerMsg::Pong { id }),
        };
        Some(result.unwrap_or_else(|e| {
            let (code, message) = store_error(&e);
            self.error(Some(id), code, message)
        }))
    }

    async fn create_queue(&self, conn: &Conn, id: ReqId) -> Result<ServerMsg, StoreError> {
        if !conn.may_create_queue() || self.creations_by_ip.check_key(&conn.ip).is_err() {
            return Ok(self.error(
                Some(id),
                ErrorCode::RateLimited,
                "too many new queues from here; try again later",
            ));
        }
        let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
        let rcv_id = RcvId::random(&mut rng);
        let snd_id = SndId::random(&mut rng);
        self.store
            .create_queue(QueueKey::of(&rcv_id), snd_id, self.clock.now_ms())
            .await?;
        Ok(ServerMsg::QueueCreated { id, rcv_id, snd_id })
    }

    async fn subscribe(&self, conn: &Arc<Conn>, id: ReqId, rcv_id: RcvId) -> Option<ServerMsg> {
        let queue = QueueKey::of(&rcv_id);
        match self.store.touch(queue, self.clock.now_ms()).await {
            Ok(true) => {}
            Ok(false) => {
                return Some(self.error(Some(id), ErrorCode::UnknownQueue, "no such queue"));
            }
            Err(e) => {
                let (code, message) = store_error(&e);
                return Some(self.error(Some(id), code, message));
            }
        }
        let mut slot = self.lock_slot(queue).await;
        if let Some(sub) = slot.as_mut().filter(|s| s.conn.id == conn.id) {
            // Subscribing again on the same socket: what is in flight stays in flight; only
            // what was never pushed follows.
            conn.push(&ServerMsg::Ok { id }, &self.metrics);
            sub.more = true;
            self.pump(queue, sub).await;
            return None;
        }
        if let Some(old) = slot.take() {
            let old_conn = Arc::clone(&old.conn);
            old.end(queue);
            old_conn.push(&ServerMsg::SubscriptionEnded { rcv_id }, &self.metrics);
        }
        conn.subscriptions
            .lock()
            .expect("not poisoned")
            .insert(queue);
        conn.push(&ServerMsg::Ok { id }, &self.metrics);
        let mut sub = Subscriber::new(conn, rcv_id);
        self.pump(queue, &mut sub).await;
        *slot = Some(sub);
        None
    }

    /// Pushes stored messages after `sub.delivered` while the window has room.
    async fn pump(&self, queue: QueueKey, sub: &mut Subscriber) {
        let window = self.limits.delivery_window as usize;
        while sub.more && sub.in_flight.len() < window && !sub.conn.kill.is_cancelled() {
            let room = window - sub.in_flight.len();
            let min_ts = self
                .clock
                .now_ms()
                .saturating_sub(self.limits.message_ttl_ms);
            let backlog = match self
                .store
                .backlog(queue, sub.delivered, min_ts, room as u32)
                .await
            {
                Ok(backlog) => backlog,
                Err(e) => {
                    tracing::warn!(error = %e, "backlog unavailable; the client gets it on resubscribe");
                    return;
                }
            };
            let complete = backlog.messages.len() < room;
            for msg in backlog.messages {
                if !self.deliver(queue, sub, msg) {
                    return;
                }
            }
            if complete {
                sub.more = false;
                sub.delivered = sub.delivered.max(backlog.head);
            }
        }
    }

    /// Pushes one message if the connection's window bytes allow; otherwise marks the
    /// subscription deferred until an ack on that connection frees bytes.
    fn deliver(&self, queue: QueueKey, sub: &mut Subscriber, msg: StoredMsg) -> bool {
        let push = ServerMsg::Message {
            rcv_id: sub.rcv_id,
            msg_id: msg.msg_id.clone(),
            ts: msg.ts,
            payload: Payload(msg.payload),
        };
        let text = serde_json::to_string(&push).expect("server messages serialize");
        let len = text.len();
        if !sub.conn.reserve(len) {
            sub.more = true;
            sub.conn
                .deferred
                .lock()
                .expect("not poisoned")
                .insert(queue);
            return false;
        }
        if !sub.conn.push_text(text, &self.metrics) {
            sub.conn.release(len);
            return false;
        }
        sub.delivered = sub.delivered.max(msg.seq);
        sub.in_flight.insert(msg.msg_id, len);
        self.metrics.delivered.fetch_add(1, Relaxed);
        true
    }

    /// Pumps every subscription of `conn` that waited for window bytes.
    async fn pump_deferred(&self, conn: &Arc<Conn>) {
        for queue in take_all(&conn.deferred) {
            let Some(slot) = self.existing_slot(queue) else {
                continue;
            };
            let mut guard = slot.lock().await;
            if let Some(sub) = guard.as_mut().filter(|s| s.conn.id == conn.id) {
                self.pump(queue, sub).await;
            }
        }
    }

    fn existing_slot(&self, queue: QueueKey) -> Option<Slot> {
        self.slots
            .lock()
            .expect("not poisoned")
            .get(&queue)
            .cloned()
    }

    async fn send(
        &self,
        id: ReqId,
        snd_id: SndId,
        payload: Payload,
    ) -> Result<ServerMsg, StoreError> {
        if payload.0.len() > self.limits.max_payload_bytes {
            let message = format!(
                "payload of {} bytes exceeds {}",
                payload.0.len(),
                self.limits.max_payload_bytes
            );
            return Ok(self.error(Some(id), ErrorCode::TooLarge, &message));
        }
        let mut raw = [0u8; 12];
        rand_core::UnwrapErr(getrandom::SysRng).fill_bytes(&mut raw);
        let msg_id = MsgId(sotto_shared::b64::encode(&raw));
        let pushed = self
            .store
            .push(
                snd_id,
                msg_id,
                self.clock.now_ms(),
                payload.0,
                self.limits.max_pending,
            )
            .await?;
        self.metrics.stored.fetch_add(1, Relaxed);
        if let Some(slot) = self.existing_slot(pushed.queue) {
            let mut guard = slot.lock().await;
            if let Some(sub) = guard.as_mut().filter(|s| pushed.msg.seq > s.delivered) {
                let window = self.limits.delivery_window as usize;
                if !sub.more && pushed.msg.seq == sub.delivered + 1 && sub.in_flight.len() < window
                {
                    self.deliver(pushed.queue, sub, pushed.msg);
                } else {
                    // A gap (sends racing) or a closed window: the store has it.
                    sub.more = true;
                    self.pump(pushed.queue, sub).await;
                }
            }
        }
        Ok(ServerMsg::Ok { id })
    }

    async fn ack(
        &self,
        conn: &Arc<Conn>,
        id: ReqId,
        rcv_id: &RcvId,
        msg_id: MsgId,
    ) -> Result<ServerMsg, StoreError> {
        let queue = QueueKey::of(rcv_id);
        let subscribed_here = conn
            .subscriptions
            .lock()
            .expect("not poisoned")
            .contains(&queue);
        if subscribed_here {
            if let Some(slot) = self.existing_slot(queue) {
                let mut guard = slot.lock().await;
                if let Some(sub) = guard.as_mut().filter(|s| s.conn.id == conn.id) {
                    if let Some(len) = sub.in_flight.remove(&msg_id) {
                        conn.release(len);
                    }
                    self.pump(queue, sub).await;
                }
            }
            self.pump_deferred(conn).await;
            // The queue exists (this socket holds its subscription), and an ack need not be
            // durable: if it is lost in a crash the message is delivered again and the receiver
            // drops it by id. So answer now and let the delete join the next store batch;
            // the subscriber's next request does not wait for an fsync.
            let (store, metrics) = (Arc::clone(&self.store), Arc::clone(&self.metrics));
            tokio::spawn(async move {
                if let Ok(true) = store.ack(queue, msg_id).await {
                    metrics.acked.fetch_add(1, Relaxed);
                }
            });
            return Ok(ServerMsg::Ok { id });
        }
        // Acking twice is fine: at-least-once delivery makes duplicates normal.
        if self.store.ack(queue, msg_id).await? {
            self.metrics.acked.fetch_add(1, Relaxed);
        }
        Ok(ServerMsg::Ok { id })
    }

    async fn delete_queue(
        &self,
        conn: &Arc<Conn>,
        id: ReqId,
        rcv_id: &RcvId,
    ) -> Result<ServerMsg, StoreError> {
        let queue = QueueKey::of(rcv_id);
        if !self.store.delete_queue(queue).await? {
            return Err(StoreError::UnknownQueue);
        }
        let mut slot = self.lock_slot(queue).await;
        if let Some(sub) = slot.take() {
            let sub_conn = Arc::clone(&sub.conn);
            sub.end(queue);
            if sub_conn.id != conn.id {
                sub_conn.push(
                    &ServerMsg::SubscriptionEnded { rcv_id: *rcv_id },
                    &self.metrics,
                );
            }
        }
        self.slots.lock().expect("not poisoned").remove(&queue);
        Ok(ServerMsg::Ok { id })
    }

    fn turn_credentials(&self, id: ReqId) -> ServerMsg {
        let Some(secret) = &self.turn.secret else {
            return ServerMsg::IceServers {
                id,
                servers: Vec::new(),
                ttl_s: 0,
            };
        };
        let servers = crate::turn::credentials(
            &self.turn.urls,
            secret,
            self.clock.now_ms() / 1000,
            self.turn.ttl_s,
        );
        ServerMsg::IceServers {
            id,
            servers,
            ttl_s: self.turn.ttl_s,
        }
    }

    /// Forgets a closed connection's subscriptions.
    pub async fn disconnect(&self, conn: &Arc<Conn>) {
        for queue in take_all(&conn.subscriptions) {
            let Some(slot) = self.existing_slot(queue) else {
                continue;
            };
            let mut guard = slot.lock().await;
            if guard.as_ref().is_some_and(|s| s.conn.id == conn.id) {
                *guard = None;
                let mut slots = self.slots.lock().expect("not poisoned");
                if slots.get(&queue).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                    slots.remove(&queue);
                }
            }
        }
    }

    /// Locks a queue's slot, creating it; retries if it was removed while waiting.
    async fn lock_slot(&self, queue: QueueKey) -> OwnedMutexGuard<Option<Subscriber>> {
        loop {
            let slot = Arc::clone(
                self.slots
                    .lock()
                    .expect("not poisoned")
                    .entry(queue)
                    .or_default(),
            );
            let guard = Arc::clone(&slot).lock_owned().await;
            if self
                .slots
                .lock()
                .expect("not poisoned")
                .get(&queue)
                .is_some_and(|s| Arc::ptr_eq(s, &slot))
            {
                return guard;
            }
        }
    }

    /// Deletes expired messages and idle queues; returns how many messages.
    pub async fn sweep(&self) -> u64 {
        self.creations_by_ip.retain_recent();
        let ago = |ms| self.clock.now_ms().saturating_sub(ms);
        let idle = self.store.expire_idle(ago(self.limits.queue_idle_ms)).await;
        counted(idle, &self.metrics.idle_queues_deleted, "idle queues");
        let expired = self.store.expire(ago(self.limits.message_ttl_ms)).await;
        counted(expired, &self.metrics.expired, "expired messages")
    }

    /// The store, for metrics and shutdown.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
