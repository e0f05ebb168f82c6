//! The control protocol between `sotto-cli` and `sotto-call-tunnel` (one process per call; the
//! seed signal-cli-voice-calls.md's process model): the first line on the tunnel's stdin is a
//! [`TunnelConfig`], then one [`ToTunnel`] a line; the tunnel answers one [`FromTunnel`] a line
//! on stdout, [`FromTunnel::Ready`] first, and logs on stderr. It ends on stdin EOF or SIGTERM.
//!
//! The daemon's client core decides; the tunnel only does media, the part
//! `web/src/browser/peer.rs` plays in the browser. So the control messages are the call
//! machine's [`RtcAction`]s and the events are its [`RtcEvent`]s (research native-endpoint.md
//! §5 maps them to the seed's names).

use serde::{Deserialize, Serialize};

use crate::b64;
use crate::call::{IceState, RtcAction, RtcEvent};
use crate::crypto::Role;
use crate::wire::relay::IceServer;
use crate::wire::signal::{IceCandidate, Media};

/// How a call's audio enters and leaves the tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum AudioBackend {
    /// Raw s16le 48 kHz mono PCM over a Unix stream socket at `path`, both ways: what a
    /// client writes is sent, what is heard is written to it (the path is both device names).
    Socket {
        /// Where the tunnel listens.
        path: String,
    },
    /// Send back what is heard, re-encrypted with our own key (no codec involved).
    Echo,
}

impl AudioBackend {
    /// The opaque device names clients see (`inputDeviceName`, `outputDeviceName`).
    #[must_use]
    pub fn device_names(&self) -> (String, String) {
        match self {
            Self::Socket { path } => (path.clone(), path.clone()),
            Self::Echo => ("echo".into(), "echo".into()),
        }
    }
}

/// The first line on the tunnel's stdin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelConfig {
    /// The call (for logs and names).
    pub call_id: String,
    /// The audio backend.
    pub audio: AudioBackend,
    /// Relay-only ("hide my IP").
    #[serde(default)]
    pub relay_only: bool,
    /// STUN/TURN servers from the relay.
    #[serde(default)]
    pub ice_servers: Vec<IceServer>,
}

/// Control messages, daemon → tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ToTunnel {
    /// [`RtcAction::Prepare`]: build the four fixed transceivers; frames fail closed.
    Prepare {
        /// `caller` or `callee`.
        role: TunnelRole,
        /// Audio or video.
        media: Media,
    },
    /// [`RtcAction::SetKeys`]: the call's media secret (prk), base64url. It travels on the
    /// pipe, never in argv or the environment.
    SetKeys {
        /// 32 bytes, base64url.
        prk: String,
    },
    /// [`RtcAction::CreateOffer`].
    CreateOffer {
        /// Restart ICE.
        ice_restart: bool,
    },
    /// [`RtcAction::ApplyOffer`].
    ReceivedOffer {
        /// The remote offer.
        sdp: String,
    },
    /// [`RtcAction::ApplyAnswer`].
    ReceivedAnswer {
        /// The remote answer.
        sdp: String,
    },
    /// [`RtcAction::AddCandidates`].
    ReceivedIce {
        /// Remote candidates.
        candidates: Vec<IceCandidate>,
    },
    /// [`RtcAction::Close`]: stop media; the tunnel exits when stdin closes.
    Hangup,
    /// Send a WAV file (48 kHz mono s16) instead of the socket's input.
    PlayAudio {
        /// The file.
        path: String,
        /// Start again at the end.
        #[serde(default)]
        r#loop: bool,
    },
    /// Record what is heard to a WAV file (48 kHz mono s16).
    RecordAudio {
        /// The file.
        path: String,
    },
    /// Write the peer's camera frames, decrypted, to an IVF file (from the next key frame).
    RecordVideo {
        /// The file.
        path: String,
    },
    /// Echo what is heard back to the peer.
    SetEcho {
        /// On or off.
        on: bool,
    },
}

/// Which side of the call the tunnel serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelRole {
    /// Sent the invitation (answers the SDP offer).
    Caller,
    /// Received it (makes the SDP offer).
    Callee,
}

impl From<Role> for TunnelRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Caller => Self::Caller,
            Role::Callee => Self::Callee,
        }
    }
}

impl From<TunnelRole> for Role {
    fn from(role: TunnelRole) -> Self {
        match role {
            TunnelRole::Caller => Self::Caller,
            TunnelRole::Callee => Self::Callee,
        }
    }
}

impl From<RtcAction> for ToTunnel {
    fn from(action: RtcAction) -> Self {
        match action {
            RtcAction::Prepare { role, media } => Self::Prepare {
                role: role.into(),
                media,
            },
            RtcAction::SetKeys { secret, .. } => Self::SetKeys {
                prk: b64::encode(&secret.to_bytes()),
            },
            RtcAction::CreateOffer { ice_restart } => Self::CreateOffer { ice_restart },
            RtcAction::ApplyOffer { sdp } => Self::ReceivedOffer { sdp },
            RtcAction::ApplyAnswer { sdp } => Self::ReceivedAnswer { sdp },
            RtcAction::AddCandidates(candidates) => Self::ReceivedIce { candidates },
            RtcAction::Close => Self::Hangup,
        }
    }
}

