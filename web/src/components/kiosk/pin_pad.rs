//! The on-screen PIN pad that leaves kiosk mode: big digits, no keyboard. It shows only how
//! many digits were pressed.

use yew::prelude::*;

/// A key of the pad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinKey {
    /// A digit.
    Digit(u8),
    /// Take the last digit back.
    Back,
    /// Check the PIN.
    Ok,
    /// Close the pad.
    Cancel,
}

#[derive(Properties, PartialEq)]
pub struct PinPadProps {
    pub digits: usize,
    pub on_key: Callback<PinKey>,
}

#[function_component(PinPad)]
pub fn pin_pad(props: &PinPadProps) -> Html {
    let key = |label: String, id: Option<&'static str>, k: PinKey| {
        let digit = match k {
            PinKey::Digit(d) => Some(d.to_string()),
            _ => None,
        };
        html! {
            <button class="pin-key" id={id} data-digit={digit} onclick={props.on_key.reform(move |_: MouseEvent| k)}>{ label }</button>
        }
    };
    let dots = format!(
        "{}{}",
        "●".repeat(props.digits),
        "○".repeat(4usize.saturating_sub(props.digits))
    );
    html! {
        <section class="pin-pad" id="pin-pad" role="dialog" aria-label="Enter the PIN to leave kiosk mode">
            <p class="pin-title">{ "Enter the PIN to leave kiosk mode" }</p>
            <p class="pin-dots" id="pin-dots" aria-live="polite">{ dots }</p>
            <div class="pin-keys">
                { for (1..=9).map(|d| key(d.to_string(), None, PinKey::Digit(d))) }
                { key("⌫".into(), Some("pin-back"), PinKey::Back) }
                { key("0".into(), None, PinKey::Digit(0)) }
                { key("OK".into(), Some("pin-ok"), PinKey::Ok) }
            </div>
            <button class="pin-cancel" id="pin-cancel" onclick={props.on_key.reform(|_: MouseEvent| PinKey::Cancel)}>{ "Back to the kiosk" }</button>
        </section>
    }
}
