//! The real binary: a message acknowledged with `ok` survives SIGKILL; bad flags and an
//! unusable data dir exit with a clear message.
mod common;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use common::Client;
use sotto_shared::wire::relay::ServerMsg;

fn start(data: &std::path::Path) -> (Child, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sotto-shim"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(["--dist-dir", "/nonexistent"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{line}"));
    (child, addr)
}

#[tokio::test]
async fn an_acknowledged_send_survives_sigkill() {
    let data = tempfile::tempdir().unwrap();
    let (mut shim, addr) = start(data.path());
    let mut c = Client::connect(addr, None).await.unwrap();
    let (rcv, snd) = c.create_queue().await;
    assert!(matches!(
        c.send(snd, b"durable").await,
        ServerMsg::Ok { .. }
    ));
    shim.kill().unwrap(); // SIGKILL: no shutdown, no flush
    shim.wait().unwrap();

    let (mut shim, addr) = start(data.path());
    let mut c = Client::connect(addr, None).await.unwrap();
    c.subscribe(rcv).await;
    assert_eq!(c.message().await.2, b"durable");
    shim.kill().unwrap();
    shim.wait().unwrap();
}

#[test]
fn an_unusable_data_dir_is_a_clear_error() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sotto-shim"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot create data dir"), "{stderr}");
}

#[test]
fn bad_flags_are_clear_errors() {
    for (args, expected) in [
        (
            &["--listen", "nowhere"][..],
            "invalid value 'nowhere' for '--listen",
        ),
        (
            &["--turn-url", "turn:x:3478"][..],
            "--turn-url needs --turn-secret",
        ),
        (
            &["--allowed-origin", "sotto.example"][..],
            "must be an origin",
        ),
        (
            &["--metrics-listen", "0.0.0.0:9090"][..],
            "is not a loopback address",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sotto-shim"))
            .args(args)
            .args(["--data-dir", "/tmp/unused-sotto"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn help_documents_every_flag_and_its_environment_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_sotto-shim"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--data-dir",
        "--dist-dir",
        "--turn-url",
        "--turn-secret",
        "--turn-ttl",
        "--allowed-origin",
        "--max-payload-bytes",
        "--max-pending",
        "--rate-limit-per-sec",
        "--metrics-listen",
        "--max-socket-bytes",
        "--delivery-window",
        "--write-timeout-ms",
        "--ping-interval-ms",
        "--pong-timeout-ms",
        "--header-read-timeout-ms",
        "--max-connections",
        "--max-connections-per-ip",
        "--queues-per-connection-per-hour",
        "--queues-per-ip-per-hour",
        "--max-queues",
        "--max-stored-bytes",
        "--queue-idle-secs",
    ] {
        assert!(help.contains(flag), "{flag}");
    }
    assert!(help.contains("SOTTO_LISTEN") && help.contains("SOTTO_TURN_SECRET"));
}
