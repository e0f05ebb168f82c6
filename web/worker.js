// The frame worker's bootstrap (a classic dedicated worker).
//
// `rtctransform` fires as soon as the page creates an RTCRtpScriptTransform, which can be before
// the wasm has loaded. A handler installed later would miss it, and that stream's frames would
// never be transformed. So: install a handler synchronously, queue transformers, then hand them
// to the Rust side once it is ready (research note e2ee-insertable-streams.md §4.2).
"use strict";
const waiting = [];
self.onrtctransform = (event) => waiting.push(event.transformer);

importScripts("./frame_worker.js");
wasm_bindgen("./frame_worker_bg.wasm").then(() => {
  self.onrtctransform = (event) => wasm_bindgen.attach(event.transformer);
  for (const transformer of waiting.splice(0)) wasm_bindgen.attach(transformer);
}, (error) => {
  // Fail closed: without the wasm no frame is ever passed on, so the call shows no media.
  console.error("frame worker failed to load; calls cannot carry media", error);
});
