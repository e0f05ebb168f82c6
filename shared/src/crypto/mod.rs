//! All cryptography: identity keys and envelopes (DESIGN §2), per-call media keys, frame
//! encryption and the security code (DESIGN §4). Encrypt and decrypt are separate types;
//! failures that an attacker could learn from carry no detail.

mod envelope;
mod frame;
mod header;
mod keys;
mod media;
mod replay;

pub use envelope::{OpenError, Opener, SealError, Sealer, ENVELOPE_INFO, MAX_SIGNAL_BYTES, PAD_BUCKETS};
pub use frame::{
    clear_prefix_len, Direction, EncryptError, FrameDecryptor, FrameDrop, FrameEncryptor, FrameKey, MediaKind, Stream,
    FRAME_VERSION_MARK, TAG_LEN,
};
pub use header::{HeaderError, SframeHeader, MAX_HEADER_LEN};
pub use keys::{IdentityKeyPair, PublicKey};
pub use media::{CallKeyPair, KeyAgreementError, MediaSecret, SecurityCode, Role};
pub use replay::ReplayWindow;
