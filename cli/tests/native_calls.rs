//! Native ↔ native calls through a real shim: two daemons, each spawning its own
//! `sotto-call-tunnel`, the call driven only over JSON-RPC, audio through the per-call PCM
//! sockets (a tone each way, detected with Goertzel), hang-up from each side, a tunnel that
//! dies mid-call, and the echo bot.

mod common;
// The tunnel's tests start coturn the same way.
#[path = "../../tunnel/tests/common/coturn.rs"]
mod coturn;

use std::time::Instant;

use common::{
    Daemon, Rpc, Shim, assert_hears, befriend, init, talk_and_listen, tunnel_binary,
    tunnel_recording_pid,
};
use serde_json::{Value, json};

struct Call {
    _shim: Shim,
    dirs: Vec<tempfile::TempDir>,
    daemons: Vec<Daemon>,
    a: Rpc,
    b: Rpc,
    call_id: Value,
}

/// Ada calls Bob, Bob accepts; both see CONNECTED. `b_tunnel` is Bob's tunnel binary.
async fn connected_call(b_tunnel: Option<&dyn Fn(&std::path::Path) -> std::path::PathBuf>) -> Call {
    let tunnel = tunnel_binary();
    let shim = Shim::start().await;
    let dirs = vec![init(&shim, "Ada"), init(&shim, "Bob")];
    let b_bin = b_tunnel.map_or_else(|| tunnel.clone(), |f| f(dirs[1].path()));
    let a_env = [("SOTTO_CALL_TUNNEL_BIN", tunnel.to_str().unwrap())];
    let b_env = [("SOTTO_CALL_TUNNEL_BIN", b_bin.to_str().unwrap())];
    let ada = Daemon::start(dirs[0].path(), &a_env, &[]).await;
    let bob = Daemon::start(dirs[1].path(), &b_env, &[]).await;
    let (mut a, mut b) = (ada.tcp().await, bob.tcp().await);
    befriend(&mut a, "Ada", &mut b, "Bob").await;
    a.result("subscribeCallEvents", json!({})).await;
    b.result("subscribeCallEvents", json!({})).await;

    let call_id = a.result("startCall", json!({"recipient": "Bob"})).await["callId"].clone();
    b.call_state("RINGING_INCOMING").await;
    let accepted_at = Instant::now();
    let accepted = b.result("acceptCall", json!({"callId": call_id})).await;
    assert_eq!(accepted["state"], "CONNECTING");
    let b_connected = b.call_state("CONNECTED").await;
    let a_connected = a.call_state("CONNECTED").await;
    eprintln!(
        "accept→CONNECTED (native↔native, both sides): {:?}",
        accepted_at.elapsed()
    );
    // The security codes match: nobody sits between.
    let code = b_connected["securityCode"]
        .as_str()
        .expect("a security code once connected");
    assert_eq!(a_connected["securityCode"], code);
    Call {
        _shim: shim,
        dirs,
        daemons: vec![ada, bob],
        a,
        b,
        call_id,
    }
}

