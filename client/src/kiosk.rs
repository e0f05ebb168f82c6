//! A kiosk's configuration, kept in the profile: a display with no keyboard that answers the
//! contacts it trusts by itself (issue #12). What the configuration *means* for an incoming
//! call is decided in `kiosk_rules.rs`; this file holds the data, its checks and the PIN.

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sotto_shared::wire::signal::Media;
use sotto_shared::{PeerId, b64};

use crate::profile::Profile;

/// Seconds of visible countdown before an allowed contact's call is answered, unless set.
pub const DEFAULT_COUNTDOWN_SECS: u8 = 3;
/// The longest countdown: beyond it the caller would think nobody is there.
pub const MAX_COUNTDOWN_SECS: u8 = 30;
/// Ring volume, percent, unless set.
pub const DEFAULT_RING_VOLUME: u8 = 80;
/// Rounds of SHA-256 over the salted PIN: enough that the stored hash does not give the
/// PIN away at a glance, little enough for a tap on a slow tablet.
const PIN_ROUNDS: u32 = 20_000;

/// What a kiosk does with a call from someone it does not answer by itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Others {
    /// Ring, with big Accept and Decline buttons.
    #[default]
    Ring,
    /// Refuse at once: the caller hears "busy".
    Busy,
}

/// A contact the kiosk answers by itself, and with what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoAnswer {
    /// The contact (local id).
    pub contact: PeerId,
    /// Answer with audio only, or with video (an audio call is answered with audio).
    pub media: Media,
}

/// The PIN that lets a person leave kiosk mode, as a salted hash: never the digits.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinHash {
    /// 16 random bytes, base64url.
    salt: String,
    /// `PIN_ROUNDS` of SHA-256 over salt and PIN, base64url.
    hash: String,
}

impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinHash(..)")
    }
}

impl PinHash {
    /// Hashes a new PIN with a fresh salt.
    ///
    /// # Errors
    /// [`KioskError::Pin`] unless the PIN is 4 to 8 digits.
    pub fn new(pin: &str, rng: &mut impl CryptoRng) -> Result<Self, KioskError> {
        validate_pin(pin)?;
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        Ok(Self {
            salt: b64::encode(&salt),
            hash: b64::encode(&stretch(&salt, pin)),
        })
    }

    /// Whether `pin` is the PIN.
    #[must_use]
    pub fn matches(&self, pin: &str) -> bool {
        let Ok(salt) = b64::decode(&self.salt) else {
            return false;
        };
        // A constant-time compare buys nothing here: the hash is stretched per try.
        b64::encode(&stretch(&salt, pin)) == self.hash
    }
}

fn stretch(salt: &[u8], pin: &str) -> [u8; 32] {
    let mut digest: [u8; 32] = Sha256::new()
        .chain_update(b"sotto kiosk pin v1")
        .chain_update(salt)
        .chain_update(pin.as_bytes())
        .finalize()
        .into();
    for _ in 1..PIN_ROUNDS {
        digest = Sha256::new()
            .chain_update(digest)
            .chain_update(salt)
            .finalize()
            .into();
    }
    digest
}

fn validate_pin(pin: &str) -> Result<(), KioskError> {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(KioskError::Pin)
    }
}

/// A kiosk's configuration, stored in the [`Profile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kiosk {
    /// The name shown on the idle screen (empty: the profile's name).
    #[serde(default)]
    pub name: String,
    /// The contacts answered by themselves; everyone else is [`Kiosk::others`].
    #[serde(default)]
    pub auto_answer: Vec<AutoAnswer>,
    /// What the others' calls do.
    #[serde(default)]
    pub others: Others,
    /// Seconds of countdown before answering.
    pub countdown_secs: u8,
    /// Ring volume, percent.
    pub ring_volume: u8,
    /// The PIN to leave kiosk mode.
    pub pin: PinHash,
    /// In kiosk mode now (kept, so a reload or the watchdog lands back in it).
    #[serde(default)]
    pub active: bool,
}

impl Kiosk {
    /// How the kiosk answers `contact` by itself, if it does.
    #[must_use]
    pub fn auto_answer_media(&self, contact: &PeerId) -> Option<Media> {
        self.auto_answer
            .iter()
            .find(|a| a.contact == *contact)
            .map(|a| a.media)
    }

    /// The name to show: the kiosk's own, or the profile's.
    #[must_use]
    pub fn display_name<'a>(&'a self, profile: &'a Profile) -> &'a str {
        if self.name.is_empty() {
            &profile.name
        } else {
            &self.name
        }
    }
}

