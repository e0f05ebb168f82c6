//! The idle screen: the kiosk's name, the time, the connection, and a big tile per contact
//! that calls with one tap. A long press on the top-left corner opens the PIN pad.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use super::KioskAction;
use crate::engine::kiosk_view::KioskView;

/// How long the corner must be held: long enough that nobody leaves by accident.
const LONG_PRESS_MS: u32 = 2_000;

#[derive(Properties, PartialEq)]
pub struct IdleProps {
    pub kiosk: KioskView,
    pub on_action: Callback<KioskAction>,
}

#[function_component(Idle)]
pub fn idle(props: &IdleProps) -> Html {
    let kiosk = &props.kiosk;
    let status = if kiosk.online {
        html! { <span class="kiosk-status online" id="kiosk-status">{ "Connected" }</span> }
    } else {
        html! { <span class="kiosk-status offline" id="kiosk-status">{ "Offline, reconnecting…" }</span> }
    };
    html! {
        <section class="kiosk-idle" id="kiosk-idle">
            <LongPressCorner on_long_press={props.on_action.reform(|()| KioskAction::LongPress)} />
            <header class="kiosk-head">
                <h1 id="kiosk-name">{ &kiosk.name }</h1>
                <time class="kiosk-time" id="kiosk-time">{ &kiosk.time }</time>
                { status }
            </header>
            <ul class="kiosk-tiles">
                { for kiosk.tiles.iter().map(|tile| {
                    let id = tile.id.clone();
                    html! {
                        <li>
                            <button class="kiosk-tile" data-name={tile.name.clone()} disabled={!tile.ready || !kiosk.online}
                                onclick={props.on_action.reform(move |_: MouseEvent| KioskAction::Call(id.clone()))}>
                                <span class="initial">{ tile.name.chars().next().unwrap_or('?') }</span>
                                <span class="tile-name">{ &tile.name }</span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct CornerProps {
    on_long_press: Callback<()>,
}

/// An invisible corner that fires after being held for [`LONG_PRESS_MS`]; letting go
/// earlier cancels.
#[function_component(LongPressCorner)]
fn long_press_corner(props: &CornerProps) -> Html {
    let timer: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    let down = {
        let (timer, fire) = (Rc::clone(&timer), props.on_long_press.clone());
        Callback::from(move |_: PointerEvent| {
            let fire = fire.clone();
            *timer.borrow_mut() = Some(Timeout::new(LONG_PRESS_MS, move || fire.emit(())));
        })
    };
    let cancel = {
        let timer = Rc::clone(&timer);
        // Dropping the timeout cancels it.
        Callback::from(move |_: PointerEvent| drop(timer.borrow_mut().take()))
    };
    html! {
        <div class="kiosk-corner" id="kiosk-corner" aria-hidden="true"
            onpointerdown={down} onpointerup={cancel.clone()} onpointerleave={cancel.clone()} onpointercancel={cancel} />
    }
}
