//! The 20 ms media clock: one Opus frame is sent and one is played out per tick. Ticks are
//! counted from `Instant` deadlines, not slept intervals, so a late wake-up does not slow the
//! clock down: the frames due are caught up at once, at most [`MAX_CATCH_UP`] of them; after
//! a longer stall the clock skips ahead rather than burst.

use std::time::{Duration, Instant};

/// One frame's time.
pub(crate) const PTIME: Duration = Duration::from_millis(20);
/// Frames caught up at once after a late wake-up, at most (100 ms).
const MAX_CATCH_UP: u32 = 5;

/// The clock; stopped until [`Pacer::start`].
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    next: Option<Instant>,
}

impl Pacer {
    /// Starts ticking now (the first frame is due at once); a running clock is left alone.
    pub(crate) fn start(&mut self, now: Instant) {
        self.next.get_or_insert(now);
    }

    pub(crate) fn stop(&mut self) {
        self.next = None;
    }

    /// When the next frame is due, if running.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next
    }

    /// How many frames are due at `now`; the clock advances past them.
    pub(crate) fn due(&mut self, now: Instant) -> u32 {
        let Some(mut at) = self.next else {
            return 0;
        };
        let mut due = 0;
        while at <= now && due < MAX_CATCH_UP {
            at += PTIME;
            due += 1;
        }
        if at <= now {
            at = now + PTIME; // a long stall: skip ahead rather than burst
        }
        self.next = Some(at);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn ticks_every_twenty_milliseconds_from_its_start() {
        let t0 = Instant::now();
        let mut p = Pacer::default();
        assert_eq!((p.due(t0), p.deadline()), (0, None), "stopped");
        p.start(t0);
        assert_eq!(p.due(t0), 1);
        assert_eq!(p.deadline(), Some(t0 + PTIME));
        assert_eq!(p.due(t0 + 19 * MS), 0);
        assert_eq!(p.due(t0 + 20 * MS), 1);
        // starting again does not reset a running clock
        p.start(t0 + 25 * MS);
        assert_eq!(p.deadline(), Some(t0 + 40 * MS));
    }

    #[test]
    fn a_late_wake_up_catches_up_and_keeps_the_grid() {
        let t0 = Instant::now();
        let mut p = Pacer::default();
        p.start(t0);
        assert_eq!(p.due(t0 + 65 * MS), 4, "frames at 0, 20, 40 and 60 ms");
        assert_eq!(p.deadline(), Some(t0 + 80 * MS), "still on the 20 ms grid");
    }

    #[test]
    fn a_long_stall_skips_ahead_instead_of_bursting() {
        let t0 = Instant::now();
        let mut p = Pacer::default();
        p.start(t0);
        let late = t0 + 1000 * MS;
        assert_eq!(p.due(late), MAX_CATCH_UP);
        assert_eq!(p.deadline(), Some(late + PTIME));
        p.stop();
        assert_eq!(p.due(late + PTIME), 0);
    }
}
