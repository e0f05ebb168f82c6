//! The contact list with call buttons.

use sotto_shared::wire::signal::Media;
use yew::prelude::*;

use super::icons::{Icon, Svg};
use crate::engine::ContactView;

#[derive(Properties, PartialEq)]
pub struct ContactListProps {
    pub contacts: Vec<ContactView>,
    pub in_call: bool,
    pub on_call: Callback<(String, Media)>,
    pub on_remove: Callback<String>,
}

#[function_component(ContactList)]
pub fn contact_list(props: &ContactListProps) -> Html {
    if props.contacts.is_empty() {
        return html! { <p class="empty" id="no-contacts">{ "No contacts yet. Invite someone to start." }</p> };
    }
    html! {
        <ul class="contacts" id="contacts">
            { for props.contacts.iter().map(|c| {
                let (id_a, id_v, id_r) = (c.id.clone(), c.id.clone(), c.id.clone());
                let call_audio = props.on_call.reform(move |_: MouseEvent| (id_a.clone(), Media::Audio));
                let call_video = props.on_call.reform(move |_: MouseEvent| (id_v.clone(), Media::Video));
                let name = c.name.clone();
                let remove = props.on_remove.reform(move |_: MouseEvent| id_r.clone());
                let remove = Callback::from(move |e: MouseEvent| {
                    if crate::browser::dom::confirm(&format!("Remove {name}?")) { remove.emit(e); }
                });
                let disabled = !c.ready || props.in_call;
                html! {
                    <li class="contact" data-name={c.name.clone()}>
                        <span class="avatar small" aria-hidden="true">{ c.name.chars().next().map(|ch| ch.to_uppercase().to_string()).unwrap_or_default() }</span>
                        <span class="name">{ &c.name }
                            if c.verified {
                                <span class="verified" title="Verified: you compared security codes" aria-label="verified"><Svg icon={Icon::Check} /></span>
                            }
                            if c.key_changed {
                                <span class="key-changed" title="Their identity key is not the one you verified">{ " key changed" }</span>
                            }
                            if !c.ready { <span class="pending">{ " waiting for them to confirm" }</span> }
                        </span>
                        <span class="actions">
                            <button class="call-audio round" title="Audio call" aria-label={format!("Audio call with {}", c.name)} disabled={disabled} onclick={call_audio}><Svg icon={Icon::Phone} /></button>
                            <button class="call-video round" title="Video call" aria-label={format!("Video call with {}", c.name)} disabled={disabled} onclick={call_video}><Svg icon={Icon::Video} /></button>
                            <button class="remove-contact round secondary" title="Remove contact" aria-label={format!("Remove {}", c.name)} onclick={remove}><Svg icon={Icon::Close} /></button>
                        </span>
                    </li>
                }
            }) }
        </ul>
    }
}
