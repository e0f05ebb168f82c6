//! A per-contact replay window over signal counters (DESIGN §2 trust rules), small enough to
//! persist with the contact: the highest counter seen and a 64-bit map of the ones below it.
//!
//! Signals from one contact are few and rarely far out of order (a call's burst of candidates),
//! so 64 is plenty; anything older than the window is refused as a replay.

use serde::{Deserialize, Serialize};

const WINDOW: u64 = 64;

/// Which recent counters of one sender were accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterWindow {
    /// The highest counter accepted (0: none yet; real counters start at 1).
    highest: u64,
    /// Bit `i` set: counter `highest - 1 - i` was accepted.
    below: u64,
}

impl CounterWindow {
    /// Whether `ctr` is new: not seen and not older than the window. Changes nothing.
    #[must_use]
    pub fn is_fresh(&self, ctr: u64) -> bool {
        if ctr == 0 {
            return false;
        }
        if ctr > self.highest {
            return true;
        }
        let back = self.highest - ctr;
        back != 0 && back <= WINDOW && self.below & (1 << (back - 1)) == 0
    }

    /// Records `ctr` as accepted. Call only after the message authenticated and was handled.
    pub fn commit(&mut self, ctr: u64) {
        if ctr > self.highest {
            let shift = ctr - self.highest;
            self.below = if shift > WINDOW {
                0
            } else {
                // The old highest becomes bit `shift - 1`.
                let moved = if shift == WINDOW {
                    0
                } else {
                    self.below << shift
                };
                if self.highest == 0 {
                    moved
                } else {
                    moved | 1 << (shift - 1)
                }
            };
            self.highest = ctr;
        } else if ctr < self.highest {
            let back = self.highest - ctr;
            if back <= WINDOW {
                self.below |= 1 << (back - 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_each_counter_once() {
        let mut w = CounterWindow::default();
        for ctr in [1, 2, 5, 3, 4, 70] {
            assert!(w.is_fresh(ctr), "{ctr}");
            w.commit(ctr);
            assert!(!w.is_fresh(ctr), "{ctr} again");
        }
        for ctr in 1..=5 {
            assert!(!w.is_fresh(ctr), "{ctr} is now outside or seen");
        }
        assert!(w.is_fresh(69));
        assert!(w.is_fresh(7));
        assert!(
            w.is_fresh(6),
            "70 - 64 = 6 is the window's oldest slot, never seen"
        );
    }

    #[test]
    fn refuses_zero_and_counters_older_than_the_window() {
        let mut w = CounterWindow::default();
        assert!(!w.is_fresh(0));
        w.commit(100);
        assert!(w.is_fresh(36));
        assert!(!w.is_fresh(35));
    }

    #[test]
    fn out_of_order_within_the_window_is_fine() {
        let mut w = CounterWindow::default();
        for ctr in (1..=64).rev() {
            assert!(w.is_fresh(ctr));
            w.commit(ctr);
        }
        assert!((1..=64).all(|c| !w.is_fresh(c)));
        assert!(w.is_fresh(65));
    }
}
