//! Components take props and emit `on*` callbacks; pages compose them.

// Props hold callbacks and DOM handles; a `Debug` for them would print nothing useful.
#![allow(missing_debug_implementations)]

pub mod call;
pub mod contacts;
pub mod debug;
pub mod icons;
pub mod incoming;
pub mod invite;
pub mod kiosk;
pub mod onboarding;
pub mod qr;
pub mod video;
