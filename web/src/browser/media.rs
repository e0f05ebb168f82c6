//! Cameras and microphones: capture, devices, switching.

pub use crate::engine::view::{Device, Devices};

use gloo_events::EventListener;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MediaDeviceInfo, MediaDeviceKind, MediaStream, MediaStreamConstraints, MediaStreamTrack,
};

fn media_devices() -> Result<web_sys::MediaDevices, String> {
    web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(|_| "this page cannot use cameras or microphones (it must be served over https or from localhost)".to_owned())
}

/// `{deviceId: {exact}, facingMode}` for whichever is given.
fn constraint(device: Option<&str>, facing: Option<&str>) -> Object {
    let obj = Object::new();
    if let Some(id) = device {
        let exact = Object::new();
        let _ = Reflect::set(&exact, &"exact".into(), &id.into());
        let _ = Reflect::set(&obj, &"deviceId".into(), &exact);
    }
    if let Some(facing) = facing {
        let _ = Reflect::set(&obj, &"facingMode".into(), &facing.into());
    }
    obj
}

/// Captures a microphone and, optionally, a camera.
///
/// # Errors
/// A message for the user (permission denied, no device).
pub async fn capture(
    audio: bool,
    video: bool,
    mic: Option<&str>,
    camera: Option<&str>,
    facing: Option<&str>,
) -> Result<MediaStream, String> {
    let constraints = MediaStreamConstraints::new();
    if audio {
        let a = constraint(mic, None);
        for flag in ["echoCancellation", "noiseSuppression", "autoGainControl"] {
            let _ = Reflect::set(&a, &flag.into(), &true.into());
        }
        constraints.set_audio(&a);
    } else {
        constraints.set_audio(&false.into());
    }
    constraints.set_video(&if video {
        let v = constraint(camera, facing);
        // 720p if the camera can: ideal, not exact, so a smaller camera still works (what was
        // granted is in the debug panel, from `resolution`).
        for (key, ideal) in [("width", 1280), ("height", 720)] {
            let value = Object::new();
            let _ = Reflect::set(&value, &"ideal".into(), &ideal.into());
            let _ = Reflect::set(&v, &key.into(), &value);
        }
        v.into()
    } else {
        false.into()
    });
    let promise = media_devices()?
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| format!("{e:?}"))?;
    let stream = JsFuture::from(promise).await.map_err(|e| {
        let name = Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" => "Camera or microphone permission was denied. Allow it in the address bar and try again.".to_owned(),
            "NotFoundError" => "No camera or microphone was found.".to_owned(),
            "NotReadableError" => "The camera or microphone is in use by another program.".to_owned(),
            _ => format!("Could not start the camera or microphone ({name})."),
        }
    })?;
    Ok(stream.unchecked_into())
}

/// Asks the user to pick a screen, window or tab to share (`getDisplayMedia`).
///
/// # Errors
/// A message for the user; `Ok(None)` when they closed the picker without choosing.
pub async fn capture_screen() -> Result<Option<MediaStream>, String> {
    let promise = media_devices()?
        .get_display_media()
        .map_err(|_| "This browser cannot share the screen.".to_owned())?;
    match JsFuture::from(promise).await {
        Ok(stream) => Ok(Some(stream.unchecked_into())),
        Err(e) => {
            let name = Reflect::get(&e, &"name".into())
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_default();
            if name == "NotAllowedError" || name == "AbortError" {
                Ok(None)
            } else {
                Err(format!("Could not share the screen ({name})."))
            }
        }
    }
}

/// What a video track delivers, `(width, height)`.
#[must_use]
pub fn resolution(track: &MediaStreamTrack) -> Option<(u32, u32)> {
    let settings = track.get_settings();
    let w = u32::try_from(settings.get_width()?).ok()?;
    let h = u32::try_from(settings.get_height()?).ok()?;
    Some((w, h))
}

/// Calls `on_ended` when the track ends without us stopping it: its device was unplugged or
/// taken away, or (for a shared screen) the user pressed the browser's "Stop sharing".
pub fn on_ended(track: &MediaStreamTrack, on_ended: impl Fn() + 'static) -> EventListener {
    EventListener::new(track, "ended", move |_| on_ended())
}

