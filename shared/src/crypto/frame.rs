//! Frame encryption, format v1 (DESIGN §4):
//!
//! ```text
//! clear (P bytes) ‖ ChaCha20-Poly1305 ciphertext of the rest ‖ tag (16) ‖ trailer
//! trailer = SFrame header (RFC 9605 §4.3: KID, CTR) ‖ P (u8) ‖ V (u8)
//! V       = 0b1100_LLLL   (v1 mark 0xC0; LLLL = SFrame header length − 1)
//! aad     = clear ‖ trailer
//! nonce   = salt XOR (0⁴ ‖ CTR as u64 big-endian)     (RFC 9605 §4.4.3)
//! ```
//! The clear prefix keeps what the RTP packetizer reads (VP8 payload header, Opus TOC) readable;
//! it is authenticated as AAD. The trailer is parsed from the end and every length is bounds
//! checked; anything malformed is "not ours" and dropped. Empty frames pass through untouched.
//!
//! The encryptor owns its counter: it starts at 0, never resets while the key lives, and stops
//! for good at 2⁴⁸ (fail closed). The decryptor checks a 1024-frame replay window before
//! decrypting and records the counter only after the tag verified.

use std::fmt;

use chacha20poly1305::aead::AeadInOut as _;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit as _, Nonce, Tag};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::header::{MAX_HEADER_LEN, SframeHeader};
use crate::crypto::replay::ReplayWindow;

/// Poly1305 tag length.
pub const TAG_LEN: usize = 16;
/// The high nibble of the last byte of every v1 frame.
pub const FRAME_VERSION_MARK: u8 = 0xC0;
/// The counter may not reach this value (it fits 6 bytes; ~63,000 years at 140 fps).
const CTR_LIMIT: u64 = 1 << 48;
/// The clear prefix length must fit the `P` byte.
const MAX_CLEAR: usize = u8::MAX as usize;
const MAX_TRAILER: usize = MAX_HEADER_LEN + 2;

/// Which end sends a stream (the `direction` of the key labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Streams the caller sends.
    Caller,
    /// Streams the callee sends.
    Callee,
}

impl Direction {
    /// The label used in key derivation.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Caller => "caller",
            Self::Callee => "callee",
        }
    }
}

/// The four fixed sender streams, in transceiver order (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Microphone (transceiver 0).
    Mic,
    /// Camera (transceiver 1).
    Camera,
    /// Screen-share audio (transceiver 2).
    ScreenAudio,
    /// Screen-share video (transceiver 3).
    ScreenVideo,
}

impl Stream {
    /// All streams in transceiver order.
    pub const ALL: [Self; 4] = [
        Self::Mic,
        Self::Camera,
        Self::ScreenAudio,
        Self::ScreenVideo,
    ];

    /// The label used in key derivation.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Mic => "mic",
            Self::Camera => "camera",
            Self::ScreenAudio => "screen_audio",
            Self::ScreenVideo => "screen_video",
        }
    }

    /// The stream for a label, as the worker receives it.
    #[must_use]
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label() == label)
    }

    /// Audio or video.
    #[must_use]
    pub const fn kind(self) -> MediaKind {
        match self {
            Self::Mic | Self::ScreenAudio => MediaKind::Audio,
            Self::Camera | Self::ScreenVideo => MediaKind::Video,
        }
    }
}

/// What codec rules apply to a frame's clear prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// Opus: the TOC byte stays clear.
    Audio,
    /// VP8: the payload header stays clear (10 bytes on key frames, 3 on delta frames).
    Video,
}

/// How many leading bytes of `frame` stay in clear.
///
/// VP8 marks a key frame with bit 0 of byte 0 cleared (RFC 6386 §9.1), the `P` flag.
#[must_use]
pub fn clear_prefix_len(kind: MediaKind, frame: &[u8]) -> usize {
    let wanted = match (kind, frame.first()) {
        (_, None) => 0,
        (MediaKind::Audio, Some(_)) => 1,
        (MediaKind::Video, Some(b)) if b & 1 == 0 => 10,
        (MediaKind::Video, Some(_)) => 3,
    };
    wanted.min(frame.len())
}

