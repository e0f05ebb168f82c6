//! The caller commits to its call key in the invitation and reveals it in the answer; the callee
//! derives keys only from a revealed key that matches the commitment, and before it applies the
//! answer (so its transforms hold keys before any media can flow).
mod common;
use common::World;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sotto_shared::call::{CallState, Command, Input, RtcAction};
use sotto_shared::crypto::{CallKeyPair, DhCommit, PublicKey};
use sotto_shared::wire::signal::{CallMsg, CallSignal, EndReason, Media};
use sotto_shared::{CallId, Duration};

/// Alice calls, Bob accepts; stops as soon as Alice's answer is on the relay.
fn answer_in_flight(seed: u64) -> World {
    let mut w = World::new(seed, &["alice", "bob"]);
    w.ring("alice", "bob", Media::Video);
    w.accept("bob", Media::Video);
    w.run_until(Duration::secs(5), |w| {
        w.relay
            .in_flight
            .iter()
            .any(|m| m.signal.msg.kind() == "answer")
    });
    w
}

fn set_keys(w: &World, name: &str) -> usize {
    w.ep(name)
        .rtc_log
        .iter()
        .filter(|(_, a)| matches!(a, RtcAction::SetKeys { .. }))
        .count()
}

#[test]
fn a_matching_reveal_gives_both_sides_the_same_code() {
    let mut w = answer_in_flight(90);
    assert!(
        w.ep("alice").phone.security_code().is_some(),
        "the caller has keys once the offer came"
    );
    assert_eq!(
        w.ep("bob").phone.security_code(),
        None,
        "the callee has no code before the caller's key is revealed"
    );
    assert_eq!(set_keys(&w, "bob"), 0);

    w.run_until(Duration::secs(5), |w| {
        w.state("alice") == Some(CallState::Connected)
            && w.state("bob") == Some(CallState::Connected)
    });
    w.assert_connected_pair("alice", "bob");

    // What travelled: a commitment in the invitation, the key it commits to in the answer.
    let CallMsg::Invite { dh_commit, .. } = w.sent("invite")[0].signal.msg else {
        unreachable!()
    };
    let answer = &w.sent("answer")[0].signal;
    let CallMsg::Answer { dh_pk, .. } = answer.msg else {
        unreachable!()
    };
    assert!(dh_commit.matches(&answer.call_id, &dh_pk));
}

#[test]
fn the_callee_sets_keys_before_it_applies_the_answer() {
    let mut w = answer_in_flight(91);
    w.run_until(Duration::secs(5), |w| {
        w.state("bob") == Some(CallState::Connected)
    });

    let bob: Vec<&RtcAction> = w.ep("bob").rtc_log.iter().map(|(_, a)| a).collect();
    let keys_at = bob
        .iter()
        .position(|a| matches!(a, RtcAction::SetKeys { .. }))
        .expect("bob got keys");
    assert!(matches!(bob[0], RtcAction::Prepare { .. }));
    assert!(
        matches!(bob[keys_at + 1], RtcAction::ApplyAnswer { .. }),
        "{bob:?}"
    );
    assert!(
        !bob[..keys_at]
            .iter()
            .any(|a| matches!(a, RtcAction::ApplyAnswer { .. })),
        "no answer applied before the keys"
    );

    let alice: Vec<&RtcAction> = w.ep("alice").rtc_log.iter().map(|(_, a)| a).collect();
    assert!(
        matches!(
            alice[..3],
            [
                RtcAction::Prepare { .. },
                RtcAction::SetKeys { .. },
                RtcAction::ApplyOffer { .. }
            ]
        ),
        "{alice:?}"
    );
}

#[test]
fn a_forged_reveal_ends_the_callee_as_invalid() {
    let mut w = answer_in_flight(92);
    // Someone between them swaps in a key of their own choosing, after seeing Bob's.
    let forged = CallKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(7)).public();
    for m in &mut w.relay.in_flight {
        if let CallMsg::Answer { dh_pk, .. } = &mut m.signal.msg {
            *dh_pk = forged;
        }
    }
    w.run_until(Duration::secs(2), |w| {
        w.ended("alice").is_some() && w.ended("bob").is_some()
    });

    assert_eq!(w.ended("bob"), Some(EndReason::Invalid));
    assert_eq!(w.ended("alice"), Some(EndReason::Invalid));
    assert_eq!(
        set_keys(&w, "bob"),
        0,
        "no key derived from a forged reveal"
    );
    assert!(w.ep("bob").rtc.keys.is_none() && w.ep("bob").rtc.closed);
    assert!(
        !w.ep("bob")
            .rtc_log
            .iter()
            .any(|(_, a)| matches!(a, RtcAction::ApplyAnswer { .. }))
    );
    assert!(w.sent("hangup").iter().any(|s| s.from.0 == "bob"
        && s.signal.msg
            == CallMsg::Hangup {
                reason: EndReason::Invalid
            }));
}

#[test]
fn a_caller_committed_to_a_low_order_key_is_refused() {
    // A hostile caller commits to the all-zero key, which forces a known shared secret.
    let mut w = World::new(93, &["alice", "bob"]);
    let call_id = CallId::from_bytes([9; 16]);
    let zero = PublicKey::from_bytes([0; 32]);
    let from = w.contact("alice");
    let signal = |seq, msg| Input::Signal {
        from: from.clone(),
        age: Duration::ms(0),
        signal: CallSignal { call_id, seq, msg },
    };
    w.input(
        "bob",
        signal(
            0,
            CallMsg::Invite {
                media: Media::Audio,
                encryption: true,
                dh_commit: DhCommit::of(&call_id, &zero),
                lifetime_ms: 60_000,
            },
        ),
    );
    w.command(
        "bob",
        Command::Accept {
            media: Media::Audio,
        },
    );
    w.input(
        "bob",
        signal(
            1,
            CallMsg::Answer {
                sdp: "v=0".into(),
                candidates: vec![],
                dh_pk: zero,
            },
        ),
    );
    assert_eq!(w.ended("bob"), Some(EndReason::Invalid));
    assert_eq!(set_keys(&w, "bob"), 0);
}
