//! Small page utilities: the clocks, the URL fragment, clipboard, files, dialogs,
//! notifications, the test hook.

use gloo_events::EventListener;
use js_sys::Reflect;
use sotto_client::{Millis, Now};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

fn window() -> web_sys::Window {
    web_sys::window().expect("running in a page")
}

/// `location.origin`, e.g. `http://127.0.0.1:8080`.
#[must_use]
pub fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// The relay WebSocket URL of an origin.
#[must_use]
pub fn ws_url(origin: &str) -> String {
    let rest = origin
        .strip_prefix("https://")
        .map(|h| format!("wss://{h}"))
        .or_else(|| origin.strip_prefix("http://").map(|h| format!("ws://{h}")));
    format!("{}/ws", rest.unwrap_or_else(|| origin.to_owned()))
}

/// The URL fragment (`#/invite/...`).
#[must_use]
pub fn hash() -> String {
    window().location().hash().unwrap_or_default()
}

/// Removes the fragment without reloading (the invite was handled).
pub fn clear_hash() {
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some("/"));
    }
}

/// Calls `f` when the fragment changes (a pasted invite link), until the listener is dropped.
pub fn on_hash_change(f: impl Fn() + 'static) -> EventListener {
    EventListener::new(&window(), "hashchange", move |_| f())
}

/// Both clocks the client core needs: `performance.now()` (monotonic: never jumps when the
/// wall clock is set) for every timer, and `Date.now()` for relay timestamps.
#[must_use]
pub fn now() -> Now {
    let mono = window().performance().map_or(0.0, |p| p.now());
    Now {
        mono: Millis(mono as u64),
        wall_ms: js_sys::Date::now() as u64,
    }
}

/// Milliseconds since the epoch, for showing durations and times.
#[must_use]
pub fn wall_ms() -> f64 {
    js_sys::Date::now()
}

/// A local time of day (`14:05`) for a time in ms since the epoch.
#[must_use]
pub fn time_of_day(at_ms: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at_ms as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// Asks the user to confirm (a modal `confirm()`).
#[must_use]
pub fn confirm(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// Shows a video picture-in-picture, where the browser can.
pub fn picture_in_picture(video: &web_sys::HtmlVideoElement) {
    if let Ok(f) = Reflect::get(video, &"requestPictureInPicture".into())
        .and_then(JsCast::dyn_into::<js_sys::Function>)
    {
        let _ = f.call0(video);
    }
}

/// Keeps a drag's pointer events on the element it started on.
pub fn capture_pointer(event: &web_sys::PointerEvent) {
    if let Some(target) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    {
        let _ = target.set_pointer_capture(event.pointer_id());
    }
}

/// Reloads the page.
pub fn reload() {
    let _ = window().location().reload();
}

/// Copies text to the clipboard.
pub async fn copy(text: &str) -> bool {
    let promise = window().navigator().clipboard().write_text(text);
    JsFuture::from(promise).await.is_ok()
}

/// Offers `contents` as a file download.
pub fn download(filename: &str, contents: &str) {
    let parts = js_sys::Array::of1(&contents.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = window().document().and_then(|d| d.create_element("a").ok()) {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(filename);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Reads a chosen file as text.
pub async fn read_file(file: web_sys::File) -> Result<String, String> {
    JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| "could not read the file".to_owned())
}

/// Whether the tab is in the background.
#[must_use]
pub fn is_hidden() -> bool {
    window().document().is_some_and(|d| d.hidden())
}

/// Asks for notification permission (must run in a click handler).
pub fn ask_notification_permission() {
    if Reflect::has(&window(), &"Notification".into()).unwrap_or(false)
        && web_sys::Notification::permission() == web_sys::NotificationPermission::Default
    {
        let _ = web_sys::Notification::request_permission();
    }
}

/// Shows a system notification when the tab is hidden and permission was granted.
pub fn notify(title: &str, body: &str) {
    if !is_hidden() || !Reflect::has(&window(), &"Notification".into()).unwrap_or(false) {
        return;
    }
    if web_sys::Notification::permission() != web_sys::NotificationPermission::Granted {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    options.set_tag("sotto-call");
    let _ = web_sys::Notification::new_with_options(title, &options);
}

/// Publishes the app's state as JSON on `window.sottoDebug`, for the debug panel's readers
/// and the browser tests. Holds no secrets.
pub fn publish_debug(json: &str) {
    let _ = Reflect::set(&window(), &"sottoDebug".into(), &json.into());
}

/// Appends a line to `window.sottoLog` (the last 200 lines), for diagnosing browser behaviour
/// from the debug console or the browser tests.
pub fn log(line: &str) {
    let window = window();
    let log = Reflect::get(&window, &"sottoLog".into())
        .ok()
        .filter(|l| l.is_object())
        .unwrap_or_else(|| {
            let array = js_sys::Array::new();
            let _ = Reflect::set(&window, &"sottoLog".into(), &array);
            array.into()
        });
    let log: js_sys::Array = log.unchecked_into();
    log.push(&format!("{:.0} {line}", js_sys::Date::now()).into());
    if log.length() > 200 {
        log.shift();
    }
}

/// Whether the checkbox an event came from is checked.
#[must_use]
pub fn is_checked(event: &web_sys::Event) -> bool {
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}

/// The value of the `<select>`, `<textarea>` or `<input>` an event came from.
#[must_use]
pub fn value_of(event: &web_sys::Event) -> String {
    let Some(target) = event.target() else {
        return String::new();
    };
    if let Some(select) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        return select.value();
    }
    if let Some(text) = target.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        return text.value();
    }
    target
        .dyn_ref::<web_sys::HtmlInputElement>()
        .map(web_sys::HtmlInputElement::value)
        .unwrap_or_default()
}

/// The value of an `<input>` element.
#[must_use]
pub fn input_value(element: Option<web_sys::Element>) -> String {
    element
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|i| i.value())
        .unwrap_or_default()
}

/// The file chosen in the `<input type=file>` an event came from.
#[must_use]
pub fn chosen_file(event: &web_sys::Event) -> Option<web_sys::File> {
    event
        .target()?
        .dyn_into::<web_sys::HtmlInputElement>()
        .ok()?
        .files()?
        .get(0)
}

/// The size of this app's wasm memory in bytes (it grows and never shrinks: growth over many
/// calls is a leak).
#[must_use]
pub fn wasm_memory_bytes() -> u64 {
    let memory = wasm_bindgen::memory();
    Reflect::get(&memory, &"buffer".into())
        .and_then(|b| Reflect::get(&b, &"byteLength".into()))
        .ok()
        .and_then(|n| n.as_f64())
        .map_or(0, |n| n as u64)
}