/// The key and salt of one sender stream. Fields private, zeroized on drop, `Debug` redacted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct FrameKey {
    key: [u8; 32],
    salt: [u8; 12],
}

impl FrameKey {
    /// A key from its parts (derivation and published vectors).
    #[must_use]
    pub const fn new(key: [u8; 32], salt: [u8; 12]) -> Self {
        Self { key, salt }
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&self.key.into())
    }

    fn nonce(&self, ctr: u64) -> Nonce {
        let mut nonce = self.salt;
        for (n, c) in nonce[4..].iter_mut().zip(ctr.to_be_bytes()) {
            *n ^= c;
        }
        nonce.into()
    }
}

impl fmt::Debug for FrameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FrameKey(..)")
    }
}

/// Encryption refused; the frame must be dropped, never sent in clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
    /// The counter reached 2⁴⁸; a new key is needed.
    #[error("frame counter exhausted; rekey")]
    CounterExhausted,
}

/// Why a received frame was dropped. Reasons are for local counters only, never sent anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum FrameDrop {
    /// No valid v1 trailer: not a frame we made.
    #[error("not a sotto frame")]
    NotOurs,
    /// A key id this decryptor does not hold.
    #[error("unknown key id")]
    UnknownKey,
    /// A counter already seen or older than the replay window.
    #[error("replayed frame")]
    Replayed,
    /// The tag did not verify: tampered, truncated, or a different key.
    #[error("frame failed authentication")]
    Forged,
}

impl FrameDrop {
    /// Every reason, for counters.
    pub const ALL: [Self; 4] = [
        Self::NotOurs,
        Self::UnknownKey,
        Self::Replayed,
        Self::Forged,
    ];

    /// A short stable name for counters and UI.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotOurs => "not_ours",
            Self::UnknownKey => "unknown_key",
            Self::Replayed => "replayed",
            Self::Forged => "forged",
        }
    }
}

/// Builds `clear ‖ trailer` on the stack: the AAD needs them contiguous, the frame has them
/// apart, and the worker must not allocate per frame.
fn aad<'a>(buf: &'a mut [u8; MAX_CLEAR + MAX_TRAILER], clear: &[u8], trailer: &[u8]) -> &'a [u8] {
    buf[..clear.len()].copy_from_slice(clear);
    buf[clear.len()..clear.len() + trailer.len()].copy_from_slice(trailer);
    &buf[..clear.len() + trailer.len()]
}

/// Encrypts one sender stream's frames.
pub struct FrameEncryptor {
    key: FrameKey,
    cipher: ChaCha20Poly1305,
    kid: u64,
    next: u64,
}

impl FrameEncryptor {
    /// An encryptor whose counter starts at 0.
    #[must_use]
    pub fn new(key: FrameKey, kid: u64) -> Self {
        Self::with_counter_for_testing_only(key, kid, 0)
    }

    /// An encryptor starting at `next`. Reusing a counter with a key breaks the cipher: only
    /// for vectors and the exhaustion test.
    #[must_use]
    pub fn with_counter_for_testing_only(key: FrameKey, kid: u64, next: u64) -> Self {
        let cipher = key.cipher();
        Self {
            key,
            cipher,
            kid,
            next,
        }
    }

    /// Encrypts `frame` in place, keeping its first `clear_len` bytes in clear, and appends tag
    /// and trailer. Reserve [`FrameEncryptor::OVERHEAD`] spare capacity to avoid allocating.
    ///
    /// # Errors
    /// [`EncryptError::CounterExhausted`]: drop the frame and rekey.
    pub fn encrypt(&mut self, clear_len: usize, frame: &mut Vec<u8>) -> Result<(), EncryptError> {
        if frame.is_empty() {
            return Ok(());
        }
        let ctr = self.next;
        if ctr >= CTR_LIMIT {
            return Err(EncryptError::CounterExhausted);
        }
        self.next += 1;
        let clear_len = clear_len.min(frame.len()).min(MAX_CLEAR);

        let mut trailer = [0; MAX_TRAILER];
        let mut header = [0; MAX_HEADER_LEN];
        let header_len = SframeHeader { kid: self.kid, ctr }.encode(&mut header);
        trailer[..header_len].copy_from_slice(&header[..header_len]);
        trailer[header_len] = u8::try_from(clear_len).expect("clamped to 255");
        trailer[header_len + 1] = FRAME_VERSION_MARK | u8::try_from(header_len - 1).expect("≤ 15");
        let trailer = &trailer[..header_len + 2];

        let mut aad_buf = [0; MAX_CLEAR + MAX_TRAILER];
        let (clear, rest) = frame.split_at_mut(clear_len);
        let aad = aad(&mut aad_buf, clear, trailer);
        let tag = self
            .cipher
            .encrypt_inout_detached(&self.key.nonce(ctr), aad, rest.into())
            .expect("ChaCha20-Poly1305 encrypts any frame a browser produces (< 256 GiB)");
        frame.extend_from_slice(&tag);
        frame.extend_from_slice(trailer);
        Ok(())
    }