/// The first track of a kind in a stream.
#[must_use]
pub fn track(stream: &MediaStream, kind: &str) -> Option<MediaStreamTrack> {
    let tracks = if kind == "audio" {
        stream.get_audio_tracks()
    } else {
        stream.get_video_tracks()
    };
    tracks.get(0).dyn_into().ok()
}

/// Stops every track of a stream (turns the camera light off).
pub fn stop(stream: &MediaStream) {
    for track in stream.get_tracks() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// Lists devices (labels appear once permission was granted).
pub async fn devices() -> Devices {
    let Ok(md) = media_devices() else {
        return Devices::default();
    };
    let Ok(promise) = md.enumerate_devices() else {
        return Devices::default();
    };
    let Ok(list) = JsFuture::from(promise).await else {
        return Devices::default();
    };
    let mut devices = Devices::default();
    for info in Array::from(&list).iter() {
        let info: MediaDeviceInfo = info.unchecked_into();
        let device = Device {
            id: info.device_id(),
            label: info.label(),
        };
        match info.kind() {
            MediaDeviceKind::Audioinput => devices.mics.push(device),
            MediaDeviceKind::Videoinput => devices.cameras.push(device),
            MediaDeviceKind::Audiooutput => devices.speakers.push(device),
            _ => {}
        }
    }
    devices
}

/// Calls `on_change` when devices are plugged in or out, until the listener is dropped.
#[must_use]
pub fn on_device_change(on_change: impl Fn() + 'static) -> Option<EventListener> {
    let md = media_devices().ok()?;
    Some(EventListener::new(&md, "devicechange", move |_| {
        on_change()
    }))
}

/// Whether `<video>.setSinkId` exists (speaker choice).
#[must_use]
pub fn can_pick_speaker() -> bool {
    web_sys::window()
        .and_then(|w| Reflect::get(&w, &"HTMLMediaElement".into()).ok())
        .and_then(|c| Reflect::get(&c, &"prototype".into()).ok())
        .is_some_and(|p| Reflect::has(&p, &"setSinkId".into()).unwrap_or(false))
}

/// Routes a media element's sound to a speaker.
pub async fn set_speaker(
    element: &web_sys::HtmlMediaElement,
    device_id: &str,
) -> Result<(), String> {
    let f = Reflect::get(element, &"setSinkId".into()).map_err(|_| "no setSinkId")?;
    let f: js_sys::Function = f.dyn_into().map_err(|_| "no setSinkId")?;
    let promise: js_sys::Promise = f
        .call1(element, &device_id.into())
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not a promise")?;
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

/// `stream.addTrack(track)`, called as a plain JS method: the generated web-sys binding left
/// the stream empty in Chromium 156 (no exception, no track; see docs/DEVELOPING.md).
pub fn add_track(stream: &MediaStream, track: &MediaStreamTrack) {
    let add = Reflect::get(stream, &"addTrack".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(add) = add
        && let Err(e) = add.call1(stream, track)
    {
        web_sys::console::error_1(&e);
    }
}

/// `new MediaStream([track])`, through the JS constructor.
#[must_use]
pub fn stream_of(track: &MediaStreamTrack) -> Option<MediaStream> {
    let window: JsValue = web_sys::window()?.into();
    let ctor: js_sys::Function = Reflect::get(&window, &"MediaStream".into())
        .ok()?
        .dyn_into()
        .ok()?;
    Reflect::construct(&ctor, &Array::of1(&Array::of1(track)))
        .ok()
        .map(JsCast::unchecked_into)
}

/// Shows `stream` in a `<video>` or `<audio>` element and starts playback.
pub fn bind(element: Option<web_sys::Element>, stream: Option<&MediaStream>) {
    if let Some(el) = element.and_then(|e| e.dyn_into::<web_sys::HtmlMediaElement>().ok()) {
        el.set_src_object(None);
        el.set_src_object(stream);
        let _ = el.play();
    }
}

/// The number of tracks in a stream.
#[must_use]
pub fn track_count(stream: &MediaStream) -> u32 {
    stream.get_tracks().length()
}
