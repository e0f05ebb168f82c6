// sotto's real frame worker (the app's wasm, ChaCha20-Poly1305 frame v1), loaded as web/worker.js
// loads it, with each transformer wired through the bench's stamps first.
"use strict";
importScripts("timing.js");

const waiting = [];
const forward = (data) => waiting.push(["message", data]);
let onData = forward;
self.onrtctransform = (event) => waiting.push(["transform", event.transformer]);
self.onmessage = benchMessages((data) => onData(data));

let attach = null;
importScripts("../frame_transform.js", "../frame_worker.js");
wasm_bindgen("../frame_worker_bg.wasm").then((wasm) => {
  attach = (transformer) => timed(transformer, (inner) => attachFrameTransform(inner, wasm));
  self.onrtctransform = (event) => attach(event.transformer);
  onData = (data) => wasm_bindgen.on_message(data);
  for (const [kind, item] of waiting.splice(0)) {
    if (kind === "transform") attach(item);
    else wasm_bindgen.on_message(item);
  }
}, (error) => console.error("frame worker failed to load", error));
