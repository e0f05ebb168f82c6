//! Relay requests: ids, reply correlation, re-sending after a reconnect, deadlines.
//!
//! Every request gets an id and a [`Purpose`] that says what its reply means. A request made
//! while its relay is down waits and goes out on `Connected`; one in flight when the socket
//! drops goes out again (sends are safe to repeat: the receiver's replay window drops the
//! copy). Subscriptions and acks are not kept: every `Connected` re-subscribes all queues, and
//! a lost ack only means one redelivery, dropped by `msg_id` or counter.

use rand_core::CryptoRng;
use sotto_shared::CallId;
use sotto_shared::wire::invite::Invitation;
use sotto_shared::wire::relay::{ClientMsg, ErrorCode, RcvId, ReqId, ServerMsg};

use crate::client::Client;
use crate::io::{Event, Notice, Output};
use crate::{Millis, PeerId};

/// What a reply means.
#[derive(Debug, Clone)]
pub(crate) enum Purpose {
    /// Nothing depends on the reply.
    Plain,
    /// A call signal: failure ends the call as `signalling_failed`.
    CallSignal(CallId),
    /// A queue for a new invitation of ours.
    InviteQueue,
    /// Our queue for the inviter, when accepting their invitation.
    QueueForInviter(Invitation),
    /// The contact request to the inviter, sent.
    ContactRequest { contact: PeerId, name: String },
    /// Our queue for someone who used our invitation.
    QueueForRequester(RcvId),
    /// ICE servers.
    TurnCredentials,
}

/// A request waiting for its reply.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) relay: String,
    pub(crate) msg: ClientMsg,
    pub(crate) purpose: Purpose,
    /// When it fails without a reply.
    pub(crate) deadline: Millis,
    /// Kept across a reconnect and re-sent (subscriptions, acks and pings are redone instead).
    pub(crate) durable: bool,
    /// Written to the current connection.
    pub(crate) sent: bool,
}

impl<R: CryptoRng> Client<R> {
    /// Makes a request to `relay`: sent now if connected, else when it connects.
    pub(crate) fn request(
        &mut self,
        relay: &str,
        make: impl FnOnce(ReqId) -> ClientMsg,
        purpose: Purpose,
    ) {
        self.next_req += 1;
        let msg = make(self.next_req);
        let durable = !matches!(
            msg,
            ClientMsg::Subscribe { .. } | ClientMsg::Ack { .. } | ClientMsg::Ping { .. }
        );
        let deadline = self.now.mono + self.config.request_timeout;
        let connected = self.relays.get(relay).is_some_and(|r| r.connected);
        if connected {
            self.out.push_back(Output::Relay {
                relay: relay.to_owned(),
                msg: msg.clone(),
            });
        } else {
            self.ensure_connection(relay);
            if !durable {
                return;
            }
        }
        self.pending.insert(
            self.next_req,
            Pending {
                relay: relay.to_owned(),
                msg,
                purpose,
                deadline,
                durable,
                sent: connected,
            },
        );
    }

    pub(crate) fn ensure_connection(&mut self, relay: &str) {
        let conn = self.relays.entry(relay.to_owned()).or_default();
        if !conn.asked {
            conn.asked = true;
            self.out.push_back(Output::Connect {
                relay: relay.to_owned(),
            });
        }
    }

