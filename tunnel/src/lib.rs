//! # sotto-call-tunnel
//!
//! One process per call (the seed signal-cli-voice-calls.md's process model): the first stdin
//! line is a [`TunnelConfig`](sotto_shared::wire::tunnel::TunnelConfig), then one control
//! message a line; events go to stdout, [`ready`](sotto_shared::wire::tunnel::FromTunnel::Ready)
//! first; logs go to stderr. It ends on stdin EOF or SIGTERM and cleans up (the PCM socket
//! file, the WAV recording).
//!
//! It does media only: WebRTC with str0m ([`peer`]), Opus and the audio backends ([`audio`]),
//! and `sotto-shared`'s frame encryption, byte-identical to the browser worker's. The
//! daemon's client core decides everything else.
//!
//! ## The run loop
//!
//! One task waits for ONE of: a control line, a datagram, a PCM chunk, str0m's deadline, the
//! 20 ms audio tick, SIGTERM; handles it; and drains str0m to its `Timeout` before waiting
//! again.

#![forbid(unsafe_code)]

mod audio;
pub mod goertzel;
mod ivf;
mod net;
mod pacer;
mod peer;
mod playout;
pub mod probe;
mod run;
mod turn;

pub use run::run;
