//! Whether the peer's media arrives, measured from `getStats` samples: the driver feeds the
//! core a change (`RtcEvent::InboundMedia`) when inbound packets stop growing for
//! [`MediaWatch::STALL_MS`], or grow again. The core decides what a stall means (issue #11:
//! Chromium's ICE state takes 5–8 s to say `disconnected`, while a frozen picture is plain
//! at once). The same samples give the loss of the last few seconds for the quality badge,
//! which a whole-call average kept "poor" for ~16 s after a recovery.

use std::collections::VecDeque;

use sotto_shared::CallId;

use super::view::MediaStats;

/// Follows inbound media through one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaWatch {
    call: Option<CallId>,
    /// `(at_ms, packets_received, packets_lost)`, oldest first, within the window.
    samples: VecDeque<(f64, u64, i64)>,
    /// When packets last grew.
    grew_at: Option<f64>,
    /// What was last reported: nothing until media first arrives.
    reported: Option<bool>,
}

impl MediaWatch {
    /// No packet for this long, after some arrived, is a stall (ms). Audio alone brings
    /// 50 packets a second.
    pub const STALL_MS: f64 = 750.0;
    /// The quality badge looks this far back (ms).
    pub const WINDOW_MS: f64 = 3000.0;

    /// Takes a sample taken at `now_ms` during `call`. Returns the change to report to the
    /// core, if any: `Some(true)` media flows (first or again), `Some(false)` it stalled.
    pub fn observe(&mut self, call: CallId, now_ms: f64, stats: &MediaStats) -> Option<bool> {
        if self.call != Some(call) {
            *self = Self {
                call: Some(call),
                ..Self::default()
            };
        }
        let grew = self
            .samples
            .back()
            .is_none_or(|&(_, received, _)| stats.packets_received > received)
            && stats.packets_received > 0;
        self.samples
            .push_back((now_ms, stats.packets_received, stats.packets_lost));
        while self
            .samples
            .front()
            .is_some_and(|&(at, _, _)| now_ms - at > Self::WINDOW_MS)
        {
            self.samples.pop_front();
        }
        if grew {
            self.grew_at = Some(now_ms);
        }
        let flowing = self.grew_at.is_some_and(|at| now_ms - at < Self::STALL_MS);
        if self.grew_at.is_none() || self.reported == Some(flowing) {
            return None;
        }
        self.reported = Some(flowing);
        Some(flowing)
    }

    /// The share of inbound packets lost within the window (0 with too few to tell).
    #[must_use]
    pub fn recent_loss(&self) -> f64 {
        let (Some(first), Some(last)) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        let received = last.1.saturating_sub(first.1) as f64;
        let lost = (last.2 - first.2).max(0) as f64;
        if received + lost < 50.0 {
            return 0.0;
        }
        lost / (received + lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(received: u64, lost: i64) -> MediaStats {
        MediaStats {
            packets_received: received,
            packets_lost: lost,
            ..MediaStats::default()
        }
    }

    #[test]
    fn reports_flowing_then_a_stall_within_a_second_then_flowing_again() {
        let call = CallId::from_bytes([1; 16]);
        let mut w = MediaWatch::default();
        assert_eq!(w.observe(call, 0.0, &at(0, 0)), None, "nothing yet");
        assert_eq!(w.observe(call, 500.0, &at(25, 0)), Some(true));
        assert_eq!(w.observe(call, 1000.0, &at(50, 0)), None);
        assert_eq!(w.observe(call, 1500.0, &at(50, 0)), None);
        assert_eq!(w.observe(call, 2000.0, &at(50, 0)), Some(false));
        assert_eq!(w.observe(call, 2500.0, &at(50, 0)), None, "said once");
        assert_eq!(w.observe(call, 3000.0, &at(60, 0)), Some(true));
    }

    #[test]
    fn a_new_call_starts_silent_until_its_media_arrives() {
        let mut w = MediaWatch::default();
        w.observe(CallId::from_bytes([1; 16]), 0.0, &at(100, 0));
        let next = CallId::from_bytes([2; 16]);
        assert_eq!(w.observe(next, 500.0, &at(0, 0)), None);
        assert_eq!(w.observe(next, 2500.0, &at(0, 0)), None);
    }

    #[test]
    fn the_badges_loss_forgets_what_is_older_than_the_window() {
        let call = CallId::from_bytes([1; 16]);
        let mut w = MediaWatch::default();
        w.observe(call, 0.0, &at(100, 0));
        w.observe(call, 500.0, &at(100, 400));
        assert!(w.recent_loss() > 0.5, "an outage's loss shows");
        for i in 1..=8u32 {
            let received = 100 + 50 * u64::from(i);
            w.observe(call, 500.0 + 500.0 * f64::from(i), &at(received, 400));
        }
        assert_eq!(
            w.recent_loss(),
            0.0,
            "three seconds later the badge is clear"
        );
    }
}
