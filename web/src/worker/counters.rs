//! Frame counters the worker reports to the page: what it encrypted, decrypted and dropped.

use serde::{Deserialize, Serialize};
use sotto_shared::crypto::FrameDrop;

/// Totals since the worker started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Frames encrypted and sent on.
    pub encrypted: u64,
    /// Frames decrypted and passed to the decoder.
    pub decrypted: u64,
    /// Frames dropped because they were not valid v1 frames.
    pub dropped_not_ours: u64,
    /// Frames under a key id we do not hold.
    pub dropped_unknown_key: u64,
    /// Frames seen before (replay window).
    pub dropped_replayed: u64,
    /// Frames that failed authentication.
    pub dropped_forged: u64,
    /// Frames the encryptor refused (counter exhausted).
    pub dropped_unencryptable: u64,
    /// Transforms attached (senders and receivers).
    pub transforms: u64,
    /// Empty frames (DTX), passed through as they are: there is nothing to encrypt.
    pub empty: u64,
    /// Frames dropped because their call's key had not arrived yet (the callee's senders
    /// before the answer): expected, so not counted among the drops.
    pub waiting_for_key: u64,
}

impl Counters {
    /// Counts one drop.
    pub fn drop(&mut self, reason: FrameDrop) {
        match reason {
            FrameDrop::NotOurs => self.dropped_not_ours += 1,
            FrameDrop::UnknownKey => self.dropped_unknown_key += 1,
            FrameDrop::Replayed => self.dropped_replayed += 1,
            FrameDrop::Forged => self.dropped_forged += 1,
        }
    }

    /// All drops.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped_not_ours
            + self.dropped_unknown_key
            + self.dropped_replayed
            + self.dropped_forged
            + self.dropped_unencryptable
    }
}
