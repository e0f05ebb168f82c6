//! The [`Client`]: one profile's protocol, driven one input at a time.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, SeedableRng as _};
use sotto_shared::call::{CallError, CallInfo, Input as PhoneInput, Phone, PhoneConfig, RtcEvent};
use sotto_shared::crypto::IdentityKeyPair;
use sotto_shared::wire::relay::{IceServer, MsgId, RcvId, ReqId};
use sotto_shared::{CallId, Duration, Millis, PeerId};

use crate::io::{Event, Input, Now, Output, RelayEvent};
use crate::profile::{Profile, ProfileError};
use crate::requests::Pending;

/// Timers and limits of the client core. [`ClientConfig::new`] gives the production values.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Our home relay's origin (e.g. `https://sotto.example`): our queues live there and our
    /// invitation links point there.
    pub home: String,
    /// The call machine's timers.
    pub phone: PhoneConfig,
    /// A request that got no reply (or could not be sent) for this long has failed.
    pub request_timeout: Duration,
    /// How far a sender's clock may be behind ours before its `ts` makes an invitation older
    /// than the relay says (a relay that holds a message for an hour cannot make it ring).
    pub max_clock_skew: Duration,
}

impl ClientConfig {
    /// Production values for a client whose home relay is `home`.
    #[must_use]
    pub fn new(home: &str) -> Self {
        Self {
            home: home.trim_end_matches('/').to_owned(),
            phone: PhoneConfig::default(),
            request_timeout: Duration::secs(10),
            max_clock_skew: Duration::secs(600),
        }
    }
}

/// Things the core dropped, for the debug panel and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Envelopes that did not open (wrong key, tampered, wrong mode).
    pub unopenable: u64,
    /// Contact requests whose proof did not hold, or for another invitation.
    pub forged_requests: u64,
    /// Signals refused by a contact's replay window, and invitations for calls already seen.
    pub replays: u64,
    /// Opened envelopes with a signal we could not read.
    pub malformed: u64,
    /// Duplicate deliveries dropped by message id.
    pub duplicates: u64,
}

/// The last call that ended after it was answered or placed (unanswered incoming calls go to
/// the missed calls instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedCall {
    /// The call as it ended.
    pub info: CallInfo,
}

/// Why a command was not carried out. The core's state is consistent either way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// No contact with that id.
    #[error("no contact {0}")]
    UnknownContact(PeerId),
    /// The contact has not confirmed yet.
    #[error("{0} has not confirmed yet")]
    NotConfirmed(String),
    /// The invitation link is not usable (the reason is also sent as a notice).
    #[error("{0}")]
    Invite(String),
    /// The call machine refused.
    #[error(transparent)]
    Call(#[from] CallError),
    /// A kiosk set-up or command was refused (also sent as [`Event::KioskRefused`]).
    #[error(transparent)]
    Kiosk(#[from] crate::kiosk::KioskError),
}

/// A relay connection as the core sees it.
#[derive(Debug, Default)]
pub(crate) struct RelayConn {
    pub(crate) connected: bool,
    pub(crate) asked: bool,
}

/// An incoming invitation that rings: not acknowledged (and its counter not committed) until
/// the call is decided, so a restart redelivers it and it rings again.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub(crate) call_id: CallId,
    pub(crate) rcv_id: RcvId,
    pub(crate) msg_id: MsgId,
    pub(crate) contact: PeerId,
    pub(crate) ctr: u64,
}

/// One profile's client. See the [crate docs](crate) for the drive loop.
#[derive(Debug)]
pub struct Client<R> {
    pub(crate) config: ClientConfig,
    pub(crate) profile: Profile,
    pub(crate) identity: IdentityKeyPair,
    pub(crate) phone: Phone<ChaCha20Rng>,
    pub(crate) rng: R,
    pub(crate) now: Now,
    pub(crate) out: VecDeque<Output>,
    /// Inputs the core gives itself while handling one (a failed seal is a failed send);
    /// handled before the drain ends, never by re-entering.
    pub(crate) internal: VecDeque<PhoneInput>,
    pub(crate) relays: HashMap<String, RelayConn>,
    pub(crate) next_req: ReqId,
    pub(crate) pending: BTreeMap<ReqId, Pending>,
    pub(crate) held: Vec<Held>,
    /// Recently handled deliveries, for dropping duplicates by `msg_id`.
    pub(crate) recent: VecDeque<(RcvId, MsgId)>,
    /// When the relay stored each call's invitation (wall ms), for missed calls.
    pub(crate) invite_ts: HashMap<CallId, u64>,
    pub(crate) phone_deadline: Option<Millis>,
    pub(crate) ice_servers: Vec<IceServer>,
    pub(crate) counters: Counters,
    pub(crate) last_ended: Option<EndedCall>,
    pub(crate) security_code: Option<(CallId, String)>,
    /// In kiosk mode: the ringing call that is answered by itself, and when.
    pub(crate) countdown: Option<crate::kiosk_rules::Countdown>,
    pub(crate) pin_tries: crate::kiosk_rules::PinTries,
}

