// The limit: the same plumbing as the other variants, with a transform that does nothing.
"use strict";
importScripts("timing.js");

self.onrtctransform = (event) =>
  timed(event.transformer, (inner) =>
    inner.readable
      .pipeThrough(new TransformStream({ transform: (frame, c) => c.enqueue(frame) }))
      .pipeTo(inner.writable));
self.onmessage = benchMessages(() => {});
