//! A simulated world of whole clients: relays that keep real queues (create, subscribe with
//! backlog, send, ack, delete), a network that delays, reorders, duplicates pushes, takes
//! clients offline and lets a hostile relay replay old messages, and a fake WebRTC stack per
//! client. Time moves only when the world steps; every run is deterministic for its seed.

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, VecDeque};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng};
use sotto_client::{
    CallState, Client, ClientConfig, Command, Event, Input, Now, Output, Profile, RelayEvent,
    RtcAction, RtcEvent,
};
use sotto_shared::call::IceState;
use sotto_shared::wire::relay::{ClientMsg, ErrorCode, MsgId, Payload, RcvId, ServerMsg, SndId};
use sotto_shared::wire::signal::{EndReason, IceCandidate, Media};
use sotto_shared::{CallId, Duration, Millis, PeerId};

/// The wall clock at simulated time zero.
pub const EPOCH_MS: u64 = 1_800_000_000_000;
pub const RELAY: &str = "https://relay.test";
pub const OTHER_RELAY: &str = "https://other.test";

/// Network behaviour.
#[derive(Debug, Clone)]
pub struct Net {
    pub latency: Duration,
    pub jitter: Duration,
    /// Probability that a push is delivered twice.
    pub duplicate: f64,
}

impl Default for Net {
    fn default() -> Self {
        Self {
            latency: Duration::ms(20),
            jitter: Duration::ms(0),
            duplicate: 0.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Stored {
    pub msg_id: MsgId,
    pub ts: u64,
    pub payload: Payload,
}

#[derive(Debug, Default)]
pub struct Queue {
    pub rcv_id: Option<RcvId>,
    pub snd_id: Option<SndId>,
    pub messages: VecDeque<Stored>,
    pub subscriber: Option<String>,
    /// Everything ever stored here, for replay attacks.
    pub history: Vec<Stored>,
}

/// A relay with real queues.
#[derive(Debug, Default)]
pub struct SimRelay {
    pub queues: Vec<Queue>,
    next_msg: u64,
}

impl SimRelay {
    fn by_rcv(&mut self, rcv: &RcvId) -> Option<usize> {
        self.queues
            .iter()
            .position(|q| q.rcv_id.as_ref() == Some(rcv))
    }
    fn by_snd(&mut self, snd: &SndId) -> Option<usize> {
        self.queues
            .iter()
            .position(|q| q.snd_id.as_ref() == Some(snd))
    }
}

#[derive(Debug, Default)]
pub struct FakeRtc {
    pub call_id: Option<CallId>,
    pub prepared: bool,
    pub keys: Option<String>,
    pub local: Option<String>,
    pub remote: Option<String>,
    pub candidates: usize,
    pub closed: bool,
    pub ice: Option<IceState>,
    pub actions: Vec<(CallId, String)>,
}

pub struct Sim {
    pub name: String,
    pub client: Option<Client<ChaCha20Rng>>,
    pub stored: String,
    pub relay: String,
    pub online: bool,
    pub rtc: FakeRtc,
    pub events: Vec<(Millis, Event)>,
    pub errors: Vec<String>,
    pub wake: Option<Millis>,
    inputs: VecDeque<Input>,
}

#[derive(Debug, Clone)]
enum Due {
    ToRelay {
        relay: String,
        from: String,
        msg: ClientMsg,
    },
    ToClient {
        to: String,
        relay: String,
        msg: ServerMsg,
    },
    Connected {
        to: String,
        relay: String,
    },
    Rtc {
        to: String,
        call_id: CallId,
        event: RtcEvent,
    },
}

pub struct World {
    pub now: Millis,
    pub net: Net,
    pub relays: BTreeMap<String, SimRelay>,
    pub clients: BTreeMap<String, Sim>,
    due: BTreeMap<(Millis, u64), Due>,
    order: u64,
    rng: ChaCha20Rng,
    pub config: fn(&str) -> ClientConfig,
}

fn default_config(home: &str) -> ClientConfig {
    ClientConfig::new(home)
}

impl World {
    pub fn new(seed: u64) -> Self {
        let mut relays = BTreeMap::new();
        relays.insert(RELAY.to_owned(), SimRelay::default());
        relays.insert(OTHER_RELAY.to_owned(), SimRelay::default());
        Self {
            now: Millis(0),
            net: Net::default(),
            relays,
            clients: BTreeMap::new(),
            due: BTreeMap::new(),
            order: 0,
            rng: ChaCha20Rng::seed_from_u64(seed),
            config: default_config,
        }
    }

    pub fn wall(&self) -> u64 {
        EPOCH_MS + self.now.0
    }

    fn clock(&self) -> Now {
        Now {
            mono: self.now,
            wall_ms: self.wall(),
        }
    }

    /// A new person with a fresh profile whose home is `relay`.
    pub fn add(&mut self, name: &str, relay: &str) {
        let profile = Profile::create(name, &mut self.rng).unwrap();
        self.start(name, relay, profile.to_json());
    }

    fn start(&mut self, name: &str, relay: &str, stored: String) {
        let profile = Profile::from_json(&stored).unwrap();
        let rng = ChaCha20Rng::seed_from_u64(self.rng.next_u64());
        let client = Client::new((self.config)(relay), profile, rng).unwrap();
        self.clients.insert(
            name.to_owned(),
            Sim {
                name: name.to_owned(),
                client: Some(client),
                stored,
                relay: relay.to_owned(),
                online: true,
                rtc: FakeRtc::default(),
                events: Vec::new(),
                errors: Vec::new(),
                wake: None,
                inputs: VecDeque::new(),
            },
        );
        self.drain(name);
    }

    /// The app is closed and opened again from what it stored.
    pub fn reload(&mut self, name: &str) {
        let sim = self.clients.remove(name).unwrap();
        for relay in self.relays.values_mut() {
            for q in &mut relay.queues {
                if q.subscriber.as_deref() == Some(name) {
                    q.subscriber = None;
                }
            }
        }
        self.due.retain(|_, d| !matches!(d, Due::ToClient { to, .. } | Due::Connected { to, .. } | Due::Rtc { to, .. } if to == name));
        self.start(name, &sim.relay, sim.stored);
    }

    pub fn client(&self, name: &str) -> &Client<ChaCha20Rng> {
        self.clients[name].client.as_ref().unwrap()
    }

    pub fn sim(&self, name: &str) -> &Sim {
        &self.clients[name]
    }

    fn push(&mut self, at: Millis, due: Due) {
        self.order += 1;
        self.due.insert((at, self.order), due);
    }

    fn delay(&mut self) -> Duration {
        let jitter = if self.net.jitter.0 == 0 {
            0
        } else {
            self.rng.next_u64() % self.net.jitter.0
        };
        Duration(self.net.latency.0 + jitter)
    }

    /// Feeds one input and carries out every output (queuing, never re-entering).
    pub fn input(&mut self, name: &str, input: Input) {
        self.clients.get_mut(name).unwrap().inputs.push_back(input);
        self.drain(name);
    }

    pub fn command(&mut self, name: &str, command: Command) {
        self.input(name, Input::Command(command));
    }

    fn drain(&mut self, name: &str) {
        loop {
            let now = self.clock();
            let sim = self.clients.get_mut(name).unwrap();
            let client = sim.client.as_mut().unwrap();
            let input = sim.inputs.pop_front();
            if let Some(Err(e)) = input.map(|input| client.handle_input(now, input)) {
                sim.errors.push(e.to_string());
            }
            let mut outputs = Vec::new();
            loop {
                match client.poll_output() {
                    Output::Timeout(at) => {
                        sim.wake = at;
                        break;
                    }
                    output => outputs.push(output),
                }
            }
            for output in outputs {
                self.execute(name, output);
            }
            if self.clients[name].inputs.is_empty() {
                return;
            }
        }
    }

    fn execute(&mut self, name: &str, output: Output) {
        let now = self.now;
        match output {
            Output::Connect { relay } => {
                if self.clients[name].online {
                    let d = self.delay();
                    self.push(
                        now + d,
                        Due::Connected {
                            to: name.to_owned(),
                            relay,
                        },
                    );
                }
            }
            Output::Relay { relay, msg } => {
                if self.clients[name].online {
                    let d = self.delay();
                    self.push(
                        now + d,
                        Due::ToRelay {
                            relay,
                            from: name.to_owned(),
                            msg,
                        },
                    );
                }
            }
            Output::Rtc { call_id, action } => self.rtc(name, call_id, action),
            Output::Event(event) => self
                .clients
                .get_mut(name)
                .unwrap()
                .events
                .push((now, event)),
            Output::Persist => {
                let sim = self.clients.get_mut(name).unwrap();
                sim.stored = sim.client.as_ref().unwrap().profile().to_json();
            }
            Output::Timeout(_) => unreachable!(),
        }
    }

    fn rtc(&mut self, name: &str, call_id: CallId, action: RtcAction) {
        let now = self.now;
        let sim = self.clients.get_mut(name).unwrap();
        let rtc = &mut sim.rtc;
        rtc.actions.push((
            call_id,
            format!("{action:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned(),
        ));
        let mut later = Vec::new();
        match action {
            RtcAction::Prepare { .. } => {
                let actions = std::mem::take(&mut rtc.actions);
                *rtc = FakeRtc {
                    call_id: Some(call_id),
                    prepared: true,
                    actions,
                    ..FakeRtc::default()
                };
            }
            RtcAction::SetKeys { security_code, .. } if rtc.call_id == Some(call_id) => {
                rtc.keys = Some(security_code.to_string());
            }
            RtcAction::CreateOffer { .. } if rtc.call_id == Some(call_id) => {
                let sdp = format!("offer {name}");
                rtc.local = Some(sdp.clone());
                later.push((Duration::ms(5), RtcEvent::LocalDescription { sdp }));
                later.push((Duration::ms(10), RtcEvent::LocalCandidate(candidate(name))));
                later.push((Duration::ms(30), RtcEvent::GatheringComplete));
            }
            RtcAction::ApplyOffer { sdp } if rtc.call_id == Some(call_id) => {
                rtc.remote = Some(sdp);
                let answer = format!("answer {name}");
                rtc.local = Some(answer.clone());
                later.push((Duration::ms(5), RtcEvent::LocalDescription { sdp: answer }));
                later.push((Duration::ms(10), RtcEvent::LocalCandidate(candidate(name))));
                later.push((Duration::ms(30), RtcEvent::GatheringComplete));
            }
            RtcAction::ApplyAnswer { sdp } if rtc.call_id == Some(call_id) => {
                rtc.remote = Some(sdp)
            }
            RtcAction::AddCandidates(c) if rtc.call_id == Some(call_id) => {
                rtc.candidates += c.len()
            }
            RtcAction::Close if rtc.call_id == Some(call_id) => rtc.closed = true,
            _ => {}
        }
        for (d, event) in later {
            self.push(
                now + d,
                Due::Rtc {
                    to: name.to_owned(),
                    call_id,
                    event,
                },
            );
        }
    }

    /// What a relay does with one request.
    fn relay_handle(&mut self, relay_name: &str, from: &str, msg: ClientMsg) {
        let wall = self.wall();
        let relay = self.relays.get_mut(relay_name).unwrap();
        let mut replies = Vec::new();
        let mut pushes: Vec<(String, ServerMsg)> = Vec::new();
        let unknown = |id| ServerMsg::Error {
            id: Some(id),
            code: ErrorCode::UnknownQueue,
            message: "no such queue".into(),
        };
        match msg {
            ClientMsg::CreateQueue { id } => {
                let rcv_id = RcvId::random(&mut self.rng);
                let snd_id = SndId::random(&mut self.rng);
                relay.queues.push(Queue {
                    rcv_id: Some(rcv_id),
                    snd_id: Some(snd_id),
                    ..Queue::default()
                });
                replies.push(ServerMsg::QueueCreated { id, rcv_id, snd_id });
            }
            ClientMsg::Subscribe { id, rcv_id } => match relay.by_rcv(&rcv_id) {
                Some(i) => {
                    let q = &mut relay.queues[i];
                    q.subscriber = Some(from.to_owned());
                    replies.push(ServerMsg::Ok { id });
                    for m in &q.messages {
                        pushes.push((from.to_owned(), message(rcv_id, m)));
                    }
                }
                None => replies.push(unknown(id)),
            },
            ClientMsg::Ack { id, rcv_id, msg_id } => match relay.by_rcv(&rcv_id) {
                Some(i) => {
                    relay.queues[i].messages.retain(|m| m.msg_id != msg_id);
                    replies.push(ServerMsg::Ok { id });
                }
                None => replies.push(unknown(id)),
            },
            ClientMsg::Send {
                id,
                snd_id,
                payload,
            } => match relay.by_snd(&snd_id) {
                Some(i) => {
                    relay.next_msg += 1;
                    let stored = Stored {
                        msg_id: MsgId(format!("m{}", relay.next_msg)),
                        ts: wall,
                        payload,
                    };
                    let q = &mut relay.queues[i];
                    q.messages.push_back(stored.clone());
                    q.history.push(stored.clone());
                    replies.push(ServerMsg::Ok { id });
                    if let (Some(sub), Some(rcv)) = (q.subscriber.clone(), q.rcv_id) {
                        pushes.push((sub, message(rcv, &stored)));
                    }
                }
                None => replies.push(unknown(id)),
            },
            ClientMsg::DeleteQueue { id, rcv_id } => match relay.by_rcv(&rcv_id) {
                Some(i) => {
                    relay.queues.remove(i);
                    replies.push(ServerMsg::Ok { id });
                }
                None => replies.push(unknown(id)),
            },
            ClientMsg::TurnCredentials { id } => replies.push(ServerMsg::IceServers {
                id,
                servers: Vec::new(),
                ttl_s: 0,
            }),
            ClientMsg::Ping { id } => replies.push(ServerMsg::Pong { id }),
        }
        for reply in replies {
            pushes.insert(0, (from.to_owned(), reply));
        }
        for (to, msg) in pushes {
            self.push_to_client(&to, relay_name, msg);
        }
    }

    fn push_to_client(&mut self, to: &str, relay: &str, msg: ServerMsg) {
        if !self.clients.get(to).is_some_and(|c| c.online) {
            return;
        }
        let copies = if matches!(msg, ServerMsg::Message { .. })
            && chance(&mut self.rng, self.net.duplicate)
        {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let d = self.delay();
            let now = self.now;
            self.push(
                now + d,
                Due::ToClient {
                    to: to.to_owned(),
                    relay: relay.to_owned(),
                    msg: msg.clone(),
                },
            );
        }
    }

    /// Takes a client off the network (its sockets close) or back on (they reopen).
    pub fn set_online(&mut self, name: &str, online: bool) {
        let relays: Vec<String> = self.relays.keys().cloned().collect();
        self.clients.get_mut(name).unwrap().online = online;
        if !online {
            for relay in self.relays.values_mut() {
                for q in &mut relay.queues {
                    if q.subscriber.as_deref() == Some(name) {
                        q.subscriber = None;
                    }
                }
            }
            self.due.retain(|_, d| !matches!(d, Due::ToClient { to, .. } | Due::Connected { to, .. } if to == name));
        }
        for relay in relays {
            let event = if online {
                RelayEvent::Connected
            } else {
                RelayEvent::Disconnected
            };
            self.input(name, Input::Relay { relay, event });
        }
    }

    /// A hostile relay pushes an old message of this queue again (already acknowledged).
    pub fn replay_to(&mut self, relay: &str, to: &str, stored: &Stored, rcv_id: RcvId) {
        let mut fresh = stored.clone();
        fresh.msg_id = MsgId(format!("replayed-{}", stored.msg_id.0));
        fresh.ts = self.wall(); // the relay lies about when it stored it
        self.push_to_client(to, relay, message(rcv_id, &fresh));
    }

    /// Someone outside the world (an attacker with a link) sends to a queue.
    pub fn inject_send(&mut self, relay: &str, snd_id: SndId, payload: Vec<u8>) {
        let msg = ClientMsg::Send {
            id: 1,
            snd_id,
            payload: Payload(payload),
        };
        self.relay_handle(relay, "outsider", msg);
    }

    fn next_time(&self) -> Option<Millis> {
        let due = self.due.keys().next().map(|(t, _)| *t);
        let wakes = self.clients.values().filter_map(|c| c.wake);
        due.into_iter().chain(wakes).min()
    }

    pub fn step(&mut self) -> bool {
        let Some(t) = self.next_time() else {
            return false;
        };
        self.now = self.now.max(t);
        while let Some((&key, _)) = self
            .due
            .iter()
            .next()
            .filter(|((at, _), _)| *at <= self.now)
        {
            let due = self.due.remove(&key).unwrap();
            match due {
                Due::ToRelay { relay, from, msg } => self.relay_handle(&relay, &from, msg),
                Due::ToClient { to, relay, msg } => {
                    if !self.clients.get(&to).is_some_and(|c| c.online) {
                        continue;
                    }
                    let event = RelayEvent::Received(msg);
                    self.input(&to, Input::Relay { relay, event });
                }
                Due::Connected { to, relay } => {
                    if self.clients.get(&to).is_some_and(|c| c.online) {
                        let event = RelayEvent::Connected;
                        self.input(&to, Input::Relay { relay, event });
                    }
                }
                Due::Rtc { to, call_id, event } => {
                    if self.clients.contains_key(&to) {
                        self.input(&to, Input::Rtc { call_id, event });
                    }
                }
            }
        }
        let names: Vec<String> = self.clients.keys().cloned().collect();
        for name in &names {
            if self.clients[name].wake.is_some_and(|w| w <= self.now) {
                self.clients.get_mut(name).unwrap().wake = None;
                self.input(name, Input::Timeout);
            }
        }
        self.update_ice();
        true
    }

    /// Fake ICE: a pair connects once both have keys, both descriptions and candidates.
    fn update_ice(&mut self) {
        let names: Vec<String> = self.clients.keys().cloned().collect();
        for a in &names {
            let rtc = &self.clients[a].rtc;
            let Some(call_id) = rtc.call_id else { continue };
            if rtc.closed || rtc.ice == Some(IceState::Connected) || !self.clients[a].online {
                continue;
            }
            let ready = names.iter().any(|b| {
                let o = &self.clients[b].rtc;
                b != a
                    && o.call_id == Some(call_id)
                    && !o.closed
                    && o.keys.is_some()
                    && rtc.keys.is_some()
                    && rtc.local.is_some()
                    && o.local == rtc.remote
                    && o.remote == rtc.local
                    && rtc.candidates > 0
            });
            if ready {
                self.clients.get_mut(a).unwrap().rtc.ice = Some(IceState::Connected);
                self.input(
                    a,
                    Input::Rtc {
                        call_id,
                        event: RtcEvent::Ice(IceState::Connected),
                    },
                );
            }
        }
    }

    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        while self.next_time().is_some_and(|t| t <= until) {
            self.step();
        }
        self.now = self.now.max(until);
    }

    // ---- scenario helpers ----

    /// Alice invites, Bob accepts; runs until both see a ready contact. Returns (Bob's id at
    /// Alice, Alice's id at Bob).
    pub fn befriend(&mut self, alice: &str, bob: &str) -> (PeerId, PeerId) {
        let link = self.invite_link(alice);
        self.command(bob, Command::AcceptInvite { link });
        self.run_for(Duration::secs(2));
        let a = self.contact_id(alice, bob);
        let b = self.contact_id(bob, alice);
        (a, b)
    }

    pub fn invite_link(&mut self, name: &str) -> String {
        self.command(name, Command::CreateInvite);
        self.run_for(Duration::secs(1));
        self.events(name)
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::InviteReady { link } => Some(link.clone()),
                _ => None,
            })
            .expect("an invitation link")
    }

    /// The id under which `owner` knows the person called `other` (ready contacts only).
    pub fn contact_id(&self, owner: &str, other: &str) -> PeerId {
        self.client(owner)
            .profile()
            .contacts
            .iter()
            .find(|c| c.name == other && c.is_ready())
            .unwrap_or_else(|| panic!("{owner} has no ready contact {other}"))
            .id
            .clone()
    }

    pub fn events(&self, name: &str) -> Vec<Event> {
        self.clients[name]
            .events
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    pub fn states(&self, name: &str) -> Vec<CallState> {
        self.events(name)
            .into_iter()
            .filter_map(|e| match e {
                Event::Call(info) => Some(info.state),
                _ => None,
            })
            .collect()
    }

    pub fn call(&mut self, from: &str, to: &str, media: Media) {
        let contact = self.contact_id(from, to);
        self.command(from, Command::Call { contact, media });
    }

    pub fn state(&self, name: &str) -> Option<CallState> {
        self.client(name).call().map(|c| c.state)
    }

    pub fn ended(&self, name: &str) -> Option<EndReason> {
        self.states(name).into_iter().rev().find_map(|s| match s {
            CallState::Ended(r) => Some(r),
            _ => None,
        })
    }

    pub fn queue_of(&self, relay: &str, rcv_id: RcvId) -> Option<&Queue> {
        self.relays[relay]
            .queues
            .iter()
            .find(|q| q.rcv_id == Some(rcv_id))
    }
}

fn message(rcv_id: RcvId, m: &Stored) -> ServerMsg {
    ServerMsg::Message {
        rcv_id,
        msg_id: m.msg_id.clone(),
        ts: m.ts,
        payload: m.payload.clone(),
    }
}

fn candidate(name: &str) -> IceCandidate {
    IceCandidate {
        candidate: format!("candidate:1 1 udp 1 10.0.0.1 5000 typ host {name}"),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
    }
}

fn chance(rng: &mut ChaCha20Rng, p: f64) -> bool {
    p > 0.0 && ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
}

// ---- kiosk (issue #12) ----

impl World {
    /// A world with a "Kiosk" and each of `people`, all its contacts.
    pub fn kiosk_with(seed: u64, people: &[&str]) -> Self {
        let mut w = Self::new(seed);
        w.add("Kiosk", RELAY);
        for person in people {
            w.add(person, RELAY);
            w.befriend("Kiosk", person);
        }
        w
    }

    /// `kiosk` sets up kiosk mode with PIN 2468, auto-answering `answered` (name, media),
    /// the others `others`; then enters it.
    pub fn set_up_kiosk(
        &mut self,
        kiosk: &str,
        answered: &[(&str, Media)],
        others: sotto_client::Others,
    ) {
        let auto_answer = answered
            .iter()
            .map(|(name, media)| sotto_client::AutoAnswer {
                contact: self.contact_id(kiosk, name),
                media: *media,
            })
            .collect();
        let setup = sotto_client::KioskSetup {
            auto_answer,
            others,
            pin: Some("2468".into()),
            ..sotto_client::KioskSetup::default()
        };
        self.command(kiosk, Command::SetKiosk(setup));
        self.command(kiosk, Command::EnterKiosk);
        assert!(
            self.client(kiosk).is_kiosk(),
            "{:?}",
            self.sim(kiosk).errors
        );
    }
}
