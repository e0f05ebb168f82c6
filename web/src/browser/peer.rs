//! One call's `RTCPeerConnection`: four fixed transceivers (mic, camera, screen audio, screen
//! video) with a frame transform on every sender and receiver before any media flows
//! (DESIGN §4), VP8 only, and the operations the call machine asks for. The transforms carry
//! the call's worker `slot`, not its key: the key follows by `SetKeys` (for the callee only
//! once the answer arrives), and until then they drop every frame.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use js_sys::{Array, Reflect};
use sotto_shared::call::{IceState, RtcEvent};
use sotto_shared::crypto::{Role, Stream};
use sotto_shared::wire::relay::IceServer;
use sotto_shared::wire::signal::IceCandidate;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MediaStream, MediaStreamTrack, RtcBundlePolicy, RtcConfiguration, RtcIceCandidateInit,
    RtcIceConnectionState, RtcIceServer, RtcIceTransportPolicy, RtcOfferOptions, RtcPeerConnection,
    RtcPeerConnectionIceErrorEvent, RtcPeerConnectionIceEvent, RtcRtpTransceiver,
    RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType, RtcSessionDescriptionInit,
    RtcTrackEvent,
};

use crate::browser::worker::FrameWorker;
use crate::engine::remote_sdp::without_orphan_feedback;
use crate::engine::view::MediaStats;
use crate::worker::Operation;

