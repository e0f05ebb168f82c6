//! Firefox ESR ↔ Chromium through a real shim, each calling the other: connected, media
//! decoded and frames decrypted on both sides, none dropped, equal security codes.

use std::time::{Duration, Instant};

use sotto_e2e::{Driver, Person, Shim, befriend, call, dropped, firefox, num};

/// Both sides' published state after three more seconds of media.
async fn media_after_a_while(
    a: &Person,
    b: &Person,
) -> [(serde_json::Value, serde_json::Value); 2] {
    let before = [a.debug().await, b.debug().await];
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = [a.debug().await, b.debug().await];
    let [ba, bb] = before;
    let [aa, ab] = after;
    [(ba, aa), (bb, ab)]
}

async fn calls(caller_is_firefox: bool) {
    let shim = Shim::start().await;
    let chrome_driver = Driver::start().await;
    let gecko = firefox::driver().await;
    let fox = Person::launch_firefox(&gecko, "Fox").await;
    let chrome = Person::launch(&chrome_driver, "Chrome").await;
    fox.sign_up(&shim, &[]).await;
    chrome.sign_up(&shim, &[]).await;
    befriend(&fox, &chrome).await;
    let (caller, callee) = if caller_is_firefox {
        (&fox, &chrome)
    } else {
        (&chrome, &fox)
    };
    let started = Instant::now();
    call(caller, callee, true).await;
    callee.wait_call_state("RINGING_INCOMING").await;
    callee.click("#accept-video").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let states = [caller.debug().await, callee.debug().await].map(|s| Person::call_state(&s));
        if states.iter().all(|s| s.as_deref() == Some("CONNECTED")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not connected: {states:?}; {}'s log: {:#}; {}'s log: {:#}",
            caller.name,
            caller.js("return window.sottoLog || []").await,
            callee.name,
            callee.js("return window.sottoLog || []").await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "measured: {} calls {}: call → both CONNECTED in {:?}",
        caller.name,
        callee.name,
        started.elapsed()
    );
    let people = [caller, callee];
    for (p, (before, after)) in people.iter().zip(media_after_a_while(caller, callee).await) {
        assert!(
            num(&after, &["stats", "frames_decoded"]) > num(&before, &["stats", "frames_decoded"]),
            "{}: video not decoded: {before} → {after}",
            p.name
        );
        assert!(
            num(&after, &["counters", "decrypted"]) > num(&before, &["counters", "decrypted"]),
            "{}: nothing decrypted: {after}",
            p.name
        );
        assert_eq!(dropped(&after), 0, "{}: dropped frames: {after}", p.name);
    }
    let code = |s: serde_json::Value| s["call"]["security_code"].clone();
    let (a, b) = (code(caller.debug().await), code(callee.debug().await));
    assert!(!a.is_null(), "a security code is shown");
    assert_eq!(a, b, "security codes match");
    fox.close().await;
    chrome.close().await;
}

#[tokio::test]
#[ignore = "needs Firefox ESR, geckodriver, Chromium and the built app: run `cargo xtask test`"]
async fn firefox_calls_chromium() {
    calls(true).await;
}

#[tokio::test]
#[ignore = "needs Firefox ESR, geckodriver, Chromium and the built app: run `cargo xtask test`"]
async fn chromium_calls_firefox() {
    calls(false).await;
}
