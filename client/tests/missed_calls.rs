//! Issue #7 (7): a call the user never answered shows once under missed calls, with its time,
//! and never as an ended call.

mod common;

use common::{EPOCH_MS, RELAY, World};
use sotto_client::{CallState, Command, Event};
use sotto_shared::Duration;
use sotto_shared::wire::signal::Media;

#[test]
fn a_call_cancelled_while_the_callee_was_offline_is_missed() {
    let mut w = World::new(11);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.befriend("Alice", "Bob");
    w.set_online("Bob", false);
    w.run_for(Duration::secs(5));
    let called_at = w.wall();
    w.call("Alice", "Bob", Media::Video);
    w.run_for(Duration::secs(5));
    w.command("Alice", Command::Hangup);
    w.run_for(Duration::secs(5));
    w.set_online("Bob", true);
    w.run_for(Duration::secs(2));

    let missed = &w.client("Bob").profile().missed;
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].name, "Alice");
    assert_eq!(missed[0].media, Media::Video);
    assert!(
        (called_at..called_at + 100).contains(&missed[0].at_ms),
        "the time it was placed"
    );
    assert!(missed[0].at_ms > EPOCH_MS);
    assert_eq!(
        w.client("Bob").last_ended(),
        None,
        "never shown as an ended call"
    );
    let shown = w
        .events("Bob")
        .iter()
        .filter(|e| matches!(e, Event::Missed(_)))
        .count();
    assert_eq!(shown, 1, "shown once");
}

#[test]
fn a_call_that_rang_out_is_missed_and_a_declined_one_is_not() {
    let mut w = World::new(12);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.befriend("Alice", "Bob");
    w.call("Alice", "Bob", Media::Audio);
    w.run_for(Duration::secs(61));
    assert_eq!(w.client("Bob").profile().missed.len(), 1);
    assert_eq!(w.client("Bob").last_ended(), None);

    w.call("Alice", "Bob", Media::Audio);
    w.run_for(Duration::secs(1));
    assert_eq!(w.state("Bob"), Some(CallState::RingingIncoming));
    w.command("Bob", Command::Decline);
    w.run_for(Duration::secs(1));
    assert_eq!(
        w.client("Bob").profile().missed.len(),
        1,
        "declining is not missing"
    );
    assert!(w.client("Bob").last_ended().is_some());
}