/// Frame counters of one call, as the browser's frame worker counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaCounters {
    /// Frames encrypted and sent.
    pub encrypted: u64,
    /// Frames received and decrypted.
    pub decrypted: u64,
    /// Frames not sent because no key was set yet (fail closed).
    pub dropped_no_key: u64,
    /// Received frames that did not decrypt (tampered, replayed, foreign, malformed).
    pub dropped_undecryptable: u64,
    /// Audio frames decoded and played out (or recorded).
    pub decoded: u64,
    /// Audio frames lost or late, recovered from the next frame's FEC or concealed (PLC).
    #[serde(default)]
    pub concealed: u64,
}

/// Events, tunnel → daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum FromTunnel {
    /// Config read, audio devices ready. Always the first event.
    Ready {
        /// Where to write audio to send.
        input_device_name: String,
        /// Where to read audio heard.
        output_device_name: String,
    },
    /// [`RtcEvent::LocalDescription`].
    LocalDescription {
        /// The local offer or answer.
        sdp: String,
    },
    /// [`RtcEvent::LocalCandidate`]s.
    SendIce {
        /// Local candidates.
        candidates: Vec<IceCandidate>,
    },
    /// [`RtcEvent::GatheringComplete`].
    GatheringComplete,
    /// [`RtcEvent::Ice`]: `new`, `checking`, `connected`, `completed`, `disconnected`,
    /// `failed` or `closed`.
    StateChange {
        /// The ICE state.
        ice: String,
    },
    /// Frame counters, every few seconds and at the end.
    Counters {
        /// The counts so far.
        counters: MediaCounters,
    },
    /// Something went wrong. `fatal`: the media is gone ([`RtcEvent::MediaFailed`]);
    /// otherwise the message was refused and the call goes on (a bad control line).
    Error {
        /// What.
        message: String,
        /// Whether the call's media is lost.
        #[serde(default)]
        fatal: bool,
    },
}

impl FromTunnel {
    /// The call machine's view of this event (none for `ready`, `counters` and non-fatal
    /// errors).
    #[must_use]
    pub fn into_rtc_events(self) -> Vec<RtcEvent> {
        match self {
            Self::LocalDescription { sdp } => vec![RtcEvent::LocalDescription { sdp }],
            Self::SendIce { candidates } => candidates
                .into_iter()
                .map(RtcEvent::LocalCandidate)
                .collect(),
            Self::GatheringComplete => vec![RtcEvent::GatheringComplete],
            Self::StateChange { ice } => ice_state(&ice).map(RtcEvent::Ice).into_iter().collect(),
            Self::Error { fatal: true, .. } => vec![RtcEvent::MediaFailed],
            Self::Ready { .. } | Self::Counters { .. } | Self::Error { .. } => Vec::new(),
        }
    }
}

/// The wire name of an ICE state.
#[must_use]
pub const fn ice_state_name(state: IceState) -> &'static str {
    match state {
        IceState::New => "new",
        IceState::Checking => "checking",
        IceState::Connected => "connected",
        IceState::Completed => "completed",
        IceState::Disconnected => "disconnected",
        IceState::Failed => "failed",
        IceState::Closed => "closed",
    }
}

fn ice_state(name: &str) -> Option<IceState> {
    [
        IceState::New,
        IceState::Checking,
        IceState::Connected,
        IceState::Completed,
        IceState::Disconnected,
        IceState::Failed,
        IceState::Closed,
    ]
    .into_iter()
    .find(|s| ice_state_name(*s) == name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn writes_control_messages_in_the_tunnel_vocabulary() {
        let line = serde_json::to_value(ToTunnel::CreateOffer { ice_restart: true }).unwrap();
        assert_eq!(line, json!({"type": "createOffer", "iceRestart": true}));
        assert_eq!(
            serde_json::to_value(ToTunnel::Hangup).unwrap(),
            json!({"type": "hangup"})
        );
        let play =
            serde_json::from_value::<ToTunnel>(json!({"type": "playAudio", "path": "a.wav"}));
        assert_eq!(
            play.unwrap(),
            ToTunnel::PlayAudio {
                path: "a.wav".into(),
                r#loop: false
            }
        );
        let config = TunnelConfig {
            call_id: "c".into(),
            audio: AudioBackend::Socket {
                path: "/run/a.sock".into(),
            },
            relay_only: false,
            ice_servers: Vec::new(),
        };
        assert_eq!(
            serde_json::to_value(&config).unwrap(),
            json!({"call_id": "c", "audio": {"backend": "socket", "path": "/run/a.sock"},
                   "relay_only": false, "ice_servers": []})
        );
    }

    #[test]
    fn maps_tunnel_events_to_call_machine_events() {
        let event: FromTunnel =
            serde_json::from_value(json!({"type": "stateChange", "ice": "connected"})).unwrap();
        assert!(matches!(
            event.into_rtc_events()[..],
            [RtcEvent::Ice(IceState::Connected)]
        ));
        let fatal: FromTunnel =
            serde_json::from_value(json!({"type": "error", "message": "x", "fatal": true}))
                .unwrap();
        assert!(matches!(
            fatal.into_rtc_events()[..],
            [RtcEvent::MediaFailed]
        ));
        let bad_line: FromTunnel =
            serde_json::from_value(json!({"type": "error", "message": "x"})).unwrap();
        assert!(bad_line.into_rtc_events().is_empty());
        let ready = FromTunnel::Ready {
            input_device_name: "i".into(),
            output_device_name: "o".into(),
        };
        assert_eq!(
            serde_json::to_value(ready).unwrap(),
            json!({"type": "ready", "inputDeviceName": "i", "outputDeviceName": "o"})
        );
    }
}
