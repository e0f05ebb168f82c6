//! The ack policy for a ringing invitation: held (not acknowledged) while it rings, so a
//! reload rings again; acknowledged once decided, so a reload after that does not.

mod common;

use common::{RELAY, World};
use sotto_client::{CallState, Command};
use sotto_shared::Duration;
use sotto_shared::wire::signal::Media;

#[test]
fn a_ringing_invitation_rings_again_after_a_reload_until_decided() {
    let mut w = World::new(10);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.befriend("Alice", "Bob");
    let queue = w.client("Alice").profile().contacts[0].recv;
    w.call("Bob", "Alice", Media::Video);
    w.run_for(Duration::secs(1));
    assert_eq!(w.state("Alice"), Some(CallState::RingingIncoming));
    assert_eq!(
        w.queue_of(RELAY, queue).unwrap().messages.len(),
        1,
        "held, not acked"
    );

    w.reload("Alice");
    w.run_for(Duration::secs(1));
    assert_eq!(
        w.state("Alice"),
        Some(CallState::RingingIncoming),
        "rings again"
    );

    w.command("Alice", Command::Decline);
    w.run_for(Duration::secs(1));
    assert!(
        w.queue_of(RELAY, queue).unwrap().messages.is_empty(),
        "acked once decided"
    );
    assert_eq!(
        w.ended("Bob"),
        Some(sotto_shared::wire::signal::EndReason::Rejected)
    );

    w.reload("Alice");
    w.run_for(Duration::secs(2));
    assert_eq!(
        w.client("Alice").call(),
        None,
        "a decided call never rings again"
    );
}

#[test]
fn duplicate_pushes_are_dropped_and_calls_still_connect() {
    let mut dropped = 0;
    for seed in 0..10 {
        let mut w = World::new(100 + seed);
        w.net.duplicate = 0.5;
        w.net.jitter = Duration::ms(60);
        w.add("Alice", RELAY);
        w.add("Bob", RELAY);
        w.befriend("Alice", "Bob");
        w.call("Alice", "Bob", Media::Video);
        w.run_for(Duration::secs(1));
        w.command(
            "Bob",
            Command::Accept {
                media: Media::Video,
            },
        );
        w.run_for(Duration::secs(4));
        assert_eq!(w.state("Alice"), Some(CallState::Connected), "seed {seed}");
        assert_eq!(w.state("Bob"), Some(CallState::Connected), "seed {seed}");
        dropped += w.client("Alice").counters().duplicates
            + w.client("Bob").counters().duplicates
            + w.client("Alice").counters().replays
            + w.client("Bob").counters().replays;
    }
    assert!(
        dropped > 10,
        "duplicates were delivered and dropped ({dropped})"
    );
}
