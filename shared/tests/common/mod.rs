//! A simulated world for call scenarios: phones, a fake relay that can delay, drop, duplicate
//! and reorder, and a fake WebRTC stack per phone. Time only moves when the world steps, so
//! every scenario is deterministic for a given seed (str0m's `progress()` style).

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng};
use sotto_shared::call::{
    CallInfo, CallState, Command, Event, IceState, Input, Output, Peer, Phone, PhoneConfig,
    RtcAction, RtcEvent,
};
use sotto_shared::crypto::{IdentityKeyPair, MediaSecret, Role, SecurityCode};
use sotto_shared::wire::signal::{CallMsg, CallSignal, EndReason, IceCandidate, Media};
use sotto_shared::{CallId, Duration, Millis, PeerId};

/// Network behaviour of the fake relay.
#[derive(Debug, Clone)]
pub struct RelayPolicy {
    /// Base one-way latency sender → relay → receiver.
    pub latency: Duration,
    /// Extra random latency, 0..jitter (reorders messages when larger than their spacing).
    pub jitter: Duration,
    /// Probability (0..=1) that a message is delivered twice.
    pub duplicate: f64,
    /// Probability (0..=1) that a message is lost.
    pub drop: f64,
}

impl Default for RelayPolicy {
    fn default() -> Self {
        Self {
            latency: Duration::ms(40),
            jitter: Duration::ms(0),
            duplicate: 0.0,
            drop: 0.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct InFlight {
    pub deliver_at: Millis,
    pub stored_at: Millis,
    pub from: PeerId,
    pub to: PeerId,
    pub signal: CallSignal,
    pub order: u64,
}

/// Every message that passed through the relay, for assertions.
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: Millis,
    pub from: PeerId,
    pub to: PeerId,
    pub signal: CallSignal,
}

#[derive(Debug)]
pub struct FakeRelay {
    pub policy: RelayPolicy,
    pub in_flight: Vec<InFlight>,
    pub log: Vec<Sent>,
    /// Receivers whose messages are held (offline) until released.
    pub offline: Vec<PeerId>,
    order: u64,
}

/// A fake RTCPeerConnection: produces descriptions and candidates on a schedule, and connects
/// once descriptions and candidates were exchanged and the network is up. Connecting is where
/// media would start to flow, so it panics if either side's transforms have no keys by then.
#[derive(Debug, Default)]
pub struct FakeRtc {
    pub call_id: Option<CallId>,
    pub prepared: Option<(Role, Media)>,
    /// What `SetKeys` gave the frame transforms.
    pub keys: Option<(MediaSecret, SecurityCode)>,
    pub local_description: Option<String>,
    pub remote_description: Option<String>,
    pub remote_candidates: Vec<IceCandidate>,
    pub closed: bool,
    pub generation: u32,
    pub ice: Option<IceState>,
    pub scheduled: Vec<(Millis, RtcEvent)>,
    pub actions: Vec<RtcAction>,
    /// `RTCPeerConnection.signalingState`, to catch the core asking for what a browser
    /// refuses ("Called in wrong state").
    pub signaling: Signaling,
    /// A description is being made (its `LocalDescription` is scheduled): a browser would
    /// run a second operation concurrently, so the core must not ask for one.
    pub busy: bool,
    /// What the glue last reported about inbound media.
    pub media_flowing: Option<bool>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Signaling {
    #[default]
    Stable,
    HaveLocalOffer,
}

pub struct Endpoint {
    pub name: PeerId,
    pub identity: IdentityKeyPair,
    pub phone: Phone<ChaCha20Rng>,
    pub rtc: FakeRtc,
    /// Every WebRTC action, with the call it was for, across peer connections.
    pub rtc_log: Vec<(CallId, RtcAction)>,
    pub events: Vec<(Millis, Event)>,
    pub errors: Vec<String>,
    pub wake: Option<Millis>,
}

pub struct World {
    pub now: Millis,
    pub config: PhoneConfig,
    pub relay: FakeRelay,
    pub endpoints: BTreeMap<PeerId, Endpoint>,
    /// When false, no fake ICE connectivity check succeeds (and connected calls disconnect).
    pub network_up: bool,
    /// How long after the network goes down ICE says `disconnected` (0: at once; Chromium
    /// takes 5–8 s).
    pub ice_notice: Duration,
    /// When set, the fake glue measures inbound media, and reports it stalled this long
    /// after the network goes down (and flowing again once ICE works).
    pub stall_notice: Option<Duration>,
    rng: ChaCha20Rng,
}

fn chance(rng: &mut ChaCha20Rng, p: f64) -> bool {
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    unit < p
}

pub fn peer(name: &str) -> PeerId {
    PeerId::from(name)
}

impl World {
    pub fn new(seed: u64, names: &[&str]) -> Self {
        Self::with_config(seed, names, PhoneConfig::default())
    }

    pub fn with_config(seed: u64, names: &[&str], config: PhoneConfig) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let endpoints = names
            .iter()
            .map(|name| {
                let identity = IdentityKeyPair::generate(&mut rng);
                let phone_rng = ChaCha20Rng::seed_from_u64(rng.next_u64());
                let phone = Phone::new(config.clone(), identity.public(), phone_rng);
                let endpoint = Endpoint {
                    name: peer(name),
                    identity,
                    phone,
                    rtc: FakeRtc::default(),
                    rtc_log: Vec::new(),
                    events: Vec::new(),
                    errors: Vec::new(),
                    wake: None,
                };
                (peer(name), endpoint)
            })
            .collect();
        Self {
            now: Millis(1_000_000),
            config,
            relay: FakeRelay {
                policy: RelayPolicy::default(),
                in_flight: Vec::new(),
                log: Vec::new(),
                offline: Vec::new(),
                order: 0,
            },
            endpoints,
            network_up: true,
            ice_notice: Duration::ms(0),
            stall_notice: None,
            rng,
        }
    }

    pub fn ep(&self, name: &str) -> &Endpoint {
        &self.endpoints[&peer(name)]
    }

    /// `name` reloads its app: a fresh phone (same identity, rng seeded with `seed`) and no
    /// peer connection; messages already on the relay stay there.
    pub fn reload(&mut self, name: &str, seed: u64) {
        let config = self.config.clone();
        let ep = self.endpoints.get_mut(&peer(name)).expect("known endpoint");
        ep.phone = Phone::new(
            config,
            ep.identity.public(),
            ChaCha20Rng::seed_from_u64(seed),
        );
        ep.rtc = FakeRtc::default();
        ep.wake = None;
    }

    pub fn contact(&self, name: &str) -> Peer {
        Peer {
            id: peer(name),
            identity: self.ep(name).identity.public(),
        }
    }

    /// Feeds one input to `name`'s phone and executes its outputs.
    pub fn input(&mut self, name: &str, input: Input) {
        let now = self.now;
        let ep = self.endpoints.get_mut(&peer(name)).expect("known endpoint");
        if let Err(e) = ep.phone.handle_input(now, input) {
            ep.errors.push(e.to_string());
        }
        self.drain(name);
    }

    pub fn command(&mut self, name: &str, command: Command) {
        self.input(name, Input::Command(command));
    }

    pub fn call(&mut self, from: &str, to: &str, media: Media) {
        let peer = self.contact(to);
        self.command(from, Command::Start { peer, media });
    }

    fn drain(&mut self, name: &str) {
        let now = self.now;
        loop {
            let output = self
                .endpoints
                .get_mut(&peer(name))
                .unwrap()
                .phone
                .poll_output();
            match output {
                Output::Send { to, signal } => self.relay_send(peer(name), to, signal),
                Output::Rtc { call_id, action } => self.rtc_apply(name, call_id, action),
                Output::Event(event) => self
                    .endpoints
                    .get_mut(&peer(name))
                    .unwrap()
                    .events
                    .push((now, event)),
                Output::Timeout(at) => {
                    self.endpoints.get_mut(&peer(name)).unwrap().wake = at;
                    break;
                }
            }
        }
    }

    fn relay_send(&mut self, from: PeerId, to: PeerId, signal: CallSignal) {
        self.relay.log.push(Sent {
            at: self.now,
            from: from.clone(),
            to: to.clone(),
            signal: signal.clone(),
        });
        let policy = self.relay.policy.clone();
        if chance(&mut self.rng, policy.drop) {
            return;
        }
        let copies = if chance(&mut self.rng, policy.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = if policy.jitter.0 == 0 {
                0
            } else {
                self.rng.next_u64() % policy.jitter.0
            };
            self.relay.order += 1;
            self.relay.in_flight.push(InFlight {
                deliver_at: self.now + policy.latency + Duration(jitter),
                stored_at: self.now + Duration(policy.latency.0 / 2),
                from: from.clone(),
                to: to.clone(),
                signal: signal.clone(),
                order: self.relay.order,
            });
        }
    }

    fn rtc_apply(&mut self, name: &str, call_id: CallId, action: RtcAction) {
        let now = self.now;
        // A phone whose whole link is down (its relay messages held) has no interface to
        // gather on; one whose media path alone is cut still gathers.
        let network_up = !self.relay.offline.contains(&peer(name));
        let name_owned = name.to_owned();
        let ep = self.endpoints.get_mut(&peer(name)).unwrap();
        ep.rtc_log.push((call_id, action.clone()));
        let rtc = &mut ep.rtc;
        rtc.actions.push(action.clone());
        match action {
            RtcAction::Prepare { role, media } => {
                *rtc = FakeRtc {
                    actions: std::mem::take(&mut rtc.actions),
                    ..FakeRtc::default()
                };
                rtc.call_id = Some(call_id);
                rtc.prepared = Some((role, media));
            }
            RtcAction::SetKeys {
                secret,
                security_code,
            } => {
                assert_eq!(rtc.call_id, Some(call_id), "SetKeys for a prepared call");
                assert!(rtc.keys.is_none(), "keys are set once per call");
                rtc.keys = Some((secret, security_code));
            }
            RtcAction::CreateOffer { ice_restart } => {
                assert!(
                    !rtc.busy,
                    "{name_owned}: createOffer while another is running"
                );
                rtc.busy = true;
                rtc.signaling = Signaling::HaveLocalOffer;
                if ice_restart {
                    rtc.generation += 1;
                }
                let sdp = format!("offer {name_owned} gen {}", rtc.generation);
                rtc.local_description = Some(sdp.clone());
                rtc.schedule_gathering(now, sdp, &name_owned, network_up);
            }
            RtcAction::ApplyOffer { sdp } => {
                assert!(
                    !rtc.busy && rtc.signaling == Signaling::Stable,
                    "{name_owned}: applying an offer while busy or in {:?}",
                    rtc.signaling
                );
                rtc.busy = true;
                if sdp.contains(" gen ") {
                    rtc.generation = sdp.rsplit(' ').next().unwrap().parse().unwrap();
                }
                rtc.remote_description = Some(sdp);
                let answer = format!("answer {name_owned} gen {}", rtc.generation);
                rtc.local_description = Some(answer.clone());
                rtc.schedule_gathering(now, answer, &name_owned, network_up);
            }
            RtcAction::ApplyAnswer { sdp } => {
                assert_eq!(
                    rtc.signaling,
                    Signaling::HaveLocalOffer,
                    "{name_owned}: Failed to set remote answer sdp: Called in wrong state"
                );
                assert!(
                    rtc.local_description
                        .as_deref()
                        .is_some_and(|l| { l.rsplit(' ').next() == sdp.rsplit(' ').next() }),
                    "{name_owned}: an answer of another generation ({sdp}) than our offer"
                );
                rtc.signaling = Signaling::Stable;
                rtc.remote_description = Some(sdp);
            }
            RtcAction::AddCandidates(candidates) => rtc.remote_candidates.extend(candidates),
            RtcAction::Close => rtc.closed = true,
        }
    }

    /// Time of the next thing that will happen.
    fn next_time(&self) -> Option<Millis> {
        let relay = self
            .relay
            .in_flight
            .iter()
            .filter(|m| !self.relay.offline.contains(&m.to))
            .map(|m| m.deliver_at)
            .min();
        let endpoints = self.endpoints.values().flat_map(|e| {
            e.wake
                .into_iter()
                .chain(e.rtc.scheduled.iter().map(|(t, _)| *t))
        });
        relay.into_iter().chain(endpoints).min()
    }

    /// Advances to the next event and handles everything due then. False when nothing is left.
    pub fn step(&mut self) -> bool {
        let Some(t) = self.next_time() else {
            return false;
        };
        self.now = self.now.max(t);
        self.deliver_due();
        self.fire_rtc_due();
        let names: Vec<PeerId> = self.endpoints.keys().cloned().collect();
        for name in &names {
            if self.endpoints[name].wake.is_some_and(|w| w <= self.now) {
                self.endpoints.get_mut(name).unwrap().wake = None;
                self.input(&name.0, Input::Timeout);
            }
        }
        self.update_connectivity();
        true
    }

    fn deliver_due(&mut self) {
        let now = self.now;
        let offline = self.relay.offline.clone();
        let mut due: Vec<InFlight> = Vec::new();
        self.relay.in_flight.retain(|m| {
            if m.deliver_at <= now && !offline.contains(&m.to) {
                due.push(m.clone());
                false
            } else {
                true
            }
        });
        due.sort_by_key(|m| (m.deliver_at, m.order));
        for m in due {
            let from = self.contact(&m.from.0);
            let age = now.saturating_since(m.stored_at);
            self.input(
                &m.to.0,
                Input::Signal {
                    from,
                    age,
                    signal: m.signal,
                },
            );
        }
    }

    fn fire_rtc_due(&mut self) {
        let now = self.now;
        let names: Vec<PeerId> = self.endpoints.keys().cloned().collect();
        for name in names {
            let rtc = &mut self.endpoints.get_mut(&name).unwrap().rtc;
            let (due, later): (Vec<_>, Vec<_>) =
                rtc.scheduled.drain(..).partition(|(t, _)| *t <= now);
            rtc.scheduled = later;
            let Some(call_id) = rtc.call_id else { continue };
            for (_, event) in due {
                let rtc = &mut self.endpoints.get_mut(&name).unwrap().rtc;
                match &event {
                    RtcEvent::LocalDescription { .. } => rtc.busy = false,
                    RtcEvent::Ice(state) => rtc.ice = Some(*state),
                    RtcEvent::InboundMedia { flowing } => rtc.media_flowing = Some(*flowing),
                    _ => {}
                }
                self.input(&name.0, Input::Rtc { call_id, event });
            }
        }
    }

    /// The fake ICE: a pair connects when both sides hold both descriptions of the same
    /// generation and some remote candidates, and the network is up.
    fn update_connectivity(&mut self) {
        let names: Vec<PeerId> = self.endpoints.keys().cloned().collect();
        for a in &names {
            let rtc = &self.endpoints[a].rtc;
            if rtc.closed || rtc.prepared.is_none() {
                continue;
            }
            let Some(call_id) = rtc.call_id else { continue };
            let partner = names.iter().find(|b| {
                *b != a
                    && self.endpoints[*b].rtc.call_id == Some(call_id)
                    && !self.endpoints[*b].rtc.closed
            });
            let ready = partner.is_some_and(|b| {
                let other = &self.endpoints[b].rtc;
                rtc.local_description.is_some()
                    && rtc.remote_description.is_some()
                    && !rtc.remote_candidates.is_empty()
                    && other.local_description == rtc.remote_description
                    && other.remote_description == rtc.local_description
            });
            let instant_notice = self.ice_notice.0 == 0;
            let want = match (ready && self.network_up, rtc.ice) {
                (true, Some(IceState::Connected)) => None,
                (true, _) => Some(IceState::Connected),
                (false, Some(IceState::Connected)) if !self.network_up && instant_notice => {
                    Some(IceState::Disconnected)
                }
                _ => None,
            };
            // Media flows again once the path works (the glue reports the change).
            let flowing_again = self.network_up
                && rtc.media_flowing == Some(false)
                && (want == Some(IceState::Connected) || rtc.ice == Some(IceState::Connected));
            if let Some(state) = want {
                if state == IceState::Connected {
                    let b = partner.expect("connecting needs a partner");
                    assert!(
                        rtc.keys.is_some() && self.endpoints[b].rtc.keys.is_some(),
                        "{a}: media would flow before both sides have keys"
                    );
                }
                self.endpoints.get_mut(a).unwrap().rtc.ice = Some(state);
                self.input(
                    &a.0,
                    Input::Rtc {
                        call_id,
                        event: RtcEvent::Ice(state),
                    },
                );
            }
            if flowing_again {
                self.endpoints.get_mut(a).unwrap().rtc.media_flowing = Some(true);
                self.input(
                    &a.0,
                    Input::Rtc {
                        call_id,
                        event: RtcEvent::InboundMedia { flowing: true },
                    },
                );
            }
        }
    }

    /// Cuts or restores the network; ICE notices after `ice_notice`, the media watch after
    /// `stall_notice` (what was not noticed before the network returns never is).
    pub fn set_network(&mut self, up: bool) {
        self.network_up = up;
        let now = self.now;
        let (ice_notice, stall_notice) = (self.ice_notice, self.stall_notice);
        for ep in self.endpoints.values_mut() {
            let rtc = &mut ep.rtc;
            if up {
                rtc.scheduled.retain(|(_, e)| {
                    !matches!(
                        e,
                        RtcEvent::Ice(IceState::Disconnected)
                            | RtcEvent::InboundMedia { flowing: false }
                    )
                });
                continue;
            }
            if rtc.closed || rtc.ice != Some(IceState::Connected) {
                continue;
            }
            if ice_notice.0 > 0 {
                rtc.scheduled
                    .push((now + ice_notice, RtcEvent::Ice(IceState::Disconnected)));
            }
            if let Some(stall) = stall_notice {
                rtc.scheduled
                    .push((now + stall, RtcEvent::InboundMedia { flowing: false }));
            }
        }
        self.update_connectivity();
    }

    /// The whole link of both phones goes down for `d`: no ICE, and the relay holds every
    /// signal until the link returns, then delivers them in a burst.
    pub fn outage(&mut self, d: Duration) {
        let names: Vec<PeerId> = self.endpoints.keys().cloned().collect();
        self.relay.offline.extend(names);
        self.set_network(false);
        self.run_for(d);
        self.relay.offline.clear();
        self.set_network(true);
    }

    /// When `name` last entered `state`.
    pub fn entered(&self, name: &str, state: CallState) -> Option<Millis> {
        self.ep(name)
            .events
            .iter()
            .rev()
            .find_map(|(at, e)| match e {
                Event::State(info) if info.state == state => Some(*at),
                _ => None,
            })
    }

    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        while self.next_time().is_some_and(|t| t <= until) {
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Steps until `done` holds; panics after `limit` of simulated time.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&World) -> bool) {
        let until = self.now + limit;
        while !done(self) {
            assert!(self.now <= until, "condition not reached within {limit:?}");
            if !self.step() {
                assert!(done(self), "world went idle before the condition held");
                return;
            }
        }
    }

    pub fn state(&self, name: &str) -> Option<CallState> {
        self.ep(name).phone.call().map(|c| c.state)
    }

    /// The states `name` went through, in order.
    pub fn states(&self, name: &str) -> Vec<CallState> {
        self.infos(name).iter().map(|i| i.state).collect()
    }

    pub fn infos(&self, name: &str) -> Vec<CallInfo> {
        self.ep(name)
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::State(info) => Some(info.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn ended(&self, name: &str) -> Option<EndReason> {
        self.states(name).iter().rev().find_map(|s| match s {
            CallState::Ended(r) => Some(*r),
            _ => None,
        })
    }

    pub fn last_state(&self, name: &str) -> Option<CallState> {
        self.states(name).last().copied()
    }

    /// The relay log of `kind` messages.
    pub fn sent(&self, kind: &str) -> Vec<&Sent> {
        self.relay
            .log
            .iter()
            .filter(|s| s.signal.msg.kind() == kind)
            .collect()
    }

    /// `from` calls `to` and the world runs until `to`'s phone rings.
    pub fn ring(&mut self, from: &str, to: &str, media: Media) {
        self.call(from, to, media);
        self.run_until(Duration::secs(1), |w| {
            w.state(to) == Some(CallState::RingingIncoming)
        });
    }

    /// `from` calls `to`, `to` accepts, and the world runs until both are CONNECTED.
    pub fn connect(&mut self, from: &str, to: &str, media: Media) {
        self.call(from, to, media);
        self.run_until(Duration::secs(1), |w| w.state(to).is_some());
        self.accept(to, media);
        self.run_until(Duration::secs(5), |w| {
            w.state(from) == Some(CallState::Connected) && w.state(to) == Some(CallState::Connected)
        });
    }

    pub fn accept(&mut self, name: &str, media: Media) {
        self.command(name, Command::Accept { media });
    }

    pub fn hangup(&mut self, name: &str) {
        self.command(name, Command::Hangup);
    }

    /// A and B both connected: same call, same prk, same security code.
    pub fn assert_connected_pair(&self, a: &str, b: &str) {
        assert_eq!(self.state(a), Some(CallState::Connected), "{a}");
        assert_eq!(self.state(b), Some(CallState::Connected), "{b}");
        let (ra, rb) = (&self.ep(a).rtc, &self.ep(b).rtc);
        assert_eq!(ra.call_id, rb.call_id);
        let (pa, pb) = (ra.prepared.unwrap(), rb.prepared.unwrap());
        let (ka, kb) = (ra.keys.as_ref().unwrap(), rb.keys.as_ref().unwrap());
        assert_eq!(
            ka.0.to_bytes(),
            kb.0.to_bytes(),
            "both sides derived the same media secret"
        );
        assert_eq!(ka.1, kb.1, "security codes match");
        assert_eq!(self.ep(a).phone.security_code(), Some(ka.1));
        assert_eq!(self.ep(b).phone.security_code(), Some(kb.1));
        assert_ne!(pa.0, pb.0, "one caller, one callee");
    }

    pub fn messages_between(&self, msg: fn(&CallMsg) -> bool) -> usize {
        self.relay.log.iter().filter(|s| msg(&s.signal.msg)).count()
    }
}

impl FakeRtc {
    /// Candidates trickle in over about a second; gathering completes at 1.2 s. Without a
    /// network (a link that is down), none: as in Chromium, gathering just completes.
    fn schedule_gathering(&mut self, now: Millis, sdp: String, name: &str, network_up: bool) {
        self.scheduled
            .push((now + Duration::ms(15), RtcEvent::LocalDescription { sdp }));
        let times: &[u64] = if network_up {
            &[40, 120, 600, 1100]
        } else {
            &[]
        };
        for (i, &at) in times.iter().enumerate() {
            let candidate = IceCandidate {
                candidate: format!(
                    "candidate:{i} 1 udp 100 {name} gen {} typ host",
                    self.generation
                ),
                sdp_mid: Some("0".into()),
                sdp_m_line_index: Some(0),
            };
            self.scheduled
                .push((now + Duration::ms(at), RtcEvent::LocalCandidate(candidate)));
        }
        self.scheduled
            .push((now + Duration::ms(1200), RtcEvent::GatheringComplete));
    }
}
