//! Bob declines: both sides end `rejected`, quickly.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::Command;
use sotto_shared::wire::signal::{EndReason, Media};

#[test]
fn decline_ends_both_sides_as_rejected() {
    let mut w = World::new(10, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    let declined_at = w.now;
    w.command("bob", Command::Decline);
    w.run_until(Duration::secs(2), |w| w.ended("alice").is_some());
    assert_eq!(w.ended("alice"), Some(EndReason::Rejected));
    assert_eq!(w.ended("bob"), Some(EndReason::Rejected));
    assert!(w.now.saturating_since(declined_at) < Duration::secs(2));
}
