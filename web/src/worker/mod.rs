//! Runs inside the dedicated frame worker (DESIGN §4). Every `RTCRtpScriptTransform` arrives
//! with its options: which operation, which stream, our role and the call's `slot`. The call's
//! media secret arrives separately, by one typed [`ToWorker::SetKeys`] message for that slot:
//! the callee learns it only when the answer comes (the caller's hash commitment, DESIGN §3),
//! after its transforms exist. Until then a transform drops every frame (fails closed). Each
//! frame is encrypted or decrypted synchronously inside `transform()`, into a buffer reused for
//! every frame of that stream, and dropped (never passed on) when it cannot be.

mod counters;
mod messages;
mod transform;

pub use counters::Counters;
pub use messages::{FromWorker, SlotSecret, ToWorker};
pub use transform::{FrameCrypto, Operation, TransformOptions};

#[cfg(target_arch = "wasm32")]
mod glue;
#[cfg(target_arch = "wasm32")]
pub use glue::{attach, frame_buffer, on_message, process_frame, start};
