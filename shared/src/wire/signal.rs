//! What travels inside a sealed envelope (DESIGN §2–3): contact handshakes and call signals.
//!
//! The JSON carries a version `v`; a receiver rejects versions it does not know with a clear
//! error instead of guessing. Every signal carries the sender's wall-clock `ts` and a
//! per-contact counter `ctr` (v2, after the replay review): the receiver keeps a replay window
//! per contact, so a relay that re-delivers an old sealed message gets it dropped. Every call
//! message also carries the `call_id` and a per-call, per-sender `seq` (0, 1, 2, …) so the
//! receiver can restore order within a call.

use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::ids::CallId;
use crate::wire::relay::{Payload, SndId};

/// The only signal version this build speaks (2: `ts` and `ctr` added; contact requests carry
/// a proof of the key they name).
pub const SIGNAL_VERSION: u8 = 2;

/// The plaintext of one envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// Always [`SIGNAL_VERSION`] when produced by this build.
    pub v: u8,
    /// The sender's wall clock when it sealed the message, in milliseconds since the Unix
    /// epoch. Only a coarse freshness bound: clocks are not trusted to agree.
    pub ts: u64,
    /// The sender's counter for this contact (from 1; 0 on an invitation queue, where the
    /// invitation's one-time use is the replay protection).
    pub ctr: u64,
    /// The message itself.
    #[serde(flatten)]
    pub body: SignalBody,
}

impl Signal {
    /// Wraps a body in the current version with `ts` and `ctr` zero, for tests and snapshots;
    /// the client core stamps real signals with [`Signal::stamped`].
    #[must_use]
    pub fn new(body: SignalBody) -> Self {
        Self::stamped(body, 0, 0)
    }

    /// Wraps a body with the sender's clock and counter.
    #[must_use]
    pub fn stamped(body: SignalBody, ts: u64, ctr: u64) -> Self {
        Self {
            v: SIGNAL_VERSION,
            ts,
            ctr,
            body,
        }
    }

    /// JSON bytes, as sealed into an envelope.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("signals contain only strings, numbers and bools")
    }

    /// Parses and version-checks JSON bytes.
    ///
    /// # Errors
    /// [`DecodeError::Version`] for a version this build does not speak, otherwise
    /// [`DecodeError::Json`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            v: u8,
        }
        let VersionOnly { v } =
            serde_json::from_slice(bytes).map_err(|e| DecodeError::Json(e.to_string()))?;
        if v != SIGNAL_VERSION {
            return Err(DecodeError::Version(v));
        }
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Json(e.to_string()))
    }
}

/// Why an opened envelope did not hold a signal we understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The peer runs a newer (or older) protocol.
    #[error("signal version {0} is not supported (this build speaks v2)")]
    Version(u8),
    /// Valid envelope, invalid JSON: a peer bug.
    #[error("malformed signal: {0}")]
    Json(String),
}

/// The kinds of signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SignalBody {
    /// Bob accepts Alice's invite link (sealed in HPKE base mode to the link's key).
    ContactRequest(ContactRequest),
    /// Alice confirms, giving Bob a queue of his own (HPKE auth mode, as everything after).
    ContactAccepted(ContactAccepted),
    /// The sender removed this contact; the receiver may do the same.
    ContactRemoved,
    /// A call message.
    Call(CallSignal),
}

/// Bob → Alice, on her one-time invitation queue, sealed in HPKE base mode to the key in
/// her link. Base mode says nothing about the sender, so the request carries `proof`: an
/// auth-mode envelope from `pk` to Alice holding the [`ContactIntro`]. Only the holder of
/// `pk`'s secret can make it, so nobody can claim someone else's key (DESIGN §2 trust rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRequest {
    /// Bob's identity key, as claimed; `proof` must open as auth mode from it.
    pub pk: PublicKey,
    /// Auth-mode envelope (Bob → Alice) of the [`ContactIntro`] JSON.
    pub proof: Payload,
}

/// What Bob proves by sealing it in auth mode: where Alice reaches him, his name, and which
/// invitation he answers (so a request cannot be replayed onto another invitation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactIntro {
    /// The invitation queue this request was sent to.
    pub invite: SndId,
    /// Origin of the shim that holds `snd_id`, e.g. `https://sotto.example`.
    pub relay: String,
    /// Where Alice sends to Bob.
    pub snd_id: SndId,
    /// Bob's display name, as he chose it.
    pub name: String,
}

/// Alice → Bob, on the queue Bob created for her.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactAccepted {
    /// Origin of the shim that holds `snd_id`.
    pub relay: String,
    /// Where Bob sends to Alice from now on.
    pub snd_id: SndId,
}

