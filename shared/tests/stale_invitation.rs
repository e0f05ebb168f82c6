//! Invitations that are too old, or already cancelled, never ring.
mod common;
use common::{World, peer};
use sotto_shared::Duration;
use sotto_shared::call::{CallState, Event};
use sotto_shared::wire::signal::Media;

fn missed(w: &World, name: &str) -> bool {
    w.ep(name)
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Missed { busy: false, .. }))
}

#[test]
fn an_invitation_delivered_late_shows_as_missed() {
    let mut w = World::new(40, &["alice", "bob"]);
    w.relay.offline.push(peer("bob"));
    w.call("alice", "bob", Media::Video);
    w.run_for(Duration::secs(58));
    w.relay.offline.clear();
    w.run_for(Duration::secs(1));
    assert!(missed(&w, "bob"));
    assert!(!w.states("bob").contains(&CallState::RingingIncoming));
}

#[test]
fn an_invitation_with_time_left_rings_for_the_rest_of_it() {
    let mut w = World::new(41, &["alice", "bob"]);
    w.relay.offline.push(peer("bob"));
    w.call("alice", "bob", Media::Video);
    w.run_for(Duration::secs(50));
    w.relay.offline.clear();
    w.run_until(Duration::secs(1), |w| {
        w.state("bob") == Some(CallState::RingingIncoming)
    });
    let rang_at = w.now;
    w.run_until(Duration::secs(15), |w| w.ended("bob").is_some());
    let rang_for = w.now.saturating_since(rang_at);
    assert!(
        rang_for < Duration::secs(11),
        "rings only for what is left: {rang_for:?}"
    );
}

#[test]
fn a_cancel_that_overtakes_its_invitation_prevents_ringing() {
    let mut w = World::new(42, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.hangup("alice");
    // Deliver the hang-up first.
    w.relay.in_flight.reverse();
    for (i, m) in w.relay.in_flight.iter_mut().enumerate() {
        m.deliver_at = m.deliver_at + Duration::ms(i as u64 * 10);
    }
    w.run_for(Duration::secs(2));
    assert!(missed(&w, "bob"), "{:?}", w.ep("bob").events);
    assert!(!w.states("bob").contains(&CallState::RingingIncoming));
}
