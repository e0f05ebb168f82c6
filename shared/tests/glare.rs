//! Alice and Bob call each other at the same moment: exactly one call survives, the same one on
//! both sides, and it connects without anyone pressing "accept".
mod common;
use common::{RelayPolicy, World};
use sotto_shared::Duration;
use sotto_shared::call::{CallState, Event};
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
