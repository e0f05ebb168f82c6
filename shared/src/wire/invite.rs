//! Invite links (DESIGN §2): `https://<shim>/#/invite/<base64url JSON>`. The payload sits in the
//! URL fragment, which browsers never send to a server, so no shim can log it.

use serde::{Deserialize, Serialize};

use crate::b64;
use crate::crypto::PublicKey;
use crate::wire::relay::SndId;

/// The only invitation version this build writes and reads.
pub const INVITE_VERSION: u8 = 1;

const FRAGMENT_PREFIX: &str = "#/invite/";

/// What an invite link carries: where to send a contact request, and the key to seal it to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Always [`INVITE_VERSION`].
    pub v: u8,
    /// Origin of the inviter's shim, e.g. `https://sotto.example`.
    pub relay: String,
    /// The inviter's one-time invitation queue.
    pub snd_id: SndId,
    /// The inviter's identity key.
    pub pk: PublicKey,
    /// The inviter's display name (shown before accepting; the peer chose it).
    pub name: String,
}

/// Why a link is not a usable invitation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    /// No `#/invite/` fragment.
    #[error("this is not a sotto invite link")]
    NotAnInvite,
    /// The fragment is not base64url JSON of an invitation.
    #[error("the invite link is damaged: {0}")]
    Malformed(String),
    /// A version this build cannot read.
    #[error("the invite link needs a newer version of sotto (link version {0})")]
    Version(u8),
}

impl Invitation {
    /// The full link for this invitation, served by the shim at `origin`.
    #[must_use]
    pub fn to_link(&self, origin: &str) -> String {
        let json = serde_json::to_vec(self).expect("invitation is plain data");
        format!(
            "{}/{FRAGMENT_PREFIX}{}",
            origin.trim_end_matches('/'),
            b64::encode(&json)
        )
    }

    /// Parses a full link, or just its fragment (`#/invite/…`).
    ///
    /// # Errors
    /// [`InviteError`] saying what is wrong with the link.
    pub fn from_link(link: &str) -> Result<Self, InviteError> {
        let start = link.find(FRAGMENT_PREFIX).ok_or(InviteError::NotAnInvite)?;
        let encoded = link[start + FRAGMENT_PREFIX.len()..].trim();
        let json = b64::decode(encoded).map_err(|e| InviteError::Malformed(e.to_string()))?;
        let value: serde_json::Value =
            serde_json::from_slice(&json).map_err(|e| InviteError::Malformed(e.to_string()))?;
        match value.get("v").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(INVITE_VERSION) => {}
            Some(v) => return Err(InviteError::Version(u8::try_from(v).unwrap_or(u8::MAX))),
            None => return Err(InviteError::Malformed("missing version".into())),
        }
        serde_json::from_value(value).map_err(|e| InviteError::Malformed(e.to_string()))
    }
}
