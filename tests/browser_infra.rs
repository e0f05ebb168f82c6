//! Calls over real infrastructure (issue #11), with every component started and stopped by
//! the test on this machine: coturn on loopback with `use-auth-secret`, the shim as its own
//! process killed with SIGKILL and started again, and one browser in its own network
//! namespace whose link is cut. Each test prints what it measured (`measured: …`).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sotto_e2e::coturn::Coturn;
use sotto_e2e::netns::Netns;
use sotto_e2e::shim_process::ShimProcess;
use sotto_e2e::{Driver, Person, befriend, call, num};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn wall_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

/// When `person`'s app logged a line containing `needle` at or after `since_ms` (wall time;
/// the app stamps `sottoLog` with `Date.now()`, the same clock).
async fn logged_at(person: &Person, needle: &str, since_ms: f64) -> Option<f64> {
    person
        .log()
        .await
        .into_iter()
        .find_map(|(at, text)| (at >= since_ms && text.contains(needle)).then_some(at))
}

/// `person`'s log lines from `since_ms` on, with times in ms from then.
async fn log_since(person: &Person, since_ms: f64) -> Value {
    let lines: Vec<String> = person
        .log()
        .await
        .into_iter()
        .filter(|(at, text)| *at >= since_ms && !text.starts_with("set_track"))
        .map(|(at, text)| format!("{:.0} {text}", at - since_ms))
        .collect();
    Value::from(lines)
}

/// Both decode more video: each within `MEDIA_RESUMES` (polled every 250 ms). After an outage
/// the sender's bandwidth estimate starts low and the receiver needs a key frame, and ICE
/// restarts queued during the outage may still be running, so the first new frame can take
/// more than a second or two; the time it took is printed.
async fn assert_media_grows(people: &[&Person]) {
    const MEDIA_RESUMES: Duration = Duration::from_secs(8);
    let before: Vec<u64> = frames_of(people).await;
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let after: Vec<u64> = frames_of(people).await;
        let stuck: Vec<usize> = (0..people.len())
            .filter(|&i| after[i] <= before[i])
            .collect();
        if stuck.is_empty() {
            println!(
                "measured: both decode new video frames {:?} after the check began",
                started.elapsed()
            );
            return;
        }
        if started.elapsed() < MEDIA_RESUMES {
            continue;
        }
        // Both pages' last log lines say what the media path did (restarts, ICE, relay).
        let mut logs = String::new();
        for q in people {
            let tail = q.js("return (window.sottoLog || []).slice(-80)").await;
            logs.push_str(&format!("\n{}'s log: {tail:#}", q.name));
        }
        let i = stuck[0];
        panic!(
            "{}: video frames did not grow in {MEDIA_RESUMES:?} ({} → {}){logs}",
            people[i].name, before[i], after[i]
        );
    }
}

async fn frames_of(people: &[&Person]) -> Vec<u64> {
    let mut out = Vec::new();
    for p in people {
        out.push(num(&p.debug().await, &["stats", "frames_decoded"]));
    }
    out
}

/// Turns "Hide my IP address" on and waits until the app has TURN servers to use.
async fn relay_only(person: &Person) {
    person
        .wait_until("TURN servers", Duration::from_secs(15), |s| {
            s["has_turn"] == true
        })
        .await;
    person
        .js("document.getElementById('relay-only').click()")
        .await;
    person
        .wait_until("relay-only on", Duration::from_secs(5), |s| {
            s["relay_only"] == true
        })
        .await;
}

/// Alice calls Bob with video; Bob accepts. Returns the time from accept to both CONNECTED.
async fn video_call(alice: &Person, bob: &Person) -> Duration {
    call(alice, bob, true).await;
    bob.wait_call_state("RINGING_INCOMING").await;
    bob.click("#accept-video").await;
    let accepted = Instant::now();
    alice.wait_call_state("CONNECTED").await;
    bob.wait_call_state("CONNECTED").await;
    accepted.elapsed()
}

/// Alice hangs up, Bob hears it, and both browsers close.
async fn hang_up_and_close(alice: Person, bob: Person) {
    alice.click("#hangup").await;
    assert_eq!(
        bob.wait_ended(Duration::from_secs(10)).await,
        "remote_hangup"
    );
    alice.close().await;
    bob.close().await;
}

