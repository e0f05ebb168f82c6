//! The run loop and everything the core's outputs ask of the page except WebRTC (`rtc.rs`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::{Interval, Timeout};
use rand_core::UnwrapErr;
use sotto_client::{
    CallState, Client, ClientConfig, Command, Duration, Event, Input, Millis, Output, Profile,
    ProfileError,
};
use sotto_shared::PeerId;
use sotto_shared::wire::signal::Media;

use super::rtc::CallMedia;
use super::run_loop::RunLoop;
use super::view::{self, OpenedInvite, PeerMedia, UiLocal, View};
use crate::browser::relay::RelaySocket;
use crate::browser::sound::{self, Tone};
use crate::browser::worker::FrameWorker;
use crate::browser::{dom, media, storage};

pub(super) type Rng = UnwrapErr<getrandom::SysRng>;

pub(super) fn rng() -> Rng {
    UnwrapErr(getrandom::SysRng)
}

/// Often enough for `MediaWatch` to notice a stall within its second (plus one sample).
const STATS_EVERY_MS: u32 = 500;
/// How long a notice stays up unless closed.
const NOTICE_MS: u32 = 8_000;
/// How long the "call ended" message stays up unless closed.
const ENDED_MS: u32 = 12_000;

/// The browser side of the core's outputs.
#[derive(Default)]
pub(super) struct Io {
    relays: HashMap<String, RelaySocket>,
    pub(super) worker: Option<Rc<FrameWorker>>,
    /// Peer connection and capture of each call, by call id.
    pub(super) calls: HashMap<sotto_client::CallId, Rc<CallMedia>>,
    pub(super) next_slot: u32,
    timer: Option<Timeout>,
    stats: Option<Interval>,
    /// The invitation link handed to the core with `OpenInvite`, until it answers.
    opening_link: Option<String>,
    pub(super) facing_user: bool,
    /// The speaker the user picked (`None`: the default).
    pub(super) speaker: Option<String>,
    listeners: Vec<EventListener>,
    /// Takes the notice with this number away.
    notice_timer: Option<(u64, Timeout)>,
    /// Takes the ended-call message for this call away.
    ended_timer: Option<(sotto_client::CallId, Timeout)>,
    /// Kiosk mode's browser side, while it is on.
    pub(super) kiosk: Option<super::kiosk_driver::KioskIo>,
}

/// The app's driver. Create one with [`Engine::start`].
pub struct Engine {
    pub(super) client: RefCell<Option<Client<Rng>>>,
    inputs: RunLoop<Input>,
    pub(super) ui: RefCell<UiLocal>,
    pub(super) io: RefCell<Io>,
    last_view: RefCell<View>,
    on_change: RefCell<Option<Rc<dyn Fn()>>>,
    /// Itself, for timers started from `&self`.
    me: Weak<Self>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engine")
    }
}

impl Engine {
    /// Loads the saved profile (if any) and starts the core.
    pub fn start() -> Rc<Self> {
        let engine = Rc::new_cyclic(|me| Self {
            client: RefCell::new(None),
            inputs: RunLoop::default(),
            ui: RefCell::new(UiLocal {
                unsupported: !crate::browser::worker::supported(),
                ..UiLocal::default()
            }),
            io: RefCell::new(Io {
                facing_user: true,
                ..Io::default()
            }),
            last_view: RefCell::new(View::default()),
            on_change: RefCell::new(None),
            me: me.clone(),
        });
        match storage::load_profile().map(|text| Profile::from_json(&text)) {
            None => {}
            Some(Ok(profile)) => engine.open(profile),
            Some(Err(ProfileError::Version(v))) => engine.notice(format!(
                "This browser holds a sotto profile in an older format (version {v}) that this \
                 version cannot read. Import an exported profile, or create a new one (it \
                 replaces the old one; your contacts would need to invite you again)."
            )),
            Some(Err(e)) => engine.notice(format!(
                "The saved profile could not be read ({e}). Import an exported profile, or \
                 create a new one."
            )),
        }
        let weak = Rc::downgrade(&engine);
        let on_hash = dom::on_hash_change(move || {
            if let Some(engine) = weak.upgrade() {
                engine.read_invite_from_url();
                engine.read_kiosk_route();
            }
        });
        let weak = Rc::downgrade(&engine);
        let on_devices = media::on_device_change(move || {
            if let Some(engine) = weak.upgrade() {
                engine.refresh_devices();
            }
        });
        engine
            .io
            .borrow_mut()
            .listeners
            .extend(std::iter::once(on_hash).chain(on_devices));
        engine.changed();
        engine
    }