fn device(event: &Value) -> String {
    event["inputDeviceName"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_native_call_carries_a_tone_each_way_and_the_callee_hangs_up() {
    let mut c = connected_call(None).await;
    let a_calls = c.a.result("listCalls", json!({})).await;
    let b_calls = c.b.result("listCalls", json!({})).await;
    let (a_dev, b_dev) = (device(&a_calls[0]), device(&b_calls[0]));
    for dev in [&a_dev, &b_dev] {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let path = std::path::Path::new(dev);
        assert_eq!(
            (mode(path), mode(path.parent().unwrap())),
            (0o600, 0o700),
            "{dev}"
        );
    }
    let (a_heard, b_heard) = tokio::join!(
        talk_and_listen(&a_dev, 440.0, 1.5),
        talk_and_listen(&b_dev, 1000.0, 1.5)
    );
    assert_hears(&b_heard, 440.0, 1000.0, "Bob");
    assert_hears(&a_heard, 1000.0, 440.0, "Ada");
    // Each side told the other its camera is off (so a browser shows that, not a black tile),
    // and the tunnel's frame counters reach listCalls (every 2 s: poll, bounded).
    let deadline = Instant::now() + common::WAIT;
    let listed = loop {
        let listed = c.a.result("listCalls", json!({})).await;
        let counters = &listed[0]["counters"];
        if counters["encrypted"].as_u64() > Some(0) && counters["decrypted"].as_u64() > Some(0) {
            break listed;
        }
        assert!(Instant::now() < deadline, "no counters: {listed}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(listed[0]["counters"]["droppedUndecryptable"], 0, "{listed}");
    assert_eq!(
        listed[0]["peerMedia"],
        json!({"audio": true, "video": false, "screen": false})
    );

    assert_eq!(
        c.b.result("hangupCall", json!({"callId": c.call_id})).await,
        json!({})
    );
    assert_eq!(c.b.call_state("ENDED").await["reason"], "local_hangup");
    assert_eq!(c.a.call_state("ENDED").await["reason"], "remote_hangup");
    assert_eq!(c.a.result("listCalls", json!({})).await, json!([]));
}

#[tokio::test]
async fn the_caller_hangs_up_a_connected_call() {
    let mut c = connected_call(None).await;
    assert_eq!(
        c.a.result("hangupCall", json!({"callId": c.call_id})).await,
        json!({})
    );
    assert_eq!(c.a.call_state("ENDED").await["reason"], "local_hangup");
    assert_eq!(c.b.call_state("ENDED").await["reason"], "remote_hangup");
}

#[tokio::test]
async fn a_tunnel_killed_mid_call_ends_the_call_with_media_failed_and_the_daemon_keeps_serving() {
    let mut c = connected_call(Some(&tunnel_recording_pid)).await;
    let pid = std::fs::read_to_string(c.dirs[1].path().join("tunnel.pid")).unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", pid.trim()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(c.b.call_state("ENDED").await["reason"], "media_failed");
    assert_eq!(c.a.call_state("ENDED").await["reason"], "media_failed");
    assert!(c.b.result("version", json!({})).await["version"].is_string());
}

#[tokio::test]
async fn the_echo_bot_answers_and_sends_back_what_it_hears() {
    let tunnel = tunnel_binary();
    let shim = Shim::start().await;
    let (ada_dir, bot_dir) = (init(&shim, "Ada"), init(&shim, "Echo"));
    let env = [("SOTTO_CALL_TUNNEL_BIN", tunnel.to_str().unwrap())];
    let ada = Daemon::start(ada_dir.path(), &env, &[]).await;
    let bot = Daemon::start_command(bot_dir.path(), &env, "echo-bot", &[]).await;
    let (mut a, mut b) = (ada.tcp().await, bot.tcp().await);
    befriend(&mut a, "Ada", &mut b, "Echo").await;
    a.result("subscribeCallEvents", json!({})).await;
    let started = a.result("startCall", json!({"recipient": "Echo"})).await;
    a.call_state("CONNECTED").await;
    let heard = talk_and_listen(started["inputDeviceName"].as_str().unwrap(), 440.0, 2.0).await;
    assert_hears(&heard, 440.0, 1000.0, "Ada (her own voice back)");
}

#[tokio::test]
async fn sigterm_to_a_daemon_in_a_call_hangs_up_and_the_peer_hears_it() {
    let mut c = connected_call(None).await;
    let pid = c.daemons[0].child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    assert_eq!(c.b.call_state("ENDED").await["reason"], "remote_hangup");
    let status = tokio::time::timeout(common::WAIT, c.daemons[0].child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}

/// Ada and Bob, contacts through a shim that hands out credentials for `coturn` (if any),
/// both with "hide my IP" on; Ada calls, Bob accepts.
async fn relay_only_call(coturn: Option<&coturn::Coturn>) -> (RelayOnly, Rpc, Rpc) {
    let tunnel = tunnel_binary();
    let shim = Shim::start_with(|config| {
        if let Some(coturn) = coturn {
            config.turn_urls = vec![coturn.url()];
            config.turn_secret = Some(coturn::SECRET.parse().unwrap());
        }
    })
    .await;
    let env = [("SOTTO_CALL_TUNNEL_BIN", tunnel.to_str().unwrap())];
    let (ada_dir, bob_dir) = (init(&shim, "Ada"), init(&shim, "Bob"));
    let ada = Daemon::start(ada_dir.path(), &env, &[]).await;
    let bob = Daemon::start(bob_dir.path(), &env, &[]).await;
    let (mut a, mut b) = (ada.tcp().await, bob.tcp().await);
    befriend(&mut a, "Ada", &mut b, "Bob").await;
    for rpc in [&mut a, &mut b] {
        rpc.result("setRelayOnly", json!({"on": true})).await;
        rpc.result("subscribeCallEvents", json!({})).await;
    }
    let call_id = a.result("startCall", json!({"recipient": "Bob"})).await["callId"].clone();
    b.call_state("RINGING_INCOMING").await;
    b.request("acceptCall", json!({"callId": call_id})).await;
    (
        RelayOnly {
            _shim: shim,
            _dirs: [ada_dir, bob_dir],
            _daemons: [ada, bob],
        },
        a,
        b,
    )
}

/// What a relay-only call keeps alive.
struct RelayOnly {
    _shim: Shim,
    _dirs: [tempfile::TempDir; 2],
    _daemons: [Daemon; 2],
}

#[tokio::test]
async fn relay_only_calls_go_through_the_shims_turn_server_and_carry_a_tone_each_way() {
    let coturn = coturn::Coturn::start();
    let (_call, mut a, mut b) = relay_only_call(Some(&coturn)).await;
    let b_connected = b.call_state("CONNECTED").await;
    let a_connected = a.call_state("CONNECTED").await;
    let (a_dev, b_dev) = (device(&a_connected), device(&b_connected));
    let (a_heard, b_heard) = tokio::join!(
        talk_and_listen(&a_dev, 440.0, 1.5),
        talk_and_listen(&b_dev, 1000.0, 1.5)
    );
    assert_hears(&b_heard, 440.0, 1000.0, "Bob");
    assert_hears(&a_heard, 1000.0, 440.0, "Ada");
}

#[tokio::test]
async fn relay_only_without_a_turn_server_ends_the_call_with_media_failed() {
    let (_call, mut a, mut b) = relay_only_call(None).await;
    assert_eq!(b.call_state("ENDED").await["reason"], "media_failed");
    assert_eq!(a.call_state("ENDED").await["reason"], "media_failed");
}
