//! Issue #12, kiosk mode in real Chromium: a trusted contact's call is answered with no click
//! and its media decrypts; anyone else rings (or hears busy, per configuration); leaving
//! needs the PIN on the on-screen pad; the watchdog reloads a stuck page back into kiosk
//! mode; after 50 short calls the kiosk still answers, with its peer connections, JS heap and
//! wasm memory measured against the first call; a relay restart while idle is recovered
//! without a click.

use std::time::Duration;

use serde_json::{Value, json};
use sotto_e2e::{Driver, Person, Shim, befriend, call, num};

/// `--expose-gc`: the heap is measured after a forced collection.
const KIOSK_FLAGS: [&str; 1] = ["--js-flags=--expose-gc"];

fn kiosk(state: &Value) -> &Value {
    &state["kiosk"]
}

/// Opens the set-up through its route, picks how `answered` contacts are answered, what the
/// others' calls do and the PIN 2468, saves, and enters kiosk mode with the button.
async fn set_up(kiosk_person: &Person, shim: &Shim, answered: &[(&str, &str)], others: &str) {
    kiosk_person
        .goto(&format!("{}#/kiosk/setup", shim.url()))
        .await;
    for (name, media) in answered {
        kiosk_person
            .click(&format!(
                ".kiosk-answer[data-name='{name}'] option[value='{media}']"
            ))
            .await;
    }
    kiosk_person
        .click(&format!("#kiosk-others option[value='{others}']"))
        .await;
    let pin = kiosk_person.wait_css("#kiosk-pin").await;
    pin.clear().await.unwrap();
    pin.send_keys("2468").await.unwrap();
    press(kiosk_person, "#kiosk-save").await;
    kiosk_person
        .wait_until("configured", Duration::from_secs(10), |s| {
            kiosk(s)["configured"] == true
        })
        .await;
    press(kiosk_person, "#kiosk-enter").await;
    wait_kiosk_idle(kiosk_person).await;
}

/// Clicks a button through the page, not at its coordinates: a passing toast ("Bob is now a
/// contact") may lie over the set-up's buttons for a few seconds.
async fn press(person: &Person, css: &str) {
    person.wait_css(css).await;
    person
        .js(&format!("document.querySelector(\"{css}\").click()"))
        .await;
}

async fn wait_kiosk_idle(kiosk_person: &Person) -> Value {
    kiosk_person
        .wait_until("the idle kiosk", Duration::from_secs(30), |s| {
            kiosk(s)["active"] == true && kiosk(s)["online"] == true && s["call"].is_null()
        })
        .await
}

/// A long press on the corner, then the digits on the pad and OK.
async fn leave_with_pin(kiosk_person: &Person, pin: &str) {
    if !kiosk_person.is_present("#pin-pad").await {
        kiosk_person
            .js("document.getElementById('kiosk-corner').dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}))")
            .await;
        kiosk_person.wait_css("#pin-pad").await;
    }
    for digit in pin.chars() {
        kiosk_person
            .click(&format!(".pin-key[data-digit='{digit}']"))
            .await;
    }
    kiosk_person.click("#pin-ok").await;
}

/// The caller calls with video; the kiosk answers by itself and the caller's frames decrypt.
async fn auto_answered_call(kiosk_person: &Person, caller: &Person) {
    call(caller, kiosk_person, true).await;
    kiosk_person.wait_call_state("CONNECTED").await;
    caller.wait_call_state("CONNECTED").await;
}

