//! Removing a contact tells them, deletes our queue for them, and their later messages are
//! cleared without effect.

mod common;

use common::{RELAY, World};
use sotto_client::{Command, Event, Notice};
use sotto_shared::Duration;
use sotto_shared::wire::signal::Media;

#[test]
fn removal_tells_them_and_deletes_our_queue() {
    let mut w = World::new(15);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    let (bob, _) = w.befriend("Alice", "Bob");
    let queue = w.client("Alice").profile().contact(&bob).unwrap().recv;
    w.command("Alice", Command::RemoveContact { contact: bob });
    w.run_for(Duration::secs(1));
    assert!(w.client("Alice").profile().contacts.is_empty());
    assert!(w.queue_of(RELAY, queue).is_none());
    assert!(
        w.events("Bob")
            .contains(&Event::Notice(Notice::RemovedBy("Alice".into())))
    );
    // Bob's call goes nowhere: the queue is gone.
    w.call("Bob", "Alice", Media::Audio);
    w.run_for(Duration::secs(1));
    assert_eq!(w.client("Alice").call(), None);
}
