//! Envelopes: RFC 9180 HPKE, DHKEM(X25519, HKDF-SHA256) + HKDF-SHA256 + ChaCha20-Poly1305,
//! `info = "sotto/v1/envelope"` (DESIGN §2).
//!
//! Wire format: `0x01 (version) ‖ mode (0x00 base, 0x02 auth: RFC 9180 §5 mode ids) ‖
//! enc (32) ‖ AEAD(padded plaintext) ‖ tag (16)`, with the two header bytes as AAD.
//!
//! The plaintext is padded before sealing: `len (u32 BE) ‖ signal JSON ‖ zeros`, to the
//! smallest of [`PAD_BUCKETS`] that fits, so a relay sees only which bucket a message falls in.
//! Opening fails with the single opaque [`OpenError`] for a wrong key, tampered bytes, a
//! truncated envelope, a wrong mode or bad padding alike.

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, OpModeR, OpModeS, Serializable as _};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::crypto::{IdentityKeyPair, PublicKey};

type Kem = X25519HkdfSha256;
type KemPrivate = <Kem as hpke::Kem>::PrivateKey;
type KemPublic = <Kem as hpke::Kem>::PublicKey;

/// HPKE `info`, binding every envelope to this protocol and version.
pub const ENVELOPE_INFO: &[u8] = b"sotto/v1/envelope";
/// Padded plaintext sizes.
pub const PAD_BUCKETS: [usize; 6] = [1024, 2048, 4096, 8192, 16384, 32768];
/// The largest signal JSON that fits the largest bucket.
pub const MAX_SIGNAL_BYTES: usize = 32768 - LEN_PREFIX;

const VERSION: u8 = 1;
const MODE_BASE: u8 = 0x00;
const MODE_AUTH: u8 = 0x02;
const HEADER_LEN: usize = 2;
const ENC_LEN: usize = 32;
const TAG_LEN: usize = 16;
const LEN_PREFIX: usize = 4;

/// The envelope could not be opened. Deliberately carries no detail (as RustCrypto's
/// `aead::Error`): which check failed is nobody's business but a debugger's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("envelope could not be opened")]
pub struct OpenError;

/// The signal could not be sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The signal is larger than [`MAX_SIGNAL_BYTES`].
    #[error("signal of {0} bytes exceeds the {MAX_SIGNAL_BYTES}-byte envelope limit")]
    TooLarge(usize),
    /// The recipient key is not a usable X25519 key.
    #[error("recipient key rejected")]
    BadRecipient,
}

/// Seals signals to one recipient.
#[derive(Debug)]
pub struct Sealer<'a> {
    to: PublicKey,
    from: Option<&'a IdentityKeyPair>,
}

impl<'a> Sealer<'a> {
    /// Base mode: anonymous sender. Used only for the contact request on an invitation queue.
    #[must_use]
    pub const fn base(to: PublicKey) -> Self {
        Self { to, from: None }
    }

    /// Auth mode: the recipient learns the envelope came from `from`. Everything after the
    /// contact request.
    #[must_use]
    pub const fn auth(from: &'a IdentityKeyPair, to: PublicKey) -> Self {
        Self {
            to,
            from: Some(from),
        }
    }

    /// Pads and seals `plaintext`.
    ///
    /// # Errors
    /// [`SealError::TooLarge`] past [`MAX_SIGNAL_BYTES`]; [`SealError::BadRecipient`] for a
    /// key HPKE rejects.
    pub fn seal(&self, plaintext: &[u8], rng: &mut impl CryptoRng) -> Result<Vec<u8>, SealError> {
        let padded = pad(plaintext)?;
        let recipient =
            KemPublic::from_bytes(self.to.as_bytes()).map_err(|_| SealError::BadRecipient)?;
        let header = [
            VERSION,
            if self.from.is_some() {
                MODE_AUTH
            } else {
                MODE_BASE
            },
        ];
        let sender;
        let mode = match self.from {
            Some(from) => {
                sender = kem_keypair(from);
                OpModeS::Auth(sender)
            }
            None => OpModeS::Base,
        };
        let (enc, ciphertext) =
            hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
                &mode,
                &recipient,
                ENVELOPE_INFO,
                &padded,
                &header,
                rng,
            )
            .map_err(|_| SealError::BadRecipient)?;
        let mut out = Vec::with_capacity(HEADER_LEN + ENC_LEN + ciphertext.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&enc.to_bytes());
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }
}

