//! One call's transitions. The [`Phone`](super::Phone) decides which session a message belongs
//! to; the session decides what it means.

use std::collections::VecDeque;

use crate::call::ice::{IceBatcher, IceSend};
use crate::call::inbox::Inbox;
use crate::call::restart::{AnswerFate, OfferFate, Restarts};
use crate::call::{
    CallError, CallInfo, CallState, Event, IceState, Output, Peer, PhoneConfig, RtcAction, RtcEvent,
};
use crate::crypto::{
    CallKeyPair, DhCommit, KeyAgreementError, MediaSecret, PublicKey, Role, SecurityCode,
};
use crate::ids::CallId;
use crate::time::{Duration, Millis};
use crate::wire::signal::{CallMsg, CallSignal, EndReason, IceCandidate, Media, SdpRole};

/// What the glue is producing a local description for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Producing {
    InitialOffer,
    InitialAnswer,
    RestartOffer,
    RestartAnswer,
}

#[derive(Debug, Default)]
struct Timers {
    ring: Option<Millis>,
    connect: Option<Millis>,
    give_up: Option<Millis>,
}

/// A call as both ends first know it: which call, with whom, for what.
#[derive(Debug)]
pub(crate) struct CallSetup {
    pub(crate) id: CallId,
    pub(crate) peer: Peer,
    pub(crate) media: Media,
}

/// The outputs of one session, in order.
#[derive(Debug, Default)]
pub(crate) struct Outbox(pub(crate) VecDeque<Output>);

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: CallId,
    pub(crate) peer: Peer,
    pub(crate) role: Role,
    pub(crate) media: Media,
    pub(crate) state: CallState,
    /// Our per-call key, until the agreement consumes it.
    keys: Option<CallKeyPair>,
    /// Our per-call public key: the callee sends it in the offer, the caller reveals it in the
    /// answer.
    own_dh: Option<PublicKey>,
    /// Callee: the invitation's commitment to the caller's key, checked against the answer.
    peer_commit: Option<DhCommit>,
    /// Set once keys are agreed (and handed to the glue).
    security_code: Option<SecurityCode>,
    /// The glue has a peer connection for this call.
    prepared: bool,
    out_seq: u32,
    inbox: Inbox,
    ice: IceBatcher,
    producing: Option<Producing>,
    restarts: Restarts,
    /// The peer said it sends something (microphone, camera or screen); only then does
    /// media that stops arriving mean the path is lost.
    peer_sending: bool,
    /// The glue measured that inbound media stopped arriving.
    media_stalled: bool,
    /// The last ICE state the glue reported.
    ice_state: IceState,
    timers: Timers,
    identity: PublicKey,
}

impl Session {
    /// An outgoing call: sends the invitation and starts ringing.
    /// The invitation commits to `keys` without revealing them (see [`DhCommit`]).
    pub(crate) fn outgoing(
        now: Millis,
        config: &PhoneConfig,
        identity: PublicKey,
        setup: CallSetup,
        keys: CallKeyPair,
        out: &mut Outbox,
    ) -> Self {
        let mut session = Self::new(
            identity,
            setup,
            Role::Caller,
            CallState::RingingOutgoing,
            Inbox::default(),
        );
        let lifetime_ms = u32::try_from(config.ring_lifetime.0).unwrap_or(u32::MAX);
        let dh_commit = DhCommit::of(&session.id, &keys.public());
        session.send(
            out,
            CallMsg::Invite {
                media: session.media,
                encryption: true,
                dh_commit,
                lifetime_ms,
            },
        );
        session.own_dh = Some(keys.public());
        session.keys = Some(keys);
        session.timers.ring = Some(now + config.ring_lifetime);
        session.emit_state(out);
        session
    }

