//! All cryptography: identity keys and envelopes (DESIGN §2), per-call media keys, the
//! commitment to the caller's call key, frame encryption and the security code (DESIGN §4).
//! Encrypt and decrypt are separate types; failures that an attacker could learn from carry no
//! detail.

mod commit;
mod envelope;
mod frame;
mod header;
mod keys;
mod media;
mod replay;

pub use commit::DhCommit;
pub use envelope::{
    ENVELOPE_INFO, MAX_SIGNAL_BYTES, OpenError, Opener, PAD_BUCKETS, SealError, Sealer,
};
pub use frame::{
    Direction, EncryptError, FRAME_VERSION_MARK, FrameDecryptor, FrameDrop, FrameEncryptor,
    FrameKey, MediaKind, Stream, TAG_LEN, clear_prefix_len,
};
pub use header::{HeaderError, MAX_HEADER_LEN, SframeHeader};
pub use keys::{IdentityKeyPair, PublicKey};
pub use media::{CallKeyPair, KeyAgreementError, MediaSecret, Role, SecurityCode};
pub use replay::ReplayWindow;