impl<R: CryptoRng> Client<R> {
    /// A client for `profile`, about to connect to its home relay (the first output is
    /// [`Output::Connect`]). `rng` makes queue-independent randomness: envelope keys and,
    /// through a generator seeded from it, call ids and call keys.
    ///
    /// # Errors
    /// [`ProfileError::Damaged`] when the profile's identity cannot be read.
    pub fn new(config: ClientConfig, profile: Profile, mut rng: R) -> Result<Self, ProfileError> {
        let identity = profile.identity()?;
        let phone_rng = ChaCha20Rng::from_rng(&mut rng);
        let phone = Phone::new(config.phone.clone(), identity.public(), phone_rng);
        let mut client = Self {
            config,
            profile,
            identity,
            phone,
            rng,
            now: Now {
                mono: Millis(0),
                wall_ms: 0,
            },
            out: VecDeque::new(),
            internal: VecDeque::new(),
            relays: HashMap::new(),
            next_req: 0,
            pending: BTreeMap::new(),
            held: Vec::new(),
            recent: VecDeque::new(),
            invite_ts: HashMap::new(),
            phone_deadline: None,
            ice_servers: Vec::new(),
            counters: Counters::default(),
            last_ended: None,
            security_code: None,
            countdown: None,
            pin_tries: crate::kiosk_rules::PinTries::default(),
        };
        let home = client.config.home.clone();
        client.ensure_connection(&home);
        Ok(client)
    }

    /// Handles one input. Drain [`Client::poll_output`] to its [`Output::Timeout`] before the
    /// next input.
    ///
    /// # Errors
    /// [`ClientError`] for a command that was not carried out (most also produce a
    /// [`Event::Notice`] for a UI).
    pub fn handle_input(&mut self, now: Now, input: Input) -> Result<(), ClientError> {
        self.now = now;
        let result = match input {
            Input::Command(command) => self.handle_command(command),
            Input::Relay { relay, event } => {
                self.handle_relay(&relay, event);
                Ok(())
            }
            Input::Rtc { call_id, event } => {
                self.phone_input(PhoneInput::Rtc { call_id, event });
                Ok(())
            }
            Input::Timeout => {
                self.expire_requests();
                self.kiosk_timeout();
                self.phone_input(PhoneInput::Timeout);
                Ok(())
            }
        };
        self.drain_phone();
        result
    }

    /// The next output; the last of a drain is always [`Output::Timeout`].
    pub fn poll_output(&mut self) -> Output {
        self.out.pop_front().unwrap_or_else(|| {
            let requests = self.pending.values().map(|p| p.deadline).min();
            let countdown = self.countdown.map(|c| c.at);
            Output::Timeout(
                [self.phone_deadline, requests, countdown]
                    .into_iter()
                    .flatten()
                    .min(),
            )
        })
    }

    /// The profile, as it must be stored after [`Output::Persist`].
    #[must_use]
    pub const fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The current call, if any.
    #[must_use]
    pub fn call(&self) -> Option<CallInfo> {
        self.phone.call()
    }

    /// The current call's security code, once agreed.
    #[must_use]
    pub fn security_code(&self) -> Option<&str> {
        let call = self.phone.call()?;
        self.security_code
            .as_ref()
            .filter(|(id, _)| *id == call.call_id)
            .map(|(_, code)| code.as_str())
    }

    /// The last call that ended (answered or placed).
    #[must_use]
    pub const fn last_ended(&self) -> Option<&EndedCall> {
        self.last_ended.as_ref()
    }

    /// The ICE servers the home relay offered.
    #[must_use]
    pub fn ice_servers(&self) -> &[IceServer] {
        &self.ice_servers
    }

    /// What the core dropped.
    #[must_use]
    pub const fn counters(&self) -> Counters {
        self.counters
    }

    /// Whether the home relay's connection is open.
    #[must_use]
    pub fn is_online(&self) -> bool {
        self.relays
            .get(&self.config.home)
            .is_some_and(|r| r.connected)
    }

    /// The configuration in use.
    #[must_use]
    pub const fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) fn emit(&mut self, event: Event) {
        self.out.push_back(Output::Event(event));
    }

    pub(crate) fn persist(&mut self) {
        // One Persist per burst is enough: the driver stores the whole profile.
        if !matches!(self.out.back(), Some(Output::Persist)) {
            self.out.push_back(Output::Persist);
        }
    }

    pub(crate) fn phone_input(&mut self, input: PhoneInput) {
        if let Err(e) = self.phone.handle_input(self.now.mono, input) {
            // Stale or misplaced input (a late candidate, a duplicate): the call is unaffected.
            let _ = e;
        }
        self.drain_phone();
    }

    /// Carries out the phone's outputs, then any input the core gave itself meanwhile.
    pub(crate) fn drain_phone(&mut self) {
        loop {
            loop {
                match self.phone.poll_output() {
                    sotto_shared::call::Output::Timeout(at) => {
                        self.phone_deadline = at;
                        break;
                    }
                    output => self.phone_output(output),
                }
            }
            let Some(input) = self.internal.pop_front() else {
                return;
            };
            let _ = self.phone.handle_input(self.now.mono, input);
        }
    }

    pub(crate) fn report_send_failed(&mut self, call_id: CallId) {
        self.internal.push_back(PhoneInput::Rtc {
            call_id,
            event: RtcEvent::SendFailed,
        });
    }

    fn handle_relay(&mut self, relay: &str, event: RelayEvent) {
        match event {
            RelayEvent::Connected => self.relay_connected(relay),
            RelayEvent::Disconnected => self.relay_disconnected(relay),
            RelayEvent::Received(msg) => self.relay_received(relay, msg),
        }
    }
}
