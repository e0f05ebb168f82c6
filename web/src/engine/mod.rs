//! The engine: everything the app does, without UI. It holds the profile, the relay
//! connection, the call machine and the peer connection, and offers intent methods
//! (`call`, `accept`, `hang_up`, …). The UI renders [`View`] snapshots and re-renders when told.

mod calls;
mod contacts;
mod view;

use std::cell::RefCell;
use std::rc::Rc;

use rand_core::UnwrapErr;
use sotto_shared::call::{Phone, PhoneConfig};
use sotto_shared::crypto::IdentityKeyPair;
use sotto_shared::wire::relay::{ClientMsg, IceServer, MsgId, RcvId, ServerMsg};
use sotto_shared::{CallId, Duration, Millis};
use web_sys::MediaStream;

pub use view::{CallView, ContactView, EndedView, MissedView, View};

use crate::browser::peer::PeerSession;
use crate::browser::relay::{RelayClient, Status};
use crate::browser::worker::FrameWorker;
use crate::browser::{dom, media, storage};
use crate::model::{Book, validate_name};

type Rng = UnwrapErr<getrandom::SysRng>;

fn rng() -> Rng {
    UnwrapErr(getrandom::SysRng)
}

/// Local wall-clock time; the call machine measures everything from it.
fn now() -> Millis {
    Millis(js_sys::Date::now() as u64)
}

struct Inner {
    book: Option<Book>,
    identity: Option<IdentityKeyPair>,
    relay: Option<RelayClient>,
    /// Connections to other people's shims, by origin (send only).
    foreign: Vec<(String, RelayClient)>,
    phone: Option<Phone<Rng>>,
    peer: Option<Rc<PeerSession>>,
    local: Option<MediaStream>,
    worker: Option<Rc<FrameWorker>>,
    timer: Option<gloo_timers::callback::Timeout>,
    stats_timer: Option<gloo_timers::callback::Interval>,
    ice_servers: Vec<IceServer>,
    /// Invitations that ring: acked only once the call is decided, so a reload rings again.
    unacked_invites: Vec<(CallId, RcvId, MsgId)>,
    view: View,
    facing_user: bool,
}

/// The app's controller. Create one with [`Engine::start`].
pub struct Engine {
    inner: RefCell<Inner>,
    on_change: RefCell<Option<Rc<dyn Fn()>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engine")
    }
}

impl Engine {
    /// Loads the saved profile (if any) and connects.
    pub fn start() -> Rc<Self> {
        let engine = Rc::new(Self {
            inner: RefCell::new(Inner {
                book: None,
                identity: None,
                relay: None,
                foreign: Vec::new(),
                phone: None,
                peer: None,
                local: None,
                worker: None,
                timer: None,
                stats_timer: None,
                ice_servers: Vec::new(),
                unacked_invites: Vec::new(),
                view: View::default(),
                facing_user: true,
            }),
            on_change: RefCell::new(None),
        });
        engine.inner.borrow_mut().view.unsupported = !crate::browser::worker::supported();
        if let Some(book) = storage::load_book() {
            engine.open_profile(book);
        }
        let weak = Rc::downgrade(&engine);
        dom::on_hash_change(move || {
            if let Some(engine) = weak.upgrade() {
                engine.read_invite_from_url();
            }
        });
        engine.read_invite_from_url();
        let weak = Rc::downgrade(&engine);
        media::on_device_change(move || {
            if let Some(engine) = weak.upgrade() {
                engine.refresh_devices();
            }
        });
        engine
    }

    /// Called after every change the UI should show.
    pub fn set_on_change(&self, f: impl Fn() + 'static) {
        *self.on_change.borrow_mut() = Some(Rc::new(f));
    }

    fn changed(&self) {
        let json = serde_json::to_string(&self.inner.borrow().view).unwrap_or_default();
        dom::publish_debug(&json);
        let f = self.on_change.borrow().clone();
        if let Some(f) = f {
            f();
        }
    }

    /// A snapshot for rendering.
    pub fn view(&self) -> View {
        self.inner.borrow().view.clone()
    }

    /// Our camera/microphone stream, for the preview.
    pub fn local_stream(&self) -> Option<MediaStream> {
        self.inner.borrow().local.clone()
    }

    /// The peer's camera track (its sound plays separately).
    pub fn remote_camera(&self) -> Option<web_sys::MediaStreamTrack> {
        self.inner
            .borrow()
            .peer
            .as_ref()
            .and_then(|p| p.camera_track())
    }

