//! The playout buffer: the peer's decrypted Opus frames wait here, ordered by RTP time, until
//! the 20 ms clock takes the next one. A small fixed delay (two frames, 40 ms) absorbs network
//! jitter; when a frame's turn comes and it has not arrived, it is recovered from the next
//! frame's in-band FEC if that one is here, else concealed by the decoder (PLC), so the output
//! keeps real time. Sans-IO and codec-free, so it is tested alone; [`crate::audio`] decodes
//! what it says.

use std::collections::BTreeMap;

/// RTP ticks (48 kHz) in one 20 ms frame.
pub(crate) const FRAME_TICKS: u64 = 960;
/// Frames held before playout starts, and again after it stopped: the jitter delay (40 ms).
const PREFILL: usize = 2;
/// The most frames held (200 ms). More means playout fell behind the sender (a burst after a
/// stall, or clock drift): it skips ahead to the newest [`PREFILL`] frames.
const MAX_HELD: usize = 10;
/// Frames concealed in a row before playout stops and waits to refill (100 ms): the peer
/// stopped sending or the path is down; inventing more would only be noise.
const MAX_CONCEALED: u32 = 5;

/// What to play for the next 20 ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// This frame, as received.
    Play(Vec<u8>),
    /// The frame due is missing but the one after it is here: decode that one's in-band FEC,
    /// which carries a copy of the missing frame (it stays held, and plays next).
    Recover(Vec<u8>),
    /// Nothing to recover from: the decoder conceals the gap.
    Conceal,
    /// Not playing (filling, or stopped after a long gap): nothing to output.
    Idle,
}

/// The buffer.
#[derive(Debug, Default)]
pub(crate) struct Playout {
    /// Held frames by RTP time.
    frames: BTreeMap<u64, Vec<u8>>,
    /// The RTP time of the next frame to play; `None` while filling.
    next: Option<u64>,
    /// Frames concealed or recovered in a row.
    missing_run: u32,
}

impl Playout {
    /// A decrypted frame arrived with its RTP time (48 kHz).
    pub(crate) fn push(&mut self, time: u64, frame: Vec<u8>) {
        if let Some(next) = self.next
            && time < next
        {
            if next - time <= MAX_HELD as u64 * FRAME_TICKS {
                return; // late: its turn passed, it was concealed
            }
            // Far in the past: the sender's clock restarted. Start again from here.
            self.frames.clear();
            self.next = None;
        }
        self.frames.insert(time, frame);
        if self.frames.len() > MAX_HELD {
            while self.frames.len() > PREFILL {
                self.frames.pop_first();
            }
            self.next = self.frames.keys().next().copied();
        }
    }

    /// The next 20 ms, once per tick of the playout clock.
    pub(crate) fn pop(&mut self) -> Next {
        let next = match self.next {
            Some(next) => next,
            None if self.frames.len() >= PREFILL => *self.frames.keys().next().expect("held"),
            None => return Next::Idle,
        };
        if let Some(frame) = self.frames.remove(&next) {
            self.next = Some(next + FRAME_TICKS);
            self.missing_run = 0;
            return Next::Play(frame);
        }
        self.missing_run += 1;
        if self.missing_run > MAX_CONCEALED {
            // Stop; a later frame (if one is held) restarts playout after the prefill.
            self.next = None;
            self.missing_run = 0;
            return Next::Idle;
        }
        self.next = Some(next + FRAME_TICKS);
        match self.frames.get(&(next + FRAME_TICKS)) {
            Some(after) => Next::Recover(after.clone()),
            None => Next::Conceal,
        }
    }

    /// Frames held now.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.frames.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u64) -> Vec<u8> {
        vec![n as u8]
    }

    fn push(p: &mut Playout, n: u64) {
        p.push(1000 + n * FRAME_TICKS, frame(n));
    }

    #[test]
    fn waits_for_two_frames_then_plays_in_rtp_order() {
        let mut p = Playout::default();
        push(&mut p, 1);
        assert_eq!(p.pop(), Next::Idle, "one frame is not enough to start");
        push(&mut p, 0); // reordered by the network
        assert_eq!(p.pop(), Next::Play(frame(0)));
        push(&mut p, 2);
        assert_eq!(p.pop(), Next::Play(frame(1)));
        assert_eq!(p.pop(), Next::Play(frame(2)));
    }

    #[test]
    fn a_lost_frame_is_recovered_from_the_next_ones_fec_else_concealed() {
        let mut p = Playout::default();
        for n in [0, 1, 3] {
            push(&mut p, n);
        }
        assert_eq!(p.pop(), Next::Play(frame(0)));
        assert_eq!(p.pop(), Next::Play(frame(1)));
        assert_eq!(p.pop(), Next::Recover(frame(3)), "2 is lost, 3 carries it");
        assert_eq!(p.pop(), Next::Play(frame(3)));
        assert_eq!(p.pop(), Next::Conceal, "4 is late and nothing follows it");
        push(&mut p, 4); // arrives after its turn: dropped
        push(&mut p, 5);
        assert_eq!(p.pop(), Next::Play(frame(5)));
        assert_eq!(p.pop(), Next::Conceal);
    }

    #[test]
    fn a_long_gap_stops_playout_until_it_refills() {
        let mut p = Playout::default();
        push(&mut p, 0);
        push(&mut p, 1);
        assert_eq!(p.pop(), Next::Play(frame(0)));
        assert_eq!(p.pop(), Next::Play(frame(1)));
        for _ in 0..MAX_CONCEALED {
            assert_eq!(p.pop(), Next::Conceal);
        }
        assert_eq!(p.pop(), Next::Idle);
        assert_eq!(p.pop(), Next::Idle);
        // The peer talks again, later in RTP time.
        push(&mut p, 50);
        assert_eq!(p.pop(), Next::Idle, "refilling");
        push(&mut p, 51);
        assert_eq!(p.pop(), Next::Play(frame(50)));
    }

    #[test]
    fn a_burst_beyond_the_limit_skips_ahead_to_the_newest_frames() {
        let mut p = Playout::default();
        for n in 0..=MAX_HELD as u64 {
            push(&mut p, n);
        }
        assert_eq!(p.held(), PREFILL);
        assert_eq!(p.pop(), Next::Play(frame(MAX_HELD as u64 - 1)));
        assert_eq!(p.pop(), Next::Play(frame(MAX_HELD as u64)));
    }

    #[test]
    fn a_sender_whose_clock_restarts_is_followed() {
        let mut p = Playout::default();
        push(&mut p, 100);
        push(&mut p, 101);
        assert_eq!(p.pop(), Next::Play(frame(100)));
        push(&mut p, 3); // far in the past: a new timeline
        push(&mut p, 4);
        assert_eq!(p.pop(), Next::Play(frame(3)));
        assert_eq!(p.pop(), Next::Play(frame(4)));
    }
}
