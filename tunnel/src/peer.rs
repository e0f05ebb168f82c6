//! The peer connection: str0m's `Rtc` with DESIGN §4's four fixed transceivers, mapped by
//! m-line position (str0m gives random mids), and the frame crypto of `sotto-shared`, exactly
//! where the browser's `RTCRtpScriptTransform` sits: after the encoder and before the
//! packetizer on send, after the depacketizer and before the decoder on receive.
//!
//! str0m's one rule: every mutation is followed by a complete drain of `poll_output` to its
//! `Timeout` before the next mutation. Every method here that mutates ends with [`Peer::drain`].

use std::net::SocketAddr;
use std::time::Instant;

use sotto_shared::crypto::{
    FrameDecryptor, FrameEncryptor, MediaKind as FrameKind, MediaSecret, Role, Stream,
    clear_prefix_len,
};
use sotto_shared::wire::signal::IceCandidate;
use sotto_shared::wire::tunnel::{FromTunnel, MediaCounters};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, KeyframeRequestKind, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

/// A datagram str0m wants sent.
#[derive(Debug)]
pub(crate) struct Datagram {
    pub(crate) source: SocketAddr,
    pub(crate) destination: SocketAddr,
    pub(crate) contents: Vec<u8>,
}

/// The peer connection of one call.
pub(crate) struct Peer {
    rtc: Rtc,
    role: Role,
    local: Vec<Candidate>,
    /// Mids in m-line order: mic, camera, screen_audio, screen_video.
    mids: Vec<Mid>,
    pending: Option<SdpPendingOffer>,
    secret: Option<MediaSecret>,
    mic_out: Option<FrameEncryptor>,
    mic_in: Option<FrameDecryptor>,
    camera_in: Option<FrameDecryptor>,
    /// The RTP time of the next frame we send (48 kHz).
    rtp_time: u64,
    connected: bool,
    pub(crate) counters: MediaCounters,
    /// Decrypted Opus frames of the peer's microphone with their RTP time (48 kHz), in
    /// arrival order (the playout buffer orders them and conceals gaps).
    pub(crate) heard: Vec<(u64, Vec<u8>)>,
    /// Decrypted VP8 frames of the peer's camera with their RTP time (90 kHz), oldest first.
    pub(crate) seen: Vec<(Vec<u8>, u64)>,
    /// Events for the daemon.
    pub(crate) events: Vec<FromTunnel>,
    /// Datagrams to send.
    pub(crate) transmit: Vec<Datagram>,
    /// When str0m wants its next timeout.
    pub(crate) deadline: Instant,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("role", &self.role)
            .field("mids", &self.mids)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

/// Why a negotiation step failed (the media is lost: the daemon ends the call).
pub(crate) type PeerError = String;

impl Peer {
    /// A peer connection for `role` with a host candidate for every address in `hosts`, and
    /// a relay candidate for `relayed` (a TURN allocation reached through our socket at
    /// `local`), if any.
    pub(crate) fn new(
        role: Role,
        hosts: &[SocketAddr],
        relayed: Option<(SocketAddr, SocketAddr)>,
        now: Instant,
    ) -> Self {
        let mut rtc = Rtc::builder()
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(now);
        let candidates = hosts
            .iter()
            .map(|addr| Candidate::host(*addr, "udp"))
            .chain(relayed.map(|(addr, local)| Candidate::relayed(addr, local, "udp")));
        let mut local = Vec::new();
        for candidate in candidates {
            match candidate {
                Ok(c) => {
                    if let Some(added) = rtc.add_local_candidate(c) {
                        local.push(added.clone());
                    }
                }
                Err(e) => tracing::warn!("unusable local candidate: {e}"),
            }
        }
        let mut peer = Self {
            rtc,
            role,
            local,
            mids: Vec::new(),
            pending: None,
            secret: None,
            mic_out: None,
            mic_in: None,
            camera_in: None,
            rtp_time: 0,
            connected: false,
            counters: MediaCounters::default(),
            heard: Vec::new(),
            seen: Vec::new(),
            events: Vec::new(),
            transmit: Vec::new(),
            deadline: now,
        };
        peer.drain();
        peer
    }

