//! Domain identifiers. Every id crosses the wire as a base64url string, never a JSON number
//! (signal-cli's 64-bit call ids lose precision in JavaScript; see the research notes).

use std::fmt;

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::b64;

/// Identifies one call: 16 random bytes, base64url on the wire.
///
/// Ordered by its bytes, which is what glare resolution compares (the smaller id survives).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CallId(#[serde(with = "b64::array")] [u8; 16]);

impl CallId {
    /// A fresh random call id.
    pub fn random(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0; 16];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A call id from known bytes (tests, vectors).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The raw bytes, as bound into the media key derivation.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b64::encode(&self.0))
    }
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallId({self})")
    }
}

/// How the local app names a contact. Never sent anywhere: the relay queue already tells the
/// receiver who sent a message (DESIGN §1), so peers are identified locally only.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PeerId(pub String);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Peer({})", self.0)
    }
}

impl From<&str> for PeerId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}