/// One call message: which call, its position in the sender's sequence, and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSignal {
    /// The call this message belongs to.
    pub call_id: CallId,
    /// The sender's sequence number within this call, from 0.
    pub seq: u32,
    /// The message.
    pub msg: CallMsg,
}

/// Audio only, or audio and video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Media {
    /// Microphone only.
    Audio,
    /// Microphone and camera.
    Video,
}

/// Which side of an SDP exchange a renegotiation message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdpRole {
    /// A new offer (only the original offerer sends these).
    Offer,
    /// The answer to it.
    Answer,
}

/// One ICE candidate, in the browser's `RTCIceCandidateInit` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceCandidate {
    /// The `candidate:` line.
    pub candidate: String,
    /// The media section id it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    /// The media section index it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_m_line_index: Option<u16>,
}

/// Why a call ended: one closed vocabulary for UI, JSON-RPC and logs (DESIGN §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// This side hung up (or cancelled before an answer).
    LocalHangup,
    /// The other side hung up.
    RemoteHangup,
    /// The callee declined.
    Rejected,
    /// The callee was in another call.
    Busy,
    /// Nobody answered within the ring time.
    RingTimeout,
    /// Accepted, but media never connected in time.
    ConnectTimeout,
    /// Media connected once, then ICE could not be restored.
    IceFailed,
    /// A camera, microphone or peer connection failed locally.
    MediaFailed,
    /// A signal could not be sent.
    SignallingFailed,
    /// Relay-only calling, and the TURN relay refused us or could not be reached.
    TurnFailed,
    /// The peer sent something impossible (bad key, wrong state).
    Invalid,
}

impl EndReason {
    /// What the other side should record when it hears this reason in a hang-up.
    #[must_use]
    pub fn as_seen_by_peer(self) -> Self {
        match self {
            Self::LocalHangup => Self::RemoteHangup,
            other => other,
        }
    }
}

/// The call messages of DESIGN §3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallMsg {
    /// Caller → callee: please ring. No SDP, no IP address, nothing before consent.
    Invite {
        /// What the caller wants.
        media: Media,
        /// Always true: there are no unencrypted calls.
        encryption: bool,
        /// The caller's commitment to its fresh per-call X25519 key; the key itself comes only
        /// in the answer, after the callee's key is fixed (DESIGN §3, ZRTP's hash commitment).
        dh_commit: crate::crypto::DhCommit,
        /// How long the invitation may ring, from when the relay stored it.
        lifetime_ms: u32,
    },
    /// Callee → caller, after the user accepted: the callee makes the offer.
    Offer {
        /// What the callee accepted with.
        media: Media,
        /// The SDP offer.
        sdp: String,
        /// Candidates gathered before sending.
        candidates: Vec<IceCandidate>,
        /// The callee's fresh per-call X25519 key.
        dh_pk: PublicKey,
    },
    /// Caller → callee.
    Answer {
        /// The SDP answer.
        sdp: String,
        /// Candidates gathered before sending.
        candidates: Vec<IceCandidate>,
        /// The caller's per-call X25519 key, revealed: it must match the invitation's
        /// `dh_commit` or the callee ends the call as `invalid`.
        dh_pk: PublicKey,
    },
    /// Either way: more candidates; `done` once gathering completed.
    Candidates {
        /// New candidates since the last message.
        candidates: Vec<IceCandidate>,
        /// No more candidates will follow for this generation.
        done: bool,
    },
    /// An ICE restart, offer or answer. Only the original offerer (the callee) starts one.
    Renegotiate {
        /// Restart generation, from 1.
        #[serde(rename = "gen")]
        generation: u32,
        /// The SDP.
        sdp: String,
        /// Offer or answer.
        role: SdpRole,
    },
    /// The sender's sources, so the receiver can show "muted" and "camera off".
    Media {
        /// Microphone sending.
        audio: bool,
        /// Camera sending.
        video: bool,
        /// Screen sending.
        screen: bool,
    },
    /// The call is over.
    Hangup {
        /// Why, from the sender's point of view.
        reason: EndReason,
    },
    /// The callee declined.
    Reject,
    /// The callee is in another call.
    Busy,
}

impl CallMsg {
    /// The message's wire name, for errors and logs (never its content).
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Invite { .. } => "invite",
            Self::Offer { .. } => "offer",
            Self::Answer { .. } => "answer",
            Self::Candidates { .. } => "candidates",
            Self::Renegotiate { .. } => "renegotiate",
            Self::Media { .. } => "media",
            Self::Hangup { .. } => "hangup",
            Self::Reject => "reject",
            Self::Busy => "busy",
        }
    }
}
