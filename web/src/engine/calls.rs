//! Drives the call machine: feeds it one input, drains its outputs and carries them out with
//! the browser (seal and send, WebRTC, tones, notifications, timers).

use std::rc::Rc;

use sotto_shared::call::{CallState, Command, Event, Input, Output, Peer, RtcAction, RtcEvent};
use sotto_shared::crypto::{Role, Sealer, Stream};
use sotto_shared::wire::relay::{ClientMsg, Payload, ServerMsg};
use sotto_shared::wire::signal::{CallSignal, Media, Signal, SignalBody};
use sotto_shared::{CallId, PeerId};

use super::{CallView, EndedView, Engine, MissedView, now, rng};
use crate::browser::peer::PeerSession;
use crate::browser::sound::{self, Tone};
use crate::browser::{dom, media, storage};

const STATS_EVERY_MS: u32 = 1000;

/// Which device to capture.
struct Source {
    device: Option<String>,
    facing: Option<&'static str>,
}

impl Engine {
    /// Feeds one input to the call machine and carries out everything it asks for.
    pub(super) fn input(self: &Rc<Self>, input: Input) {
        let outputs = {
            let mut inner = self.inner.borrow_mut();
            let Some(phone) = inner.phone.as_mut() else {
                return;
            };
            if let Err(e) = phone.handle_input(now(), input) {
                web_sys::console::info_1(&format!("call machine ignored input: {e}").into());
            }
            let mut outputs = Vec::new();
            loop {
                match phone.poll_output() {
                    Output::Timeout(at) => {
                        outputs.push(Output::Timeout(at));
                        break;
                    }
                    other => outputs.push(other),
                }
            }
            outputs
        };
        for output in outputs {
            self.execute(output);
        }
        self.changed();
    }

    fn execute(self: &Rc<Self>, output: Output) {
        match output {
            Output::Send { to, signal } => self.send_signal(&to, signal),
            Output::Rtc { call_id, action } => self.rtc(call_id, action),
            Output::Event(event) => self.on_event(event),
            Output::Timeout(at) => {
                let weak = Rc::downgrade(self);
                let timer = at.map(|at| {
                    let delay = at.0.saturating_sub(now().0).min(u64::from(u32::MAX)) as u32;
                    gloo_timers::callback::Timeout::new(delay, move || {
                        if let Some(engine) = weak.upgrade() {
                            engine.input(Input::Timeout);
                        }
                    })
                });
                self.inner.borrow_mut().timer = timer;
            }
        }
    }