/// A kiosk configuration as the set-up screen (or an imported file) gives it: the PIN in
/// digits, hashed when it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskSetup {
    /// Display name (empty: the profile's).
    #[serde(default)]
    pub name: String,
    /// Contacts answered by themselves. An imported file may name them by their name
    /// instead of their id.
    #[serde(default)]
    pub auto_answer: Vec<AutoAnswer>,
    /// Everyone else.
    #[serde(default)]
    pub others: Others,
    /// Countdown seconds (default [`DEFAULT_COUNTDOWN_SECS`]).
    #[serde(default)]
    pub countdown_secs: Option<u8>,
    /// Ring volume, percent (default [`DEFAULT_RING_VOLUME`]).
    #[serde(default)]
    pub ring_volume: Option<u8>,
    /// A new PIN, or `None` to keep the current one (required the first time).
    #[serde(default)]
    pub pin: Option<String>,
}

impl KioskSetup {
    /// Reads a configuration file (JSON of this shape).
    ///
    /// # Errors
    /// [`KioskError::NotAConfig`] with serde's reason.
    pub fn from_json(text: &str) -> Result<Self, KioskError> {
        serde_json::from_str(text).map_err(|e| KioskError::NotAConfig(e.to_string()))
    }

    /// Checks the set-up against the profile and makes the stored configuration, keeping
    /// `current`'s PIN when no new one is given and its mode (`active`).
    ///
    /// # Errors
    /// A [`KioskError`] saying what to fix; nothing is changed then.
    pub fn into_kiosk(
        self,
        profile: &Profile,
        current: Option<&Kiosk>,
        rng: &mut impl CryptoRng,
    ) -> Result<Kiosk, KioskError> {
        let name = self.name.trim();
        if name.chars().count() > 40 || name.chars().any(char::is_control) {
            return Err(KioskError::Name);
        }
        let countdown_secs = self.countdown_secs.unwrap_or(DEFAULT_COUNTDOWN_SECS);
        if !(1..=MAX_COUNTDOWN_SECS).contains(&countdown_secs) {
            return Err(KioskError::Countdown);
        }
        let ring_volume = self.ring_volume.unwrap_or(DEFAULT_RING_VOLUME);
        if ring_volume > 100 {
            return Err(KioskError::Volume);
        }
        let mut auto_answer: Vec<AutoAnswer> = Vec::new();
        for entry in self.auto_answer {
            // An id, or (from a hand-written file) a contact's name.
            let contact = profile
                .contact(&entry.contact)
                .or_else(|| profile.contacts.iter().find(|c| c.name == entry.contact.0))
                .ok_or_else(|| KioskError::UnknownContact(entry.contact.0.clone()))?;
            if !auto_answer.iter().any(|a| a.contact == contact.id) {
                auto_answer.push(AutoAnswer {
                    contact: contact.id.clone(),
                    media: entry.media,
                });
            }
        }
        let pin = match (self.pin.as_deref(), current) {
            (Some(pin), _) => PinHash::new(pin, rng)?,
            (None, Some(kiosk)) => kiosk.pin.clone(),
            (None, None) => return Err(KioskError::Pin),
        };
        Ok(Kiosk {
            name: name.to_owned(),
            auto_answer,
            others: self.others,
            countdown_secs,
            ring_volume,
            pin,
            active: current.is_some_and(|k| k.active),
        })
    }
}

/// Why a kiosk configuration or command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KioskError {
    /// The file is not a kiosk configuration.
    #[error("not a kiosk configuration: {0}")]
    NotAConfig(String),
    /// A bad PIN for a set-up.
    #[error("The PIN must be 4 to 8 digits.")]
    Pin,
    /// The display name.
    #[error("The kiosk's name must be at most 40 characters, with no control characters.")]
    Name,
    /// The countdown.
    #[error("The countdown must be 1 to {MAX_COUNTDOWN_SECS} seconds.")]
    Countdown,
    /// The ring volume.
    #[error("The ring volume must be 0 to 100.")]
    Volume,
    /// An auto-answered contact that is not in the contacts.
    #[error("{0} is not a contact.")]
    UnknownContact(String),
    /// Entering kiosk mode before setting it up.
    #[error("Set up the kiosk first.")]
    NotSetUp,
    /// The PIN given to leave kiosk mode is wrong.
    #[error("Wrong PIN.")]
    WrongPin,
    /// Too many wrong PINs: wait.
    #[error("Too many wrong PINs. Try again in {0} seconds.")]
    LockedOut(u64),
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;

    #[test]
    fn the_pin_is_stored_salted_and_hashed_never_in_digits() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let a = PinHash::new("4711", &mut rng).unwrap();
        let b = PinHash::new("4711", &mut rng).unwrap();
        assert_ne!(a, b, "a fresh salt each time");
        assert!(a.matches("4711") && b.matches("4711"));
        assert!(!a.matches("4712") && !a.matches(""));
        let json = serde_json::to_string(&a).unwrap();
        assert!(!json.contains("4711"), "{json}");
        assert_eq!(format!("{a:?}"), "PinHash(..)");
    }

    #[test]
    fn pins_must_be_four_to_eight_digits() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        for bad in ["", "123", "123456789", "12a4", " 1234"] {
            assert_eq!(PinHash::new(bad, &mut rng), Err(KioskError::Pin), "{bad:?}");
        }
        assert!(PinHash::new("12345678", &mut rng).is_ok());
    }
}
