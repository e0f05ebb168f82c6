// The floor of any transform that changes a frame: read `frame.data`, copy it, set it back.
// What sotto and the WebCrypto transform cost beyond this is their own work; what this costs
// beyond pass-through is the browser's encoded-frame API.
"use strict";
importScripts("timing.js");

self.onrtctransform = (event) =>
  timed(event.transformer, (inner) =>
    inner.readable
      .pipeThrough(new TransformStream({
        transform(frame, controller) {
          frame.data = frame.data.slice(0);
          controller.enqueue(frame);
        },
      }))
      .pipeTo(inner.writable));
self.onmessage = benchMessages(() => {});
