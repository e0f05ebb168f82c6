//! The root component: picks the screen from the engine's view and turns clicks into the
//! engine's intents.

use std::rc::Rc;

use sotto_shared::call::CallState;
use sotto_shared::wire::signal::EndReason;
use yew::prelude::*;

use crate::browser::{dom, media};
use crate::components::call::{CallAction, CallScreen};
use crate::components::contacts::ContactList;
use crate::components::debug::DebugPanel;
use crate::components::icons::{Icon, Svg};
use crate::components::incoming::{IncomingBanner, OutgoingScreen};
use crate::components::invite::{AcceptInvite, InvitePanel};
use crate::components::kiosk::setup::{KioskSetupForm, SetupAction};
use crate::components::kiosk::{KioskAction, KioskScreen};
use crate::components::onboarding::Onboarding;
use crate::engine::Engine;

fn reason_text(reason: EndReason) -> &'static str {
    match reason {
        EndReason::LocalHangup => "Call ended",
        EndReason::RemoteHangup => "They ended the call",
        EndReason::Rejected => "Call declined",
        EndReason::Busy => "They are in another call",
        EndReason::RingTimeout => "No answer",
        EndReason::ConnectTimeout => "Could not connect",
        EndReason::IceFailed => "The connection was lost",
        EndReason::MediaFailed => "Camera, microphone or connection failed",
        EndReason::SignallingFailed => "Could not reach them",
        EndReason::TurnFailed => "Couldn't reach the relay server for media (TURN)",
        EndReason::Invalid => "The call was refused as invalid",
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let engine = use_memo((), |()| Engine::start());
    let version = use_state(|| 0u64);
    {
        let (engine, version) = (Rc::clone(&engine), version.setter());
        use_effect_with((), move |()| {
            let counter = std::cell::Cell::new(0u64);
            engine.set_on_change(move || {
                counter.set(counter.get() + 1);
                version.set(counter.get());
            });
        });
    }
    let view = engine.view();
    let e = |f: fn(&Rc<Engine>)| {
        let engine = Rc::clone(&engine);
        Callback::from(move |()| f(&engine))
    };

    let Some(name) = view.name.clone() else {
        let on_create = {
            let engine = Rc::clone(&engine);
            Callback::from(move |name: String| engine.create_profile(&name))
        };
        let on_import = {
            let engine = Rc::clone(&engine);
            Callback::from(move |file: web_sys::File| {
                let engine = Rc::clone(&engine);
                wasm_bindgen_futures::spawn_local(async move {
                    match dom::read_file(file).await {
                        Ok(text) => engine.import_profile(&text),
                        Err(e) => engine.notice(e),
                    }
                });
            })
        };
        return html! {
            <>
                <Onboarding {on_create} {on_import} />
                if let Some(notice) = &view.notice { <p class="notice" id="notice">{ notice }</p> }
            </>
        };
    };

    let status = if view.status == "online" {
        html! { <span class="status online" id="status">{ "online" }</span> }
    } else {
        html! { <span class="status offline" id="status">{ "offline, reconnecting…" }</span> }
    };
    let on_call = {
        let engine = Rc::clone(&engine);
        Callback::from(
            move |(id, media): (String, sotto_shared::wire::signal::Media)| engine.call(&id, media),
        )
    };
    let on_remove = {
        let engine = Rc::clone(&engine);
        Callback::from(move |id: String| engine.remove_contact(&id))
    };
    let on_copy = e(|e| e.copy_invite());
    let on_action = {
        let engine = Rc::clone(&engine);
        Callback::from(move |a: CallAction| match a {
            CallAction::Hangup => engine.hang_up(),
            CallAction::ToggleMic => engine.toggle_mic(),
            CallAction::ToggleCamera => engine.toggle_camera(),
            CallAction::FlipCamera => engine.flip_camera(),
            CallAction::ToggleScreen => engine.toggle_screen(),
            CallAction::Minimize => engine.toggle_minimized(),
            CallAction::MarkVerified => engine.mark_verified(),
            CallAction::PickMic(id) => engine.pick_mic(id),
            CallAction::PickCamera(id) => engine.pick_camera(id),
            CallAction::PickSpeaker(id) => engine.pick_speaker(id),
        })
    };
    let relay_only = {
        let engine = Rc::clone(&engine);
        Callback::from(move |e: Event| engine.set_relay_only(dom::is_checked(&e)))
    };
    let call = view.call.clone();
    let call_screen = |call: &crate::engine::CallView| {
        html! {
            <CallScreen call={call.clone()} local={engine.local_stream()} remote={engine.remote_camera()} screen={engine.remote_screen()}
                stats={view.stats.clone()} devices={view.devices.clone()} can_pick_speaker={media::can_pick_speaker()}
                on_action={on_action.clone()} />
        }
    };
    if view.kiosk.active {
        let on_kiosk = {
            let engine = Rc::clone(&engine);
            Callback::from(move |a: KioskAction| match a {
                KioskAction::Call(id) => engine.kiosk_call(&id),
                KioskAction::Accept(media) => engine.accept(media),
                KioskAction::Decline => engine.decline(),
                KioskAction::HangUp => engine.hang_up(),
                KioskAction::LongPress => engine.open_pin_pad(),
                KioskAction::Pin(key) => engine.pin_key(key),
            })
        };
        let screen = call.as_ref().map(call_screen).unwrap_or_default();
        return html! {
            <KioskScreen kiosk={view.kiosk.clone()} call={call.clone()} call_screen={screen}
                notice={view.notice.clone()} on_action={on_kiosk} />
        };
    }
    let kiosk_setup = view.kiosk.setup.clone().map(|setup| {
        let on_action = {
            let engine = Rc::clone(&engine);
            Callback::from(move |a: SetupAction| match a {
                SetupAction::Save(setup) => engine.save_kiosk(setup),
                SetupAction::Import(text) => engine.import_kiosk(&text),
                SetupAction::Enter => engine.enter_kiosk(),
                SetupAction::Close => engine.open_kiosk_setup(false),
            })
        };
        let on_file = {
            let engine = Rc::clone(&engine);
            Callback::from(move |file: web_sys::File| {
                let engine = Rc::clone(&engine);
                wasm_bindgen_futures::spawn_local(async move {
                    match dom::read_file(file).await {
                        Ok(text) => engine.import_kiosk(&text),
                        Err(e) => engine.notice(e),
                    }
                });
            })
        };
        html! { <KioskSetupForm {setup} {on_action} {on_file} /> }
    });
    let in_call = call.is_some();
    let full_screen_call = call.as_ref().is_some_and(|c| {
        !c.minimized
            && matches!(
                c.state,
                CallState::Connecting | CallState::Connected | CallState::Reconnecting
            )
    });

    html! {
        <div class={classes!("app", full_screen_call.then_some("in-call"))}>
            <header class="top">
                <strong class="brand">{ "sotto" }</strong>
                <span class="me" id="my-name">{ &name }</span>
                { status }
            </header>
            if view.unsupported {
                <p class="notice" id="unsupported">{ "This browser cannot encrypt calls (no RTCRtpScriptTransform), so it cannot make or take them. Use a current Chrome, Edge, Firefox or Safari." }</p>
            }
            if let Some(notice) = &view.notice {
                <p class="notice toast" id="notice" role="status">
                    <span>{ notice }</span>
                    <button class="close" aria-label="Close" title="Close" onclick={e(|e| e.dismiss_notice()).reform(|_: MouseEvent| ())}><Svg icon={Icon::Close} /></button>
                </p>
            } else if let Some(ended) = &view.ended {
                <p class="notice toast ended" id="call-ended" role="status" data-reason={serde_json::to_value(ended.reason).ok().and_then(|v| v.as_str().map(str::to_owned))}>
                    <span>{ format!("{} — {}", ended.peer_name, reason_text(ended.reason)) }</span>
                    <button class="close" aria-label="Close" title="Close" onclick={e(|e| e.dismiss_notice()).reform(|_: MouseEvent| ())}><Svg icon={Icon::Close} /></button>
                </p>
            }
            if let Some(invite) = &view.opened_invite {
                <AcceptInvite name={invite.name.clone()} existing={invite.existing} on_accept={e(|e| e.accept_invite())} on_ignore={e(|e| e.ignore_invite())} />
            }
            if let Some(call) = &call {
                if call.state == CallState::RingingIncoming {
                    <IncomingBanner name={call.peer_name.clone()} media={call.media}
                        on_accept={ { let engine = Rc::clone(&engine); Callback::from(move |m| engine.accept(m)) } }
                        on_decline={e(|e| e.decline())} />
                } else if call.state == CallState::RingingOutgoing {
                    <OutgoingScreen name={call.peer_name.clone()} media={call.media} on_cancel={e(|e| e.hang_up())} />
                } else {
                    { call_screen(call) }
                }
            }
            <main class="home">
                <div class="row">
                    <button id="invite-button" onclick={e(|e| e.make_invite()).reform(|_: MouseEvent| ())}>{ "Invite someone" }</button>
                </div>
                if let Some(link) = &view.invite_link {
                    <InvitePanel link={link.clone()} on_copy={on_copy} on_close={e(|e| e.close_invite())} />
                }
                { kiosk_setup.unwrap_or_default() }
                <h2>{ "Contacts" }</h2>
                <ContactList contacts={view.contacts.clone()} {in_call} {on_call} {on_remove} />
                if !view.missed.is_empty() {
                    <h2>{ "Missed calls" }</h2>
                    <ul class="missed" id="missed-calls">
                        { for view.missed.iter().map(|m| html! {
                            <li class="missed-call">
                                <time>{ dom::time_of_day(m.at_ms) }</time>
                                { format!(" {} ({}){}", m.peer_name,
                                    if m.media == sotto_shared::wire::signal::Media::Video { "video" } else { "audio" },
                                    if m.busy { ", while you were in a call" } else { "" }) }
                            </li>
                        }) }
                    </ul>
                }
                <details class="settings">
                    <summary>{ "Settings" }</summary>
                    <label>
                        <input type="checkbox" id="relay-only" checked={view.relay_only} onchange={relay_only} />
                        { " Hide my IP address (send media only through the relay" }
                        { if view.has_turn { ")" } else { "; this relay has no TURN server, so calls would fail)" } }
                    </label>
                    <button id="kiosk-setup-open" class="secondary" onclick={ { let engine = Rc::clone(&engine); Callback::from(move |_: MouseEvent| engine.open_kiosk_setup(true)) } }>{ "Kiosk mode…" }</button>
                    <button id="export-profile" class="secondary" onclick={e(|e| e.export_profile()).reform(|_: MouseEvent| ())}>{ "Export profile" }</button>
                </details>
                <DebugPanel counters={view.counters.clone()} stats={view.stats.clone()}
                    decrypt_failing={call.as_ref().is_some_and(|c| c.decrypt_failing)}
                    camera_resolution={view.camera_resolution.clone()} />
            </main>
        </div>
    }
}
