//! Carries out the core's WebRTC actions: one peer connection and one capture per call id,
//! so a replaced call's connection is the one closed. Results come back as inputs on the
//! queue, never by calling the core.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;

use sotto_client::{CallId, Input, RtcAction, RtcEvent};
use sotto_shared::crypto::{Role, Stream};
use sotto_shared::wire::signal::Media;
use web_sys::MediaStream;

use super::driver::Engine;
use super::media_watch::MediaWatch;
use super::sdp_queue::SdpQueue;
use crate::browser::peer::PeerSession;
use crate::browser::worker::FrameWorker;
use crate::browser::{media, storage};

/// One call's media: its peer connection, its worker slot and our capture.
pub(super) struct CallMedia {
    peer: Rc<PeerSession>,
    worker: Rc<FrameWorker>,
    slot: u32,
    local: RefCell<Option<MediaStream>>,
    /// The screen we share.
    screen: RefCell<Option<MediaStream>>,
    /// `ended` listeners of the tracks we send, one per stream (a new track replaces its
    /// stream's listener).
    ended: RefCell<Vec<(Stream, EventListener)>>,
    /// Offers, answers and candidates, applied one at a time in order.
    sdp: SdpQueue,
    /// Whether the peer's media arrives.
    watch: RefCell<MediaWatch>,
    closed: Cell<bool>,
}

impl CallMedia {
    fn close(&self) {
        self.closed.set(true);
        self.peer.close();
        if let Some(local) = self.local.borrow_mut().take() {
            media::stop(&local);
        }
        if let Some(screen) = self.screen.borrow_mut().take() {
            media::stop(&screen);
        }
        self.ended.borrow_mut().clear();
        self.worker.close(self.slot);
    }
}

/// Which device to capture.
struct Source {
    device: Option<String>,
    facing: Option<&'static str>,
}

impl Engine {
    /// Carries out one WebRTC action for `call_id`.
    pub(super) fn rtc(self: &Rc<Self>, call_id: CallId, action: RtcAction) {
        // The order of operations, for tests and bug reports (never the SDP or a key).
        let what = match &action {
            RtcAction::Prepare { .. } => "prepare".to_owned(),
            RtcAction::SetKeys { .. } => "set keys".to_owned(),
            RtcAction::CreateOffer { ice_restart } => format!("create offer restart={ice_restart}"),
            RtcAction::ApplyOffer { .. } => "apply offer".to_owned(),
            RtcAction::ApplyAnswer { .. } => "apply answer".to_owned(),
            RtcAction::AddCandidates(c) => format!("add {} candidates", c.len()),
            RtcAction::Close => "close".to_owned(),
        };
        crate::browser::dom::log(&format!("rtc {what}"));
        match action {
            RtcAction::Prepare { role, media } => self.prepare(call_id, role, media),
            RtcAction::SetKeys { secret, .. } => {
                // The security code is the core's (`Client::security_code`); only the key
                // goes to the worker, typed, for this call's transforms.
                if let Some(call) = self.io.borrow().calls.get(&call_id) {
                    let wrong = storage::test_setting("wrong_frame_key").is_some();
                    call.worker.set_keys(call.slot, &secret, wrong);
                }
            }
            RtcAction::CreateOffer { ice_restart } => {
                self.in_order(call_id, move |engine, call| async move {
                    match call.peer.create_offer(ice_restart).await {
                        Ok(sdp) => engine.rtc_event(call_id, RtcEvent::LocalDescription { sdp }),
                        Err(e) => engine.media_failed(call_id, &e),
                    }
                });
            }
            RtcAction::ApplyOffer { sdp } => {
                self.in_order(call_id, move |engine, call| async move {
                    if let Err(e) = call.peer.apply_offer(&sdp).await {
                        return engine.media_failed(call_id, &e);
                    }
                    match call.peer.create_answer().await {
                        Ok(answer) => {
                            attach_local_tracks(&call).await;
                            engine.rtc_event(call_id, RtcEvent::LocalDescription { sdp: answer });
                        }
                        Err(e) => engine.media_failed(call_id, &e),
                    }
                });
            }
            RtcAction::ApplyAnswer { sdp } => {
                self.in_order(call_id, move |engine, call| async move {
                    if let Err(e) = call.peer.apply_answer(&sdp).await {
                        engine.media_failed(call_id, &e);
                    }
                });
            }
            RtcAction::AddCandidates(candidates) => {
                self.in_order(call_id, move |_, call| async move {
                    call.peer.add_candidates(&candidates).await;
                });
            }
            RtcAction::Close => self.close_call(call_id),
        }
    }

