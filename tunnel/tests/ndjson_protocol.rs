//! The tunnel driven directly over its NDJSON protocol: config, scripted control lines, bad
//! lines, and two tunnels wired to each other by the test (the daemon's part) carrying a tone
//! each way over loopback.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use sotto_call_tunnel::goertzel;
use sotto_call_tunnel::probe::talk_and_listen;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const WAIT: Duration = Duration::from_secs(15);
const BIN: &str = env!("CARGO_BIN_EXE_sotto-call-tunnel");

struct Tunnel {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Tunnel {
    fn spawn() -> Self {
        let mut child = Command::new(BIN)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            stdout,
        }
    }

    async fn started(audio: Value) -> Self {
        let mut t = Self::spawn();
        t.send(json!({"call_id": "test", "audio": audio})).await;
        let ready = t.next().await;
        assert_eq!(ready["type"], "ready", "{ready}");
        t
    }

    async fn send(&mut self, msg: Value) {
        self.line(&msg.to_string()).await;
    }

    async fn line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).await.unwrap();
        stdin.write_all(b"\n").await.unwrap();
        stdin.flush().await.unwrap();
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(WAIT, self.stdout.next_line())
            .await
            .expect("an event in time")
            .unwrap()
            .expect("tunnel running");
        serde_json::from_str(&line).unwrap()
    }

    /// The next event of `kind`, skipping counters and state changes.
    async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let event = self.next().await;
            if event["type"] == kind {
                return event;
            }
            assert!(
                matches!(event["type"].as_str(), Some("counters" | "stateChange")),
                "expected {kind}, got {event}"
            );
        }
    }

    async fn exit_code(mut self) -> i32 {
        drop(self.stdin.take());
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        status.code().unwrap_or(-1)
    }
}

#[tokio::test]
async fn answers_bad_lines_with_errors_and_keeps_serving() {
    let mut t = Tunnel::started(json!({"backend": "echo"})).await;
    t.line("this is not json").await;
    let error = t.expect("error").await;
    assert_eq!(error["fatal"], false);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("bad control line")
    );
    t.send(json!({"type": "receivedAnswer", "sdp": "v=0"}))
        .await;
    let error = t.expect("error").await;
    assert_eq!(
        (error["message"].as_str(), error["fatal"].as_bool()),
        (Some("not prepared (send prepare first)"), Some(false))
    );
    t.send(json!({"type": "playAudio", "path": "/nonexistent.wav"}))
        .await;
    assert_eq!(t.expect("error").await["fatal"], false);

    // still serving: the callee's offer has the four fixed transceivers in order
    t.send(json!({"type": "prepare", "role": "callee", "media": "audio"}))
        .await;
    t.send(json!({"type": "createOffer", "iceRestart": false}))
        .await;
    let offer = t.expect("localDescription").await;
    let sdp = offer["sdp"].as_str().unwrap();
    let kinds: Vec<&str> = sdp
        .lines()
        .filter_map(|l| l.strip_prefix("m="))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(kinds, ["audio", "video", "audio", "video"]);
    assert!(
        sdp.contains("opus/48000/2") && sdp.contains("VP8/90000"),
        "{sdp}"
    );
    let ice = t.expect("sendIce").await;
    let candidates = ice["candidates"].as_array().unwrap();
    assert!(
        candidates
            .iter()
            .any(|c| c["candidate"].as_str().unwrap().contains("127.0.0.1")),
        "{ice}"
    );
    t.expect("gatheringComplete").await;
    // a bad answer loses the media: fatal
    t.send(json!({"type": "receivedAnswer", "sdp": "not sdp"}))
        .await;
    assert_eq!(t.expect("error").await["fatal"], true);
    assert_eq!(t.exit_code().await, 0);
}

#[tokio::test]
async fn a_bad_config_line_is_a_fatal_error_and_exits() {
    let mut t = Tunnel::spawn();
    t.line("{\"call_id\": 5}").await;
    let error = t.next().await;
    assert_eq!(
        (error["type"].as_str(), error["fatal"].as_bool()),
        (Some("error"), Some(true))
    );
    assert_eq!(t.exit_code().await, 2);
}

#[tokio::test]
async fn relay_only_is_refused_as_fatal_rather_than_leaking_host_candidates() {
    let mut t = Tunnel::spawn();
    t.send(json!({"call_id": "r", "audio": {"backend": "echo"}, "relay_only": true}))
        .await;
    t.expect("ready").await;
    t.send(json!({"type": "prepare", "role": "caller", "media": "audio"}))
        .await;
    let error = t.expect("error").await;
    assert_eq!(error["fatal"], true);
}

fn ufrag(description: &Value) -> String {
    let sdp = description["sdp"].as_str().unwrap();
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .unwrap()
        .to_owned()
}

/// Carries one tunnel's sendIce to the other.
async fn relay_ice(from: &mut Tunnel, to: &mut Tunnel) {
    let ice = from.expect("sendIce").await;
    to.send(json!({"type": "receivedIce", "candidates": ice["candidates"]}))
        .await;
    from.expect("gatheringComplete").await;
}