    /// An incoming call that rings until `ring_until`; `peer_commit` is the invitation's
    /// commitment to the caller's key.
    pub(crate) fn incoming(
        identity: PublicKey,
        setup: CallSetup,
        peer_commit: DhCommit,
        ring_until: Millis,
        out: &mut Outbox,
    ) -> Self {
        // The invitation was the caller's message 0.
        let mut session = Self::new(
            identity,
            setup,
            Role::Callee,
            CallState::RingingIncoming,
            Inbox::starting_at(1),
        );
        session.peer_commit = Some(peer_commit);
        session.timers.ring = Some(ring_until);
        session.emit_state(out);
        session
    }

    fn new(
        identity: PublicKey,
        CallSetup { id, peer, media }: CallSetup,
        role: Role,
        state: CallState,
        inbox: Inbox,
    ) -> Self {
        Self {
            id,
            peer,
            role,
            media,
            state,
            keys: None,
            own_dh: None,
            peer_commit: None,
            security_code: None,
            prepared: false,
            out_seq: 0,
            inbox,
            ice: IceBatcher::default(),
            producing: None,
            restarts: Restarts::default(),
            peer_sending: true,
            media_stalled: false,
            ice_state: IceState::New,
            timers: Timers::default(),
            identity,
        }
    }

    pub(crate) fn info(&self) -> CallInfo {
        CallInfo {
            call_id: self.id,
            peer: self.peer.id.clone(),
            role: self.role,
            media: self.media,
            state: self.state,
        }
    }

    pub(crate) fn security_code(&self) -> Option<SecurityCode> {
        self.security_code
    }

    /// Whether the glue holds a peer connection for this call (so ending it needs a `Close`).
    pub(crate) const fn is_prepared(&self) -> bool {
        self.prepared
    }

    fn emit_state(&self, out: &mut Outbox) {
        out.0.push_back(Output::Event(Event::State(self.info())));
    }

    fn send(&mut self, out: &mut Outbox, msg: CallMsg) {
        let signal = CallSignal {
            call_id: self.id,
            seq: self.out_seq,
            msg,
        };
        self.out_seq += 1;
        out.0.push_back(Output::Send {
            to: self.peer.id.clone(),
            signal,
        });
    }

    fn rtc(&self, out: &mut Outbox, action: RtcAction) {
        out.0.push_back(Output::Rtc {
            call_id: self.id,
            action,
        });
    }

    fn add_candidates(&self, out: &mut Outbox, candidates: Vec<IceCandidate>) {
        if !candidates.is_empty() {
            self.rtc(out, RtcAction::AddCandidates(candidates));
        }
    }

    fn set_state(&mut self, out: &mut Outbox, state: CallState) {
        if self.state != state {
            self.state = state;
            self.emit_state(out);
        }
    }

    /// Ends the call: tells the peer `notify` (if any), closes media, reports the reason.
    pub(crate) fn end(&mut self, out: &mut Outbox, reason: EndReason, notify: Option<CallMsg>) {
        if self.state.is_ended() {
            return;
        }
        if let Some(msg) = notify {
            self.send(out, msg);
        }
        if self.prepared {
            self.rtc(out, RtcAction::Close);
        }
        self.timers = Timers::default();
        self.keys = None;
        self.set_state(out, CallState::Ended(reason));
    }

    fn hang_up(&mut self, out: &mut Outbox, reason: EndReason) {
        self.end(out, reason, Some(CallMsg::Hangup { reason }));
    }

    fn unexpected(&self, got: &'static str) -> CallError {
        CallError::Unexpected {
            state: self.state,
            got,
        }
    }

    /// Asks the glue for the peer connection and its (still keyless) frame transforms.
    fn prepare(&mut self, out: &mut Outbox) {
        self.prepared = true;
        self.rtc(
            out,
            RtcAction::Prepare {
                role: self.role,
                media: self.media,
            },
        );
    }

    /// Agrees on the media secret with the peer's call key, consuming ours.
    fn agree(&mut self, peer_dh: &PublicKey) -> Result<MediaSecret, KeyAgreementError> {
        self.keys
            .take()
            .expect("own call key exists until the one agreement")
            .agree(&self.id, self.role, peer_dh)
    }

