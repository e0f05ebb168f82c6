//! Calls between real headless Chromium browsers through a real shim (issue #4's nine checks).
//! They need the built app and Chromium, so they are `#[ignore]`d in a plain `cargo test`;
//! `cargo xtask test` builds everything and runs them with `--ignored`.

use std::time::Duration;

use sotto_e2e::{
    Driver, Person, Shim, befriend, call, connected_video_call, dropped, num, two_contacts,
};

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn invite_and_accept_lists_each_other() {
    // `two_contacts` invites and accepts through the UI and waits until each lists the other.
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[]).await;
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn video_call_carries_encrypted_media_both_ways() {
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[]).await;

    call(&alice, &bob, true).await;
    bob.wait_call_state("RINGING_INCOMING").await;
    bob.wait_css("#incoming-banner").await;
    bob.screenshot("incoming-banner.png").await;
    bob.click("#accept-video").await;
    alice.wait_call_state("CONNECTED").await;
    bob.wait_call_state("CONNECTED").await;

    // Media must flow and keep flowing: measure growth over at least 3 s on both sides.
    let ((a0, a1), (b0, b1)) = tokio::join!(media_growth(&alice), media_growth(&bob));
    for (who, before, after) in [("Alice", &a0, &a1), ("Bob", &b0, &b1)] {
        assert!(
            num(after, &["stats", "frames_decoded"])
                > num(before, &["stats", "frames_decoded"]) + 10,
            "{who} video stalled: {before} → {after}"
        );
        assert!(
            num(after, &["stats", "audio_samples"]) > num(before, &["stats", "audio_samples"]),
            "{who} audio stalled: {before} → {after}"
        );
        assert!(
            num(after, &["counters", "decrypted"]) > 0,
            "{who} decrypted nothing"
        );
        assert!(
            num(after, &["counters", "encrypted"]) > 0,
            "{who} encrypted nothing"
        );
        assert_eq!(dropped(after), 0, "{who} dropped frames: {after}");
    }
    // Seen, not just decoded: the remote <video> shows frames of the peer's camera.
    for p in [&alice, &bob] {
        let width = p
            .js("return document.getElementById('remote-video').videoWidth")
            .await;
        let detail = p.js("const v = document.getElementById('remote-video'); const s = v.srcObject; return JSON.stringify({ready: v.readyState, paused: v.paused, net: v.networkState, tracks: s ? s.getTracks().map(t => [t.kind, t.readyState, t.muted, t.enabled]) : null, err: v.error && v.error.message, log: (window.sottoLog || []).filter(l => !l.includes('bind')).slice(-12)})").await;
        assert!(
            width.as_u64().unwrap_or(0) > 0,
            "{}: the remote video shows nothing: {detail}",
            p.name
        );
    }
    let code_a = a1["call"]["security_code"]
        .as_str()
        .expect("Alice sees a code")
        .to_owned();
    let code_b = b1["call"]["security_code"]
        .as_str()
        .expect("Bob sees a code")
        .to_owned();
    assert_eq!(code_a, code_b, "security codes match");
    assert_eq!(
        alice.wait_css("#security-code").await.text().await.unwrap(),
        code_a
    );
    alice.screenshot("active-call.png").await;
    bob.screenshot("active-call-callee.png").await;
    alice.close().await;
    bob.close().await;
}

