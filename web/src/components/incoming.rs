//! The incoming-call banner and the outgoing-call screen.

use sotto_shared::wire::signal::Media;
use yew::prelude::*;

use super::icons::{Icon, Svg};

#[derive(Properties, PartialEq)]
pub struct IncomingProps {
    pub name: String,
    pub media: Media,
    pub on_accept: Callback<Media>,
    pub on_decline: Callback<()>,
}

#[function_component(IncomingBanner)]
pub fn incoming_banner(props: &IncomingProps) -> Html {
    let what = if props.media == Media::Video {
        "video"
    } else {
        "audio"
    };
    html! {
        <section class="banner incoming" id="incoming-banner" role="alertdialog" aria-label="Incoming call">
            <div class="who">
                <strong>{ &props.name }</strong>
                <span>{ format!(" is calling you ({what})…") }</span>
            </div>
            <div class="actions">
                if props.media == Media::Video {
                    <button id="accept-video" class="accept" onclick={props.on_accept.reform(|_| Media::Video)}><Svg icon={Icon::Video} />{ "Accept with video" }</button>
                }
                <button id="accept-audio" class="accept" onclick={props.on_accept.reform(|_| Media::Audio)}><Svg icon={Icon::Phone} />{ "Accept audio" }</button>
                <button id="decline" class="end" onclick={props.on_decline.reform(|_| ())}><Svg icon={Icon::HangUp} />{ "Decline" }</button>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct OutgoingProps {
    pub name: String,
    pub media: Media,
    pub on_cancel: Callback<()>,
}

#[function_component(OutgoingScreen)]
pub fn outgoing_screen(props: &OutgoingProps) -> Html {
    html! {
        <section class="outgoing" id="outgoing-screen">
            <p class="calling">{ format!("Calling {}…", props.name) }</p>
            <p class="hint">{ if props.media == Media::Video { "Video call" } else { "Audio call" } }</p>
            // The same id as the call view's "End call": one control hangs up in every state.
            <button id="hangup" class="end" onclick={props.on_cancel.reform(|_| ())}><Svg icon={Icon::HangUp} />{ "Cancel" }</button>
        </section>
    }
}
