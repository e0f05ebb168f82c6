//! Alice and Bob call each other at the same moment: exactly one call survives, the same one on
//! both sides, and it connects without anyone pressing "accept"; a replaced call that already
//! had a peer connection closes it.
mod common;
use common::{RelayPolicy, World};
use sotto_shared::Duration;
use sotto_shared::call::{CallState, Event, RtcAction};
use sotto_shared::wire::signal::Media;

#[test]
fn simultaneous_calls_resolve_to_one() {
    for seed in 0..30 {
        let mut w = World::new(3000 + seed, &["alice", "bob"]);
        w.relay.policy = RelayPolicy {
            latency: Duration::ms(80),
            jitter: Duration::ms(300),
            ..RelayPolicy::default()
        };
        w.call("alice", "bob", Media::Video);
        w.call("bob", "alice", Media::Video);
        w.run_until(Duration::secs(10), |w| {
            w.state("alice") == Some(CallState::Connected)
                && w.state("bob") == Some(CallState::Connected)
        });
        w.assert_connected_pair("alice", "bob");
        let survivor = w.ep("alice").phone.call().unwrap().call_id;
        let replaced: Vec<_> = ["alice", "bob"]
            .iter()
            .flat_map(|n| {
                w.ep(n).events.iter().filter_map(|(_, e)| match e {
                    Event::Replaced { old, new } => Some((*old, *new)),
                    _ => None,
                })
            })
            .collect();
        assert_eq!(
            replaced.len(),
            1,
            "seed {seed}: exactly one side gives its call up"
        );
        let (old, new) = replaced[0];
        assert_eq!(new, survivor);
        assert!(new < old, "the smaller call id survives");
        assert!(w.ep("alice").errors.is_empty() && w.ep("bob").errors.is_empty());
    }
}

#[test]
fn a_replaced_call_that_was_negotiating_is_closed() {
    // Alice's call is past the offer (her peer connection exists) when Bob, who reloaded and
    // lost it, calls her again with a smaller call id: Alice's call is replaced, and its peer
    // connection must be closed, not left holding her microphone and camera.
    let mut w = World::new(3100, &["alice", "bob"]);
    w.ring("alice", "bob", Media::Video);
    w.accept("bob", Media::Video);
    w.run_until(Duration::secs(5), |w| {
        w.state("alice") == Some(CallState::Connecting)
    });
    let old = w.ep("alice").phone.call().unwrap().call_id;
    assert!(w.ep("alice").rtc.prepared.is_some());

    w.reload("bob", 4);
    w.call("bob", "alice", Media::Video);
    let new = w.ep("bob").phone.call().unwrap().call_id;
    assert!(
        new < old,
        "the scenario needs Bob's new call to win the glare rule"
    );
    w.run_until(Duration::secs(10), |w| {
        w.state("alice") == Some(CallState::Connected)
            && w.state("bob") == Some(CallState::Connected)
    });

    let log = &w.ep("alice").rtc_log;
    let closed = log
        .iter()
        .position(|(id, a)| *id == old && matches!(a, RtcAction::Close))
        .expect("the replaced call's peer connection is closed");
    let prepared = log
        .iter()
        .position(|(id, a)| *id == new && matches!(a, RtcAction::Prepare { .. }))
        .unwrap();
    assert!(closed < prepared, "closed before the new one is built");
    assert!(
        w.ep("alice")
            .events
            .iter()
            .any(|(_, e)| *e == Event::Replaced { old, new })
    );
    assert_eq!(w.ep("alice").phone.call().unwrap().call_id, new);
    w.assert_connected_pair("alice", "bob");
}

#[test]
fn a_peer_who_lost_a_connecting_call_replaces_it_with_a_larger_id_too() {
    // As above, but Bob's new call id is larger than Alice's: without the rule for a call
    // already connecting, Alice would drop Bob's call as the glare loser and Bob would ring out.
    let mut w = World::new(3100, &["alice", "bob"]);
    w.ring("alice", "bob", Media::Video);
    w.accept("bob", Media::Video);
    w.run_until(Duration::secs(5), |w| {
        w.state("alice") == Some(CallState::Connecting)
    });
    let old = w.ep("alice").phone.call().unwrap().call_id;
    let seed = (0..64)
        .find(|seed| {
            let mut probe = World::new(3100, &["alice", "bob"]);
            probe.reload("bob", *seed);
            probe.call("bob", "alice", Media::Video);
            probe.ep("bob").phone.call().unwrap().call_id > old
        })
        .expect("some seed gives a larger call id");
    w.reload("bob", seed);
    w.call("bob", "alice", Media::Video);
    let new = w.ep("bob").phone.call().unwrap().call_id;
    assert!(new > old);
    w.run_until(Duration::secs(10), |w| {
        w.state("alice") == Some(CallState::Connected)
            && w.state("bob") == Some(CallState::Connected)
    });
    assert_eq!(w.ep("alice").phone.call().unwrap().call_id, new);
    w.assert_connected_pair("alice", "bob");
}
