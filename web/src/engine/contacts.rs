//! Contacts (DESIGN §2): invitations, the two-message handshake, removal, and routing each
//! incoming relay message to the right handler.

use std::rc::Rc;

use sotto_shared::call::Peer;
use sotto_shared::crypto::{Opener, Sealer};
use sotto_shared::wire::invite::Invitation;
use sotto_shared::wire::relay::{ClientMsg, MsgId, Payload, RcvId, ServerMsg, SndId};
use sotto_shared::wire::signal::{ContactAccepted, ContactRequest, Signal, SignalBody};
use sotto_shared::{Duration, PeerId};

use super::{Engine, now, rng};
use crate::browser::dom;
use crate::model::{OpenInvite, Route};

impl Engine {
    /// Shows the invitation in the URL, if any, for the user to accept.
    pub(super) fn read_invite_from_url(&self) {
        let hash = dom::hash();
        if !hash.starts_with("#/invite/") {
            return;
        }
        match Invitation::from_link(&hash) {
            Ok(invite) => self.inner.borrow_mut().view.incoming_invite = Some(invite),
            Err(e) => self.inner.borrow_mut().view.notice = Some(e.to_string()),
        }
        self.changed();
    }

    /// Makes a one-time invitation link (and QR code).
    pub fn make_invite(self: &Rc<Self>) {
        let existing = self
            .inner
            .borrow()
            .book
            .as_ref()
            .and_then(|b| b.invites.last().map(|i| i.link.clone()));
        if let Some(link) = existing {
            self.inner.borrow_mut().view.invite_link = Some(link);
            return self.changed();
        }
        let Some(relay) = self.inner.borrow().relay.clone() else {
            return;
        };
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Ok(ServerMsg::QueueCreated { rcv_id, snd_id, .. }) =
                relay.request(|id| ClientMsg::CreateQueue { id }).await
            else {
                return this
                    .set_notice("Could not reach the relay to make an invitation. Try again.");
            };
            let _ = relay
                .request(|id| ClientMsg::Subscribe { id, rcv_id })
                .await;
            let (pk, name) = {
                let inner = this.inner.borrow();
                (
                    inner.identity.as_ref().map(|i| i.public()),
                    inner.view.name.clone().unwrap_or_default(),
                )
            };
            let Some(pk) = pk else { return };
            let origin = dom::origin();
            let invite = Invitation {
                v: 1,
                relay: origin.clone(),
                snd_id,
                pk,
                name,
            };
            let link = invite.to_link(&origin);
            {
                let mut inner = this.inner.borrow_mut();
                if let Some(book) = &mut inner.book {
                    book.invites.push(OpenInvite {
                        rcv_id,
                        snd_id,
                        link: link.clone(),
                    });
                }
                inner.view.invite_link = Some(link);
            }
            this.save();
        });
    }

    /// Hides the invitation panel.
    pub fn close_invite(&self) {
        self.inner.borrow_mut().view.invite_link = None;
        self.changed();
    }

    /// Declines the invitation from the URL.
    pub fn ignore_invite(&self) {
        self.inner.borrow_mut().view.incoming_invite = None;
        dom::clear_hash();
        self.changed();
    }

    /// Accepts the invitation from the URL: a queue for them, a sealed contact request.
    pub fn accept_invite(self: &Rc<Self>) {
        let Some(invite) = self.inner.borrow_mut().view.incoming_invite.take() else {
            return;
        };
        dom::clear_hash();
        self.changed();
        let own_pk = self.inner.borrow().identity.as_ref().map(|i| i.public());
        if own_pk == Some(invite.pk) {
            return self.set_notice("That is your own invitation. Send it to someone else.");
        }
        let (Some(home), Some(target)) = (
            self.inner.borrow().relay.clone(),
            self.relay_for(&invite.relay),
        ) else {
            return;
        };
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Ok(ServerMsg::QueueCreated { rcv_id, snd_id, .. }) =
                home.request(|id| ClientMsg::CreateQueue { id }).await
            else {
                return this.set_notice("Could not reach the relay. Open the link again to retry.");
            };
            let _ = home.request(|id| ClientMsg::Subscribe { id, rcv_id }).await;
            let request = {
                let mut inner = this.inner.borrow_mut();
                let name = inner.view.name.clone().unwrap_or_default();
                let Some(identity) = inner.identity.clone() else {
                    return;
                };
                let Some(book) = &mut inner.book else { return };
                book.upsert_contact(&invite.name, invite.pk, None, rcv_id);
                let signal = Signal::new(SignalBody::ContactRequest(ContactRequest {
                    pk: identity.public(),
                    relay: dom::origin(),
                    snd_id,
                    name,
                }));
                Sealer::base(invite.pk).seal(&signal.to_json(), &mut rng())
            };
            this.save();
            let Ok(sealed) = request else {
                return this.set_notice("This invitation's key is not usable.");
            };
            match target
                .request(|id| ClientMsg::Send {
                    id,
                    snd_id: invite.snd_id,
                    payload: Payload(sealed),
                })
                .await
            {
                Ok(ServerMsg::Ok { .. }) => this.set_notice(format!(
                    "Request sent. {} appears as ready once they are online.",
                    invite.name
                )),
                Ok(ServerMsg::Error { message, .. }) => this.set_notice(format!(
                    "The invitation could not be used: {message} (it may have been used already)."
                )),
                _ => this.set_notice("The relay did not answer. Open the link again to retry."),
            }
        });
    }

    /// Removes a contact: tells them, and deletes our queue for them.
    pub fn remove_contact(self: &Rc<Self>, id: &str) {
        let removed = {
            let mut inner = self.inner.borrow_mut();
            let Some(book) = &mut inner.book else { return };
            let Some(pos) = book.contacts.iter().position(|c| c.id == id) else {
                return;
            };
            book.contacts.remove(pos)
        };
        self.save();
        let Some(home) = self.inner.borrow().relay.clone() else {
            return;
        };
        let identity = self.inner.borrow().identity.clone();
        let route = removed
            .send
            .clone()
            .and_then(|r| Some((self.relay_for(&r.relay)?, r.snd_id)));
        wasm_bindgen_futures::spawn_local(async move {
            if let (Some(identity), Some((relay, snd_id))) = (identity, route) {
                if let Ok(sealed) = Sealer::auth(&identity, removed.pk).seal(
                    &Signal::new(SignalBody::ContactRemoved).to_json(),
                    &mut rng(),
                ) {
                    let _ = relay
                        .request(|id| ClientMsg::Send {
                            id,
                            snd_id,
                            payload: Payload(sealed),
                        })
                        .await;
                }
            }
            home.forget_subscription(&removed.recv);
            let _ = home
                .request(|id| ClientMsg::DeleteQueue {
                    id,
                    rcv_id: removed.recv,
                })
                .await;
        });
    }

    /// A push from our relay.
    pub(super) fn on_push(self: &Rc<Self>, msg: ServerMsg) {
        match msg {
            ServerMsg::Message {
                rcv_id,
                msg_id,
                ts,
                payload,
            } => self.on_message(rcv_id, msg_id, ts, &payload.0),
            ServerMsg::SubscriptionEnded { .. } => {
                self.set_notice("sotto was opened in another tab or window; this one no longer receives calls. Reload to take over.");
            }
            _ => {}
        }
    }

    fn on_message(self: &Rc<Self>, rcv_id: RcvId, msg_id: MsgId, ts: u64, payload: &[u8]) {
        let Some(identity) = self.inner.borrow().identity.clone() else {
            return;
        };
        let (is_invite, contact) = {
            let inner = self.inner.borrow();
            let Some(book) = &inner.book else { return };
            (
                book.invites.iter().any(|i| i.rcv_id == rcv_id),
                book.contact_by_queue(&rcv_id).cloned(),
            )
        };
        let opened = if is_invite {
            Opener::base(&identity).open(payload)
        } else if let Some(contact) = &contact {
            Opener::auth(&identity, contact.pk).open(payload)
        } else {
            // A queue we no longer know (a removed contact): nothing to do but clear it.
            return self.ack(rcv_id, msg_id);
        };
        let signal = match opened.map(|json| Signal::from_json(&json)) {
            Ok(Ok(signal)) => signal,
            Ok(Err(e)) => {
                web_sys::console::warn_1(&format!("dropped a message: {e}").into());
                return self.ack(rcv_id, msg_id);
            }
            Err(_) => {
                // Wrong key or tampered: acked, dropped and counted (DESIGN §2).
                self.inner.borrow_mut().view.rejected_envelopes += 1;
                self.changed();
                return self.ack(rcv_id, msg_id);
            }
        };
        match (signal.body, contact) {
            (SignalBody::ContactRequest(request), None) if is_invite => {
                self.on_contact_request(rcv_id, msg_id, request);
            }
            (SignalBody::ContactAccepted(accepted), Some(contact)) => {
                self.on_contact_accepted(&contact.id, accepted);
                self.ack(rcv_id, msg_id);
            }
            (SignalBody::ContactRemoved, Some(contact)) => {
                self.set_notice(format!("{} removed you from their contacts.", contact.name));
                self.ack(rcv_id, msg_id);
            }
            (SignalBody::Call(call), Some(contact)) => {
                let age = Duration(now().0.saturating_sub(ts));
                let from = Peer {
                    id: PeerId(contact.id.clone()),
                    identity: contact.pk,
                };
                let call_id = call.call_id;
                let is_invite_msg =
                    matches!(call.msg, sotto_shared::wire::signal::CallMsg::Invite { .. });
                self.input(sotto_shared::call::Input::Signal {
                    from,
                    age,
                    signal: call,
                });
                let ringing = self
                    .inner
                    .borrow()
                    .phone
                    .as_ref()
                    .and_then(|p| p.call())
                    .is_some_and(|c| {
                        c.call_id == call_id
                            && c.state == sotto_shared::call::CallState::RingingIncoming
                    });
                if is_invite_msg && ringing {
                    self.inner
                        .borrow_mut()
                        .unacked_invites
                        .push((call_id, rcv_id, msg_id));
                } else {
                    self.ack(rcv_id, msg_id);
                }
            }
            _ => self.ack(rcv_id, msg_id),
        }
    }

    /// Someone used our invitation: make them a queue, confirm, retire the invitation.
    fn on_contact_request(
        self: &Rc<Self>,
        invite_rcv: RcvId,
        msg_id: MsgId,
        request: ContactRequest,
    ) {
        let Some(home) = self.inner.borrow().relay.clone() else {
            return;
        };
        let Some(target) = self.relay_for(&request.relay) else {
            return;
        };
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Ok(ServerMsg::QueueCreated { rcv_id, snd_id, .. }) =
                home.request(|id| ClientMsg::CreateQueue { id }).await
            else {
                return; // not acked: the request comes again after reconnecting
            };
            let _ = home.request(|id| ClientMsg::Subscribe { id, rcv_id }).await;
            let sealed = {
                let mut inner = this.inner.borrow_mut();
                let Some(identity) = inner.identity.clone() else {
                    return;
                };
                let Some(book) = &mut inner.book else { return };
                let route = Route {
                    relay: request.relay.clone(),
                    snd_id: request.snd_id,
                };
                book.upsert_contact(&request.name, request.pk, Some(route), rcv_id);
                book.invites.retain(|i| i.rcv_id != invite_rcv);
                inner.view.invite_link = None;
                let accepted = Signal::new(SignalBody::ContactAccepted(ContactAccepted {
                    relay: dom::origin(),
                    snd_id,
                }));
                Sealer::auth(&identity, request.pk).seal(&accepted.to_json(), &mut rng())
            };
            this.save();
            if let Ok(sealed) = sealed {
                let to: SndId = request.snd_id;
                let _ = target
                    .request(|id| ClientMsg::Send {
                        id,
                        snd_id: to,
                        payload: Payload(sealed),
                    })
                    .await;
            }
            // One-time: the invitation queue is done.
            let _ = home
                .request(|id| ClientMsg::Ack {
                    id,
                    rcv_id: invite_rcv,
                    msg_id,
                })
                .await;
            home.forget_subscription(&invite_rcv);
            let _ = home
                .request(|id| ClientMsg::DeleteQueue {
                    id,
                    rcv_id: invite_rcv,
                })
                .await;
            this.set_notice(format!("{} is now a contact.", request.name));
        });
    }

    fn on_contact_accepted(self: &Rc<Self>, contact_id: &str, accepted: ContactAccepted) {
        let name = {
            let mut inner = self.inner.borrow_mut();
            let Some(book) = &mut inner.book else { return };
            let Some(contact) = book.contacts.iter_mut().find(|c| c.id == contact_id) else {
                return;
            };
            contact.send = Some(Route {
                relay: accepted.relay,
                snd_id: accepted.snd_id,
            });
            contact.name.clone()
        };
        self.save();
        self.set_notice(format!("{name} is now a contact."));
    }
}
