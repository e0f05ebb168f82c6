// The call set-up baseline: two plain RTCPeerConnections exchanging SDP and trickled candidates
// as JSON through the bench server's bare WebSocket forwarder (no envelopes, no store, no frame
// transforms). The same order of work as a sotto call: the callee takes its camera and
// microphone and offers when it accepts; the caller takes them and answers when the offer
// arrives. `connectedAt` is when this side's connection state first became "connected".
"use strict";

const params = new URLSearchParams(location.search);
const ws = new WebSocket(`ws://${location.host}/ws?room=${params.get("room")}`);
const opened = new Promise((resolve) => { ws.onopen = resolve; });
let pc = null;
let media = null;
let pending = [];
window.connectedAt = null;

function send(message) {
  ws.send(JSON.stringify(message));
}

async function newPeer() {
  pc = new RTCPeerConnection();
  pc.onicecandidate = (event) => event.candidate && send({ candidate: event.candidate.toJSON() });
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "connected" && window.connectedAt === null) {
      window.connectedAt = Date.now();
    }
  };
  pc.ontrack = (event) => {
    if (event.track.kind === "video") {
      const video = document.getElementById("remote");
      video.srcObject = new MediaStream([event.track]);
      video.play().catch(() => {});
    }
  };
  media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  for (const track of media.getTracks()) pc.addTrack(track, media);
}

async function flushCandidates() {
  for (const candidate of pending.splice(0)) await pc.addIceCandidate(candidate);
}

// The callee's accept: returns the time it was pressed; the call goes on asynchronously.
function accept() {
  const pressed = Date.now();
  (async () => {
    await opened;
    await newPeer();
    await pc.setLocalDescription(await pc.createOffer());
    send({ offer: pc.localDescription.toJSON() });
  })();
  return pressed;
}

ws.onmessage = async (event) => {
  const message = JSON.parse(event.data);
  if (message.offer) {
    await newPeer();
    await pc.setRemoteDescription(message.offer);
    await flushCandidates();
    await pc.setLocalDescription(await pc.createAnswer());
    send({ answer: pc.localDescription.toJSON() });
  } else if (message.answer) {
    await pc.setRemoteDescription(message.answer);
    await flushCandidates();
  } else if (message.candidate) {
    if (pc && pc.remoteDescription) await pc.addIceCandidate(message.candidate);
    else pending.push(message.candidate);
  }
};

function hangUp() {
  if (pc) pc.close();
  if (media) for (const track of media.getTracks()) track.stop();
  pc = null;
  media = null;
  pending = [];
  window.connectedAt = null;
}

window.ready = () => opened.then(() => true);
