//! Carol calls Bob while Bob talks to Alice: Carol hears busy, Bob sees a missed call, and the
//! call in progress is untouched.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::{CallState, Command, Event};
use sotto_shared::wire::signal::{EndReason, Media};

#[test]
fn second_caller_gets_busy() {
    let mut w = World::new(20, &["alice", "bob", "carol"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.accept("bob", Media::Video);
    w.run_until(Duration::secs(5), |w| {
        w.state("alice") == Some(CallState::Connected)
    });

    w.call("carol", "bob", Media::Audio);
    w.run_until(Duration::secs(2), |w| w.ended("carol").is_some());
    assert_eq!(w.ended("carol"), Some(EndReason::Busy));
    assert!(
        w.ep("bob")
            .events
            .iter()
            .any(|(_, e)| matches!(e, Event::Missed { busy: true, .. }))
    );
    w.run_for(Duration::secs(5));
    w.assert_connected_pair("alice", "bob");
}

#[test]
fn starting_a_second_call_is_refused() {
    let mut w = World::new(21, &["alice", "bob", "carol"]);
    w.call("alice", "bob", Media::Video);
    w.command(
        "alice",
        Command::Start {
            peer: w.contact("carol"),
            media: Media::Audio,
        },
    );
    assert_eq!(w.ep("alice").errors, ["already in a call"]);
}