async fn two_people(driver: &Driver, url: &str) -> (Person, Person) {
    let alice = Person::launch(driver, "Alice").await;
    let bob = Person::launch(driver, "Bob").await;
    alice.sign_up_at(url, &[]).await;
    bob.sign_up_at(url, &[]).await;
    befriend(&alice, &bob).await;
    (alice, bob)
}

// ---- coturn ----

/// coturn with `coturn_secret`, the shim handing out credentials made with `shim_secret`,
/// and Alice and Bob, contacts, both relay-only.
async fn relay_only_pair(
    coturn_secret: &str,
    shim_secret: &str,
) -> (Coturn, ShimProcess, Driver, Person, Person) {
    let coturn = Coturn::start(coturn_secret).await;
    let shim = ShimProcess::start(
        LOOPBACK,
        &[
            format!("--turn-url={}", coturn.url()),
            format!("--turn-secret={shim_secret}"),
        ],
    )
    .await;
    let driver = Driver::start().await;
    let (alice, bob) = two_people(&driver, &shim.url()).await;
    relay_only(&alice).await;
    relay_only(&bob).await;
    (coturn, shim, driver, alice, bob)
}

#[tokio::test]
#[ignore = "needs Chromium, coturn and the built app: run `cargo xtask test`"]
async fn relay_only_calls_go_through_coturn_and_signal_no_host_address() {
    let secret = "sotto-test-turn-secret";
    let (_coturn, _shim, _driver, alice, bob) = relay_only_pair(secret, secret).await;
    let started = wall_ms();
    let took = video_call(&alice, &bob).await;
    println!("measured: relay-only call, accept → both CONNECTED in {took:?}");
    assert_media_grows(&[&alice, &bob]).await;
    for p in [&alice, &bob] {
        let state = p
            .wait_until("a relay pair", Duration::from_secs(5), |s| {
                s["stats"]["local_candidate"] == "relay"
            })
            .await;
        assert!(
            num(&state, &["counters", "decrypted"]) > 0,
            "{}: {state}",
            p.name
        );
        let log = p.log().await;
        let types: Vec<&str> = log
            .iter()
            .map(|(_, t)| t.as_str())
            .filter(|t| t.starts_with("local candidate typ "))
            .collect();
        assert!(
            !types.is_empty() && types.iter().all(|t| t.ends_with("typ relay")),
            "{}: only relay candidates may be signalled: {types:?}",
            p.name
        );
        assert!(
            logged_at(p, "call state CONNECTED", started)
                .await
                .is_some()
        );
    }
    hang_up_and_close(alice, bob).await;
}

#[tokio::test]
#[ignore = "needs Chromium, coturn and the built app: run `cargo xtask test`"]
async fn a_wrong_turn_secret_ends_the_call_fast_and_names_the_relay() {
    let (coturn, _shim, _driver, alice, bob) =
        relay_only_pair("the-secret-coturn-has", "a-different-secret").await;
    call(&alice, &bob, true).await;
    bob.wait_call_state("RINGING_INCOMING").await;
    bob.click("#accept-video").await;
    let accepted = Instant::now();
    let reason = bob.wait_ended(Duration::from_secs(10)).await;
    let bob_took = accepted.elapsed();
    let alice_reason = alice.wait_ended(Duration::from_secs(10)).await;
    let alice_took = accepted.elapsed();
    println!("measured: wrong TURN secret, accept → ended: Bob {bob_took:?}, Alice {alice_took:?}");
    assert_eq!(reason, "turn_failed", "coturn log:\n{}", coturn.log());
    assert_eq!(alice_reason, "turn_failed");
    assert!(
        bob_took < Duration::from_secs(5),
        "the issue asks for an end within 5 s: {bob_took:?}"
    );
    for p in [&alice, &bob] {
        let text = p.wait_css("#call-ended").await.text().await.unwrap();
        assert!(
            text.contains("Couldn't reach the relay server for media (TURN)"),
            "{}: {text}",
            p.name
        );
    }
    let error = bob
        .js("return document.getElementById('ice-error').textContent")
        .await;
    assert!(
        error.as_str().is_some_and(|e| e.starts_with("401")),
        "the debug panel shows coturn's code: {error}"
    );
    alice.close().await;
    bob.close().await;
}

