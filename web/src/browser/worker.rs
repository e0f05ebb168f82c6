//! The page's handle on the frame worker: creates `RTCRtpScriptTransform`s bound to it and
//! receives its counters.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, RtcRtpScriptTransform, Worker};

use crate::worker::{Counters, Operation};

/// The dedicated worker that runs every frame transform.
pub struct FrameWorker {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
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
        let on_counters = Rc::new(on_counters);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            if Reflect::get(&data, &"type".into())
                .ok()
                .and_then(|t| t.as_string())
                .as_deref()
                == Some("counters")
            {
                if let Ok(counters) = Reflect::get(&data, &"counters".into())
                    .and_then(|c| serde_wasm_bindgen::from_value(c).map_err(JsValue::from))
                {
                    on_counters(counters);
                }
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            _on_message: on_message,
        })
    }

    /// A transform for one stream. The key travels with the transform's options, so it is in
    /// the worker before the first frame.
    ///
    /// # Errors
    /// When the browser rejects the transform.
    pub fn transform(
        &self,
        op: Operation,
        stream: &str,
        caller: bool,
        prk: &[u8; 32],
    ) -> Result<RtcRtpScriptTransform, JsValue> {
        let options = Object::new();
        let op = match op {
            Operation::Encrypt => "encrypt",
            Operation::Decrypt => "decrypt",
        };
        Reflect::set(&options, &"op".into(), &op.into())?;
        Reflect::set(&options, &"stream".into(), &stream.into())?;
        Reflect::set(&options, &"caller".into(), &caller.into())?;
        Reflect::set(
            &options,
            &"prk".into(),
            &js_sys::Array::from(&Uint8Array::from(&prk[..])),
        )?;
        Reflect::set(&options, &"kid".into(), &0.into())?;
        RtcRtpScriptTransform::new_with_options(&self.worker, &options)
    }
}

/// Shared so the engine and peer sessions can both hold it.
pub type SharedWorker = Rc<RefCell<Option<FrameWorker>>>;
