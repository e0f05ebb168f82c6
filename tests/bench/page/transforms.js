// One loopback call in this page: a fake 720p camera at 30 fps and the fake microphone (Opus)
// sent from `a` to `b`, every sender and receiver through a script transform in one worker
// (`worker-<variant>.js`), the remote video rendered so it is decoded. The bench binary calls
// `startCall(variant)`, waits, then `collect()`; the numbers are per frame, in µs.
"use strict";

let worker = null;
let counters = null; // sotto's worker reports its counters (decrypted, dropped)
let peers = [];
let media = null;

function streamOf(kind) {
  return kind === "video" ? "camera" : "mic";
}

function transformFor(op, kind) {
  return new RTCRtpScriptTransform(worker, {
    op, stream: streamOf(kind), caller: op === "encrypt", slot: 1, kid: 0,
  });
}

async function gathered(pc) {
  if (pc.iceGatheringState === "complete") return;
  await new Promise((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") resolve();
    });
  });
}

async function startCall(variant) {
  if (!crossOriginIsolated) throw new Error("not cross-origin isolated: timers would be coarse");
  worker = new Worker(`worker-${variant}.js`);
  worker.onmessage = (event) => {
    if (event.data && event.data.type === "counters") counters = event.data.counters;
    if (event.data && event.data.type === "bench_samples") window.benchSamples = event.data.samples;
  };
  if (variant === "sotto") {
    const secret = Array.from({ length: 32 }, (_, i) => i);
    worker.postMessage({ type: "set_keys", slot: 1, send: secret, receive: secret });
  }
  media = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: 1280, height: 720, frameRate: 30 },
  });
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  peers = [a, b];
  for (const track of media.getTracks()) {
    a.addTrack(track, media).transform = transformFor("encrypt", track.kind);
  }
  b.ontrack = (event) => {
    if (event.track.kind === "video") {
      const video = document.getElementById("remote");
      video.srcObject = new MediaStream([event.track]);
      video.play().catch(() => {});
    }
  };
  await a.setLocalDescription(await a.createOffer());
  await gathered(a);
  await b.setRemoteDescription(a.localDescription);
  // In the task in which setRemoteDescription resolves (docs/DEVELOPING.md, browser finding 1).
  for (const receiver of b.getReceivers()) {
    receiver.transform = transformFor("decrypt", receiver.track.kind);
  }
  await b.setLocalDescription(await b.createAnswer());
  await gathered(b);
  await a.setRemoteDescription(b.localDescription);
  const settings = media.getVideoTracks()[0].getSettings();
  return { width: settings.width, height: settings.height, frameRate: settings.frameRate };
}

function resetSamples() {
  worker.postMessage({ type: "bench_reset" });
}

function collect() {
  window.benchSamples = null;
  worker.postMessage({ type: "bench_collect" });
}

async function framesDecoded() {
  const stats = await peers[1].getStats();
  let decoded = 0;
  stats.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") decoded += s.framesDecoded || 0;
  });
  return decoded;
}

function hangUp() {
  for (const pc of peers) pc.close();
  for (const track of media.getTracks()) track.stop();
  worker.terminate();
}
