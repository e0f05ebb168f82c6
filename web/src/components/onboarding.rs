//! First visit: pick a display name, or import a profile.

use crate::browser::dom;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct OnboardingProps {
    pub on_create: Callback<String>,
    pub on_import: Callback<web_sys::File>,
}

#[function_component(Onboarding)]
pub fn onboarding(props: &OnboardingProps) -> Html {
    let name = use_node_ref();
    let submit = {
        let (name, on_create) = (name.clone(), props.on_create.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_create.emit(dom::input_value(name.cast()));
        })
    };
    let import = {
        let on_import = props.on_import.clone();
        Callback::from(move |e: Event| {
            if let Some(file) = dom::chosen_file(&e) {
                on_import.emit(file);
            }
        })
    };
    html! {
        <main class="onboarding">
            <h1>{ "sotto" }</h1>
            <p>{ "End-to-end encrypted calls. Your identity and contacts stay in this browser." }</p>
            <form onsubmit={submit}>
                <label for="name-input">{ "Your name, as your contacts will see it" }</label>
                <input id="name-input" ref={name} maxlength="40" autocomplete="nickname" placeholder="e.g. Alice" />
                <button id="create-profile" type="submit">{ "Start" }</button>
            </form>
            <label class="import">{ "Or restore an exported profile: " }
                <input id="import-profile" type="file" accept="application/json,.json" onchange={import} />
            </label>
        </main>
    }
}