    /// Hands the secret to the glue and fixes the security code.
    fn set_keys(&mut self, out: &mut Outbox, secret: MediaSecret) {
        let security_code = secret.security_code(&self.identity, &self.peer.identity);
        self.security_code = Some(security_code);
        self.rtc(
            out,
            RtcAction::SetKeys {
                secret,
                security_code,
            },
        );
    }

    /// Callee: checks the caller's revealed key against the invitation's commitment, then
    /// agrees. `None` (and the caller's key is never used) when either fails.
    fn agree_revealed(&mut self, dh_pk: &PublicKey) -> Option<MediaSecret> {
        let commit = self
            .peer_commit
            .expect("incoming sessions hold the invitation's commitment");
        if !commit.matches(&self.id, dh_pk) {
            return None;
        }
        self.agree(dh_pk).ok()
    }

    /// Ends the call because the peer did (it hung up, or called again after losing this
    /// call); a call that was still ringing here is then missed.
    pub(crate) fn end_by_peer(&mut self, out: &mut Outbox, reason: EndReason) {
        let unanswered = self.state == CallState::RingingIncoming;
        self.end(out, reason, None);
        if unanswered {
            self.missed(out);
        }
    }

    /// An incoming call that rang and ended unanswered (cancelled, or rang out) is missed.
    fn missed(&self, out: &mut Outbox) {
        out.0.push_back(Output::Event(Event::Missed {
            call_id: self.id,
            peer: self.peer.id.clone(),
            media: self.media,
            busy: false,
        }));
    }

    // ---- commands ----

    pub(crate) fn accept(
        &mut self,
        now: Millis,
        config: &PhoneConfig,
        media: Media,
        keys: CallKeyPair,
        out: &mut Outbox,
    ) -> Result<(), CallError> {
        if self.state != CallState::RingingIncoming {
            return Err(self.unexpected("accept"));
        }
        self.media = media;
        self.own_dh = Some(keys.public());
        self.keys = Some(keys);
        self.timers.ring = None;
        self.set_state(out, CallState::Connecting);
        // No keys yet: they need the caller's key, revealed only in the answer.
        self.prepare(out);
        self.timers.connect = Some(now + config.connect_timeout);
        self.producing = Some(Producing::InitialOffer);
        self.rtc(out, RtcAction::CreateOffer { ice_restart: false });
        Ok(())
    }

    pub(crate) fn decline(&mut self, out: &mut Outbox) -> Result<(), CallError> {
        if self.state != CallState::RingingIncoming {
            return Err(self.unexpected("decline"));
        }
        self.end(out, EndReason::Rejected, Some(CallMsg::Reject));
        Ok(())
    }

    pub(crate) fn hangup(&mut self, out: &mut Outbox) {
        if self.state == CallState::RingingIncoming {
            self.end(out, EndReason::Rejected, Some(CallMsg::Reject));
        } else {
            self.hang_up(out, EndReason::LocalHangup);
        }
    }

    pub(crate) fn set_media(
        &mut self,
        out: &mut Outbox,
        audio: bool,
        video: bool,
        screen: bool,
    ) -> Result<(), CallError> {
        if self.state.is_ended() || self.state == CallState::RingingIncoming {
            return Err(self.unexpected("set_media"));
        }
        self.send(
            out,
            CallMsg::Media {
                audio,
                video,
                screen,
            },
        );
        Ok(())
    }

    // ---- peer messages ----

    pub(crate) fn handle_signal(
        &mut self,
        now: Millis,
        config: &PhoneConfig,
        seq: u32,
        msg: CallMsg,
        out: &mut Outbox,
    ) -> Result<(), CallError> {
        let mut result = Ok(());
        for msg in self.inbox.accept(now, config.gap_wait, seq, msg) {
            let r = self.handle_ordered(now, config, msg, out);
            result = result.and(r);
        }
        result
    }

