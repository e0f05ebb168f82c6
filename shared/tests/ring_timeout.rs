//! Nobody answers: both sides end `ring_timeout` after the 60 s ring.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::CallState;
use sotto_shared::wire::signal::{EndReason, Media};

#[test]
fn unanswered_call_times_out_on_both_sides() {
    let mut w = World::new(30, &["alice", "bob"]);
    let start = w.now;
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| {
        w.state("bob") == Some(CallState::RingingIncoming)
    });
    w.run_until(Duration::secs(70), |w| {
        w.ended("alice").is_some() && w.ended("bob").is_some()
    });
    assert_eq!(w.ended("alice"), Some(EndReason::RingTimeout));
    assert_eq!(w.ended("bob"), Some(EndReason::RingTimeout));
    let took = w.now.saturating_since(start);
    assert!(
        took >= Duration::secs(60) && took < Duration::secs(61),
        "{took:?}"
    );
}

#[test]
fn a_shorter_configured_ring_applies_to_both_sides() {
    let config = sotto_shared::call::PhoneConfig {
        ring_lifetime: Duration::secs(8),
        ..Default::default()
    };
    let mut w = World::with_config(31, &["alice", "bob"], config);
    w.call("alice", "bob", Media::Audio);
    w.run_until(Duration::secs(9), |w| {
        w.ended("alice").is_some() && w.ended("bob").is_some()
    });
    assert_eq!(w.ended("bob"), Some(EndReason::RingTimeout));
}