/// The published state once video decodes, and again 3 s later.
async fn media_growth(p: &Person) -> (serde_json::Value, serde_json::Value) {
    let before = p
        .wait_until("video decoded", Duration::from_secs(20), |s| {
            num(s, &["stats", "frames_decoded"]) > 0
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    (before, p.debug().await)
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn hang_up_from_either_side_ends_both() {
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[]).await;

    connected_video_call(&alice, &bob).await;
    alice.click("#hangup").await;
    assert_eq!(
        alice.wait_ended(Duration::from_secs(10)).await,
        "local_hangup"
    );
    assert_eq!(
        bob.wait_ended(Duration::from_secs(10)).await,
        "remote_hangup"
    );

    connected_video_call(&alice, &bob).await;
    bob.click("#hangup").await;
    assert_eq!(
        bob.wait_ended(Duration::from_secs(10)).await,
        "local_hangup"
    );
    assert_eq!(
        alice.wait_ended(Duration::from_secs(10)).await,
        "remote_hangup"
    );
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn declining_shows_declined_to_the_caller_quickly() {
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[]).await;

    call(&alice, &bob, true).await;
    alice.wait_css("#outgoing-screen").await;
    bob.wait_call_state("RINGING_INCOMING").await;
    bob.click("#decline").await;
    let declined_at = std::time::Instant::now();
    assert_eq!(alice.wait_ended(Duration::from_secs(2)).await, "rejected");
    assert!(declined_at.elapsed() < Duration::from_secs(2));
    let shown = alice
        .wait_css("#call-ended")
        .await
        .attr("data-reason")
        .await
        .unwrap();
    assert_eq!(shown.as_deref(), Some("rejected"));
    assert_eq!(bob.wait_ended(Duration::from_secs(5)).await, "rejected");
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn unanswered_calls_time_out_on_both_sides() {
    // Test-only: ring for 6 s instead of 60.
    let (_shim, _driver, alice, bob) =
        two_contacts(&[("ring_seconds", "6")], &[("ring_seconds", "6")]).await;

    call(&alice, &bob, false).await;
    bob.wait_call_state("RINGING_INCOMING").await;
    assert_eq!(
        alice.wait_ended(Duration::from_secs(15)).await,
        "ring_timeout"
    );
    // For Bob nothing "ended": a call he never answered is a missed call.
    let bob_state = bob
        .wait_until("a missed call", Duration::from_secs(15), |s| {
            s["call"].is_null() && s["missed"].as_array().is_some_and(|m| m.len() == 1)
        })
        .await;
    assert!(bob_state["ended"].is_null(), "{bob_state}");
    bob.wait_css("#missed-calls li.missed-call").await;
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn a_third_caller_gets_busy() {
    let shim = Shim::start().await;
    let driver = Driver::start().await;
    let alice = Person::launch(&driver, "Alice").await;
    let bob = Person::launch(&driver, "Bob").await;
    let carol = Person::launch(&driver, "Carol").await;
    alice.sign_up(&shim, &[]).await;
    bob.sign_up(&shim, &[]).await;
    carol.sign_up(&shim, &[]).await;
    befriend(&alice, &bob).await;
    befriend(&carol, &bob).await;

    connected_video_call(&alice, &bob).await;
    call(&carol, &bob, false).await;
    assert_eq!(carol.wait_ended(Duration::from_secs(10)).await, "busy");
    bob.wait_until("a missed call", Duration::from_secs(5), |s| {
        s["missed"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x["busy"] == true))
    })
    .await;
    assert_eq!(
        Person::call_state(&alice.debug().await).as_deref(),
        Some("CONNECTED"),
        "the call in progress is unaffected"
    );
    for p in [alice, bob, carol] {
        p.close().await;
    }
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn a_wrong_frame_key_decodes_nothing() {
    // Negative control: if frames were not really encrypted, a wrong key would change nothing.
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[("wrong_frame_key", "1")]).await;

    connected_video_call(&alice, &bob).await;
    // Alice (right key) decodes Bob's video, proving media flows at all...
    alice
        .wait_until("video decoded", Duration::from_secs(20), |s| {
            num(s, &["stats", "frames_decoded"]) > 10
        })
        .await;
    // ...while Bob, with a wrong key, drops every frame and decodes none.
    let bob_state = bob
        .wait_until("frames dropped", Duration::from_secs(20), |s| {
            num(s, &["counters", "dropped_forged"]) > 20
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let bob_state2 = bob.debug().await;
    assert_eq!(
        num(&bob_state2, &["stats", "frames_decoded"]),
        0,
        "{bob_state2}"
    );
    assert_eq!(
        num(&bob_state2, &["counters", "decrypted"]),
        0,
        "{bob_state2}"
    );
    assert!(
        num(&bob_state2, &["counters", "dropped_forged"])
            > num(&bob_state, &["counters", "dropped_forged"])
    );
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn reloading_while_ringing_rings_again() {
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[]).await;

    call(&alice, &bob, true).await;
    let first = bob.wait_call_state("RINGING_INCOMING").await;
    bob.client.refresh().await.unwrap();
    let again = bob.wait_call_state("RINGING_INCOMING").await;
    assert_eq!(
        first["call"]["call_id"], again["call"]["call_id"],
        "the same invitation rings again"
    );
    bob.click("#accept-audio").await;
    alice.wait_call_state("CONNECTED").await;
    bob.wait_call_state("CONNECTED").await;
    alice.close().await;
    bob.close().await;
}
