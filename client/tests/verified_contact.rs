//! Marking a contact as verified after comparing security codes: the mark is stored with the
//! contact's key, survives a reload, and can be cleared.

mod common;

use common::{RELAY, World};
use sotto_client::{Command, Event};
use sotto_shared::Duration;

#[test]
fn a_verified_mark_is_kept_across_a_reload_and_can_be_cleared() {
    let mut w = World::new(21);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    let (bob, _) = w.befriend("Alice", "Bob");
    assert!(
        !w.client("Alice")
            .profile()
            .contact(&bob)
            .unwrap()
            .is_verified()
    );
    w.command(
        "Alice",
        Command::SetVerified {
            contact: bob.clone(),
            verified: true,
        },
    );
    w.run_for(Duration::secs(1));
    assert!(w.events("Alice").contains(&Event::ContactsChanged));
    w.reload("Alice");
    let contact = w.client("Alice").profile().contact(&bob).unwrap();
    assert!(contact.is_verified() && !contact.has_key_changed());
    w.command(
        "Alice",
        Command::SetVerified {
            contact: bob.clone(),
            verified: false,
        },
    );
    w.run_for(Duration::secs(1));
    assert!(
        !w.client("Alice")
            .profile()
            .contact(&bob)
            .unwrap()
            .is_verified()
    );
}
