//! The kiosk's intents and I/O (issue #12): the `#/kiosk` route, the set-up and its import,
//! the PIN pad, and — exactly while kiosk mode is on — full screen, the wake lock, the
//! watchdog's heartbeat and a ticker for the clock and the countdown. What a call does in
//! kiosk mode is the core's rule (`sotto_client` `kiosk_rules`), never decided here.

use std::rc::Rc;

use gloo_timers::callback::Interval;
use sotto_client::{Command, Input, KioskSetup};
use sotto_shared::PeerId;
use sotto_shared::wire::signal::Media;

use super::driver::Engine;
use crate::browser::kiosk::KioskSession;
use crate::browser::{dom, peer_count, sound, storage};
use crate::components::kiosk::PinKey;

/// How often the kiosk's clock, countdown and heartbeat move on.
const TICK_MS: u32 = 500;

/// The browser side of kiosk mode, alive while it is on.
pub(super) struct KioskIo {
    session: KioskSession,
    _tick: Interval,
}

impl Engine {
    /// `#/kiosk` enters kiosk mode (or opens the set-up when there is none yet);
    /// `#/kiosk/setup` opens the set-up.
    pub(super) fn read_kiosk_route(self: &Rc<Self>) {
        let hash = dom::hash();
        if !hash.starts_with("#/kiosk") {
            return;
        }
        let configured = self
            .client
            .borrow()
            .as_ref()
            .map(|c| c.profile().kiosk.is_some());
        let Some(configured) = configured else { return };
        dom::clear_hash();
        if hash == "#/kiosk" && configured {
            self.push(Input::Command(Command::EnterKiosk));
        } else {
            self.open_kiosk_setup(true);
        }
    }

    /// Opens or closes the set-up screen.
    pub fn open_kiosk_setup(&self, open: bool) {
        self.ui.borrow_mut().kiosk.setup_open = open;
        self.changed();
    }

    /// Stores a kiosk configuration from the set-up screen.
    pub fn save_kiosk(self: &Rc<Self>, setup: KioskSetup) {
        self.push(Input::Command(Command::SetKiosk(setup)));
    }

    /// Reads a kiosk configuration file (chosen or pasted); a bad one is explained and
    /// changes nothing.
    pub fn import_kiosk(self: &Rc<Self>, text: &str) {
        match KioskSetup::from_json(text) {
            Ok(setup) => self.save_kiosk(setup),
            Err(e) => self.notice(e.to_string()),
        }
    }

    /// Enters kiosk mode.
    pub fn enter_kiosk(self: &Rc<Self>) {
        self.ui.borrow_mut().kiosk.setup_open = false;
        self.push(Input::Command(Command::EnterKiosk));
    }

    /// The long press: the PIN pad opens.
    pub fn open_pin_pad(&self) {
        self.ui.borrow_mut().kiosk.pin = Some(String::new());
        self.changed();
    }

    /// A key of the PIN pad.
    pub fn pin_key(self: &Rc<Self>, key: PinKey) {
        let submitted = {
            let mut ui = self.ui.borrow_mut();
            let Some(pin) = ui.kiosk.pin.as_mut() else {
                return;
            };
            match key {
                PinKey::Digit(d) if pin.len() < 8 => {
                    pin.push(char::from(b'0' + d));
                    None
                }
                PinKey::Digit(_) => None,
                PinKey::Back => {
                    pin.pop();
                    None
                }
                PinKey::Cancel => {
                    ui.kiosk.pin = None;
                    None
                }
                // Taken at once: a wrong PIN starts over, a right one closes the pad.
                PinKey::Ok => Some(std::mem::take(pin)),
            }
        };
        match submitted {
            Some(pin) => self.push(Input::Command(Command::LeaveKiosk { pin })),
            None => self.changed(),
        }
    }

    /// Calls a contact from its tile (with video: a kiosk is a screen).
    pub fn kiosk_call(self: &Rc<Self>, contact: &str) {
        self.push(Input::Command(Command::Call {
            contact: PeerId(contact.to_owned()),
            media: Media::Video,
        }));
    }

    /// Starts or stops the kiosk's browser side to match the core's mode.
    pub(super) fn sync_kiosk_io(self: &Rc<Self>) {
        let on = self.client.borrow().as_ref().is_some_and(|c| c.is_kiosk());
        let volume = self
            .client
            .borrow()
            .as_ref()
            .and_then(|c| c.profile().kiosk.as_ref().map(|k| k.ring_volume))
            .filter(|_| on);
        sound::set_ring_volume(volume.unwrap_or(100));
        let running = self.io.borrow().kiosk.is_some();
        if on == running {
            return;
        }
        if !on {
            self.io.borrow_mut().kiosk = None;
            self.ui.borrow_mut().kiosk.pin = None;
            return;
        }
        let weak = Rc::downgrade(self);
        let tick = Interval::new(TICK_MS, move || {
            if let Some(engine) = weak.upgrade() {
                engine.kiosk_tick();
            }
        });
        self.io.borrow_mut().kiosk = Some(KioskIo {
            session: KioskSession::start(),
            _tick: tick,
        });
        self.kiosk_tick();
    }

    /// Moves the clock and the countdown on, measures what the debug state shows, and tells
    /// the watchdog the loop still runs.
    fn kiosk_tick(self: &Rc<Self>) {
        let now = dom::now();
        let (open, alive) = peer_count::live();
        let awake = {
            let io = self.io.borrow();
            let Some(kiosk) = io.kiosk.as_ref() else {
                return;
            };
            // A test switch stops the heartbeat, as a stuck run loop would.
            if storage::test_setting("stall_heartbeat").is_none() {
                kiosk.session.heartbeat();
            }
            kiosk.session.is_awake()
        };
        {
            let mut ui = self.ui.borrow_mut();
            let k = &mut ui.kiosk;
            k.now = now.mono;
            k.time = dom::time_of_day(now.wall_ms);
            k.peer_connections = open;
            k.peer_sessions = alive;
            k.wasm_memory = dom::wasm_memory_bytes();
            k.awake = awake;
            k.js_handles = wasm_bindgen::externref_heap_live_count();
        }
        self.changed();
    }
}
