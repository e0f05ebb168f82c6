//! What the UI renders: a snapshot of the engine, cheap to compare.

use serde::Serialize;
use sotto_shared::call::CallState;
use sotto_shared::wire::invite::Invitation;
use sotto_shared::wire::signal::{EndReason, Media};

use crate::browser::media::Devices;
use crate::browser::peer::MediaStats;
use crate::browser::relay::Status;
use crate::worker::Counters;

/// One contact as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactView {
    /// Local id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Whether they confirmed (we can call them).
    pub ready: bool,
}

/// The call on screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallView {
    /// Call id (base64url).
    pub call_id: String,
    /// The other person.
    pub peer_name: String,
    /// We called.
    pub outgoing: bool,
    /// Audio or video.
    pub media: Media,
    /// State.
    pub state: CallState,
    /// When it connected (ms since epoch), for the duration.
    pub connected_at: Option<f64>,
    /// The security code, once keys are agreed.
    pub security_code: Option<String>,
    /// Peer's microphone on.
    pub peer_audio: bool,
    /// Peer's camera on.
    pub peer_video: bool,
    /// Our microphone on.
    pub mic_on: bool,
    /// Our camera on.
    pub camera_on: bool,
    /// Shown small, while the rest of the app is used.
    pub minimized: bool,
}

/// A call that ended, shown briefly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndedView {
    /// Who.
    pub peer_name: String,
    /// Why.
    pub reason: EndReason,
}

/// A missed call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissedView {
    /// Who called.
    pub peer_name: String,
    /// What they wanted.
    pub media: Media,
    /// We were busy.
    pub busy: bool,
}

/// The whole screen's data.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct View {
    /// Our name, once there is a profile.
    pub name: Option<String>,
    /// Relay connection.
    #[serde(serialize_with = "status_text")]
    pub status: Option<Status>,
    /// Contacts.
    pub contacts: Vec<ContactView>,
    /// The invitation being shown.
    pub invite_link: Option<String>,
    /// An invitation opened from a link, waiting for the user to add it.
    #[serde(skip)]
    pub incoming_invite: Option<Invitation>,
    /// The call.
    pub call: Option<CallView>,
    /// The last ended call.
    pub ended: Option<EndedView>,
    /// Missed calls.
    pub missed: Vec<MissedView>,
    /// Frame counters from the worker.
    pub counters: Counters,
    /// Media statistics.
    pub stats: MediaStats,
    /// Devices.
    #[serde(skip)]
    pub devices: Devices,
    /// Relay-only setting.
    pub relay_only: bool,
    /// Whether TURN is available (for relay-only).
    pub has_turn: bool,
    /// A message for the user.
    pub notice: Option<String>,
    /// This browser cannot encrypt frames: no calls.
    pub unsupported: bool,
    /// Envelopes that could not be opened (dropped).
    pub rejected_envelopes: u64,
}

fn status_text<S: serde::Serializer>(status: &Option<Status>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match status {
        None => "none",
        Some(Status::Connecting) => "connecting",
        Some(Status::Online) => "online",
        Some(Status::Offline(_)) => "offline",
    })
}