    /// Called after every change the UI should show.
    pub fn set_on_change(&self, f: impl Fn() + 'static) {
        *self.on_change.borrow_mut() = Some(Rc::new(f));
    }

    /// The screen's data, as derived after the last change.
    pub fn view(&self) -> View {
        self.last_view.borrow().clone()
    }

    /// Derives the view, publishes it for the tests and the debug panel, and re-renders.
    pub(super) fn changed(&self) {
        self.time_messages();
        let view = view::view(self.client.borrow().as_ref(), &self.ui.borrow());
        dom::publish_debug(&serde_json::to_string(&view).unwrap_or_default());
        *self.last_view.borrow_mut() = view;
        let f = self.on_change.borrow().clone();
        if let Some(f) = f {
            f();
        }
    }

    /// Shows a message to the user.
    pub fn notice(&self, text: impl Into<String>) {
        self.ui.borrow_mut().set_notice(text);
        self.changed();
    }

    /// Starts the timers that take a new notice or a new ended-call message away: messages
    /// expire, so an old one never sits under a new one.
    fn time_messages(&self) {
        let notice = self.ui.borrow().notice.as_ref().map(|n| n.seq);
        let ended = self
            .client
            .borrow()
            .as_ref()
            .and_then(|c| c.last_ended().map(|e| e.info.call_id));
        let mut io = self.io.borrow_mut();
        if let Some(seq) = notice
            && io.notice_timer.as_ref().is_none_or(|(s, _)| *s != seq)
        {
            let me = self.me.clone();
            let timer = Timeout::new(NOTICE_MS, move || {
                if let Some(engine) = me.upgrade() {
                    engine.ui.borrow_mut().expire_notice(seq);
                    engine.changed();
                }
            });
            io.notice_timer = Some((seq, timer));
        }
        if let Some(call_id) = ended
            && io.ended_timer.as_ref().is_none_or(|(id, _)| *id != call_id)
        {
            let me = self.me.clone();
            let timer = Timeout::new(ENDED_MS, move || {
                if let Some(engine) = me.upgrade() {
                    engine.ui.borrow_mut().dismissed_ended = Some(call_id);
                    engine.changed();
                }
            });
            io.ended_timer = Some((call_id, timer));
        }
    }

    // ---- the run loop ----

    /// Queues an input and runs the loop (unless it is running: then it takes this input in
    /// its turn).
    pub(super) fn push(self: &Rc<Self>, input: Input) {
        self.inputs.push(input);
        self.run();
    }

    /// The only place that calls the core: drain its outputs, take the next input, repeat
    /// (see [`RunLoop`]).
    fn run(self: &Rc<Self>) {
        let ran = self.inputs.run(
            || self.drain(),
            |input| {
                let result = match self.client.borrow_mut().as_mut() {
                    Some(client) => client.handle_input(dom::now(), input),
                    None => Ok(()),
                };
                if let Err(e) = result {
                    web_sys::console::info_1(&format!("not done: {e}").into());
                }
            },
        );
        if ran {
            self.changed();
        }
    }

    /// Carries out every output of the core up to its `Timeout`.
    fn drain(self: &Rc<Self>) {
        loop {
            let output = match self.client.borrow_mut().as_mut() {
                Some(client) => client.poll_output(),
                None => return,
            };
            match output {
                Output::Timeout(at) => return self.wake_at(at),
                Output::Connect { relay } => self.connect(relay),
                Output::Relay { relay, msg } => {
                    if let Some(socket) = self.io.borrow().relays.get(&relay) {
                        socket.send(&msg);
                    }
                }
                Output::Rtc { call_id, action } => self.rtc(call_id, action),
                Output::Event(event) => self.on_event(event),
                Output::Persist => self.persist(),
            }
        }
    }

