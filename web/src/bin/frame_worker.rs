//! The frame worker: a thin wasm entry point. `worker.js` installs `onrtctransform` before this
//! loads and hands every transformer to [`sotto_web::worker::attach`].
#![cfg_attr(not(target_arch = "wasm32"), allow(unused))]

fn main() {
    #[cfg(target_arch = "wasm32")]
    sotto_web::worker::start();
}
