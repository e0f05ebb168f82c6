//! The page's handle on the frame worker: creates `RTCRtpScriptTransform`s bound to it, posts
//! the calls' keys to it, and receives its counters.

use gloo_events::EventListener;
use js_sys::Reflect;
use sotto_shared::crypto::MediaSecret;
use wasm_bindgen::{JsCast as _, JsValue};
use web_sys::{MessageEvent, RtcRtpScriptTransform, Worker};

use crate::worker::{Counters, FromWorker, Operation, SlotSecret, ToWorker, TransformOptions};

/// The dedicated worker that runs every frame transform.
pub struct FrameWorker {
    worker: Worker,
    _on_message: EventListener,
}

impl std::fmt::Debug for FrameWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FrameWorker")
    }
}

/// Whether this browser can encrypt frames at all. Without `RTCRtpScriptTransform` there are
/// no calls: there is no unencrypted fallback (DESIGN §4).
#[must_use]
pub fn supported() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    Reflect::has(&window, &"RTCRtpScriptTransform".into()).unwrap_or(false)
}

impl FrameWorker {
    /// Starts the worker; `on_counters` gets its totals twice a second.
    ///
    /// # Errors
    /// When the browser refuses to start the worker.
    pub fn start(on_counters: impl Fn(Counters) + 'static) -> Result<Self, String> {
        let worker = Worker::new("/worker.js")
            .map_err(|e| format!("cannot start the frame worker: {e:?}"))?;
        let on_message = EventListener::new(&worker, "message", move |event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            match serde_wasm_bindgen::from_value::<FromWorker>(event.data()) {
                Ok(FromWorker::Counters { counters }) => on_counters(counters),
                Err(e) => web_sys::console::warn_1(&format!("frame worker said: {e}").into()),
            }
        });
        Ok(Self {
            worker,
            _on_message: on_message,
        })
    }

    /// A transform for one stream of the call with handle `slot`. It carries no key: until
    /// [`FrameWorker::set_keys`] for its slot arrives, it drops every frame.
    ///
    /// # Errors
    /// When the browser rejects the transform.
    pub fn transform(
        &self,
        op: Operation,
        stream: &str,
        caller: bool,
        slot: u32,
    ) -> Result<RtcRtpScriptTransform, JsValue> {
        let options = TransformOptions {
            op,
            stream: stream.to_owned(),
            caller,
            slot,
            kid: 0,
        };
        let options = serde_wasm_bindgen::to_value(&options).map_err(JsValue::from)?;
        RtcRtpScriptTransform::new_with_options(&self.worker, &options)
    }

    /// Hands the call's media secret to the worker, for the transforms of `slot`.
    /// `wrong_receive_key` is the browser tests' negative control.
    pub fn set_keys(&self, slot: u32, secret: &MediaSecret, wrong_receive_key: bool) {
        let receive = if wrong_receive_key {
            SlotSecret::dangerously_wrong_for_testing_only(secret)
        } else {
            SlotSecret::new(secret)
        };
        self.post(&ToWorker::SetKeys {
            slot,
            send: SlotSecret::new(secret),
            receive,
        });
    }

    /// The call of `slot` ended: the worker forgets its keys.
    pub fn close(&self, slot: u32) {
        self.post(&ToWorker::Close { slot });
    }

    fn post(&self, message: &ToWorker) {
        let sent = serde_wasm_bindgen::to_value(message)
            .map_err(JsValue::from)
            .and_then(|m| self.worker.post_message(&m));
        if let Err(e) = sent {
            web_sys::console::error_1(&format!("cannot reach the frame worker: {e:?}").into());
        }
    }
}
