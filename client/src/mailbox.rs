//! Receiving and sending sealed signals: which queue a message came on says who sent it;
//! the envelope must open as that contact's; its counter must be new; then it is handled and
//! acknowledged. The ack policy in one place:
//!
//! - everything is acknowledged once handled, or once dropped (unopenable, malformed, replayed,
//!   from a removed contact), so the relay never redelivers it;
//! - except a ringing invitation, held until the call is decided: a restart redelivers it and
//!   it rings again for what is left of its lifetime. Its counter is committed (and its call id
//!   remembered) only then, so that redelivery is not taken for a replay.
//!
//! Duplicates are dropped by `msg_id` (a redelivery after a reconnect), and by counter (the
//! relay storing one send twice, or replaying an old message).

use rand_core::CryptoRng;
use sotto_shared::call::{CallState, Input as PhoneInput, Peer};
use sotto_shared::crypto::{Opener, Sealer};
use sotto_shared::wire::relay::{ClientMsg, MsgId, Payload, RcvId};
use sotto_shared::wire::signal::{CallMsg, Signal, SignalBody};
use sotto_shared::{CallId, Duration, PeerId};

use crate::client::{Client, Held};
use crate::io::{Event, Notice};
use crate::requests::Purpose;

/// Deliveries remembered for dropping duplicates by `msg_id`.
const RECENT: usize = 1024;

/// Why a signal could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendError {
    /// No such contact, or they have not confirmed yet.
    NoRoute,
    /// The envelope could not be sealed.
    Seal,
}

