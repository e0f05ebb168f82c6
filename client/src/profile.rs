//! What a client keeps between runs: the identity, the contact book, open invitations,
//! settings, the replay state and the missed calls. Drivers store it as one JSON document
//! (localStorage in the browser, a 0600 file for `sotto-cli`) whenever the core says
//! [`Output::Persist`](crate::Output::Persist).
//!
//! The trust rules of DESIGN §2 live in the methods here: a contact's keys and routes are
//! written once, when the handshake makes them, and nothing received ever overwrites them.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use sotto_shared::crypto::{IdentityKeyPair, PublicKey};
use sotto_shared::wire::relay::{RcvId, SndId};
use sotto_shared::wire::signal::{ContactIntro, Media};
use sotto_shared::{CallId, PeerId, b64};

use crate::replay::CounterWindow;

/// Bump when the stored shape changes incompatibly.
pub const PROFILE_VERSION: u8 = 2;
/// Call ids remembered across restarts, so a replayed invitation never rings.
const SEEN_CALLS: usize = 512;
/// Missed calls kept for the list.
const MISSED_CALLS: usize = 100;

/// Where to send to someone: a shim origin and a queue's send id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// Shim origin, e.g. `https://sotto.example`.
    pub relay: String,
    /// Their queue for us.
    pub snd_id: SndId,
}

/// A contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Local id (never sent).
    pub id: PeerId,
    /// Their display name, as they chose it when the contact was made.
    pub name: String,
    /// Their identity key.
    pub pk: PublicKey,
    /// Where we send to them; `None` until they confirmed (we accepted their invite and wait
    /// for `ContactAccepted`).
    pub send: Option<Route>,
    /// Our queue on our home shim where they send to us.
    pub recv: RcvId,
    /// The counter of our next signal to them (starts at 1).
    pub next_ctr: u64,
    /// Their counters we accepted.
    pub window: CounterWindow,
    /// The identity key the user confirmed by comparing security codes in a call. Kept as
    /// the key, not a flag, so the mark holds for exactly that key: were a contact's key
    /// ever to differ from the one verified, the mark is gone and the change is shown.
    #[serde(default)]
    pub verified: Option<PublicKey>,
}

impl Contact {
    /// Whether we can send to them.
    #[must_use]
    pub const fn is_ready(&self) -> bool {
        self.send.is_some()
    }

    /// Whether the user compared security codes with them under their current key.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        self.verified == Some(self.pk)
    }

    /// Whether the key the user verified is not their current key.
    #[must_use]
    pub fn has_key_changed(&self) -> bool {
        self.verified.is_some_and(|k| k != self.pk)
    }
}

/// An invitation we made and nobody has used yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenInvite {
    /// The one-time queue's receive id.
    pub rcv_id: RcvId,
    /// Its send id (in the link).
    pub snd_id: SndId,
    /// The link, to show again.
    pub link: String,
}

/// A contact request that consumed one of our invitations, waiting for its queue to exist
/// (kept so a restart in the middle of the handshake finishes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedRequest {
    /// The invitation queue it came on (deleted once the contact is made).
    pub invite_rcv: RcvId,
    /// Their proven identity key.
    pub pk: PublicKey,
    /// What they proved.
    pub intro: ContactIntro,
}

/// A call that rang while nobody answered, or never rang.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedCall {
    /// The call.
    pub call_id: CallId,
    /// Who called.
    pub contact: PeerId,
    /// Their name when it happened.
    pub name: String,
    /// What they wanted.
    pub media: Media,
    /// It came during another call.
    pub busy: bool,
    /// When the relay stored the invitation (ms since the Unix epoch).
    pub at_ms: u64,
}

/// User settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Relay-only ("hide my IP"): media only through the shim's TURN server.
    #[serde(default)]
    pub relay_only: bool,
}

