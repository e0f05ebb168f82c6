//! Candidate batching (DESIGN §3): the offer or answer waits for its first candidates, then goes
//! with them; later candidates go out at once after a quiet `candidate_batch`, otherwise at the
//! end of that window, and a final batch says `done`.
//!
//! How long the description waits: until gathering completes, or [`SETTLE`] after the first
//! candidate, or `ice_wait` at most. It used to wait for completion (or `ice_wait`) alone, which
//! in a browser came ~100–140 ms after the host candidates, a third of a loopback call's set-up
//! (the browser bench, docs/DEVELOPING.md). Host candidates of every interface arrive together,
//! so a short settle keeps them in the description; a STUN or TURN candidate, which needs a round
//! trip, follows in its own batch at once instead of waiting out the window.

use crate::time::{Duration, Millis};

/// How long the description waits after its first candidate for the others gathered with it.
pub(crate) const SETTLE: Duration = Duration::ms(40);
use crate::wire::signal::IceCandidate;

#[derive(Debug, Default)]
pub(crate) struct IceBatcher {
    /// The local description waiting to be sent with the first candidates.
    held_description: Option<String>,
    /// Until when the description may wait.
    description_deadline: Option<Millis>,
    /// Whether the description of the current generation was sent.
    description_sent: bool,
    pending: Vec<IceCandidate>,
    batch_deadline: Option<Millis>,
    /// When the last batch of later candidates went out.
    last_batch: Option<Millis>,
    gathering_complete: bool,
    done_sent: bool,
}

/// What the batcher wants sent now.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IceSend {
    /// The offer or answer, with the candidates so far.
    Description {
        sdp: String,
        candidates: Vec<IceCandidate>,
    },
    /// A batch of later candidates.
    Candidates {
        candidates: Vec<IceCandidate>,
        done: bool,
    },
}

impl IceBatcher {
    /// A new local description (initial offer or answer): hold it for the first candidates.
    pub(crate) fn hold_description(
        &mut self,
        now: Millis,
        wait: Duration,
        sdp: String,
    ) -> Option<IceSend> {
        self.held_description = Some(sdp);
        let settle = if self.pending.is_empty() {
            wait
        } else {
            SETTLE.min(wait)
        };
        self.description_deadline = Some(now + settle);
        self.description_sent = false;
        if self.gathering_complete {
            self.release_description()
        } else {
            None
        }
    }

    /// A new ICE generation (restart): its description goes out at once, candidates follow.
    pub(crate) fn restart(&mut self) {
        self.gathering_complete = false;
        self.done_sent = false;
        self.description_sent = true;
    }

    pub(crate) fn candidate(&mut self, now: Millis, batch: Duration, candidate: IceCandidate) {
        self.pending.push(candidate);
        if self.description_sent {
            // At once after a quiet window; otherwise when the window ends.
            let at = self.last_batch.map_or(now, |last| (last + batch).max(now));
            self.batch_deadline.get_or_insert(at);
        } else if let Some(deadline) = self.description_deadline {
            self.description_deadline = Some(deadline.min(now + SETTLE));
        }
    }

    pub(crate) fn gathering_complete(&mut self) -> Option<IceSend> {
        self.gathering_complete = true;
        if self.held_description.is_some() {
            return self.release_description();
        }
        if self.description_sent && !self.done_sent {
            self.done_sent = true;
            self.batch_deadline = None;
            return Some(IceSend::Candidates {
                candidates: std::mem::take(&mut self.pending),
                done: true,
            });
        }
        None
    }

    pub(crate) fn deadline(&self) -> Option<Millis> {
        match (self.description_deadline, self.batch_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(crate) fn expire(&mut self, now: Millis, batch: Duration) -> Option<IceSend> {
        if self.description_deadline.is_some_and(|d| d <= now) {
            let send = self.release_description();
            if !self.pending.is_empty() {
                self.batch_deadline = Some(now + batch);
            }
            return send;
        }
        if self.batch_deadline.is_some_and(|d| d <= now) {
            self.batch_deadline = None;
            if !self.pending.is_empty() {
                self.last_batch = Some(now);
                return Some(IceSend::Candidates {
                    candidates: std::mem::take(&mut self.pending),
                    done: false,
                });
            }
        }
        None
    }

    fn release_description(&mut self) -> Option<IceSend> {
        let sdp = self.held_description.take()?;
        self.description_deadline = None;
        self.description_sent = true;
        let candidates = std::mem::take(&mut self.pending);
        if self.gathering_complete {
            self.done_sent = true;
        }
        Some(IceSend::Description { sdp, candidates })
    }
}
