//! Candidate trickling (DESIGN §3, refined): the offer or answer goes out the moment it is ready,
//! with the candidates gathered so far; each later burst of candidates follows in one message
//! `candidate_batch` (10 ms) after its first candidate; the last message says `done`.
//!
//! DESIGN §3 had the description wait for gathering to complete (750 ms at most), then a 40 ms
//! settle after the first candidate; both sat on the critical path of every call's set-up. The
//! browser bench's timeline (docs/DEVELOPING.md) showed the callee's offer held 40 ms and the
//! caller's answer 34 ms while the relay hop itself took 3 ms: a message is cheap, waiting is
//! not. A candidate a few milliseconds behind its description travels in parallel with it (the
//! peer's call inbox puts them in order), so nothing waits for anything. The short window only
//! keeps the candidates a browser reports together (every interface's host candidates within a
//! millisecond or two) in one message; a STUN or TURN candidate, a round trip later, gets its own.

use crate::time::{Duration, Millis};
use crate::wire::signal::IceCandidate;

#[derive(Debug, Default)]
pub(crate) struct IceBatcher {
    /// Whether the description of the current generation was sent (candidates before it wait
    /// to go with it).
    description_sent: bool,
    pending: Vec<IceCandidate>,
    /// When the pending burst goes.
    batch_deadline: Option<Millis>,
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
    /// A burst of later candidates.
    Candidates {
        candidates: Vec<IceCandidate>,
        done: bool,
    },
}

impl IceBatcher {
    /// A new local description (initial offer or answer): it goes now, with the candidates
    /// gathered so far.
    pub(crate) fn description(&mut self, sdp: String) -> IceSend {
        self.description_sent = true;
        self.batch_deadline = None;
        if self.gathering_complete {
            self.done_sent = true;
        }
        IceSend::Description {
            sdp,
            candidates: std::mem::take(&mut self.pending),
        }
    }

    /// A new ICE generation (restart): its description goes out by itself, candidates follow.
    pub(crate) fn restart(&mut self) {
        self.gathering_complete = false;
        self.done_sent = false;
        self.description_sent = true;
    }

    /// A local candidate: it goes with the burst it belongs to, `batch` after the burst's first.
    pub(crate) fn candidate(&mut self, now: Millis, batch: Duration, candidate: IceCandidate) {
        self.pending.push(candidate);
        if self.description_sent {
            self.batch_deadline.get_or_insert(now + batch);
        }
    }

    pub(crate) fn gathering_complete(&mut self) -> Option<IceSend> {
        self.gathering_complete = true;
        if !self.description_sent || self.done_sent {
            return None;
        }
        self.done_sent = true;
        self.batch_deadline = None;
        Some(IceSend::Candidates {
            candidates: std::mem::take(&mut self.pending),
            done: true,
        })
    }

    pub(crate) fn deadline(&self) -> Option<Millis> {
        self.batch_deadline
    }

    pub(crate) fn expire(&mut self, now: Millis) -> Option<IceSend> {
        if self.batch_deadline.is_none_or(|d| d > now) {
            return None;
        }
        self.batch_deadline = None;
        (!self.pending.is_empty()).then(|| IceSend::Candidates {
            candidates: std::mem::take(&mut self.pending),
            done: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(n: u8) -> IceCandidate {
        IceCandidate {
            candidate: format!("candidate:{n} 1 udp 100 10.0.0.{n} 9 typ host"),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
        }
    }

    const BATCH: Duration = Duration::ms(10);

    #[test]
    fn candidates_gathered_before_the_description_go_with_it() {
        let mut ice = IceBatcher::default();
        ice.candidate(Millis(0), BATCH, candidate(1));
        assert_eq!(ice.deadline(), None, "nothing goes before the description");
        let IceSend::Description { candidates, .. } = ice.description("sdp".into()) else {
            unreachable!()
        };
        assert_eq!(candidates, [candidate(1)]);
        assert_eq!(ice.deadline(), None);
    }

    #[test]
    fn a_burst_goes_in_one_message_its_window_after_its_first_candidate() {
        let mut ice = IceBatcher::default();
        let _ = ice.description("sdp".into());
        ice.candidate(Millis(100), BATCH, candidate(1));
        ice.candidate(Millis(101), BATCH, candidate(2));
        assert_eq!(ice.deadline(), Some(Millis(110)));
        assert_eq!(ice.expire(Millis(109)), None);
        assert_eq!(
            ice.expire(Millis(110)),
            Some(IceSend::Candidates {
                candidates: vec![candidate(1), candidate(2)],
                done: false
            })
        );
        // A later (STUN) candidate starts its own window.
        ice.candidate(Millis(180), BATCH, candidate(3));
        assert_eq!(ice.deadline(), Some(Millis(190)));
        assert_eq!(
            ice.gathering_complete(),
            Some(IceSend::Candidates {
                candidates: vec![candidate(3)],
                done: true
            }),
            "completion flushes the burst at once, marked done"
        );
        assert_eq!(ice.deadline(), None);
        assert_eq!(ice.gathering_complete(), None, "done is said once");
    }

    #[test]
    fn no_empty_done_message_follows_a_description_made_after_completion() {
        let mut ice = IceBatcher::default();
        ice.candidate(Millis(0), BATCH, candidate(1));
        assert_eq!(ice.gathering_complete(), None);
        let _ = ice.description("sdp".into());
        assert_eq!(
            ice.gathering_complete(),
            None,
            "no empty done message after it"
        );
    }
}
