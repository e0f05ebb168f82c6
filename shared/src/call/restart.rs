//! ICE restarts (DESIGN §3): only the original offerer (the callee) starts one, and at most one
//! is in flight: the next attempt waits until the previous one is answered or its answer is
//! overdue. The answerer applies restart offers strictly one at a time, in order of
//! generation; a stale or duplicate offer is ignored, and of offers that pile up while one is
//! being applied only the newest is applied next.
//!
//! Why: during an outage the signals queue on the relay and arrive together when the link
//! returns. Offers made every 2 s regardless, applied concurrently by the browser, collided
//! ("Failed to set local answer sdp: Called in wrong state: stable") and ended calls that had
//! already recovered (issue #11).

use crate::call::PhoneConfig;
use crate::time::Millis;

#[derive(Debug, Default)]
pub(crate) struct Restarts {
    /// Offerer: the newest generation started. Answerer: the newest generation applied (or
    /// being applied).
    generation: u32,
    /// Offerer: attempts in this reconnection episode.
    attempts: u32,
    /// Offerer: the generation whose answer we wait for.
    in_flight: Option<u32>,
    /// Offerer: when the current attempt is over: its answer is overdue, or (answered) it did
    /// not bring the path back. A new attempt may start then.
    attempt_deadline: Option<Millis>,
    /// Offerer: when to start the next attempt.
    due: Option<Millis>,
    /// Offerer: local candidates gathered for the attempt in flight.
    candidates: u32,
    /// Answerer: the newest offer that arrived while another description was being made.
    pending_offer: Option<(u32, String)>,
}

/// What the offerer does with a restart answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AnswerFate {
    /// It answers the attempt in flight: apply it.
    Apply,
    /// It answers the attempt in flight, but that offer was made while the network was down
    /// (it gathered no candidate, so no pair can form): applying it would replace a path that
    /// may have come back by itself with one that cannot work. Make a new offer instead: the
    /// answer's arrival shows the network is back.
    Futile,
    /// An attempt already given up: ignore it.
    Stale,
}

/// What the answerer does with a restart offer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OfferFate {
    /// Apply it now.
    Apply(String),
    /// Wait: another description is being made; it is applied after (unless a newer one
    /// comes first).
    Queued,
    /// Stale or duplicate: nothing to do.
    Ignored,
}

impl Restarts {
    pub(crate) const fn generation(&self) -> u32 {
        self.generation
    }

    /// Offerer: an attempt is wanted no later than `at`.
    pub(crate) fn want_at(&mut self, at: Millis) {
        self.due = Some(self.due.map_or(at, |d| d.min(at)));
    }

    /// Offerer: connectivity is back; the next loss starts a new episode. An attempt in
    /// flight stays in flight: its answer must still be applied.
    pub(crate) fn recovered(&mut self) {
        self.attempts = 0;
        self.due = None;
    }

