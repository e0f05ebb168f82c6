//! The messages between the page and the frame worker, typed on both sides and carried by
//! `postMessage` through serde-wasm-bindgen.

use serde::{Deserialize, Serialize};
use sotto_shared::crypto::MediaSecret;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::Counters;

/// A call's media secret on its way into the worker: wiped when dropped, never printed.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct SlotSecret([u8; 32]);

impl SlotSecret {
    /// Wraps the call's media secret for the worker.
    #[must_use]
    pub fn new(secret: &MediaSecret) -> Self {
        Self(secret.to_bytes())
    }

    /// A secret that differs from `secret` in one bit: the browser tests' negative control
    /// (with it nothing decrypts, proving frames really are encrypted).
    #[must_use]
    pub fn dangerously_wrong_for_testing_only(secret: &MediaSecret) -> Self {
        let mut bytes = secret.to_bytes();
        bytes[0] ^= 1;
        Self(bytes)
    }

    /// The secret, in the worker.
    #[must_use]
    pub fn to_media_secret(&self) -> MediaSecret {
        MediaSecret::from_bytes(self.0)
    }
}

impl std::fmt::Debug for SlotSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SlotSecret(..)")
    }
}

/// What the page tells the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    /// The keys of the call whose transforms carry `slot`.
    SetKeys {
        /// The call's handle.
        slot: u32,
        /// For our senders.
        send: SlotSecret,
        /// For our receivers (the same secret, except under the wrong-key test switch).
        receive: SlotSecret,
    },
    /// The call ended: forget its keys.
    Close {
        /// The call's handle.
        slot: u32,
    },
}

/// What the worker tells the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// Totals since the worker started.
    Counters {
        /// The totals.
        counters: Counters,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = SlotSecret::new(&MediaSecret::from_bytes([7; 32]));
        let message = ToWorker::SetKeys {
            slot: 3,
            send: secret.clone(),
            receive: secret,
        };
        assert_eq!(
            format!("{message:?}"),
            "SetKeys { slot: 3, send: SlotSecret(..), receive: SlotSecret(..) }"
        );
    }

    #[test]
    fn the_wrong_test_key_differs() {
        let secret = MediaSecret::from_bytes([7; 32]);
        assert_ne!(
            SlotSecret::dangerously_wrong_for_testing_only(&secret)
                .to_media_secret()
                .to_bytes(),
            secret.to_bytes()
        );
        assert_eq!(
            SlotSecret::new(&secret).to_media_secret().to_bytes(),
            secret.to_bytes()
        );
    }
}
