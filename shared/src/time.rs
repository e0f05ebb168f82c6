//! Time as data. The shared crate never reads a clock: `std::time::Instant::now()` panics in
//! browser wasm, and tests must run in simulated time. Callers pass `now` in.

use std::fmt;
use std::ops::{Add, Sub};

/// Milliseconds on the caller's clock (the browser uses `Date.now()`, tests start at zero).
///
/// Only differences between two `Millis` from the same clock mean anything.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// The later of two instants.
    #[must_use]
    pub fn max(self, other: Self) -> Self {
        Self(self.0.max(other.0))
    }

    /// `self - earlier`, or zero when `earlier` is in the future.
    #[must_use]
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

/// A span of milliseconds.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    /// `n` whole seconds.
    #[must_use]
    pub const fn secs(n: u64) -> Self {
        Self(n * 1000)
    }

    /// `n` milliseconds.
    #[must_use]
    pub const fn ms(n: u64) -> Self {
        Self(n)
    }
}

impl Add<Duration> for Millis {
    type Output = Millis;
    fn add(self, rhs: Duration) -> Millis {
        Millis(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Duration> for Millis {
    type Output = Millis;
    fn sub(self, rhs: Duration) -> Millis {
        Millis(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Debug for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}ms", self.0)
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}
