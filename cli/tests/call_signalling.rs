//! Calls between two daemons through a real shim, as JSON-RPC clients see them: ringing on
//! both sides, reject, cancel, busy, and a media tunnel that cannot start.

mod common;

use common::{Daemon, Rpc, Shim, befriend, init};
use serde_json::json;

struct Pair {
    shim: Shim,
    _dirs: Vec<tempfile::TempDir>,
    _daemons: Vec<Daemon>,
    a: Rpc,
    b: Rpc,
    b_at_a: String,
}

async fn pair(envs: &[(&str, &str)]) -> Pair {
    pair_with(envs, &[], true).await
}

/// Ada (started with `ada_args`) and Bob, contacts; Ada subscribed, Bob if `bob_subscribes`.
async fn pair_with(envs: &[(&str, &str)], ada_args: &[&str], bob_subscribes: bool) -> Pair {
    let shim = Shim::start().await;
    let dirs = vec![init(&shim, "Ada"), init(&shim, "Bob")];
    let ada = Daemon::start(dirs[0].path(), envs, ada_args).await;
    let bob = Daemon::start(dirs[1].path(), envs, &[]).await;
    let (mut a, mut b) = (ada.tcp().await, bob.tcp().await);
    let (b_at_a, _) = befriend(&mut a, "Ada", &mut b, "Bob").await;
    a.result("subscribeCallEvents", json!({})).await;
    if bob_subscribes {
        b.result("subscribeCallEvents", json!({})).await;
    }
    Pair {
        shim,
        _dirs: dirs,
        _daemons: vec![ada, bob],
        a,
        b,
        b_at_a,
    }
}

#[tokio::test]
async fn a_call_rings_on_both_sides_and_a_reject_ends_it_for_both() {
    let mut p = pair(&[]).await;
    let started = p.a.result("startCall", json!({"recipient": "Bob"})).await;
    assert_eq!(started["state"], "RINGING_OUTGOING");
    assert_eq!(
        (
            started["codec"].clone(),
            started["sampleRate"].clone(),
            started["channels"].clone(),
            started["ptimeMs"].clone()
        ),
        (json!("opus"), json!(48000), json!(1), json!(20))
    );
    let call_id = started["callId"].as_str().unwrap().to_owned();
    assert!(
        started["inputDeviceName"]
            .as_str()
            .unwrap()
            .ends_with("audio.sock")
    );

    let outgoing = p.a.call_event().await;
    assert_eq!(
        (
            outgoing["callId"].as_str(),
            outgoing["state"].as_str(),
            outgoing["isOutgoing"].as_bool()
        ),
        (Some(call_id.as_str()), Some("RINGING_OUTGOING"), Some(true))
    );
    assert_eq!(outgoing["contact"], p.b_at_a);
    let ringing = p.b.call_event().await;
    assert_eq!(
        (
            ringing["callId"].as_str(),
            ringing["state"].as_str(),
            ringing["isOutgoing"].as_bool()
        ),
        (
            Some(call_id.as_str()),
            Some("RINGING_INCOMING"),
            Some(false)
        )
    );
    assert_eq!(
        (ringing["contactName"].as_str(), ringing["media"].as_str()),
        (Some("Ada"), Some("audio"))
    );
    let listed = p.b.result("listCalls", json!({})).await;
    assert_eq!(listed[0]["callId"], call_id);

    // Only the callee can reject, and only a ringing call.
    let (code, _) = p.a.error("rejectCall", json!({"callId": call_id})).await;
    assert_eq!(code, -1);
    assert_eq!(
        p.b.result("rejectCall", json!({"callId": call_id})).await,
        json!({})
    );
    let ended = p.b.call_event().await;
    assert_eq!(
        (ended["state"].as_str(), ended["reason"].as_str()),
        (Some("ENDED"), Some("rejected"))
    );
    let ended = p.a.call_state("ENDED").await;
    assert_eq!(ended["reason"], "rejected");
    assert_eq!(p.a.result("listCalls", json!({})).await, json!([]));
}

