//! Relay-only ("hide my IP"): the tunnel allocates on a TURN server with the shim's
//! credential scheme (coturn on loopback, `use-auth-secret`), offers the relayed address as
//! its only candidate, and the call's media goes through the relay. Without a usable TURN
//! server it refuses, fatally, rather than leak the machine's addresses.

mod common;

use common::coturn::Coturn;
use common::{Tunnel, assert_hears};
use serde_json::{Value, json};
use sotto_call_tunnel::probe::talk_and_listen;

fn config(audio: Value, ice_servers: Value) -> Value {
    json!({"call_id": "r", "audio": audio, "relay_only": true, "ice_servers": ice_servers})
}

/// Starts a tunnel expected to fail at its config; returns the fatal error's message.
async fn refused(config: Value) -> String {
    let mut t = Tunnel::spawn();
    t.send(config).await;
    let error = t.next().await;
    assert_eq!(
        (error["type"].as_str(), error["fatal"].as_bool()),
        (Some("error"), Some(true)),
        "{error}"
    );
    assert_ne!(t.exit_code().await, 0);
    error["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn without_a_turn_server_relay_only_is_refused_before_any_candidate() {
    let echo = json!({"backend": "echo"});
    let message = refused(config(echo.clone(), json!([]))).await;
    assert!(
        message.contains("relay-only needs a TURN server"),
        "{message}"
    );
    // A STUN-only server or a TURN URL without credentials is no TURN server either.
    let stun = json!([{"urls": ["stun:127.0.0.1:3478"]}, {"urls": ["turn:127.0.0.1:3478"]}]);
    let message = refused(config(echo, stun)).await;
    assert!(
        message.contains("relay-only needs a TURN server"),
        "{message}"
    );
}

#[tokio::test]
async fn wrong_turn_credentials_are_refused_before_any_candidate() {
    let coturn = Coturn::start();
    let mut servers = coturn.ice_servers();
    servers[0]["credential"] = json!("not-the-password");
    let message = refused(config(json!({"backend": "echo"}), servers)).await;
    assert!(
        message.contains("no allocation from the TURN server"),
        "{message}"
    );
}

#[tokio::test]
async fn two_relay_only_tunnels_carry_a_tone_each_way_through_coturn() {
    let coturn = Coturn::start();
    let dir = tempfile::tempdir().unwrap();
    let (callee_sock, caller_sock) = (
        dir.path().join("callee.sock"),
        dir.path().join("caller.sock"),
    );
    let socket = |path: &std::path::Path| json!({"backend": "socket", "path": path});
    let mut callee = Tunnel::configured(config(socket(&callee_sock), coturn.ice_servers())).await;
    let mut caller = Tunnel::configured(config(socket(&caller_sock), coturn.ice_servers())).await;
    let (offer, from_callee, from_caller) = common::call(&mut callee, &mut caller).await;

    // Only relayed addresses were signalled, and they are coturn's.
    for candidates in [&from_callee, &from_caller] {
        let lines: Vec<&str> = candidates
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["candidate"].as_str().unwrap())
            .collect();
        assert!(
            !lines.is_empty() && lines.iter().all(|l| l.contains(" typ relay")),
            "{lines:?}"
        );
    }
    let sdp = offer["sdp"].as_str().unwrap();
    assert!(!sdp.contains(" typ host"), "{sdp}");

    let (heard_by_callee, heard_by_caller) = tokio::join!(
        async { talk_and_listen(&callee_sock, 440.0, 1.5).await.unwrap() },
        async { talk_and_listen(&caller_sock, 1000.0, 1.5).await.unwrap() },
    );
    assert_hears(&heard_by_caller, 440.0, 1000.0, "caller");
    assert_hears(&heard_by_callee, 1000.0, 440.0, "callee");
    drop(coturn);
}