async fn hang_up_and_wait_idle(kiosk_person: &Person, caller: &Person) {
    caller.click("#hangup").await;
    caller
        .wait_until("the caller idle", Duration::from_secs(20), |s| {
            s["call"].is_null()
        })
        .await;
    wait_kiosk_idle(kiosk_person).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and chromedriver (cargo xtask test)"]
async fn the_kiosk_answers_whom_it_trusts_rings_for_others_and_leaves_only_with_its_pin() {
    let shim = Shim::start().await;
    let driver = Driver::start().await;
    let kiosk_person = Person::launch_with(&driver, "Kiosk", &KIOSK_FLAGS.map(String::from)).await;
    let bob = Person::launch(&driver, "Bob").await;
    let mallory = Person::launch(&driver, "Mallory").await;
    kiosk_person.sign_up(&shim, &[]).await;
    bob.sign_up(&shim, &[]).await;
    mallory.sign_up(&shim, &[]).await;
    befriend(&kiosk_person, &bob).await;
    // Mallory invites: the kiosk's invitation panel still shows the link Bob used.
    befriend(&mallory, &kiosk_person).await;
    set_up(&kiosk_person, &shim, &[("Bob", "video")], "ring").await;
    kiosk_person.wait_css("#kiosk-idle").await;
    assert!(
        !kiosk_person.is_present("input, textarea").await,
        "no text input anywhere in kiosk mode"
    );
    kiosk_person.screenshot("kiosk-idle.png").await;
    // Headless Chromium may refuse both (no screen to keep awake, no gesture yet): reported,
    // not asserted.
    let awake = kiosk(&kiosk_person.debug().await)["awake"].clone();
    let full_screen = kiosk_person
        .js("return document.fullscreenElement !== null")
        .await;
    println!("wake lock held: {awake}; full screen: {full_screen}");

    // Bob is trusted: a visible countdown, then answered with no click, and media flows.
    call(&bob, &kiosk_person, true).await;
    let state = kiosk_person
        .wait_until("the countdown", Duration::from_secs(20), |s| {
            !kiosk(s)["countdown"].is_null()
        })
        .await;
    assert_eq!(kiosk(&state)["countdown"]["peer_name"], "Bob");
    kiosk_person.wait_css("#kiosk-countdown").await;
    kiosk_person.screenshot("kiosk-countdown.png").await;
    kiosk_person.wait_call_state("CONNECTED").await;
    let state = kiosk_person
        .wait_until("Bob's frames decrypted", Duration::from_secs(20), |s| {
            num(s, &["counters", "decrypted"]) > 50 && num(s, &["stats", "frames_decoded"]) > 10
        })
        .await;
    assert_eq!(state["call"]["media"], "video");
    bob.wait_until(
        "the kiosk's frames decrypted",
        Duration::from_secs(20),
        |s| num(s, &["counters", "decrypted"]) > 50,
    )
    .await;
    kiosk_person.wait_css("#kiosk-code").await;
    kiosk_person.screenshot("kiosk-call.png").await;
    hang_up_and_wait_idle(&kiosk_person, &bob).await;

    // Mallory is not: her call rings and waits for a person; nothing answers it.
    call(&mallory, &kiosk_person, true).await;
    kiosk_person.wait_css("#kiosk-ringing").await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let state = kiosk_person.debug().await;
    assert_eq!(
        Person::call_state(&state).as_deref(),
        Some("RINGING_INCOMING"),
        "{state}"
    );
    assert!(kiosk(&state)["countdown"].is_null());
    kiosk_person.screenshot("kiosk-ringing.png").await;
    kiosk_person.click("#kiosk-decline").await;
    assert_eq!(
        mallory.wait_ended(Duration::from_secs(10)).await,
        "rejected"
    );

    // Leaving needs the PIN: a wrong one is refused and kiosk mode stays.
    leave_with_pin(&kiosk_person, "1111").await;
    kiosk_person.wait_css("#kiosk-notice").await;
    let state = kiosk_person.debug().await;
    assert_eq!(kiosk(&state)["active"], true, "a wrong PIN leaves nothing");
    assert_eq!(state["notice"], "Wrong PIN.");
    leave_with_pin(&kiosk_person, "2468").await;
    kiosk_person
        .wait_until("kiosk mode left", Duration::from_secs(10), |s| {
            kiosk(s)["active"] == false
        })
        .await;

    // Others refused as busy now; `/#/kiosk` enters kiosk mode again.
    set_up(&kiosk_person, &shim, &[], "busy").await;
    leave_with_pin(&kiosk_person, "2468").await;
    kiosk_person
        .wait_until("kiosk mode left", Duration::from_secs(10), |s| {
            kiosk(s)["active"] == false
        })
        .await;
    kiosk_person.goto(&format!("{}#/kiosk", shim.url())).await;
    wait_kiosk_idle(&kiosk_person).await;
    call(&mallory, &kiosk_person, true).await;
    assert_eq!(mallory.wait_ended(Duration::from_secs(15)).await, "busy");
    assert!(kiosk_person.debug().await["call"].is_null());

    // The watchdog: a run loop that stops ticking is reloaded, back into kiosk mode.
    kiosk_person
        .js("window.sottoBeforeReload = true; localStorage.setItem('sotto.test.stall_heartbeat', '1')")
        .await;
    let reloaded = std::time::Instant::now();
    loop {
        // While the page reloads, scripts may fail: that is not yet an answer.
        let before = kiosk_person
            .client
            .execute("return window.sottoBeforeReload === true", vec![])
            .await;
        if matches!(before, Ok(Value::Bool(false))) {
            break;
        }
        assert!(
            reloaded.elapsed() < Duration::from_secs(60),
            "the watchdog never reloaded the stuck page"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!("watchdog reloaded the page after {:?}", reloaded.elapsed());
    kiosk_person
        .js("localStorage.removeItem('sotto.test.stall_heartbeat')")
        .await;
    wait_kiosk_idle(&kiosk_person).await;

    kiosk_person.close().await;
    bob.close().await;
    mallory.close().await;
}

/// The page's JS heap after a forced collection (0 where the browser does not say).
async fn js_heap(person: &Person) -> u64 {
    person
        .js("if (window.gc) { window.gc(); } return performance.memory ? performance.memory.usedJSHeapSize : 0")
        .await
        .as_u64()
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    heap: u64,
    wasm: u64,
    dom_nodes: u64,
    peer_connections: u64,
    peer_sessions: u64,
}

async fn sample(kiosk_person: &Person) -> Sample {
    // Let the page settle (the ended call's last timers) before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let heap = js_heap(kiosk_person).await;
    let state = kiosk_person.debug().await;
    let dom_nodes = kiosk_person
        .js("return document.getElementsByTagName('*').length")
        .await
        .as_u64()
        .unwrap_or(0);
    Sample {
        heap,
        dom_nodes,
        wasm: num(&state, &["kiosk", "wasm_memory"]),
        peer_connections: num(&state, &["kiosk", "peer_connections"]),
        peer_sessions: num(&state, &["kiosk", "peer_sessions"]),
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and chromedriver (cargo xtask test)"]
async fn the_kiosk_stays_flat_over_fifty_calls_and_recovers_from_a_relay_restart() {
    let mut shim = Shim::start().await;
    let driver = Driver::start().await;
    let kiosk_person = Person::launch_with(&driver, "Kiosk", &KIOSK_FLAGS.map(String::from)).await;
    let bob = Person::launch(&driver, "Bob").await;
    kiosk_person.sign_up(&shim, &[]).await;
    bob.sign_up(&shim, &[]).await;
    befriend(&kiosk_person, &bob).await;

    // Set up by import (pasted), with a one-second countdown.
    kiosk_person
        .goto(&format!("{}#/kiosk/setup", shim.url()))
        .await;
    kiosk_person.click(".kiosk-import summary").await;
    kiosk_person
        .wait_css("#kiosk-import-text")
        .await
        .send_keys(
            r#"{"name": "Hall", "auto_answer": [{"contact": "Bob", "media": "video"}], "others": "busy", "countdown_secs": 1, "pin": "2468"}"#,
        )
        .await
        .unwrap();
    kiosk_person.click("#kiosk-import").await;
    kiosk_person
        .wait_until("imported", Duration::from_secs(10), |s| {
            kiosk(s)["configured"] == true
        })
        .await;
    kiosk_person.goto(&format!("{}#/kiosk", shim.url())).await;
    let state = wait_kiosk_idle(&kiosk_person).await;
    assert_eq!(kiosk(&state)["name"], "Hall");

    let calls = 50;
    let mut samples = Vec::new();
    let started = std::time::Instant::now();
    for n in 1..=calls {
        auto_answered_call(&kiosk_person, &bob).await;
        // Measured at the kiosk's next tick (twice a second).
        kiosk_person
            .wait_until(
                &format!("call {n}: one live peer connection"),
                Duration::from_secs(5),
                |s| num(s, &["kiosk", "peer_connections"]) == 1,
            )
            .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        hang_up_and_wait_idle(&kiosk_person, &bob).await;
        if [1, 10, 20, 30, 40, calls].contains(&n) {
            samples.push((n, sample(&kiosk_person).await));
        }
        if n == 1 {
            // Where does what the heap keeps come from? V8's sampling heap profiler keeps
            // only what is still alive when it stops.
            kiosk_person
                .cdp(
                    &driver,
                    "HeapProfiler.startSampling",
                    json!({"samplingInterval": 1024}),
                )
                .await;
        }
    }
    let mib = |b: u64| b as f64 / 1024.0 / 1024.0;
    println!("after call  JS heap (gc'd)  wasm memory  DOM nodes  peer connections/sessions");
    for (n, s) in &samples {
        println!(
            "{n:>10}  {:>9.2} MiB  {:>7.2} MiB  {:>9}  {}/{}",
            mib(s.heap),
            mib(s.wasm),
            s.dom_nodes,
            s.peer_connections,
            s.peer_sessions
        );
    }
    let (first, last) = (samples[0].1, samples[samples.len() - 1].1);
    let profile = kiosk_person
        .cdp(&driver, "HeapProfiler.stopSampling", json!({}))
        .await;
    print_heap_sources(&profile["profile"]["head"]);
    println!(
        "kiosk after call 1 and after call {calls} ({:?} in all):",
        started.elapsed()
    );
    println!(
        "  JS heap (after gc): {:.2} MiB -> {:.2} MiB ({:+.2} MiB)",
        mib(first.heap),
        mib(last.heap),
        mib(last.heap) - mib(first.heap)
    );
    println!(
        "  wasm memory:        {:.2} MiB -> {:.2} MiB",
        mib(first.wasm),
        mib(last.wasm)
    );
    println!(
        "  live RTCPeerConnections: {} -> {}; live peer sessions: {} -> {}",
        first.peer_connections, last.peer_connections, first.peer_sessions, last.peer_sessions
    );
    // Correctness, not performance: an idle kiosk holds no connection and no session.
    assert_eq!(
        (last.peer_connections, last.peer_sessions),
        (0, 0),
        "connections or sessions leaked over {calls} calls"
    );

    // A relay restart while idle: the kiosk goes offline, comes back and answers, untouched.
    shim.restart().await;
    kiosk_person
        .wait_until(
            "back online after the restart",
            Duration::from_secs(60),
            |s| kiosk(s)["online"] == true,
        )
        .await;
    bob.wait_until("Bob back online", Duration::from_secs(60), |s| {
        s["status"] == "online"
    })
    .await;
    auto_answered_call(&kiosk_person, &bob).await;
    hang_up_and_wait_idle(&kiosk_person, &bob).await;

    kiosk_person.close().await;
    bob.close().await;
}

/// Sums the sampled live bytes by where they were allocated: the app's own code (`app.js`,
/// the wasm glue) against scripts with no URL (chromedriver's injected `call_function`, which
/// the test's polling runs) and the browser itself, and prints the largest sites.
fn print_heap_sources(head: &Value) {
    fn walk(node: &Value, frames: &mut Vec<String>, sites: &mut Vec<(u64, String, bool)>) {
        let frame = &node["callFrame"];
        let url = frame["url"].as_str().unwrap_or_default();
        let name = frame["functionName"].as_str().unwrap_or_default();
        frames.push(format!(
            "{}@{}:{}",
            if name.is_empty() { "(anonymous)" } else { name },
            url.rsplit('/').next().unwrap_or_default(),
            frame["lineNumber"]
        ));
        let size = node["selfSize"].as_u64().unwrap_or(0);
        if size > 0 {
            let ours = frames
                .iter()
                .any(|f| f.contains("@app.js:") || f.contains("@app_bg.wasm:"));
            let stack = frames.iter().rev().take(4).cloned().collect::<Vec<_>>();
            sites.push((size, stack.join(" < "), ours));
        }
        for child in node["children"].as_array().into_iter().flatten() {
            walk(child, frames, sites);
        }
        frames.pop();
    }
    let mut sites = Vec::new();
    walk(head, &mut Vec::new(), &mut sites);
    sites.sort_by_key(|s| std::cmp::Reverse(s.0));
    let total: u64 = sites.iter().map(|s| s.0).sum();
    let app: u64 = sites.iter().filter(|s| s.2).map(|s| s.0).sum();
    println!(
        "live JS allocations sampled from call 2 to the last: {:.1} KiB, of which {:.1} KiB with the app's code on the stack; largest sites:",
        total as f64 / 1024.0,
        app as f64 / 1024.0
    );
    for (size, stack, _) in sites.iter().take(5) {
        println!("  {:>8.1} KiB  {stack}", *size as f64 / 1024.0);
    }
}
