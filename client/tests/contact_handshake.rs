//! Alice invites, Bob (on another relay) accepts: both get a ready contact, the invitation
//! queue is gone, and a call between them connects with equal security codes.

mod common;

use common::{OTHER_RELAY, RELAY, World};
use sotto_client::{CallState, Command, Event, Notice};
use sotto_shared::Duration;
use sotto_shared::wire::signal::Media;

#[test]
fn invite_accept_and_call_across_two_relays() {
    let mut w = World::new(1);
    w.add("Alice", RELAY);
    w.add("Bob", OTHER_RELAY);
    let link = w.invite_link("Alice");
    let invite_rcv = w.client("Alice").profile().invites[0].rcv_id;
    w.command("Bob", Command::AcceptInvite { link });
    w.run_for(Duration::secs(2));

    let (bob_at_alice, _) = (w.contact_id("Alice", "Bob"), w.contact_id("Bob", "Alice"));
    assert!(w.client("Alice").profile().invites.is_empty());
    assert!(w.client("Alice").profile().accepting.is_empty());
    assert!(
        w.queue_of(RELAY, invite_rcv).is_none(),
        "the invitation queue is deleted"
    );
    assert!(
        w.events("Alice")
            .contains(&Event::Notice(Notice::ContactAdded("Bob".into())))
    );
    assert!(
        w.events("Bob")
            .contains(&Event::Notice(Notice::ContactAdded("Alice".into())))
    );

    w.call("Bob", "Alice", Media::Video);
    w.run_for(Duration::secs(1));
    assert_eq!(w.state("Alice"), Some(CallState::RingingIncoming));
    assert_eq!(w.client("Alice").call().unwrap().peer, bob_at_alice);
    w.command(
        "Alice",
        Command::Accept {
            media: Media::Video,
        },
    );
    w.run_for(Duration::secs(3));
    assert_eq!(w.state("Alice"), Some(CallState::Connected));
    assert_eq!(w.state("Bob"), Some(CallState::Connected));
    let (a, b) = (
        w.client("Alice").security_code(),
        w.client("Bob").security_code(),
    );
    assert!(a.is_some());
    assert_eq!(a, b, "both screens show the same code");
}

#[test]
fn a_handshake_interrupted_by_a_reload_finishes_after_it() {
    let mut w = World::new(2);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    let link = w.invite_link("Alice");
    w.command("Bob", Command::AcceptInvite { link });
    // Run until Alice consumed the invitation, then close her app before her queue exists.
    while w.client("Alice").profile().accepting.is_empty() {
        assert!(w.step());
    }
    w.reload("Alice");
    w.run_for(Duration::secs(2));
    w.contact_id("Alice", "Bob");
    w.contact_id("Bob", "Alice");
    assert!(w.client("Alice").profile().accepting.is_empty());
}
