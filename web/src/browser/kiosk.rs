//! What kiosk mode needs from the browser (issue #12): full screen, re-requested after any
//! touch if the browser dropped it (browsers grant it only in a user gesture); the screen kept
//! awake with the Wake Lock API, re-acquired whenever the page becomes visible again (the
//! browser releases the lock when it is hidden); and the heartbeat the watchdog
//! (`web/watchdog.js`) checks. Everything stops when the [`KioskSession`] is dropped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use js_sys::Reflect;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{VisibilityState, WakeLockSentinel, WakeLockType};

fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

/// Full screen, the wake lock and the watchdog, while kiosk mode lasts.
pub struct KioskSession {
    wake_lock: Rc<RefCell<Option<(WakeLockSentinel, EventListener)>>>,
    held: Rc<Cell<bool>>,
    _listeners: Vec<EventListener>,
}

impl std::fmt::Debug for KioskSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskSession")
            .field("wake_lock", &self.held.get())
            .finish_non_exhaustive()
    }
}

impl KioskSession {
    /// Starts full screen (as far as the browser allows without a gesture), the wake lock and
    /// the watchdog.
    #[must_use]
    pub fn start() -> Self {
        let document = window().document().expect("a document");
        let wake_lock = Rc::new(RefCell::new(None));
        let held = Rc::new(Cell::new(false));
        request_full_screen(&document);
        acquire_wake_lock(&wake_lock, &held);
        let on_gesture = EventListener::new(&document, "pointerdown", {
            let document = document.clone();
            move |_| request_full_screen(&document)
        });
        let on_visible = EventListener::new(&document, "visibilitychange", {
            let (document, wake_lock, held) =
                (document.clone(), Rc::clone(&wake_lock), Rc::clone(&held));
            move |_| {
                if document.visibility_state() == VisibilityState::Visible {
                    acquire_wake_lock(&wake_lock, &held);
                }
            }
        });
        let _ = Reflect::set(&window(), &"sottoWatchdog".into(), &JsValue::TRUE);
        heartbeat();
        Self {
            wake_lock,
            held,
            _listeners: vec![on_gesture, on_visible],
        }
    }

    /// Whether the screen is kept awake now.
    #[must_use]
    pub fn is_awake(&self) -> bool {
        self.held.get()
    }

    /// Tells the watchdog the run loop still ticks.
    pub fn heartbeat(&self) {
        heartbeat();
    }
}

impl Drop for KioskSession {
    fn drop(&mut self) {
        let _ = Reflect::set(&window(), &"sottoWatchdog".into(), &JsValue::FALSE);
        if let Some((sentinel, _listener)) = self.wake_lock.borrow_mut().take() {
            let _ = sentinel.release();
        }
        let document = window().document().expect("a document");
        if document.fullscreen_element().is_some() {
            document.exit_fullscreen();
        }
    }
}

fn heartbeat() {
    let _ = Reflect::set(
        &window(),
        &"sottoHeartbeat".into(),
        &JsValue::from_f64(js_sys::Date::now()),
    );
}

fn request_full_screen(document: &web_sys::Document) {
    if document.fullscreen_element().is_none()
        && let Some(root) = document.document_element()
    {
        // Refused outside a user gesture; the next touch asks again.
        let _ = root.request_fullscreen();
    }
}

fn acquire_wake_lock(
    slot: &Rc<RefCell<Option<(WakeLockSentinel, EventListener)>>>,
    held: &Rc<Cell<bool>>,
) {
    if slot.borrow().as_ref().is_some_and(|(s, _)| !s.released()) {
        return;
    }
    let navigator = window().navigator();
    // Not every browser has it (and none outside a secure context): then the screen's own
    // settings decide.
    if !Reflect::has(&navigator, &"wakeLock".into()).unwrap_or(false) {
        return;
    }
    let promise = navigator.wake_lock().request(WakeLockType::Screen);
    let (slot, held) = (Rc::clone(slot), Rc::clone(held));
    wasm_bindgen_futures::spawn_local(async move {
        match JsFuture::from(promise).await {
            Ok(sentinel) => {
                let sentinel: WakeLockSentinel = sentinel.unchecked_into();
                let on_release = held.clone();
                // The browser releases it when the page is hidden; `visibilitychange` asks
                // again.
                let listener =
                    EventListener::once(&sentinel, "release", move |_| on_release.set(false));
                held.set(true);
                *slot.borrow_mut() = Some((sentinel, listener));
            }
            Err(e) => {
                held.set(false);
                crate::browser::dom::log(&format!("wake lock refused: {e:?}"));
            }
        }
    });
}
