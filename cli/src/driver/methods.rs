//! The JSON-RPC methods as the driver carries them out: each becomes a command to the core
//! (or a control line to the call's tunnel) and its reply reads the state right after.

use serde_json::{Value, json};
use sotto_client::{CallState, ClientError, Command, Input, Profile};
use sotto_shared::PeerId;
use sotto_shared::call::CallError;
use sotto_shared::crypto::Role;
use sotto_shared::wire::signal::{EndReason, Media};
use sotto_shared::wire::tunnel::ToTunnel;
use tokio::sync::mpsc;

use super::{CallView, Driver, Reply, Subscriber, media_files};
use crate::rpc::{ConnId, Request, RpcError};
use crate::tunnel;

impl Driver {
    pub(super) fn rpc(
        &mut self,
        conn: ConnId,
        request: Request,
        reply: Reply,
        notify: mpsc::UnboundedSender<String>,
    ) {
        let result = match request {
            Request::SubscribeCallEvents => {
                let id = self.next_subscription;
                self.next_subscription += 1;
                self.subscribers.insert(id, Subscriber { conn, notify });
                Ok(json!(id))
            }
            Request::UnsubscribeCallEvents { subscription } => {
                match self.subscribers.get(&subscription) {
                    Some(s) if s.conn == conn => {
                        self.subscribers.remove(&subscription);
                        Ok(json!({}))
                    }
                    _ => Err(RpcError::user(format!(
                        "Unknown subscription id {subscription}"
                    ))),
                }
            }
            Request::StartCall { recipient, media } => self.start_call(&recipient, media),
            Request::AcceptCall { call_id, media } => self.accept_call(&call_id, media),
            Request::RejectCall { call_id } => self
                .current_call(&call_id, Some(CallState::RingingIncoming))
                .and_then(|()| self.command(Command::Decline))
                .map(|()| json!({})),
            Request::HangupCall { call_id } => self
                .current_call(&call_id, None)
                .and_then(|()| self.command(Command::Hangup))
                .map(|()| json!({})),
            Request::ListCalls => Ok(Value::Array(
                self.call
                    .iter()
                    .filter(|v| v.offered)
                    .map(|v| call_json(v, self.client.profile()))
                    .collect(),
            )),
            Request::CreateInvite => {
                self.invite_waiters.push(reply);
                let _ = self.step(Input::Command(Command::CreateInvite));
                return;
            }
            Request::AcceptInvite { link } => {
                self.accept_waiters.push_back(reply);
                if let Err(e) = self.step(Input::Command(Command::AcceptInvite { link }))
                    && let Some(reply) = self.accept_waiters.pop_back()
                {
                    let _ = reply.send(Err(RpcError::user(e.to_string())));
                }
                return;
            }
            Request::ListContacts => Ok(Value::Array(
                self.client
                    .profile()
                    .contacts
                    .iter()
                    .map(|c| json!({"id": c.id.0, "name": c.name, "ready": c.is_ready()}))
                    .collect(),
            )),
            Request::Version => Ok(json!({"version": env!("CARGO_PKG_VERSION")})),
            Request::PlayAudio {
                call_id,
                path,
                looped,
            } => self
                .current_call(&call_id, None)
                .and_then(|()| media_files::playable(&path))
                .and_then(|()| {
                    self.to_tunnel(
                        &call_id,
                        &ToTunnel::PlayAudio {
                            path,
                            r#loop: looped,
                        },
                    )
                }),
            Request::RecordAudio { call_id, path } => self
                .current_call(&call_id, None)
                .and_then(|()| media_files::creatable(&path))
                .and_then(|()| self.to_tunnel(&call_id, &ToTunnel::RecordAudio { path })),
            Request::RecordVideo { call_id, path } => self
                .current_call(&call_id, None)
                .and_then(|()| media_files::creatable(&path))
                .and_then(|()| self.to_tunnel(&call_id, &ToTunnel::RecordVideo { path })),
            Request::SetEcho { call_id, on } => self.to_tunnel(&call_id, &ToTunnel::SetEcho { on }),
            // Takes effect from the next call's tunnel.
            Request::SetRelayOnly { on } => self
                .command(Command::SetRelayOnly(on))
                .map(|()| json!({"relayOnly": on})),
        };
        let _ = reply.send(result);
    }

