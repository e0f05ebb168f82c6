//! Making and accepting invitations.

use yew::prelude::*;

use super::qr::Qr;

#[derive(Properties, PartialEq)]
pub struct InvitePanelProps {
    pub link: String,
    pub on_copy: Callback<()>,
    pub on_close: Callback<()>,
}

/// Our invitation: link, copy button, QR code.
#[function_component(InvitePanel)]
pub fn invite_panel(props: &InvitePanelProps) -> Html {
    let copy = props.on_copy.reform(|_: MouseEvent| ());
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <section class="panel invite" id="invite-panel">
            <h2>{ "Invite someone" }</h2>
            <p>{ "Send this link privately (or let them scan the code). It works once." }</p>
            <div class="row">
                <input id="invite-link" readonly=true value={props.link.clone()} />
                <button id="copy-invite" onclick={copy}>{ "Copy" }</button>
            </div>
            <Qr text={props.link.clone()} />
            <button class="secondary" onclick={close}>{ "Done" }</button>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct AcceptInviteProps {
    pub name: String,
    /// The inviter is already a contact: say so, with nothing to accept.
    pub existing: bool,
    pub on_accept: Callback<()>,
    pub on_ignore: Callback<()>,
}

/// An invitation opened from a link.
#[function_component(AcceptInvite)]
pub fn accept_invite(props: &AcceptInviteProps) -> Html {
    if props.existing {
        return html! {
            <section class="panel" id="invite-prompt">
                <p id="invite-existing">{ format!("{} is already in your contacts", props.name) }</p>
                <button class="secondary" onclick={props.on_ignore.reform(|_| ())}>{ "OK" }</button>
            </section>
        };
    }
    html! {
        <section class="panel" id="invite-prompt">
            <h2>{ format!("Add {} as a contact?", props.name) }</h2>
            <p>{ "They will be able to call you, and you them." }</p>
            <button id="accept-invite" onclick={props.on_accept.reform(|_| ())}>{ "Add contact" }</button>
            <button class="secondary" onclick={props.on_ignore.reform(|_| ())}>{ "Not now" }</button>
        </section>
    }
}
