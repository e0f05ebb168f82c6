//! Call set-up, accept → CONNECTED on both sides (issue #13 part 2): sotto through a real shim,
//! against two plain RTCPeerConnections exchanging SDP through a bare WebSocket forwarder. Two
//! headless Chromiums per side of the comparison; the time is the later side's CONNECTED minus
//! the moment the callee's accept was pressed, in the browsers' wall clock (same machine).

use std::time::{Duration, Instant};

use serde_json::Value;
use sotto_e2e::{Driver, Person, Shim, befriend, call};

use crate::server::BenchServer;

/// Records, in the page, when the app first publishes a CONNECTED call: the app sets
/// `window.sottoDebug` on every change, so a setter on it sees the moment.
const HOOK: &str = r#"
if (!window.benchHooked) {
  let value = window.sottoDebug;
  window.connectedAt = null;
  Object.defineProperty(window, "sottoDebug", {
    configurable: true,
    get() { return value; },
    set(v) {
      value = v;
      if (window.connectedAt === null && typeof v === "string" && v.includes("CONNECTED")) {
        try {
          const s = JSON.parse(v);
          if (s.call && s.call.state && s.call.state.state === "CONNECTED") window.connectedAt = Date.now();
        } catch (e) {}
      }
    },
  });
  window.benchHooked = true;
}
return true;
"#;

/// sotto's set-up times, and the last call's timeline.
pub(crate) struct SottoSetup {
    pub(crate) times: Vec<f64>,
    /// Both pages' `sottoLog` lines from the accept to the later CONNECTED, merged in time
    /// order as `(ms after the accept, who, line)`.
    pub(crate) timeline: Vec<(f64, &'static str, String)>,
}

/// # Errors
/// When a call fails to connect within 30 s.
pub(crate) async fn sotto(driver: &Driver, calls: usize) -> Result<SottoSetup, String> {
    let shim = Shim::start().await;
    let alice = Person::launch(driver, "Alice").await;
    let bob = Person::launch(driver, "Bob").await;
    alice.sign_up(&shim, &[]).await;
    bob.sign_up(&shim, &[]).await;
    befriend(&alice, &bob).await;
    let mut times = Vec::with_capacity(calls);
    let mut timeline = Vec::new();
    for _ in 0..calls {
        for p in [&alice, &bob] {
            p.js(HOOK).await;
            p.js("window.sottoLog = []").await;
            p.js("window.connectedAt = null").await;
        }
        call(&alice, &bob, true).await;
        bob.wait_call_state("RINGING_INCOMING").await;
        let pressed = bob
            .js("const t = Date.now(); document.getElementById('accept-video').click(); return t")
            .await;
        let took = connected_after(&[&alice, &bob], &pressed).await?;
        times.push(took);
        let pressed = pressed.as_f64().unwrap_or_default();
        timeline.clear();
        for (p, who) in [(&alice, "caller"), (&bob, "callee")] {
            timeline.extend(
                log_lines(p, pressed, took)
                    .await
                    .into_iter()
                    .map(|(at, line)| (at, who, line)),
            );
        }
        timeline.sort_by(|a, b| a.0.total_cmp(&b.0));
        alice.click("#hangup").await;
        for p in [&alice, &bob] {
            p.wait_until("the call to end", Duration::from_secs(15), |s| {
                s["call"].is_null()
            })
            .await;
        }
    }
    alice.close().await;
    bob.close().await;
    Ok(SottoSetup { times, timeline })
}

/// `p`'s log lines from `pressed` to `took` ms after it, timed from `pressed`.
async fn log_lines(p: &Person, pressed: f64, took: f64) -> Vec<(f64, String)> {
    p.log()
        .await
        .into_iter()
        .map(|(at, text)| (at - pressed, text))
        .filter(|(at, _)| (0.0..=took).contains(at))
        .map(|(at, text)| (at, relative_store_time(&text, pressed)))
        .collect()
}

/// # Errors
/// When a call fails to connect within 30 s.
pub(crate) async fn baseline(
    driver: &Driver,
    server: &BenchServer,
    calls: usize,
) -> Result<Vec<f64>, String> {
    let caller = Person::launch(driver, "baseline-caller").await;
    let callee = Person::launch(driver, "baseline-callee").await;
    for (p, role) in [(&caller, "caller"), (&callee, "callee")] {
        p.goto(&server.url(&format!("/bench/setup.html?room=bench&role={role}")))
            .await;
        p.js("return window.ready()").await;
    }
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let pressed = callee.js("return accept()").await;
        times.push(connected_after(&[&caller, &callee], &pressed).await?);
        for p in [&caller, &callee] {
            p.js("hangUp()").await;
        }
        // Let both sides' closed connections go before the next call.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    caller.close().await;
    callee.close().await;
    Ok(times)
}

/// Milliseconds from `pressed` until both pages recorded `connectedAt`.
async fn connected_after(people: &[&Person], pressed: &Value) -> Result<f64, String> {
    let pressed = pressed.as_f64().ok_or("no accept time")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut latest: f64 = 0.0;
    for p in people {
        loop {
            if let Some(at) = p.js("return window.connectedAt").await.as_f64() {
                latest = latest.max(at);
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("{} did not connect within 30 s", p.name));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(latest - pressed)
}

/// The relay's "stored at <ms since epoch>" made relative to the accept, like the rest.
fn relative_store_time(text: &str, pressed: f64) -> String {
    match text.split_once("stored at ") {
        Some((head, at)) => match at.parse::<f64>() {
            Ok(at) => format!("{head}stored by the shim at {:.0}", at - pressed),
            Err(_) => text.to_owned(),
        },
        None => text.to_owned(),
    }
}