    fn command(&mut self, command: Command) -> Result<(), RpcError> {
        self.step(Input::Command(command)).map_err(|e| match e {
            ClientError::Call(CallError::NoCall) => RpcError::user("no call is active"),
            e => RpcError::user(e.to_string()),
        })
    }

    fn contact(&self, recipient: &str) -> Result<PeerId, RpcError> {
        let contacts = &self.client.profile().contacts;
        if let Some(c) = contacts.iter().find(|c| c.id.0 == recipient) {
            return Ok(c.id.clone());
        }
        let named: Vec<_> = contacts
            .iter()
            .filter(|c| c.name.eq_ignore_ascii_case(recipient))
            .collect();
        match named.as_slice() {
            [c] => Ok(c.id.clone()),
            [] => Err(RpcError::user(format!("Unknown contact: {recipient}"))),
            _ => Err(RpcError::user(format!(
                "Several contacts are named {recipient}; use the id from listContacts"
            ))),
        }
    }

    fn start_call(&mut self, recipient: &str, media: Media) -> Result<Value, RpcError> {
        let contact = self.contact(recipient)?;
        self.command(Command::Call { contact, media })?;
        self.call_result()
    }

    fn accept_call(&mut self, call_id: &str, media: Media) -> Result<Value, RpcError> {
        self.current_call(call_id, Some(CallState::RingingIncoming))?;
        // An audio-only endpoint answers with audio unless asked for video, which means
        // "receive the caller's camera" (to record it); it never sends video itself and says
        // so with CallMedia once connected. The transceivers are fixed: nothing to renegotiate.
        self.command(Command::Accept { media })?;
        self.call_result()
    }

    fn call_result(&self) -> Result<Value, RpcError> {
        let view = self
            .call
            .as_ref()
            .ok_or_else(|| RpcError::io("the call ended at once (see callEvent)"))?;
        let mut result = tunnel::audio_format();
        let fields = result.as_object_mut().expect("an object");
        fields.insert("callId".into(), json!(view.info.call_id.to_string()));
        fields.insert("state".into(), json!(view.info.state.name()));
        fields.insert("inputDeviceName".into(), json!(view.devices.0));
        fields.insert("outputDeviceName".into(), json!(view.devices.1));
        Ok(result)
    }

    /// Checks that `call_id` is the current (offered) call, in `state` when given.
    fn current_call(&self, call_id: &str, state: Option<CallState>) -> Result<(), RpcError> {
        let view = self
            .call
            .as_ref()
            .filter(|v| v.offered && v.info.call_id.to_string() == call_id)
            .ok_or_else(|| RpcError::user(format!("No such call: {call_id}")))?;
        match state {
            Some(want) if view.info.state != want => Err(RpcError::user(format!(
                "Call {call_id} is {}, not {}",
                view.info.state.name(),
                want.name()
            ))),
            _ => Ok(()),
        }
    }

    fn to_tunnel(&self, call_id: &str, msg: &ToTunnel) -> Result<Value, RpcError> {
        self.current_call(call_id, None)?;
        let tunnel = self
            .call
            .as_ref()
            .and_then(|v| v.tunnel.as_ref())
            .ok_or_else(|| RpcError::user(format!("Call {call_id} has no media yet")))?;
        if tunnel.send(msg) {
            Ok(json!({}))
        } else {
            Err(RpcError::io("the call's media tunnel is gone"))
        }
    }
}

fn reason_name(reason: EndReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A call as `listCalls` and `callEvent` show it.
pub(super) fn call_json(view: &CallView, profile: &Profile) -> Value {
    let info = &view.info;
    let mut value = json!({
        "callId": info.call_id.to_string(),
        "state": info.state.name(),
        "contact": info.peer.0,
        "contactName": profile.name_of(&info.peer),
        "isOutgoing": info.role == Role::Caller,
        "media": info.media,
        "inputDeviceName": view.devices.0,
        "outputDeviceName": view.devices.1,
    });
    let fields = value.as_object_mut().expect("an object");
    if let CallState::Ended(reason) = info.state {
        fields.insert("reason".into(), json!(reason_name(reason)));
    }
    if let Some(code) = &view.security_code {
        fields.insert("securityCode".into(), json!(code));
    }
    if let Some(media) = &view.peer_media {
        fields.insert("peerMedia".into(), media.clone());
    }
    if let Some(counters) = &view.counters {
        fields.insert("counters".into(), counters.clone());
    }
    value
}