    fn handle_ordered(
        &mut self,
        now: Millis,
        config: &PhoneConfig,
        msg: CallMsg,
        out: &mut Outbox,
    ) -> Result<(), CallError> {
        if self.state.is_ended() {
            return Ok(());
        }
        match (self.role, msg) {
            (_, CallMsg::Hangup { reason }) => self.end_by_peer(out, reason.as_seen_by_peer()),
            (Role::Caller, CallMsg::Reject) if self.state == CallState::RingingOutgoing => {
                self.end(out, EndReason::Rejected, None);
            }
            (Role::Caller, CallMsg::Busy) if self.state == CallState::RingingOutgoing => {
                self.end(out, EndReason::Busy, None);
            }
            (
                Role::Caller,
                CallMsg::Offer {
                    media,
                    sdp,
                    candidates,
                    dh_pk,
                },
            ) if self.state == CallState::RingingOutgoing => {
                self.media = media;
                self.timers.ring = None;
                self.set_state(out, CallState::Connecting);
                // Our key was fixed by the invitation's commitment before we saw theirs.
                let Ok(secret) = self.agree(&dh_pk) else {
                    self.hang_up(out, EndReason::Invalid);
                    return Ok(());
                };
                self.prepare(out);
                self.set_keys(out, secret);
                self.timers.connect = Some(now + config.connect_timeout);
                self.producing = Some(Producing::InitialAnswer);
                self.rtc(out, RtcAction::ApplyOffer { sdp });
                self.add_candidates(out, candidates);
            }
            (
                Role::Callee,
                CallMsg::Answer {
                    sdp,
                    candidates,
                    dh_pk,
                },
            ) if self.state == CallState::Connecting
                && self.prepared
                && self.security_code.is_none() =>
            {
                let Some(secret) = self.agree_revealed(&dh_pk) else {
                    self.hang_up(out, EndReason::Invalid);
                    return Ok(());
                };
                // Keys before the answer: DTLS cannot complete, so no frame can leave or
                // arrive, before the transforms hold them.
                self.set_keys(out, secret);
                self.rtc(out, RtcAction::ApplyAnswer { sdp });
                self.add_candidates(out, candidates);
            }
            (_, CallMsg::Candidates { candidates, .. }) if self.prepared => {
                self.add_candidates(out, candidates);
            }
            (
                Role::Caller,
                CallMsg::Renegotiate {
                    generation,
                    sdp,
                    role: SdpRole::Offer,
                },
            ) if self.prepared => {
                let busy = self.producing.is_some();
                if let OfferFate::Apply(sdp) = self.restarts.offer(generation, sdp, busy) {
                    self.apply_restart_offer(out, sdp);
                }
            }
            (
                Role::Callee,
                CallMsg::Renegotiate {
                    generation,
                    sdp,
                    role: SdpRole::Answer,
                },
            ) if self.prepared => {
                // An answer to an attempt we already gave up on is ignored: our local
                // description is a newer offer now.
                match self.restarts.answered(generation) {
                    AnswerFate::Apply => self.rtc(out, RtcAction::ApplyAnswer { sdp }),
                    AnswerFate::Futile => {
                        self.restarts.want_at(now);
                        self.start_due_restart(now, config, out);
                    }
                    AnswerFate::Stale => {}
                }
            }
            (
                _,
                CallMsg::Media {
                    audio,
                    video,
                    screen,
                },
            ) => {
                self.peer_sending = audio || video || screen;
                out.0.push_back(Output::Event(Event::PeerMedia {
                    call_id: self.id,
                    audio,
                    video,
                    screen,
                }));
            }
            (_, msg) => return Err(self.unexpected(msg.kind())),
        }
        Ok(())
    }

    // ---- WebRTC results ----