/// Errors from the browser, as text for logs and the UI.
fn js_err(e: JsValue) -> String {
    Reflect::get(&e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The peer connection of one call.
pub struct PeerSession {
    pc: RtcPeerConnection,
    worker: Rc<FrameWorker>,
    role: Role,
    slot: u32,
    transceivers: RefCell<Vec<RtcRtpTransceiver>>,
    remote_described: RefCell<bool>,
    early_candidates: RefCell<Vec<IceCandidate>>,
    /// The last `icecandidateerror` (code, text, server), for the debug panel.
    ice_error: Rc<RefCell<String>>,
    /// The peer's sound, played by its own element so video layout never affects audio and
    /// the speaker choice applies in one place.
    pub audio: web_sys::HtmlAudioElement,
    /// Dropped with the session, which removes the listeners.
    _listeners: Vec<EventListener>,
}

impl std::fmt::Debug for PeerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerSession")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Drop for PeerSession {
    fn drop(&mut self) {
        super::peer_count::dropped();
    }
}

impl PeerSession {
    /// Creates the connection. The callee makes the offer, so it creates the transceivers now;
    /// the caller gets them from the offer.
    ///
    /// Relay-only, a TURN server that refuses our credentials, or a gathering that ends
    /// without a single relay candidate, is reported as [`RtcEvent::RelayUnreachable`] at
    /// once: no media path can exist, and the connect timeout would say so only after 30 s.
    ///
    /// # Errors
    /// When the browser refuses the configuration.
    pub fn new(
        worker: Rc<FrameWorker>,
        role: Role,
        slot: u32,
        ice_servers: &[IceServer],
        relay_only: bool,
        events: Rc<dyn Fn(RtcEvent)>,
    ) -> Result<Rc<Self>, String> {
        let config = RtcConfiguration::new();
        let servers = Array::new();
        for s in ice_servers {
            let entry = RtcIceServer::new();
            let urls: Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
            entry.set_urls_str_sequence(&urls);
            if let (Some(user), Some(cred)) = (&s.username, &s.credential) {
                entry.set_username(user);
                entry.set_credential(cred);
            }
            servers.push(&entry);
        }
        config.set_ice_servers(&servers);
        if relay_only {
            config.set_ice_transport_policy(RtcIceTransportPolicy::Relay);
        }
        config.set_bundle_policy(RtcBundlePolicy::MaxBundle);
        let pc = RtcPeerConnection::new_with_configuration(&config).map_err(js_err)?;

        let mut listeners = Vec::new();
        let ev = Rc::clone(&events);
        let gathering_done = Rc::new(RefCell::new(false));
        let done = Rc::clone(&gathering_done);
        // Relay-only: whether any relay candidate came, and whether the relay was named
        // unreachable already (said once).
        let relays = Rc::new(std::cell::Cell::new(0u32));
        let relay_reported = Rc::new(std::cell::Cell::new(false));
        let (relays2, reported2) = (Rc::clone(&relays), Rc::clone(&relay_reported));
        listeners.push(EventListener::new(&pc, "icecandidate", move |e| {
            let Some(e) = e.dyn_ref::<RtcPeerConnectionIceEvent>() else {
                return;
            };
            match e.candidate() {
                Some(c) if !c.candidate().is_empty() => {
                    *done.borrow_mut() = false;
                    // What is signalled, for tests (relay-only: never a host address).
                    crate::browser::dom::log(&format!(
                        "local candidate typ {}",
                        c.candidate()
                            .split(" typ ")
                            .nth(1)
                            .and_then(|t| t.split(' ').next())
                            .unwrap_or("?")
                    ));
                    if c.candidate().contains(" typ relay") {
                        relays2.set(relays2.get() + 1);
                    }
                    ev(RtcEvent::LocalCandidate(IceCandidate {
                        candidate: c.candidate(),
                        sdp_mid: c.sdp_mid(),
                        sdp_m_line_index: c.sdp_m_line_index(),
                    }));
                }
                _ => {
                    if !std::mem::replace(&mut *done.borrow_mut(), true) {
                        ev(RtcEvent::GatheringComplete);
                        if relay_only && relays2.get() == 0 && !reported2.replace(true) {
                            ev(RtcEvent::RelayUnreachable);
                        }
                    }
                }
            }
        }));

        let ev = Rc::clone(&events);
        let ice_error = Rc::new(RefCell::new(String::new()));
        let error_text = Rc::clone(&ice_error);
        listeners.push(EventListener::new(&pc, "icecandidateerror", move |e| {
            let Some(e) = e.dyn_ref::<RtcPeerConnectionIceErrorEvent>() else {
                return;
            };
            let code = e.error_code();
            let text = format!("{code} {} ({})", e.error_text(), e.url());
            crate::browser::dom::log(&format!("icecandidateerror {text}"));
            *error_text.borrow_mut() = text;
            // 401/403/437/438/441: STUN/TURN authentication errors (RFC 8489 §14.8,
            // RFC 8656 §15). The secret is the same for every TURN URL, so one refusal
            // means all refuse.
            let auth = matches!(code, 401 | 403 | 437 | 438 | 441);
            if relay_only && auth && relays.get() == 0 && !relay_reported.replace(true) {
                ev(RtcEvent::RelayUnreachable);
            }
        }));

        let ev = Rc::clone(&events);
        let pc2 = pc.clone();
        listeners.push(EventListener::new(
            &pc,
            "iceconnectionstatechange",
            move |_| {
                let state = match pc2.ice_connection_state() {
                    RtcIceConnectionState::New => IceState::New,
                    RtcIceConnectionState::Checking => IceState::Checking,
                    RtcIceConnectionState::Connected => IceState::Connected,
                    RtcIceConnectionState::Completed => IceState::Completed,
                    RtcIceConnectionState::Disconnected => IceState::Disconnected,
                    RtcIceConnectionState::Failed => IceState::Failed,
                    _ => IceState::Closed,
                };
                crate::browser::dom::log(&format!("ice {state:?}"));
                ev(RtcEvent::Ice(state));
            },
        ));

        let remote_audio = MediaStream::new().map_err(js_err)?;
        let audio = web_sys::HtmlAudioElement::new().map_err(js_err)?;
        audio.set_autoplay(true);
        audio.set_src_object(Some(&remote_audio));
        let audio2 = audio.clone();
        listeners.push(EventListener::new(&pc, "track", move |e| {
            let Some(e) = e.dyn_ref::<RtcTrackEvent>() else {
                return;
            };
            let track = e.track();
            if track.kind() == "audio" {
                crate::browser::media::add_track(&remote_audio, &track);
                let _ = audio2.play();
            }
        }));

        super::peer_count::opened();
        let session = Rc::new(Self {
            pc,
            worker,
            role,
            slot,
            transceivers: RefCell::new(Vec::new()),
            remote_described: RefCell::new(false),
            early_candidates: RefCell::new(Vec::new()),
            ice_error,
            audio,
            _listeners: listeners,
        });
        Ok(session)
    }

    /// The offerer's transceivers, in the fixed order, each with its transforms.
    ///
    /// # Errors
    /// When a transceiver or transform cannot be made: the call must not go on unencrypted.
    pub fn create_transceivers(&self) -> Result<(), String> {
        let worker = &*self.worker;
        for stream in Stream::ALL {
            let kind = if matches!(stream, Stream::Mic | Stream::ScreenAudio) {
                "audio"
            } else {
                "video"
            };
            let init = RtcRtpTransceiverInit::new();
            init.set_direction(RtcRtpTransceiverDirection::Sendrecv);
            let t = self.pc.add_transceiver_with_str_and_init(kind, &init);
            self.secure(worker, &t, stream)?;
        }
        Ok(())
    }

    /// The answerer adopts the offer's transceivers (after the remote description) in m-line order.
    fn adopt_transceivers(&self, worker: &FrameWorker) -> Result<(), String> {
        let all = self.pc.get_transceivers();
        if all.length() != 4 {
            return Err(format!(
                "the offer has {} media sections, expected 4",
                all.length()
            ));
        }
        for (i, stream) in Stream::ALL.into_iter().enumerate() {
            let t: RtcRtpTransceiver = all.get(i as u32).unchecked_into();
            t.set_direction(RtcRtpTransceiverDirection::Sendrecv);
            self.secure(worker, &t, stream)?;
        }
        Ok(())
    }

    /// Attaches the sender's encrypting and the receiver's decrypting transform and pins VP8.
    fn secure(
        &self,
        worker: &FrameWorker,
        t: &RtcRtpTransceiver,
        stream: Stream,
    ) -> Result<(), String> {
        let caller = self.role == Role::Caller;
        let send = worker
            .transform(Operation::Encrypt, stream.label(), caller, self.slot)
            .map_err(js_err)?;
        t.sender()
            .set_transform_opt_rtc_rtp_script_transform(Some(&send));
        let recv = worker
            .transform(Operation::Decrypt, stream.label(), caller, self.slot)
            .map_err(js_err)?;
        t.receiver()
            .set_transform_opt_rtc_rtp_script_transform(Some(&recv));
        if matches!(stream, Stream::Camera | Stream::ScreenVideo) {
            prefer_vp8(t);
        }
        crate::browser::dom::log(&format!(
            "secured {} mid={:?} sender.transform={} receiver.transform={}",
            stream.label(),
            t.mid(),
            t.sender().transform().is_some(),
            t.receiver().transform().is_some()
        ));
        self.transceivers.borrow_mut().push(t.clone());
        Ok(())
    }

    /// The track the peer's `stream` (camera, screen…) arrives on (its transceiver's
    /// receiver).
    #[must_use]
    pub fn receiver_track(&self, stream: Stream) -> Option<MediaStreamTrack> {
        let index = Stream::ALL
            .iter()
            .position(|s| *s == stream)
            .expect("listed");
        self.transceivers
            .borrow()
            .get(index)
            .map(|t| t.receiver().track())
    }

    /// Puts local tracks on the mic and camera senders (`None` leaves a sender silent).
    pub async fn set_track(
        &self,
        stream: Stream,
        track: Option<&MediaStreamTrack>,
    ) -> Result<(), String> {
        let index = Stream::ALL
            .iter()
            .position(|s| *s == stream)
            .expect("listed");
        let Some(t) = self.transceivers.borrow().get(index).cloned() else {
            crate::browser::dom::log(&format!(
                "set_track {} skipped: no transceivers yet",
                stream.label()
            ));
            return Ok(());
        };
        crate::browser::dom::log(&format!(
            "set_track {} transform={}",
            stream.label(),
            t.sender().transform().is_some()
        ));
        JsFuture::from(t.sender().replace_track(track))
            .await
            .map(|_| ())
            .map_err(js_err)
    }

    /// Creates and sets an offer.
    pub async fn create_offer(&self, ice_restart: bool) -> Result<String, String> {
        let options = RtcOfferOptions::new();
        options.set_ice_restart(ice_restart);
        let offer = JsFuture::from(self.pc.create_offer_with_rtc_offer_options(&options))
            .await
            .map_err(js_err)?;
        let sdp = Reflect::get(&offer, &"sdp".into())
            .ok()
            .and_then(|s| s.as_string())
            .ok_or("offer without SDP")?;
        self.set_local(RtcSdpType::Offer, &sdp).await?;
        Ok(sdp)
    }

    /// Applies the peer's offer; the first time, takes over its transceivers and secures them.
    ///
    /// The transforms go on in the same task the moment `setRemoteDescription` resolves, before
    /// any candidate is added: Chromium 156 silently bypasses script transforms set on an
    /// answerer's transceivers after `addIceCandidate`, `setLocalDescription` or a track
    /// (measured; see docs/DEVELOPING.md, "Browser findings").
    ///
    /// # Errors
    /// When the offer is refused or a transform cannot be attached: the call must not go on
    /// unencrypted.
    pub async fn apply_offer(&self, sdp: &str) -> Result<(), String> {
        let desc = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        desc.set_sdp(&without_orphan_feedback(sdp));
        JsFuture::from(self.pc.set_remote_description(&desc))
            .await
            .map_err(js_err)?;
        if self.transceivers.borrow().is_empty() {
            self.adopt_transceivers(&self.worker)?;
        }
        self.remote_is_described().await;
        Ok(())
    }

    /// Creates and sets our answer.
    pub async fn create_answer(&self) -> Result<String, String> {
        let answer = JsFuture::from(self.pc.create_answer())
            .await
            .map_err(js_err)?;
        let sdp = Reflect::get(&answer, &"sdp".into())
            .ok()
            .and_then(|s| s.as_string())
            .ok_or("answer without SDP")?;
        self.set_local(RtcSdpType::Answer, &sdp).await?;
        Ok(sdp)
    }

    /// Applies the peer's answer.
    pub async fn apply_answer(&self, sdp: &str) -> Result<(), String> {
        self.set_remote(RtcSdpType::Answer, sdp).await
    }

    async fn set_local(&self, kind: RtcSdpType, sdp: &str) -> Result<(), String> {
        let desc = RtcSessionDescriptionInit::new(kind);
        desc.set_sdp(sdp);
        JsFuture::from(self.pc.set_local_description(&desc))
            .await
            .map(|_| ())
            .map_err(js_err)
    }

    async fn set_remote(&self, kind: RtcSdpType, sdp: &str) -> Result<(), String> {
        let desc = RtcSessionDescriptionInit::new(kind);
        desc.set_sdp(&without_orphan_feedback(sdp));
        JsFuture::from(self.pc.set_remote_description(&desc))
            .await
            .map_err(js_err)?;
        self.remote_is_described().await;
        Ok(())
    }

    /// From now on candidates go straight in; those that came early are added now.
    async fn remote_is_described(&self) {
        *self.remote_described.borrow_mut() = true;
        let early: Vec<IceCandidate> = self.early_candidates.borrow_mut().drain(..).collect();
        self.add_now(&early).await;
    }

    /// Adds remote candidates (held until the remote description exists).
    pub async fn add_candidates(&self, candidates: &[IceCandidate]) {
        if *self.remote_described.borrow() {
            self.add_now(candidates).await;
        } else {
            self.early_candidates
                .borrow_mut()
                .extend_from_slice(candidates);
        }
    }

    async fn add_now(&self, candidates: &[IceCandidate]) {
        for c in candidates {
            let init = RtcIceCandidateInit::new(&c.candidate);
            init.set_sdp_mid(c.sdp_mid.as_deref());
            init.set_sdp_m_line_index(c.sdp_m_line_index);
            if let Err(e) = JsFuture::from(
                self.pc
                    .add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init)),
            )
            .await
            {
                web_sys::console::warn_1(&format!("candidate rejected: {}", js_err(e)).into());
            }
        }
    }

    /// The last ICE candidate error (code, text, server), empty when none.
    #[must_use]
    pub fn ice_error(&self) -> String {
        self.ice_error.borrow().clone()
    }

    /// Closes the connection.
    pub fn close(&self) {
        if self.pc.signaling_state() != web_sys::RtcSignalingState::Closed {
            super::peer_count::closed();
        }
        let _ = self.audio.pause();
        self.audio.set_src_object(None);
        self.pc.close();
    }

    /// Reads `getStats`.
    pub async fn stats(&self) -> MediaStats {
        let mut stats = MediaStats::default();
        let Ok(report) = JsFuture::from(self.pc.get_stats()).await else {
            return stats;
        };
        let report: web_sys::RtcStatsReport = report.unchecked_into();
        let get = |o: &JsValue, k: &str| Reflect::get(o, &k.into()).ok();
        let num = |o: &JsValue, k: &str| get(o, k).and_then(|v| v.as_f64()).unwrap_or(0.0);
        let text = |o: &JsValue, k: &str| get(o, k).and_then(|v| v.as_string()).unwrap_or_default();
        let mut candidates = std::collections::HashMap::new();
        let mut selected_local = None;
        for entry in js_sys::try_iter(&report)
            .ok()
            .flatten()
            .into_iter()
            .flatten()
            .flatten()
        {
            let value = Array::from(&entry).get(1);
            match text(&value, "type").as_str() {
                "inbound-rtp" => {
                    stats.packets_lost += num(&value, "packetsLost") as i64;
                    stats.packets_received += num(&value, "packetsReceived") as u64;
                    if text(&value, "kind") == "video" {
                        stats.frames_decoded += num(&value, "framesDecoded") as u64;
                    } else {
                        stats.audio_samples += num(&value, "totalSamplesReceived") as u64;
                        stats.jitter = stats.jitter.max(num(&value, "jitter"));
                    }
                }
                "candidate-pair"
                    if text(&value, "state") == "succeeded"
                        && get(&value, "nominated").and_then(|n| n.as_bool()) == Some(true) =>
                {
                    stats.rtt = num(&value, "currentRoundTripTime");
                    selected_local = Some(text(&value, "localCandidateId"));
                }
                "local-candidate" => {
                    candidates.insert(text(&value, "id"), text(&value, "candidateType"));
                }
                _ => {}
            }
        }
        if let Some(id) = selected_local {
            stats.local_candidate = candidates.get(&id).cloned().unwrap_or_default();
        }
        stats.ice_error = self.ice_error.borrow().clone();
        stats
    }
}

/// Restricts a video transceiver to VP8: our clear-prefix rules are VP8's; H.264 and AV1
/// packetizers break on encrypted payloads (research §7.1).
fn prefer_vp8(t: &RtcRtpTransceiver) {
    let Some(caps) = web_sys::RtcRtpReceiver::get_capabilities("video") else {
        return;
    };
    let vp8: Array = caps
        .get_codecs()
        .iter()
        .filter(|c| {
            Reflect::get(c, &"mimeType".into())
                .ok()
                .and_then(|m| m.as_string())
                .is_some_and(|m| m.eq_ignore_ascii_case("video/VP8"))
        })
        .collect();
    if vp8.length() > 0 {
        t.set_codec_preferences(&vp8);
    }
}
