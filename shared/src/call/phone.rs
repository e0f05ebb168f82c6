//! One device's calls: routes each input to the right session and applies the rules that need
//! to see more than one call: busy, glare, stale and cancelled invitations.

use std::collections::VecDeque;

use rand_core::CryptoRng;

use crate::call::session::{CallSetup, Outbox, Session};
use crate::call::{
    CallError, CallInfo, CallState, Command, Event, Input, Output, Peer, PhoneConfig, RtcAction,
    RtcEvent,
};
use crate::crypto::{CallKeyPair, DhCommit, PublicKey, Role, SecurityCode};
use crate::ids::CallId;
use crate::time::{Duration, Millis};
use crate::wire::signal::{CallMsg, CallSignal};

/// How long ended and refused call ids are remembered, so late or duplicate messages for them
/// are dropped quietly and a cancelled invitation that arrives late never rings.
const TOMBSTONE_TTL: Duration = Duration::secs(300);
const MAX_TOMBSTONES: usize = 256;

/// A call id this phone is done with.
#[derive(Debug)]
struct Tombstone {
    call_id: CallId,
    until: Millis,
    /// Its hang-up came before its invitation: the invitation still shows once, as missed.
    cancelled_before_invite: bool,
}

/// One device's calling. See the [module docs](crate::call) for the drive loop.
#[derive(Debug)]
pub struct Phone<R> {
    config: PhoneConfig,
    identity: PublicKey,
    rng: R,
    call: Option<Session>,
    tombstones: VecDeque<Tombstone>,
    out: Outbox,
}

impl<R: CryptoRng> Phone<R> {
    /// A phone for the profile whose identity key is `identity`. `rng` makes call ids and
    /// per-call keys (the browser passes the OS generator; tests a seeded one).
    pub fn new(config: PhoneConfig, identity: PublicKey, rng: R) -> Self {
        Self {
            config,
            identity,
            rng,
            call: None,
            tombstones: VecDeque::new(),
            out: Outbox::default(),
        }
    }

    /// The current call, if any (ended calls are gone once their `ENDED` event was emitted).
    #[must_use]
    pub fn call(&self) -> Option<CallInfo> {
        self.call.as_ref().map(Session::info)
    }

    /// The current call's security code, once keys are agreed: the caller's when the offer
    /// arrives, the callee's when the answer reveals a key that matches the commitment.
    #[must_use]
    pub fn security_code(&self) -> Option<SecurityCode> {
        self.call.as_ref().and_then(Session::security_code)
    }

    /// The timers in use.
    #[must_use]
    pub const fn config(&self) -> &PhoneConfig {
        &self.config
    }

    /// Handles one input. Drain [`Phone::poll_output`] afterwards.
    ///
    /// # Errors
    /// [`CallError`] for input that was ignored; the phone's state is consistent either way.
    pub fn handle_input(&mut self, now: Millis, input: Input) -> Result<(), CallError> {
        self.forget_old_tombstones(now);
        let result = match input {
            Input::Command(command) => self.handle_command(now, command),
            Input::Signal { from, age, signal } => self.handle_signal(now, from, age, signal),
            Input::Rtc { call_id, event } => self.handle_rtc(now, call_id, event),
            Input::Timeout => {
                if let Some(call) = &mut self.call {
                    call.handle_timeout(now, &self.config, &mut self.out);
                }
                Ok(())
            }
        };
        self.retire_ended(now);
        result
    }

    /// The next output; the last one of a drain is always [`Output::Timeout`].
    pub fn poll_output(&mut self) -> Output {
        self.out
            .0
            .pop_front()
            .unwrap_or_else(|| Output::Timeout(self.call.as_ref().and_then(Session::deadline)))
    }

