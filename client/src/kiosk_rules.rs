//! What a kiosk's configuration means for the client (issue #12): entering and leaving kiosk
//! mode (with the PIN, and a pause after repeated wrong ones), and for an incoming call while
//! in kiosk mode — answer it after a visible countdown with the media allowed for the caller,
//! refuse it as busy, or let it ring. A rule of the core, so every driver (the browser,
//! `sotto-cli`) behaves alike and the tests run it in simulated time.

use rand_core::CryptoRng;
use sotto_shared::call::{CallInfo, CallState, Command as PhoneCommand, Input as PhoneInput};
use sotto_shared::wire::signal::Media;
use sotto_shared::{CallId, Duration, Millis};

use crate::client::{Client, ClientError};
use crate::io::Event;
use crate::kiosk::{KioskError, KioskSetup, Others};

/// Wrong PINs in a row before each further try must wait.
const FREE_PIN_TRIES: u32 = 5;
/// The wait after too many wrong PINs.
const PIN_LOCKOUT: Duration = Duration::secs(30);

/// An allowed contact's ringing call, answered when the countdown ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Countdown {
    /// The call.
    pub call_id: CallId,
    /// When it is answered (monotonic).
    pub at: Millis,
    /// With what.
    pub media: Media,
}

/// Wrong PINs in a row, and until when the next try must wait.
#[derive(Debug, Default)]
pub(crate) struct PinTries {
    failed: u32,
    locked_until: Option<Millis>,
}

impl<R: CryptoRng> Client<R> {
    /// The countdown running for the ringing call, if it is answered by itself.
    #[must_use]
    pub const fn countdown(&self) -> Option<Countdown> {
        self.countdown
    }

    /// Whether kiosk mode is on.
    #[must_use]
    pub fn is_kiosk(&self) -> bool {
        self.profile.kiosk.as_ref().is_some_and(|k| k.active)
    }

    pub(crate) fn set_kiosk(&mut self, setup: KioskSetup) -> Result<(), ClientError> {
        let kiosk = setup.into_kiosk(&self.profile, self.profile.kiosk.as_ref(), &mut self.rng);
        let kiosk = self.kiosk_result(kiosk)?;
        self.profile.kiosk = Some(kiosk);
        self.kiosk_changed();
        Ok(())
    }

    pub(crate) fn enter_kiosk(&mut self) -> Result<(), ClientError> {
        let set_up = self
            .profile
            .kiosk
            .as_ref()
            .map(|_| ())
            .ok_or(KioskError::NotSetUp);
        self.kiosk_result(set_up)?;
        if let Some(kiosk) = self.profile.kiosk.as_mut() {
            kiosk.active = true;
        }
        self.pin_tries = PinTries::default();
        self.kiosk_changed();
        Ok(())
    }

    pub(crate) fn leave_kiosk(&mut self, pin: &str) -> Result<(), ClientError> {
        let now = self.now.mono;
        let checked = match (&self.profile.kiosk, self.pin_tries.locked_until) {
            (None, _) => Err(KioskError::NotSetUp),
            (Some(_), Some(until)) if now < until => Err(KioskError::LockedOut(
                until.saturating_since(now).0.div_ceil(1000),
            )),
            (Some(kiosk), _) if kiosk.pin.matches(pin) => Ok(()),
            (Some(_), _) => {
                self.pin_tries.failed += 1;
                if self.pin_tries.failed >= FREE_PIN_TRIES {
                    self.pin_tries.locked_until = Some(now + PIN_LOCKOUT);
                }
                Err(KioskError::WrongPin)
            }
        };
        self.kiosk_result(checked)?;
        self.pin_tries = PinTries::default();
        if let Some(kiosk) = self.profile.kiosk.as_mut() {
            kiosk.active = false;
        }
        self.countdown = None;
        self.kiosk_changed();
        Ok(())
    }

    /// A call changed state: in kiosk mode, a new incoming call is answered after the
    /// countdown, refused as busy, or left ringing.
    pub(crate) fn kiosk_on_call(&mut self, info: &CallInfo) {
        if self.countdown.is_some_and(|c| c.call_id != info.call_id)
            || info.state != CallState::RingingIncoming
        {
            self.countdown = None;
        }
        let Some(kiosk) = self.profile.kiosk.as_ref().filter(|k| k.active) else {
            return;
        };
        if info.state != CallState::RingingIncoming || self.countdown.is_some() {
            return;
        }
        match kiosk.auto_answer_media(&info.peer) {
            Some(allowed) => {
                // Never more than the caller asked for: an audio call is answered with audio.
                let media = if info.media == Media::Audio {
                    Media::Audio
                } else {
                    allowed
                };
                self.countdown = Some(Countdown {
                    call_id: info.call_id,
                    at: self.now.mono + Duration::secs(u64::from(kiosk.countdown_secs)),
                    media,
                });
            }
            None if kiosk.others == Others::Busy => self
                .internal
                .push_back(PhoneInput::Command(PhoneCommand::RefuseBusy)),
            None => {}
        }
    }

    /// The countdown ended: answer, if that call still rings.
    pub(crate) fn kiosk_timeout(&mut self) {
        let Some(countdown) = self.countdown.filter(|c| c.at <= self.now.mono) else {
            return;
        };
        self.countdown = None;
        let rings = self.phone.call().is_some_and(|c| {
            c.call_id == countdown.call_id && c.state == CallState::RingingIncoming
        });
        if rings && self.is_kiosk() {
            self.phone_input(PhoneInput::Command(PhoneCommand::Accept {
                media: countdown.media,
            }));
        }
    }

    fn kiosk_changed(&mut self) {
        self.persist();
        self.emit(Event::KioskChanged);
    }

    /// Tells the UI why a kiosk command was refused, and returns it as the command's error.
    fn kiosk_result<T>(&mut self, result: Result<T, KioskError>) -> Result<T, ClientError> {
        result.map_err(|e| {
            self.emit(Event::KioskRefused(e.clone()));
            ClientError::Kiosk(e)
        })
    }
}
