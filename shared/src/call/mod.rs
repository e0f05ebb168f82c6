//! The call machine: sans-IO, time passed in (DESIGN §3; str0m's shape).
//!
//! A [`Phone`] is one device's calling: at most one call at a time, plus the rules that need to
//! see every call at once (busy, glare, stale invitations). Drive it with one input at a time and
//! drain its outputs:
//!
//! ```text
//! phone.handle_input(now, input)?;            // a command, a peer's signal, a WebRTC result, a timeout
//! loop {
//!     match phone.poll_output() {
//!         Output::Send { to, signal } => seal_and_send(to, signal),
//!         Output::Rtc { call_id, action } => do_webrtc(call_id, action),
//!         Output::Event(event) => show(event),
//!         Output::Timeout(at) => { wake_at(at); break }   // always last
//!     }
//! }
//! ```
//! The machine never touches a socket, a browser API or a clock, so the same code runs in the
//! browser, in a future headless endpoint, and in the scenario tests in simulated time.
//!
//! ## Keys and the commitment
//!
//! ```text
//! caller                                         callee
//! Invite { dh_commit = H(call_id ‖ caller dh_pk) } ─►     rings; accept:
//!                                                        Prepare, CreateOffer
//!     ◄─ Offer { sdp, dh_pk = callee dh_pk }
//! Prepare, SetKeys, ApplyOffer
//! Answer { sdp, dh_pk = caller dh_pk } ─►                dh_commit matches? else Hangup{invalid}
//!                                                        SetKeys, ApplyAnswer
//! ```
//! The callee fixes its key before it sees the caller's, and the caller fixed its key (by the
//! commitment) before it saw the callee's, so neither can search for a matching security code
//! ([`DhCommit`](crate::crypto::DhCommit)). [`RtcAction::SetKeys`] always comes before the
//! remote description that lets DTLS complete, so media never flows without keys.

mod ice;
mod inbox;
mod phone;
mod restart;
mod session;
mod state;

pub use phone::Phone;
pub use state::{CallInfo, CallState};

use crate::crypto::{MediaSecret, PublicKey, Role, SecurityCode};
use crate::ids::{CallId, PeerId};
use crate::time::{Duration, Millis};
use crate::wire::signal::{CallSignal, IceCandidate, Media};

/// A contact as the machine needs it: the local name and their identity key (for the
/// security code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Local contact id.
    pub id: PeerId,
    /// The contact's identity key.
    pub identity: PublicKey,
}

/// Timers and limits (DESIGN §3). [`PhoneConfig::default`] is the production setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneConfig {
    /// How long an outgoing call rings, and the lifetime written into invitations.
    pub ring_lifetime: Duration,
    /// The longest ring an incoming invitation may ask for.
    pub max_incoming_lifetime: Duration,
    /// An invitation with less than this left to live never rings.
    pub ring_grace: Duration,
    /// From accepting (or receiving the offer) to CONNECTED.
    pub connect_timeout: Duration,
    /// How long a local candidate waits for the others gathered with it, to go in one
    /// message (the offer or answer itself never waits: `call/ice.rs`).
    pub candidate_batch: Duration,
    /// ICE `disconnected` for this long triggers a restart.
    pub restart_after: Duration,
    /// ICE restarts per reconnection episode.
    pub max_restarts: u32,
    /// A restart offer unanswered for this long is given up, so the next may start (never
    /// two at once: they would collide when a burst of queued signals arrives).
    pub restart_answer_timeout: Duration,
    /// Reconnecting for this long ends the call with `ice_failed`.
    pub give_up_after: Duration,
    /// How long to wait for a missing `seq` before moving on.
    pub gap_wait: Duration,
}

impl Default for PhoneConfig {
    fn default() -> Self {
        Self {
            ring_lifetime: Duration::secs(60),
            max_incoming_lifetime: Duration::secs(120),
            ring_grace: Duration::secs(3),
            connect_timeout: Duration::secs(30),
            candidate_batch: Duration::ms(10),
            restart_after: Duration::secs(2),
            max_restarts: 3,
            restart_answer_timeout: Duration::secs(10),
            give_up_after: Duration::secs(30),
            gap_wait: Duration::secs(1),
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone)]
pub enum Input {
    /// The user (or a controller) asked for something.
    Command(Command),
    /// A peer's call message, opened from its envelope.
    Signal {
        /// Who sent it (known from the queue it arrived on).
        from: Peer,
        /// How long ago the relay stored it (local now − relay `ts`).
        age: Duration,
        /// The message.
        signal: CallSignal,
    },
    /// The WebRTC glue finished something it was asked to do, or ICE changed.
    Rtc {
        /// The call the glue was working for (stale results for older calls are ignored).
        call_id: CallId,
        /// What happened.
        event: RtcEvent,
    },
    /// A deadline from [`Output::Timeout`] passed.
    Timeout,
}

/// What a user or controller can ask for.
#[derive(Debug, Clone)]
pub enum Command {
    /// Call a contact.
    Start {
        /// Whom.
        peer: Peer,
        /// Audio or video.
        media: Media,
    },
    /// Answer the ringing call.
    Accept {
        /// Answer with audio only, or with video.
        media: Media,
    },
    /// Decline the ringing call.
    Decline,
    /// Refuse the ringing call as busy: the caller hears "busy" and it is a missed call here
    /// (a kiosk that takes calls only from the contacts it trusts).
    RefuseBusy,
    /// End the call, whatever its state.
    Hangup,
    /// Tell the peer which sources are on.
    SetMedia {
        /// Microphone.
        audio: bool,
        /// Camera.
        video: bool,
        /// Screen.
        screen: bool,
    },
}

/// ICE connection states, as `RTCPeerConnection.iceConnectionState` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceState {
    /// Not started.
    New,
    /// Checking pairs.
    Checking,
    /// A pair works.
    Connected,
    /// Done checking, a pair works.
    Completed,
    /// Lost connectivity, may recover.
    Disconnected,
    /// No pair works.
    Failed,
    /// Closed.
    Closed,
}

