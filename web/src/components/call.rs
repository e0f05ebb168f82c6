//! The active call: the peer's screen or camera full screen (their camera as a small tile while
//! they share their screen, their initial on a card when no picture comes), a draggable local
//! preview while our camera is on, the controls, the security code with what to do with it, and
//! connection details. Minimized, it becomes a floating banner.

use sotto_shared::call::CallState;
use sotto_shared::wire::signal::Media;
use web_sys::MediaStream;
use yew::prelude::*;

use super::icons::{Icon, Svg};
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
    ToggleScreen,
    Minimize,
    /// The user compared the security codes and they match.
    MarkVerified,
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
    /// The peer's screen track.
    pub screen: Option<web_sys::MediaStreamTrack>,
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
    // The local preview can be dragged anywhere; it starts above the controls.
    let position = use_state(|| (16i32, 96i32));
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

    let remote_stream = use_track_stream(props.remote.clone());
    let screen_stream = use_track_stream(props.screen.clone());
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
    // What fills the screen: their shared screen, else their camera, else a card with their
    // initial (an audio call, or their camera is off) — never an empty black rectangle.
    let show_screen = call.peer_screen;
    // Frames that do not decrypt never show: a black picture would look like a camera.
    let show_camera = call.peer_video && !call.decrypt_failing;
    let camera_class = classes!(
        "remote",
        show_screen.then_some("tile"),
        (!show_camera).then_some("hidden")
    );
    let screen_class = classes!("screen", (!show_screen).then_some("hidden"));

    if call.minimized {
        return html! {
            <section class={classes} id="call-view" onclick={act(CallAction::Minimize)}>
                <Video stream={remote_stream.clone()} node={remote_video} muted=true class={camera_class} id="remote-video" />
                <span>{ format!("{} · {} {}", call.peer_name, state_text, duration(call.connected_at)) }</span>
                <span class="hint">{ " (tap to return)" }</span>
            </section>
        };
    }

    let peer = &call.peer_name;
    html! {
        <section class={classes} id="call-view" data-state={call.state.name()} aria-label={format!("Call with {peer}")}>
            <Video stream={screen_stream} muted=true class={screen_class} id="remote-screen" />
            <Video stream={remote_stream.clone()} node={remote_video} muted=true class={camera_class} id="remote-video" />
            if !show_screen && !show_camera {
                <div class="audio-card" id="audio-call">
                    <div class="avatar" aria-hidden="true">{ initial(peer) }</div>
                    <strong>{ peer }</strong>
                    <span>{ if call.media == Media::Audio { "Audio call" } else if call.decrypt_failing { "No picture" } else { "Camera off" } }</span>
                    <span>{ duration(call.connected_at) }</span>
                </div>
            }
            if call.state == CallState::Reconnecting {
                <div class="overlay" id="reconnecting">{ "Reconnecting…" }</div>
            }
            if call.camera_on && local_tracks > 0 {
                <div class="local" style={format!("right:{}px;bottom:{}px", position.0, position.1)}
                    onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up}>
                    <Video stream={props.local.clone()} tracks={local_tracks} muted=true class="preview" id="local-video" />
                </div>
            }
            <header class="call-info">
                <div class="who">
                    <strong id="call-peer">{ peer }</strong>
                    if call.peer_verified {
                        <span class="verified" id="call-verified" title={format!("You verified {peer}")}><Svg icon={Icon::Check} />{ "Verified" }</span>
                    }
                    <span id="call-state">{ state_text }</span>
                    <span id="call-duration">{ duration(call.connected_at) }</span>
                    if !call.peer_audio { <span class="badge" id="peer-muted"><Svg icon={Icon::MicOff} />{ "Muted" }</span> }
                    if call.peer_screen { <span class="badge" id="peer-sharing"><Svg icon={Icon::Screen} />{ format!("{peer} is sharing their screen") }</span> }
                    if poor { <span class="badge warn" id="quality-badge">{ "Poor connection" }</span> }
                    <span class="badge" id="connection-type">{ connection_type(&props.stats) }</span>
                </div>
                if call.decrypt_failing {
                    <p class="alert" id="decrypt-warning" role="alert"><Svg icon={Icon::Warning} />{ format!("Can't decrypt {peer}'s media — compare security codes") }</p>
                }
                if let Some(code) = &call.security_code {
                    <div class="security" id="security">
                        <span class="label"><Svg icon={Icon::Lock} />{ "Security code " }</span>
                        <span class="code" id="security-code">{ code }</span>
                        if call.peer_key_changed {
                            <p class="alert" id="key-changed" role="alert">{ format!("{peer}'s identity key is not the one you verified. Compare the codes again before you trust this call.") }</p>
                        }
                        if !call.peer_verified {
                            <p class="explain">{ format!("Compare with {peer}'s screen — if the numbers match, nobody is listening in.") }</p>
                            <button id="mark-verified" class="secondary small" aria-label={format!("The numbers match: mark {peer} as verified")} onclick={act(CallAction::MarkVerified)}>
                                <Svg icon={Icon::Check} />{ "They match" }
                            </button>
                        }
                    </div>
                }
            </header>
            <footer class="controls">
                <button id="mute" class={classes!("round", (!call.mic_on).then_some("off"))} aria-pressed={(!call.mic_on).to_string()}
                    aria-label={if call.mic_on { "Mute microphone" } else { "Unmute microphone" }} title={if call.mic_on { "Mute" } else { "Unmute" }}
                    onclick={act(CallAction::ToggleMic)}>
                    <Svg icon={if call.mic_on { Icon::Mic } else { Icon::MicOff }} />
                </button>
                <button id="camera-toggle" class={classes!("round", (!call.camera_on).then_some("off"))}
                    aria-label={if call.camera_on { "Turn camera off" } else { "Turn camera on" }} title={if call.camera_on { "Camera off" } else { "Camera on" }}
                    onclick={act(CallAction::ToggleCamera)}>
                    <Svg icon={if call.camera_on { Icon::Video } else { Icon::VideoOff }} />
                </button>
                <button id="screen-share" class={classes!("round", call.screen_on.then_some("active"))} aria-pressed={call.screen_on.to_string()}
                    aria-label={if call.screen_on { "Stop sharing your screen" } else { "Share your screen" }} title={if call.screen_on { "Stop sharing" } else { "Share screen" }}
                    onclick={act(CallAction::ToggleScreen)}>
                    <Svg icon={Icon::Screen} />
                </button>
                <button id="flip-camera" class="round" aria-label="Switch between front and back camera" title="Flip camera" onclick={act(CallAction::FlipCamera)}><Svg icon={Icon::Flip} /></button>
                <button id="minimize" class="round" aria-label="Minimize the call" title="Minimize" onclick={act(CallAction::Minimize)}><Svg icon={Icon::Minimize} /></button>
                <button id="pip" class="round" aria-label="Picture-in-picture" title="Picture-in-picture" onclick={pip}><Svg icon={Icon::Pip} /></button>
                <button id="hangup" class="round end" aria-label="End call" title="End call" onclick={act(CallAction::Hangup)}><Svg icon={Icon::HangUp} /></button>
                <details class="devices">
                    <summary aria-label="Devices" title="Devices"><Svg icon={Icon::Devices} /></summary>
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

/// One stream per remote track, kept while the track is the same (by id).
#[hook]
fn use_track_stream(track: Option<web_sys::MediaStreamTrack>) -> Option<MediaStream> {
    let id = track.as_ref().map(web_sys::MediaStreamTrack::id);
    let stream = use_memo(id, move |_| track.as_ref().and_then(media::stream_of));
    (*stream).clone()
}

/// The first letter of a name, for the card shown when no picture comes.
fn initial(name: &str) -> String {
    name.chars()
        .next()
        .map_or_else(|| "?".to_owned(), |c| c.to_uppercase().collect())
}

fn label<'a>(label: &'a str, fallback: &'a str) -> &'a str {
    if label.is_empty() { fallback } else { label }
}
