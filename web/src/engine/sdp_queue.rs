//! One call's SDP operations (create an offer, apply an offer and answer it, apply an answer,
//! add candidates), run strictly one after another in the order the core asked for them.
//!
//! Why: each used to run in its own `spawn_local`, so a burst of restart offers and answers
//! arriving after an outage ran concurrently on one `RTCPeerConnection` and collided ("Failed
//! to set local answer sdp: Called in wrong state: stable", issue #11). The core already
//! asks for one description at a time; this keeps the browser's side of that promise even
//! when an operation awaits.

use std::future::Future;

use futures_channel::mpsc;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

/// A first-in first-out queue of operations with one consumer task.
pub(super) struct SdpQueue {
    ops: mpsc::UnboundedSender<LocalBoxFuture<'static, ()>>,
}

impl SdpQueue {
    /// Starts the consumer; it ends when the queue is dropped and its last operation ran.
    pub(super) fn start() -> Self {
        let (ops, mut queued) = mpsc::unbounded::<LocalBoxFuture<'static, ()>>();
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(op) = queued.next().await {
                op.await;
            }
        });
        Self { ops }
    }

    /// Runs `op` after every operation queued before it has finished.
    pub(super) fn push(&self, op: impl Future<Output = ()> + 'static) {
        // The consumer lives as long as this sender; a send cannot fail while we hold it.
        let _ = self.ops.unbounded_send(Box::pin(op));
    }
}
