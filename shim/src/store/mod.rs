//! The message store, behind a trait so a Redis store can later let several shims share queues
//! (DESIGN §5). The embedded default is SQLite.
//!
//! Queues are keyed by the SHA-256 of their `rcv_id` ([`QueueKey`]): the store never holds a
//! `rcv_id`, so a leaked database grants no access to anyone's queue.

mod sqlite;

use std::future::Future;
use std::pin::Pin;

use sha2::{Digest as _, Sha256};
use sotto_shared::wire::relay::{MsgId, RcvId, SndId};

pub use sqlite::SqliteStore;

/// A boxed future, so `Store` can be used as `dyn Store`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// SHA-256 of a queue's `rcv_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueKey(pub [u8; 32]);

impl QueueKey {
    /// The key of the queue owned by `rcv_id`.
    #[must_use]
    pub fn of(rcv_id: &RcvId) -> Self {
        Self(Sha256::digest(rcv_id.as_bytes()).into())
    }
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMsg {
    /// Position in its queue, from 1, increasing.
    pub seq: u64,
    /// The id the receiver acks.
    pub msg_id: MsgId,
    /// When it was stored, ms since the Unix epoch.
    pub ts: u64,
    /// The sealed bytes.
    pub payload: Vec<u8>,
}

/// A message just made durable.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The queue it went into.
    pub queue: QueueKey,
    /// The message.
    pub msg: StoredMsg,
}

/// What a store can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No such queue.
    #[error("unknown queue")]
    UnknownQueue,
    /// The queue holds its maximum of unacknowledged messages.
    #[error("queue full")]
    QueueFull,
    /// The store holds its maximum of queues or of stored bytes.
    #[error("store full")]
    StoreFull,
    /// Storage failed (disk, corruption); details were logged.
    #[error("storage failed: {0}")]
    Internal(String),
}

/// The pending messages of a queue, oldest first, and the last seq ever assigned in it.
#[derive(Debug, Clone, Default)]
pub struct Backlog {
    /// Unacknowledged, unexpired messages.
    pub messages: Vec<StoredMsg>,
    /// The queue's highest seq so far (0 for none).
    pub head: u64,
}

/// The store's capacity, checked before the disk fills.
#[derive(Debug, Clone, Copy)]
pub struct Capacity {
    /// Queues in total.
    pub max_queues: u64,
    /// Payload bytes in total.
    pub max_stored_bytes: u64,
}

/// Durable queues. Every write has completed durably when its future resolves `Ok`.
pub trait Store: Send + Sync + 'static {
    /// Creates a queue.
    fn create_queue(
        &self,
        queue: QueueKey,
        snd_id: SndId,
        now_ms: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Marks the queue used now (it is not idle); `Ok(false)` if there is no such queue.
    fn touch(&self, queue: QueueKey, now_ms: u64) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Stores a message for the queue behind `snd_id`.
    fn push(
        &self,
        snd_id: SndId,
        msg_id: MsgId,
        ts: u64,
        payload: Vec<u8>,
        max_pending: u32,
    ) -> BoxFuture<'_, Result<Pushed, StoreError>>;
    /// Pending messages after `after_seq` not older than `min_ts`, oldest first, at most `limit`.
    fn backlog(
        &self,
        queue: QueueKey,
        after_seq: u64,
        min_ts: u64,
        limit: u32,
    ) -> BoxFuture<'_, Result<Backlog, StoreError>>;
    /// Deletes one message; `Ok(false)` if it was already gone.
    fn ack(&self, queue: QueueKey, msg_id: MsgId) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Deletes a queue and its messages; `Ok(false)` if there was none.
    fn delete_queue(&self, queue: QueueKey) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Deletes messages stored before `before_ts`; returns how many.
    fn expire(&self, before_ts: u64) -> BoxFuture<'_, Result<u64, StoreError>>;
    /// Deletes queues with no send or subscribe since `before_ms`, and their messages; returns
    /// how many queues.
    fn expire_idle(&self, before_ms: u64) -> BoxFuture<'_, Result<u64, StoreError>>;
    /// Number of queues.
    fn queue_count(&self) -> BoxFuture<'_, Result<u64, StoreError>>;
    /// Makes everything durable and compact before shutdown.
    fn flush(&self) -> BoxFuture<'_, Result<(), StoreError>>;
}