// ---- the shim killed and restarted ----

/// The shim as a process, and Alice and Bob, contacts, on it.
async fn pair_on_shim_process() -> (ShimProcess, Driver, Person, Person) {
    let shim = ShimProcess::start(LOOPBACK, &[]).await;
    let driver = Driver::start().await;
    let (alice, bob) = two_people(&driver, &shim.url()).await;
    (shim, driver, alice, bob)
}

async fn wait_online(people: &[&Person]) {
    for p in people {
        p.wait_until("online again", Duration::from_secs(20), |s| {
            s["status"] == "online"
        })
        .await;
    }
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn a_shim_killed_while_the_callee_rings_comes_back_and_the_accept_connects() {
    let (mut shim, _driver, alice, bob) = pair_on_shim_process().await;
    call(&alice, &bob, true).await;
    bob.wait_call_state("RINGING_INCOMING").await;
    let restarted_in = shim.restart().await;
    wait_online(&[&alice, &bob]).await;
    assert_eq!(
        Person::call_state(&bob.debug().await).as_deref(),
        Some("RINGING_INCOMING"),
        "the call still rings"
    );
    bob.click("#accept-video").await;
    let accepted = Instant::now();
    alice.wait_call_state("CONNECTED").await;
    bob.wait_call_state("CONNECTED").await;
    println!(
        "measured: shim SIGKILLed while ringing, listening again in {restarted_in:?}; accept → CONNECTED in {:?}",
        accepted.elapsed()
    );
    assert_media_grows(&[&alice, &bob]).await;
    alice.close().await;
    bob.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium and the built app: run `cargo xtask test`"]
async fn a_shim_restarted_during_a_call_keeps_media_and_hang_up() {
    let (mut shim, _driver, alice, bob) = pair_on_shim_process().await;
    video_call(&alice, &bob).await;
    let restarted_in = shim.restart().await;
    assert_media_grows(&[&alice, &bob]).await;
    for p in [&alice, &bob] {
        assert_eq!(
            Person::call_state(&p.debug().await).as_deref(),
            Some("CONNECTED")
        );
    }
    wait_online(&[&alice, &bob]).await;
    println!("measured: shim SIGKILLed during a call, listening again in {restarted_in:?}");
    hang_up_and_close(alice, bob).await;
}

// ---- a browser whose link is cut ----

/// Alice in this namespace, Bob (the callee, who restarts ICE) in his own, joined by a
/// veth pair; the shim listens on this side's veth address. `None`: namespaces are
/// forbidden here (the reason is printed).
struct Split {
    ns: Netns,
    _shim: ShimProcess,
    _drivers: (Driver, Driver),
    alice: Person,
    bob: Person,
}

async fn split(test: &str) -> Option<Split> {
    let ns = match Netns::create() {
        Ok(ns) => ns,
        Err(why) => {
            println!("SKIPPED {test}: this machine forbids network namespaces: {why}");
            return None;
        }
    };
    let shim = ShimProcess::start(IpAddr::V4(ns.host_ip), &[]).await;
    let origin = format!("http://{}", shim.addr);
    // Not localhost: Chromium needs telling that this http origin may use the camera.
    let secure = vec![format!(
        "--unsafely-treat-insecure-origin-as-secure={origin}"
    )];
    let here = Driver::start().await;
    let there = ns.driver().await;
    let alice = Person::launch_with(&here, "Alice", &secure).await;
    let bob = Person::launch_with(&there, "Bob", &secure).await;
    alice.sign_up_at(&shim.url(), &[]).await;
    bob.sign_up_at(&shim.url(), &[]).await;
    befriend(&alice, &bob).await;
    let took = video_call(&alice, &bob).await;
    println!("measured: {test}: accept → both CONNECTED in {took:?}");
    assert_media_grows(&[&alice, &bob]).await;
    Some(Split {
        ns,
        _shim: shim,
        _drivers: (here, there),
        alice,
        bob,
    })
}

/// What each side did around an outage, in ms from the cut.
#[derive(Debug)]
#[expect(
    dead_code,
    reason = "read through Debug: it is the printed measurement"
)]
struct Outage {
    alice_reconnecting: Option<f64>,
    bob_reconnecting: Option<f64>,
    /// When the link came back.
    restored: f64,
    /// CONNECTED again, or (a call that must end) ENDED.
    alice_outcome: Option<f64>,
    bob_outcome: Option<f64>,
}

