//! The worker's browser glue: turns each transformer's readable stream into a TransformStream
//! whose `transform()` runs [`FrameCrypto::process`] synchronously.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{
    DedicatedWorkerGlobalScope, RtcEncodedVideoFrame, RtcRtpScriptTransformer, TransformStream,
    TransformStreamDefaultController,
};

use super::{Counters, FrameCrypto, TransformOptions};

thread_local! {
    static COUNTERS: RefCell<Counters> = RefCell::new(Counters::default());
}

/// How often counters are posted to the page.
const REPORT_MS: i32 = 500;

/// Called once when the worker's wasm is ready: starts the counter reports.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let report = Closure::<dyn FnMut()>::new(move || {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let counters = COUNTERS.with(|c| c.borrow().clone());
        if let Ok(value) = serde_wasm_bindgen::to_value(&counters) {
            let message = Object::new();
            let _ = Reflect::set(&message, &"type".into(), &"counters".into());
            let _ = Reflect::set(&message, &"counters".into(), &value);
            let _ = scope.post_message(&message);
        }
    });
    let _ = scope.set_interval_with_callback_and_timeout_and_arguments_0(
        report.as_ref().unchecked_ref(),
        REPORT_MS,
    );
    report.forget(); // lives as long as the worker
}

/// Takes over one transformer (called from `worker.js` for every `rtctransform` event).
#[wasm_bindgen]
pub fn attach(transformer: RtcRtpScriptTransformer) {
    COUNTERS.with(|c| c.borrow_mut().transforms += 1);
    let options: Result<TransformOptions, String> =
        serde_wasm_bindgen::from_value(transformer.options()).map_err(|e| e.to_string());
    // Fail closed: with no usable key every frame is dropped, never passed through in clear.
    let crypto = options.and_then(|o| FrameCrypto::from_options(&o));
    if let Err(e) = &crypto {
        web_sys::console::error_1(
            &format!("frame transform misconfigured, dropping all frames: {e}").into(),
        );
    }
    let state = Rc::new(RefCell::new((
        crypto.ok(),
        Vec::<u8>::with_capacity(64 * 1024),
    )));
    let is_receiver = matches!(state.borrow().0, Some(FrameCrypto::Decrypt { .. }));

    let transform = Closure::<dyn FnMut(JsValue, TransformStreamDefaultController)>::new(
        move |chunk: JsValue, controller: TransformStreamDefaultController| {
            let frame: RtcEncodedVideoFrame = chunk.clone().unchecked_into(); // audio frames have the same `data`
            let data = Uint8Array::new(&frame.data());
            let len = data.length() as usize;
            let mut guard = state.borrow_mut();
            let (crypto, buffer) = &mut *guard;
            let Some(crypto) = crypto.as_mut() else {
                COUNTERS.with(|c| c.borrow_mut().dropped_not_ours += 1);
                return;
            };
            buffer.clear();
            buffer.resize(len, 0);
            data.copy_to(&mut buffer[..]);
            let keep = COUNTERS.with(|c| crypto.process(buffer, &mut c.borrow_mut()));
            if keep {
                let out = Uint8Array::new_with_length(buffer.len() as u32);
                out.copy_from(&buffer[..]);
                frame.set_data(&out.buffer());
                let _ = controller.enqueue_with_chunk(&chunk);
            }
        },
    );
    let transformer_obj = Object::new();
    let _ = Reflect::set(&transformer_obj, &"transform".into(), transform.as_ref());
    transform.forget(); // owned by the stream for the transformer's life
    let Ok(stream) = TransformStream::new_with_transformer(&transformer_obj) else {
        return;
    };
    let piped = transformer
        .readable()
        .pipe_through(&web_sys::ReadableWritablePair::new(
            &stream.readable(),
            &stream.writable(),
        ));
    let _ = piped.pipe_to(&transformer.writable());
    if is_receiver {
        // Frames sent before our key existed are lost; ask for a fresh key frame (research §7.2).
        let _ = transformer.send_key_frame_request();
    }
}