/// Results from the WebRTC glue.
#[derive(Debug, Clone)]
pub enum RtcEvent {
    /// The offer or answer asked for is ready (already set as the local description).
    LocalDescription {
        /// Its SDP.
        sdp: String,
    },
    /// A local candidate was gathered.
    LocalCandidate(IceCandidate),
    /// Gathering finished for the current generation.
    GatheringComplete,
    /// ICE changed state.
    Ice(IceState),
    /// Whether the peer's media arrives, as the glue measures it (inbound packets stopped
    /// growing, or grow again). Sent on each change, after media first arrived.
    InboundMedia {
        /// Arriving.
        flowing: bool,
    },
    /// Relay-only calling, and the TURN server refused our credentials or could not be
    /// reached: no relay candidate, so no media path can exist.
    RelayUnreachable,
    /// Camera, microphone or peer connection failed.
    MediaFailed,
    /// A signal for this call could not be sent.
    SendFailed,
}

/// What the machine asks of the world.
#[derive(Debug, Clone)]
pub enum Output {
    /// Seal `signal` for `to` and send it to their queue.
    Send {
        /// Recipient.
        to: PeerId,
        /// The message.
        signal: CallSignal,
    },
    /// Do something with WebRTC for this call.
    Rtc {
        /// Which call.
        call_id: CallId,
        /// What to do.
        action: RtcAction,
    },
    /// Tell the UI.
    Event(Event),
    /// Call [`Phone::handle_input`] with [`Input::Timeout`] at this time (`None`: nothing
    /// scheduled). Always the last output of a drain.
    Timeout(Option<Millis>),
}

/// Instructions for the WebRTC glue.
#[derive(Debug, Clone)]
pub enum RtcAction {
    /// Build the peer connection with its four fixed transceivers and attach frame transforms,
    /// still without a key: they fail closed (no key, no frame) until [`RtcAction::SetKeys`].
    Prepare {
        /// This side's role (decides which keys encrypt and which decrypt).
        role: Role,
        /// Audio only or video.
        media: Media,
    },
    /// Give the frame transforms the call's media secret and show the security code. Always
    /// after [`RtcAction::Prepare`] and before the remote description that lets DTLS complete
    /// ([`RtcAction::ApplyOffer`] on the caller, [`RtcAction::ApplyAnswer`] on the callee), so
    /// no media can flow before the keys.
    SetKeys {
        /// The call's media secret, for the frame worker.
        secret: MediaSecret,
        /// The code to show.
        security_code: SecurityCode,
    },
    /// Create an offer (an ICE restart when asked), set it locally, report `LocalDescription`.
    CreateOffer {
        /// Restart ICE.
        ice_restart: bool,
    },
    /// Set this remote offer, create and set the answer, report `LocalDescription`.
    ApplyOffer {
        /// The remote SDP offer.
        sdp: String,
    },
    /// Set this remote answer.
    ApplyAnswer {
        /// The remote SDP answer.
        sdp: String,
    },
    /// Add remote candidates.
    AddCandidates(Vec<IceCandidate>),
    /// Stop all media and close the peer connection.
    Close,
}

/// What the UI shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A call changed state (the first event of a call is its first state).
    State(CallInfo),
    /// An incoming call the user never answered. Either it never rang (too old, cancelled
    /// before it arrived, or it came while another call was active: `busy`), and this is its
    /// only event; or it rang until the caller cancelled or the ring timed out, and this follows
    /// its `ENDED` state. A call the user declined is not missed.
    Missed {
        /// The call.
        call_id: CallId,
        /// Who called.
        peer: PeerId,
        /// What they wanted.
        media: Media,
        /// It arrived during another call (and the caller was told `busy`).
        busy: bool,
    },
    /// The peer's sources changed.
    PeerMedia {
        /// The call.
        call_id: CallId,
        /// Microphone on.
        audio: bool,
        /// Camera on.
        video: bool,
        /// Screen on.
        screen: bool,
    },
    /// Both sides called each other at once; the call with the smaller id survives and the
    /// other is dropped silently on both sides (DESIGN §3, Matrix glare rule).
    Replaced {
        /// The dropped call.
        old: CallId,
        /// The surviving call, now being answered automatically.
        new: CallId,
    },
}

/// Input the machine did not act on. The machine's state is unchanged by an `Err`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// A command that needs a call, without one.
    #[error("no call is active")]
    NoCall,
    /// `Start` during another call.
    #[error("already in a call")]
    Busy,
    /// A command or message that makes no sense in the current state.
    #[error("{got} is not valid while {state}")]
    Unexpected {
        /// The state.
        state: CallState,
        /// What arrived.
        got: &'static str,
    },
    /// A message for a call this phone does not know (and never knew).
    #[error("{got} for unknown call {call_id}")]
    UnknownCall {
        /// The call.
        call_id: CallId,
        /// What arrived.
        got: &'static str,
    },
    /// A message for a call, from someone who is not in it.
    #[error("{got} for call {call_id} from a contact who is not in it")]
    WrongPeer {
        /// The call.
        call_id: CallId,
        /// What arrived.
        got: &'static str,
    },
}