/// Opens envelopes addressed to one identity.
#[derive(Debug)]
pub struct Opener<'a> {
    me: &'a IdentityKeyPair,
    from: Option<PublicKey>,
}

impl<'a> Opener<'a> {
    /// Accepts only base-mode envelopes (an invitation queue).
    #[must_use]
    pub const fn base(me: &'a IdentityKeyPair) -> Self {
        Self { me, from: None }
    }

    /// Accepts only auth-mode envelopes from `from` (a contact's queue).
    #[must_use]
    pub const fn auth(me: &'a IdentityKeyPair, from: PublicKey) -> Self {
        Self {
            me,
            from: Some(from),
        }
    }

    /// Opens and unpads an envelope, returning the signal JSON.
    ///
    /// # Errors
    /// [`OpenError`], whatever was wrong.
    pub fn open(&self, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        if envelope.len() < HEADER_LEN + ENC_LEN + TAG_LEN {
            return Err(OpenError);
        }
        let (header, rest) = envelope.split_at(HEADER_LEN);
        let (enc, ciphertext) = rest.split_at(ENC_LEN);
        let expected_mode = if self.from.is_some() {
            MODE_AUTH
        } else {
            MODE_BASE
        };
        if header != [VERSION, expected_mode] {
            return Err(OpenError);
        }
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| OpenError)?;
        let sender;
        let mode = match self.from {
            Some(from) => {
                sender = KemPublic::from_bytes(from.as_bytes()).map_err(|_| OpenError)?;
                OpModeR::Auth(sender)
            }
            None => OpModeR::Base,
        };
        let me = KemPrivate::from_bytes(self.me.secret_bytes()).map_err(|_| OpenError)?;
        let padded = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &mode,
            &me,
            &enc,
            ENVELOPE_INFO,
            ciphertext,
            header,
        )
        .map_err(|_| OpenError)?;
        unpad(Zeroizing::new(padded))
    }
}

fn kem_keypair(identity: &IdentityKeyPair) -> (KemPrivate, KemPublic) {
    let private =
        KemPrivate::from_bytes(identity.secret_bytes()).expect("any 32 bytes are an X25519 secret");
    let public = <Kem as hpke::Kem>::sk_to_pk(&private);
    (private, public)
}

fn pad(plaintext: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let needed = LEN_PREFIX + plaintext.len();
    let bucket = PAD_BUCKETS
        .iter()
        .copied()
        .find(|&b| b >= needed)
        .ok_or(SealError::TooLarge(plaintext.len()))?;
    let mut padded = Zeroizing::new(vec![0; bucket]);
    let len = u32::try_from(plaintext.len()).expect("bounded by the largest bucket");
    padded[..LEN_PREFIX].copy_from_slice(&len.to_be_bytes());
    padded[LEN_PREFIX..needed].copy_from_slice(plaintext);
    Ok(padded)
}

fn unpad(mut padded: Zeroizing<Vec<u8>>) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if !PAD_BUCKETS.contains(&padded.len()) {
        return Err(OpenError);
    }
    let len_bytes: [u8; LEN_PREFIX] = padded[..LEN_PREFIX].try_into().expect("bucket ≥ 1 KiB");
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| OpenError)?;
    let end = LEN_PREFIX
        .checked_add(len)
        .filter(|&end| end <= padded.len())
        .ok_or(OpenError)?;
    // The smallest bucket that fits must have been chosen, and padding must be zeros: a
    // message has exactly one valid encoding.
    let smallest = PAD_BUCKETS.iter().copied().find(|&b| b >= end);
    if smallest != Some(padded.len()) || padded[end..].iter().any(|&b| b != 0) {
        return Err(OpenError);
    }
    padded.truncate(end);
    padded.drain(..LEN_PREFIX);
    Ok(padded)
}

#[cfg(test)]
mod tests;
