//! The caller's hash commitment to its call key (ZRTP's commitment, RFC 6189 §4.4.1.1).
//!
//! The invitation carries only `SHA-256("sotto/v1/dh-commit" ‖ call_id ‖ caller dh_pk)`. The
//! callee fixes its own key (in the offer) without having seen the caller's; the caller then
//! reveals its key in the answer, and the callee checks it against the commitment before deriving
//! anything. Neither side can choose its key after seeing the other's, so a man in the middle of
//! the contact cannot search keys for a pair whose security codes match: he gets one guess in
//! 2³⁹ per call.
//!
//! ```text
//! dh_commit = SHA-256("sotto/v1/dh-commit" ‖ call_id (16) ‖ caller dh_pk (32))
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::b64;
use crate::crypto::PublicKey;
use crate::ids::CallId;

const LABEL: &[u8] = b"sotto/v1/dh-commit";

/// A commitment to a caller's per-call key, base64url on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DhCommit(#[serde(with = "b64::array")] [u8; 32]);

impl DhCommit {
    /// The commitment to `dh_pk` for the call `call_id`.
    #[must_use]
    pub fn of(call_id: &CallId, dh_pk: &PublicKey) -> Self {
        let digest = Sha256::new()
            .chain_update(LABEL)
            .chain_update(call_id.as_bytes())
            .chain_update(dh_pk.as_bytes())
            .finalize();
        Self(digest.into())
    }

    /// Whether `dh_pk` is the key this commits to for `call_id`.
    ///
    /// A plain comparison, on purpose: both sides of it are public to whoever could time it (the
    /// commitment travels in the invitation, the key in the answer), and a mismatch ends the call,
    /// so there is no secret to leak and no second guess to refine.
    #[must_use]
    pub fn matches(&self, call_id: &CallId, dh_pk: &PublicKey) -> bool {
        *self == Self::of(call_id, dh_pk)
    }

    /// A commitment from its 32 bytes (tests, vectors).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DhCommit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DhCommit({})", b64::encode(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(n: u8) -> CallId {
        CallId::from_bytes([n; 16])
    }

    fn key(n: u8) -> PublicKey {
        PublicKey::from_bytes([n; 32])
    }

    #[test]
    fn matches_the_committed_key_for_its_call() {
        assert!(DhCommit::of(&call(1), &key(2)).matches(&call(1), &key(2)));
    }

    #[test]
    fn rejects_another_key_or_another_call() {
        let commit = DhCommit::of(&call(1), &key(2));
        assert!(!commit.matches(&call(1), &key(3)));
        assert!(!commit.matches(&call(9), &key(2)));
    }

    #[test]
    fn rejects_a_tampered_commitment() {
        for i in 0..32 {
            let mut bytes = *DhCommit::of(&call(1), &key(2)).as_bytes();
            bytes[i] ^= 0x01;
            assert!(
                !DhCommit::from_bytes(bytes).matches(&call(1), &key(2)),
                "byte {i}"
            );
        }
    }

    #[test]
    fn debug_shows_base64url() {
        let text = format!("{:?}", DhCommit::from_bytes([0xff; 32]));
        assert_eq!(text, format!("DhCommit({})", "_".repeat(42) + "8"));
    }
}
