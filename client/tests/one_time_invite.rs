//! Issue #7 (3): an invitation is used once. Bob and Carol both accept Alice's link while she
//! is offline; when she comes back, only the first request makes a contact, the queue is
//! deleted, and a later request is told the invitation was used.

mod common;

use common::{RELAY, World};
use sotto_client::{Command, Event, Notice};
use sotto_shared::Duration;

#[test]
fn only_the_first_request_uses_an_invitation() {
    let mut w = World::new(7);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.add("Carol", RELAY);
    w.add("Dave", RELAY);
    let link = w.invite_link("Alice");
    w.set_online("Alice", false);
    w.command("Bob", Command::AcceptInvite { link: link.clone() });
    w.run_for(Duration::secs(1));
    w.command("Carol", Command::AcceptInvite { link: link.clone() });
    w.run_for(Duration::secs(1));
    w.set_online("Alice", true);
    w.run_for(Duration::secs(2));

    let names: Vec<&str> = w
        .client("Alice")
        .profile()
        .contacts
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["Bob"]);
    w.contact_id("Bob", "Alice");
    assert!(w.client("Alice").profile().invites.is_empty());

    w.command("Dave", Command::AcceptInvite { link });
    w.run_for(Duration::secs(2));
    assert!(
        w.events("Dave")
            .contains(&Event::Notice(Notice::InviteUsed("Alice".into())))
    );
    assert!(
        w.client("Dave").profile().contacts.is_empty(),
        "the half-made contact is undone"
    );
}
