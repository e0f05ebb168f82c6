//! Contacts (DESIGN §2): invitations, the two-message handshake with its proof, removal.
//!
//! ```text
//! Alice: CreateInvite → create_queue → link {relay, snd_id, pk_a, name}
//! Bob:   AcceptInvite → create_queue (his queue for Alice) →
//!        send to the link's queue: base(pk_a, ContactRequest {pk_b, proof: auth(b→a, ContactIntro)})
//! Alice: opens base, opens the proof as auth from pk_b (only pk_b's holder can make it),
//!        checks the intro names this invitation, consumes the invitation (one time) →
//!        create_queue (her queue for Bob) → auth(a→b, ContactAccepted) → delete the invitation queue
//! ```
//! A request for a key that is already a contact changes nothing, and nothing received ever
//! overwrites a contact's keys, name or routes.

use rand_core::CryptoRng;
use sotto_shared::crypto::{Opener, PublicKey, Sealer};
use sotto_shared::wire::invite::{INVITE_VERSION, Invitation};
use sotto_shared::wire::relay::{ClientMsg, ErrorCode, Payload, RcvId, SndId};
use sotto_shared::wire::signal::{
    ContactAccepted, ContactIntro, ContactRequest, Signal, SignalBody,
};

use crate::PeerId;
use crate::client::{Client, ClientError};
use crate::io::{Event, Notice};
use crate::profile::{AcceptedRequest, OpenInvite, Route};
use crate::requests::Purpose;

impl<R: CryptoRng> Client<R> {
    pub(crate) fn create_invite(&mut self) {
        if let Some(invite) = self.profile.invites.last() {
            let link = invite.link.clone();
            return self.emit(Event::InviteReady { link });
        }
        if self
            .pending
            .values()
            .any(|p| matches!(p.purpose, Purpose::InviteQueue))
        {
            return; // already on its way
        }
        let home = self.config.home.clone();
        self.request(
            &home,
            |id| ClientMsg::CreateQueue { id },
            Purpose::InviteQueue,
        );
    }

    pub(crate) fn invite_queue_created(&mut self, rcv_id: RcvId, snd_id: SndId) {
        let invitation = Invitation {
            v: INVITE_VERSION,
            relay: self.config.home.clone(),
            snd_id,
            pk: self.identity.public(),
            name: self.profile.name.clone(),
        };
        let link = invitation.to_link(&self.config.home);
        self.profile.invites.push(OpenInvite {
            rcv_id,
            snd_id,
            link: link.clone(),
        });
        self.persist();
        self.subscribe(rcv_id);
        self.emit(Event::InviteReady { link });
    }

    /// Reads a link, refusing our own and reporting an existing contact.
    fn read_invite(&mut self, link: &str) -> Result<(Invitation, Option<PeerId>), ClientError> {
        let invite = match Invitation::from_link(link) {
            Ok(invite) => invite,
            Err(e) => {
                self.emit(Event::Notice(Notice::BadInvite(e.to_string())));
                return Err(ClientError::Invite(e.to_string()));
            }
        };
        if invite.pk == self.identity.public() {
            self.emit(Event::Notice(Notice::OwnInvite));
            return Err(ClientError::Invite(Notice::OwnInvite.to_string()));
        }
        let existing = self
            .profile
            .contact_by_key(&invite.pk)
            .map(|c| c.id.clone());
        Ok((invite, existing))
    }

    pub(crate) fn open_invite(&mut self, link: &str) -> Result<(), ClientError> {
        let (invite, existing) = self.read_invite(link)?;
        let name = existing
            .as_ref()
            .map_or_else(|| invite.name.clone(), |id| self.profile.name_of(id));
        self.emit(Event::InviteOpened { name, existing });
        Ok(())
    }

    pub(crate) fn accept_invite(&mut self, link: &str) -> Result<(), ClientError> {
        let (invite, existing) = self.read_invite(link)?;
        if let Some(id) = existing {
            // Reopening a link of someone we already know changes nothing (issue #7, 2).
            let name = self.profile.name_of(&id);
            self.emit(Event::Notice(Notice::AlreadyContact(name.clone())));
            return Err(ClientError::Invite(
                Notice::AlreadyContact(name).to_string(),
            ));
        }
        let already_accepting = self
            .pending
            .values()
            .any(|p| matches!(&p.purpose, Purpose::QueueForInviter(i) if i.pk == invite.pk));
        if !already_accepting {
            let home = self.config.home.clone();
            self.request(
                &home,
                |id| ClientMsg::CreateQueue { id },
                Purpose::QueueForInviter(invite),
            );
        }
        Ok(())
    }

