//! Alice calls Bob with video; Bob accepts; both connect with the same keys; Alice hangs up.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::{CallState, RtcAction};
use sotto_shared::wire::signal::{EndReason, Media};

#[test]
fn video_call_connects_and_hangs_up() {
    let mut w = World::new(1, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    assert_eq!(w.state("alice"), Some(CallState::RingingOutgoing));
    w.run_until(Duration::secs(1), |w| {
        w.state("bob") == Some(CallState::RingingIncoming)
    });

    // Nothing about the network exists before consent: no SDP, no peer connection.
    w.run_for(Duration::secs(5));
    assert!(w.sent("offer").is_empty() && w.sent("answer").is_empty());
    assert!(w.ep("alice").rtc.actions.is_empty() && w.ep("bob").rtc.actions.is_empty());

    w.accept("bob", Media::Video);
    assert!(
        matches!(
            w.ep("bob").rtc.actions[..],
            [RtcAction::Prepare { .. }, RtcAction::CreateOffer { .. }]
        ),
        "transforms before any SDP; keys only once the answer reveals the caller's key"
    );
    w.run_until(Duration::secs(5), |w| {
        w.state("alice") == Some(CallState::Connected)
            && w.state("bob") == Some(CallState::Connected)
    });
    w.assert_connected_pair("alice", "bob");

    // The callee made the offer (seed simplex-ios-calls.md §4) and it carried candidates.
    let offer = w.sent("offer");
    assert_eq!(offer.len(), 1);
    assert_eq!(offer[0].from.0, "bob");
    assert_eq!(w.sent("answer")[0].from.0, "alice");

    assert_eq!(
        w.states("alice"),
        [
            CallState::RingingOutgoing,
            CallState::Connecting,
            CallState::Connected
        ]
    );
    assert_eq!(
        w.states("bob"),
        [
            CallState::RingingIncoming,
            CallState::Connecting,
            CallState::Connected
        ]
    );

    w.hangup("alice");
    w.run_for(Duration::secs(1));
    assert_eq!(w.ended("alice"), Some(EndReason::LocalHangup));
    assert_eq!(w.ended("bob"), Some(EndReason::RemoteHangup));
    assert!(w.ep("alice").rtc.closed && w.ep("bob").rtc.closed);
    assert_eq!(
        w.state("alice"),
        None,
        "an ended call leaves the phone free"
    );
    assert!(
        w.ep("alice").errors.is_empty() && w.ep("bob").errors.is_empty(),
        "{:?}",
        w.ep("bob").errors
    );
}

#[test]
fn callee_can_hang_up_too() {
    let mut w = World::new(2, &["alice", "bob"]);
    w.call("alice", "bob", Media::Audio);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.accept("bob", Media::Audio);
    w.run_until(Duration::secs(5), |w| {
        w.state("alice") == Some(CallState::Connected)
    });
    w.hangup("bob");
    w.run_for(Duration::secs(1));
    assert_eq!(w.ended("bob"), Some(EndReason::LocalHangup));
    assert_eq!(w.ended("alice"), Some(EndReason::RemoteHangup));
}

#[test]
fn audio_call_accepted_with_audio_reports_audio() {
    let mut w = World::new(3, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.accept("bob", Media::Audio);
    w.run_until(Duration::secs(5), |w| {
        w.state("alice") == Some(CallState::Connected)
    });
    assert_eq!(
        w.ep("alice").phone.call().unwrap().media,
        Media::Audio,
        "the callee's choice wins"
    );
}

#[test]
fn caller_cancels_while_ringing() {
    let mut w = World::new(4, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.hangup("alice");
    w.run_for(Duration::secs(1));
    assert_eq!(w.ended("alice"), Some(EndReason::LocalHangup));
    assert_eq!(w.ended("bob"), Some(EndReason::RemoteHangup));
    assert!(
        w.ep("bob").rtc.actions.is_empty(),
        "nothing was set up for a call never accepted"
    );
}