#[tokio::test]
async fn the_caller_hangs_up_while_it_rings_and_the_callee_hears_it() {
    let mut p = pair(&[]).await;
    let call_id =
        p.a.result("startCall", json!({"recipient": p.b_at_a}))
            .await["callId"]
            .clone();
    p.b.call_state("RINGING_INCOMING").await;
    assert_eq!(
        p.a.result("hangupCall", json!({"callId": call_id})).await,
        json!({})
    );
    let ended = p.a.call_state("ENDED").await;
    assert_eq!(ended["reason"], "local_hangup");
    let ended = p.b.call_state("ENDED").await;
    assert_eq!(ended["reason"], "remote_hangup");
}

#[tokio::test]
async fn a_second_call_while_one_rings_is_refused() {
    let mut p = pair(&[]).await;
    p.a.result("startCall", json!({"recipient": "Bob"})).await;
    let (code, message) = p.a.error("startCall", json!({"recipient": "Bob"})).await;
    assert_eq!((code, message.as_str()), (-1, "already in a call"));
}

#[tokio::test]
async fn a_tunnel_that_cannot_start_ends_the_call_with_media_failed_and_the_daemon_keeps_serving() {
    let mut p = pair(&[("SOTTO_CALL_TUNNEL_BIN", "/nonexistent/sotto-call-tunnel")]).await;
    let call_id = p.a.result("startCall", json!({"recipient": "Bob"})).await["callId"].clone();
    p.b.call_state("RINGING_INCOMING").await;
    let accepted = p.b.request("acceptCall", json!({"callId": call_id})).await;
    // The callee's media fails as soon as it is prepared: either the reply already sees the
    // call over (-3), or it reports CONNECTING and the ENDED event follows.
    if accepted.get("error").is_none() {
        assert_eq!(accepted["result"]["state"], "CONNECTING");
    }
    let ended = p.b.call_state("ENDED").await;
    assert_eq!(ended["reason"], "media_failed");
    let ended = p.a.call_state("ENDED").await;
    assert_eq!(ended["reason"], "media_failed");
    assert!(p.b.result("version", json!({})).await["version"].is_string());
    // and the next call rings again
    p.a.result("startCall", json!({"recipient": "Bob"})).await;
    p.b.call_state("RINGING_INCOMING").await;
}

/// Ada's calls ring for 4 s instead of 60 (the invitation carries the lifetime, so Bob's
/// phone stops ringing too).
const SHORT_RING: [&str; 2] = ["--ring-ms-for-testing", "4000"];

#[tokio::test]
async fn an_unanswered_call_times_out_on_both_sides() {
    let mut p = pair_with(&[], &SHORT_RING, true).await;
    p.a.result("startCall", json!({"recipient": "Bob"})).await;
    p.b.call_state("RINGING_INCOMING").await;
    assert_eq!(p.a.call_state("ENDED").await["reason"], "ring_timeout");
    assert_eq!(p.b.call_state("ENDED").await["reason"], "ring_timeout");
}

#[tokio::test]
async fn without_a_subscriber_an_incoming_call_is_not_offered_and_the_caller_sees_a_ring_timeout() {
    let mut p = pair_with(&[], &SHORT_RING, false).await;
    let call_id = p.a.result("startCall", json!({"recipient": "Bob"})).await["callId"].clone();
    p.a.call_state("RINGING_OUTGOING").await;
    assert_eq!(p.b.result("listCalls", json!({})).await, json!([]));
    let (code, message) = p.b.error("acceptCall", json!({"callId": call_id})).await;
    assert_eq!(
        (code, message),
        (-1, format!("No such call: {}", call_id.as_str().unwrap()))
    );
    assert_eq!(p.a.call_state("ENDED").await["reason"], "ring_timeout");
}

#[tokio::test]
async fn a_third_caller_hears_busy() {
    let mut p = pair(&[]).await;
    p.a.result("startCall", json!({"recipient": "Bob"})).await;
    p.b.call_state("RINGING_INCOMING").await;
    let carol_dir = init(&p.shim, "Carol");
    let carol = Daemon::start(carol_dir.path(), &[], &[]).await;
    let mut c = carol.tcp().await;
    befriend(&mut c, "Carol", &mut p.b, "Bob").await;
    c.result("subscribeCallEvents", json!({})).await;
    c.result("startCall", json!({"recipient": "Bob"})).await;
    assert_eq!(c.call_state("ENDED").await["reason"], "busy");
    // Bob's ringing call from Ada is untouched.
    assert_eq!(
        p.b.result("listCalls", json!({})).await[0]["state"],
        "RINGING_INCOMING"
    );
}
