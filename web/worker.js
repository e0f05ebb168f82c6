// The frame worker's bootstrap (a classic dedicated worker).
//
// `rtctransform` fires as soon as the page creates an RTCRtpScriptTransform, which can be before
// the wasm has loaded. A handler installed later would miss it, and that stream's frames would
// never be transformed. So: install handlers synchronously, queue transformers and the page's
// messages (a call's keys), then hand them to the Rust side in order once it is ready
// (research note e2ee-insertable-streams.md §4.2).
"use strict";
const waiting = [];
self.onrtctransform = (event) => waiting.push(["transform", event.transformer]);
self.onmessage = (event) => waiting.push(["message", event.data]);

importScripts("./frame_transform.js", "./frame_worker.js");
wasm_bindgen("./frame_worker_bg.wasm").then((wasm) => {
  self.onrtctransform = (event) => attachFrameTransform(event.transformer, wasm);
  self.onmessage = (event) => wasm_bindgen.on_message(event.data);
  for (const [kind, item] of waiting.splice(0)) {
    if (kind === "transform") attachFrameTransform(item, wasm);
    else wasm_bindgen.on_message(item);
  }
}, (error) => {
  // Fail closed: without the wasm no frame is ever passed on, so the call shows no media.
  console.error("frame worker failed to load; calls cannot carry media", error);
});
