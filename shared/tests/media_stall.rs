//! The glue's measurement of inbound media drives RECONNECTING before ICE does; a peer that
//! sends nothing is not a lost path; a refused or unreachable TURN relay ends the call by name.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::call::{CallState, Command, Input, RtcAction, RtcEvent};
use sotto_shared::wire::signal::{EndReason, Media};

fn connected(seed: u64) -> World {
    let mut w = World::new(seed, &["alice", "bob"]);
    w.connect("alice", "bob", Media::Video);
    w
}

fn rtc(w: &mut World, name: &str, event: RtcEvent) {
    let call_id = w.ep(name).phone.call().unwrap().call_id;
    w.input(name, Input::Rtc { call_id, event });
}

#[test]
fn stalled_media_means_reconnecting_and_a_restart_at_once() {
    let mut w = connected(120);
    rtc(&mut w, "bob", RtcEvent::InboundMedia { flowing: false });
    assert_eq!(w.state("bob"), Some(CallState::Reconnecting));
    assert!(
        w.ep("bob")
            .rtc
            .actions
            .iter()
            .any(|a| matches!(a, RtcAction::CreateOffer { ice_restart: true })),
        "the restart does not wait for ICE"
    );
    rtc(&mut w, "bob", RtcEvent::InboundMedia { flowing: true });
    assert_eq!(
        w.state("bob"),
        Some(CallState::Connected),
        "media back on a pair ICE still holds"
    );
    w.run_for(Duration::secs(3));
    w.assert_connected_pair("alice", "bob");
    assert!(w.ep("bob").errors.is_empty(), "{:?}", w.ep("bob").errors);
}

#[test]
fn silence_from_a_peer_that_sends_nothing_is_not_a_lost_path() {
    let mut w = connected(121);
    w.command(
        "alice",
        Command::SetMedia {
            audio: false,
            video: false,
            screen: false,
        },
    );
    w.run_for(Duration::secs(1));
    rtc(&mut w, "bob", RtcEvent::InboundMedia { flowing: false });
    assert_eq!(w.state("bob"), Some(CallState::Connected));
}

#[test]
fn a_relay_that_refuses_us_ends_the_call_by_name_on_both_sides() {
    let mut w = World::new(122, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.accept("bob", Media::Video);
    rtc(&mut w, "bob", RtcEvent::RelayUnreachable);
    w.run_for(Duration::secs(1));
    assert_eq!(w.ended("bob"), Some(EndReason::TurnFailed));
    assert_eq!(w.ended("alice"), Some(EndReason::TurnFailed));
}

#[test]
fn a_signal_lost_while_reconnecting_leaves_the_call_to_the_give_up_timer() {
    let mut w = connected(123);
    rtc(&mut w, "bob", RtcEvent::InboundMedia { flowing: false });
    rtc(&mut w, "bob", RtcEvent::SendFailed);
    assert_eq!(
        w.state("bob"),
        Some(CallState::Reconnecting),
        "the signalling is down with the link; the link may return"
    );
}
