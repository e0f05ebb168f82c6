//! Accepted, but media never connects: both give up 30 s later with `connect_timeout`.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::CallState;
use sotto_shared::wire::signal::{EndReason, Media};

#[test]
fn no_connectivity_ends_with_connect_timeout() {
    let mut w = World::new(50, &["alice", "bob"]);
    w.network_up = false;
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    let accepted_at = w.now;
    w.accept("bob", Media::Video);
    w.run_until(Duration::secs(40), |w| {
        w.ended("alice").is_some() && w.ended("bob").is_some()
    });
    assert_eq!(w.ended("bob"), Some(EndReason::ConnectTimeout));
    assert_eq!(w.ended("alice"), Some(EndReason::ConnectTimeout));
    assert!(!w.states("alice").contains(&CallState::Connected));
    let took = w.now.saturating_since(accepted_at);
    assert!(
        took >= Duration::secs(30) && took < Duration::secs(31),
        "{took:?}"
    );
}
