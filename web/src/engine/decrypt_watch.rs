//! Whether the peer's frames fail to decrypt, from the worker's running counters: the call
//! view warns once failures have gone on for [`DecryptWatch::GRACE_MS`] without a single
//! frame decrypting, and clears the warning at the next frame that does.

use sotto_shared::CallId;

use crate::worker::Counters;

/// Follows the worker's counters through one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecryptWatch {
    call: Option<CallId>,
    decrypted: u64,
    failed: u64,
    failing_since: Option<f64>,
    now: f64,
}

impl DecryptWatch {
    /// How long frames must fail, with none decrypting, before the user is told (ms).
    pub const GRACE_MS: f64 = 2000.0;

    /// Takes the counters as reported at `now_ms` during `call` (`None`: no call). The
    /// counters are the worker's totals, so a new call starts from what they are then.
    pub fn observe(&mut self, call: Option<CallId>, now_ms: f64, counters: &Counters) {
        // Frames we could not open. Replays are left out: a replayed copy of a good frame
        // says nothing about the key.
        let failed =
            counters.dropped_not_ours + counters.dropped_unknown_key + counters.dropped_forged;
        if call != self.call {
            *self = Self {
                call,
                decrypted: counters.decrypted,
                failed,
                failing_since: None,
                now: now_ms,
            };
            return;
        }
        if counters.decrypted > self.decrypted {
            self.failing_since = None;
        } else if failed > self.failed {
            self.failing_since.get_or_insert(now_ms);
        }
        self.decrypted = counters.decrypted;
        self.failed = failed;
        self.now = now_ms;
    }

    /// Whether `call`'s incoming frames have failed to decrypt for longer than the grace.
    #[must_use]
    pub fn is_failing(&self, call: CallId) -> bool {
        self.call == Some(call)
            && self
                .failing_since
                .is_some_and(|since| self.now - since >= Self::GRACE_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(decrypted: u64, forged: u64) -> Counters {
        Counters {
            decrypted,
            dropped_forged: forged,
            ..Counters::default()
        }
    }

    const CALL: CallId = CallId::from_bytes([1; 16]);

    #[test]
    fn warns_after_two_seconds_of_failures_without_a_decrypted_frame() {
        let mut w = DecryptWatch::default();
        w.observe(Some(CALL), 0.0, &counters(0, 0));
        w.observe(Some(CALL), 500.0, &counters(0, 30));
        w.observe(Some(CALL), 2000.0, &counters(0, 90));
        assert!(!w.is_failing(CALL), "not before the grace has passed");
        w.observe(Some(CALL), 2500.0, &counters(0, 120));
        assert!(w.is_failing(CALL));
    }

    #[test]
    fn one_decrypted_frame_clears_the_warning() {
        let mut w = DecryptWatch::default();
        w.observe(Some(CALL), 0.0, &counters(0, 0));
        w.observe(Some(CALL), 500.0, &counters(0, 30));
        w.observe(Some(CALL), 3000.0, &counters(0, 60));
        assert!(w.is_failing(CALL));
        w.observe(Some(CALL), 3500.0, &counters(5, 60));
        assert!(!w.is_failing(CALL));
    }

    #[test]
    fn failures_mixed_with_decrypted_frames_never_warn() {
        let mut w = DecryptWatch::default();
        w.observe(Some(CALL), 0.0, &counters(0, 0));
        for i in 1..10_u64 {
            w.observe(Some(CALL), i as f64 * 500.0, &counters(i * 50, i));
        }
        assert!(!w.is_failing(CALL));
    }

    #[test]
    fn a_new_call_starts_from_the_running_totals() {
        let mut w = DecryptWatch::default();
        w.observe(Some(CALL), 0.0, &counters(0, 0));
        w.observe(Some(CALL), 500.0, &counters(0, 30));
        w.observe(Some(CALL), 3000.0, &counters(0, 60));
        let next = CallId::from_bytes([2; 16]);
        w.observe(Some(next), 3500.0, &counters(0, 60));
        assert!(!w.is_failing(next) && !w.is_failing(CALL));
        w.observe(Some(next), 6000.0, &counters(0, 60));
        assert!(
            !w.is_failing(next),
            "old failures do not count for the new call"
        );
    }
}
