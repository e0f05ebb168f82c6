//! Small page utilities: the URL fragment, clipboard, files, notifications, the test hook.

use js_sys::Reflect;
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

/// Calls `f` when the fragment changes (a pasted invite link).
pub fn on_hash_change(f: impl Fn() + 'static) {
    let closure = Closure::<dyn FnMut()>::new(f);
    window().set_onhashchange(Some(closure.as_ref().unchecked_ref()));
    closure.forget();
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
    if let Some(document) = window().document() {
        if let Ok(a) = document.create_element("a") {
            let a: web_sys::HtmlAnchorElement = a.unchecked_into();
            a.set_href(&url);
            a.set_download(filename);
            a.click();
        }
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
