//! Frame counters and media statistics, for the curious and for bug reports.

use yew::prelude::*;

use crate::engine::view::MediaStats;
use crate::worker::Counters;

#[derive(Properties, PartialEq)]
pub struct DebugProps {
    pub counters: Counters,
    pub stats: MediaStats,
    /// The peer's frames fail to decrypt (see the call view's warning).
    pub decrypt_failing: bool,
    /// What the camera granted, against the 720p asked for.
    pub camera_resolution: Option<String>,
}

#[function_component(DebugPanel)]
pub fn debug_panel(props: &DebugProps) -> Html {
    let c = &props.counters;
    let s = &props.stats;
    html! {
        <details class="debug" id="debug-panel">
            <summary>{ "Encryption details" }</summary>
            <table>
                <tr><td>{ "Frames encrypted" }</td><td id="frames-encrypted">{ c.encrypted }</td></tr>
                <tr><td>{ "Frames decrypted" }</td><td id="frames-decrypted">{ c.decrypted }</td></tr>
                <tr><td>{ "Dropped: not ours" }</td><td>{ c.dropped_not_ours }</td></tr>
                <tr><td>{ "Dropped: unknown key" }</td><td>{ c.dropped_unknown_key }</td></tr>
                <tr><td>{ "Dropped: replayed" }</td><td>{ c.dropped_replayed }</td></tr>
                <tr><td>{ "Dropped: failed authentication" }</td><td id="frames-forged">{ c.dropped_forged }</td></tr>
                <tr><td>{ "Incoming media" }</td><td id="decrypt-state">{ if props.decrypt_failing { "cannot decrypt (keys differ)" } else { "decrypting" } }</td></tr>
                <tr><td>{ "Camera (asked for 1280×720)" }</td><td id="camera-resolution">{ props.camera_resolution.as_deref().unwrap_or("off") }</td></tr>
                <tr><td>{ "Video frames decoded" }</td><td>{ s.frames_decoded }</td></tr>
                <tr><td>{ "Audio samples received" }</td><td>{ s.audio_samples }</td></tr>
                <tr><td>{ "Round trip" }</td><td>{ format!("{:.0} ms", s.rtt * 1000.0) }</td></tr>
                <tr><td>{ "Relay (TURN/STUN) error" }</td><td id="ice-error">{ if s.ice_error.is_empty() { "none" } else { s.ice_error.as_str() } }</td></tr>
            </table>
        </details>
    }
}