    /// Closes a call's connection and stops its capture (a no-op when already closed).
    pub(super) fn close_call(&self, call_id: CallId) {
        let call = self.io.borrow_mut().calls.remove(&call_id);
        if let Some(call) = call {
            // Kept for the debug panel: a refused relay ends the call before the next poll.
            self.ui.borrow_mut().stats.ice_error = call.peer.ice_error();
            call.close();
        }
    }

    fn rtc_event(self: &Rc<Self>, call_id: CallId, event: RtcEvent) {
        // For set-up timelines (the browser bench); `peer.rs` logs each local candidate.
        match &event {
            RtcEvent::LocalDescription { .. } => {
                crate::browser::dom::log("local description ready")
            }
            RtcEvent::GatheringComplete => crate::browser::dom::log("gathering complete"),
            _ => {}
        }
        self.push(Input::Rtc { call_id, event });
    }

    /// A browser error ends the call as `media_failed`. The user sees that reason in plain
    /// words (one message for the event); the browser's own text goes to the log.
    fn media_failed(self: &Rc<Self>, call_id: CallId, why: &str) {
        web_sys::console::error_1(&format!("media failed: {why}").into());
        crate::browser::dom::log(&format!("media failed: {why}"));
        self.rtc_event(call_id, RtcEvent::MediaFailed);
    }

