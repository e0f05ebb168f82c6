//! Issue #12: in kiosk mode, a call from a contact the kiosk trusts is answered by itself
//! after the countdown (default 3 s), with the media allowed for that contact and never more
//! than the caller asked for; out of kiosk mode the same call just rings.

mod common;

use common::World;
use sotto_client::{CallState, Command, Others};
use sotto_shared::Duration;
use sotto_shared::wire::signal::Media;

fn kiosk_with_bob_and_carol() -> World {
    World::kiosk_with(1201, &["Bob", "Carol"])
}

#[test]
fn a_trusted_contacts_call_is_answered_after_the_countdown_with_their_media() {
    let mut w = kiosk_with_bob_and_carol();
    w.set_up_kiosk(
        "Kiosk",
        &[("Bob", Media::Video), ("Carol", Media::Audio)],
        Others::Ring,
    );

    w.call("Bob", "Kiosk", Media::Video);
    w.run_for(Duration::ms(500));
    assert_eq!(w.state("Kiosk"), Some(CallState::RingingIncoming));
    let countdown = w.client("Kiosk").countdown().expect("a countdown runs");
    assert_eq!(countdown.media, Media::Video);
    w.run_for(Duration::ms(2_300));
    assert_eq!(
        w.state("Kiosk"),
        Some(CallState::RingingIncoming),
        "still counting down"
    );
    w.run_for(Duration::secs(3));
    assert_eq!(w.state("Kiosk"), Some(CallState::Connected));
    assert_eq!(w.state("Bob"), Some(CallState::Connected));
    assert_eq!(w.client("Kiosk").call().unwrap().media, Media::Video);
    assert_eq!(w.client("Kiosk").countdown(), None);
    w.command("Bob", Command::Hangup);
    w.run_for(Duration::secs(2));

    // Carol may be answered with audio only, whatever she asks for.
    w.call("Carol", "Kiosk", Media::Video);
    w.run_for(Duration::secs(5));
    assert_eq!(w.state("Kiosk"), Some(CallState::Connected));
    assert_eq!(w.client("Kiosk").call().unwrap().media, Media::Audio);
}

#[test]
fn an_audio_call_is_answered_with_audio_even_where_video_is_allowed() {
    let mut w = kiosk_with_bob_and_carol();
    w.set_up_kiosk("Kiosk", &[("Bob", Media::Video)], Others::Ring);
    w.call("Bob", "Kiosk", Media::Audio);
    w.run_for(Duration::secs(5));
    assert_eq!(w.state("Kiosk"), Some(CallState::Connected));
    assert_eq!(w.client("Kiosk").call().unwrap().media, Media::Audio);
}

#[test]
fn out_of_kiosk_mode_the_same_call_only_rings() {
    let mut w = kiosk_with_bob_and_carol();
    w.set_up_kiosk("Kiosk", &[("Bob", Media::Video)], Others::Busy);
    w.command("Kiosk", Command::LeaveKiosk { pin: "2468".into() });
    assert!(!w.client("Kiosk").is_kiosk());
    w.call("Bob", "Kiosk", Media::Video);
    w.run_for(Duration::secs(10));
    assert_eq!(w.state("Kiosk"), Some(CallState::RingingIncoming));
    assert_eq!(w.client("Kiosk").countdown(), None);
}

#[test]
fn a_call_that_is_cancelled_during_the_countdown_is_not_answered() {
    let mut w = kiosk_with_bob_and_carol();
    w.set_up_kiosk("Kiosk", &[("Bob", Media::Video)], Others::Ring);
    w.call("Bob", "Kiosk", Media::Video);
    w.run_for(Duration::secs(1));
    w.command("Bob", Command::Hangup);
    w.run_for(Duration::secs(5));
    assert_eq!(w.state("Kiosk"), None);
    assert_eq!(w.client("Kiosk").countdown(), None);
    assert_eq!(w.client("Kiosk").profile().missed.len(), 1);
}
