//! Restores each sender's order of call messages by `seq`: duplicates are dropped, early
//! messages wait for the gap to fill, but only briefly (`gap_wait`), since a message may be lost
//! for good.

use std::collections::BTreeMap;

use crate::time::{Duration, Millis};
use crate::wire::signal::CallMsg;

/// At most this many early messages are held; more are dropped (a flood, not a gap).
const MAX_HELD: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Inbox {
    next: u32,
    held: BTreeMap<u32, CallMsg>,
    gap_deadline: Option<Millis>,
}

impl Inbox {
    /// An inbox that has already consumed `next` messages.
    pub(crate) fn starting_at(next: u32) -> Self {
        Self {
            next,
            ..Self::default()
        }
    }

    /// Accepts one message; returns those now ready, in order.
    pub(crate) fn accept(
        &mut self,
        now: Millis,
        gap_wait: Duration,
        seq: u32,
        msg: CallMsg,
    ) -> Vec<CallMsg> {
        if seq < self.next || self.held.contains_key(&seq) {
            return Vec::new();
        }
        if seq > self.next {
            if self.held.len() < MAX_HELD {
                self.held.insert(seq, msg);
                self.gap_deadline.get_or_insert(now + gap_wait);
            }
            return Vec::new();
        }
        let mut ready = vec![msg];
        self.next += 1;
        self.drain_consecutive(&mut ready);
        ready
    }

    /// When the oldest gap stops being waited for.
    pub(crate) fn deadline(&self) -> Option<Millis> {
        self.gap_deadline
    }

    /// The gap wait ran out: skip the missing messages and release what is held.
    pub(crate) fn expire(&mut self, now: Millis, gap_wait: Duration) -> Vec<CallMsg> {
        let mut ready = Vec::new();
        if self.gap_deadline.is_some_and(|d| d <= now) {
            if let Some(&first) = self.held.keys().next() {
                self.next = first;
                self.drain_consecutive(&mut ready);
            }
            self.gap_deadline = (!self.held.is_empty()).then(|| now + gap_wait);
        }
        ready
    }

    fn drain_consecutive(&mut self, ready: &mut Vec<CallMsg>) {
        while let Some(msg) = self.held.remove(&self.next) {
            ready.push(msg);
            self.next += 1;
        }
        if self.held.is_empty() {
            self.gap_deadline = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(n: u32) -> CallMsg {
        CallMsg::Candidates {
            candidates: Vec::new(),
            done: n.is_multiple_of(2),
        }
    }

    const WAIT: Duration = Duration::ms(1000);

    #[test]
    fn restores_order_and_drops_duplicates() {
        let mut inbox = Inbox::default();
        assert!(inbox.accept(Millis(0), WAIT, 1, msg(1)).is_empty());
        assert_eq!(
            inbox.accept(Millis(0), WAIT, 0, msg(0)),
            vec![msg(0), msg(1)]
        );
        assert!(inbox.accept(Millis(0), WAIT, 1, msg(1)).is_empty());
        assert!(inbox.deadline().is_none());
    }

    #[test]
    fn gives_up_on_a_gap_after_the_wait() {
        let mut inbox = Inbox::default();
        assert!(inbox.accept(Millis(0), WAIT, 2, msg(2)).is_empty());
        assert_eq!(inbox.deadline(), Some(Millis(1000)));
        assert!(inbox.expire(Millis(999), WAIT).is_empty());
        assert_eq!(inbox.expire(Millis(1000), WAIT), vec![msg(2)]);
        assert!(
            inbox.accept(Millis(1001), WAIT, 0, msg(0)).is_empty(),
            "late message is stale"
        );
        assert_eq!(inbox.accept(Millis(1001), WAIT, 3, msg(3)), vec![msg(3)]);
    }
}