    /// The most bytes [`FrameEncryptor::encrypt`] adds.
    pub const OVERHEAD: usize = TAG_LEN + MAX_TRAILER;
}

impl fmt::Debug for FrameEncryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FrameEncryptor {{ kid: {}, next: {}, key: .. }}",
            self.kid, self.next
        )
    }
}

/// Decrypts one remote sender stream's frames.
pub struct FrameDecryptor {
    key: FrameKey,
    cipher: ChaCha20Poly1305,
    kid: u64,
    window: ReplayWindow,
}

impl FrameDecryptor {
    /// A decryptor accepting frames under `kid`.
    #[must_use]
    pub fn new(key: FrameKey, kid: u64) -> Self {
        let cipher = key.cipher();
        Self {
            key,
            cipher,
            kid,
            window: ReplayWindow::new(),
        }
    }

    /// Verifies and decrypts `frame` in place, truncating it to the original plaintext.
    /// On error the frame's content is unspecified and it must be dropped.
    ///
    /// # Errors
    /// [`FrameDrop`] naming the reason.
    pub fn decrypt(&mut self, frame: &mut Vec<u8>) -> Result<(), FrameDrop> {
        if frame.is_empty() {
            return Ok(());
        }
        let len = frame.len();
        let version = frame[len - 1];
        if version & 0xF0 != FRAME_VERSION_MARK {
            return Err(FrameDrop::NotOurs);
        }
        let header_len = usize::from(version & 0x0F) + 1;
        let trailer_len = header_len + 2;
        if len < trailer_len + TAG_LEN {
            return Err(FrameDrop::NotOurs);
        }
        let clear_len = usize::from(frame[len - 2]);
        let trailer_start = len - trailer_len;
        let tag_start = trailer_start - TAG_LEN;
        if clear_len > tag_start {
            return Err(FrameDrop::NotOurs);
        }
        let (header, used) =
            SframeHeader::decode(&frame[trailer_start..len - 2]).map_err(|_| FrameDrop::NotOurs)?;
        if used != header_len || header.ctr >= CTR_LIMIT {
            return Err(FrameDrop::NotOurs);
        }
        if header.kid != self.kid {
            return Err(FrameDrop::UnknownKey);
        }
        if !self.window.check(header.ctr) {
            return Err(FrameDrop::Replayed);
        }

        let mut aad_buf = [0; MAX_CLEAR + MAX_TRAILER];
        let (body, trailer) = frame.split_at_mut(trailer_start);
        let (sealed, tag) = body.split_at_mut(tag_start);
        let (clear, ciphertext) = sealed.split_at_mut(clear_len);
        let aad = aad(&mut aad_buf, clear, trailer);
        let tag = Tag::try_from(&tag[..]).expect("exactly TAG_LEN bytes");
        self.cipher
            .decrypt_inout_detached(&self.key.nonce(header.ctr), aad, ciphertext.into(), &tag)
            .map_err(|_| FrameDrop::Forged)?;
        self.window.commit(header.ctr);
        frame.truncate(tag_start);
        Ok(())
    }
}

impl fmt::Debug for FrameDecryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FrameDecryptor {{ kid: {}, key: .. }}", self.kid)
    }
}

#[cfg(test)]
mod tests;
