//! Bob refuses a ringing call as busy (a kiosk that takes calls only from some contacts):
//! Alice hears "busy", exactly as when Bob is in another call, and Bob has a missed call.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::{CallError, CallState, Command, Event};
use sotto_shared::wire::signal::{EndReason, Media};

#[test]
fn a_call_refused_as_busy_ends_busy_on_both_sides_and_is_missed() {
    let mut w = World::new(11, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.command("bob", Command::RefuseBusy);
    w.run_until(Duration::secs(2), |w| w.ended("alice").is_some());
    assert_eq!(w.ended("alice"), Some(EndReason::Busy));
    assert_eq!(w.ended("bob"), Some(EndReason::Busy));
    let missed: Vec<_> = w
        .ep("bob")
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Missed { busy, .. } => Some(*busy),
            _ => None,
        })
        .collect();
    assert_eq!(missed, [true], "one missed call, marked busy");
}

#[test]
fn only_a_ringing_call_can_be_refused_as_busy() {
    let mut w = World::new(12, &["alice", "bob"]);
    w.call("alice", "bob", Media::Audio);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.command("alice", Command::RefuseBusy);
    assert_eq!(
        w.ep("alice").errors,
        [CallError::Unexpected {
            state: CallState::RingingOutgoing,
            got: "refuse_busy",
        }
        .to_string()]
    );
    assert_eq!(w.state("alice"), Some(CallState::RingingOutgoing));
}