    fn wake_at(self: &Rc<Self>, at: Option<Millis>) {
        let weak = Rc::downgrade(self);
        let timer = at.map(|at| {
            let delay = at.0.saturating_sub(dom::now().mono.0);
            Timeout::new(delay.min(u64::from(u32::MAX)) as u32, move || {
                if let Some(engine) = weak.upgrade() {
                    engine.push(Input::Timeout);
                }
            })
        });
        // Replacing the timer drops (cancels) the previous one.
        self.io.borrow_mut().timer = timer;
    }

    fn connect(self: &Rc<Self>, relay: String) {
        if self.io.borrow().relays.contains_key(&relay) {
            return;
        }
        let weak = Rc::downgrade(self);
        let origin = relay.clone();
        let socket = RelaySocket::open(dom::ws_url(&relay), move |event| {
            if let Some(engine) = weak.upgrade() {
                engine.push(Input::Relay {
                    relay: origin.clone(),
                    event,
                });
            }
        });
        self.io.borrow_mut().relays.insert(relay, socket);
    }

    fn persist(&self) {
        let json = self.client.borrow().as_ref().map(|c| c.profile().to_json());
        if let Some(Err(e)) = json.map(|j| storage::save_profile(&j)) {
            self.ui.borrow_mut().set_notice(e);
        }
    }

    fn on_event(self: &Rc<Self>, event: Event) {
        match event {
            Event::Call(info) => {
                // Timestamped in `sottoLog`, so a test can time a browser it cannot reach
                // meanwhile (one whose link is cut).
                dom::log(&format!("call state {}", info.state));
                let name = self
                    .client
                    .borrow()
                    .as_ref()
                    .map(|c| c.profile().name_of(&info.peer))
                    .unwrap_or_default();
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
                let mut ui = self.ui.borrow_mut();
                if matches!(
                    info.state,
                    CallState::RingingIncoming | CallState::RingingOutgoing
                ) {
                    // A new call: the user's toggles start fresh.
                    ui.minimized = false;
                    ui.mic_off = false;
                    ui.camera_on = false;
                    ui.screen_on = false;
                    ui.stats = view::MediaStats::default();
                    // The last call's messages are about the last call.
                    ui.notice = None;
                }
                if info.state == CallState::Connected
                    && ui.connected_at.is_none_or(|(id, _)| id != info.call_id)
                {
                    ui.connected_at = Some((info.call_id, dom::wall_ms()));
                }
            }
            Event::PeerMedia {
                call_id,
                audio,
                video,
                screen,
            } => {
                self.ui.borrow_mut().peer_media = Some(PeerMedia {
                    call_id,
                    audio,
                    video,
                    screen,
                });
            }
            Event::Missed(missed) => dom::notify(
                &format!("Missed call from {}", missed.name),
                if missed.busy {
                    "You were in another call"
                } else {
                    ""
                },
            ),
            Event::Replaced { old, .. } => self.close_call(old),
            Event::InviteReady { link } => self.ui.borrow_mut().invite_link = Some(link),
            Event::InviteOpened { name, existing } => {
                let link = self.io.borrow_mut().opening_link.take().unwrap_or_default();
                self.ui.borrow_mut().opened_invite = Some(OpenedInvite {
                    link,
                    name,
                    existing: existing.is_some(),
                });
            }
            Event::Notice(notice) => {
                self.ui.borrow_mut().set_notice(notice.to_string());
            }
            Event::KioskRefused(why) => {
                self.ui.borrow_mut().set_notice(why.to_string());
            }
            Event::SecurityCode { .. } | Event::ContactsChanged | Event::IceServers(_) => {}
            Event::KioskChanged => self.sync_kiosk_io(),
        }
    }