/// Everything a client keeps about one profile.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// [`PROFILE_VERSION`].
    pub v: u8,
    /// Display name.
    pub name: String,
    /// The identity secret, base64url.
    secret: String,
    /// Contacts.
    pub contacts: Vec<Contact>,
    /// Open invitations.
    pub invites: Vec<OpenInvite>,
    /// Requests that used an invitation, until their contact exists.
    #[serde(default)]
    pub accepting: Vec<AcceptedRequest>,
    /// Settings.
    #[serde(default)]
    pub settings: Settings,
    /// Call ids already handled (oldest first).
    #[serde(default)]
    pub seen_calls: VecDeque<CallId>,
    /// Missed calls (oldest first).
    #[serde(default)]
    pub missed: VecDeque<MissedCall>,
    /// The kiosk's configuration, once set up (issue #12).
    #[serde(default)]
    pub kiosk: Option<crate::kiosk::Kiosk>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("contacts", &self.contacts.len())
            .finish_non_exhaustive()
    }
}

/// Why a stored or imported profile cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// Not JSON of a profile.
    #[error("not a sotto profile: {0}")]
    NotAProfile(String),
    /// Another version.
    #[error("profile version {0} is not supported (this build reads version {PROFILE_VERSION})")]
    Version(u8),
    /// The identity secret is damaged.
    #[error("damaged profile: {0}")]
    Damaged(String),
    /// No usable name.
    #[error("{0}")]
    Name(&'static str),
}

impl Profile {
    /// A new profile with a fresh identity.
    ///
    /// # Errors
    /// [`ProfileError::Name`] for an empty or overlong name.
    pub fn create(name: &str, rng: &mut impl rand_core::CryptoRng) -> Result<Self, ProfileError> {
        let name = validate_name(name).map_err(ProfileError::Name)?;
        let identity = IdentityKeyPair::generate(rng);
        Ok(Self {
            v: PROFILE_VERSION,
            name: name.to_owned(),
            secret: b64::encode(identity.dangerously_export_secret()),
            contacts: Vec::new(),
            invites: Vec::new(),
            accepting: Vec::new(),
            settings: Settings::default(),
            seen_calls: VecDeque::new(),
            missed: VecDeque::new(),
            kiosk: None,
        })
    }

    /// The identity.
    ///
    /// # Errors
    /// [`ProfileError::Damaged`] when the stored secret is damaged.
    pub fn identity(&self) -> Result<IdentityKeyPair, ProfileError> {
        b64::decode_array::<32>(&self.secret)
            .map(IdentityKeyPair::from_secret_bytes)
            .map_err(|e| ProfileError::Damaged(e.to_string()))
    }

