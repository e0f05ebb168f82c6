//! The call screens as a new user meets them (issue #9): the decrypt warning, screen sharing,
//! a device that goes away, the audio-call view, the verified mark — and screenshots of each
//! screen at 360 px and 1080p under `target/screenshots/`. Like the other browser tests they
//! need the built app and Chromium, so they are `#[ignore]`d in a plain `cargo test`.

use std::time::Duration;

use sotto_e2e::{Driver, Person, Shim, call, connected_video_call, num, two_contacts};

const PHONE_WIDTH: i64 = 360;

/// A script: whether the element is laid out with a size (not `display: none`, not absent).
fn shown_js(id: &str) -> String {
    format!(
        "const e = document.getElementById('{id}'); return !!e && e.offsetWidth > 0 && e.offsetHeight > 0"
    )
}

async fn is_shown(p: &Person, id: &str) -> bool {
    p.js(&shown_js(id)).await.as_bool().unwrap_or(false)
}

/// Waits until `script`'s result satisfies `ok`, up to `secs`; returns the last result.
async fn wait_js(
    p: &Person,
    what: &str,
    secs: u64,
    script: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let value = p.js(script).await;
        if ok(&value) {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}: {what} did not happen ({value}); state: {}",
            p.name,
            p.debug().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn screenshots(p: &Person, file: &str) {
    let width = p.screenshots(file).await;
    assert!(
        width <= PHONE_WIDTH,
        "{}: {file} is {width} px wide at a 360 px window",
        p.name
    );
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn frames_that_do_not_decrypt_are_announced_and_good_ones_are_not() {
    // Bob's receive key is wrong (test switch): he cannot decrypt Alice; Alice decrypts Bob.
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[("wrong_frame_key", "1")]).await;
    connected_video_call(&alice, &bob).await;
    let warned = bob
        .wait_until("the decrypt warning", Duration::from_secs(20), |s| {
            s["call"]["decrypt_failing"] == true
        })
        .await;
    assert_eq!(num(&warned, &["counters", "decrypted"]), 0, "{warned}");
    let text = bob.wait_css("#decrypt-warning").await.text().await.unwrap();
    assert_eq!(
        text, "Can't decrypt Alice's media — compare security codes",
        "{text}"
    );
    let state = bob
        .js("return document.getElementById('decrypt-state').textContent")
        .await;
    assert!(
        state
            .as_str()
            .unwrap_or_default()
            .contains("cannot decrypt"),
        "{state}"
    );
    // Alice decodes Bob's video all along and is never warned.
    let good = alice
        .wait_until("video decoded", Duration::from_secs(20), |s| {
            num(s, &["stats", "frames_decoded"]) > 10
        })
        .await;
    assert_eq!(good["call"]["decrypt_failing"], false, "{good}");
    assert!(!alice.is_present("#decrypt-warning").await);
    screenshots(&bob, "decrypt-warning").await;
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn a_shared_screen_shows_full_size_on_the_other_side_with_the_camera_as_a_tile() {
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[]).await;
    connected_video_call(&alice, &bob).await;
    bob.wait_until("video decoded", Duration::from_secs(20), |s| {
        num(s, &["stats", "frames_decoded"]) > 10
    })
    .await;
    assert!(
        is_shown(&bob, "remote-video").await,
        "a camera that sends is shown"
    );
    screenshots(&alice, "video-call").await;

    alice.click("#screen-share").await;
    alice
        .wait_until("sharing", Duration::from_secs(10), |s| {
            s["call"]["screen_on"] == true
        })
        .await;
    bob.wait_until("Alice's screen announced", Duration::from_secs(10), |s| {
        s["call"]["peer_screen"] == true
    })
    .await;
    // Frames of the screen arrive and decode (decrypted on the screen_video receiver).
    wait_js(
        &bob,
        "Alice's screen on Bob's",
        20,
        "return document.getElementById('remote-screen').videoWidth",
        |w| w.as_u64().unwrap_or(0) > 0,
    )
    .await;
    assert!(is_shown(&bob, "remote-screen").await);
    assert!(
        bob.js("return document.getElementById('remote-video').classList.contains('tile')")
            .await
            .as_bool()
            .unwrap_or(false),
        "the camera is a small tile while the screen is shown"
    );
    assert_eq!(
        bob.debug().await["call"]["decrypt_failing"],
        false,
        "a normal call never warns"
    );
    screenshots(&bob, "screen-shared").await;

    alice.click("#screen-share").await;
    bob.wait_until("sharing stopped", Duration::from_secs(10), |s| {
        s["call"]["peer_screen"] == false
    })
    .await;
    assert!(!is_shown(&bob, "remote-screen").await);
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn an_unplugged_microphone_falls_back_to_the_default_and_says_so() {
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[]).await;
    connected_video_call(&alice, &bob).await;
    let granted = alice
        .wait_until("the camera's resolution", Duration::from_secs(10), |s| {
            s["camera_resolution"].is_string()
        })
        .await;
    assert!(
        granted["camera_resolution"]
            .as_str()
            .is_some_and(|r| r.contains('×')),
        "{granted}"
    );
    // Unplugging ends the track without the app stopping it: end it and fire its `ended`.
    let old = alice
        .js(
            "const t = document.getElementById('local-video').srcObject.getAudioTracks()[0]; \
             t.stop(); t.dispatchEvent(new Event('ended')); return t.id",
        )
        .await;
    let notice = alice.wait_css("#notice").await.text().await.unwrap();
    assert!(
        notice.contains("microphone in use was disconnected"),
        "{notice}"
    );
    wait_js(
        &alice,
        "a new live microphone track",
        10,
        "const t = document.getElementById('local-video').srcObject.getAudioTracks()[0]; \
         return t ? [t.id, t.readyState] : null",
        |now| now[0] != old && now[1] == "live",
    )
    .await;
    // Bob keeps hearing Alice.
    let before = num(&bob.debug().await, &["stats", "audio_samples"]);
    bob.wait_until("audio still flows", Duration::from_secs(10), |s| {
        num(s, &["stats", "audio_samples"]) > before + 1000
    })
    .await;
    screenshots(&alice, "device-fallback-notice").await;
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn an_audio_call_shows_the_contact_and_no_video_and_can_be_marked_verified() {
    let (_shim, _driver, alice, bob) = two_contacts(&[], &[]).await;
    screenshots(&alice, "contacts").await;
    call(&alice, &bob, false).await;
    alice.wait_css("#outgoing-screen").await;
    screenshots(&alice, "outgoing-call").await;
    bob.wait_css("#incoming-banner").await;
    screenshots(&bob, "incoming-call").await;
    bob.click("#accept-audio").await;
    for p in [&alice, &bob] {
        p.wait_call_state("CONNECTED").await;
        p.wait_css("#security-code").await;
        let card = p.wait_css("#audio-call").await.text().await.unwrap();
        assert!(card.contains("Audio call"), "{}: {card}", p.name);
        assert!(
            !is_shown(p, "remote-video").await,
            "{}: black video",
            p.name
        );
        assert!(
            !is_shown(p, "local-video").await,
            "{}: stray preview",
            p.name
        );
    }
    let explain = alice.wait_css("#security").await.text().await.unwrap();
    assert!(
        explain
            .contains("Compare with Bob's screen — if the numbers match, nobody is listening in"),
        "{explain}"
    );
    screenshots(&alice, "audio-call").await;

    // Camera on shows our preview; off again leaves no empty box.
    alice.click("#camera-toggle").await;
    wait_js(&alice, "our preview", 10, &shown_js("local-video"), |v| {
        *v == true
    })
    .await;
    alice.click("#camera-toggle").await;
    wait_js(
        &alice,
        "no preview box",
        10,
        &shown_js("local-video"),
        |v| *v == false,
    )
    .await;

    alice.click("#mark-verified").await;
    alice.wait_css("#call-verified").await;
    assert!(!alice.is_present("#mark-verified").await);
    screenshots(&alice, "audio-call-verified").await;
    alice.click("#hangup").await;
    let state = alice
        .wait_until("Bob verified in the list", Duration::from_secs(10), |s| {
            s["call"].is_null()
                && s["contacts"][0]["name"] == "Bob"
                && s["contacts"][0]["verified"] == true
        })
        .await;
    assert_eq!(state["contacts"][0]["key_changed"], false, "{state}");
    alice.wait_css(".contact[data-name='Bob'] .verified").await;
    screenshots(&alice, "call-ended-verified-contact").await;
    // The ended-call message is closable.
    alice.click("#call-ended .close").await;
    assert!(!alice.is_present("#call-ended").await);
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn the_first_screens_fit_a_phone() {
    let shim = Shim::start().await;
    let driver = Driver::start().await;
    let alice = Person::launch(&driver, "Alice").await;
    alice.goto(&shim.url()).await;
    alice.wait_css("#name-input").await;
    screenshots(&alice, "onboarding").await;
    alice.sign_up(&shim, &[]).await;
    alice.wait_css("#no-contacts").await;
    screenshots(&alice, "home-empty").await;
    alice.click("#invite-button").await;
    alice.wait_css("#invite-link").await;
    screenshots(&alice, "invite").await;
    alice.close().await;
}
