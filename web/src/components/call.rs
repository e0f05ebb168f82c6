//! The active call: remote video full screen, a draggable local preview, the controls, the
//! security code and connection details. Minimized, it becomes a floating banner.

use sotto_shared::call::CallState;
use sotto_shared::wire::signal::Media;
use web_sys::MediaStream;
use yew::prelude::*;

use super::video::Video;
use crate::browser::{dom, media};
use crate::engine::CallView;
use crate::engine::view::{Devices, MediaStats};

/// What the user can do in a call.
#[derive(Debug, Clone, PartialEq)]
pub enum CallAction {
    Hangup,
    ToggleMic,
    ToggleCamera,
    FlipCamera,
    Minimize,
    PickMic(String),
    PickCamera(String),
    PickSpeaker(String),
}

#[derive(Properties, PartialEq)]
pub struct CallScreenProps {
    pub call: CallView,
    pub local: Option<MediaStream>,
    /// The peer's camera track.
    pub remote: Option<web_sys::MediaStreamTrack>,
    pub stats: MediaStats,
    pub devices: Devices,
    pub can_pick_speaker: bool,
    pub on_action: Callback<CallAction>,
}

fn duration(since: Option<f64>) -> String {
    let Some(since) = since else {
        return String::new();
    };
    let secs = ((dom::wall_ms() - since) / 1000.0).max(0.0) as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}

fn connection_type(stats: &MediaStats) -> &'static str {
    match stats.local_candidate.as_str() {
        "relay" => "via relay (TURN)",
        "" => "",
        _ => "direct",
    }
}

