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
    /// Over budget for a whole burst in a row: the client ignores refusals; close it.
    Flooding,
}

/// Every frame a connection sends takes one token.
#[derive(Debug)]
pub(crate) struct FrameLimiter {
    limiter: DefaultDirectRateLimiter,
    refused_in_a_row: u32,
    burst: u32,
}

impl FrameLimiter {
    pub(crate) fn new(per_sec: u32, burst: u32) -> Self {
        let per_sec = NonZeroU32::new(per_sec).expect("validated: at least 1");
        let burst_nz = NonZeroU32::new(burst).expect("validated: at least 1");
        Self {
            limiter: RateLimiter::direct(Quota::per_second(per_sec).allow_burst(burst_nz)),
            refused_in_a_row: 0,
            burst,
        }
    }

    pub(crate) fn take(&mut self) -> Verdict {
        if self.limiter.check().is_ok() {
            self.refused_in_a_row = 0;
            return Verdict::Allowed;
        }
        self.refused_in_a_row += 1;
        if self.refused_in_a_row > self.burst {
            Verdict::Flooding
        } else {
            Verdict::Refused
        }
    }
}