    /// Routes the peer's sound to a speaker.
    pub fn pick_speaker(&self, device_id: String) {
        let Some(peer) = self.inner.borrow().peer.clone() else {
            return;
        };
        let this_audio: web_sys::HtmlMediaElement = peer.audio.clone().into();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = media::set_speaker(&this_audio, &device_id).await {
                web_sys::console::warn_1(&format!("could not switch speaker: {e}").into());
            }
        });
    }

    fn set_notice(&self, notice: impl Into<String>) {
        self.inner.borrow_mut().view.notice = Some(notice.into());
        self.changed();
    }

    /// Hides the notice.
    pub fn dismiss_notice(&self) {
        self.inner.borrow_mut().view.notice = None;
        self.inner.borrow_mut().view.ended = None;
        self.changed();
    }

    // ---- profile ----

    /// Creates the profile on first visit.
    pub fn create_profile(self: &Rc<Self>, name: &str) {
        // A click: the one moment browsers let us ask, so a hidden tab can show incoming calls.
        dom::ask_notification_permission();
        let name = match validate_name(name) {
            Ok(n) => n.to_owned(),
            Err(e) => return self.set_notice(e),
        };
        let identity = IdentityKeyPair::generate(&mut rng());
        let book = Book::new(&name, &identity);
        storage::save_book(&book);
        self.open_profile(book);
    }

    /// Replaces the profile with an exported one.
    pub fn import_profile(self: &Rc<Self>, json: &str) {
        match Book::from_json(json) {
            Ok(book) => {
                storage::save_book(&book);
                // A clean start with the imported identity and its queues.
                let _ = web_sys::window().map(|w| w.location().reload());
            }
            Err(e) => self.set_notice(e),
        }
    }

    /// Offers the profile as a file.
    pub fn export_profile(&self) {
        if let Some(book) = &self.inner.borrow().book {
            dom::download(
                &format!("sotto-profile-{}.json", book.name),
                &book.to_json(),
            );
        }
    }

    /// Relay-only ("hide my IP").
    pub fn set_relay_only(&self, on: bool) {
        let mut inner = self.inner.borrow_mut();
        if let Some(book) = &mut inner.book {
            book.settings.relay_only = on;
            storage::save_book(book);
        }
        inner.view.relay_only = on;
        drop(inner);
        self.changed();
    }

    fn save(&self) {
        if let Some(book) = &self.inner.borrow().book {
            storage::save_book(book);
        }
        self.refresh_contacts();
    }

    fn refresh_contacts(&self) {
        let mut inner = self.inner.borrow_mut();
        let contacts = inner.book.as_ref().map_or_else(Vec::new, |b| {
            b.contacts
                .iter()
                .map(|c| ContactView {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    ready: c.send.is_some(),
                })
                .collect()
        });
        inner.view.contacts = contacts;
        drop(inner);
        self.changed();
    }

    fn open_profile(self: &Rc<Self>, book: Book) {
        let identity = match book.identity() {
            Ok(id) => id,
            Err(e) => return self.set_notice(e),
        };
        let mut config = PhoneConfig::default();
        if let Some(secs) = storage::test_setting("ring_seconds").and_then(|s| s.parse().ok()) {
            config.ring_lifetime = Duration::secs(secs);
        }
        {
            let mut inner = self.inner.borrow_mut();
            inner.view.name = Some(book.name.clone());
            inner.view.relay_only = book.settings.relay_only;
            inner.phone = Some(Phone::new(config, identity.public(), rng()));
            inner.identity = Some(identity);
            inner.book = Some(book);
        }
        let weak = Rc::downgrade(self);
        match FrameWorker::start(move |counters| {
            if let Some(engine) = weak.upgrade() {
                engine.inner.borrow_mut().view.counters = counters;
                engine.changed();
            }
        }) {
            Ok(worker) => self.inner.borrow_mut().worker = Some(Rc::new(worker)),
            Err(e) => self.set_notice(e),
        }
        self.connect();
        self.refresh_contacts();
    }

    fn connect(self: &Rc<Self>) {
        let weak_push = Rc::downgrade(self);
        let weak_status = Rc::downgrade(self);
        let relay = RelayClient::connect(
            dom::ws_url(&dom::origin()),
            move |msg| {
                if let Some(engine) = weak_push.upgrade() {
                    engine.on_push(msg);
                }
            },
            move |status| {
                if let Some(engine) = weak_status.upgrade() {
                    engine.on_status(status);
                }
            },
        );
        let queues = self
            .inner
            .borrow()
            .book
            .as_ref()
            .map(Book::receive_queues)
            .unwrap_or_default();
        self.inner.borrow_mut().relay = Some(relay.clone());
        for rcv_id in queues {
            let relay = relay.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = relay
                    .request(|id| ClientMsg::Subscribe { id, rcv_id })
                    .await;
            });
        }
    }

    fn on_status(self: &Rc<Self>, status: Status) {
        self.inner.borrow_mut().view.status = Some(status);
        self.changed();
        if status == Status::Online {
            self.fetch_ice_servers();
        }
    }

    fn fetch_ice_servers(self: &Rc<Self>) {
        let Some(relay) = self.inner.borrow().relay.clone() else {
            return;
        };
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(ServerMsg::IceServers { servers, .. }) =
                relay.request(|id| ClientMsg::TurnCredentials { id }).await
            {
                if let Some(engine) = weak.upgrade() {
                    let mut inner = engine.inner.borrow_mut();
                    inner.view.has_turn = !servers.is_empty();
                    inner.ice_servers = servers;
                }
            }
        });
    }

    /// The relay to send to `origin` through: ours, or a send-only connection to theirs.
    fn relay_for(self: &Rc<Self>, origin: &str) -> Option<RelayClient> {
        if origin.trim_end_matches('/') == dom::origin() {
            return self.inner.borrow().relay.clone();
        }
        if let Some((_, r)) = self
            .inner
            .borrow()
            .foreign
            .iter()
            .find(|(o, _)| o == origin)
        {
            return Some(r.clone());
        }
        let relay = RelayClient::connect(dom::ws_url(origin), |_| {}, |_| {});
        self.inner
            .borrow_mut()
            .foreign
            .push((origin.to_owned(), relay.clone()));
        Some(relay)
    }

    fn ack(&self, rcv_id: RcvId, msg_id: MsgId) {
        let Some(relay) = self.inner.borrow().relay.clone() else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = relay
                .request(|id| ClientMsg::Ack { id, rcv_id, msg_id })
                .await;
        });
    }

    fn refresh_devices(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let devices = media::devices().await;
            if let Some(engine) = weak.upgrade() {
                engine.inner.borrow_mut().view.devices = devices;
                engine.changed();
            }
        });
    }
}