    /// Bob's side: our queue for the inviter exists; record them and send the request.
    pub(crate) fn inviter_queue_created(
        &mut self,
        invite: &Invitation,
        rcv_id: RcvId,
        snd_id: SndId,
    ) {
        let Some(contact) = self
            .profile
            .add_contact(&invite.name, invite.pk, None, rcv_id)
        else {
            // They became a contact meanwhile.
            return self.delete_queue(rcv_id);
        };
        self.persist();
        self.subscribe(rcv_id);
        self.emit(Event::ContactsChanged);
        let intro = ContactIntro {
            invite: invite.snd_id,
            relay: self.config.home.clone(),
            snd_id,
            name: self.profile.name.clone(),
        };
        let sealed = serde_json::to_vec(&intro)
            .map_err(|_| ())
            .and_then(|json| {
                Sealer::auth(&self.identity, invite.pk)
                    .seal(&json, &mut self.rng)
                    .map_err(|_| ())
            })
            .and_then(|proof| {
                let request = Signal::stamped(
                    SignalBody::ContactRequest(ContactRequest {
                        pk: self.identity.public(),
                        proof: Payload(proof),
                    }),
                    self.now.wall_ms,
                    0,
                );
                Sealer::base(invite.pk)
                    .seal(&request.to_json(), &mut self.rng)
                    .map_err(|_| ())
            });
        let Ok(sealed) = sealed else {
            // The link's key is not usable: undo.
            return self.contact_request_failed(&contact, invite.name.clone(), None);
        };
        let name = self.profile.name_of(&contact);
        self.request(
            &invite.relay,
            |id| ClientMsg::Send {
                id,
                snd_id: invite.snd_id,
                payload: Payload(sealed),
            },
            Purpose::ContactRequest { contact, name },
        );
    }

    /// Bob's side: the request was refused or never answered: forget the half-made contact.
    pub(crate) fn contact_request_failed(
        &mut self,
        contact: &PeerId,
        name: String,
        code: Option<ErrorCode>,
    ) {
        if let Some(pos) = self
            .profile
            .contacts
            .iter()
            .position(|c| c.id == *contact && c.send.is_none())
        {
            let removed = self.profile.contacts.remove(pos);
            self.persist();
            self.delete_queue(removed.recv);
            self.emit(Event::ContactsChanged);
        }
        let notice = match code {
            Some(ErrorCode::UnknownQueue) => Notice::InviteUsed(name),
            _ => Notice::RelayUnreachable,
        };
        self.emit(Event::Notice(notice));
    }

    /// Alice's side: a message on one of our invitation queues.
    pub(crate) fn on_contact_request(&mut self, invite: &OpenInvite, payload: &[u8]) {
        let Some((pk, intro)) = self.verify_request(invite, payload) else {
            return;
        };
        if pk == self.identity.public() || self.profile.contact_by_key(&pk).is_some() {
            // A contact already: nothing received changes them, and the invitation stays
            // for whoever it was meant for.
            return;
        }
        // One time: the first valid request consumes the invitation.
        self.profile.invites.retain(|i| i.rcv_id != invite.rcv_id);
        self.profile.accepting.push(AcceptedRequest {
            invite_rcv: invite.rcv_id,
            pk,
            intro,
        });
        self.persist();
        self.make_queue_for_requester(invite.rcv_id);
    }

