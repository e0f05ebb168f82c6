//! Issue #7 (1): a contact request must prove the key it names. Mallory holds Alice's open
//! invitation link and Bob's public key; her forged request claiming to be Bob is dropped and
//! counted, and Alice's contact Bob keeps his name, route and queue.

mod common;

use common::{RELAY, World};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sotto_client::{CallState, Command, Profile};
use sotto_shared::Duration;
use sotto_shared::crypto::{IdentityKeyPair, Sealer};
use sotto_shared::wire::invite::Invitation;
use sotto_shared::wire::relay::{Payload, SndId};
use sotto_shared::wire::signal::{ContactIntro, ContactRequest, Media, Signal, SignalBody};

fn forged_request(
    invite: &Invitation,
    claimed: sotto_shared::crypto::PublicKey,
    proof: Vec<u8>,
) -> Vec<u8> {
    let signal = Signal::stamped(
        SignalBody::ContactRequest(ContactRequest {
            pk: claimed,
            proof: Payload(proof),
        }),
        0,
        0,
    );
    Sealer::base(invite.pk)
        .seal(&signal.to_json(), &mut ChaCha20Rng::seed_from_u64(9))
        .unwrap()
}

/// A proof made by whoever holds `by`: an auth-mode seal of the intro to the inviter.
fn proof(by: &IdentityKeyPair, invite: &Invitation, intro: &ContactIntro) -> Vec<u8> {
    Sealer::auth(by, invite.pk)
        .seal(
            &serde_json::to_vec(intro).unwrap(),
            &mut ChaCha20Rng::seed_from_u64(6),
        )
        .unwrap()
}

fn mallory() -> IdentityKeyPair {
    Profile::create("Mallory", &mut ChaCha20Rng::seed_from_u64(5))
        .unwrap()
        .identity()
        .unwrap()
}

#[test]
fn a_request_claiming_someone_elses_key_changes_nothing() {
    let mut w = World::new(3);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.befriend("Alice", "Bob");
    let before = w.client("Alice").profile().contacts.clone();
    let link = w.invite_link("Alice");
    let invite = Invitation::from_link(&link).unwrap();
    let bob_pk = w.client("Bob").profile().identity().unwrap().public();

    // Mallory's own key can seal a proof, but only as herself.
    let mallory_id = mallory();
    let intro = ContactIntro {
        invite: invite.snd_id,
        relay: RELAY.into(),
        snd_id: SndId::from_bytes([7; 24]),
        name: "Bob (new phone)".into(),
    };
    let proof_by_mallory = proof(&mallory_id, &invite, &intro);
    // 1. claims Bob's key with a proof Mallory made; 2. with garbage; 3. Mallory's real
    // request, but for another invitation's queue.
    let payloads = [
        forged_request(&invite, bob_pk, proof_by_mallory.clone()),
        forged_request(&invite, bob_pk, vec![1, 2, 3]),
    ];
    for payload in payloads {
        w.inject_send(RELAY, invite.snd_id, payload);
    }
    w.run_for(Duration::secs(2));

    assert_eq!(
        w.client("Alice").profile().contacts,
        before,
        "nothing changed"
    );
    assert_eq!(w.client("Alice").counters().forged_requests, 2);
    assert_eq!(
        w.client("Alice").profile().invites.len(),
        1,
        "a forged request does not use up the invitation"
    );
    // Bob still reaches Alice.
    w.call("Bob", "Alice", Media::Audio);
    w.run_for(Duration::secs(1));
    assert_eq!(w.state("Alice"), Some(CallState::RingingIncoming));
}

#[test]
fn a_request_for_another_invitation_is_refused() {
    let mut w = World::new(4);
    w.add("Alice", RELAY);
    let first = Invitation::from_link(&w.invite_link("Alice")).unwrap();
    let mallory_id = mallory();
    let intro = ContactIntro {
        invite: SndId::from_bytes([1; 24]), // not the queue it is sent to
        relay: RELAY.into(),
        snd_id: SndId::from_bytes([7; 24]),
        name: "Mallory".into(),
    };
    let proof = proof(&mallory_id, &first, &intro);
    w.inject_send(
        RELAY,
        first.snd_id,
        forged_request(&first, mallory_id.public(), proof),
    );
    w.run_for(Duration::secs(2));
    assert!(w.client("Alice").profile().contacts.is_empty());
    assert_eq!(w.client("Alice").counters().forged_requests, 1);
}

#[test]
fn an_existing_contact_requesting_again_changes_nothing() {
    let mut w = World::new(5);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.befriend("Alice", "Bob");
    let before = w.client("Alice").profile().contacts.clone();
    let link = w.invite_link("Alice");
    // Bob's app refuses (he knows Alice); a modified client would send a valid request.
    w.command("Bob", Command::AcceptInvite { link });
    w.run_for(Duration::secs(2));
    assert_eq!(w.client("Alice").profile().contacts, before);
}