    // ---- profile ----

    fn open(self: &Rc<Self>, profile: Profile) {
        let mut config = ClientConfig::new(&dom::origin());
        if let Some(secs) = storage::test_setting("ring_seconds").and_then(|s| s.parse().ok()) {
            config.phone.ring_lifetime = Duration::secs(secs);
        }
        let client = match Client::new(config, profile, rng()) {
            Ok(c) => c,
            Err(e) => return self.notice(e.to_string()),
        };
        let weak = Rc::downgrade(self);
        match FrameWorker::start(move |counters| {
            if let Some(engine) = weak.upgrade() {
                let call = engine
                    .client
                    .borrow()
                    .as_ref()
                    .and_then(|c| c.call().map(|i| i.call_id));
                {
                    let mut ui = engine.ui.borrow_mut();
                    ui.decrypt.observe(call, dom::wall_ms(), &counters);
                    ui.counters = counters;
                }
                engine.changed();
            }
        }) {
            Ok(worker) => self.io.borrow_mut().worker = Some(Rc::new(worker)),
            Err(e) => {
                self.ui.borrow_mut().set_notice(e);
            }
        }
        let weak = Rc::downgrade(self);
        let stats = Interval::new(STATS_EVERY_MS, move || {
            if let Some(engine) = weak.upgrade() {
                engine.poll_stats();
            }
        });
        self.io.borrow_mut().stats = Some(stats);
        *self.client.borrow_mut() = Some(client);
        self.run();
        self.read_invite_from_url();
        self.read_kiosk_route();
        self.sync_kiosk_io();
    }

    /// Creates the profile on first visit.
    pub fn create_profile(self: &Rc<Self>, name: &str) {
        // A click: the one moment browsers let us ask, so a hidden tab can show incoming calls.
        dom::ask_notification_permission();
        let profile = match Profile::create(name, &mut rng()) {
            Ok(p) => p,
            Err(e) => return self.notice(e.to_string()),
        };
        if let Err(e) = storage::save_profile(&profile.to_json()) {
            return self.notice(e);
        }
        self.ui.borrow_mut().notice = None;
        self.open(profile);
    }

    /// Replaces the profile with an exported one.
    pub fn import_profile(&self, json: &str) {
        match Profile::from_json(json) {
            Ok(profile) => match storage::save_profile(&profile.to_json()) {
                // A clean start with the imported identity and its queues.
                Ok(()) => dom::reload(),
                Err(e) => self.notice(e),
            },
            Err(e) => self.notice(e.to_string()),
        }
    }

    /// Offers the profile as a file.
    pub fn export_profile(&self) {
        if let Some(client) = self.client.borrow().as_ref() {
            let profile = client.profile();
            dom::download(
                &format!("sotto-profile-{}.json", profile.name),
                &profile.to_json(),
            );
        }
    }

    /// Relay-only ("hide my IP").
    pub fn set_relay_only(self: &Rc<Self>, on: bool) {
        self.push(Input::Command(Command::SetRelayOnly(on)));
    }

    /// Hides the notices and the ended-call message.
    pub fn dismiss_notice(&self) {
        let ended = self
            .client
            .borrow()
            .as_ref()
            .and_then(|c| c.last_ended().map(|e| e.info.call_id));
        {
            let mut ui = self.ui.borrow_mut();
            ui.notice = None;
            ui.dismissed_ended = ended;
        }
        self.changed();
    }

    // ---- contacts ----

    /// Hands the invitation in the URL, if any, to the core to look at.
    fn read_invite_from_url(self: &Rc<Self>) {
        let hash = dom::hash();
        if !hash.starts_with("#/invite/") || self.client.borrow().is_none() {
            return;
        }
        self.io.borrow_mut().opening_link = Some(hash.clone());
        self.push(Input::Command(Command::OpenInvite { link: hash }));
    }