    /// Opens a contact request and checks its proof; counts what fails.
    fn verify_request(
        &mut self,
        invite: &OpenInvite,
        payload: &[u8],
    ) -> Option<(PublicKey, ContactIntro)> {
        let Ok(json) = Opener::base(&self.identity).open(payload) else {
            self.counters.unopenable += 1;
            return None;
        };
        let request = match Signal::from_json(&json).map(|s| s.body) {
            Ok(SignalBody::ContactRequest(request)) => request,
            _ => {
                self.counters.malformed += 1;
                return None;
            }
        };
        let intro = Opener::auth(&self.identity, request.pk)
            .open(&request.proof.0)
            .ok()
            .and_then(|json| serde_json::from_slice::<ContactIntro>(&json).ok())
            .filter(|intro| intro.invite == invite.snd_id);
        match intro {
            Some(intro) => Some((request.pk, intro)),
            None => {
                self.counters.forged_requests += 1;
                None
            }
        }
    }

    fn make_queue_for_requester(&mut self, invite_rcv: RcvId) {
        let home = self.config.home.clone();
        self.request(
            &home,
            |id| ClientMsg::CreateQueue { id },
            Purpose::QueueForRequester(invite_rcv),
        );
    }

    /// After a restart or reconnect: finish handshakes whose queue was never made.
    pub(crate) fn resume_accepting(&mut self) {
        let waiting: Vec<RcvId> = self
            .profile
            .accepting
            .iter()
            .map(|a| a.invite_rcv)
            .filter(|rcv| {
                !self
                    .pending
                    .values()
                    .any(|p| matches!(p.purpose, Purpose::QueueForRequester(r) if r == *rcv))
            })
            .collect();
        for rcv in waiting {
            self.make_queue_for_requester(rcv);
        }
    }

    /// Alice's side: our queue for the requester exists; confirm, retire the invitation.
    pub(crate) fn requester_queue_created(
        &mut self,
        invite_rcv: RcvId,
        rcv_id: RcvId,
        snd_id: SndId,
    ) {
        let Some(pos) = self
            .profile
            .accepting
            .iter()
            .position(|a| a.invite_rcv == invite_rcv)
        else {
            return self.delete_queue(rcv_id);
        };
        let request = self.profile.accepting.remove(pos);
        let route = Route {
            relay: request.intro.relay.clone(),
            snd_id: request.intro.snd_id,
        };
        self.delete_queue(invite_rcv);
        let Some(contact) =
            self.profile
                .add_contact(&request.intro.name, request.pk, Some(route), rcv_id)
        else {
            self.persist();
            return self.delete_queue(rcv_id);
        };
        self.persist();
        self.subscribe(rcv_id);
        let accepted = SignalBody::ContactAccepted(ContactAccepted {
            relay: self.config.home.clone(),
            snd_id,
        });
        let _ = self.send_signal(&contact, accepted, Purpose::Plain);
        let name = self.profile.name_of(&contact);
        self.emit(Event::ContactsChanged);
        self.emit(Event::Notice(Notice::ContactAdded(name)));
    }

    /// Bob's side: Alice confirmed. Sets the route once; never replaces one.
    pub(crate) fn on_contact_accepted(&mut self, contact: &PeerId, accepted: ContactAccepted) {
        let Some(c) = self.profile.contact_mut(contact) else {
            return;
        };
        if c.send.is_some() {
            return;
        }
        c.send = Some(Route {
            relay: accepted.relay,
            snd_id: accepted.snd_id,
        });
        let name = c.name.clone();
        self.persist();
        self.emit(Event::ContactsChanged);
        self.emit(Event::Notice(Notice::ContactAdded(name)));
    }

    pub(crate) fn remove_contact(&mut self, contact: &PeerId) -> Result<(), ClientError> {
        if self.profile.contact(contact).is_none() {
            return Err(ClientError::UnknownContact(contact.clone()));
        }
        if self.phone.call().is_some_and(|c| c.peer == *contact) {
            self.phone_input(sotto_shared::call::Input::Command(
                sotto_shared::call::Command::Hangup,
            ));
        }
        // Sealed (and its counter stored) before the contact goes.
        let _ = self.send_signal(contact, SignalBody::ContactRemoved, Purpose::Plain);
        let pos = self
            .profile
            .contacts
            .iter()
            .position(|c| c.id == *contact)
            .expect("checked above");
        let removed = self.profile.contacts.remove(pos);
        self.held.retain(|h| h.contact != *contact);
        self.persist();
        self.delete_queue(removed.recv);
        self.emit(Event::ContactsChanged);
        Ok(())
    }
}
