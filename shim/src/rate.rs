//! Per-connection frame budget (governor's GCRA), and what happens past it.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// What to do with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Within budget: serve it.
    Allowed,
    /// Over budget: refuse it (`rate_limited`), keep the connection.
    Refused,
    /// Over budget by more than a second budget: the client ignores refusals; close it.
    Flooding,
}

/// Every frame a connection sends takes one token. Refused frames take a token from a second
/// budget of the same size: a client that keeps sending at more than twice its rate has no
/// use for refusals and is closed (a refusal costs the shim almost what a request does).
#[derive(Debug)]
pub(crate) struct FrameLimiter {
    frames: DefaultDirectRateLimiter,
    refusals: DefaultDirectRateLimiter,
}

impl FrameLimiter {
    pub(crate) fn new(per_sec: u32, burst: u32) -> Self {
        let per_sec = NonZeroU32::new(per_sec).expect("validated: at least 1");
        let burst_nz = NonZeroU32::new(burst).expect("validated: at least 1");
        let quota = Quota::per_second(per_sec).allow_burst(burst_nz);
        Self {
            frames: RateLimiter::direct(quota),
            refusals: RateLimiter::direct(quota),
        }
    }

    pub(crate) fn take(&mut self) -> Verdict {
        if self.frames.check().is_ok() {
            Verdict::Allowed
        } else if self.refusals.check().is_ok() {
            Verdict::Refused
        } else {
            Verdict::Flooding
        }
    }
}
