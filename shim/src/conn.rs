//! One client connection as the relay sees it: an outbox bounded in bytes, the queues it
//! subscribes to, and the bytes it holds in delivery windows.

use std::collections::HashSet;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sotto_shared::wire::relay::ServerMsg;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::store::QueueKey;

/// Serialized frames for one socket's writer, and how many bytes of them are not yet written.
#[derive(Debug)]
pub struct Outbox {
    frames: mpsc::UnboundedSender<String>,
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
}

/// The writer's end of an [`Outbox`].
#[derive(Debug)]
pub struct OutboxReader {
    frames: mpsc::UnboundedReceiver<String>,
    queued: Arc<AtomicUsize>,
}

impl Outbox {
    /// An outbox that holds at most `max_bytes` of unwritten frames.
    #[must_use]
    pub fn new(max_bytes: usize) -> (Self, OutboxReader) {
        let (frames, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let reader = OutboxReader {
            frames: rx,
            queued: Arc::clone(&queued),
        };
        (
            Self {
                frames,
                queued,
                max_bytes,
            },
            reader,
        )
    }
}

impl OutboxReader {
    /// The next frame; `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<String> {
        self.frames.recv().await
    }

    /// A frame already waiting, if any.
    pub fn try_recv(&mut self) -> Option<String> {
        self.frames.try_recv().ok()
    }

    /// Marks a frame's bytes as handed to the socket.
    pub fn written(&self, frame: &str) {
        self.queued.fetch_sub(frame.len(), Relaxed);
    }
}

/// One client connection.
#[derive(Debug)]
pub struct Conn {
    pub(crate) id: u64,
    /// The client's address, for per-IP quotas (never logged).
    pub(crate) ip: IpAddr,
    /// Queue creations left this hour.
    creations: DefaultDirectRateLimiter,
    outbox: Outbox,
    /// Cancelled when the client must be disconnected (it stopped reading).
    pub kill: CancellationToken,
    pub(crate) subscriptions: Mutex<HashSet<QueueKey>>,
    /// Bytes of pushed messages not yet acknowledged, over all its subscriptions.
    unacked_bytes: AtomicUsize,
    /// Subscriptions whose delivery waits for `unacked_bytes` to fall.
    pub(crate) deferred: Mutex<HashSet<QueueKey>>,
}

impl Conn {
    /// A connection from `ip` whose frames go to `outbox`, which may create
    /// `queues_per_hour` queues an hour.
    #[must_use]
    pub fn new(id: u64, ip: IpAddr, outbox: Outbox, queues_per_hour: u32) -> Self {
        let per_hour = NonZeroU32::new(queues_per_hour).expect("validated: at least 1");
        Self {
            id,
            ip,
            creations: RateLimiter::direct(Quota::per_hour(per_hour)),
            outbox,
            kill: CancellationToken::new(),
            subscriptions: Mutex::new(HashSet::new()),
            unacked_bytes: AtomicUsize::new(0),
            deferred: Mutex::new(HashSet::new()),
        }
    }

    /// Takes one of this hour's queue creations, if any is left.
    pub(crate) fn may_create_queue(&self) -> bool {
        self.creations.check().is_ok()
    }

    /// Queues a reply or notice for the client.
    pub fn push(&self, msg: &ServerMsg, metrics: &Metrics) -> bool {
        self.push_text(
            serde_json::to_string(msg).expect("server messages serialize"),
            metrics,
        )
    }

    /// Queues a serialized frame. A client whose unwritten frames would exceed the outbox's
    /// bytes is not reading: it is disconnected rather than allowed to grow memory, and its
    /// unacknowledged messages stay stored.
    pub(crate) fn push_text(&self, text: String, metrics: &Metrics) -> bool {
        let len = text.len();
        let queued = self.outbox.queued.fetch_add(len, Relaxed) + len;
        if queued > self.outbox.max_bytes {
            self.outbox.queued.fetch_sub(len, Relaxed);
            self.too_slow(metrics, "its outbox is full");
            return false;
        }
        if self.outbox.frames.send(text).is_err() {
            self.outbox.queued.fetch_sub(len, Relaxed);
            return false;
        }
        true
    }

    /// Disconnects a client that does not read, once.
    pub(crate) fn too_slow(&self, metrics: &Metrics, why: &'static str) {
        if !self.kill.is_cancelled() {
            metrics.slow_disconnects.fetch_add(1, Relaxed);
            tracing::info!(
                conn = self.id,
                why,
                "disconnecting a client that does not read"
            );
        }
        self.kill.cancel();
    }

    /// The delivery budget in bytes: half the outbox, so replies always fit beside a full
    /// delivery window of a reading client.
    fn window_bytes(&self) -> usize {
        self.outbox.max_bytes / 2
    }

    /// Reserves window bytes for a push; `false` if they do not fit now.
    pub(crate) fn reserve(&self, len: usize) -> bool {
        let budget = self.window_bytes();
        self.unacked_bytes
            .fetch_update(Relaxed, Relaxed, |held| {
                (held + len <= budget).then_some(held + len)
            })
            .is_ok()
    }

    /// Returns window bytes (an ack, or a subscription that ended).
    pub(crate) fn release(&self, len: usize) {
        let _ = self
            .unacked_bytes
            .fetch_update(Relaxed, Relaxed, |held| Some(held.saturating_sub(len)));
    }
}