    pub(crate) fn deadline(&self) -> Option<Millis> {
        match (self.due, self.attempt_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Offerer, at a timeout: the generation of a restart to start now, if one is due, none
    /// is in flight or being made (`busy`), and the episode has attempts left.
    /// `reconnecting`: the end of an attempt (answered or not) starts the next at once.
    pub(crate) fn poll_start(
        &mut self,
        now: Millis,
        config: &PhoneConfig,
        reconnecting: bool,
        busy: bool,
    ) -> Option<u32> {
        if self.attempt_deadline.is_some_and(|d| d <= now) {
            self.attempt_deadline = None;
            self.in_flight = None;
            if reconnecting {
                self.want_at(now);
            }
        }
        if self.due.is_none_or(|d| d > now) {
            return None;
        }
        // Whatever happens now, this wish is served: an answer (or its deadline) re-arms.
        self.due = None;
        if busy || self.in_flight.is_some() || self.attempts >= config.max_restarts {
            return None;
        }
        self.attempts += 1;
        self.generation += 1;
        self.in_flight = Some(self.generation);
        self.candidates = 0;
        self.attempt_deadline = Some(now + config.restart_answer_timeout);
        Some(self.generation)
    }

    /// Offerer: a local candidate was gathered (for the newest offer).
    pub(crate) fn candidate(&mut self) {
        self.candidates += 1;
    }

    /// Offerer: an answer for `generation` arrived.
    pub(crate) fn answered(&mut self, generation: u32) -> AnswerFate {
        if self.in_flight != Some(generation) {
            return AnswerFate::Stale;
        }
        // The attempt's deadline stays: if the path is still lost then, the next one starts.
        self.in_flight = None;
        if self.candidates == 0 {
            return AnswerFate::Futile;
        }
        AnswerFate::Apply
    }

    /// Answerer: a restart offer arrived; `busy` when a description is being made now.
    pub(crate) fn offer(&mut self, generation: u32, sdp: String, busy: bool) -> OfferFate {
        let newest = self
            .pending_offer
            .as_ref()
            .map_or(self.generation, |(g, _)| (*g).max(self.generation));
        if generation <= newest {
            return OfferFate::Ignored;
        }
        if busy {
            self.pending_offer = Some((generation, sdp));
            return OfferFate::Queued;
        }
        self.generation = generation;
        OfferFate::Apply(sdp)
    }

    /// Answerer: whether a newer offer waits (so the answer just made is stale).
    pub(crate) const fn has_pending(&self) -> bool {
        self.pending_offer.is_some()
    }

    /// Answerer, once idle: the offer to apply next, if one waits.
    pub(crate) fn take_pending(&mut self) -> Option<String> {
        let (generation, sdp) = self.pending_offer.take()?;
        self.generation = generation;
        Some(sdp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    fn config() -> PhoneConfig {
        PhoneConfig::default()
    }

    #[test]
    fn starts_no_second_attempt_while_one_is_unanswered() {
        let mut r = Restarts::default();
        let t = Millis(1000);
        r.want_at(t);
        assert_eq!(r.poll_start(t, &config(), true, false), Some(1));
        r.candidate();
        r.want_at(t + Duration::secs(2));
        assert_eq!(
            r.poll_start(t + Duration::secs(2), &config(), true, false),
            None
        );
        assert_eq!(r.answered(1), AnswerFate::Apply);
        let next = t + config().restart_answer_timeout;
        assert_eq!(
            r.deadline(),
            Some(next),
            "answered, the attempt runs its time"
        );
        assert_eq!(r.poll_start(next, &config(), true, false), Some(2));
    }

    #[test]
    fn an_overdue_answer_lets_the_next_attempt_start_at_once() {
        let mut r = Restarts::default();
        let t = Millis(1000);
        r.want_at(t);
        assert_eq!(r.poll_start(t, &config(), true, false), Some(1));
        let overdue = t + config().restart_answer_timeout;
        assert_eq!(r.deadline(), Some(overdue));
        assert_eq!(r.poll_start(overdue, &config(), true, false), Some(2));
        assert_eq!(r.answered(1), AnswerFate::Stale, "given up on");
        assert_eq!(
            r.answered(2),
            AnswerFate::Futile,
            "no candidate was gathered for it"
        );
    }

    #[test]
    fn stops_after_the_episodes_attempts() {
        let mut r = Restarts::default();
        let mut t = Millis(1000);
        for generation in 1..=config().max_restarts {
            r.want_at(t);
            assert_eq!(r.poll_start(t, &config(), true, false), Some(generation));
            r.candidate();
            assert_eq!(r.answered(generation), AnswerFate::Apply);
            t = t + Duration::secs(1);
        }
        r.want_at(t);
        assert_eq!(r.poll_start(t, &config(), true, false), None);
        r.recovered();
        r.want_at(t);
        assert!(r.poll_start(t, &config(), true, false).is_some());
    }

    #[test]
    fn the_answerer_applies_one_offer_at_a_time_newest_first_and_ignores_stale_ones() {
        let mut r = Restarts::default();
        assert_eq!(
            r.offer(1, "o1".into(), false),
            OfferFate::Apply("o1".into())
        );
        assert_eq!(r.offer(1, "o1".into(), false), OfferFate::Ignored);
        assert_eq!(r.offer(2, "o2".into(), true), OfferFate::Queued);
        assert_eq!(r.offer(3, "o3".into(), true), OfferFate::Queued);
        assert_eq!(r.offer(2, "o2".into(), true), OfferFate::Ignored);
        assert!(r.has_pending());
        assert_eq!(r.take_pending(), Some("o3".into()));
        assert_eq!(r.generation(), 3);
        assert_eq!(r.take_pending(), None);
        assert_eq!(r.offer(3, "o3".into(), false), OfferFate::Ignored);
    }
}