    pub(crate) fn handle_rtc(
        &mut self,
        now: Millis,
        config: &PhoneConfig,
        event: RtcEvent,
        out: &mut Outbox,
    ) -> Result<(), CallError> {
        if self.state.is_ended() {
            return Ok(());
        }
        match event {
            RtcEvent::LocalDescription { sdp } => {
                let producing = self
                    .producing
                    .take()
                    .ok_or_else(|| self.unexpected("local_description"))?;
                match producing {
                    Producing::InitialOffer | Producing::InitialAnswer => {
                        let send = self.ice.description(sdp);
                        self.ice_send(out, Some(send));
                    }
                    Producing::RestartOffer => {
                        let generation = self.restarts.generation();
                        self.send(
                            out,
                            CallMsg::Renegotiate {
                                generation,
                                sdp,
                                role: SdpRole::Offer,
                            },
                        );
                    }
                    // A newer offer arrived while this answer was made: the offerer has moved
                    // on, so this answer is stale and the newer offer is applied instead.
                    Producing::RestartAnswer if self.restarts.has_pending() => {}
                    Producing::RestartAnswer => {
                        let generation = self.restarts.generation();
                        self.send(
                            out,
                            CallMsg::Renegotiate {
                                generation,
                                sdp,
                                role: SdpRole::Answer,
                            },
                        );
                    }
                }
                if let Some(sdp) = self.restarts.take_pending() {
                    self.apply_restart_offer(out, sdp);
                }
            }
            RtcEvent::LocalCandidate(candidate) => {
                self.restarts.candidate();
                self.ice.candidate(now, config.candidate_batch, candidate);
            }
            RtcEvent::GatheringComplete => {
                let send = self.ice.gathering_complete();
                self.ice_send(out, send);
            }
            RtcEvent::Ice(state) => self.handle_ice(now, config, state, out),
            RtcEvent::InboundMedia { flowing } => self.handle_flow(now, config, flowing, out),
            RtcEvent::RelayUnreachable => self.hang_up(out, EndReason::TurnFailed),
            RtcEvent::MediaFailed => self.hang_up(out, EndReason::MediaFailed),
            // Reconnecting, the signalling is usually down with the media path (one link):
            // a lost restart offer only means its attempt runs out and the next follows, and
            // the give-up timer decides the call. Ending it here ended calls 10 s into any
            // outage, before the link could return (issue #11).
            RtcEvent::SendFailed if self.state == CallState::Reconnecting => {}
            RtcEvent::SendFailed => self.end(out, EndReason::SignallingFailed, None),
        }
        Ok(())
    }

    fn ice_send(&mut self, out: &mut Outbox, send: Option<IceSend>) {
        match send {
            None => {}
            Some(IceSend::Candidates { candidates, done }) => {
                self.send(out, CallMsg::Candidates { candidates, done })
            }
            Some(IceSend::Description { sdp, candidates }) => {
                let msg = match self.role {
                    Role::Callee => CallMsg::Offer {
                        media: self.media,
                        sdp,
                        candidates,
                        dh_pk: self.own_dh_public(),
                    },
                    Role::Caller => CallMsg::Answer {
                        sdp,
                        candidates,
                        dh_pk: self.own_dh_public(),
                    },
                };
                self.send(out, msg);
            }
        }
    }

    fn own_dh_public(&self) -> PublicKey {
        self.own_dh
            .expect("a session that sends a description holds its call key's public half")
    }

    fn handle_ice(&mut self, now: Millis, config: &PhoneConfig, state: IceState, out: &mut Outbox) {
        self.ice_state = state;
        match state {
            IceState::Connected | IceState::Completed => self.reconnected(out),
            IceState::Disconnected | IceState::Failed
                if matches!(self.state, CallState::Connected | CallState::Reconnecting) =>
            {
                let wait = if state == IceState::Failed {
                    Duration::ms(0)
                } else {
                    config.restart_after
                };
                self.path_lost(now, config, wait, out);
            }
            // Before the first connection, `failed` may only mean the answer is late
            // (research: SimpleX ignores it until the connect timeout); the timeout decides.
            _ => {}
        }
    }

