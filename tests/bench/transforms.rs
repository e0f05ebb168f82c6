//! Per-frame transform cost and CPU in a real loopback call (issue #13 parts 1 and 3): one
//! fresh headless Chromium per variant, the page `transforms.html` calling itself with a fake
//! 720p camera at 30 fps and the fake microphone, every frame through the variant's worker.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use sotto_e2e::{Driver, Person};

use crate::cpu::{self, CpuSeconds};
use crate::server::BenchServer;
use crate::stats::{Spread, quantile};

/// The variants, in the order they run.
pub(crate) const VARIANTS: [&str; 4] = ["passthrough", "copy", "sotto", "webcrypto"];

/// What one variant measured.
#[derive(Debug)]
pub(crate) struct Measured {
    pub(crate) variant: &'static str,
    /// Per stream and operation ("encrypt:video", …): µs per frame.
    pub(crate) per_frame: BTreeMap<String, Spread>,
    /// Median encoded video frame, bytes (as the sender's transform saw it).
    pub(crate) video_frame_bytes: f64,
    pub(crate) cpu: CpuSeconds,
    pub(crate) seconds: u64,
    pub(crate) capture: String,
    pub(crate) frames_decoded: u64,
}

/// # Errors
/// When the browser, the page or a call fails, or the call carries no media.
pub(crate) async fn measure(
    driver: &Driver,
    server: &BenchServer,
    variant: &'static str,
    warm_up: Duration,
    seconds: u64,
) -> Result<Measured, String> {
    // Chromium's fake camera runs at 20 fps unless told otherwise; the issue asks for 30.
    let browser = Person::launch_with(
        driver,
        &format!("bench-{variant}"),
        &["--use-fake-device-for-media-stream=fps=30".to_owned()],
    )
    .await;
    let result = run(&browser, server, variant, warm_up, seconds).await;
    browser.close().await;
    result
}

async fn run(
    browser: &Person,
    server: &BenchServer,
    variant: &'static str,
    warm_up: Duration,
    seconds: u64,
) -> Result<Measured, String> {
    browser.goto(&server.url("/bench/transforms.html")).await;
    let capture = call_js(
        browser,
        &format!("return startCall('{variant}').then(r => JSON.stringify(r))"),
    )
    .await?;
    tokio::time::sleep(warm_up).await;
    let decoded_before = decoded(browser).await?;
    browser.js("resetSamples()").await;
    let cpu_before = cpu::sample(browser.profile_dir())?;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let cpu_after = cpu::sample(browser.profile_dir())?;
    browser.js("collect()").await;
    let samples = wait_samples(browser).await?;
    let frames_decoded = decoded(browser).await?.saturating_sub(decoded_before);
    if frames_decoded < seconds * 10 {
        return Err(format!(
            "{variant}: only {frames_decoded} video frames decoded in {seconds} s"
        ));
    }
    if variant == "sotto" {
        check_sotto_counters(browser).await?;
    }
    browser.js("hangUp()").await;
    let mut per_frame = BTreeMap::new();
    let mut video_frame_bytes = 0.0;
    if let Some(map) = samples.as_object() {
        for (key, s) in map {
            let us = numbers(&s["us"]);
            if let Some(spread) = Spread::of(&us) {
                per_frame.insert(key.clone(), spread);
            }
            if key == "encrypt:video" {
                video_frame_bytes = quantile(&numbers(&s["bytes"]), 0.5).unwrap_or(0.0);
            }
        }
    }
    for key in [
        "encrypt:video",
        "decrypt:video",
        "encrypt:audio",
        "decrypt:audio",
    ] {
        if !per_frame.contains_key(key) {
            return Err(format!("{variant}: no {key} frames were timed"));
        }
    }
    Ok(Measured {
        variant,
        per_frame,
        video_frame_bytes,
        cpu: cpu_after - cpu_before,
        seconds,
        capture,
        frames_decoded,
    })
}

/// Runs a script whose promise resolves to a string; a rejection is an error.
async fn call_js(browser: &Person, script: &str) -> Result<String, String> {
    match browser.client.execute(script, vec![]).await {
        Ok(Value::String(s)) => Ok(s),
        Ok(other) => Ok(other.to_string()),
        Err(e) => Err(format!("{script}: {e}")),
    }
}

async fn decoded(browser: &Person) -> Result<u64, String> {
    let text = call_js(browser, "return framesDecoded().then(n => String(n))").await?;
    text.parse()
        .map_err(|e| format!("framesDecoded: {text}: {e}"))
}

async fn wait_samples(browser: &Person) -> Result<Value, String> {
    for _ in 0..100 {
        let samples = browser.js("return window.benchSamples || null").await;
        if !samples.is_null() {
            return Ok(samples);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the worker never sent its samples".into())
}

/// sotto's worker must really have encrypted and decrypted, and refused nothing as not ours,
/// forged or unkeyed: otherwise the figures would time a transform that does no work. (A frame
/// delivered twice under load is dropped as a replay, which is right, and not an error here.)
async fn check_sotto_counters(browser: &Person) -> Result<(), String> {
    let counters = browser.js("return counters").await;
    let n = |k: &str| counters[k].as_u64().unwrap_or(0);
    let dropped = n("dropped_not_ours")
        + n("dropped_unknown_key")
        + n("dropped_forged")
        + n("dropped_unencryptable");
    if n("decrypted") == 0 || n("encrypted") == 0 || dropped > 0 {
        return Err(format!("sotto's worker counters are wrong: {counters}"));
    }
    Ok(())
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}
