//! Runs inside the dedicated frame worker (DESIGN §4). Every `RTCRtpScriptTransform` arrives
//! with its options: which operation, which stream, the call's media secret and our role. Each
//! frame is encrypted or decrypted synchronously inside `transform()`, into a buffer reused for
//! every frame of that stream, and dropped (never passed on) when it cannot be.

mod counters;
mod transform;

pub use counters::Counters;
pub use transform::{FrameCrypto, Operation, TransformOptions};

#[cfg(target_arch = "wasm32")]
mod glue;
#[cfg(target_arch = "wasm32")]
pub use glue::{attach, start};
