//! # sotto-client
//!
//! Everything that makes a program a sotto *client* (DESIGN §6): the profile and identity,
//! the contact book, invitations and the handshake with its proof, sealing and opening
//! envelopes, relay requests and their replies, subscriptions, the ack policy, dedupe by
//! `msg_id`, per-contact replay windows and the call machine ([`sotto_shared::call::Phone`]).
//! It is one sans-IO machine with no socket, no storage and no clock: the browser app and
//! `sotto-cli` are drivers of it, and the tests run it in simulated time.
//!
//! ## The run loop
//!
//! ```text
//! let mut client = Client::new(ClientConfig::new("https://sotto.example"), profile, rng)?;
//! loop {
//!     // 1. take ONE input from the driver's queue (a command, a relay event, a WebRTC
//!     //    result, or the timeout) and hand it over with both clocks:
//!     client.handle_input(Now { mono, wall_ms }, input)?;
//!     // 2. drain every output before taking the next input:
//!     loop {
//!         match client.poll_output() {
//!             Output::Connect { relay } => open_socket(relay),       // reports RelayEvents
//!             Output::Relay { relay, msg } => send(relay, msg),
//!             Output::Rtc { call_id, action } => webrtc(call_id, action),
//!             Output::Event(event) => show(event),
//!             Output::Persist => store(client.profile()),            // before anything later
//!             Output::Timeout(at) => { wake_at(at); break }          // always last
//!         }
//!     }
//! }
//! ```
//! A driver never calls `handle_input` while carrying out an output: whatever an output
//! produces (a failed send, a media error) goes onto the driver's input queue.
//!
//! ## What the core decides
//!
//! - **Contacts** ([`handshake`](crate) module docs): a contact request proves possession of
//!   the key it names; nothing received overwrites a contact; an invitation is used once.
//! - **Mailbox**: which queue a message arrived on names its sender; it must open as theirs,
//!   carry a fresh counter, and is acknowledged once handled — except a ringing invitation,
//!   held until the call is decided.
//! - **Calls**: the [`Phone`](sotto_shared::call::Phone) with its hash commitment, busy,
//!   glare, missed and stale rules; the core seals what it sends.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod calls;
mod client;
mod handshake;
mod io;
mod kiosk;
mod kiosk_rules;
mod mailbox;
mod profile;
mod replay;
mod requests;

pub use client::{Client, ClientConfig, ClientError, Counters, EndedCall};
pub use io::{Command, Event, Input, Notice, Now, Output, RelayEvent};
pub use kiosk::{
    AutoAnswer, DEFAULT_COUNTDOWN_SECS, DEFAULT_RING_VOLUME, Kiosk, KioskError, KioskSetup,
    MAX_COUNTDOWN_SECS, Others, PinHash,
};
pub use kiosk_rules::Countdown;
pub use profile::{
    AcceptedRequest, Contact, MissedCall, OpenInvite, PROFILE_VERSION, Profile, ProfileError,
    Route, Settings, validate_name,
};
pub use replay::CounterWindow;
pub use sotto_shared::call::{CallInfo, CallState, RtcAction, RtcEvent};
pub use sotto_shared::{CallId, Duration, Millis, PeerId};