    fn handle_command(&mut self, now: Millis, command: Command) -> Result<(), CallError> {
        match command {
            Command::Start { peer, media } => {
                if let Some(call) = &self.call {
                    // Calling back the contact who is ringing us is answering them.
                    if call.state == CallState::RingingIncoming && call.peer.id == peer.id {
                        return self.handle_command(now, Command::Accept { media });
                    }
                    return Err(CallError::Busy);
                }
                let id = CallId::random(&mut self.rng);
                let keys = CallKeyPair::generate(&mut self.rng);
                let setup = CallSetup { id, peer, media };
                let session =
                    Session::outgoing(now, &self.config, self.identity, setup, keys, &mut self.out);
                self.call = Some(session);
                Ok(())
            }
            Command::Accept { media } => {
                let keys = CallKeyPair::generate(&mut self.rng);
                let call = self.call.as_mut().ok_or(CallError::NoCall)?;
                call.accept(now, &self.config, media, keys, &mut self.out)
            }
            Command::Decline => self
                .call
                .as_mut()
                .ok_or(CallError::NoCall)?
                .decline(&mut self.out),
            Command::RefuseBusy => self.refuse_busy(),
            Command::Hangup => {
                self.call
                    .as_mut()
                    .ok_or(CallError::NoCall)?
                    .hangup(&mut self.out);
                Ok(())
            }
            Command::SetMedia {
                audio,
                video,
                screen,
            } => self.call.as_mut().ok_or(CallError::NoCall)?.set_media(
                &mut self.out,
                audio,
                video,
                screen,
            ),
        }
    }

    /// Ends the ringing call as if we were in another one: the same `Busy` the caller hears
    /// then, and the same missed call here.
    fn refuse_busy(&mut self) -> Result<(), CallError> {
        let call = self.call.as_mut().ok_or(CallError::NoCall)?;
        if call.state != CallState::RingingIncoming {
            return Err(CallError::Unexpected {
                state: call.state,
                got: "refuse_busy",
            });
        }
        let busy = crate::wire::signal::EndReason::Busy;
        call.end(&mut self.out, busy, Some(CallMsg::Busy));
        let missed = Event::Missed {
            call_id: call.id,
            peer: call.peer.id.clone(),
            media: call.media,
            busy: true,
        };
        self.out.0.push_back(Output::Event(missed));
        Ok(())
    }

    fn handle_signal(
        &mut self,
        now: Millis,
        from: Peer,
        age: Duration,
        signal: CallSignal,
    ) -> Result<(), CallError> {
        let CallSignal { call_id, seq, msg } = signal;
        if let Some(call) = self.call.as_mut().filter(|c| c.id == call_id) {
            if call.peer.id != from.id {
                return Err(CallError::WrongPeer {
                    call_id,
                    got: msg.kind(),
                });
            }
            return call.handle_signal(now, &self.config, seq, msg, &mut self.out);
        }
        if let Some(stone) = self.tombstones.iter_mut().find(|t| t.call_id == call_id) {
            if let (true, CallMsg::Invite { media, .. }) = (stone.cancelled_before_invite, &msg) {
                stone.cancelled_before_invite = false;
                let event = Event::Missed {
                    call_id,
                    peer: from.id,
                    media: *media,
                    busy: false,
                };
                self.out.0.push_back(Output::Event(event));
            }
            return Ok(());
        }
        match msg {
            CallMsg::Invite {
                media,
                dh_commit,
                lifetime_ms,
                ..
            } => {
                let setup = CallSetup {
                    id: call_id,
                    peer: from,
                    media,
                };
                self.handle_invite(now, setup, age, dh_commit, lifetime_ms);
                Ok(())
            }
            // A hang-up overtaking its invitation: remember it, so the invitation never rings.
            CallMsg::Hangup { .. } => {
                self.tombstone(now, call_id);
                self.tombstones
                    .back_mut()
                    .expect("just pushed")
                    .cancelled_before_invite = true;
                Ok(())
            }
            other => Err(CallError::UnknownCall {
                call_id,
                got: other.kind(),
            }),
        }
    }

