//! Mute and camera state reach the other side as events.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::{CallState, Command, Event};
use sotto_shared::wire::signal::{EndReason, Media};

#[test]
fn mute_state_reaches_the_peer() {
    let mut w = World::new(80, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.accept("bob", Media::Video);
    w.run_until(Duration::secs(5), |w| {
        w.state("alice") == Some(CallState::Connected)
    });
    w.command(
        "alice",
        Command::SetMedia {
            audio: false,
            video: true,
            screen: false,
        },
    );
    w.run_for(Duration::secs(1));
    assert!(w.ep("bob").events.iter().any(|(_, e)| matches!(
        e,
        Event::PeerMedia {
            audio: false,
            video: true,
            ..
        }
    )));
}

#[test]
fn a_media_failure_ends_both_sides() {
    let mut w = World::new(81, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.accept("bob", Media::Video);
    let call_id = w.ep("bob").phone.call().unwrap().call_id;
    w.input(
        "bob",
        sotto_shared::call::Input::Rtc {
            call_id,
            event: sotto_shared::call::RtcEvent::MediaFailed,
        },
    );
    w.run_for(Duration::secs(1));
    assert_eq!(w.ended("bob"), Some(EndReason::MediaFailed));
    assert_eq!(w.ended("alice"), Some(EndReason::MediaFailed));
}
