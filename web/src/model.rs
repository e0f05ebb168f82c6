//! What the browser keeps (in localStorage): the profile, contacts, open invitations and
//! settings. Pure data with the contact handshake rules (DESIGN §2), so it is tested natively.

use serde::{Deserialize, Serialize};
use sotto_shared::b64;
use sotto_shared::crypto::{IdentityKeyPair, PublicKey};
use sotto_shared::wire::relay::{RcvId, SndId};

/// Bump when the stored shape changes incompatibly.
pub const BOOK_VERSION: u8 = 1;

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
    pub id: String,
    /// Their display name.
    pub name: String,
    /// Their identity key.
    pub pk: PublicKey,
    /// Where we send to them; `None` until they confirmed (we accepted their invite and wait
    /// for `ContactAccepted`).
    pub send: Option<Route>,
    /// Our queue on our home shim where they send to us.
    pub recv: RcvId,
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

/// User settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Relay-only ("hide my IP"): media only through the shim's TURN server.
    #[serde(default)]
    pub relay_only: bool,
}

/// Everything the browser keeps about one profile.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    /// [`BOOK_VERSION`].
    pub v: u8,
    /// Display name.
    pub name: String,
    /// The identity secret, base64url.
    secret: String,
    /// Contacts.
    pub contacts: Vec<Contact>,
    /// Open invitations.
    pub invites: Vec<OpenInvite>,
    /// Settings.
    #[serde(default)]
    pub settings: Settings,
}

impl std::fmt::Debug for Book {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Book")
            .field("name", &self.name)
            .field("contacts", &self.contacts.len())
            .finish_non_exhaustive()
    }
}

impl Book {
    /// A new profile.
    #[must_use]
    pub fn new(name: &str, identity: &IdentityKeyPair) -> Self {
        Self {
            v: BOOK_VERSION,
            name: name.trim().to_owned(),
            secret: b64::encode(identity.dangerously_export_secret()),
            contacts: Vec::new(),
            invites: Vec::new(),
            settings: Settings::default(),
        }
    }

    /// The identity.
    ///
    /// # Errors
    /// When the stored secret is damaged.
    pub fn identity(&self) -> Result<IdentityKeyPair, String> {
        b64::decode_array::<32>(&self.secret)
            .map(IdentityKeyPair::from_secret_bytes)
            .map_err(|e| format!("damaged profile: {e}"))
    }

    /// Parses an exported or stored profile, checking what can be checked.
    ///
    /// # Errors
    /// A message for the user when the file is not a sotto profile.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let book: Self =
            serde_json::from_str(text).map_err(|e| format!("not a sotto profile: {e}"))?;
        if book.v != BOOK_VERSION {
            return Err(format!("profile version {} is not supported", book.v));
        }
        book.identity()?;
        if book.name.trim().is_empty() {
            return Err("the profile has no name".into());
        }
        Ok(book)
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

    /// The contact with local id `id`.
    #[must_use]
    pub fn contact(&self, id: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    /// A fresh local id for a contact named `name`.
    #[must_use]
    pub fn new_contact_id(&self, name: &str) -> String {
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
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}{n}")
                }
            })
            .find(|id| self.contact(id).is_none())
            .expect("unbounded")
    }

    /// Adds or refreshes a contact by identity key (accepting the same person twice updates
    /// them instead of duplicating). Returns its id.
    pub fn upsert_contact(
        &mut self,
        name: &str,
        pk: PublicKey,
        send: Option<Route>,
        recv: RcvId,
    ) -> String {
        if let Some(existing) = self.contacts.iter_mut().find(|c| c.pk == pk) {
            existing.name = name.to_owned();
            if send.is_some() {
                existing.send = send;
            }
            existing.recv = recv;
            return existing.id.clone();
        }
        let id = self.new_contact_id(name);
        self.contacts.push(Contact {
            id: id.clone(),
            name: name.to_owned(),
            pk,
            send,
            recv,
        });
        id
    }

    /// Every queue we receive on, with whether it is an invitation queue.
    #[must_use]
    pub fn receive_queues(&self) -> Vec<RcvId> {
        self.invites
            .iter()
            .map(|i| i.rcv_id)
            .chain(self.contacts.iter().map(|c| c.recv))
            .collect()
    }
}

/// A display name a person may pick.
///
/// # Errors
/// What is wrong with it.
pub fn validate_name(name: &str) -> Result<&str, &'static str> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err("Please enter a name."),
        n if n > 40 => Err("Please use at most 40 characters."),
        _ => Ok(name),
    }
}

#[cfg(test)]
mod tests {
    use rand_core::UnwrapErr;

    use super::*;

    fn identity() -> IdentityKeyPair {
        IdentityKeyPair::generate(&mut UnwrapErr(SeqRng(1)))
    }

    /// A deterministic test generator.
    struct SeqRng(u64);
    impl rand_core::TryRng for SeqRng {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(self.try_next_u64()? as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Ok(self.0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for b in dst {
                *b = self.try_next_u64()? as u8;
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for SeqRng {}

    #[test]
    fn a_profile_round_trips_through_export() {
        let id = identity();
        let mut book = Book::new(" Alice ", &id);
        book.upsert_contact(
            "Bob",
            PublicKey::from_bytes([2; 32]),
            None,
            RcvId::from_bytes([3; 24]),
        );
        let back = Book::from_json(&book.to_json()).unwrap();
        assert_eq!(back, book);
        assert_eq!(back.name, "Alice");
        assert_eq!(back.identity().unwrap().public(), id.public());
    }

    #[test]
    fn damaged_profiles_are_refused_with_a_reason() {
        assert!(
            Book::from_json("{}")
                .unwrap_err()
                .starts_with("not a sotto profile")
        );
        let mut json: serde_json::Value =
            serde_json::from_str(&Book::new("A", &identity()).to_json()).unwrap();
        json["secret"] = "short".into();
        assert!(
            Book::from_json(&json.to_string())
                .unwrap_err()
                .starts_with("damaged profile")
        );
    }

    #[test]
    fn the_same_person_is_not_added_twice() {
        let mut book = Book::new("Alice", &identity());
        let pk = PublicKey::from_bytes([2; 32]);
        let a = book.upsert_contact("Bob", pk, None, RcvId::from_bytes([3; 24]));
        let route = Route {
            relay: "https://x".into(),
            snd_id: SndId::from_bytes([4; 24]),
        };
        let b = book.upsert_contact("Bobby", pk, Some(route.clone()), RcvId::from_bytes([5; 24]));
        assert_eq!(a, b);
        assert_eq!(book.contacts.len(), 1);
        assert_eq!(book.contacts[0].send, Some(route));
        assert_eq!(book.new_contact_id("Bob"), "bob2");
    }

    #[test]
    fn names_are_validated() {
        assert_eq!(validate_name("  Ann "), Ok("Ann"));
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"x".repeat(41)).is_err());
    }
}