impl<R: CryptoRng> Client<R> {
    /// A message pushed by our home relay.
    pub(crate) fn on_message(&mut self, rcv_id: RcvId, msg_id: MsgId, ts: u64, payload: &[u8]) {
        if self
            .held
            .iter()
            .any(|h| h.rcv_id == rcv_id && h.msg_id == msg_id)
        {
            // Still ringing: a redelivery (a re-subscription, a duplicate push).
            self.counters.duplicates += 1;
            return;
        }
        if self.recent.contains(&(rcv_id, msg_id.clone())) {
            self.counters.duplicates += 1;
            return self.ack(rcv_id, msg_id);
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back((rcv_id, msg_id.clone()));

        if let Some(invite) = self
            .profile
            .invites
            .iter()
            .find(|i| i.rcv_id == rcv_id)
            .cloned()
        {
            self.on_contact_request(&invite, payload);
            return self.ack(rcv_id, msg_id);
        }
        let Some(contact) = self.profile.contact_by_queue(&rcv_id).cloned() else {
            // A queue we no longer know (a removed contact, a used invitation): clear it.
            return self.ack(rcv_id, msg_id);
        };
        let Ok(json) = Opener::auth(&self.identity, contact.pk).open(payload) else {
            self.counters.unopenable += 1;
            return self.ack(rcv_id, msg_id);
        };
        let Ok(signal) = Signal::from_json(&json) else {
            self.counters.malformed += 1;
            return self.ack(rcv_id, msg_id);
        };
        if !contact.window.is_fresh(signal.ctr) {
            self.counters.replays += 1;
            return self.ack(rcv_id, msg_id);
        }
        let ctr = signal.ctr;
        let held = match signal.body {
            SignalBody::ContactAccepted(accepted) => {
                self.on_contact_accepted(&contact.id, accepted);
                false
            }
            SignalBody::ContactRemoved => {
                self.emit(Event::Notice(Notice::RemovedBy(contact.name.clone())));
                false
            }
            SignalBody::ContactRequest(_) => {
                self.counters.malformed += 1;
                false
            }
            SignalBody::Call(call) => {
                let call_id = call.call_id;
                let is_invite = matches!(call.msg, CallMsg::Invite { .. });
                if is_invite && self.profile.has_seen_call(&call_id) {
                    self.counters.replays += 1;
                    false
                } else {
                    let age = self.age(ts, signal.ts);
                    if is_invite {
                        self.remember_invite_time(call_id, ts);
                    }
                    let from = Peer {
                        id: contact.id.clone(),
                        identity: contact.pk,
                    };
                    let _ = self.phone.handle_input(
                        self.now.mono,
                        PhoneInput::Signal {
                            from,
                            age,
                            signal: call,
                        },
                    );
                    let rings = self.phone.call().is_some_and(|c| {
                        c.call_id == call_id && c.state == CallState::RingingIncoming
                    });
                    if is_invite && rings {
                        self.held.push(Held {
                            call_id,
                            rcv_id,
                            msg_id: msg_id.clone(),
                            contact: contact.id.clone(),
                            ctr,
                        });
                        true
                    } else {
                        if is_invite {
                            self.profile.remember_call(call_id);
                        }
                        false
                    }
                }
            }
        };
        if !held {
            self.commit(&contact.id, ctr);
            self.ack(rcv_id, msg_id);
        }
        self.drain_phone();
    }

    /// Keeps when the relay stored an invitation, for a missed call's time; a few calls'
    /// worth, so a device that runs for weeks does not grow.
    fn remember_invite_time(&mut self, call_id: CallId, ts: u64) {
        const KEEP: usize = 16;
        if self.invite_ts.len() >= KEEP {
            let current = self.phone.call().map(|c| c.call_id);
            self.invite_ts.retain(|id, _| Some(*id) == current);
        }
        self.invite_ts.insert(call_id, ts);
    }

    /// How old a message is: the relay's word, unless the sender's own clock says it is much
    /// older than that (beyond what clock skew explains).
    fn age(&self, relay_ts: u64, sender_ts: u64) -> Duration {
        let relay_age = self.now.wall_ms.saturating_sub(relay_ts);
        let sender_age = self
            .now
            .wall_ms
            .saturating_sub(sender_ts)
            .saturating_sub(self.config.max_clock_skew.0);
        Duration(relay_age.max(sender_age))
    }

    fn commit(&mut self, contact: &PeerId, ctr: u64) {
        if let Some(c) = self.profile.contact_mut(contact) {
            c.window.commit(ctr);
            self.persist();
        }
    }

    pub(crate) fn ack(&mut self, rcv_id: RcvId, msg_id: MsgId) {
        let home = self.config.home.clone();
        self.request(
            &home,
            |id| ClientMsg::Ack { id, rcv_id, msg_id },
            Purpose::Plain,
        );
    }

    /// The call no longer rings: its invitation may leave the relay now.
    pub(crate) fn release_held(&mut self, call_id: CallId) {
        let (done, kept): (Vec<Held>, Vec<Held>) =
            self.held.drain(..).partition(|h| h.call_id == call_id);
        self.held = kept;
        for held in done {
            self.commit(&held.contact, held.ctr);
            self.profile.remember_call(held.call_id);
            self.persist();
            self.ack(held.rcv_id, held.msg_id);
        }
    }

    /// Seals `body` for a contact with their next counter and sends it to their queue. The
    /// counter is stored (`Persist`) before the send goes out.
    pub(crate) fn send_signal(
        &mut self,
        to: &PeerId,
        body: SignalBody,
        purpose: Purpose,
    ) -> Result<(), SendError> {
        let wall = self.now.wall_ms;
        let contact = self.profile.contact_mut(to).ok_or(SendError::NoRoute)?;
        let route = contact.send.clone().ok_or(SendError::NoRoute)?;
        let pk = contact.pk;
        let ctr = contact.next_ctr;
        contact.next_ctr += 1;
        self.persist();
        let signal = Signal::stamped(body, wall, ctr);
        let sealed = Sealer::auth(&self.identity, pk)
            .seal(&signal.to_json(), &mut self.rng)
            .map_err(|_| SendError::Seal)?;
        self.request(
            &route.relay,
            |id| ClientMsg::Send {
                id,
                snd_id: route.snd_id,
                payload: Payload(sealed),
            },
            purpose,
        );
        Ok(())
    }
}
