//! Issue #7 (2): Bob opens Alice's old link again after they became contacts. He is told she
//! is already a contact, nothing changes, and her calls still ring at Bob.

mod common;

use common::{RELAY, World};
use sotto_client::{CallState, Command, Event, Notice};
use sotto_shared::Duration;
use sotto_shared::wire::signal::Media;

#[test]
fn reopening_a_used_link_keeps_the_contact_working() {
    let mut w = World::new(6);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    let link = w.invite_link("Alice");
    w.command("Bob", Command::AcceptInvite { link: link.clone() });
    w.run_for(Duration::secs(2));
    let alice_at_bob = w.contact_id("Bob", "Alice");
    let before = w.client("Bob").profile().contacts.clone();

    w.command("Bob", Command::OpenInvite { link: link.clone() });
    assert_eq!(
        w.events("Bob").last(),
        Some(&Event::InviteOpened {
            name: "Alice".into(),
            existing: Some(alice_at_bob)
        })
    );
    w.command("Bob", Command::AcceptInvite { link });
    w.run_for(Duration::secs(2));
    assert!(
        w.events("Bob")
            .contains(&Event::Notice(Notice::AlreadyContact("Alice".into())))
    );
    assert_eq!(
        w.client("Bob").profile().contacts,
        before,
        "nothing changed"
    );

    w.call("Alice", "Bob", Media::Audio);
    w.run_for(Duration::secs(1));
    assert_eq!(w.state("Bob"), Some(CallState::RingingIncoming));
}
