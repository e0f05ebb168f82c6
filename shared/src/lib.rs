//! # sotto-shared
//!
//! What the browser app and the shim both speak, and everything that must be right before a
//! browser is involved: the wire types, the sans-IO call machine, envelope and frame crypto.
//! No I/O and no clock: it builds for `wasm32-unknown-unknown` and native alike.
//!
//! ## The run loop
//!
//! Every user of the call machine (the web app's hook, the scenario tests, a future headless
//! endpoint) writes the same loop, with `now` passed in:
//!
//! ```
//! use sotto_shared::call::{Input, Output, Phone, PhoneConfig};
//! use sotto_shared::crypto::IdentityKeyPair;
//! use sotto_shared::time::Millis;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
//! # use rand_chacha::rand_core::SeedableRng;
//! let me = IdentityKeyPair::generate(&mut rng);
//! let mut phone = Phone::new(PhoneConfig::default(), me.public(), rng);
//! phone.handle_input(Millis(0), Input::Timeout).unwrap();
//! loop {
//!     match phone.poll_output() {
//!         Output::Send { .. } => { /* seal for the peer, send to their queue */ }
//!         Output::Rtc { .. } => { /* drive RTCPeerConnection */ }
//!         Output::Event(_) => { /* update the UI */ }
//!         Output::Timeout(_at) => break, // wake up at `_at` with Input::Timeout
//!     }
//! }
//! ```
//! Its one invariant: handle **one** input, then drain outputs until `Timeout`.
//!
//! ## Frame format v1
//!
//! ```text
//! clear (P bytes) ‖ ChaCha20-Poly1305(rest) ‖ tag (16) ‖ SFrame header (KID, CTR; RFC 9605 §4.3) ‖ P (u8) ‖ V (u8)
//! V = 0b1100_LLLL, LLLL = SFrame header length − 1
//! aad = clear ‖ trailer;  nonce = salt XOR (0⁴ ‖ CTR as u64 big-endian)
//! clear prefix: VP8 key frame 10, VP8 delta 3, Opus 1; empty frames pass through
//! ```
//! The encryptor's counter starts at 0 and stops at 2⁴⁸; KID is the key generation (0 for the
//! first key of a call). The decryptor keeps a 1024-frame replay window per key. See
//! [`crypto::FrameEncryptor`] and [`crypto::FrameDecryptor`].
//!
//! ## Key labels
//!
//! ```text
//! dh_commit = SHA-256("sotto/v1/dh-commit" ‖ call_id ‖ caller dh_pk)      (in the invitation)
//! prk  = HKDF-SHA256-Extract(salt = SHA-256(call_id ‖ caller dh_pk ‖ callee dh_pk), ikm = X25519)
//! key  = HKDF-Expand(prk, "sotto/v1/key "  ‖ direction ‖ " " ‖ stream, 32)
//! salt = HKDF-Expand(prk, "sotto/v1/salt " ‖ direction ‖ " " ‖ stream, 12)
//! direction ∈ {caller, callee} (the sender's role); stream ∈ {mic, camera, screen_audio, screen_video}
//! ```
//!
//! The key schedule runs in this order (ZRTP's hash commitment, RFC 6189 §4.4.1.1):
//! 1. the invitation carries only `dh_commit`, never the caller's `dh_pk`;
//! 2. the callee, after the user accepts, sends its own `dh_pk` in the offer; the caller derives
//!    `prk` on receiving it;
//! 3. the caller reveals its `dh_pk` in the answer; the callee derives `prk` only if
//!    `dh_commit` matches (and the X25519 result is contributory), otherwise it ends the call as
//!    `invalid`, and it hands the keys to its frame transforms before it applies the answer.
//!
//! See [`crypto::DhCommit`] and [`call::RtcAction::SetKeys`].
//!
//! ## Security code
//!
//! `HKDF-Expand(prk, "sotto/v1/sas" ‖ min(id_a, id_b) ‖ max(id_a, id_b), 5)` over the two raw
//! 32-byte identity keys, shown as three 13-bit groups of four digits (`"0421 7730 1234"`):
//! see [`crypto::SecurityCode`]. Because each side's key was fixed before it saw the other's
//! (the caller's by the commitment, the callee's in the offer), someone in the middle of the
//! contact cannot try keys until the codes match: he gets one guess per call, a 1 in 2³⁹ chance.
//!
//! ## Vectors
//!
//! Our frame vectors (fixed prk → key, salt; fixed counter and frame → bytes) are published in
//! `shared/tests/vectors/frame-v1.json` and checked by `shared/tests/vectors.rs`, next to the
//! RFC 9605 Appendix C header vectors.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod b64;
pub mod call;
pub mod crypto;
pub mod ids;
pub mod time;
pub mod wire;

pub use ids::{CallId, PeerId};
pub use time::{Duration, Millis};
