// Shared by the three bench workers: times every frame through the worker's transform stage.
//
// Each transformer's stream is cut in two around the transform under test:
//   transformer.readable → stamp in → [transform under test] → stamp out → transformer.writable
// so every variant pays the same plumbing, and the figure is what the stage adds to a frame's
// trip through the worker (research e2ee-insertable-streams.md §5.1 measured the same way).
// performance.now() has 5 µs resolution only in a cross-origin isolated page: the bench server
// sends COOP/COEP, and the page checks `crossOriginIsolated` before it reports anything.
"use strict";

const samples = {}; // "encrypt:video" → { us: [], bytes: [] }

function record(key, us, bytes) {
  const s = (samples[key] ||= { us: [], bytes: [] });
  s.us.push(us);
  s.bytes.push(bytes);
}

function streamKind(options) {
  return options.stream === "camera" || options.stream === "screen_video" ? "video" : "audio";
}

// Wires `transformer` through the stamps; `attachInner` gets a transformer-like object whose
// streams are the two stamps' inner ends.
function timed(transformer, attachInner) {
  const options = transformer.options;
  const key = `${options.op}:${streamKind(options)}`;
  const started = new WeakMap();
  const stampIn = new TransformStream({
    transform(frame, controller) {
      started.set(frame, performance.now());
      controller.enqueue(frame);
    },
  });
  const stampOut = new TransformStream({
    transform(frame, controller) {
      const t0 = started.get(frame);
      if (t0 !== undefined) record(key, (performance.now() - t0) * 1000, frame.data.byteLength);
      controller.enqueue(frame);
    },
  });
  transformer.readable.pipeTo(stampIn.writable);
  stampOut.readable.pipeTo(transformer.writable);
  attachInner({
    options,
    readable: stampIn.readable,
    writable: stampOut.writable,
    sendKeyFrameRequest: () => transformer.sendKeyFrameRequest(),
  });
}

// The bench's own messages; anything else goes to `other`.
function benchMessages(other) {
  return (event) => {
    const data = event.data;
    if (data && data.type === "bench_reset") {
      for (const key of Object.keys(samples)) delete samples[key];
    } else if (data && data.type === "bench_collect") {
      self.postMessage({ type: "bench_samples", samples });
    } else {
      other(data);
    }
  };
}
