//! The tunnel as a test drives it (the daemon's part: config, control lines, events), and a
//! coturn on loopback for relay-only.

#![allow(dead_code, unreachable_pub)]

pub mod coturn;

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

pub const WAIT: Duration = Duration::from_secs(15);
pub const BIN: &str = env!("CARGO_BIN_EXE_sotto-call-tunnel");

pub struct Tunnel {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: Lines<BufReader<ChildStdout>>,
}

impl Tunnel {
    pub fn spawn() -> Self {
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

    pub async fn started(audio: Value) -> Self {
        Self::configured(json!({"call_id": "test", "audio": audio})).await
    }

    /// Started with this config line.
    pub async fn configured(config: Value) -> Self {
        let mut t = Self::spawn();
        t.send(config).await;
        let ready = t.next().await;
        assert_eq!(ready["type"], "ready", "{ready}");
        t
    }

    pub async fn send(&mut self, msg: Value) {
        self.line(&msg.to_string()).await;
    }

    pub async fn line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).await.unwrap();
        stdin.write_all(b"\n").await.unwrap();
        stdin.flush().await.unwrap();
    }

    pub async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(WAIT, self.stdout.next_line())
            .await
            .expect("an event in time")
            .unwrap()
            .expect("tunnel running");
        serde_json::from_str(&line).unwrap()
    }

    /// The next event of `kind`, skipping counters and state changes.
    pub async fn expect(&mut self, kind: &str) -> Value {
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

    pub async fn exit_code(mut self) -> i32 {
        drop(self.stdin.take());
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        status.code().unwrap_or(-1)
    }
}

pub fn ufrag(description: &Value) -> String {
    let sdp = description["sdp"].as_str().unwrap();
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .unwrap()
        .to_owned()
}

/// Carries one tunnel's sendIce to the other; returns the candidates.
pub async fn relay_ice(from: &mut Tunnel, to: &mut Tunnel) -> Value {
    let ice = from.expect("sendIce").await;
    to.send(json!({"type": "receivedIce", "candidates": ice["candidates"]}))
        .await;
    from.expect("gatheringComplete").await;
    ice["candidates"].clone()
}

/// The order the call machine uses: the callee offers; the caller sets keys before the
/// offer; the callee sets keys before the answer; candidates both ways; both connected.
/// Returns the offer and the candidates each side signalled (callee's, caller's).
pub async fn call(callee: &mut Tunnel, caller: &mut Tunnel) -> (Value, Value, Value) {
    let prk = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc";
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
    let from_callee = relay_ice(callee, caller).await;
    let from_caller = relay_ice(caller, callee).await;
    connected(callee).await;
    connected(caller).await;
    (offer, from_callee, from_caller)
}

/// Asserts the last half second of `heard` is dominated by `want` Hz rather than `other` Hz.
pub fn assert_hears(heard: &[i16], want: f64, other: f64, who: &str) {
    if let Err(e) = sotto_call_tunnel::probe::hears_tone(heard, want, other) {
        panic!("{who}: {e}");
    }
}

pub async fn connected(t: &mut Tunnel) {
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
