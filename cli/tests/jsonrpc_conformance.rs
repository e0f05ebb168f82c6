//! Every method and error, over each transport: stdio (`jsonRpc`), a UNIX socket and TCP.
//! A bad line gets an error reply and the connection keeps serving.

mod common;

use std::path::Path;

use common::{Daemon, Rpc, Shim, befriend, init, stdio};
use serde_json::{Value, json};

const USER_ERROR: i64 = -1;
const IO_ERROR: i64 = -3;

async fn conforms(rpc: &mut Rpc) {
    // version and the empty lists
    let version = rpc.result("version", json!({})).await;
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(rpc.result("listCalls", json!({})).await, json!([]));
    assert_eq!(rpc.result("listContacts", json!({})).await, json!([]));

    // subscriptions: ids, unsubscribe once, unknown ids are user errors
    let first = rpc.result("subscribeCallEvents", json!({})).await;
    let second = rpc.result("subscribeCallEvents", json!(null)).await;
    assert!(first.is_u64() && second.is_u64() && first != second);
    assert_eq!(
        rpc.result("unsubscribeCallEvents", json!({"subscription": first}))
            .await,
        json!({})
    );
    let (code, message) = rpc
        .error("unsubscribeCallEvents", json!({"subscription": first}))
        .await;
    assert_eq!(
        (code, message.as_str()),
        (
            USER_ERROR,
            format!("Unknown subscription id {first}").as_str()
        )
    );
    assert_eq!(
        rpc.error("unsubscribeCallEvents", json!({})).await.0,
        -32602
    );

    // calls that do not exist, contacts that do not exist
    let (code, message) = rpc.error("startCall", json!({"recipient": "nobody"})).await;
    assert_eq!(
        (code, message.as_str()),
        (USER_ERROR, "Unknown contact: nobody")
    );
    for method in ["acceptCall", "rejectCall", "hangupCall"] {
        let (code, message) = rpc
            .error(method, json!({"callId": "AAAAAAAAAAAAAAAAAAAAAA"}))
            .await;
        assert_eq!(
            (code, message.as_str()),
            (USER_ERROR, "No such call: AAAAAAAAAAAAAAAAAAAAAA"),
            "{method}"
        );
    }
    for (method, params) in [
        ("playAudio", json!({"callId": "x", "path": "/dev/null"})),
        ("recordAudio", json!({"callId": "x", "path": "/dev/null"})),
        ("setEcho", json!({"callId": "x", "on": true})),
        ("recordVideo", json!({"callId": "x", "path": "/dev/null"})),
    ] {
        assert_eq!(
            rpc.error(method, params).await,
            (USER_ERROR, "No such call: x".to_owned()),
            "{method}"
        );
    }

    // invalid params
    assert_eq!(
        rpc.error("acceptCall", json!({"callId": 42})).await.0,
        -32602
    );
    assert_eq!(
        rpc.error("startCall", json!({"recipient": "x", "media": "smell"}))
            .await
            .0,
        -32602
    );
    assert_eq!(rpc.error("setEcho", json!({"callId": "x"})).await.0, -32602);
    assert_eq!(rpc.error("setRelayOnly", json!({})).await.0, -32602);
    for on in [true, false] {
        assert_eq!(
            rpc.result("setRelayOnly", json!({"on": on})).await,
            json!({"relayOnly": on})
        );
    }
    assert_eq!(rpc.error("acceptInvite", json!({})).await.0, -32602);

    // invitations
    let (code, message) = rpc
        .error("acceptInvite", json!({"link": "https://example.invalid/"}))
        .await;
    assert_eq!(
        (code, message.as_str()),
        (USER_ERROR, "this is not a sotto invite link")
    );
    let link = rpc.result("createInvite", json!({})).await["link"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(link.contains("/#/invite/"), "{link}");
    let (code, message) = rpc.error("acceptInvite", json!({"link": link})).await;
    assert_eq!(
        (code, message.as_str()),
        (
            USER_ERROR,
            "That is your own invitation. Send it to someone else."
        )
    );

    // bad lines: each answered, and the connection goes on
    rpc.send_line("{this is not json").await;
    let reply = rpc.next_response().await;
    assert_eq!(
        (reply["id"].clone(), reply["error"]["code"].as_i64()),
        (json!(null), Some(-32700))
    );
    rpc.send_line(r#"{"id": 5, "method": "version"}"#).await;
    let reply = rpc.next_response().await;
    assert_eq!(
        (reply["id"].as_i64(), reply["error"]["code"].as_i64()),
        (Some(5), Some(-32600))
    );
    rpc.send_line("[1, 2]").await;
    assert_eq!(rpc.next_response().await["error"]["code"], -32600);
    let (code, message) = rpc.error("sendMessage", json!({})).await;
    assert_eq!(
        (code, message.as_str()),
        (-32601, "method not found: sendMessage")
    );
    // a notification (no id) gets no reply: the next reply is the version's
    rpc.send_line(r#"{"jsonrpc": "2.0", "method": "listCalls"}"#)
        .await;
    rpc.send_line(r#"{"jsonrpc": "2.0", "id": "v", "method": "version"}"#)
        .await;
    let reply = rpc.next_response().await;
    assert_eq!(reply["id"], "v", "{reply}");
    assert!(rpc.result("version", json!({})).await["version"].is_string());
}

/// A 48 kHz mono 16-bit WAV of `rate` Hz (a playable one at 48 000) with a short tone.
fn wav(path: &Path, rate: u32) -> String {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..rate / 2 {
        let x = (f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / f64::from(rate)).sin();
        w.write_sample((x * 8000.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    path.to_string_lossy().into_owned()
}

/// Every call method's success, and its wrong-state and file errors, in a real call with
/// `peer` (a daemon whose contact is named Pam at `rpc`; `rpc` holds one subscription).
async fn conforms_in_a_call(rpc: &mut Rpc, peer: &mut Rpc) {
    let files = tempfile::tempdir().unwrap();
    let started = rpc.result("startCall", json!({"recipient": "Pam"})).await;
    for key in [
        "callId",
        "state",
        "inputDeviceName",
        "outputDeviceName",
        "codec",
        "sampleRate",
        "channels",
        "ptimeMs",
    ] {
        assert!(!started[key].is_null(), "startCall lacks {key}: {started}");
    }
    let call_id = started["callId"].clone();
    let id = call_id.as_str().unwrap().to_owned();
    let call = |more: Value| {
        let mut params = json!({"callId": call_id});
        params
            .as_object_mut()
            .unwrap()
            .extend(more.as_object().unwrap().clone());
        params
    };
    // the caller cannot accept its own call (wrong state)
    assert_eq!(
        rpc.error("acceptCall", call(json!({}))).await,
        (
            USER_ERROR,
            format!("Call {id} is RINGING_OUTGOING, not RINGING_INCOMING")
        )
    );
    let ringing = peer.call_state("RINGING_INCOMING").await;
    assert_eq!(ringing["callId"], call_id);
    let accepted = peer.result("acceptCall", json!({"callId": call_id})).await;
    assert_eq!(accepted["callId"], call_id);
    rpc.call_state("CONNECTED").await;
    assert_eq!(
        rpc.result("listCalls", json!({})).await[0]["state"],
        "CONNECTED"
    );

    // the bot helpers, and the files they are given
    let tone = wav(&files.path().join("tone.wav"), 48_000);
    assert_eq!(
        rpc.result("playAudio", call(json!({"path": tone, "loop": true})))
            .await,
        json!({})
    );
    let missing = files.path().join("missing.wav");
    let (code, message) = rpc.error("playAudio", call(json!({"path": missing}))).await;
    assert_eq!(code, IO_ERROR, "{message}");
    assert!(message.starts_with("cannot play "), "{message}");
    let cd = wav(&files.path().join("cd.wav"), 44_100);
    let (code, message) = rpc.error("playAudio", call(json!({"path": cd}))).await;
    assert_eq!(code, USER_ERROR, "{message}");
    assert!(
        message.contains("need 48000 Hz mono 16-bit WAV"),
        "{message}"
    );
    let recording = files.path().join("heard.wav");
    assert_eq!(
        rpc.result("recordAudio", call(json!({"path": recording})))
            .await,
        json!({})
    );
    // Let a few frames of Pam's (silence) reach the recording before the hang-up ends it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let nowhere = files.path().join("no/such/dir/heard.wav");
    for method in ["recordAudio", "recordVideo"] {
        let (code, message) = rpc.error(method, call(json!({"path": nowhere}))).await;
        assert_eq!(code, IO_ERROR, "{method}: {message}");
        assert!(message.starts_with("cannot record to "), "{message}");
    }
    let camera = files.path().join("camera.ivf");
    assert_eq!(
        rpc.result("recordVideo", call(json!({"path": camera})))
            .await,
        json!({})
    );
    for on in [true, false] {
        assert_eq!(
            rpc.result("setEcho", call(json!({"on": on}))).await,
            json!({})
        );
    }
    assert_eq!(
        rpc.error("rejectCall", call(json!({}))).await,
        (
            USER_ERROR,
            format!("Call {id} is CONNECTED, not RINGING_INCOMING")
        )
    );

    // hang-up, heard on both sides; then the call is gone
    assert_eq!(rpc.result("hangupCall", call(json!({}))).await, json!({}));
    assert_eq!(rpc.call_state("ENDED").await["reason"], "local_hangup");
    assert_eq!(peer.call_state("ENDED").await["reason"], "remote_hangup");
    assert_eq!(
        rpc.error("hangupCall", call(json!({}))).await,
        (USER_ERROR, format!("No such call: {id}"))
    );
    assert_eq!(rpc.result("listCalls", json!({})).await, json!([]));
    // The tunnel finishes the recording as it ends.
    let deadline = std::time::Instant::now() + common::WAIT;
    while hound::WavReader::open(&recording).map_or(0, |r| r.duration()) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the recording was never finished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Pam, a daemon who is a contact of `rpc`'s profile (named `name`). Both find
/// `sotto-call-tunnel` next to `sotto-cli`, where [`common::tunnel_binary`] builds it.
async fn pam(shim: &Shim, rpc: &mut Rpc, name: &str) -> (tempfile::TempDir, Daemon, Rpc) {
    common::tunnel_binary();
    let dir = init(shim, "Pam");
    let daemon = Daemon::start(dir.path(), &[], &[]).await;
    let mut peer = daemon.tcp().await;
    befriend(rpc, name, &mut peer, "Pam").await;
    peer.result("subscribeCallEvents", json!({})).await;
    (dir, daemon, peer)
}

#[tokio::test]
async fn conforms_over_tcp() {
    let shim = Shim::start().await;
    let dir = init(&shim, "Tess");
    let daemon = Daemon::start(dir.path(), &[], &[]).await;
    let mut rpc = daemon.tcp().await;
    conforms(&mut rpc).await;
    let (_dir, _daemon, mut peer) = pam(&shim, &mut rpc, "Tess").await;
    conforms_in_a_call(&mut rpc, &mut peer).await;
}

#[tokio::test]
async fn conforms_over_a_unix_socket() {
    use std::os::unix::fs::PermissionsExt as _;
    let shim = Shim::start().await;
    let dir = init(&shim, "Uma");
    let daemon = Daemon::start(dir.path(), &[], &[]).await;
    let mode = std::fs::metadata(&daemon.socket)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "only the owner may control calls");
    let mut rpc = daemon.unix().await;
    conforms(&mut rpc).await;
    let (_dir, _daemon, mut peer) = pam(&shim, &mut rpc, "Uma").await;
    conforms_in_a_call(&mut rpc, &mut peer).await;
}

#[tokio::test]
async fn conforms_over_stdio_and_ends_on_eof() {
    let shim = Shim::start().await;
    let dir = init(&shim, "Stan");
    let (mut child, mut rpc) = stdio(dir.path());
    conforms(&mut rpc).await;
    let (_dir, _daemon, mut peer) = pam(&shim, &mut rpc, "Stan").await;
    conforms_in_a_call(&mut rpc, &mut peer).await;
    drop(rpc); // closes stdin
    let status = tokio::time::timeout(common::WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn a_second_process_on_the_same_data_dir_is_refused() {
    let shim = Shim::start().await;
    let dir = init(&shim, "Lock");
    let _daemon = Daemon::start(dir.path(), &[], &[]).await;
    let out = std::process::Command::new(common::BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("contacts")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another sotto-cli process uses"));
}

#[tokio::test]
async fn an_unreachable_relay_is_an_io_error_and_the_daemon_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // closed again at once: nothing listens there
    let out = std::process::Command::new(common::BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "init",
            "--name",
            "Ivo",
            "--relay",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let daemon = Daemon::start(dir.path(), &[], &[]).await;
    let mut rpc = daemon.tcp().await;
    // The core gives up on a request after 10 s and says the relay cannot be reached.
    let (code, message) = rpc.error("createInvite", json!({})).await;
    assert_eq!(
        (code, message.as_str()),
        (
            -3,
            "Could not reach the relay. Check the connection and try again."
        )
    );
    assert!(rpc.result("version", json!({})).await["version"].is_string());
}
