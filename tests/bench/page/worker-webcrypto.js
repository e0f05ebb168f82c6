// The JavaScript anchor: SimpleX Chat's call page transform (research simplex-calls.md §1.5).
// AES-256-GCM through WebCrypto, a random 12-byte IV per frame, one awaited encrypt or decrypt
// per frame, frame = clear prefix ‖ ciphertext ‖ 16-byte tag ‖ IV (28 bytes of overhead).
// Clear prefix: 10 bytes of a VP8 key frame, 3 of a delta frame, 1 otherwise (the Opus TOC).
"use strict";
importScripts("timing.js");

const IV_LENGTH = 12;
const clearBytes = { key: 10, delta: 3, empty: 1 };
const keyReady = crypto.subtle.importKey(
  "raw", new Uint8Array(32).fill(7), { name: "AES-GCM", length: 256 }, false,
  ["encrypt", "decrypt"]);

async function encrypt(frame, controller) {
  const key = await keyReady;
  const data = new Uint8Array(frame.data);
  const n = Math.min(clearBytes[frame.type] || 1, data.length);
  const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const sealed = data.length > n
    ? new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, data.subarray(n)))
    : new Uint8Array(0);
  const out = new Uint8Array(n + sealed.length + IV_LENGTH);
  out.set(data.subarray(0, n));
  out.set(sealed, n);
  out.set(iv, n + sealed.length);
  frame.data = out.buffer;
  controller.enqueue(frame);
}

async function decrypt(frame, controller) {
  const key = await keyReady;
  const data = new Uint8Array(frame.data);
  const n = Math.min(clearBytes[frame.type] || 1, data.length);
  if (data.length < n + IV_LENGTH) return; // not ours: drop
  const iv = data.subarray(data.length - IV_LENGTH);
  const sealed = data.subarray(n, data.length - IV_LENGTH);
  let opened = new Uint8Array(0);
  if (sealed.length > 0) {
    try {
      opened = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, sealed));
    } catch {
      return; // fails closed, as SimpleX does
    }
  }
  const out = new Uint8Array(n + opened.length);
  out.set(data.subarray(0, n));
  out.set(opened, n);
  frame.data = out.buffer;
  controller.enqueue(frame);
}

self.onrtctransform = (event) =>
  timed(event.transformer, (inner) =>
    inner.readable
      .pipeThrough(new TransformStream({
        transform: inner.options.op === "encrypt" ? encrypt : decrypt,
      }))
      .pipeTo(inner.writable));
self.onmessage = benchMessages(() => {});
