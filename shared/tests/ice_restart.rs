//! A connected call loses its network: RECONNECTING, an ICE restart started by the original
//! offerer (the callee), CONNECTED again; or, if the network stays down, `ice_failed` after 30 s
//! with at most three restarts.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::{CallState, RtcAction};
use sotto_shared::wire::signal::{CallMsg, EndReason, Media, SdpRole};

fn connected(seed: u64) -> World {
    let mut w = World::new(seed, &["alice", "bob"]);
    w.connect("alice", "bob", Media::Video);
    w
}

fn restarts(w: &World, name: &str) -> usize {
    w.ep(name)
        .rtc
        .actions
        .iter()
        .filter(|a| matches!(a, RtcAction::CreateOffer { ice_restart: true }))
        .count()
}

#[test]
fn recovers_through_an_ice_restart() {
    let mut w = connected(60);
    w.set_network(false);
    w.run_for(Duration::ms(100));
    assert_eq!(w.state("alice"), Some(CallState::Reconnecting));
    assert_eq!(w.state("bob"), Some(CallState::Reconnecting));
    w.run_for(Duration::secs(3));
    assert_eq!(restarts(&w, "bob"), 1, "the callee restarts after 2 s");
    assert_eq!(
        restarts(&w, "alice"),
        0,
        "only the original offerer restarts"
    );
    w.set_network(true);
    w.run_until(Duration::secs(10), |w| {
        w.state("alice") == Some(CallState::Connected)
            && w.state("bob") == Some(CallState::Connected)
    });
    let renegotiations: Vec<_> = w
        .sent("renegotiate")
        .iter()
        .map(|s| (s.from.0.clone(), s.signal.msg.clone()))
        .collect();
    assert!(
        matches!(&renegotiations[0], (from, CallMsg::Renegotiate { role: SdpRole::Offer, generation: 1, .. }) if from == "bob")
    );
    assert!(renegotiations.iter().any(|(from, m)| from == "alice"
        && matches!(
            m,
            CallMsg::Renegotiate {
                role: SdpRole::Answer,
                ..
            }
        )));
    w.assert_connected_pair("alice", "bob");
}

#[test]
fn gives_up_after_thirty_seconds_with_at_most_three_restarts() {
    let mut w = connected(61);
    let lost_at = w.now;
    w.set_network(false);
    w.run_until(Duration::secs(40), |w| {
        w.ended("alice").is_some() && w.ended("bob").is_some()
    });
    assert_eq!(w.ended("bob"), Some(EndReason::IceFailed));
    assert_eq!(w.ended("alice"), Some(EndReason::IceFailed));
    assert_eq!(restarts(&w, "bob"), 3);
    let took = w.now.saturating_since(lost_at);
    assert!(
        took >= Duration::secs(30) && took < Duration::secs(31),
        "{took:?}"
    );
}
