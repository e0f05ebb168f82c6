//! An incoming call that rang and was never answered, because the caller cancelled or it rang
//! out, ends and then shows once as missed; a declined call does not.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::{CallState, Command, Event};
use sotto_shared::wire::signal::{EndReason, Media};

/// The missed-call events `name` has seen.
fn missed_events(w: &World, name: &str) -> Vec<Event> {
    w.ep(name)
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Missed { .. }))
        .map(|(_, e)| e.clone())
        .collect()
}

/// Asserts that `name`'s last two events are ENDED(`reason`) and then one missed call.
fn assert_ended_then_missed(w: &World, name: &str, reason: EndReason) {
    let events = &w.ep(name).events;
    let [.., (_, Event::State(ended)), (_, missed)] = &events[..] else {
        panic!("{name}: {events:?}");
    };
    assert_eq!(ended.state, CallState::Ended(reason));
    assert_eq!(
        *missed,
        Event::Missed {
            call_id: ended.call_id,
            peer: ended.peer.clone(),
            media: Media::Video,
            busy: false,
        }
    );
    assert_eq!(missed_events(w, name).len(), 1, "shown once");
}

#[test]
fn a_call_cancelled_while_ringing_is_missed() {
    let mut w = World::new(100, &["alice", "bob"]);
    w.ring("alice", "bob", Media::Video);
    w.hangup("alice");
    w.run_for(Duration::secs(1));
    assert_ended_then_missed(&w, "bob", EndReason::RemoteHangup);
    assert!(
        missed_events(&w, "alice").is_empty(),
        "the caller missed nothing"
    );
}

#[test]
fn a_call_that_rings_out_is_missed() {
    let mut w = World::new(101, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(70), |w| {
        w.ended("alice").is_some() && w.ended("bob").is_some()
    });
    w.run_for(Duration::secs(1));
    assert_ended_then_missed(&w, "bob", EndReason::RingTimeout);
    assert!(missed_events(&w, "alice").is_empty());
}

#[test]
fn a_declined_call_is_not_missed() {
    let mut w = World::new(102, &["alice", "bob"]);
    w.ring("alice", "bob", Media::Video);
    w.command("bob", Command::Decline);
    w.run_for(Duration::secs(1));
    assert_eq!(w.ended("bob"), Some(EndReason::Rejected));
    assert!(missed_events(&w, "bob").is_empty());
}

#[test]
fn a_ringing_call_replaced_by_the_same_callers_new_call_is_missed() {
    let mut w = World::new(103, &["alice", "bob"]);
    w.ring("alice", "bob", Media::Video);
    let first = w.ep("bob").phone.call().unwrap().call_id;
    // Alice's app restarts and she calls again before her first call reached an end.
    w.reload("alice", 7);
    w.call("alice", "bob", Media::Video);
    w.run_for(Duration::secs(1));
    let missed = missed_events(&w, "bob");
    assert_eq!(missed.len(), 1);
    assert!(matches!(&missed[0], Event::Missed { call_id, .. } if *call_id == first));
    assert_eq!(
        w.state("bob"),
        Some(CallState::RingingIncoming),
        "the new call rings"
    );
}