    fn handle_invite(
        &mut self,
        now: Millis,
        setup: CallSetup,
        age: Duration,
        dh_commit: DhCommit,
        lifetime_ms: u32,
    ) {
        let (call_id, media, from) = (setup.id, setup.media, &setup.peer);
        let lifetime = Duration::ms(u64::from(lifetime_ms)).min(self.config.max_incoming_lifetime);
        let remaining = Duration(lifetime.0.saturating_sub(age.0));
        let missed = |busy| {
            Output::Event(Event::Missed {
                call_id,
                peer: from.id.clone(),
                media,
                busy,
            })
        };

        if remaining < self.config.ring_grace {
            self.tombstone(now, call_id);
            self.out.0.push_back(missed(false));
            return;
        }
        let mut auto_accept = None;
        if let Some(call) = self.call.as_mut() {
            if call.peer.id == from.id
                && call.role == Role::Caller
                && matches!(
                    call.state,
                    CallState::RingingOutgoing | CallState::Connecting
                )
            {
                // Glare: both called each other. The smaller call id survives on both sides.
                // Once connecting, though, the peer had accepted ours: a new invitation means
                // they lost that call (a reload), so theirs replaces it whatever its id.
                if call.state == CallState::RingingOutgoing && call.id < call_id {
                    self.tombstone(now, call_id);
                    return;
                }
                let old = call.id;
                auto_accept = Some(call.media);
                // Its peer connection (and capture) must go too: nothing else will end it.
                if call.is_prepared() {
                    self.out.0.push_back(Output::Rtc {
                        call_id: old,
                        action: RtcAction::Close,
                    });
                }
                self.call = None;
                self.tombstone(now, old);
                self.out
                    .0
                    .push_back(Output::Event(Event::Replaced { old, new: call_id }));
            } else if call.peer.id == from.id {
                // The peer calls again while we think we are in a call with them: they lost
                // that call (a reload, a crash). Theirs is the truth.
                call.end_by_peer(&mut self.out, crate::wire::signal::EndReason::RemoteHangup);
                self.retire_ended(now);
            } else {
                // One call at a time.
                self.tombstone(now, call_id);
                let busy = CallSignal {
                    call_id,
                    seq: 0,
                    msg: CallMsg::Busy,
                };
                self.out.0.push_back(Output::Send {
                    to: from.id.clone(),
                    signal: busy,
                });
                self.out.0.push_back(missed(true));
                return;
            }
        }
        let session = Session::incoming(
            self.identity,
            setup,
            dh_commit,
            now + remaining,
            &mut self.out,
        );
        self.call = Some(session);
        if let Some(media) = auto_accept {
            let keys = CallKeyPair::generate(&mut self.rng);
            let call = self.call.as_mut().expect("just inserted");
            call.accept(now, &self.config, media, keys, &mut self.out)
                .expect("a fresh incoming call can be accepted");
        }
    }

    fn handle_rtc(
        &mut self,
        now: Millis,
        call_id: CallId,
        event: RtcEvent,
    ) -> Result<(), CallError> {
        match self.call.as_mut().filter(|c| c.id == call_id) {
            Some(call) => call.handle_rtc(now, &self.config, event, &mut self.out),
            // Results for a call that already ended are expected (the glue races the end).
            None => Ok(()),
        }
    }

    /// Moves an ended session out, remembering its id.
    fn retire_ended(&mut self, now: Millis) {
        if let Some(call) = self.call.take_if(|c| c.state.is_ended()) {
            self.tombstone(now, call.id);
        }
    }

    fn tombstone(&mut self, now: Millis, call_id: CallId) {
        if self.tombstones.len() == MAX_TOMBSTONES {
            self.tombstones.pop_front();
        }
        self.tombstones.push_back(Tombstone {
            call_id,
            until: now + TOMBSTONE_TTL,
            cancelled_before_invite: false,
        });
    }

    fn forget_old_tombstones(&mut self, now: Millis) {
        while self.tombstones.front().is_some_and(|t| t.until <= now) {
            self.tombstones.pop_front();
        }
    }
}