async fn connected(t: &mut Tunnel) {
    loop {
        let event = t.next().await;
        assert_ne!(event["type"], "error", "{event}");
        if event["type"] == "stateChange"
            && matches!(event["ice"].as_str(), Some("connected" | "completed"))
        {
            return;
        }
    }
}

#[tokio::test]
async fn two_tunnels_carry_a_tone_each_way_encrypted_and_end_on_eof() {
    let dir = tempfile::tempdir().unwrap();
    let (callee_sock, caller_sock) = (
        dir.path().join("callee.sock"),
        dir.path().join("caller.sock"),
    );
    let mut callee = Tunnel::started(json!({"backend": "socket", "path": callee_sock})).await;
    let mut caller = Tunnel::started(json!({"backend": "socket", "path": caller_sock})).await;
    let prk = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc";

    // The order the call machine uses: the callee offers; the caller sets keys before the
    // offer; the callee sets keys before the answer.
    callee
        .send(json!({"type": "prepare", "role": "callee", "media": "audio"}))
        .await;
    callee
        .send(json!({"type": "createOffer", "iceRestart": false}))
        .await;
    let offer = callee.expect("localDescription").await;
    caller
        .send(json!({"type": "prepare", "role": "caller", "media": "audio"}))
        .await;
    caller.send(json!({"type": "setKeys", "prk": prk})).await;
    caller
        .send(json!({"type": "receivedOffer", "sdp": offer["sdp"]}))
        .await;
    let answer = caller.expect("localDescription").await;
    callee.send(json!({"type": "setKeys", "prk": prk})).await;
    callee
        .send(json!({"type": "receivedAnswer", "sdp": answer["sdp"]}))
        .await;
    relay_ice(&mut callee, &mut caller).await;
    relay_ice(&mut caller, &mut callee).await;
    connected(&mut callee).await;
    connected(&mut caller).await;

    let (heard_by_callee, heard_by_caller) = tokio::join!(
        async { talk_and_listen(&callee_sock, 440.0, 1.5).await.unwrap() },
        async { talk_and_listen(&caller_sock, 1000.0, 1.5).await.unwrap() },
    );
    for (heard, want, other, who) in [
        (&heard_by_caller, 440.0, 1000.0, "caller"),
        (&heard_by_callee, 1000.0, 440.0, "callee"),
    ] {
        assert!(
            heard.len() > 48_000 / 2,
            "{who} heard {} samples",
            heard.len()
        );
        let tail = &heard[heard.len() - 24_000..];
        let (p_want, p_other) = (goertzel::power(tail, want), goertzel::power(tail, other));
        assert!(
            p_want > 1e5 && p_want > 50.0 * p_other,
            "{who}: {want} Hz {p_want}, {other} Hz {p_other}"
        );
    }

    // An ICE restart (the callee offers again, as the call machine does after a disconnect)
    // renegotiates without losing the media: the tone still comes through afterwards.
    let first_ufrag = ufrag(&offer);
    callee
        .send(json!({"type": "createOffer", "iceRestart": true}))
        .await;
    let offer = callee.expect("localDescription").await;
    assert_ne!(ufrag(&offer), first_ufrag, "new ICE credentials");
    caller
        .send(json!({"type": "receivedOffer", "sdp": offer["sdp"]}))
        .await;
    let answer = caller.expect("localDescription").await;
    callee
        .send(json!({"type": "receivedAnswer", "sdp": answer["sdp"]}))
        .await;
    relay_ice(&mut callee, &mut caller).await;
    relay_ice(&mut caller, &mut callee).await;
    let heard = async { talk_and_listen(&callee_sock, 440.0, 1.5).await.unwrap() };
    let (heard_by_caller, ()) = tokio::join!(
        async { talk_and_listen(&caller_sock, 1000.0, 1.5).await.unwrap() },
        async { drop(heard.await) }
    );
    let tail = &heard_by_caller[heard_by_caller.len() - 24_000..];
    assert!(
        goertzel::power(tail, 440.0) > 1e5,
        "after the restart the caller hears the tone"
    );

    // hang-up, then EOF: final counters show encrypted and decrypted frames, no drops
    caller.send(json!({"type": "hangup"})).await;
    drop(caller.stdin.take());
    let counters = loop {
        let event = caller.next().await;
        if event["type"] == "counters" {
            let c = &event["counters"];
            if c["encrypted"].as_u64() > Some(40) && c["decrypted"].as_u64() > Some(40) {
                break c.clone();
            }
        }
    };
    assert_eq!(
        (
            counters["droppedUndecryptable"].as_u64(),
            counters["droppedNoKey"].as_u64()
        ),
        (Some(0), Some(0)),
        "{counters}"
    );
    assert_eq!(caller.exit_code().await, 0);
    assert!(
        !caller_sock.exists(),
        "the PCM socket file is removed on exit"
    );

    // SIGTERM ends the other one cleanly too
    let pid = callee.child.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = tokio::time::timeout(WAIT, callee.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(!callee_sock.exists());
}
