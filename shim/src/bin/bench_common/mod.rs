//! What the relay and abuse benches share: starting the release shim, reading its RSS, a
//! scratch data directory, WebSocket clients from a chosen loopback address.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use futures_util::{SinkExt as _, StreamExt as _};
use sotto_shared::wire::relay::{ClientMsg, ServerMsg};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

pub(crate) type Ws = WebSocketStream<TcpStream>;

/// Starts `sotto-shim` (beside this binary) or, with `--forwarder` first, this binary; returns
/// it and the address from its first line.
pub(crate) fn spawn(args: &[&str]) -> (Child, String) {
    let exe = std::env::current_exe().expect("own path");
    let dir = exe.parent().expect("in a directory");
    let (program, rest) = match args.first() {
        Some(&"--forwarder") => (exe.clone(), args),
        _ => (dir.join("sotto-shim"), args),
    };
    let mut child = Command::new(&program)
        .args(rest)
        .stdout(Stdio::piped())
        // `SOTTO_BENCH_LOGS=1` shows the shim's log (warnings and up).
        .stderr(if std::env::var_os("SOTTO_BENCH_LOGS").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e} (build it with `cargo build --release -p sotto-shim`)",
                program.display()
            )
        });
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("piped"))
        .read_line(&mut line)
        .expect("an address line");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .expect("address")
        .to_owned();
    (child, addr)
}

/// The shim with its defaults, except the limits that every client coming from one loopback
/// address would hit: here 10,000 clients share 127.0.0.1.
pub(crate) fn shim_args(data: &str) -> Vec<&str> {
    vec![
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--dist-dir",
        "/nonexistent",
        "--rate-limit-burst",
        "1000",
        "--max-connections-per-ip",
        "20000",
        "--queues-per-ip-per-hour",
        "100000",
    ]
}

pub(crate) fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

pub(crate) fn tempfile_dir() -> String {
    let dir = std::env::temp_dir().join(format!(
        "sotto-bench-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}

/// A TCP connection to `addr` from `from` (any 127.0.0.0/8 address works on loopback, so
/// attackers and the good client have addresses of their own).
pub(crate) async fn tcp_from(from: IpAddr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(addr).await
}

/// A relay WebSocket from `from`.
pub(crate) async fn ws_from(from: IpAddr, addr: SocketAddr) -> Option<Ws> {
    let tcp = tcp_from(from, addr).await.ok()?;
    tokio_tungstenite::client_async(format!("ws://{addr}/ws"), tcp)
        .await
        .ok()
        .map(|(ws, _)| ws)
}

pub(crate) async fn send(ws: &mut Ws, msg: &ClientMsg) -> bool {
    ws.send(Message::Text(serde_json::to_string(msg).unwrap().into()))
        .await
        .is_ok()
}

/// The next server message; `None` when the socket ends.
pub(crate) async fn recv(ws: &mut Ws) -> Option<ServerMsg> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(t)) => return serde_json::from_str(&t).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Creates a queue and subscribes to it.
pub(crate) async fn own_queue(
    ws: &mut Ws,
) -> Option<(
    sotto_shared::wire::relay::RcvId,
    sotto_shared::wire::relay::SndId,
)> {
    send(ws, &ClientMsg::CreateQueue { id: 1 }).await;
    let ServerMsg::QueueCreated { rcv_id, snd_id, .. } = recv(ws).await? else {
        return None;
    };
    send(ws, &ClientMsg::Subscribe { id: 2, rcv_id }).await;
    recv(ws).await?;
    Some((rcv_id, snd_id))
}

/// The q-quantile of sorted nanoseconds, in µs.
pub(crate) fn quantile_us(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)] / 1000
}

pub(crate) fn now_ns(start: Instant) -> u64 {
    start.elapsed().as_nanos() as u64
}