    /// Adds the opened invitation's inviter as a contact.
    pub fn accept_invite(self: &Rc<Self>) {
        let opened = self.ui.borrow_mut().opened_invite.take();
        dom::clear_hash();
        if let Some(opened) = opened.filter(|o| !o.existing) {
            self.push(Input::Command(Command::AcceptInvite { link: opened.link }));
        } else {
            self.changed();
        }
    }

    /// Closes the opened invitation without adding anyone.
    pub fn ignore_invite(&self) {
        self.ui.borrow_mut().opened_invite = None;
        dom::clear_hash();
        self.changed();
    }

    /// Shows our invitation link (made once, then shown again until used).
    pub fn make_invite(self: &Rc<Self>) {
        self.push(Input::Command(Command::CreateInvite));
    }

    /// Hides our invitation link.
    pub fn close_invite(&self) {
        self.ui.borrow_mut().invite_link = None;
        self.changed();
    }

    /// Copies our invitation link.
    pub fn copy_invite(self: &Rc<Self>) {
        let Some(link) = self.ui.borrow().invite_link.clone() else {
            return;
        };
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            if dom::copy(&link).await {
                this.dismiss_notice();
            }
        });
    }

    /// Removes a contact.
    pub fn remove_contact(self: &Rc<Self>, id: &str) {
        self.push(Input::Command(Command::RemoveContact {
            contact: PeerId(id.to_owned()),
        }));
    }

    // ---- calls ----

    /// Calls a contact.
    pub fn call(self: &Rc<Self>, contact_id: &str, media: Media) {
        if self.ui.borrow().unsupported {
            return self.notice("This browser cannot encrypt calls (it lacks RTCRtpScriptTransform). Use a current Chrome, Edge, Firefox or Safari.");
        }
        dom::ask_notification_permission();
        self.push(Input::Command(Command::Call {
            contact: PeerId(contact_id.to_owned()),
            media,
        }));
    }

    /// Answers the ringing call.
    pub fn accept(self: &Rc<Self>, media: Media) {
        dom::ask_notification_permission();
        self.push(Input::Command(Command::Accept { media }));
    }

    /// Declines the ringing call.
    pub fn decline(self: &Rc<Self>) {
        self.push(Input::Command(Command::Decline));
    }

    /// Ends the call.
    pub fn hang_up(self: &Rc<Self>) {
        self.push(Input::Command(Command::Hangup));
    }

    /// Tells the peer which of our sources are on.
    pub(super) fn announce_media(self: &Rc<Self>) {
        let (audio, video, screen) = {
            let ui = self.ui.borrow();
            (!ui.mic_off, ui.camera_on, ui.screen_on)
        };
        self.push(Input::Command(Command::SetMedia {
            audio,
            video,
            screen,
        }));
    }

    /// The user compared security codes with the person in the call and they match.
    pub fn mark_verified(self: &Rc<Self>) {
        let peer = self
            .client
            .borrow()
            .as_ref()
            .and_then(|c| c.call().map(|i| i.peer.clone()));
        if let Some(contact) = peer {
            self.push(Input::Command(Command::SetVerified {
                contact,
                verified: true,
            }));
        }
    }

    /// Shows the call small or full screen.
    pub fn toggle_minimized(&self) {
        {
            let mut ui = self.ui.borrow_mut();
            ui.minimized = !ui.minimized;
        }
        self.changed();
    }

    /// Lists devices again; a speaker in use that is gone falls back to the default one,
    /// and the user is told. (A microphone or camera that goes ends its track: see
    /// `watch_track` in `rtc.rs`.)
    pub(super) fn refresh_devices(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let devices = media::devices().await;
            let Some(engine) = weak.upgrade() else { return };
            let picked = engine.io.borrow().speaker.clone();
            if let Some(id) = picked
                && !devices.speakers.iter().any(|d| d.id == id)
            {
                engine.io.borrow_mut().speaker = None;
                engine.pick_speaker(String::new());
                engine.ui.borrow_mut().set_notice(
                    "The speaker in use was disconnected. Switched to the default speaker.",
                );
            }
            engine.ui.borrow_mut().devices = devices;
            engine.changed();
        });
    }
}
