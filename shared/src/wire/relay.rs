//! The relay protocol between a browser and a shim (DESIGN §1): JSON text frames over one
//! WebSocket, one message a frame. Enum names say the direction: [`ClientMsg`] goes up to the
//! shim, [`ServerMsg`] comes down. Payloads are opaque sealed bytes; the shim never reads them.
//!
//! Version: this is relay protocol v1, negotiated as the WebSocket subprotocol
//! [`SUBPROTOCOL`]. A later version gets a new subprotocol name, so old clients fail loudly.

use std::fmt;

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::b64;

/// The WebSocket subprotocol that names this version of the relay protocol.
pub const SUBPROTOCOL: &str = "sotto.relay.v1";

/// Client-chosen request id, echoed in the one reply every request gets.
pub type ReqId = u64;

macro_rules! queue_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub struct $name(#[serde(with = "b64::array")] [u8; 24]);

        impl $name {
            /// A fresh random id.
            pub fn random(rng: &mut impl CryptoRng) -> Self {
                let mut bytes = [0; 24];
                rng.fill_bytes(&mut bytes);
                Self(bytes)
            }

            /// The raw 24 bytes.
            #[must_use]
            pub const fn as_bytes(&self) -> &[u8; 24] {
                &self.0
            }

            /// An id from raw bytes.
            #[must_use]
            pub const fn from_bytes(bytes: [u8; 24]) -> Self {
                Self(bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&b64::encode(&self.0))
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                b64::decode_array(s).map(Self)
            }
        }
    };
}

queue_id!(
    /// The secret half of a queue: whoever holds it may subscribe, ack and delete.
    /// The shim stores only its hash. `Debug` is redacted so it never reaches a log.
    RcvId
);
queue_id!(
    /// The public half of a queue: given to one contact, it only allows sending.
    SndId
);

impl fmt::Debug for RcvId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RcvId(..)")
    }
}

impl fmt::Debug for SndId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SndId({self})")
    }
}

/// A shim-assigned message id, opaque to clients; the receiver drops duplicates by it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgId(pub String);

impl fmt::Debug for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsgId({})", self.0)
    }
}

/// Opaque bytes (a sealed envelope), base64url on the wire.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Payload(#[serde(with = "b64::bytes")] pub Vec<u8>);

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Payload({} bytes)", self.0.len())
    }
}

/// Requests, browser → shim. Every request gets exactly one reply carrying its `id`.
/// (Field names are the protocol's own, DESIGN §1.)
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Make a new queue → [`ServerMsg::QueueCreated`].
    CreateQueue { id: ReqId },
    /// Receive a queue's messages on this socket → `ok`, then [`ServerMsg::Message`] pushes.
    Subscribe { id: ReqId, rcv_id: RcvId },
    /// Delete one delivered message → `ok`.
    Ack {
        id: ReqId,
        rcv_id: RcvId,
        msg_id: MsgId,
    },
    /// Store a message in someone's queue → `ok` once it is durable.
    Send {
        id: ReqId,
        snd_id: SndId,
        payload: Payload,
    },
    /// Remove a queue and everything in it → `ok`.
    DeleteQueue { id: ReqId, rcv_id: RcvId },
    /// Mint short-lived TURN credentials → [`ServerMsg::IceServers`].
    TurnCredentials { id: ReqId },
    /// Liveness check → [`ServerMsg::Pong`].
    Ping { id: ReqId },
}

impl ClientMsg {
    /// The request id the reply must carry.
    #[must_use]
    pub fn id(&self) -> ReqId {
        match self {
            Self::CreateQueue { id }
            | Self::Subscribe { id, .. }
            | Self::Ack { id, .. }
            | Self::Send { id, .. }
            | Self::DeleteQueue { id, .. }
            | Self::TurnCredentials { id }
            | Self::Ping { id } => *id,
        }
    }
}

/// Replies and pushes, shim → browser. (Field names are the protocol's own, DESIGN §1.)
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// Reply to `create_queue`.
    QueueCreated {
        id: ReqId,
        rcv_id: RcvId,
        snd_id: SndId,
    },
    /// Success without data.
    Ok { id: ReqId },
    /// A stored message for a subscribed queue; stays stored until acked.
    Message {
        rcv_id: RcvId,
        msg_id: MsgId,
        /// Milliseconds since the Unix epoch when the shim stored it.
        ts: u64,
        payload: Payload,
    },
    /// Reply to `turn_credentials`.
    IceServers {
        id: ReqId,
        servers: Vec<IceServer>,
        ttl_s: u64,
    },
    /// Reply to `ping`.
    Pong { id: ReqId },
    /// A request failed. `id` is absent when the request could not even be parsed.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<ReqId>,
        code: ErrorCode,
        message: String,
    },
    /// Another socket subscribed to this queue; this one gets no more of its messages.
    SubscriptionEnded { rcv_id: RcvId },
}

impl ServerMsg {
    /// The request this message answers; `None` for pushes (and errors about no request).
    #[must_use]
    pub const fn reply_to(&self) -> Option<ReqId> {
        match self {
            Self::QueueCreated { id, .. }
            | Self::Ok { id }
            | Self::IceServers { id, .. }
            | Self::Pong { id } => Some(*id),
            Self::Error { id, .. } => *id,
            Self::Message { .. } | Self::SubscriptionEnded { .. } => None,
        }
    }
}

/// The closed set of relay error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not a valid request (bad JSON, unknown type, malformed field, binary frame).
    BadRequest,
    /// No such queue, or the caller may not use it.
    UnknownQueue,
    /// Payload larger than the limit.
    TooLarge,
    /// The queue holds the maximum number of pending messages.
    QueueFull,
    /// Too many requests on this connection; slow down.
    RateLimited,
    /// The shim failed; the request may be retried.
    Internal,
}

impl ErrorCode {
    /// Every code, for metrics labels.
    pub const ALL: [Self; 6] = [
        Self::BadRequest,
        Self::UnknownQueue,
        Self::TooLarge,
        Self::QueueFull,
        Self::RateLimited,
        Self::Internal,
    ];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::UnknownQueue => "unknown_queue",
            Self::TooLarge => "too_large",
            Self::QueueFull => "queue_full",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        }
    }
}

/// One entry of `RTCConfiguration.iceServers`, in the browser's own field names.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}
