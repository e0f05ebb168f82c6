//! Contacts and missed calls in real browsers (issue #7): the client core's rules as a person
//! meets them. `#[ignore]`d in a plain `cargo test`; `cargo xtask test` runs them.

use std::time::Duration;

use sotto_e2e::{Driver, Person, Shim, befriend, call, connected_video_call, two_contacts};

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn reopening_a_used_invite_link_keeps_the_contact_working() {
    let shim = Shim::start().await;
    let driver = Driver::start().await;
    let alice = Person::launch(&driver, "Alice").await;
    let bob = Person::launch(&driver, "Bob").await;
    alice.sign_up(&shim, &[]).await;
    bob.sign_up(&shim, &[]).await;
    let link = befriend(&alice, &bob).await;

    // Bob opens Alice's old link again: told she is a contact already, nothing to accept.
    bob.goto(&link).await;
    let existing = bob.wait_css("#invite-existing").await.text().await.unwrap();
    assert!(
        existing.contains("Alice is already in your contacts"),
        "{existing}"
    );
    assert!(
        !bob.is_present("#accept-invite").await,
        "no way to accept it again"
    );
    bob.screenshot("invite-existing.png").await;

    // Her calls still ring at Bob, and the call connects.
    connected_video_call(&alice, &bob).await;
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn a_call_cancelled_while_the_callee_is_away_shows_as_missed() {
    let (shim, _driver, alice, bob) = two_contacts(&[], &[]).await;

    // Bob closes the app (his tab leaves it); Alice calls and gives up.
    bob.goto("about:blank").await;
    call(&alice, &bob, true).await;
    alice.wait_call_state("RINGING_OUTGOING").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    alice.click("#hangup").await;
    assert_eq!(
        alice.wait_ended(Duration::from_secs(10)).await,
        "local_hangup"
    );

    // Bob comes back: a missed call from Alice, never "they ended the call".
    bob.goto(&shim.url()).await;
    let state = bob
        .wait_until("a missed call", Duration::from_secs(20), |s| {
            s["missed"].as_array().is_some_and(|m| !m.is_empty())
        })
        .await;
    assert_eq!(state["missed"][0]["peer_name"], "Alice", "{state}");
    assert!(
        state["ended"].is_null(),
        "not shown as an ended call: {state}"
    );
    let item = bob
        .wait_css("#missed-calls li.missed-call")
        .await
        .text()
        .await
        .unwrap();
    assert!(item.contains("Alice"), "{item}");
    assert!(!bob.is_present("#call-ended").await);
    bob.screenshot("missed-call.png").await;
    alice.close().await;
    bob.close().await;
}
