//! Every method and error, over each transport: stdio (`jsonRpc`), a UNIX socket and TCP.
//! A bad line gets an error reply and the connection keeps serving.

mod common;

use common::{Daemon, Rpc, Shim, init, stdio};
use serde_json::json;

const USER_ERROR: i64 = -1;

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

#[tokio::test]
async fn conforms_over_tcp() {
    let shim = Shim::start().await;
    let dir = init(&shim, "Tess");
    let daemon = Daemon::start(dir.path(), &[], &[]).await;
    conforms(&mut daemon.tcp().await).await;
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
    conforms(&mut daemon.unix().await).await;
}

#[tokio::test]
async fn conforms_over_stdio_and_ends_on_eof() {
    let shim = Shim::start().await;
    let dir = init(&shim, "Stan");
    let (mut child, mut rpc) = stdio(dir.path());
    conforms(&mut rpc).await;
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
