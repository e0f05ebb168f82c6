//! Issue #12: in kiosk mode, a contact the kiosk does not answer by itself either rings (big
//! Accept/Decline buttons) or is refused as busy, as configured.

mod common;

use common::World;
use sotto_client::{CallState, Command, Others};
use sotto_shared::Duration;
use sotto_shared::wire::signal::{EndReason, Media};

fn kiosk_trusting_bob(others: Others) -> World {
    let mut w = World::kiosk_with(1202, &["Bob", "Mallory"]);
    w.set_up_kiosk("Kiosk", &[("Bob", Media::Video)], others);
    w
}

#[test]
fn others_are_refused_as_busy_when_so_configured() {
    let mut w = kiosk_trusting_bob(Others::Busy);
    w.call("Mallory", "Kiosk", Media::Video);
    w.run_for(Duration::secs(2));
    assert_eq!(w.ended("Mallory"), Some(EndReason::Busy));
    assert_eq!(w.state("Kiosk"), None);
    let missed = &w.client("Kiosk").profile().missed;
    assert_eq!(missed.len(), 1);
    assert!(missed[0].busy && missed[0].name == "Mallory");
    // The refused invitation was decided: acknowledged, it never rings again after a reload.
    w.reload("Kiosk");
    w.run_for(Duration::secs(3));
    assert_eq!(w.state("Kiosk"), None);

    // Bob still gets through.
    w.call("Bob", "Kiosk", Media::Video);
    w.run_for(Duration::secs(5));
    assert_eq!(w.state("Kiosk"), Some(CallState::Connected));
}

#[test]
fn others_ring_and_wait_for_a_person_when_so_configured() {
    let mut w = kiosk_trusting_bob(Others::Ring);
    w.call("Mallory", "Kiosk", Media::Video);
    w.run_for(Duration::secs(20));
    assert_eq!(w.state("Kiosk"), Some(CallState::RingingIncoming));
    assert_eq!(w.client("Kiosk").countdown(), None);
    w.command("Kiosk", Command::Decline);
    w.run_for(Duration::secs(1));
    assert_eq!(w.ended("Mallory"), Some(EndReason::Rejected));
}