    /// Parses an exported or stored profile, checking what can be checked.
    ///
    /// # Errors
    /// A [`ProfileError`] saying why the text is not a usable profile.
    pub fn from_json(text: &str) -> Result<Self, ProfileError> {
        let version: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ProfileError::NotAProfile(e.to_string()))?;
        match version.get("v").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(PROFILE_VERSION) => {}
            Some(v) => return Err(ProfileError::Version(u8::try_from(v).unwrap_or(u8::MAX))),
            None => return Err(ProfileError::NotAProfile("missing version".into())),
        }
        let profile: Self = serde_json::from_value(version)
            .map_err(|e| ProfileError::NotAProfile(e.to_string()))?;
        profile.identity()?;
        validate_name(&profile.name).map_err(ProfileError::Name)?;
        Ok(profile)
    }

    /// JSON for storage and export.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data")
    }

    /// The contact whose queue for us is `rcv_id`.
    #[must_use]
    pub fn contact_by_queue(&self, rcv_id: &RcvId) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.recv == *rcv_id)
    }

    /// The contact with identity key `pk`.
    #[must_use]
    pub fn contact_by_key(&self, pk: &PublicKey) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.pk == *pk)
    }

    /// The contact with local id `id`.
    #[must_use]
    pub fn contact(&self, id: &PeerId) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == *id)
    }

    pub(crate) fn contact_mut(&mut self, id: &PeerId) -> Option<&mut Contact> {
        self.contacts.iter_mut().find(|c| c.id == *id)
    }

    /// A contact's display name, or its id when it is gone.
    #[must_use]
    pub fn name_of(&self, id: &PeerId) -> String {
        self.contact(id)
            .map_or_else(|| id.0.clone(), |c| c.name.clone())
    }

    /// A fresh local id for a contact named `name`.
    #[must_use]
    fn new_contact_id(&self, name: &str) -> PeerId {
        let base: String = name
            .chars()
            .filter(|c| c.is_alphanumeric())
            .take(24)
            .collect::<String>()
            .to_lowercase();
        let base = if base.is_empty() {
            "contact".to_owned()
        } else {
            base
        };
        (1..)
            .map(|n| {
                PeerId(if n == 1 {
                    base.clone()
                } else {
                    format!("{base}{n}")
                })
            })
            .find(|id| self.contact(id).is_none())
            .expect("unbounded")
    }

    /// Adds a new contact. Refuses (returns `None`) when the key already belongs to one:
    /// nothing ever replaces an existing contact's keys, name or routes.
    pub(crate) fn add_contact(
        &mut self,
        name: &str,
        pk: PublicKey,
        send: Option<Route>,
        recv: RcvId,
    ) -> Option<PeerId> {
        if self.contact_by_key(&pk).is_some() {
            return None;
        }
        let name = clean_name(name);
        let id = self.new_contact_id(&name);
        self.contacts.push(Contact {
            id: id.clone(),
            name,
            pk,
            send,
            recv,
            next_ctr: 1,
            window: CounterWindow::default(),
            verified: None,
        });
        Some(id)
    }

    /// Marks a contact as verified under its current key (or clears the mark). Returns
    /// `false` for an unknown contact.
    pub(crate) fn set_verified(&mut self, id: &PeerId, verified: bool) -> bool {
        let Some(contact) = self.contact_mut(id) else {
            return false;
        };
        contact.verified = verified.then_some(contact.pk);
        true
    }

    /// Every queue we receive on.
    #[must_use]
    pub fn receive_queues(&self) -> Vec<RcvId> {
        self.invites
            .iter()
            .map(|i| i.rcv_id)
            .chain(self.contacts.iter().map(|c| c.recv))
            .collect()
    }

    /// Whether this call id was handled before (its invitation acknowledged).
    #[must_use]
    pub fn has_seen_call(&self, call_id: &CallId) -> bool {
        self.seen_calls.contains(call_id)
    }

    pub(crate) fn remember_call(&mut self, call_id: CallId) {
        if self.has_seen_call(&call_id) {
            return;
        }
        if self.seen_calls.len() == SEEN_CALLS {
            self.seen_calls.pop_front();
        }
        self.seen_calls.push_back(call_id);
    }

    pub(crate) fn add_missed(&mut self, missed: MissedCall) {
        if self.missed.iter().any(|m| m.call_id == missed.call_id) {
            return;
        }
        if self.missed.len() == MISSED_CALLS {
            self.missed.pop_front();
        }
        self.missed.push_back(missed);
    }
}

/// A display name a person may pick.
///
/// # Errors
/// What is wrong with it, in words for the user.
pub fn validate_name(name: &str) -> Result<&str, &'static str> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err("Please enter a name."),
        n if n > 40 => Err("Please use at most 40 characters."),
        _ => Ok(name),
    }
}