    /// Installs the call's media secret: our sending key and the peer's receiving keys.
    pub(crate) fn set_keys(&mut self, prk: [u8; 32]) {
        let secret = MediaSecret::from_bytes(prk);
        let sending = self.role.sending();
        let peer_sending = self.role.peer().sending();
        self.mic_out = Some(FrameEncryptor::new(
            secret.frame_key(sending, Stream::Mic),
            0,
        ));
        self.mic_in = Some(FrameDecryptor::new(
            secret.frame_key(peer_sending, Stream::Mic),
            0,
        ));
        self.camera_in = Some(FrameDecryptor::new(
            secret.frame_key(peer_sending, Stream::Camera),
            0,
        ));
        self.secret = Some(secret);
    }

    /// Whether ICE and DTLS are up.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected
    }

    /// Whether frames can be sent: connected and keyed.
    pub(crate) fn can_send(&self) -> bool {
        self.connected && self.mic_out.is_some() && !self.mids.is_empty()
    }

    /// The callee's offer (the four transceivers in DESIGN §4's order), or an ICE restart.
    pub(crate) fn create_offer(&mut self, ice_restart: bool) -> Result<String, PeerError> {
        let mut api = self.rtc.sdp_api();
        let mut added = Vec::new();
        if self.mids.is_empty() {
            // An audio-only endpoint: it sends its microphone and receives the rest; the
            // browser shows "camera off" from the CallMedia signal, not a black tile.
            added.push(api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None));
            added.push(api.add_media(MediaKind::Video, Direction::RecvOnly, None, None, None));
            added.push(api.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None));
            added.push(api.add_media(MediaKind::Video, Direction::RecvOnly, None, None, None));
        }
        if ice_restart {
            api.ice_restart(true);
        }
        let Some((offer, pending)) = api.apply() else {
            return Err("nothing to offer".into());
        };
        if !added.is_empty() {
            self.mids = added;
        }
        self.pending = Some(pending);
        let sdp = offer.to_sdp_string();
        self.drain();
        Ok(sdp)
    }

    /// The caller answers the callee's offer.
    pub(crate) fn apply_offer(&mut self, sdp: &str) -> Result<String, PeerError> {
        let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| format!("bad offer: {e}"))?;
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| format!("cannot answer the offer: {e}"))?;
        if self.mids.is_empty() {
            self.mids = mids_in_order(sdp);
        }
        let sdp = answer.to_sdp_string();
        self.drain();
        Ok(sdp)
    }

    /// The callee applies the caller's answer.
    pub(crate) fn apply_answer(&mut self, sdp: &str) -> Result<(), PeerError> {
        let pending = self.pending.take().ok_or("an answer without an offer")?;
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(|e| format!("bad answer: {e}"))?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| format!("cannot apply the answer: {e}"))?;
        self.drain();
        Ok(())
    }

    /// Adds the peer's candidates; ones str0m cannot use (mDNS names, TCP) are skipped.
    pub(crate) fn add_remote_candidates(&mut self, candidates: &[IceCandidate]) -> usize {
        let mut skipped = 0;
        for c in candidates {
            let line = c.candidate.trim().trim_start_matches("a=");
            if line.is_empty() {
                continue; // end-of-candidates
            }
            match Candidate::from_sdp_string(line) {
                Ok(candidate) => {
                    self.rtc.add_remote_candidate(candidate);
                    self.drain();
                }
                Err(_) => skipped += 1,
            }
        }
        skipped
    }

    /// Our candidates, for `sendIce`.
    pub(crate) fn local_candidates(&self) -> Vec<IceCandidate> {
        self.local
            .iter()
            .map(|c| IceCandidate {
                candidate: c.to_sdp_string(),
                sdp_mid: self.mids.first().map(ToString::to_string),
                sdp_m_line_index: Some(0),
            })
            .collect()
    }

    /// Encrypts one Opus frame with our microphone key and sends it. Fails closed: without a
    /// key nothing is sent.
    pub(crate) fn send_audio(&mut self, mut frame: Vec<u8>, now: Instant) {
        let Some(enc) = self.mic_out.as_mut() else {
            self.counters.dropped_no_key += 1;
            return;
        };
        let time = MediaTime::new(self.rtp_time, Frequency::FORTY_EIGHT_KHZ);
        self.rtp_time += 960;
        if !frame.is_empty() {
            let clear = clear_prefix_len(FrameKind::Audio, &frame);
            if enc.encrypt(clear, &mut frame).is_err() {
                self.counters.dropped_no_key += 1;
                return;
            }
        }
        let Some(mid) = self.mids.first().copied() else {
            return;
        };
        let Some(writer) = self.rtc.writer(mid) else {
            return;
        };
        let Some(pt) = writer
            .payload_params()
            .find(|p| p.spec().codec == Codec::Opus)
            .map(|p| p.pt())
        else {
            return;
        };
        if writer.write(pt, now, time, frame).is_ok() {
            self.counters.encrypted += 1;
        }
        self.drain();
    }

    /// A datagram arrived on the socket bound to `destination`.
    pub(crate) fn receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        data: &[u8],
    ) {
        let Ok(contents) = data.try_into() else {
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination,
                contents,
            },
        );
        if self.rtc.accepts(&input) {
            let _ = self.rtc.handle_input(input);
            self.drain();
        }
    }

    /// Time passed.
    pub(crate) fn timeout(&mut self, now: Instant) {
        let _ = self.rtc.handle_input(Input::Timeout(now));
        self.drain();
    }

    /// Asks the peer for a camera key frame (a recording starts at one).
    pub(crate) fn request_key_frame(&mut self) {
        let Some(mid) = self.mids.get(1).copied() else {
            return;
        };
        match self.rtc.writer(mid) {
            Some(mut writer) => {
                if let Err(e) = writer.request_keyframe(None, KeyframeRequestKind::Pli) {
                    tracing::warn!("cannot ask for a key frame: {e}");
                }
            }
            None => tracing::warn!("cannot ask for a key frame: no camera stream"),
        }
        self.drain();
    }

    /// Stops all media.
    pub(crate) fn close(&mut self) {
        self.rtc.disconnect();
        self.connected = false;
    }

    fn drain(&mut self) {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => {
                    self.deadline = at;
                    return;
                }
                Ok(Output::Transmit(t)) => self.transmit.push(Datagram {
                    source: t.source,
                    destination: t.destination,
                    contents: t.contents.to_vec(),
                }),
                Ok(Output::Event(event)) => self.event(event),
                Err(e) => {
                    self.events.push(FromTunnel::Error {
                        message: format!("WebRTC failed: {e}"),
                        fatal: true,
                    });
                    self.deadline = Instant::now() + std::time::Duration::from_secs(3600);
                    return;
                }
            }
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Connected => self.connected = true,
            Event::IceConnectionStateChange(state) => {
                let ice = match state {
                    IceConnectionState::New => "new",
                    IceConnectionState::Checking => "checking",
                    IceConnectionState::Connected => "connected",
                    IceConnectionState::Completed => "completed",
                    IceConnectionState::Disconnected => "disconnected",
                };
                self.events
                    .push(FromTunnel::StateChange { ice: ice.into() });
            }
            Event::MediaData(data) => {
                let position = self.mids.iter().position(|m| *m == data.mid);
                let mut frame = data.data.to_vec();
                if frame.is_empty() {
                    return;
                }
                let decryptor = match position {
                    Some(0) => self.mic_in.as_mut(),
                    Some(1) => self.camera_in.as_mut(),
                    _ => return,
                };
                let Some(dec) = decryptor else {
                    self.counters.dropped_no_key += 1;
                    return;
                };
                if dec.decrypt(&mut frame).is_ok() {
                    self.counters.decrypted += 1;
                    if position == Some(0) {
                        let time = data.time.rebase(Frequency::FORTY_EIGHT_KHZ).numer();
                        self.heard.push((time, frame));
                    } else {
                        let time = data.time.rebase(Frequency::NINETY_KHZ).numer();
                        self.seen.push((frame, time));
                    }
                } else {
                    self.counters.dropped_undecryptable += 1;
                }
            }
            _ => {}
        }
    }
}

/// The `a=mid:` values of an SDP in m-line order.
fn mids_in_order(sdp: &str) -> Vec<Mid> {
    sdp.lines()
        .filter_map(|l| l.trim().strip_prefix("a=mid:"))
        .map(|m| Mid::from(m.trim()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mids_in_m_line_order() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:BFL\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n";
        let mids: Vec<String> = mids_in_order(sdp).iter().map(ToString::to_string).collect();
        assert_eq!(mids, ["BFL", "0"]);
    }
}
