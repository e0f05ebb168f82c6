//! The states a call goes through, in one vocabulary for UI, a future JSON-RPC API and logs
//! (seed signal-cli-voice-calls.md).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::crypto::Role;
use crate::ids::{CallId, PeerId};
use crate::wire::signal::{EndReason, Media};

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallState {
    /// We invited; the peer's phone rings.
    RingingOutgoing,
    /// We are invited; our phone rings.
    RingingIncoming,
    /// Accepted; media is being set up.
    Connecting,
    /// Media flows.
    Connected,
    /// Media was lost; ICE is being restarted.
    Reconnecting,
    /// Over, for this reason.
    Ended(EndReason),
}

impl CallState {
    /// Whether the call is over.
    #[must_use]
    pub const fn is_ended(self) -> bool {
        matches!(self, Self::Ended(_))
    }

    /// The state's name without its reason.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::RingingOutgoing => "RINGING_OUTGOING",
            Self::RingingIncoming => "RINGING_INCOMING",
            Self::Connecting => "CONNECTING",
            Self::Connected => "CONNECTED",
            Self::Reconnecting => "RECONNECTING",
            Self::Ended(_) => "ENDED",
        }
    }
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ended(reason) => write!(f, "ENDED({reason:?})"),
            other => f.write_str(other.name()),
        }
    }
}

/// A snapshot of one call, as events carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    /// The call.
    pub call_id: CallId,
    /// The other side.
    pub peer: PeerId,
    /// Whether we called.
    pub role: Role,
    /// Audio or video (the accepted media once accepted).
    pub media: Media,
    /// Where it is.
    pub state: CallState,
}