/// A peer-chosen name made safe to show: trimmed, control characters removed, at most 40
/// characters, never empty.
fn clean_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect::<String>()
        .trim()
        .to_owned();
    if cleaned.is_empty() {
        "Someone".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;

    fn profile() -> Profile {
        Profile::create(" Alice ", &mut ChaCha20Rng::seed_from_u64(1)).unwrap()
    }

    /// Alice's profile with one unconfirmed contact, Bob.
    fn with_bob() -> Profile {
        let mut p = profile();
        p.add_contact(
            "Bob",
            PublicKey::from_bytes([2; 32]),
            None,
            RcvId::from_bytes([3; 24]),
        );
        p
    }

    #[test]
    fn a_profile_round_trips_through_export() {
        let p = with_bob();
        let back = Profile::from_json(&p.to_json()).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.name, "Alice");
        assert_eq!(
            back.identity().unwrap().public(),
            p.identity().unwrap().public()
        );
    }

    #[test]
    fn damaged_profiles_are_refused_with_a_reason() {
        assert!(matches!(
            Profile::from_json("{}"),
            Err(ProfileError::NotAProfile(_))
        ));
        let mut json: serde_json::Value = serde_json::from_str(&profile().to_json()).unwrap();
        json["secret"] = "short".into();
        assert!(matches!(
            Profile::from_json(&json.to_string()),
            Err(ProfileError::Damaged(_))
        ));
        json["v"] = 1.into();
        assert_eq!(
            Profile::from_json(&json.to_string()),
            Err(ProfileError::Version(1))
        );
    }

    #[test]
    fn an_existing_contact_is_never_overwritten() {
        let mut p = profile();
        let pk = PublicKey::from_bytes([2; 32]);
        let id = p
            .add_contact("Bob", pk, None, RcvId::from_bytes([3; 24]))
            .unwrap();
        let route = Route {
            relay: "https://evil.example".into(),
            snd_id: SndId::from_bytes([4; 24]),
        };
        assert_eq!(
            p.add_contact("Mallory", pk, Some(route), RcvId::from_bytes([5; 24])),
            None
        );
        let bob = p.contact(&id).unwrap();
        assert_eq!(
            (bob.name.as_str(), &bob.send, bob.recv),
            ("Bob", &None, RcvId::from_bytes([3; 24]))
        );
        let other = p
            .add_contact(
                "Bob",
                PublicKey::from_bytes([9; 32]),
                None,
                RcvId::from_bytes([6; 24]),
            )
            .unwrap();
        assert_eq!(other, PeerId("bob2".into()));
    }

    #[test]
    fn the_verified_mark_holds_only_for_the_key_that_was_verified() {
        let mut p = profile();
        let id = p
            .add_contact(
                "Bob",
                PublicKey::from_bytes([2; 32]),
                None,
                RcvId::from_bytes([3; 24]),
            )
            .unwrap();
        assert!(!p.contact(&id).unwrap().is_verified());
        assert!(p.set_verified(&id, true));
        let back = Profile::from_json(&p.to_json()).unwrap();
        let bob = back.contact(&id).unwrap();
        assert!(bob.is_verified() && !bob.has_key_changed());
        // A different key than the one compared: no mark, and the change is visible.
        p.contact_mut(&id).unwrap().pk = PublicKey::from_bytes([7; 32]);
        let bob = p.contact(&id).unwrap();
        assert!(!bob.is_verified() && bob.has_key_changed());
        assert!(p.set_verified(&id, false));
        assert!(!p.contact(&id).unwrap().has_key_changed());
        assert!(!p.set_verified(&PeerId("nobody".into()), true));
    }

    #[test]
    fn a_stored_contact_without_the_mark_reads_as_unverified() {
        let p = with_bob();
        let mut json: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        json["contacts"][0]
            .as_object_mut()
            .unwrap()
            .remove("verified");
        let back = Profile::from_json(&json.to_string()).unwrap();
        assert!(!back.contacts[0].is_verified());
    }

    #[test]
    fn names_are_validated_and_peer_names_cleaned() {
        assert_eq!(validate_name("  Ann "), Ok("Ann"));
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"x".repeat(41)).is_err());
        assert_eq!(clean_name("\u{7}Eve\n"), "Eve");
        assert_eq!(clean_name("  "), "Someone");
        assert_eq!(clean_name(&"y".repeat(99)).len(), 40);
    }
}
