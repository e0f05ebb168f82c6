//! # sotto-web
//!
//! The browser app (Yew) and the frame worker. The app is a thin driver of the client core
//! (`sotto-client`, which decides everything about the protocol): `engine/` runs the core and
//! carries out its outputs, `engine/view.rs` derives what the screen shows, components render
//! it. All web-sys glue lives in `browser/` (and the worker's own `worker/glue.rs`).

#![forbid(unsafe_code)]

pub mod engine;
pub mod worker;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
pub mod components;
