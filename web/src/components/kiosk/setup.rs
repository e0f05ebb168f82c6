//! The kiosk's set-up, done once with a keyboard (outside kiosk mode): whom to answer by
//! themselves and with what, what the others' calls do, the countdown, the name, the ring
//! volume and the PIN; or the same as a JSON file, chosen or pasted.

use std::rc::Rc;

use sotto_client::{AutoAnswer, KioskSetup, Others};
use sotto_shared::PeerId;
use sotto_shared::wire::signal::Media;
use yew::prelude::*;

use crate::browser::dom;
use crate::engine::kiosk_view::SetupView;

/// What the set-up screen asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupAction {
    /// Store this configuration.
    Save(KioskSetup),
    /// Read a configuration file's text.
    Import(String),
    /// Enter kiosk mode.
    Enter,
    /// Close the set-up.
    Close,
}

#[derive(Properties, PartialEq)]
pub struct KioskSetupProps {
    pub setup: SetupView,
    pub on_action: Callback<SetupAction>,
    pub on_file: Callback<web_sys::File>,
}

fn draft_of(setup: &SetupView) -> KioskSetup {
    KioskSetup {
        name: setup.name.clone(),
        auto_answer: setup
            .contacts
            .iter()
            .filter_map(|c| {
                c.answer.map(|media| AutoAnswer {
                    contact: PeerId(c.id.clone()),
                    media,
                })
            })
            .collect(),
        others: setup.others,
        countdown_secs: Some(setup.countdown_secs),
        ring_volume: Some(setup.ring_volume),
        pin: None,
    }
}

/// `none`, `audio` or `video` as a select's value.
fn answer_value(answer: Option<Media>) -> &'static str {
    match answer {
        None => "none",
        Some(Media::Audio) => "audio",
        Some(Media::Video) => "video",
    }
}

