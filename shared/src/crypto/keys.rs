//! Long-term identity keys: an X25519 key pair made and kept in the browser, never sent to a
//! shim (DESIGN §2).

use std::fmt;

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::b64;

/// An X25519 public key, base64url on the wire.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PublicKey(#[serde(with = "b64::array")] [u8; 32]);

impl PublicKey {
    /// A key from its 32 bytes.
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

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b64::encode(&self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// A profile's identity: the secret half never leaves the browser. Zeroized on drop; `Debug`
/// shows only the public half.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct IdentityKeyPair {
    secret: [u8; 32],
    #[zeroize(skip)]
    public: PublicKey,
}

impl IdentityKeyPair {
    /// A fresh identity.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut secret = [0; 32];
        rng.fill_bytes(&mut secret);
        let pair = Self::from_secret_bytes(secret);
        secret.zeroize();
        pair
    }

    /// Restores an identity from its exported secret (profile import).
    #[must_use]
    pub fn from_secret_bytes(secret: [u8; 32]) -> Self {
        let static_secret = x25519_dalek::StaticSecret::from(secret);
        let public = PublicKey(x25519_dalek::PublicKey::from(&static_secret).to_bytes());
        Self {
            secret: static_secret.to_bytes(),
            public,
        }
    }

    /// The public half, shared with contacts.
    #[must_use]
    pub const fn public(&self) -> PublicKey {
        self.public
    }

    /// The secret, for the user's own profile export file only.
    #[must_use]
    pub const fn dangerously_export_secret(&self) -> &[u8; 32] {
        &self.secret
    }

    pub(crate) const fn secret_bytes(&self) -> &[u8; 32] {
        &self.secret
    }
}

impl fmt::Debug for IdentityKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IdentityKeyPair {{ public: {}, secret: .. }}",
            self.public
        )
    }
}
