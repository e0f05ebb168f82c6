//! Issue #7 (4): a relay re-delivers an old sealed invitation (with a fresh message id and a
//! fresh timestamp). It never rings, not after a reload either, and never touches a live call.

mod common;

use common::{RELAY, World};
use sotto_client::{CallState, Command};
use sotto_shared::Duration;
use sotto_shared::wire::signal::Media;

fn first_invite(w: &World) -> (common::Stored, sotto_shared::wire::relay::RcvId) {
    let bob = w.client("Alice").profile().contacts[0].recv;
    let queue = w.queue_of(RELAY, bob).unwrap();
    (queue.history[0].clone(), bob)
}

#[test]
fn a_replayed_invitation_never_rings_and_never_touches_a_live_call() {
    let mut w = World::new(8);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.befriend("Alice", "Bob");
    w.call("Bob", "Alice", Media::Video);
    w.run_for(Duration::secs(1));
    w.command("Alice", Command::Decline);
    w.run_for(Duration::secs(1));
    let (old, queue) = first_invite(&w);

    // After the call: the replay is dropped.
    w.replay_to(RELAY, "Alice", &old, queue);
    w.run_for(Duration::secs(1));
    assert_eq!(w.client("Alice").call(), None);
    assert_eq!(w.client("Alice").counters().replays, 1);

    // After a reload: the window was stored with the profile.
    w.reload("Alice");
    w.run_for(Duration::secs(1));
    w.replay_to(RELAY, "Alice", &old, queue);
    w.run_for(Duration::secs(1));
    assert_eq!(
        w.client("Alice").call(),
        None,
        "no ghost call after a reload"
    );

    // During a live call.
    w.call("Bob", "Alice", Media::Audio);
    w.run_for(Duration::secs(1));
    w.command(
        "Alice",
        Command::Accept {
            media: Media::Audio,
        },
    );
    w.run_for(Duration::secs(3));
    let live = w.client("Alice").call().unwrap();
    assert_eq!(live.state, CallState::Connected);
    w.replay_to(RELAY, "Alice", &old, queue);
    w.run_for(Duration::secs(2));
    assert_eq!(
        w.client("Alice").call(),
        Some(live),
        "the live call is untouched"
    );
    assert_eq!(w.state("Bob"), Some(CallState::Connected));
}

#[test]
fn a_copy_stored_twice_by_the_relay_is_handled_once() {
    let mut w = World::new(9);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.befriend("Alice", "Bob");
    w.set_online("Alice", false);
    w.call("Bob", "Alice", Media::Video);
    w.run_for(Duration::secs(1));
    w.command("Bob", Command::Hangup);
    w.run_for(Duration::secs(1));
    // The relay stores Bob's hang-up a second time (a retried send).
    let bob = w.client("Alice").profile().contacts[0].recv;
    let hangup = w.queue_of(RELAY, bob).unwrap().history[1].clone();
    w.set_online("Alice", true);
    w.run_for(Duration::secs(1));
    w.replay_to(RELAY, "Alice", &hangup, bob);
    w.run_for(Duration::secs(1));
    assert_eq!(w.client("Alice").profile().missed.len(), 1);
    assert_eq!(w.client("Alice").counters().replays, 1);
}
