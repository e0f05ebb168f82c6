//! Per-call key agreement (DESIGN §4). Each side makes a fresh X25519 key for the call; the
//! shared secret becomes `prk`, from which every frame key and the security code are expanded.
//!
//! ```text
//! prk  = HKDF-Extract(salt = SHA-256(call_id ‖ caller dh_pk ‖ callee dh_pk), ikm = X25519(own, peer))
//! key  = HKDF-Expand(prk, "sotto/v1/key "  ‖ direction ‖ " " ‖ stream, 32)
//! salt = HKDF-Expand(prk, "sotto/v1/salt " ‖ direction ‖ " " ‖ stream, 12)
//! sas  = HKDF-Expand(prk, "sotto/v1/sas" ‖ min(id_a, id_b) ‖ max(id_a, id_b), 5)
//! ```
//! `direction` is the role of the stream's *sender* (`caller` or `callee`), so every key has
//! exactly one sender and one counter (RFC 9605 §4.4.1).
//!
//! The caller's `dh_pk` is committed to in the invitation and revealed only in the answer, after
//! the callee's key is fixed; the callee agrees only on a key that matches the commitment
//! ([`DhCommit`](crate::crypto::DhCommit)), so neither side can grind the security code.

use std::fmt;

use hkdf::Hkdf;
use rand_core::CryptoRng;
use sha2::{Digest as _, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::{Direction, FrameKey, PublicKey, Stream};
use crate::ids::CallId;

/// Which end of the call this side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sent the invitation.
    Caller,
    /// Received it (and makes the SDP offer).
    Callee,
}

impl Role {
    /// The other end.
    #[must_use]
    pub const fn peer(self) -> Self {
        match self {
            Self::Caller => Self::Callee,
            Self::Callee => Self::Caller,
        }
    }

    /// The direction label of streams this role sends.
    #[must_use]
    pub const fn sending(self) -> Direction {
        match self {
            Self::Caller => Direction::Caller,
            Self::Callee => Direction::Callee,
        }
    }
}

/// A fresh per-call X25519 key pair. Consumed by [`CallKeyPair::agree`], so the secret is used
/// for exactly one agreement and wiped right after.
pub struct CallKeyPair {
    secret: x25519_dalek::EphemeralSecret,
    public: PublicKey,
}

impl CallKeyPair {
    /// A fresh key pair for one call.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let secret = x25519_dalek::EphemeralSecret::random_from_rng(rng);
        let public = PublicKey::from_bytes(x25519_dalek::PublicKey::from(&secret).to_bytes());
        Self { secret, public }
    }

    /// The public half, sent as `dh_pk`.
    #[must_use]
    pub const fn public(&self) -> PublicKey {
        self.public
    }

    /// Agrees on the call's media secret with the peer's `dh_pk`.
    ///
    /// # Errors
    /// [`KeyAgreementError`] when the peer's key forces a known shared secret (a low-order
    /// point: `was_contributory()` is false).
    pub fn agree(
        self,
        call_id: &CallId,
        role: Role,
        peer: &PublicKey,
    ) -> Result<MediaSecret, KeyAgreementError> {
        let own = self.public;
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(*peer.as_bytes()));
        if !shared.was_contributory() {
            return Err(KeyAgreementError);
        }
        let (caller, callee) = match role {
            Role::Caller => (own, *peer),
            Role::Callee => (*peer, own),
        };
        Ok(MediaSecret::derive(
            call_id,
            &caller,
            &callee,
            shared.as_bytes(),
        ))
    }
}

impl fmt::Debug for CallKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallKeyPair {{ public: {}, secret: .. }}", self.public)
    }
}

/// The peer's call key was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the peer's call key is not acceptable")]
pub struct KeyAgreementError;

/// The call's pseudorandom key. Crosses into the frame worker once (as bytes, by
/// `postMessage`) and is never shown or logged.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MediaSecret {
    prk: [u8; 32],
}

impl MediaSecret {
    /// `prk` from the X25519 output and the call transcript.
    #[must_use]
    pub fn derive(
        call_id: &CallId,
        caller_dh: &PublicKey,
        callee_dh: &PublicKey,
        shared: &[u8; 32],
    ) -> Self {
        let salt = Sha256::new()
            .chain_update(call_id.as_bytes())
            .chain_update(caller_dh.as_bytes())
            .chain_update(callee_dh.as_bytes())
            .finalize();
        let (prk, _) = Hkdf::<Sha256>::extract(Some(&salt), shared);
        Self { prk: prk.into() }
    }

    /// Rebuilds the secret from [`MediaSecret::to_bytes`] (in the frame worker; in vectors).
    #[must_use]
    pub const fn from_bytes(prk: [u8; 32]) -> Self {
        Self { prk }
    }

    /// The raw `prk`, only for handing it to the frame worker.
    #[must_use]
    pub const fn to_bytes(&self) -> [u8; 32] {
        self.prk
    }

    fn expand(&self, info: &[&[u8]], out: &mut [u8]) {
        Hkdf::<Sha256>::from_prk(&self.prk)
            .expect("prk is a full SHA-256 output")
            .expand_multi_info(info, out)
            .expect("output lengths are far below 255 × 32");
    }

    /// The key and salt of one sender stream.
    #[must_use]
    pub fn frame_key(&self, direction: Direction, stream: Stream) -> FrameKey {
        let (dir, st) = (direction.label().as_bytes(), stream.label().as_bytes());
        let mut key = [0; 32];
        let mut salt = [0; 12];
        self.expand(&[b"sotto/v1/key ", dir, b" ", st], &mut key);
        self.expand(&[b"sotto/v1/salt ", dir, b" ", st], &mut salt);
        let frame_key = FrameKey::new(key, salt);
        key.zeroize();
        salt.zeroize();
        frame_key
    }

    /// The code both people compare: equal codes prove nobody sits between them.
    #[must_use]
    pub fn security_code(&self, identity_a: &PublicKey, identity_b: &PublicKey) -> SecurityCode {
        let (lo, hi) = if identity_a <= identity_b {
            (identity_a, identity_b)
        } else {
            (identity_b, identity_a)
        };
        let mut bytes = [0; 5];
        self.expand(&[b"sotto/v1/sas", lo.as_bytes(), hi.as_bytes()], &mut bytes);
        SecurityCode(bytes)
    }
}

impl fmt::Debug for MediaSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MediaSecret(..)")
    }
}

/// Five bytes of the call's key, shown as three groups of four digits.
///
/// The 40 bits are read big-endian; the first 39 split into three 13-bit numbers (0–8191),
/// each printed as four digits: `"0421 7730 1234"`. 13-bit groups print without modulo bias;
/// the last bit is unused. 39 bits leave an attacker who sits in the middle a 1 in 5·10¹¹
/// chance per call of matching codes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecurityCode([u8; 5]);

impl SecurityCode {
    /// The raw bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 5] {
        &self.0
    }

    /// The three 13-bit groups.
    #[must_use]
    pub fn groups(&self) -> [u16; 3] {
        let mut wide = [0; 8];
        wide[3..].copy_from_slice(&self.0);
        let bits = u64::from_be_bytes(wide);
        let group = |i: u32| u16::try_from((bits >> (27 - 13 * i)) & 0x1fff).expect("13 bits");
        [group(0), group(1), group(2)]
    }
}

impl fmt::Display for SecurityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.groups();
        write!(f, "{a:04} {b:04} {c:04}")
    }
}

impl fmt::Debug for SecurityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecurityCode({self})")
    }
}
