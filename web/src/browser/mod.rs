//! The only code that touches web-sys (besides the worker's own glue). Each module returns a
//! handle with intent methods; the engine decides what to do.

pub mod dom;
pub mod kiosk;
pub mod media;
pub mod peer;
pub mod peer_count;
pub mod relay;
pub mod sound;
pub mod storage;
pub mod worker;