#[function_component(KioskSetupForm)]
pub fn kiosk_setup_form(props: &KioskSetupProps) -> Html {
    // The draft is the form's own (the inputs hold what is typed); a mutable cell, so two
    // changes before a re-render both count, and Save reads the latest.
    let draft = use_mut_ref(|| draft_of(&props.setup));
    let pasted = use_mut_ref(String::new);
    // One handler shape for every field: read the value, change the draft. Text fields
    // take every keystroke (`input`), so a Save right after typing has it all.
    let field = |apply: fn(&mut KioskSetup, String)| {
        let draft = Rc::clone(&draft);
        Callback::from(move |e: Event| apply(&mut draft.borrow_mut(), dom::value_of(&e)))
    };
    let answer_for = |id: String| {
        let draft = Rc::clone(&draft);
        Callback::from(move |e: Event| {
            let mut next = draft.borrow_mut();
            next.auto_answer.retain(|a| a.contact.0 != id);
            let media = match dom::value_of(&e).as_str() {
                "audio" => Some(Media::Audio),
                "video" => Some(Media::Video),
                _ => None,
            };
            if let Some(media) = media {
                next.auto_answer.push(AutoAnswer {
                    contact: PeerId(id.clone()),
                    media,
                });
            }
        })
    };
    let save = {
        let (draft, on_action) = (Rc::clone(&draft), props.on_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_action.emit(SetupAction::Save(draft.borrow().clone()));
        })
    };
    let on_file = {
        let on_file = props.on_file.clone();
        Callback::from(move |e: Event| {
            if let Some(file) = dom::chosen_file(&e) {
                on_file.emit(file);
            }
        })
    };
    let import_pasted = {
        let (pasted, on_action) = (Rc::clone(&pasted), props.on_action.clone());
        Callback::from(move |_: MouseEvent| {
            on_action.emit(SetupAction::Import(pasted.borrow().clone()))
        })
    };
    let d = draft.borrow().clone();
    let answered = |id: &str| {
        d.auto_answer
            .iter()
            .find(|a| a.contact.0 == id)
            .map(|a| a.media)
    };
    html! {
        <section class="kiosk-setup" id="kiosk-setup" aria-label="Kiosk set-up">
            <h2>{ "Kiosk mode" }</h2>
            <p class="hint">{ "A display with no keyboard that answers the people it trusts by itself. Set it up here, then enter kiosk mode (or open this page at /#/kiosk)." }</p>
            <form onsubmit={save}>
                <label>{ "Name on the screen " }
                    <input id="kiosk-name-input" maxlength="40" value={d.name.clone()} placeholder="e.g. Grandma's table"
                        oninput={field(|s, v| s.name = v).reform(Event::from)} />
                </label>
                <h3>{ "Who is answered by themselves" }</h3>
                <ul class="kiosk-setup-contacts">
                    { for props.setup.contacts.iter().map(|c| {
                        let current = answer_value(answered(&c.id));
                        html! {
                            <li>
                                <label>{ format!("{} ", c.name) }
                                    <select class="kiosk-answer" data-name={c.name.clone()} onchange={answer_for(c.id.clone())}>
                                        <option value="none" selected={current == "none"}>{ "not by itself" }</option>
                                        <option value="audio" selected={current == "audio"}>{ "audio" }</option>
                                        <option value="video" selected={current == "video"}>{ "video" }</option>
                                    </select>
                                </label>
                            </li>
                        }
                    }) }
                </ul>
                <label>{ "Calls from anyone else " }
                    <select id="kiosk-others" onchange={field(|s, v| s.others = if v == "busy" { Others::Busy } else { Others::Ring })}>
                        <option value="ring" selected={d.others == Others::Ring}>{ "ring, with Accept and Decline" }</option>
                        <option value="busy" selected={d.others == Others::Busy}>{ "are refused as busy" }</option>
                    </select>
                </label>
                <label>{ "Countdown before answering (seconds) " }
                    <input id="kiosk-countdown" type="number" min="1" max="30" value={d.countdown_secs.unwrap_or(3).to_string()}
                        oninput={field(|s, v| s.countdown_secs = Some(v.trim().parse().unwrap_or(0))).reform(Event::from)} />
                </label>
                <label>{ "Ring volume " }
                    <input id="kiosk-volume" type="range" min="0" max="100" value={d.ring_volume.unwrap_or(80).to_string()}
                        onchange={field(|s, v| s.ring_volume = v.trim().parse().ok())} />
                </label>
                <label>{ if props.setup.has_pin { "New PIN to leave kiosk mode (empty: keep the current one) " } else { "PIN to leave kiosk mode (4 to 8 digits) " } }
                    <input id="kiosk-pin" type="password" inputmode="numeric" autocomplete="off" maxlength="8"
                        oninput={field(|s, v| s.pin = Some(v).filter(|p| !p.is_empty())).reform(Event::from)} />
                </label>
                <div class="row">
                    <button id="kiosk-save" type="submit">{ "Save" }</button>
                    <button id="kiosk-enter" type="button" disabled={!props.setup.has_pin}
                        onclick={props.on_action.reform(|_: MouseEvent| SetupAction::Enter)}>{ "Enter kiosk mode" }</button>
                    <button id="kiosk-close" type="button" class="secondary"
                        onclick={props.on_action.reform(|_: MouseEvent| SetupAction::Close)}>{ "Close" }</button>
                </div>
            </form>
            <details class="kiosk-import">
                <summary>{ "Import a configuration (JSON)" }</summary>
                <p class="hint">{ r#"{"name": "Hall", "auto_answer": [{"contact": "Bob", "media": "video"}], "others": "busy", "countdown_secs": 3, "ring_volume": 80, "pin": "2468"} — contacts by name or id."# }</p>
                <input id="kiosk-import-file" type="file" accept="application/json,.json" onchange={on_file} />
                <textarea id="kiosk-import-text" rows="4" placeholder="or paste it here"
                    oninput={ { let pasted = Rc::clone(&pasted); Callback::from(move |e: InputEvent| *pasted.borrow_mut() = dom::value_of(&e)) } } />
                <button id="kiosk-import" type="button" onclick={import_pasted}>{ "Import" }</button>
            </details>
        </section>
    }
}
