//! A relay that duplicates and reorders (delivery is at-least-once): calls still connect, for
//! many seeds, and every duplicate is dropped by `seq`.
mod common;
use common::{RelayPolicy, World};
use sotto_shared::Duration;
use sotto_shared::call::CallState;
use sotto_shared::wire::signal::{EndReason, Media};

#[test]
fn duplicates_and_reordering_do_not_break_calls() {
    for seed in 0..40 {
        let mut w = World::new(1000 + seed, &["alice", "bob"]);
        w.relay.policy = RelayPolicy {
            latency: Duration::ms(50),
            jitter: Duration::ms(700),
            duplicate: 0.5,
            drop: 0.0,
        };
        w.call("alice", "bob", Media::Video);
        w.run_until(Duration::secs(3), |w| w.state("bob").is_some());
        w.accept("bob", Media::Video);
        w.run_until(Duration::secs(10), |w| {
            w.state("alice") == Some(CallState::Connected)
                && w.state("bob") == Some(CallState::Connected)
        });
        w.assert_connected_pair("alice", "bob");
        w.hangup("alice");
        w.run_for(Duration::secs(3));
        assert_eq!(w.ended("bob"), Some(EndReason::RemoteHangup), "seed {seed}");
        for name in ["alice", "bob"] {
            assert!(
                w.ep(name).errors.is_empty(),
                "seed {seed} {name}: {:?}",
                w.ep(name).errors
            );
            let connected = w
                .states(name)
                .iter()
                .filter(|s| **s == CallState::Connected)
                .count();
            assert_eq!(connected, 1, "seed {seed}: each state once");
        }
    }
}

#[test]
fn a_lost_candidate_batch_is_skipped_after_the_gap_wait() {
    // Drop ~20% of messages; calls whose offer, answer and first candidates arrive still connect
    // even when a later batch is lost (the inbox stops waiting for the gap).
    let mut connected = 0;
    for seed in 0..30 {
        let mut w = World::new(2000 + seed, &["alice", "bob"]);
        w.call("alice", "bob", Media::Video);
        w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
        w.relay.policy.drop = 0.2;
        w.accept("bob", Media::Video);
        w.run_for(Duration::secs(35));
        let a = w.states("alice");
        if a.contains(&CallState::Connected) {
            connected += 1;
        } else {
            assert!(
                w.last_state("alice").is_some_and(|s| s.is_ended()) || w.state("alice").is_none(),
                "seed {seed}: {a:?}"
            );
        }
    }
    assert!(connected >= 10, "only {connected}/30 connected");
}
