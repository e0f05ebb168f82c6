// The frame worker's per-frame path, shared by web/worker.js and the browser bench.
//
// Each frame crosses into wasm once, with numbers only: JS copies `frame.data` into the
// transform's buffer in wasm memory (`frame_buffer`), one call encrypts or decrypts it in place
// (`process_frame`), and the result is sliced out as the frame's new data. Doing the same with
// web-sys calls from Rust (data getter, two Uint8Arrays, set_data, enqueue) cost ~60 µs per
// frame more than the cipher itself (docs/DEVELOPING.md, "How the browser bench measures").
"use strict";

// `wasm` is what the frame worker's wasm_bindgen init resolved to (its exports, with `memory`).
function attachFrameTransform(transformer, wasm) {
  const id = wasm_bindgen.attach(transformer);
  // Fail closed: unusable options leave the streams unpiped, and no frame passes in clear.
  if (id === undefined) return;
  transformer.readable
    .pipeThrough(new TransformStream({
      transform(frame, controller) {
        const data = frame.data;
        const len = data.byteLength;
        const at = wasm_bindgen.frame_buffer(id, len);
        new Uint8Array(wasm.memory.buffer, at, len).set(new Uint8Array(data));
        const out = wasm_bindgen.process_frame(id);
        if (out < 0) return; // dropped: not ours, forged, replayed, or no key yet
        // Read `memory.buffer` again: processing may have grown the memory.
        frame.data = wasm.memory.buffer.slice(at, at + out);
        controller.enqueue(frame);
      },
    }))
    .pipeTo(transformer.writable);
}
