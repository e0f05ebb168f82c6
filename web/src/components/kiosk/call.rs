//! The kiosk's call screens: the countdown before an answer, a call that waits for a person
//! (big Accept/Decline), and the call itself with who is on the line in large type and the
//! security code.

use sotto_shared::wire::signal::Media;
use yew::prelude::*;

use super::KioskAction;
use crate::engine::CallView;
use crate::engine::kiosk_view::CountdownView;

#[derive(Properties, PartialEq)]
pub struct CountdownProps {
    pub countdown: CountdownView,
    pub on_action: Callback<KioskAction>,
}

#[function_component(Countdown)]
pub fn countdown(props: &CountdownProps) -> Html {
    let c = &props.countdown;
    let what = if c.media == Media::Video {
        "video"
    } else {
        "audio"
    };
    html! {
        <section class="kiosk-countdown" id="kiosk-countdown" role="alertdialog" aria-label="Answering">
            <p class="kiosk-caller" id="kiosk-caller">{ &c.peer_name }</p>
            <p class="kiosk-answering">{ format!("is calling — answering with {what} in") }</p>
            <p class="kiosk-seconds" id="kiosk-seconds">{ c.seconds_left }</p>
            <button class="kiosk-big end" id="kiosk-decline" onclick={props.on_action.reform(|_: MouseEvent| KioskAction::Decline)}>{ "Do not answer" }</button>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct RingingProps {
    pub name: String,
    pub media: Media,
    pub on_action: Callback<KioskAction>,
}

#[function_component(Ringing)]
pub fn ringing(props: &RingingProps) -> Html {
    html! {
        <section class="kiosk-ringing" id="kiosk-ringing" role="alertdialog" aria-label="Incoming call">
            <p class="kiosk-caller" id="kiosk-caller">{ &props.name }</p>
            <p class="kiosk-answering">{ "is calling" }</p>
            <div class="kiosk-buttons">
                <button class="kiosk-big accept" id="kiosk-accept" onclick={props.on_action.reform({
                    let media = props.media;
                    move |_: MouseEvent| KioskAction::Accept(media)
                })}>{ "Accept" }</button>
                <button class="kiosk-big end" id="kiosk-decline" onclick={props.on_action.reform(|_: MouseEvent| KioskAction::Decline)}>{ "Decline" }</button>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct InCallProps {
    pub call: CallView,
    pub call_screen: Html,
    pub on_action: Callback<KioskAction>,
}

#[function_component(InCall)]
pub fn in_call(props: &InCallProps) -> Html {
    let call = &props.call;
    html! {
        <section class="kiosk-call" id="kiosk-call">
            <header class="kiosk-call-head">
                <p class="kiosk-caller" id="kiosk-call-name">{ &call.peer_name }</p>
                if let Some(code) = &call.security_code {
                    <p class="kiosk-code" id="kiosk-code">{ format!("Security code {code}") }</p>
                }
            </header>
            { props.call_screen.clone() }
            <button class="kiosk-big end" id="kiosk-hangup" onclick={props.on_action.reform(|_: MouseEvent| KioskAction::HangUp)}>{ "End call" }</button>
        </section>
    }
}
