//! The worker's browser glue: turns each transformer's readable stream into a TransformStream
//! whose `transform()` runs [`FrameCrypto::process`] synchronously, and keeps the calls' keys
//! by slot as the page sends them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use sotto_shared::crypto::MediaSecret;
use wasm_bindgen::prelude::*;
use web_sys::{
    DedicatedWorkerGlobalScope, RtcEncodedVideoFrame, RtcRtpScriptTransformer, TransformStream,
    TransformStreamDefaultController,
};

use super::{Counters, FrameCrypto, FromWorker, Operation, ToWorker, TransformOptions};

/// A call's keys in the worker: for our senders, and for our receivers.
struct Keys {
    send: MediaSecret,
    receive: MediaSecret,
}

thread_local! {
    static COUNTERS: RefCell<Counters> = RefCell::new(Counters::default());
    static KEYS: RefCell<HashMap<u32, Keys>> = RefCell::new(HashMap::new());
    /// The counter reports, kept (not forgotten) for the worker's life.
    static REPORTS: RefCell<Option<gloo_timers::callback::Interval>> = const { RefCell::new(None) };
}

/// How often counters are posted to the page.
const REPORT_MS: u32 = 500;

/// Called once when the worker's wasm is ready: starts the counter reports.
pub fn start() {
    let reports = gloo_timers::callback::Interval::new(REPORT_MS, || {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let counters = COUNTERS.with(|c| c.borrow().clone());
        if let Ok(message) = serde_wasm_bindgen::to_value(&FromWorker::Counters { counters }) {
            let _ = scope.post_message(&message);
        }
    });
    REPORTS.with(|r| *r.borrow_mut() = Some(reports));
}

/// A message from the page (called from `worker.js`).
#[wasm_bindgen]
pub fn on_message(data: JsValue) {
    match serde_wasm_bindgen::from_value::<ToWorker>(data) {
        Ok(ToWorker::SetKeys {
            slot,
            send,
            receive,
        }) => {
            let keys = Keys {
                send: send.to_media_secret(),
                receive: receive.to_media_secret(),
            };
            KEYS.with(|k| k.borrow_mut().insert(slot, keys));
        }
        Ok(ToWorker::Close { slot }) => {
            KEYS.with(|k| k.borrow_mut().remove(&slot));
        }
        Err(e) => web_sys::console::error_1(&format!("frame worker: bad message: {e}").into()),
    }
}

/// One transform's state: its options, and its crypto once the call's keys arrived.
struct State {
    options: TransformOptions,
    crypto: Option<FrameCrypto>,
    /// Set when the options are unusable: every frame is dropped for good.
    broken: bool,
    buffer: Vec<u8>,
}

impl State {
    /// The crypto, built from the slot's keys the first time they are there. `None`: no key
    /// yet (or never): drop the frame.
    fn crypto(&mut self, transformer: &RtcRtpScriptTransformer) -> Option<&mut FrameCrypto> {
        if self.crypto.is_none() && !self.broken {
            let built = KEYS.with(|k| {
                k.borrow().get(&self.options.slot).map(|keys| {
                    let secret = match self.options.op {
                        Operation::Encrypt => &keys.send,
                        Operation::Decrypt => &keys.receive,
                    };
                    FrameCrypto::new(&self.options, secret)
                })
            });
            match built {
                Some(Ok(crypto)) => {
                    self.crypto = Some(crypto);
                    if self.options.is_video_receiver() {
                        // Frames before our key were dropped; ask for a fresh key frame
                        // (research §7.2). Only video receivers can be asked: an audio
                        // receiver rejects the request.
                        request_key_frame(transformer);
                    }
                }
                Some(Err(e)) => {
                    self.broken = true;
                    web_sys::console::error_1(
                        &format!("frame transform misconfigured, dropping all frames: {e}").into(),
                    );
                }
                None => {}
            }
        }
        self.crypto.as_mut()
    }
}

fn request_key_frame(transformer: &RtcRtpScriptTransformer) {
    let promise = transformer.send_key_frame_request();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = wasm_bindgen_futures::JsFuture::from(promise).await {
            web_sys::console::warn_1(&format!("key frame request refused: {e:?}").into());
        }
    });
}

/// Takes over one transformer (called from `worker.js` for every `rtctransform` event).
#[wasm_bindgen]
pub fn attach(transformer: RtcRtpScriptTransformer) {
    COUNTERS.with(|c| c.borrow_mut().transforms += 1);
    let options: Result<TransformOptions, String> =
        serde_wasm_bindgen::from_value(transformer.options()).map_err(|e| e.to_string());
    let Ok(options) = options.inspect_err(|e| {
        web_sys::console::error_1(
            &format!("frame transform misconfigured, dropping all frames: {e}").into(),
        );
    }) else {
        // Fail closed: no frame is ever passed on in clear. Leaving the transformer's streams
        // unpiped stops its media.
        return;
    };
    let state = Rc::new(RefCell::new(State {
        options,
        crypto: None,
        broken: false,
        buffer: Vec::with_capacity(64 * 1024),
    }));
    let this = transformer.clone();
    let transform = Closure::<dyn FnMut(JsValue, TransformStreamDefaultController)>::new(
        move |chunk: JsValue, controller: TransformStreamDefaultController| {
            let frame: RtcEncodedVideoFrame = chunk.clone().unchecked_into(); // audio frames have the same `data`
            let data = Uint8Array::new(&frame.data());
            let len = data.length() as usize;
            let mut guard = state.borrow_mut();
            let state = &mut *guard;
            if state.crypto(&this).is_none() {
                COUNTERS.with(|c| {
                    let mut c = c.borrow_mut();
                    if state.broken {
                        c.dropped_not_ours += 1;
                    } else {
                        c.waiting_for_key += 1;
                    }
                });
                return;
            }
            let State { crypto, buffer, .. } = state;
            let crypto = crypto.as_mut().expect("built just above");
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
}
