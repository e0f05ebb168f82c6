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
//! prk  = HKDF-SHA256-Extract(salt = SHA-256(call_id ‖ caller dh_pk ‖ callee dh_pk), ikm = X25519)
//! key  = HKDF-Expand(prk, "sotto/v1/key "  ‖ direction ‖ " " ‖ stream, 32)
//! salt = HKDF-Expand(prk, "sotto/v1/salt " ‖ direction ‖ " " ‖ stream, 12)
//! direction ∈ {caller, callee} (the sender's role); stream ∈ {mic, camera, screen_audio, screen_video}
//! ```
//!
//! ## Security code
//!
//! `HKDF-Expand(prk, "sotto/v1/sas" ‖ min(id_a, id_b) ‖ max(id_a, id_b), 5)` over the two raw
//! 32-byte identity keys, shown as three 13-bit groups of four digits (`"0421 7730 1234"`):
//! see [`crypto::SecurityCode`].
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
