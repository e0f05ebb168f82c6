//! The worker's browser glue: keeps each transformer's state and the calls' keys by slot as the
//! page sends them. `web/frame_transform.js` pipes each transformer's frames through a
//! `transform()` that copies a frame into this side's buffer ([`frame_buffer`]) and runs
//! [`FrameCrypto::process`] on it synchronously ([`process_frame`]).

use std::cell::RefCell;
use std::collections::HashMap;

use sotto_shared::crypto::MediaSecret;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, RtcRtpScriptTransformer};

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

thread_local! {
    /// Every transform this worker has taken over, by the number `attach` gave it. They live as
    /// long as the worker: a transformer's streams end with its call, not its state.
    static TRANSFORMS: RefCell<Vec<Transform>> = const { RefCell::new(Vec::new()) };
}

/// One transformer's state and the frame buffer JS copies frames into.
struct Transform {
    state: State,
    transformer: RtcRtpScriptTransformer,
}

/// Room for what encryption appends (tag and trailer) without moving the buffer: JS keeps the
/// pointer `frame_buffer` returned across `process_frame`.
const GROWTH: usize = 64;

/// Takes over one transformer (called from `frame_transform.js` for every `rtctransform`
/// event). Returns its number, or `None` when its options are unusable: the caller then leaves
/// its streams unpiped, which stops its media (fails closed, no frame passes in clear).
#[wasm_bindgen]
pub fn attach(transformer: RtcRtpScriptTransformer) -> Option<u32> {
    COUNTERS.with(|c| c.borrow_mut().transforms += 1);
    let options: Result<TransformOptions, String> =
        serde_wasm_bindgen::from_value(transformer.options()).map_err(|e| e.to_string());
    let options = options
        .inspect_err(|e| {
            web_sys::console::error_1(
                &format!("frame transform misconfigured, dropping all frames: {e}").into(),
            );
        })
        .ok()?;
    let state = State {
        options,
        crypto: None,
        broken: false,
        buffer: Vec::with_capacity(64 * 1024),
    };
    TRANSFORMS.with(|t| {
        let mut transforms = t.borrow_mut();
        transforms.push(Transform { state, transformer });
        u32::try_from(transforms.len() - 1).ok()
    })
}

/// Makes transform `id`'s buffer `len` bytes long and returns where it starts in wasm memory;
/// JS copies the frame there. Null for an unknown `id`.
#[wasm_bindgen]
pub fn frame_buffer(id: u32, len: usize) -> *mut u8 {
    TRANSFORMS.with(|t| {
        let mut transforms = t.borrow_mut();
        let Some(transform) = transforms.get_mut(id as usize) else {
            return std::ptr::null_mut();
        };
        let buffer = &mut transform.state.buffer;
        buffer.clear();
        buffer.reserve(len + GROWTH);
        buffer.resize(len, 0);
        buffer.as_mut_ptr()
    })
}

/// Encrypts or decrypts the frame JS copied into transform `id`'s buffer, in place. Returns
/// the length of the result, at the same address, or -1: drop the frame. One call per frame
/// with numbers only: each call across the wasm boundary with a JS object costs more than the
/// cipher does (docs/DEVELOPING.md, the browser bench).
#[wasm_bindgen]
pub fn process_frame(id: u32) -> i32 {
    TRANSFORMS.with(|t| {
        let mut transforms = t.borrow_mut();
        let Some(Transform { state, transformer }) = transforms.get_mut(id as usize) else {
            return -1;
        };
        if state.crypto(transformer).is_none() {
            COUNTERS.with(|c| {
                let mut c = c.borrow_mut();
                if state.broken {
                    c.dropped_not_ours += 1;
                } else {
                    c.waiting_for_key += 1;
                }
            });
            return -1;
        }
        let State { crypto, buffer, .. } = state;
        let crypto = crypto.as_mut().expect("built just above");
        let start = buffer.as_ptr();
        let keep = COUNTERS.with(|c| crypto.process(buffer, &mut c.borrow_mut()));
        // JS reads the result where it wrote the frame; `GROWTH` makes a move impossible, and
        // a frame is never passed on from a stale address.
        match (keep, std::ptr::eq(start, buffer.as_ptr())) {
            (true, true) => i32::try_from(buffer.len()).unwrap_or(-1),
            _ => -1,
        }
    })
}
