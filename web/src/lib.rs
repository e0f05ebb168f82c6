//! # sotto-web
//!
//! The browser app (Yew) and the frame worker. All web-sys glue lives in `browser/` (and the
//! worker's own `worker/glue.rs`); the `sotto-shared` call machine decides what happens.

#![forbid(unsafe_code)]

pub mod model;
pub mod worker;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod engine;
