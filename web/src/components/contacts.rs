//! The contact list with call buttons.

use sotto_shared::wire::signal::Media;
use yew::prelude::*;

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
                        <span class="name">{ &c.name }</span>
                        if !c.ready { <span class="pending">{ " (waiting for them to confirm)" }</span> }
                        <span class="actions">
                            <button class="call-audio" title="Audio call" disabled={disabled} onclick={call_audio}>{ "📞 Audio" }</button>
                            <button class="call-video" title="Video call" disabled={disabled} onclick={call_video}>{ "🎥 Video" }</button>
                            <button class="remove-contact secondary" title="Remove contact" onclick={remove}>{ "✕" }</button>
                        </span>
                    </li>
                }
            }) }
        </ul>
    }
}