    /// Builds the peer connection with its transforms (keyless until `SetKeys`) and starts
    /// capturing.
    fn prepare(self: &Rc<Self>, call_id: CallId, role: Role, media_kind: Media) {
        let Some(worker) = self.io.borrow().worker.clone() else {
            return self.media_failed(call_id, "the frame worker is not running");
        };
        let (servers, relay_only) = match self.client.borrow().as_ref() {
            Some(c) => (c.ice_servers().to_vec(), c.profile().settings.relay_only),
            None => return,
        };
        let slot = {
            let mut io = self.io.borrow_mut();
            io.next_slot += 1;
            io.next_slot
        };
        let weak = Rc::downgrade(self);
        let events = Rc::new(move |event: RtcEvent| {
            if let Some(engine) = weak.upgrade() {
                engine.rtc_event(call_id, event);
            }
        });
        let peer =
            match PeerSession::new(Rc::clone(&worker), role, slot, &servers, relay_only, events) {
                Ok(p) => p,
                Err(e) => return self.media_failed(call_id, &e),
            };
        // The callee makes the offer, so it makes the transceivers; the caller adopts the
        // offer's (and secures them as `setRemoteDescription` resolves).
        if role == Role::Callee
            && let Err(e) = peer.create_transceivers()
        {
            peer.close();
            return self.media_failed(call_id, &e);
        }
        let call = Rc::new(CallMedia {
            peer,
            worker,
            slot,
            local: RefCell::new(None),
            screen: RefCell::new(None),
            ended: RefCell::new(Vec::new()),
            sdp: SdpQueue::start(),
            watch: RefCell::new(MediaWatch::default()),
            closed: Cell::new(false),
        });
        if let Some(old) = self.io.borrow_mut().calls.insert(call_id, Rc::clone(&call)) {
            old.close();
        }
        {
            let mut ui = self.ui.borrow_mut();
            ui.camera_on = media_kind == Media::Video;
            ui.mic_off = false;
        }
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let video = media_kind == Media::Video;
            match media::capture(true, video, None, None, Some("user")).await {
                Ok(stream) if call.closed.get() => media::stop(&stream),
                Ok(stream) => {
                    for stream_kind in [Stream::Mic, Stream::Camera] {
                        if let Some(track) = media::track(&stream, kind_of(stream_kind)) {
                            this.watch_track(&call, stream_kind, &track);
                        }
                    }
                    *call.local.borrow_mut() = Some(stream);
                    attach_local_tracks(&call).await;
                    this.refresh_devices();
                    this.changed();
                }
                Err(e) => {
                    // Already plain words (permission, no device): the one message shown.
                    this.ui.borrow_mut().set_notice(e.clone());
                    this.media_failed(call_id, &e);
                }
            }
        });
    }

    /// Queues an SDP operation on the call's queue: it runs after the ones before it.
    fn in_order<F, Fut>(self: &Rc<Self>, call_id: CallId, f: F)
    where
        F: FnOnce(Rc<Self>, Rc<CallMedia>) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let Some(call) = self.io.borrow().calls.get(&call_id).cloned() else {
            return;
        };
        let op = f(Rc::clone(self), Rc::clone(&call));
        call.sdp.push(op);
    }

    /// The current call's media, if it has any.
    fn current(&self) -> Option<Rc<CallMedia>> {
        let call_id = self.client.borrow().as_ref()?.call()?.call_id;
        self.io.borrow().calls.get(&call_id).cloned()
    }

    /// Samples `getStats`: for the view, and for the core, whether the peer's media still
    /// arrives (a change is queued as an input).
    pub(super) fn poll_stats(self: &Rc<Self>) {
        let Some(call) = self.current() else { return };
        let Some(call_id) = self
            .client
            .borrow()
            .as_ref()
            .and_then(|c| c.call())
            .map(|i| i.call_id)
        else {
            return;
        };
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let mut stats = call.peer.stats().await;
            if call.closed.get() {
                return;
            }
            let change = {
                let mut watch = call.watch.borrow_mut();
                let change = watch.observe(call_id, crate::browser::dom::wall_ms(), &stats);
                stats.recent_loss = watch.recent_loss();
                change
            };
            this.ui.borrow_mut().stats = stats;
            if let Some(flowing) = change {
                crate::browser::dom::log(&format!("inbound media flowing: {flowing}"));
                this.rtc_event(call_id, RtcEvent::InboundMedia { flowing });
            }
            this.changed();
        });
    }

    /// Our camera/microphone stream, for the preview.
    pub fn local_stream(&self) -> Option<MediaStream> {
        self.current()?.local.borrow().clone()
    }

    /// The peer's camera track (its sound plays separately).
    pub fn remote_camera(&self) -> Option<web_sys::MediaStreamTrack> {
        self.current()?.peer.receiver_track(Stream::Camera)
    }

    /// The peer's shared screen.
    pub fn remote_screen(&self) -> Option<web_sys::MediaStreamTrack> {
        self.current()?.peer.receiver_track(Stream::ScreenVideo)
    }

    /// Routes the peer's sound to a speaker (`""`: the default one).
    pub fn pick_speaker(&self, device_id: String) {
        self.io.borrow_mut().speaker = Some(device_id.clone()).filter(|id| !id.is_empty());
        let Some(call) = self.current() else { return };
        wasm_bindgen_futures::spawn_local(async move {
            let audio: web_sys::HtmlMediaElement = call.peer.audio.clone().into();
            if let Err(e) = media::set_speaker(&audio, &device_id).await {
                web_sys::console::warn_1(&format!("could not switch speaker: {e}").into());
            }
        });
    }

    /// Mutes or unmutes the microphone.
    pub fn toggle_mic(self: &Rc<Self>) {
        let on = {
            let mut ui = self.ui.borrow_mut();
            ui.mic_off = !ui.mic_off;
            !ui.mic_off
        };
        if let Some(track) = self
            .current()
            .and_then(|call| call.local.borrow().clone())
            .and_then(|l| media::track(&l, "audio"))
        {
            track.set_enabled(on);
        }
        self.announce_media();
    }

    /// Turns the camera off (stopping it, so its light goes out) or on (also upgrading an
    /// audio call to video, without renegotiating: the camera transceiver always exists).
    pub fn toggle_camera(self: &Rc<Self>) {
        let (on, facing) = {
            let mut ui = self.ui.borrow_mut();
            ui.camera_on = !ui.camera_on;
            (ui.camera_on, self.facing())
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

    /// Starts sharing the screen (the browser asks which) on the `screen_video` sender, or
    /// stops. `replaceTrack` only: the transceiver and its key exist from the start.
    pub fn toggle_screen(self: &Rc<Self>) {
        let Some(call) = self.current() else { return };
        if self.ui.borrow().screen_on {
            return self.stop_screen(&call);
        }
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let stream = match media::capture_screen().await {
                Ok(Some(stream)) => stream,
                Ok(None) => return,
                Err(e) => return this.notice(e),
            };
            let track = media::track(&stream, "video");
            if call.closed.get() || track.is_none() {
                return media::stop(&stream);
            }
            if let Some(track) = &track {
                this.watch_track(&call, Stream::ScreenVideo, track);
                let _ = call.peer.set_track(Stream::ScreenVideo, Some(track)).await;
            }
            if let Some(old) = call.screen.borrow_mut().replace(stream) {
                media::stop(&old);
            }
            this.ui.borrow_mut().screen_on = true;
            this.announce_media();
        });
    }

    fn stop_screen(self: &Rc<Self>, call: &Rc<CallMedia>) {
        if let Some(screen) = call.screen.borrow_mut().take() {
            media::stop(&screen);
        }
        call.ended
            .borrow_mut()
            .retain(|(s, _)| *s != Stream::ScreenVideo);
        self.ui.borrow_mut().screen_on = false;
        let this = Rc::clone(self);
        let call = Rc::clone(call);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = call.peer.set_track(Stream::ScreenVideo, None).await;
            this.announce_media();
        });
    }

    /// Follows a track we send until it ends by itself: a shared screen stopped from the
    /// browser's own bar stops sharing; an unplugged microphone or camera is replaced by the
    /// default one, and the user is told.
    fn watch_track(
        self: &Rc<Self>,
        call: &Rc<CallMedia>,
        stream: Stream,
        track: &web_sys::MediaStreamTrack,
    ) {
        if stream == Stream::Camera {
            self.ui.borrow_mut().camera_resolution = media::resolution(track);
        }
        let weak = Rc::downgrade(self);
        let call_weak = Rc::downgrade(call);
        let listener = media::on_ended(track, move || {
            let (Some(this), Some(call)) = (weak.upgrade(), call_weak.upgrade()) else {
                return;
            };
            if call.closed.get() {
                return;
            }
            match stream {
                Stream::ScreenVideo => this.stop_screen(&call),
                Stream::Mic | Stream::Camera => {
                    let what = if stream == Stream::Mic {
                        "microphone"
                    } else {
                        "camera"
                    };
                    this.ui.borrow_mut().set_notice(format!(
                        "The {what} in use was disconnected. Switched to the default {what}."
                    ));
                    this.spawn_replace(
                        stream,
                        Source {
                            device: None,
                            facing: None,
                        },
                    );
                }
                Stream::ScreenAudio => {}
            }
        });
        let mut ended = call.ended.borrow_mut();
        ended.retain(|(s, _)| *s != stream);
        ended.push((stream, listener));
    }

    fn facing(&self) -> &'static str {
        if self.io.borrow().facing_user {
            "user"
        } else {
            "environment"
        }
    }

    /// Switches between front and back camera.
    pub fn flip_camera(self: &Rc<Self>) {
        {
            let mut io = self.io.borrow_mut();
            io.facing_user = !io.facing_user;
        }
        let facing = Some(self.facing());
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
            this.replace_source(stream, Some(source)).await;
        });
    }

    /// Replaces the microphone or camera track: stops the old one first (some devices cannot
    /// open two cameras), captures the new one (`None`: leave it off), and puts it on the
    /// sender with `replaceTrack`, so nothing is renegotiated.
    async fn replace_source(self: &Rc<Self>, stream: Stream, source: Option<Source>) {
        let Some(call) = self.current() else { return };
        let Some(local) = call.local.borrow().clone() else {
            return;
        };
        let kind = kind_of(stream);
        if let Some(old) = media::track(&local, kind) {
            // Stopped by us: `stop()` fires no `ended`, and the listener goes too.
            call.ended.borrow_mut().retain(|(s, _)| *s != stream);
            old.stop();
            local.remove_track(&old);
        }
        let Some(source) = source else {
            let _ = call.peer.set_track(stream, None).await;
            if stream == Stream::Camera {
                self.ui.borrow_mut().camera_resolution = None;
            }
            return self.changed();
        };
        let audio = stream == Stream::Mic;
        let (mic, camera) = if audio {
            (source.device.as_deref(), None)
        } else {
            (None, source.device.as_deref())
        };
        match media::capture(audio, !audio, mic, camera, source.facing).await {
            Ok(captured) if call.closed.get() => media::stop(&captured),
            Ok(captured) => {
                if let Some(track) = media::track(&captured, kind) {
                    self.watch_track(&call, stream, &track);
                    media::add_track(&local, &track);
                    let _ = call.peer.set_track(stream, Some(&track)).await;
                }
            }
            Err(e) => {
                self.ui.borrow_mut().set_notice(e);
            }
        }
        self.changed();
    }
}

fn kind_of(stream: Stream) -> &'static str {
    if matches!(stream, Stream::Mic | Stream::ScreenAudio) {
        "audio"
    } else {
        "video"
    }
}

/// Puts the call's local tracks on its senders (a no-op until both exist).
async fn attach_local_tracks(call: &CallMedia) {
    let Some(local) = call.local.borrow().clone() else {
        return;
    };
    let _ = call
        .peer
        .set_track(Stream::Mic, media::track(&local, "audio").as_ref())
        .await;
    let _ = call
        .peer
        .set_track(Stream::Camera, media::track(&local, "video").as_ref())
        .await;
}