/// Cuts Bob's link for `secs`, then waits for both to be CONNECTED again (or, `ends`, for
/// both calls to end). Bob's chromedriver is behind the cut link, so his side is read from
/// his app's timestamped log once the link is back.
async fn outage(s: &Split, secs: u64, ends: bool) -> Outage {
    let cut = wall_ms();
    s.ns.set_link(false);
    let restore_at = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < restore_at {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    s.ns.set_link(true);
    let restored = wall_ms() - cut;
    let after = |t: Option<f64>| t.map(|t| t - cut);
    // The end (or the recovery) is read from the log: an ended call's message goes away
    // after 12 s, maybe before Bob's driver is reachable again.
    let outcome = if ends {
        "call state ENDED(IceFailed)"
    } else {
        "call state CONNECTED"
    };
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let alice_done = logged_at(&s.alice, outcome, cut).await.is_some();
        let bob_done = logged_at(&s.bob, outcome, cut).await.is_some();
        if alice_done && bob_done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "link down {secs} s: no {outcome:?} on both sides; Alice's log: {:#}\nBob's log: {:#}",
            log_since(&s.alice, cut).await,
            log_since(&s.bob, cut).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reconnecting = |p| logged_at(p, "call state RECONNECTING", cut);
    let alice_reconnecting = after(reconnecting(&s.alice).await);
    let bob_reconnecting = after(reconnecting(&s.bob).await);
    let result = Outage {
        alice_reconnecting,
        bob_reconnecting,
        restored,
        alice_outcome: after(logged_at(&s.alice, outcome, cut).await),
        bob_outcome: after(logged_at(&s.bob, outcome, cut).await),
    };
    println!("measured: link down {secs} s (ms from the cut): {result:?}");
    for (who, t) in [
        ("Alice", result.alice_reconnecting),
        ("Bob", result.bob_reconnecting),
    ] {
        assert!(
            t.is_some_and(|t| t <= 2000.0),
            "{who} says Reconnecting within 2 s of the cut: {result:?}"
        );
    }
    result
}

/// A call with Bob's link cut for `secs`; `None` where namespaces are forbidden. Checks
/// what every outage must show (see [`outage`]); `ends`: the call must end as `ice_failed`,
/// else recover.
async fn after_outage(secs: u64, ends: bool) -> Option<Split> {
    let s = split(&format!("link down {secs} s")).await?;
    outage(&s, secs, ends).await;
    if !ends {
        assert_media_grows(&[&s.alice, &s.bob]).await;
    }
    Some(s)
}

impl Split {
    async fn close(self) {
        self.alice.close().await;
        self.bob.close().await;
    }
}

#[tokio::test]
#[ignore = "needs Chromium, root for network namespaces, and the built app: run `cargo xtask test`"]
async fn a_five_second_outage_says_reconnecting_and_recovers() {
    if let Some(s) = after_outage(5, false).await {
        s.close().await;
    }
}

#[tokio::test]
#[ignore = "needs Chromium, root for network namespaces, and the built app: run `cargo xtask test`"]
async fn a_twelve_second_outage_recovers_and_the_call_stays_up() {
    let Some(s) = after_outage(12, false).await else {
        return;
    };
    // Issue #11: calls used to end 0.5–3 s after recovering, when queued restarts collided.
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for p in [&s.alice, &s.bob] {
            let state = p.debug().await;
            assert_eq!(
                Person::call_state(&state).as_deref(),
                Some("CONNECTED"),
                "{} after recovery: {state}",
                p.name
            );
        }
    }
    assert_media_grows(&[&s.alice, &s.bob]).await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs Chromium, root for network namespaces, and the built app: run `cargo xtask test`"]
async fn a_forty_second_outage_ends_both_sides_as_ice_failed() {
    if let Some(s) = after_outage(40, true).await {
        s.close().await;
    }
}
