//! A sliding replay window over frame counters (RFC 6479 style, as SRTP's RFC 3711 §3.3.2).
//!
//! [`ReplayWindow::check`] runs before decryption and changes nothing; [`ReplayWindow::commit`]
//! runs only after the tag verified, so forged frames can never move the window.

/// Frames within this distance below the highest counter seen are still accepted once.
pub(crate) const WINDOW: u64 = 1024;
const WORDS: usize = 16; // WINDOW / 64

/// Remembers which of the last 1024 counters were seen.
#[derive(Debug, Clone, Default)]
pub struct ReplayWindow {
    highest: Option<u64>,
    seen: [u64; WORDS],
}

impl ReplayWindow {
    /// An empty window: any counter is new.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            highest: None,
            seen: [0; WORDS],
        }
    }

    /// Whether `ctr` is new (not seen, not too old). Does not record it.
    #[must_use]
    pub fn check(&self, ctr: u64) -> bool {
        match self.highest {
            None => true,
            Some(high) if ctr > high => true,
            Some(high) if high - ctr >= WINDOW => false,
            Some(_) => !self.is_set(ctr),
        }
    }

    /// Records `ctr` as seen. Call only after the frame authenticated and `check` passed.
    pub fn commit(&mut self, ctr: u64) {
        match self.highest {
            Some(high) if ctr <= high => {}
            Some(high) => {
                let advance = ctr - high;
                if advance >= WINDOW {
                    self.seen = [0; WORDS];
                } else {
                    for c in high + 1..=ctr {
                        self.clear(c);
                    }
                }
                self.highest = Some(ctr);
            }
            None => {
                self.highest = Some(ctr);
            }
        }
        self.set(ctr);
    }

    fn slot(ctr: u64) -> (usize, u64) {
        let bit = ctr % WINDOW;
        (usize::try_from(bit / 64).expect("< 16"), 1 << (bit % 64))
    }

    fn is_set(&self, ctr: u64) -> bool {
        let (word, mask) = Self::slot(ctr);
        self.seen[word] & mask != 0
    }

    fn set(&mut self, ctr: u64) {
        let (word, mask) = Self::slot(ctr);
        self.seen[word] |= mask;
    }

    fn clear(&mut self, ctr: u64) {
        let (word, mask) = Self::slot(ctr);
        self.seen[word] &= !mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_each_counter_once() {
        let mut w = ReplayWindow::new();
        for c in [0, 1, 5, 3, 2] {
            assert!(w.check(c));
            w.commit(c);
            assert!(!w.check(c));
        }
        assert!(w.check(4));
    }

    #[test]
    fn rejects_counters_older_than_the_window() {
        let mut w = ReplayWindow::new();
        w.commit(5000);
        assert!(!w.check(5000 - WINDOW));
        assert!(w.check(5000 - WINDOW + 1));
    }

    #[test]
    fn a_big_jump_forgets_old_bits_without_reusing_them() {
        let mut w = ReplayWindow::new();
        w.commit(10);
        w.commit(10 + WINDOW); // same slot as 10
        assert!(!w.check(10 + WINDOW));
        assert!(!w.check(10), "too old now");
        assert!(w.check(11), "inside the window and never seen");
    }

    #[test]
    fn check_alone_changes_nothing() {
        let mut w = ReplayWindow::new();
        w.commit(1);
        assert!(w.check(2));
        assert!(w.check(2));
    }
}
