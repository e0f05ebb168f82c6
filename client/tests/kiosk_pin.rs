//! Issue #12: leaving kiosk mode needs the PIN set at set-up; repeated wrong PINs make the
//! next try wait; the configuration and the mode survive a reload, and the PIN is stored
//! only as a salted hash.

mod common;

use common::World;
use sotto_client::{Command, Event, KioskError, KioskSetup, Others};
use sotto_shared::Duration;
use sotto_shared::wire::signal::Media;

fn leave(w: &mut World, pin: &str) {
    w.command("Kiosk", Command::LeaveKiosk { pin: pin.into() });
}

fn last_refusal(w: &World) -> Option<KioskError> {
    w.events("Kiosk").into_iter().rev().find_map(|e| match e {
        Event::KioskRefused(e) => Some(e),
        _ => None,
    })
}

#[test]
fn leaving_needs_the_pin_and_wrong_pins_make_the_next_try_wait() {
    let mut w = World::kiosk_with(1203, &["Bob"]);
    w.set_up_kiosk("Kiosk", &[("Bob", Media::Video)], Others::Ring);

    for _ in 0..5 {
        leave(&mut w, "1111");
        assert_eq!(last_refusal(&w), Some(KioskError::WrongPin));
    }
    leave(&mut w, "2468");
    assert_eq!(last_refusal(&w), Some(KioskError::LockedOut(30)));
    assert!(w.client("Kiosk").is_kiosk(), "even the right PIN waits");
    w.run_for(Duration::secs(31));
    leave(&mut w, "2468");
    assert!(!w.client("Kiosk").is_kiosk());
}

#[test]
fn the_kiosk_survives_a_reload_and_its_pin_is_never_stored_in_digits() {
    let mut w = World::kiosk_with(1204, &["Bob"]);
    w.set_up_kiosk("Kiosk", &[("Bob", Media::Audio)], Others::Busy);
    let stored = w.sim("Kiosk").stored.clone();
    assert!(!stored.contains("2468"), "{stored}");

    w.reload("Kiosk");
    assert!(w.client("Kiosk").is_kiosk(), "back in kiosk mode");
    let kiosk = w.client("Kiosk").profile().kiosk.clone().unwrap();
    assert_eq!(kiosk.countdown_secs, 3);
    assert_eq!(kiosk.others, Others::Busy);
    assert!(kiosk.pin.matches("2468"));
    leave(&mut w, "2468");
    assert!(!w.client("Kiosk").is_kiosk());
}

#[test]
fn a_bad_set_up_is_refused_with_a_reason_and_changes_nothing() {
    let mut w = World::kiosk_with(1205, &[]);
    w.command("Kiosk", Command::EnterKiosk);
    assert_eq!(last_refusal(&w), Some(KioskError::NotSetUp));
    let no_pin = KioskSetup::default();
    w.command("Kiosk", Command::SetKiosk(no_pin));
    assert_eq!(last_refusal(&w), Some(KioskError::Pin));
    let imported = KioskSetup::from_json(
        r#"{"name":"Hall","auto_answer":[{"contact":"Zed","media":"video"}],"pin":"1234"}"#,
    )
    .unwrap();
    w.command("Kiosk", Command::SetKiosk(imported));
    assert_eq!(
        last_refusal(&w),
        Some(KioskError::UnknownContact("Zed".into()))
    );
    assert!(matches!(
        KioskSetup::from_json(r#"{"pin":"1234","colour":"red"}"#),
        Err(KioskError::NotAConfig(_))
    ));
    assert_eq!(w.client("Kiosk").profile().kiosk, None);
}