#[function_component(CallScreen)]
pub fn call_screen(props: &CallScreenProps) -> Html {
    // Re-render every second for the duration.
    let tick = use_state(|| 0u32);
    {
        let tick = tick.clone();
        use_effect_with((), move |()| {
            let interval =
                gloo_timers::callback::Interval::new(1000, move || tick.set(tick.wrapping_add(1)));
            move || drop(interval)
        });
    }
    // The local preview can be dragged anywhere.
    let position = use_state(|| (16i32, 16i32));
    let dragging = use_mut_ref(|| None::<(i32, i32, i32, i32)>);
    let on_down = {
        let (dragging, position) = (dragging.clone(), position.clone());
        Callback::from(move |e: PointerEvent| {
            *dragging.borrow_mut() = Some((
                e.client_x() as i32,
                e.client_y() as i32,
                position.0,
                position.1,
            ));
            dom::capture_pointer(&e);
        })
    };
    let on_move = {
        let (dragging, position) = (dragging.clone(), position.clone());
        Callback::from(move |e: PointerEvent| {
            if let Some((x0, y0, r0, b0)) = *dragging.borrow() {
                position.set((
                    r0 - (e.client_x() as i32 - x0),
                    b0 - (e.client_y() as i32 - y0),
                ));
            }
        })
    };
    let on_up = {
        let dragging = dragging.clone();
        Callback::from(move |_: PointerEvent| *dragging.borrow_mut() = None)
    };

    let remote_video = use_node_ref();
    let pick = |make: fn(String) -> CallAction| {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| on_action.emit(make(dom::value_of(&e))))
    };
    let pip = {
        let remote_video = remote_video.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(el) = remote_video.cast::<web_sys::HtmlVideoElement>() {
                dom::picture_in_picture(&el);
            }
        })
    };
    let speaker = pick(CallAction::PickSpeaker);
    let act = |a: CallAction| props.on_action.reform(move |_: MouseEvent| a.clone());

    // One stream per remote track, kept while the track is the same (by id).
    let remote_id = props.remote.as_ref().map(web_sys::MediaStreamTrack::id);
    let remote_stream = {
        let track = props.remote.clone();
        use_memo(remote_id, move |_| {
            track.as_ref().and_then(media::stream_of)
        })
    };
    let remote_stream: Option<MediaStream> = (*remote_stream).clone();
    let local_tracks = props.local.as_ref().map_or(0, media::track_count);
    let call = &props.call;
    let state_text = match call.state {
        CallState::RingingOutgoing => "Ringing…",
        CallState::RingingIncoming => "Incoming…",
        CallState::Connecting => "Connecting…",
        CallState::Connected => "Connected",
        CallState::Reconnecting => "Reconnecting…",
        CallState::Ended(_) => "Ended",
    };
    let poor = call.state == CallState::Connected && props.stats.is_poor();
    let classes = classes!("call", call.minimized.then_some("minimized"));

    if call.minimized {
        return html! {
            <section class={classes} id="call-view" onclick={act(CallAction::Minimize)}>
                <Video stream={remote_stream.clone()} node={remote_video} muted=true class="remote" id="remote-video" />
                <span>{ format!("{} · {} {}", call.peer_name, state_text, duration(call.connected_at)) }</span>
                <span class="hint">{ " (tap to return)" }</span>
            </section>
        };
    }

    html! {
        <section class={classes} id="call-view" data-state={call.state.name()}>
            <Video stream={remote_stream.clone()} node={remote_video} muted=true class="remote" id="remote-video" />
            if call.state == CallState::Reconnecting {
                <div class="overlay" id="reconnecting">{ "Reconnecting…" }</div>
            }
            <div class="local" style={format!("right:{}px;bottom:{}px", position.0, position.1)}
                onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up}>
                <Video stream={props.local.clone()} tracks={local_tracks} muted=true class="preview" id="local-video" />
            </div>
            <header class="call-info">
                <strong id="call-peer">{ &call.peer_name }</strong>
                <span id="call-state">{ state_text }</span>
                <span id="call-duration">{ duration(call.connected_at) }</span>
                if !call.peer_audio { <span class="badge" id="peer-muted">{ "🔇 muted" }</span> }
                if !call.peer_video && call.media == Media::Video { <span class="badge">{ "camera off" }</span> }
                if poor { <span class="badge warn" id="quality-badge">{ "Poor connection" }</span> }
                <span class="badge" id="connection-type">{ connection_type(&props.stats) }</span>
                if let Some(code) = &call.security_code {
                    <span class="code" title="Compare with your contact: equal codes mean nobody is in between" id="security-code">{ format!("🔒 {code}") }</span>
                }
            </header>
            <footer class="controls">
                <button id="mute" class={classes!(call.mic_on.then_some("on"))} onclick={act(CallAction::ToggleMic)}>
                    { if call.mic_on { "Mute" } else { "Unmute" } }
                </button>
                <button id="camera-toggle" onclick={act(CallAction::ToggleCamera)}>
                    { if call.camera_on { "Camera off" } else { "Camera on" } }
                </button>
                <button id="flip-camera" onclick={act(CallAction::FlipCamera)}>{ "Flip" }</button>
                <button id="minimize" onclick={act(CallAction::Minimize)}>{ "Minimize" }</button>
                <button id="pip" onclick={pip}>{ "Picture-in-picture" }</button>
                <button id="hangup" class="end" onclick={act(CallAction::Hangup)}>{ "End call" }</button>
                <details class="devices">
                    <summary>{ "Devices" }</summary>
                    <label>{ "Microphone " }<select id="pick-mic" onchange={pick(CallAction::PickMic)}>
                        { for props.devices.mics.iter().map(|d| html!{ <option value={d.id.clone()}>{ label(&d.label, "Microphone") }</option> }) }
                    </select></label>
                    <label>{ "Camera " }<select id="pick-camera" onchange={pick(CallAction::PickCamera)}>
                        { for props.devices.cameras.iter().map(|d| html!{ <option value={d.id.clone()}>{ label(&d.label, "Camera") }</option> }) }
                    </select></label>
                    if props.can_pick_speaker {
                        <label>{ "Speaker " }<select id="pick-speaker" onchange={speaker}>
                            { for props.devices.speakers.iter().map(|d| html!{ <option value={d.id.clone()}>{ label(&d.label, "Speaker") }</option> }) }
                        </select></label>
                    } else {
                        <span class="hint">{ "This browser cannot choose the speaker." }</span>
                    }
                </details>
            </footer>
        </section>
    }
}

fn label<'a>(label: &'a str, fallback: &'a str) -> &'a str {
    if label.is_empty() { fallback } else { label }
}
