//! The tunnel driven directly over its NDJSON protocol: config, scripted control lines, bad
//! lines, and two tunnels wired to each other by the test (the daemon's part) carrying a tone
//! each way over loopback.

mod common;

use common::{Tunnel, WAIT, assert_hears, relay_ice, ufrag};
use serde_json::json;
use sotto_call_tunnel::goertzel;
use sotto_call_tunnel::probe::talk_and_listen;

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
async fn two_tunnels_carry_a_tone_each_way_encrypted_and_end_on_eof() {
    let dir = tempfile::tempdir().unwrap();
    let (callee_sock, caller_sock) = (
        dir.path().join("callee.sock"),
        dir.path().join("caller.sock"),
    );
    let mut callee = Tunnel::started(json!({"backend": "socket", "path": callee_sock})).await;
    let mut caller = Tunnel::started(json!({"backend": "socket", "path": caller_sock})).await;
    let (offer, _, _) = common::call(&mut callee, &mut caller).await;

    let (heard_by_callee, heard_by_caller) = tokio::join!(
        async { talk_and_listen(&callee_sock, 440.0, 1.5).await.unwrap() },
        async { talk_and_listen(&caller_sock, 1000.0, 1.5).await.unwrap() },
    );
    assert_hears(&heard_by_caller, 440.0, 1000.0, "caller");
    assert_hears(&heard_by_callee, 1000.0, 440.0, "callee");

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
    // The playout buffer played the frames out (a few may be concealed on a busy machine).
    assert!(counters["decoded"].as_u64() > Some(20), "{counters}");
    eprintln!("caller's counters: {counters}");
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
