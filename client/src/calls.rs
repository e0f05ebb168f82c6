//! Commands, and what the call machine's outputs mean for the rest of the client: its
//! signals are sealed and sent, its WebRTC actions go to the driver, its events become the
//! UI's and decide when a held invitation is acknowledged.

use rand_core::CryptoRng;
use sotto_shared::call::{
    CallState, Command as PhoneCommand, Event as PhoneEvent, Input as PhoneInput,
    Output as PhoneOutput, Peer, RtcAction,
};
use sotto_shared::wire::signal::SignalBody;

use crate::client::{Client, ClientError, EndedCall};
use crate::io::{Command, Event, Notice, Output};
use crate::profile::MissedCall;
use crate::requests::Purpose;

impl<R: CryptoRng> Client<R> {
    pub(crate) fn handle_command(&mut self, command: Command) -> Result<(), ClientError> {
        match command {
            Command::CreateInvite => {
                self.create_invite();
                Ok(())
            }
            Command::OpenInvite { link } => self.open_invite(&link),
            Command::AcceptInvite { link } => self.accept_invite(&link),
            Command::RemoveContact { contact } => self.remove_contact(&contact),
            Command::SetRelayOnly(on) => {
                self.profile.settings.relay_only = on;
                self.persist();
                Ok(())
            }
            Command::SetVerified { contact, verified } => {
                if !self.profile.set_verified(&contact, verified) {
                    return Err(ClientError::UnknownContact(contact));
                }
                self.persist();
                self.emit(Event::ContactsChanged);
                Ok(())
            }
            Command::Call { contact, media } => {
                let c = self
                    .profile
                    .contact(&contact)
                    .ok_or_else(|| ClientError::UnknownContact(contact.clone()))?;
                if !c.is_ready() {
                    let name = c.name.clone();
                    self.emit(Event::Notice(Notice::NotConfirmed(name.clone())));
                    return Err(ClientError::NotConfirmed(name));
                }
                let peer = Peer {
                    id: c.id.clone(),
                    identity: c.pk,
                };
                self.phone_command(PhoneCommand::Start { peer, media })
            }
            Command::SetKiosk(setup) => self.set_kiosk(setup),
            Command::EnterKiosk => self.enter_kiosk(),
            Command::LeaveKiosk { pin } => self.leave_kiosk(&pin),
            Command::Accept { media } => self.phone_command(PhoneCommand::Accept { media }),
            Command::Decline => self.phone_command(PhoneCommand::Decline),
            Command::Hangup => self.phone_command(PhoneCommand::Hangup),
            Command::SetMedia {
                audio,
                video,
                screen,
            } => self.phone_command(PhoneCommand::SetMedia {
                audio,
                video,
                screen,
            }),
        }
    }

    fn phone_command(&mut self, command: PhoneCommand) -> Result<(), ClientError> {
        let result = self
            .phone
            .handle_input(self.now.mono, PhoneInput::Command(command));
        self.drain_phone();
        result.map_err(ClientError::from)
    }

    /// One output of the call machine.
    pub(crate) fn phone_output(&mut self, output: PhoneOutput) {
        match output {
            PhoneOutput::Send { to, signal } => {
                let call_id = signal.call_id;
                if self
                    .send_signal(&to, SignalBody::Call(signal), Purpose::CallSignal(call_id))
                    .is_err()
                {
                    self.report_send_failed(call_id);
                }
            }
            PhoneOutput::Rtc { call_id, action } => {
                if let RtcAction::SetKeys { security_code, .. } = &action {
                    let code = security_code.to_string();
                    self.security_code = Some((call_id, code.clone()));
                    self.emit(Event::SecurityCode { call_id, code });
                }
                self.out.push_back(Output::Rtc { call_id, action });
            }
            PhoneOutput::Event(event) => self.phone_event(event),
            PhoneOutput::Timeout(_) => unreachable!("the drain stops at Timeout"),
        }
    }

    fn phone_event(&mut self, event: PhoneEvent) {
        match event {
            PhoneEvent::State(info) => {
                self.kiosk_on_call(&info);
                if info.state != CallState::RingingIncoming {
                    self.release_held(info.call_id);
                }
                if info.state.is_ended() {
                    self.last_ended = Some(EndedCall { info: info.clone() });
                }
                self.emit(Event::Call(info));
            }
            PhoneEvent::Missed {
                call_id,
                peer,
                media,
                busy,
            } => {
                // An unanswered call is missed, not "ended".
                if self
                    .last_ended
                    .as_ref()
                    .is_some_and(|e| e.info.call_id == call_id)
                {
                    self.last_ended = None;
                }
                let at_ms = self.invite_ts.remove(&call_id).unwrap_or(self.now.wall_ms);
                let missed = MissedCall {
                    call_id,
                    name: self.profile.name_of(&peer),
                    contact: peer,
                    media,
                    busy,
                    at_ms,
                };
                self.profile.add_missed(missed.clone());
                self.persist();
                self.emit(Event::Missed(missed));
            }
            PhoneEvent::PeerMedia {
                call_id,
                audio,
                video,
                screen,
            } => self.emit(Event::PeerMedia {
                call_id,
                audio,
                video,
                screen,
            }),
            PhoneEvent::Replaced { old, new } => {
                self.release_held(old);
                self.emit(Event::Replaced { old, new });
            }
        }
    }
}