    pub(crate) fn relay_connected(&mut self, relay: &str) {
        let conn = self.relays.entry(relay.to_owned()).or_default();
        conn.connected = true;
        conn.asked = true;
        if relay == self.config.home {
            for rcv_id in self.profile.receive_queues() {
                self.subscribe(rcv_id);
            }
            let home = self.config.home.clone();
            self.request(
                &home,
                |id| ClientMsg::TurnCredentials { id },
                Purpose::TurnCredentials,
            );
            self.resume_accepting();
        }
        let waiting: Vec<ReqId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.relay == relay && !p.sent)
            .map(|(id, _)| *id)
            .collect();
        for id in waiting {
            let pending = self.pending.get_mut(&id).expect("listed above");
            pending.sent = true;
            let msg = pending.msg.clone();
            self.out.push_back(Output::Relay {
                relay: relay.to_owned(),
                msg,
            });
        }
    }

    pub(crate) fn relay_disconnected(&mut self, relay: &str) {
        if let Some(conn) = self.relays.get_mut(relay) {
            conn.connected = false;
        }
        for pending in self.pending.values_mut().filter(|p| p.relay == relay) {
            pending.sent = false;
        }
        // Replies to subscriptions, acks and pings will never come; they are redone.
        self.pending.retain(|_, p| p.relay != relay || p.durable);
    }

    pub(crate) fn subscribe(&mut self, rcv_id: RcvId) {
        let home = self.config.home.clone();
        self.request(
            &home,
            |id| ClientMsg::Subscribe { id, rcv_id },
            Purpose::Plain,
        );
    }

    pub(crate) fn delete_queue(&mut self, rcv_id: RcvId) {
        let home = self.config.home.clone();
        self.request(
            &home,
            |id| ClientMsg::DeleteQueue { id, rcv_id },
            Purpose::Plain,
        );
    }

    pub(crate) fn relay_received(&mut self, relay: &str, msg: ServerMsg) {
        let reply_to = msg.reply_to();
        if let Some(id) = reply_to {
            if let Some(pending) = self.pending.remove(&id).filter(|p| p.relay == relay) {
                self.replied(pending.purpose, Ok(msg));
            }
            return;
        }
        // Pushes count only from our home relay: we subscribe nowhere else.
        if relay != self.config.home {
            return;
        }
        match msg {
            ServerMsg::Message {
                rcv_id,
                msg_id,
                ts,
                payload,
            } => self.on_message(rcv_id, msg_id, ts, &payload.0),
            ServerMsg::SubscriptionEnded { .. } => self.emit(Event::Notice(Notice::TakenOver)),
            _ => {}
        }
    }

    /// Fails the requests whose deadline passed.
    pub(crate) fn expire_requests(&mut self) {
        let now = self.now.mono;
        let due: Vec<ReqId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(pending) = self.pending.remove(&id) {
                self.replied(pending.purpose, Err(None));
            }
        }
    }

    /// What a reply (or its absence: `Err(None)`; an error reply: `Err(Some(code))`) means.
    fn replied(&mut self, purpose: Purpose, reply: Result<ServerMsg, Option<ErrorCode>>) {
        let reply = match reply {
            Ok(ServerMsg::Error { code, .. }) => Err(Some(code)),
            other => other,
        };
        match (purpose, reply) {
            (Purpose::Plain, _) => {}
            (Purpose::CallSignal(_), Ok(_)) => {}
            (Purpose::CallSignal(call_id), Err(_)) => self.report_send_failed(call_id),
            (Purpose::TurnCredentials, Ok(ServerMsg::IceServers { servers, .. })) => {
                self.ice_servers.clone_from(&servers);
                self.emit(Event::IceServers(servers));
            }
            (Purpose::TurnCredentials, _) => {}
            (Purpose::InviteQueue, Ok(ServerMsg::QueueCreated { rcv_id, snd_id, .. })) => {
                self.invite_queue_created(rcv_id, snd_id);
            }
            (
                Purpose::QueueForInviter(invite),
                Ok(ServerMsg::QueueCreated { rcv_id, snd_id, .. }),
            ) => {
                self.inviter_queue_created(&invite, rcv_id, snd_id);
            }
            (Purpose::InviteQueue | Purpose::QueueForInviter(_), _) => {
                self.emit(Event::Notice(Notice::RelayUnreachable));
            }
            (Purpose::ContactRequest { name, .. }, Ok(_)) => {
                self.emit(Event::Notice(Notice::RequestSent(name)));
            }
            (Purpose::ContactRequest { contact, name }, Err(code)) => {
                self.contact_request_failed(&contact, name, code);
            }
            (
                Purpose::QueueForRequester(invite_rcv),
                Ok(ServerMsg::QueueCreated { rcv_id, snd_id, .. }),
            ) => {
                self.requester_queue_created(invite_rcv, rcv_id, snd_id);
            }
            // Not made: the request stays in the profile and is retried on the next connect.
            (Purpose::QueueForRequester(_), _) => {}
        }
    }
}
