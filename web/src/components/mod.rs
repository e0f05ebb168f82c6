//! Components take props and emit `on*` callbacks; pages compose them.

pub mod call;
pub mod contacts;
pub mod debug;
pub mod incoming;
pub mod invite;
pub mod onboarding;
pub mod qr;
pub mod video;
