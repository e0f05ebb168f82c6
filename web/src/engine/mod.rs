//! The engine: the browser's driver of the client core ([`sotto_client::Client`]). It owns the
//! I/O the core asks for — relay sockets, the profile in localStorage, timers, peer
//! connections, capture, tones — and decides nothing about the protocol.
//!
//! One run loop, never re-entered: inputs (a click, a socket event, a WebRTC result, a timer)
//! go onto a queue, and one function takes them one at a time, hands each to the core and
//! carries out every output before the next. An output whose execution produces an input
//! pushes it onto the queue. The UI renders [`View`]s derived by [`view::view`] from the
//! core's state and [`view::UiLocal`].

pub mod decrypt_watch;
pub mod kiosk_view;
pub mod media_watch;
pub mod remote_sdp;
pub mod run_loop;
pub mod view;

#[cfg(target_arch = "wasm32")]
mod driver;
#[cfg(target_arch = "wasm32")]
mod kiosk_driver;
#[cfg(target_arch = "wasm32")]
mod rtc;
#[cfg(target_arch = "wasm32")]
mod sdp_queue;

#[cfg(target_arch = "wasm32")]
pub use driver::Engine;
pub use view::{CallView, ContactView, EndedView, InviteView, MissedView, View};