    /// The glue's measurement of inbound media. Media that stops while the peer sends is a
    /// lost path, noticed long before the browser's ICE state says so (Chromium takes 5–8 s
    /// to say `disconnected`), so the restart starts at once. Media that flows again while
    /// ICE still holds its pair means the path is back.
    fn handle_flow(&mut self, now: Millis, config: &PhoneConfig, flowing: bool, out: &mut Outbox) {
        self.media_stalled = !flowing;
        let ice_up = matches!(self.ice_state, IceState::Connected | IceState::Completed);
        match self.state {
            CallState::Connected if !flowing && self.peer_sending => {
                self.path_lost(now, config, Duration::ms(0), out);
            }
            CallState::Reconnecting if flowing && ice_up => self.reconnected(out),
            _ => {}
        }
    }

    /// Connectivity is lost: RECONNECTING, a deadline to give up, and (only the original
    /// offerer, the callee, restarts; the caller answers) an ICE restart after `wait`.
    fn path_lost(&mut self, now: Millis, config: &PhoneConfig, wait: Duration, out: &mut Outbox) {
        self.set_state(out, CallState::Reconnecting);
        self.timers
            .give_up
            .get_or_insert(now + config.give_up_after);
        if self.role == Role::Callee {
            self.restarts.want_at(now + wait);
            self.start_due_restart(now, config, out);
        }
    }

    /// Offerer: starts the ICE restart that is due, if any (one at a time, see [`Restarts`]).
    fn start_due_restart(&mut self, now: Millis, config: &PhoneConfig, out: &mut Outbox) {
        let reconnecting = self.state == CallState::Reconnecting;
        let busy = self.producing.is_some();
        if self
            .restarts
            .poll_start(now, config, reconnecting, busy)
            .is_some()
        {
            self.producing = Some(Producing::RestartOffer);
            self.ice.restart();
            self.rtc(out, RtcAction::CreateOffer { ice_restart: true });
        }
    }

    fn reconnected(&mut self, out: &mut Outbox) {
        self.timers.connect = None;
        self.timers.give_up = None;
        self.restarts.recovered();
        self.set_state(out, CallState::Connected);
    }

    /// Answerer: applies one restart offer (the only description being made until its
    /// answer is ready).
    fn apply_restart_offer(&mut self, out: &mut Outbox, sdp: String) {
        self.producing = Some(Producing::RestartAnswer);
        self.ice.restart();
        self.rtc(out, RtcAction::ApplyOffer { sdp });
    }

    // ---- time ----

    pub(crate) fn deadline(&self) -> Option<Millis> {
        [
            self.timers.ring,
            self.timers.connect,
            self.restarts.deadline(),
            self.timers.give_up,
            self.inbox.deadline(),
            self.ice.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub(crate) fn handle_timeout(&mut self, now: Millis, config: &PhoneConfig, out: &mut Outbox) {
        let due = |t: Option<Millis>| t.is_some_and(|t| t <= now);
        if due(self.timers.ring) {
            self.timers.ring = None;
            match self.role {
                Role::Caller => self.hang_up(out, EndReason::RingTimeout),
                // The caller's own ring timer ends its side; nothing to send.
                Role::Callee => {
                    self.end(out, EndReason::RingTimeout, None);
                    self.missed(out);
                }
            }
        }
        if due(self.timers.connect) {
            self.timers.connect = None;
            self.hang_up(out, EndReason::ConnectTimeout);
        }
        if due(self.timers.give_up) {
            self.timers.give_up = None;
            self.hang_up(out, EndReason::IceFailed);
        }
        if !self.state.is_ended() {
            self.start_due_restart(now, config, out);
        }
        if self.state.is_ended() {
            return;
        }
        for msg in self.inbox.expire(now, config.gap_wait) {
            // Errors here are stale or misplaced messages; the call is unaffected.
            let _ = self.handle_ordered(now, config, msg, out);
        }
        let send = self.ice.expire(now);
        self.ice_send(out, send);
    }
}