    fn send_signal(self: &Rc<Self>, to: &PeerId, signal: CallSignal) {
        let call_id = signal.call_id;
        let (contact, identity) = {
            let inner = self.inner.borrow();
            (
                inner.book.as_ref().and_then(|b| b.contact(&to.0).cloned()),
                inner.identity.clone(),
            )
        };
        let (Some(contact), Some(identity)) = (contact, identity) else {
            return;
        };
        let Some(route) = contact.send.clone() else {
            return self.rtc_event(call_id, RtcEvent::SendFailed);
        };
        let Some(relay) = self.relay_for(&route.relay) else {
            return;
        };
        let sealed = match Sealer::auth(&identity, contact.pk)
            .seal(&Signal::new(SignalBody::Call(signal)).to_json(), &mut rng())
        {
            Ok(s) => s,
            Err(_) => return self.rtc_event(call_id, RtcEvent::SendFailed),
        };
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let result = relay
                .request(|id| ClientMsg::Send {
                    id,
                    snd_id: route.snd_id,
                    payload: Payload(sealed),
                })
                .await;
            let failed = match result {
                Ok(ServerMsg::Ok { .. }) => false,
                Ok(ServerMsg::Error { message, .. }) => {
                    web_sys::console::warn_1(&format!("signal not delivered: {message}").into());
                    true
                }
                _ => true,
            };
            if let (true, Some(engine)) = (failed, weak.upgrade()) {
                engine.rtc_event(call_id, RtcEvent::SendFailed);
            }
        });
    }

    fn rtc_event(self: &Rc<Self>, call_id: CallId, event: RtcEvent) {
        self.input(Input::Rtc { call_id, event });
    }

    fn rtc(self: &Rc<Self>, call_id: CallId, action: RtcAction) {
        match action {
            RtcAction::Prepare {
                role,
                media,
                secret,
                security_code,
            } => {
                let (relay_only, servers) = {
                    let inner = self.inner.borrow();
                    (inner.view.relay_only, inner.ice_servers.clone())
                };
                let wrong_key = storage::test_setting("wrong_frame_key").is_some();
                let weak = Rc::downgrade(self);
                let events = Rc::new(move |event: RtcEvent| {
                    if let Some(engine) = weak.upgrade() {
                        engine.rtc_event(call_id, event);
                    }
                });
                let Some(worker) = self.inner.borrow().worker.clone() else {
                    return self.media_failed(call_id, "the frame worker is not running");
                };
                let session = match PeerSession::new(
                    worker, role, &secret, &servers, relay_only, wrong_key, events,
                ) {
                    Ok(s) => s,
                    Err(e) => return self.media_failed(call_id, &e),
                };
                if role == Role::Callee {
                    if let Err(e) = session.create_transceivers() {
                        return self.media_failed(call_id, &e);
                    }
                }
                {
                    let mut inner = self.inner.borrow_mut();
                    inner.peer = Some(Rc::clone(&session));
                    if let Some(call) = &mut inner.view.call {
                        call.security_code = Some(security_code.to_string());
                    }
                }
                self.start_stats();
                self.capture_local(call_id, media);
            }
            RtcAction::CreateOffer { ice_restart } => {
                self.with_peer(move |engine, peer| async move {
                    match peer.create_offer(ice_restart).await {
                        Ok(sdp) => engine.rtc_event(call_id, RtcEvent::LocalDescription { sdp }),
                        Err(e) => engine.media_failed(call_id, &e),
                    }
                })
            }
            RtcAction::ApplyOffer { sdp } => self.with_peer(move |engine, peer| async move {
                if let Err(e) = peer.apply_offer(&sdp).await {
                    return engine.media_failed(call_id, &e);
                }
                match peer.create_answer().await {
                    Ok(answer) => {
                        engine.attach_local_tracks().await;
                        engine.rtc_event(call_id, RtcEvent::LocalDescription { sdp: answer });
                    }
                    Err(e) => engine.media_failed(call_id, &e),
                }
            }),
            RtcAction::ApplyAnswer { sdp } => self.with_peer(move |engine, peer| async move {
                if let Err(e) = peer.apply_answer(&sdp).await {
                    engine.media_failed(call_id, &e);
                }
            }),
            RtcAction::AddCandidates(candidates) => self.with_peer(move |_, peer| async move {
                peer.add_candidates(&candidates).await;
            }),
            RtcAction::Close => {
                let (peer, local) = {
                    let mut inner = self.inner.borrow_mut();
                    inner.stats_timer = None;
                    (inner.peer.take(), inner.local.take())
                };
                if let Some(peer) = peer {
                    peer.close();
                }
                if let Some(local) = local {
                    media::stop(&local);
                }
            }
        }
    }

    fn with_peer<F, Fut>(self: &Rc<Self>, f: F)
    where
        F: FnOnce(Rc<Self>, Rc<PeerSession>) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let Some(peer) = self.inner.borrow().peer.clone() else {
            return;
        };
        wasm_bindgen_futures::spawn_local(f(Rc::clone(self), peer));
    }

    fn media_failed(self: &Rc<Self>, call_id: CallId, why: &str) {
        web_sys::console::error_1(&format!("media failed: {why}").into());
        self.inner.borrow_mut().view.notice = Some(why.to_owned());
        self.rtc_event(call_id, RtcEvent::MediaFailed);
    }

    /// Opens the microphone (and camera for video) and puts them on the senders.
    fn capture_local(self: &Rc<Self>, call_id: CallId, media_kind: Media) {
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let video = media_kind == Media::Video;
            match media::capture(true, video, None, None, Some("user")).await {
                Ok(stream) => {
                    let still_ours = this
                        .inner
                        .borrow()
                        .view
                        .call
                        .as_ref()
                        .is_some_and(|c| c.call_id == call_id.to_string());
                    if !still_ours {
                        return media::stop(&stream);
                    }
                    {
                        let mut inner = this.inner.borrow_mut();
                        inner.local = Some(stream);
                        if let Some(call) = &mut inner.view.call {
                            call.camera_on = video;
                            call.mic_on = true;
                        }
                    }
                    this.attach_local_tracks().await;
                    this.refresh_devices();
                    this.changed();
                }
                Err(e) => this.media_failed(call_id, &e),
            }
        });
    }

    /// Puts the current local tracks on the senders (no-op until both exist).
    async fn attach_local_tracks(self: &Rc<Self>) {
        let (peer, local) = {
            let inner = self.inner.borrow();
            (inner.peer.clone(), inner.local.clone())
        };
        let (Some(peer), Some(local)) = (peer, local) else {
            return;
        };
        let _ = peer
            .set_track(Stream::Mic, media::track(&local, "audio").as_ref())
            .await;
        let _ = peer
            .set_track(Stream::Camera, media::track(&local, "video").as_ref())
            .await;
    }

    fn start_stats(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let interval = gloo_timers::callback::Interval::new(STATS_EVERY_MS, move || {
            let Some(engine) = weak.upgrade() else { return };
            let Some(peer) = engine.inner.borrow().peer.clone() else {
                return;
            };
            wasm_bindgen_futures::spawn_local(async move {
                let stats = peer.stats().await;
                engine.inner.borrow_mut().view.stats = stats;
                engine.changed();
            });
        });
        self.inner.borrow_mut().stats_timer = Some(interval);
    }

    /// The call no longer rings: its invitation may leave the relay now (it was kept so a
    /// reload would ring again).
    fn ack_decided_invite(&self, call_id: CallId) {
        let held: Vec<_> = {
            let mut inner = self.inner.borrow_mut();
            let (held, kept) = inner
                .unacked_invites
                .drain(..)
                .partition(|(c, ..)| *c == call_id);
            inner.unacked_invites = kept;
            held
        };
        for (_, rcv_id, msg_id) in held {
            self.ack(rcv_id, msg_id);
        }
    }

    fn peer_name(&self, id: &PeerId) -> String {
        self.inner
            .borrow()
            .book
            .as_ref()
            .and_then(|b| b.contact(&id.0))
            .map_or_else(|| id.0.clone(), |c| c.name.clone())
    }

    fn on_event(self: &Rc<Self>, event: Event) {
        match event {
            Event::State(info) => {
                let name = self.peer_name(&info.peer);
                match info.state {
                    CallState::RingingIncoming => {
                        sound::play(Tone::Ring);
                        let what = if info.media == Media::Video {
                            "video"
                        } else {
                            "audio"
                        };
                        dom::notify(
                            &format!("{name} is calling"),
                            &format!("Incoming {what} call"),
                        );
                    }
                    CallState::RingingOutgoing => sound::play(Tone::Ringback),
                    _ => sound::stop(),
                }
                if info.state != CallState::RingingIncoming {
                    self.ack_decided_invite(info.call_id);
                }
                let mut inner = self.inner.borrow_mut();
                if let CallState::Ended(reason) = info.state {
                    inner.view.call = None;
                    inner.view.ended = Some(EndedView {
                        peer_name: name,
                        reason,
                    });
                    return;
                }
                inner.view.ended = None;
                let previous = inner
                    .view
                    .call
                    .take()
                    .filter(|c| c.call_id == info.call_id.to_string());
                let connected_at = previous
                    .as_ref()
                    .and_then(|c| c.connected_at)
                    .or_else(|| (info.state == CallState::Connected).then(js_sys::Date::now));
                inner.view.call = Some(CallView {
                    call_id: info.call_id.to_string(),
                    peer_name: name,
                    outgoing: info.role == Role::Caller,
                    media: info.media,
                    state: info.state,
                    connected_at,
                    security_code: previous.as_ref().and_then(|c| c.security_code.clone()),
                    peer_audio: previous.as_ref().is_none_or(|c| c.peer_audio),
                    peer_video: previous
                        .as_ref()
                        .map_or(info.media == Media::Video, |c| c.peer_video),
                    mic_on: previous.as_ref().is_none_or(|c| c.mic_on),
                    camera_on: previous
                        .as_ref()
                        .map_or(info.media == Media::Video, |c| c.camera_on),
                    minimized: previous.as_ref().is_some_and(|c| c.minimized),
                });
            }
            Event::Missed {
                peer, media, busy, ..
            } => {
                let peer_name = self.peer_name(&peer);
                dom::notify(
                    &format!("Missed call from {peer_name}"),
                    if busy { "You were in another call" } else { "" },
                );
                self.inner.borrow_mut().view.missed.push(MissedView {
                    peer_name,
                    media,
                    busy,
                });
            }
            Event::PeerMedia { audio, video, .. } => {
                if let Some(call) = &mut self.inner.borrow_mut().view.call {
                    call.peer_audio = audio;
                    call.peer_video = video;
                }
            }
            Event::Replaced { .. } => {}
        }
    }

    // ---- intents ----

    /// Calls a contact.
    pub fn call(self: &Rc<Self>, contact_id: &str, media: Media) {
        if self.inner.borrow().view.unsupported {
            return self.set_notice("This browser cannot encrypt calls (it lacks RTCRtpScriptTransform). Use a current Chrome, Edge, Firefox or Safari.");
        }
        dom::ask_notification_permission();
        let Some(contact) = self
            .inner
            .borrow()
            .book
            .as_ref()
            .and_then(|b| b.contact(contact_id).cloned())
        else {
            return;
        };
        if contact.send.is_none() {
            return self.set_notice(format!("{} has not confirmed yet.", contact.name));
        }
        let peer = Peer {
            id: PeerId(contact.id),
            identity: contact.pk,
        };
        self.input(Input::Command(Command::Start { peer, media }));
    }

    /// Answers the ringing call.
    pub fn accept(self: &Rc<Self>, media: Media) {
        dom::ask_notification_permission();
        self.input(Input::Command(Command::Accept { media }));
    }

    /// Declines the ringing call.
    pub fn decline(self: &Rc<Self>) {
        self.input(Input::Command(Command::Decline));
    }

    /// Ends the call.
    pub fn hang_up(self: &Rc<Self>) {
        self.input(Input::Command(Command::Hangup));
    }

    fn announce_media(self: &Rc<Self>) {
        let (audio, video) = {
            let inner = self.inner.borrow();
            let Some(call) = &inner.view.call else { return };
            (call.mic_on, call.camera_on)
        };
        self.input(Input::Command(Command::SetMedia {
            audio,
            video,
            screen: false,
        }));
    }

    /// Mutes or unmutes the microphone.
    pub fn toggle_mic(self: &Rc<Self>) {
        {
            let mut inner = self.inner.borrow_mut();
            let Some(call) = &mut inner.view.call else {
                return;
            };
            call.mic_on = !call.mic_on;
            let on = call.mic_on;
            if let Some(track) = inner.local.as_ref().and_then(|l| media::track(l, "audio")) {
                track.set_enabled(on);
            }
        }
        self.announce_media();
    }

    /// Turns the camera off (stopping it, so its light goes out) or on (also upgrading an
    /// audio call to video, without renegotiating: the camera transceiver always exists).
    pub fn toggle_camera(self: &Rc<Self>) {
        let (on, facing) = {
            let mut inner = self.inner.borrow_mut();
            let facing = if inner.facing_user {
                "user"
            } else {
                "environment"
            };
            let Some(call) = &mut inner.view.call else {
                return;
            };
            call.camera_on = !call.camera_on;
            (call.camera_on, facing)
        };
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let source = on.then_some(Source {
                device: None,
                facing: Some(facing),
            });
            this.replace_source(Stream::Camera, source).await;
            this.announce_media();
        });
    }

    /// Switches between front and back camera.
    pub fn flip_camera(self: &Rc<Self>) {
        let facing_user = {
            let mut inner = self.inner.borrow_mut();
            inner.facing_user = !inner.facing_user;
            inner.facing_user
        };
        let facing = Some(if facing_user { "user" } else { "environment" });
        self.spawn_replace(
            Stream::Camera,
            Source {
                device: None,
                facing,
            },
        );
    }

    /// Uses this camera.
    pub fn pick_camera(self: &Rc<Self>, device_id: String) {
        self.spawn_replace(
            Stream::Camera,
            Source {
                device: Some(device_id),
                facing: None,
            },
        );
    }

    /// Uses this microphone.
    pub fn pick_mic(self: &Rc<Self>, device_id: String) {
        self.spawn_replace(
            Stream::Mic,
            Source {
                device: Some(device_id),
                facing: None,
            },
        );
    }

    fn spawn_replace(self: &Rc<Self>, stream: Stream, source: Source) {
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            this.replace_source(stream, Some(source)).await
        });
    }

    /// Replaces the microphone or camera track: stops the old one first (some devices cannot
    /// open two cameras), captures the new one (`None`: leave it off), and puts it on the
    /// sender with `replaceTrack`, so nothing is renegotiated.
    async fn replace_source(self: &Rc<Self>, stream: Stream, source: Option<Source>) {
        let (peer, local) = {
            let inner = self.inner.borrow();
            (inner.peer.clone(), inner.local.clone())
        };
        let (Some(peer), Some(local)) = (peer, local) else {
            return;
        };
        let kind = if stream == Stream::Mic {
            "audio"
        } else {
            "video"
        };
        if let Some(old) = media::track(&local, kind) {
            old.stop();
            local.remove_track(&old);
        }
        let Some(source) = source else {
            let _ = peer.set_track(stream, None).await;
            return;
        };
        let audio = stream == Stream::Mic;
        let (mic, camera) = if audio {
            (source.device.as_deref(), None)
        } else {
            (None, source.device.as_deref())
        };
        match media::capture(audio, !audio, mic, camera, source.facing).await {
            Ok(captured) => {
                if let Some(track) = media::track(&captured, kind) {
                    media::add_track(&local, &track);
                    let _ = peer.set_track(stream, Some(&track)).await;
                }
            }
            Err(e) => self.set_notice(e),
        }
        self.changed();
    }

    /// Shows the call small or full screen.
    pub fn toggle_minimized(&self) {
        if let Some(call) = &mut self.inner.borrow_mut().view.call {
            call.minimized = !call.minimized;
        }
        self.changed();
    }
}
