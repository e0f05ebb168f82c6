//! The kiosk's screens (issue #12): big touch targets and no text input anywhere. The page
//! picks the screen from the [`KioskView`]; every touch goes out through a callback.

pub mod call;
pub mod idle;
pub mod pin_pad;
pub mod setup;

use sotto_shared::wire::signal::Media;
use yew::prelude::*;

use crate::engine::CallView;
use crate::engine::kiosk_view::KioskView;

pub use pin_pad::PinKey;

/// What a touch on a kiosk screen asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KioskAction {
    /// Call the contact with this id.
    Call(String),
    /// Answer the ringing call.
    Accept(Media),
    /// Decline the ringing call (or stop the countdown).
    Decline,
    /// End the call.
    HangUp,
    /// The long press that opens the PIN pad.
    LongPress,
    /// A key of the PIN pad.
    Pin(PinKey),
}

#[derive(Properties, PartialEq)]
pub struct KioskScreenProps {
    pub kiosk: KioskView,
    pub call: Option<CallView>,
    /// The call view with its video, built by the page (it holds the streams).
    pub call_screen: Html,
    pub notice: Option<String>,
    pub on_action: Callback<KioskAction>,
}

/// The kiosk: the PIN pad over everything once opened; else the call, the countdown, the
/// ringing screen, or the idle screen.
#[function_component(KioskScreen)]
pub fn kiosk_screen(props: &KioskScreenProps) -> Html {
    let kiosk = &props.kiosk;
    let screen = if let Some(countdown) = &kiosk.countdown {
        html! { <call::Countdown countdown={countdown.clone()} on_action={props.on_action.clone()} /> }
    } else if let Some(call) = props.call.as_ref().filter(|_| kiosk.ringing) {
        html! { <call::Ringing name={call.peer_name.clone()} media={call.media} on_action={props.on_action.clone()} /> }
    } else if let Some(call) = &props.call {
        html! { <call::InCall call={call.clone()} call_screen={props.call_screen.clone()} on_action={props.on_action.clone()} /> }
    } else {
        html! { <idle::Idle kiosk={kiosk.clone()} on_action={props.on_action.clone()} /> }
    };
    html! {
        <div class="kiosk" id="kiosk">
            { screen }
            if let Some(digits) = kiosk.pin_digits {
                <pin_pad::PinPad {digits} on_key={props.on_action.reform(KioskAction::Pin)} />
            }
            if let Some(notice) = &props.notice {
                <p class="kiosk-notice" id="kiosk-notice" role="status">{ notice }</p>
            }
        </div>
    }
}
